"""Several self-normalizing networks trained as one module with batched matrix products."""

import math

import torch
from torch import nn
from torch.nn import functional

from ..theory import SELU_ALPHA, SELU_LAMBDA
from .layers import SELU, AlphaDropout
from .network import FeedForwardBlocks, SelfNormalizingNetwork, hidden_widths

OUTPUT_ACTIVATIONS = ("identity", "softmax", "sigmoid")


class EnsembleLinear(nn.Module):
    """The same linear layer of ``n_members`` networks, as one batched product.

    Member ``i`` maps ``x`` to ``x @ weight[i] + bias[i]``. An input of shape
    ``(n_samples, in_features)`` is shared by every member (the first layer);
    one of shape ``(n_members, n_samples, in_features)`` gives each member its
    own rows (the layers behind it).

    Parameters
    ----------
    n_members : int
        Number of networks.
    in_features, out_features : int
        Widths of the input and the output.
    generator : torch.Generator, default=None
        Source of randomness for the initial weights; torch's global
        generator when None.

    Attributes
    ----------
    weight : torch.nn.Parameter of shape (n_members, in_features, out_features)
        Each member's weights, drawn from ``N(0, 1 / in_features)``.
    bias : torch.nn.Parameter of shape (n_members, 1, out_features)
        Each member's bias, zero at first.

    Examples
    --------
    >>> import torch
    >>> from sklearn_snn.nn.ensemble import EnsembleLinear
    >>> layer = EnsembleLinear(3, 10, 4, generator=torch.Generator().manual_seed(0))
    >>> layer
    EnsembleLinear(n_members=3, in_features=10, out_features=4)
    >>> layer(torch.zeros(5, 10)).shape
    torch.Size([3, 5, 4])
    """

    def __init__(self, n_members, in_features, out_features, generator=None):
        super().__init__()
        self.n_members = n_members
        self.in_features = in_features
        self.out_features = out_features
        # torch.empty draws nothing, so torch's global random state stays as it was.
        self.weight = nn.Parameter(torch.empty(n_members, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(n_members, 1, out_features))
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None):
        """Draw new LeCun-normal weights, independently for every member, and zero the biases.

        Parameters
        ----------
        generator : torch.Generator, default=None
            Source of randomness; torch's global generator when None.
        """
        with torch.no_grad():
            self.weight.normal_(0.0, 1.0 / math.sqrt(self.in_features), generator=generator)
            self.bias.zero_()

    def forward(self, x):
        """Apply every member's layer: ``(n_members, n_samples, out_features)``."""
        if x.ndim == 2:
            x = x.expand(self.n_members, *x.shape)
        return torch.baddbmm(self.bias, x, self.weight)

    def extra_repr(self):
        return (
            f"n_members={self.n_members}, in_features={self.in_features}, "
            f"out_features={self.out_features}"
        )


