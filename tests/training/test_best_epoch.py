"""Best-epoch selection: the later epoch on ties, restored when training ends."""

import numpy as np
import pytest
import torch
from skorch.history import History

from sklearn_snn import SNNClassifier
from sklearn_snn.training.best_epoch import BestEpoch
from sklearn_snn.training.callbacks import evaluation_loss


class _Net:
    """What BestEpoch reads of a skorch net: its history and module."""

    def __init__(self):
        self.history = History()
        self.module_ = torch.nn.Linear(1, 1, bias=False)


def _select(losses, tol, diverged=()):
    net, callback = _Net(), BestEpoch(tol)
    callback.on_train_begin(net)
    for epoch, loss in enumerate(losses, start=1):
        net.history.new_epoch()
        net.history.record("epoch", epoch)
        net.history.record("valid_loss", loss)
        if epoch in diverged:
            net.history.record("diverged", True)
        with torch.no_grad():
            net.module_.weight.fill_(epoch)
        callback.on_epoch_end(net)
    net.module_.weight.data.fill_(-1.0)
    callback.on_train_end(net)
    return callback.best_epoch_, float(net.module_.weight.detach())


@pytest.mark.parametrize(
    "losses, tol, expected",
    [
        ([0.5, 0.3, 0.4, 0.35], 0.0, 2),
        ([0.5, 0.3, 0.4, 0.3], 0.0, 4),  # an exact tie: the later epoch
        ([0.5, 0.3, 0.3005, 0.32], 1e-3, 3),  # within tol of the lowest
        ([0.5, 0.3, 0.3005, 0.2, 0.2008], 1e-3, 5),
        ([0.5, 0.3, 0.3009, 0.2995, 0.3012], 1e-3, 4),  # never beyond tol of the lowest
        ([np.nan, np.inf, 0.9], 0.0, 3),
    ],
)
def test_keeps_the_last_epoch_within_tol_of_the_lowest(losses, tol, expected):
    best, weight = _select(losses, tol)
    assert best == expected and weight == expected
    assert losses[best - 1] <= np.nanmin(np.where(np.isfinite(losses), losses, np.nan)) + tol


def test_diverged_epochs_and_no_finite_loss_keep_nothing():
    # A diverged epoch's loss (measured before the guard undid it) is not a candidate.
    best, weight = _select([0.5, 0.1, 0.6], 0.0, diverged=(2,))
    assert best == 1 and weight == 1.0
    best, weight = _select([np.nan, np.inf], 0.0)
    assert best is None and weight == -1.0  # the weights training ended with


def test_the_estimator_keeps_the_selected_epoch(classification_data):
    X, y = classification_data
    clf = SNNClassifier(
        n_layers=2,
        n_units=32,
        learning_rate=0.01,
        max_iter=15,
        batch_size=50,
        random_state=0,
        learning_rate_schedule="one_cycle",
        tol=1e-3,
        n_ensemble=1,  # evaluation_loss is a single network's validation loss
        label_smoothing=0.0,  # a fitted temperature would change the kept loss
    ).fit(X, y)
    selector = dict(clf.net_.callbacks_)["best_epoch"]
    losses = np.array(clf.history_[:, "valid_loss"])
    chosen = selector.best_epoch_ - 1
    assert losses[chosen] <= losses.min() + 1e-3
    assert np.all(losses[chosen + 1 :] > np.minimum.accumulate(losses)[chosen + 1 :] + 1e-3)
    assert clf.best_validation_score_ == clf.validation_scores_[chosen]
    # The kept weights are the chosen epoch's: their validation loss is that epoch's.
    valid = clf.net_.train_split.keywords["valid_ds"]
    kept = evaluation_loss(clf.net_, valid, n_rows=len(valid))
    assert kept == pytest.approx(losses[chosen], rel=1e-5)
    assert chosen < len(losses) - 1 or kept == pytest.approx(losses[-1], rel=1e-5)
