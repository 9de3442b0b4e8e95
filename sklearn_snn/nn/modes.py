"""Switching a network to evaluation mode for a while, and back."""

import contextlib


@contextlib.contextmanager
def evaluation_mode(module):
    """Context in which ``module`` is in eval mode (no dropout).

    Every submodule gets its own previous mode back afterwards, also on
    errors, so a caller that had switched some parts off finds them so.

    Parameters
    ----------
    module : torch.nn.Module
        The network.

    Yields
    ------
    module : torch.nn.Module
        The same network, in eval mode.

    Examples
    --------
    >>> from sklearn_snn import SelfNormalizingNetwork
    >>> from sklearn_snn.nn.modes import evaluation_mode
    >>> net = SelfNormalizingNetwork(4, 2, n_layers=1, n_units=8, dropout=0.05)
    >>> with evaluation_mode(net):
    ...     net.training
    False
    >>> net.training
    True
    """
    modes = [(part, part.training) for part in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for part, training in modes:
            part.training = training
