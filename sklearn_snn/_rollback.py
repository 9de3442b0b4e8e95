"""Undo a failed fit: the estimator as the call found it, weights and all."""

from copy import deepcopy


class FitRollback:
    """Snapshot of a fitted (or unfitted) estimator, taken as ``fit`` starts.

    A fit that raises (bad input found late, training that diverged for good,
    an error inside torch) restores the snapshot, so the estimator never keeps
    half of a new fit: the previous model, or no model, stays usable as it was.
    A fresh fit builds a new network, so the old one only needs to be kept; a
    continued fit (``warm_start``, ``partial_fit``) trains the network in place,
    so its weights, optimizer state, step size, history and random generator
    (shuffling, dropout) are copied.

    Parameters
    ----------
    estimator : SNNClassifier or SNNRegressor
        The estimator about to be fitted.
    continuing : bool
        Whether the fit continues training ``estimator.net_`` in place.
    """

    def __init__(self, estimator, continuing):
        params = estimator.get_params(deep=False)
        self._attributes = {k: v for k, v in vars(estimator).items() if k not in params}
        self._net = None
        if continuing:
            net = estimator.net_
            self._net = (
                net,
                deepcopy(net.module_.state_dict()),
                net.optimizer_,
                deepcopy(net.optimizer_.state_dict()),
                _optimizer_settings(net),
                len(net.history),
                net.generator_.get_state(),
            )

    def restore(self, estimator):
        """Put ``estimator`` back as it was when the snapshot was taken."""
        params = estimator.get_params(deep=False)
        for name in [k for k in vars(estimator) if k not in params]:
            delattr(estimator, name)
        for name, value in self._attributes.items():
            setattr(estimator, name, value)
        if self._net is None:
            return
        net, module_state, optimizer, optimizer_state, settings, n_epochs, generator = self._net
        net.generator_.set_state(generator)
        net.module_.load_state_dict(module_state)
        # Only the optimizer__* arguments may be deleted: deleting "optimizer"
        # would make skorch forget its optimizer.
        for name in set(_optimizer_settings(net)) - set(settings):
            delattr(net, name)
        for name, value in settings.items():
            setattr(net, name, value)
        if net.optimizer_ is not optimizer:  # the fit started a new optimizer
            net.initialize_optimizer()
        net.optimizer_.load_state_dict(optimizer_state)
        del net.history[n_epochs:]


def _optimizer_settings(net):
    """The skorch net's optimizer class, step size and ``optimizer__*`` arguments."""
    return {
        k: v
        for k, v in vars(net).items()
        if k in ("optimizer", "lr") or k.startswith("optimizer__")
    }
