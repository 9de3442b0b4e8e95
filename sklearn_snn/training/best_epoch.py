"""Best-epoch selection on the validation loss that prefers the later epoch on ties."""

import math
from copy import deepcopy

from skorch.callbacks import Callback


class BestEpoch(Callback):
    """skorch callback that keeps the weights of the best epoch, the later one on ties.

    An epoch is kept when its validation loss is within ``tol`` of the lowest
    validation loss so far; the last such epoch wins. So the weights kept
    are within ``tol`` of the best loss of the fit, and of two epochs that
    tie, the one trained longer (later in a decaying learning-rate schedule)
    is kept. The weights are put back when training ends.

    Parameters
    ----------
    tol : float
        Validation-loss difference that counts as a tie.

    Attributes
    ----------
    best_epoch_ : int or None
        Number (skorch's ``epoch`` in the history) of the epoch kept.
    best_loss_ : float
        Lowest finite validation loss seen.
    """

    def __init__(self, tol):
        self.tol = tol

    def on_train_begin(self, net, **kwargs):
        self.best_epoch_ = None
        self.best_loss_ = math.inf
        self.best_weights_ = None

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "valid_loss"]
        if not math.isfinite(loss) or net.history[-1].get("diverged"):
            return
        self.best_loss_ = min(self.best_loss_, loss)
        if loss <= self.best_loss_ + self.tol:
            self.best_epoch_ = net.history[-1, "epoch"]
            self.best_weights_ = deepcopy(net.module_.state_dict())
        net.history.record("valid_loss_best", self.best_epoch_ == net.history[-1, "epoch"])

    def on_train_end(self, net, **kwargs):
        if self.best_weights_ is not None:
            net.module_.load_state_dict(self.best_weights_)
