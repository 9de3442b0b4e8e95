"""Undo a failed fit: the estimator as the call found it, weights and all."""

from copy import deepcopy

from ..nn.inference import InferenceCopy


class FitRollback:
    """Context in which a fit that raises leaves the estimator as it found it.

    A fit that raises (bad input found late, training that diverged for good,
    an error inside torch, Ctrl-C outside skorch's epoch loop) restores the
    snapshot taken on entry, so the estimator never keeps half of a new fit:
    the previous model, or no model, stays usable as it was. A fresh fit
    builds a new network, so the old one only needs to be kept; a continued
    fit (``warm_start``, ``partial_fit``) trains the network in place, so its
    weights, optimizer and its state, step size, history and random generator
    (shuffling, dropout) are copied.

    Parameters
    ----------
    estimator : SNNClassifier or SNNRegressor
        The estimator about to be fitted.
    continuing : bool
        Whether the fit continues training ``estimator.net_`` in place.
    """

    def __init__(self, estimator, continuing):
        self.estimator = estimator
        self.continuing = continuing

    def __enter__(self):
        estimator = self.estimator
        params = estimator.get_params(deep=False)
        self._attributes = {k: v for k, v in vars(estimator).items() if k not in params}
        self._net = None
        if self.continuing:
            net = estimator.net_
            self._net = (
                net,
                deepcopy(net.module_.state_dict()),
                net.optimizer_,
                deepcopy(net.optimizer_.state_dict()),
                net.optimizer_settings(),
                len(net.history),
                net.generator_.get_state(),
            )
        return self

    def __exit__(self, error_type, error, traceback):
        if error_type is not None:
            self.restore()
        return False

    def restore(self):
        """Put the estimator back as it was when the context was entered."""
        estimator = self.estimator
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
        net.restore_optimizer(settings, optimizer, optimizer_state)
        del net.history[n_epochs:]
        if "_inference" in self._attributes:
            # The weights were put back in place: a copy that knows them as current.
            estimator._inference = InferenceCopy(net.module_)
