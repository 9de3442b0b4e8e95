"""fit_report: fitted attributes from a net's history, and the warnings of the fit."""

import math

import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sklearn_snn import SNNClassifier
from sklearn_snn.training.report import fit_report

pytestmark = pytest.mark.usefixtures("quiet_convergence")

TINY = dict(n_layers=1, n_units=8, max_iter=3, random_state=0)


@pytest.fixture
def data():
    return make_classification(60, 4, random_state=0)


@pytest.fixture
def net(data):
    """The net of a 3-epoch fit stopping on the training loss (patience 20)."""
    return SNNClassifier(**TINY, early_stopping=False).fit(*data).net_


def _report(net, **changes):
    arguments = dict(
        epochs_before=0,
        epochs=3,
        partial=False,
        tol=1e-4,
        prior_loss=0.0,
        recovered=False,
        train_data=None,
        valid_data=None,
    )
    return fit_report(net, **(arguments | changes))


def _callback(net, name):
    return dict(net.callbacks_)[name]


def test_attributes_come_from_the_history(net):
    net.history[1]["train_loss"] = math.inf  # a diverged epoch
    losses = list(net.history[:, "train_loss"])
    attributes, _ = _report(net)
    assert attributes == {
        "n_iter_": 3,
        "loss_curve_": losses,
        "best_loss_": min(losses[0], losses[2]),
        "validation_scores_": None,
        "best_validation_score_": None,
    }


def test_max_iter_reached_without_stopping_warns(net):
    _, messages = _report(net)
    assert messages == [
        (
            "Maximum iterations (3) reached and the optimization hasn't converged yet: "
            "max_iter=3 epochs are not more than n_iter_no_change=20, so the training loss "
            "could not be seen to stall. Raise max_iter to train longer.",
            ConvergenceWarning,
        )
    ]
    _callback(net, "stopper").patience = 2
    _, messages = _report(net, tol=1e-3)
    assert messages[0][0].endswith(
        "hasn't converged yet: the training loss fell by more than tol=0.001 within the "
        "last 2 epochs. Raise max_iter to train longer."
    )


def test_no_warning_when_stopped_or_for_partial_fit(net, data):
    stopper = _callback(net, "stopper")
    stopper.misses_ = stopper.patience
    assert _report(net)[1] == []
    partial = SNNClassifier(**TINY).partial_fit(*data, classes=[0, 1]).net_
    assert "stopper" not in dict(partial.callbacks_)
    assert _report(partial, epochs=1, partial=True)[1] == []


def test_fewer_epochs_than_asked_and_not_stopped_is_an_interruption(net):
    _, messages = _report(net, epochs=5)
    assert messages == [
        (
            "Training was interrupted after 3 of 5 epochs; the estimator keeps the weights "
            "reached so far.",
            UserWarning,
        )
    ]


@pytest.mark.parametrize("recovered", [False, True])
def test_an_unfinished_epoch_is_dropped(net, recovered):
    net.history.new_epoch()
    net.history.record("epoch", 4)
    attributes, messages = _report(net, epochs_before=1, epochs=10, recovered=recovered)
    assert len(net.history) == attributes["n_iter_"] == 3
    assert len(attributes["loss_curve_"]) == 3
    kept = (
        "the weights reached had diverged, so the estimator keeps those the best epoch began with."
        if recovered
        else "the estimator keeps the weights reached so far."
    )
    assert messages == [(f"Training was interrupted after 2 of 10 epochs; {kept}", UserWarning)]


@pytest.mark.parametrize(("epochs_before", "marked"), [(1, True), (3, False)])
def test_the_divergence_mark_of_an_unfinished_epoch_stays_with_this_fit(net, epochs_before, marked):
    net.history.new_epoch()
    net.history.record("diverged", True)
    _report(net, epochs_before=epochs_before, epochs=10)
    assert len(net.history) == 3
    # Moved to this fit's last finished epoch; never onto an earlier fit's.
    assert bool(net.history[-1].get("diverged")) is marked
    assert not any(epoch.get("diverged") for epoch in net.history[:-1])


def test_recoveries_of_the_divergence_guard_are_reported(net):
    _callback(net, "divergence_guard").recoveries_ = [(1, 0.01, 0.001), (2, 0.001, 0.0001)]
    _, messages = _report(net)
    assert (
        "Training diverged 2 time(s); the best weights were restored and the learning rate "
        "lowered from 0.01 to 0.0001. Pass a smaller learning_rate.",
        ConvergenceWarning,
    ) in messages


def test_a_loss_no_better_than_the_prior_says_the_network_learned_nothing(net, monkeypatch):
    last = net.history[-1, "train_loss"]
    # The kept weights are judged without dropout, on the training samples.
    judged = []
    monkeypatch.setattr(net, "evaluation_loss", lambda data: judged.append(data) or last * 0.9)
    _, messages = _report(net, prior_loss=last / 2, train_data="training samples")
    assert judged == ["training samples"]
    assert (
        f"The training loss ({last * 0.9:.4g}) is no better than that of predicting the prior "
        f"({last / 2:.4g}): the network learned nothing. Try another learning_rate or more "
        "epochs.",
        ConvergenceWarning,
    ) in messages
    for changes in (
        {"prior_loss": last * 2},  # the last epoch's loss beats the prior: nothing judged
        {"prior_loss": last / 2, "partial": True},
        {"prior_loss": last * 0.95},  # the last epoch's does not, the kept weights' does
    ):
        assert not any("learned nothing" in message for message, _ in _report(net, **changes)[1])
    assert len(judged) == 2


@pytest.fixture
def validated(data):
    """The net of a 4-epoch fit with early stopping, and its validation samples."""
    clf = SNNClassifier(**dict(TINY, max_iter=4), validation_fraction=0.25).fit(*data)
    net = clf.net_
    # Scores that no accuracy on 15 validation rows can equal.
    scores, losses = [0.51, 0.61, 0.71, 0.81], [0.9, 0.4, 0.5, 0.6]
    for epoch, score, loss in zip(net.history, scores, losses, strict=True):
        epoch["valid_score"], epoch["valid_loss"] = score, loss
    return net, net.train_split.keywords["valid_ds"]


def test_validation_scores_of_this_fit_and_that_of_the_epoch_kept(validated):
    net, valid = validated
    _callback(net, "stopper").best_epoch_ = 3  # epochs count from 1
    attributes, _ = _report(net, epochs=4, valid_data=valid)
    assert attributes["validation_scores_"] == [0.51, 0.61, 0.71, 0.81]
    assert attributes["best_validation_score_"] == 0.71
    assert attributes["best_loss_"] is None and attributes["n_iter_"] == 4
    attributes, _ = _report(net, epochs_before=2, epochs=2, valid_data=valid)
    assert attributes["validation_scores_"] == [0.71, 0.81]
    assert attributes["best_validation_score_"] == 0.71


def test_without_the_stoppers_epoch_the_lowest_validation_loss_counts(validated):
    net, valid = validated
    _callback(net, "stopper").best_epoch_ = 99
    attributes, _ = _report(net, epochs=4, valid_data=valid)
    assert attributes["best_validation_score_"] == 0.61


def test_recovered_weights_are_scored_afresh(validated):
    net, valid = validated
    attributes, _ = _report(net, epochs=4, valid_data=valid, recovered=True)
    score = net.validation_score(valid)
    assert score not in (0.51, 0.61, 0.71, 0.81)
    assert attributes["best_validation_score_"] == score