class SelfNormalizingEnsemble(FeedForwardBlocks):
    """``n_members`` self-normalizing networks of one architecture, run as one module.

    Each member is a :class:`~sklearn_snn.SelfNormalizingNetwork`: hidden
    blocks ``Linear -> SELU -> AlphaDropout`` and a linear output layer, with
    its own LeCun-normal initial weights (independent draws) and its own
    alpha-dropout masks. The members' layers are stacked, so that one forward
    pass computes all of them with batched matrix products, from one input
    that every member shares. The forward pass returns every member's raw
    outputs; :meth:`combine` averages them into one prediction.

    Parameters
    ----------
    n_features : int
        Number of input features.
    n_outputs : int
        Number of outputs of each member.
    n_members : int
        Number of networks.
    n_layers : int, default=4
        Number of hidden layers.
    n_units : int, default=256
        Width of the (first) hidden layer.
    shape : {"rectangular", "conic"}, default="rectangular"
        Widths of the hidden layers, as in
        :class:`~sklearn_snn.SelfNormalizingNetwork`.
    dropout : float, default=0.0
        Alpha dropout rate after every hidden layer.
    alpha : float, default=SELU_ALPHA
        SELU alpha.
    lambda_ : float, default=SELU_LAMBDA
        SELU scale.
    fixed_point : tuple of float, default=(0.0, 1.0)
        Mean and variance that alpha dropout keeps.
    output_activation : {"identity", "softmax", "sigmoid"}, default="identity"
        What turns a member's raw outputs into its prediction (targets,
        class probabilities, label probabilities); :meth:`combine` averages
        the members' predictions.
    generator : torch.Generator, default=None
        Source of randomness for the initial weights.

    Attributes
    ----------
    hidden : torch.nn.ModuleList
        The hidden blocks, each a ``torch.nn.Sequential`` of an
        ``EnsembleLinear`` (this module), a SELU and an alpha dropout.
    output : EnsembleLinear
        The output layers.

    See Also
    --------
    sklearn_snn.SelfNormalizingNetwork : One member.

    Examples
    --------
    >>> import torch
    >>> from sklearn_snn.nn.ensemble import SelfNormalizingEnsemble
    >>> ensemble = SelfNormalizingEnsemble(10, 3, 5, n_layers=2, n_units=16).eval()
    >>> raw = ensemble(torch.zeros(4, 10))
    >>> raw.shape
    torch.Size([5, 4, 3])
    >>> ensemble.combine(raw).shape
    torch.Size([4, 3])
    """

    def __init__(
        self,
        n_features,
        n_outputs,
        n_members,
        n_layers=4,
        n_units=256,
        shape="rectangular",
        dropout=0.0,
        alpha=SELU_ALPHA,
        lambda_=SELU_LAMBDA,
        fixed_point=(0.0, 1.0),
        output_activation="identity",
        generator=None,
    ):
        super().__init__()
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(
                f"output_activation must be one of {OUTPUT_ACTIVATIONS}, got {output_activation!r}."
            )
        self.n_members = n_members
        self.output_activation = output_activation
        self._architecture = dict(
            n_features=n_features,
            n_outputs=n_outputs,
            n_layers=n_layers,
            n_units=n_units,
            shape=shape,
            dropout=dropout,
            alpha=alpha,
            lambda_=lambda_,
            fixed_point=tuple(fixed_point),
        )
        mean, var = fixed_point
        blocks = []
        fan_in = n_features
        for width in hidden_widths(n_layers, n_units, n_outputs, shape):
            blocks.append(
                nn.Sequential(
                    EnsembleLinear(n_members, fan_in, width, generator),
                    SELU(alpha, lambda_),
                    AlphaDropout(dropout, alpha, lambda_, mean, var),
                )
            )
            fan_in = width
        self.hidden = nn.ModuleList(blocks)
        self.output = EnsembleLinear(n_members, fan_in, n_outputs, generator)

    def reset_parameters(self, generator=None):
        """Draw new LeCun-normal weights for every member and zero the biases.

        Parameters
        ----------
        generator : torch.Generator, default=None
            Source of randomness; torch's global generator when None.
        """
        for module in self.modules():
            if isinstance(module, EnsembleLinear):
                module.reset_parameters(generator)

    def forward(self, X):
        """Every member's raw outputs for the shared inputs.

        Parameters
        ----------
        X : torch.Tensor of shape (n_samples, n_features)
            Inputs, standardized for self-normalization to hold.

        Returns
        -------
        output : torch.Tensor of shape (n_members, n_samples, n_outputs)
            Raw outputs of each member's last linear layer, e.g. logits.
        """
        return self.output(self.through_hidden(X))

    def combine(self, raw):
        """The members' averaged prediction, as one raw output per sample.

        The members' predictions (``output_activation`` of their raw
        outputs) are averaged; the result is given back as the raw output
        that ``output_activation`` maps to that average: the mean for
        ``"identity"``, the logarithm of the mean probabilities for
        ``"softmax"`` and the logit of the mean probabilities for
        ``"sigmoid"``. Computed from log-probabilities, so it stays finite
        where a probability rounds to 0 or 1.

        Parameters
        ----------
        raw : torch.Tensor of shape (n_members, n_samples, n_outputs)
            The members' raw outputs, from :meth:`forward`.

        Returns
        -------
        combined : torch.Tensor of shape (n_samples, n_outputs)
            Raw outputs of the averaged prediction.

        Examples
        --------
        >>> import torch
        >>> from sklearn_snn.nn.ensemble import SelfNormalizingEnsemble
        >>> ensemble = SelfNormalizingEnsemble(1, 1, 2, output_activation="sigmoid")
        >>> ensemble.combine(torch.tensor([[[-10.0]], [[10.0]]]))  # probabilities ~0 and ~1
        tensor([[0.]])
        """
        if self.output_activation == "identity":
            return raw.mean(dim=0)
        if self.output_activation == "softmax":
            log_probabilities = functional.log_softmax(raw, dim=-1)
            return torch.logsumexp(log_probabilities, dim=0) - math.log(len(raw))
        # logit(p) = log(p) - log(1 - p), each a log-mean-exp of the members'.
        log_positive = torch.logsumexp(functional.logsigmoid(raw), dim=0)
        return log_positive - torch.logsumexp(functional.logsigmoid(-raw), dim=0)

    def member(self, index):
        """A copy of one member as a :class:`~sklearn_snn.SelfNormalizingNetwork`.

        Parameters
        ----------
        index : int
            Which member, from 0.

        Returns
        -------
        network : SelfNormalizingNetwork
            With the member's weights, dtype, device and training mode; its
            dropout draws from torch's global generator.

        Examples
        --------
        >>> import torch
        >>> from sklearn_snn.nn.ensemble import SelfNormalizingEnsemble
        >>> ensemble = SelfNormalizingEnsemble(10, 3, 4, n_layers=2, n_units=16).eval()
        >>> X = torch.randn(5, 10)
        >>> torch.allclose(ensemble.member(2)(X), ensemble(X)[2], atol=1e-6)
        True
        """
        if not -self.n_members <= index < self.n_members:
            raise IndexError(f"member {index} of an ensemble of {self.n_members}")
        # A throwaway generator: the weights are overwritten, and torch's
        # global random state stays as it was.
        network = SelfNormalizingNetwork(
            **self._architecture, generator=torch.Generator().manual_seed(0)
        )
        parameter = self.output.weight
        network.to(device=parameter.device, dtype=parameter.dtype)
        stacked = [block[0] for block in self.hidden] + [self.output]
        linears = [block[0] for block in network.hidden] + [network.output]
        with torch.no_grad():
            for layer, linear in zip(stacked, linears, strict=True):
                linear.weight.copy_(layer.weight[index].T)
                linear.bias.copy_(layer.bias[index, 0])
        return network.train(self.training)


def combined_outputs(module, raw):
    """``module.combine(raw)`` for an ensemble's outputs, ``raw`` as it is for one network.

    Parameters
    ----------
    module : torch.nn.Module
        The network that computed ``raw``.
    raw : torch.Tensor
        Its outputs: ``(n_samples, n_outputs)`` from one network,
        ``(n_members, n_samples, n_outputs)`` from an ensemble.

    Returns
    -------
    raw : torch.Tensor of shape (n_samples, n_outputs)
        One raw output per sample.
    """
    return module.combine(raw) if raw.ndim == 3 else raw
