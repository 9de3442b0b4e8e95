import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, roc_auc_score

from sklearn_snn import SNNClassifier, SNNRegressor
from sklearn_snn.training.net import TensorBatchNet

# One network without label smoothing: no temperature is fitted after a fit, so
# weights the guard restores give back exactly the probabilities they gave.
ONE_NETWORK = {"n_layers": 3, "n_units": 32, "n_ensemble": 1, "label_smoothing": 0.0}


def interrupt_on_fifth_step(monkeypatch):
    """Make the fifth training step from now on raise KeyboardInterrupt (Ctrl-C)."""
    steps = {"count": 0}
    original = TensorBatchNet.train_step

    def interrupted_on_fifth_step(self, batch, **fit_params):
        steps["count"] += 1
        if steps["count"] == 5:
            raise KeyboardInterrupt
        return original(self, batch, **fit_params)

    monkeypatch.setattr(TensorBatchNet, "train_step", interrupted_on_fifth_step)


def fitted_quietly(estimator, X, y):
    """``estimator`` fitted to ``X, y`` without its ConvergenceWarnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def test_bad_learning_rate_recovers_with_a_warning(classification_data):
    X, y = classification_data
    clf = SNNClassifier(
        n_layers=2, n_units=32, optimizer="sgd", learning_rate=100.0, max_iter=40, random_state=0
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert any("Training diverged" in m and "learning rate lowered" in m for m in messages)
    assert np.isfinite(clf.loss_curve_[-1])
    majority = np.bincount(y).max() / len(y)
    assert clf.score(X, y) > majority + 0.2


@pytest.mark.parametrize("early_stopping", [True, False])
def test_hopeless_learning_rate_raises_clear_error(regression_data, early_stopping):
    X, y = regression_data
    reg = SNNRegressor(
        n_layers=2,
        n_units=16,
        optimizer="sgd",
        learning_rate=1e9,
        early_stopping=early_stopping,
        random_state=0,
    )
    with pytest.raises(ValueError, match="Training diverged .* learning rate 4 times"):
        reg.fit(X, y)
    assert not hasattr(reg, "net_"), "a failed fit must not leave a half-fitted model"


def test_keyboard_interrupt_keeps_a_usable_estimator(monkeypatch, binary_data):
    X, y = binary_data
    interrupt_on_fifth_step(monkeypatch)
    clf = SNNClassifier(n_layers=1, n_units=8, batch_size=50, max_iter=10, random_state=0)
    # 200 rows in batches of 50: the fifth step is the first of epoch 2.
    with pytest.warns(UserWarning, match="interrupted after 1 of 10 epochs"):
        clf.fit(X, y)
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 1
    proba = clf.predict_proba(X)
    assert proba.shape == (200, 2) and np.all(np.isfinite(proba))


def test_network_that_learns_nothing_warns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = rng.integers(0, 2, size=100)
    clf = SNNClassifier(n_layers=1, n_units=4, learning_rate=1e-9, max_iter=2, random_state=0)
    with pytest.warns(ConvergenceWarning, match="learned nothing"):
        clf.fit(X, y)


def test_label_smoothing_does_not_pass_for_learning_nothing_on_rare_classes():
    # 3% positives: the smoothed loss of a good network stays above the unsmoothed
    # prior loss, so the prior must be smoothed too before the two are compared.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 3))
    y = (X[:, 0] > 1.9).astype(int)
    clf = SNNClassifier(n_layers=2, n_units=32, n_ensemble=1, max_iter=30, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    assert not [w for w in caught if "learned nothing" in str(w.message)]
    assert roc_auc_score(y, clf.predict_proba(X)[:, 1]) > 0.99


def test_dropout_noise_in_the_training_loss_does_not_pass_for_learning_nothing():
    # At dropout 0.5 the last epoch's training loss of a weak signal stays above the
    # prior's, while the kept weights, judged without dropout, beat it.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 5))
    y = (0.5 * X[:, 0] + rng.normal(size=1500) > 0).astype(int)
    prior = log_loss(y, np.full(len(y), y.mean()))
    clf = SNNClassifier(
        n_layers=2, n_units=64, n_ensemble=2, dropout=0.5, max_iter=40, n_iter_no_change=10,
        random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    assert clf.loss_curve_[-1] > prior
    assert not [w for w in caught if "learned nothing" in str(w.message)]
    assert log_loss(y, clf.predict_proba(X)) < prior - 0.03


def test_high_starting_loss_on_few_rows_is_not_divergence():
    # Three rows: the fresh network's loss starts above ten times the prior's,
    # and falls; the guard must leave it alone instead of lowering the step size.
    X = np.random.default_rng(0).normal(size=(3, 3))
    y = np.array([1.0, 2.0, 3.0])
    reg = SNNRegressor(
        n_layers=1,
        n_units=8,
        n_ensemble=1,
        max_iter=50,
        early_stopping=False,
        spline_knots=None,
        random_state=0,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reg.fit(X, y)
    assert reg.loss_curve_[0] > 10.0  # the prior's loss on standardized targets is 1
    assert not any("diverged" in str(w.message) for w in caught)
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]
    assert reg.history_[-1]["diverged"] is False


def test_dropout_noise_on_a_few_rows_is_not_divergence():
    # Four distinct rows, eight layers with alpha dropout, SGD 0.05: with this
    # seed the losses measured during the epochs (dropout on) keep crossing ten
    # times the baseline after every step-size reduction, while the weights
    # without dropout stay sound; the fit used to raise TrainingDiverged.
    X = np.repeat([[1.0, 3.0], [2.0, 1.0], [3.0, 3.0], [4.0, 1.0]], 4, axis=0)
    y = np.repeat([1.0, 2.0, 1.0, 2.0], 4)
    params = dict(n_layers=8, n_units=64, dropout=0.05, optimizer="sgd", random_state=13)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = SNNRegressor(**params, learning_rate=0.05).fit(X, y)
    assert max(reg.loss_curve_) > 10, "the epochs' losses must cross the bound"
    assert np.isfinite(reg.loss_curve_).all() and reg.score(X, y) > 0.5
    # Sound weights without dropout: a step that really diverges is still caught.
    with pytest.raises(ValueError, match="Training diverged"):
        SNNRegressor(**params, learning_rate=1e9).fit(X, y)


@pytest.mark.parametrize("early_stopping, max_iter", [(False, 1), (True, 2)])
def test_last_update_that_breaks_the_network_is_undone(early_stopping, max_iter):
    # Full-batch SGD steps of 1000 from a trained network: an epoch's loss is
    # measured before its step and looks fine, the weights after it are not.
    # With early stopping, the guard undoes the second epoch, then early
    # stopping restores the first, judged on validation data only: broken too.
    X, y = make_classification(300, 8, random_state=0)
    clf = fitted_quietly(
        SNNClassifier(**ONE_NETWORK, max_iter=30, early_stopping=early_stopping, random_state=0),
        X,
        y,
    )
    before = log_loss(y, clf.predict_proba(X))
    clf.set_params(
        warm_start=True, optimizer="sgd", learning_rate=1e3, max_iter=max_iter, batch_size=300
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert any("Training diverged" in m for m in messages)
    assert log_loss(y, clf.predict_proba(X)) == pytest.approx(before, rel=1e-6)
    assert clf.net_.lr < 1e3
    if early_stopping:  # the score of the weights kept, not of the epoch replaced
        kept = clf.net_.validation_score(clf.net_.train_split.keywords["valid_ds"])
        assert clf.best_validation_score_ == kept > 0.8


@pytest.mark.parametrize("change", [{}, {"weight_decay": 1e-6}, {"optimizer": "adam"}])
def test_a_lowered_step_size_stays_lowered_in_a_continued_fit(regression_data, change):
    X, y = regression_data
    reg = SNNRegressor(
        n_layers=3,
        n_units=32,
        n_ensemble=1,
        optimizer="sgd",
        learning_rate=3.0,
        batch_size=32,
        max_iter=5,
        warm_start=True,
        random_state=0,
    )
    fitted_quietly(reg, X, y)
    lowered = reg.net_.lr
    assert lowered < 3.0  # the guard lowered the step size in the first fit
    fitted_quietly(reg.set_params(**change), X, y)
    assert not any(epoch.get("diverged", False) for epoch in reg.history_[5:])
    assert reg.net_.lr <= lowered
    # A new learning_rate is taken as given.
    reg.set_params(learning_rate=1e-3).fit(X, y)
    assert reg.net_.lr == 1e-3


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_continued_fit_on_shifted_data_is_not_divergence(how):
    # A trained network starts far above its earlier loss on new data (targets
    # shifted by ten standard deviations, labels flipped); that is where the
    # continued fit begins, not a sign of divergence.
    X, y = make_classification(300, 8, random_state=0)
    clf = fitted_quietly(SNNClassifier(n_layers=3, n_units=32, max_iter=30, random_state=0), X, y)
    reg = fitted_quietly(
        SNNRegressor(n_layers=3, n_units=32, max_iter=30, random_state=0), X, y.astype(float)
    )
    y_reg = y + 10.0 * y.std()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if how == "warm_start":
            clf.set_params(warm_start=True, learning_rate=1e-3).fit(X, 1 - y)
            reg.set_params(warm_start=True, learning_rate=1e-3).fit(X, y_reg)
        else:
            clf.set_params(learning_rate=1e-3).partial_fit(X, 1 - y)
            reg.set_params(learning_rate=1e-3).partial_fit(X, y_reg)
    assert not any("diverged" in str(w.message) for w in caught)
    assert clf.net_.lr == reg.net_.lr == 1e-3


def test_best_loss_skips_diverged_epochs():
    X, y = make_classification(300, 8, random_state=0)
    clf = SNNClassifier(
        **ONE_NETWORK,
        batch_size=64,
        max_iter=8,
        optimizer="sgd",
        learning_rate=10.0,
        early_stopping=False,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="Training diverged"):
        clf.fit(X, y)
    assert not np.isfinite(clf.loss_curve_[0]), "the first epoch must diverge for this test"
    finite = [loss for loss in clf.loss_curve_ if np.isfinite(loss)]
    assert clf.best_loss_ == min(finite)


def test_interrupted_fit_whose_weights_diverged_keeps_sound_ones(monkeypatch):
    X, y = make_classification(300, 8, random_state=0)
    clf = fitted_quietly(
        SNNClassifier(**ONE_NETWORK, max_iter=30, early_stopping=False, random_state=0),
        X,
        y,
    )
    before = log_loss(y, clf.predict_proba(X))
    interrupt_on_fifth_step(monkeypatch)
    # Four SGD steps of 1000 in the first epoch, then Ctrl-C: the weights reached
    # are broken, so those the fit began with are kept, and the warning says so.
    clf.set_params(warm_start=True, optimizer="sgd", learning_rate=1e3, max_iter=3, batch_size=50)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    messages = [str(w.message) for w in caught]
    assert any(
        "interrupted after 0 of 3 epochs; the weights reached had diverged" in m for m in messages
    )
    assert log_loss(y, clf.predict_proba(X)) == pytest.approx(before, rel=1e-6)
    assert clf.n_iter_ == 30 and clf.history_[-1]["diverged"] is False


@pytest.mark.filterwarnings("ignore:Maximum iterations")
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_learning_rate_schedule_survives_a_divergence(monkeypatch, regression_data, optimizer):
    # The guard lowers the step size by 10 without replacing the optimizer, so
    # a skorch LRScheduler bound to it goes on: every epoch's rate is the
    # schedule's, times 1/10 per recovery so far.
    import torch
    from skorch.callbacks import LRScheduler

    import sklearn_snn._base as base

    schedule = LRScheduler(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    original = base.fit_callbacks
    monkeypatch.setattr(
        base, "fit_callbacks", lambda *a, **k: original(*a, **k) + [("schedule", schedule)]
    )
    X, y = regression_data
    rate = 3.0 if optimizer == "sgd" else 1.0
    model = SNNRegressor(
        n_layers=2,
        n_units=32,
        optimizer=optimizer,
        learning_rate=rate,
        max_iter=8,
        early_stopping=False,
        batch_size=16,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="diverged"):
        model.fit(X, y)
    diverged = np.cumsum([bool(epoch.get("diverged")) for epoch in model.history_])
    assert diverged[-1] >= 1
    expected = rate * 0.5 ** np.arange(len(diverged)) * 0.1**diverged
    np.testing.assert_allclose(model.history_[:, "event_lr"], expected, rtol=1e-12)
    optimizer_ = model.net_.optimizer_
    assert schedule.lr_scheduler_.optimizer is optimizer_
    final = rate * 0.5 ** len(diverged) * 0.1 ** diverged[-1]
    assert optimizer_.param_groups[0]["lr"] == pytest.approx(final, rel=1e-12)


@pytest.mark.parametrize("early_stopping", [True, False])
def test_early_stopping_marks_the_epochs_that_improved(binary_data, early_stopping):
    # The verbose log highlights the epochs that beat the best loss by more
    # than tol: for the constant schedule as for one_cycle's best-epoch choice.
    X, y = binary_data
    monitor = "valid_loss" if early_stopping else "train_loss"
    tol = 1e-3
    clf = SNNClassifier(
        n_layers=2, n_units=16, n_ensemble=1, max_iter=200, n_iter_no_change=5, tol=tol,
        learning_rate=0.01, batch_size=32,
        early_stopping=early_stopping, random_state=0,
    ).fit(X, y)  # fmt: skip
    losses = clf.history_[:, monitor]
    marked = clf.history_[:, f"{monitor}_best"]
    best, expected = np.inf, []
    for loss in losses:
        expected.append(bool(loss < best - tol))
        best = loss if expected[-1] else best
    assert marked == expected and marked[0] and not all(marked) and clf.n_iter_ < 200


@pytest.mark.parametrize(
    "params",
    [
        {"early_stopping": True},
        {"early_stopping": False},
        {"early_stopping": True, "learning_rate_schedule": "one_cycle"},
    ],
)
def test_verbose_log_shows_the_epoch_the_fit_stops_on(binary_data, capsys, params):
    # skorch prints the epoch log after every other callback, so the stopper
    # that ends the fit would skip the last epoch's row.
    X, y = binary_data
    clf = SNNClassifier(
        n_layers=2, n_units=16, n_ensemble=1, max_iter=200, n_iter_no_change=3,
        learning_rate=0.01, batch_size=32, verbose=1, random_state=0, **params,
    ).fit(X, y)  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    stop = next(i for i, line in enumerate(lines) if line.startswith("Stopping since"))
    assert clf.n_iter_ < 200
    assert lines[stop - 1].split()[0] == str(clf.n_iter_)
    rows = [line.split()[0] for line in lines[:stop] if line.split()[0].isdigit()]
    assert rows == [str(epoch) for epoch in range(1, clf.n_iter_ + 1)]


def test_interrupt_warning_names_the_epoch_early_stopping_keeps(monkeypatch, regression_data):
    # On a Ctrl-C early stopping still restores its best epoch: the warning
    # must say so rather than promise the weights reached last.
    X, y = regression_data
    original = TensorBatchNet.train_step

    def interrupted_in_fifth_epoch(self, batch, **fit_params):
        if len(self.history) == 5:
            raise KeyboardInterrupt
        return original(self, batch, **fit_params)

    monkeypatch.setattr(TensorBatchNet, "train_step", interrupted_in_fifth_epoch)
    reg = SNNRegressor(
        n_layers=2, n_units=16, n_ensemble=1, max_iter=30, learning_rate=0.05,
        n_iter_no_change=30, random_state=0,
    )  # fmt: skip
    with pytest.warns(UserWarning, match="interrupted after 4 of 30 epochs") as record:
        reg.fit(X, y)
    losses = reg.history_[:4, "valid_loss"]
    best = int(np.argmin(losses)) + 1
    assert best < 4, "the test needs a best epoch before the last"
    message = next(str(w.message) for w in record if "interrupted" in str(w.message))
    assert f"keeps the weights of epoch {best}, the best by the validation loss" in message
    assert reg.best_validation_score_ == reg.validation_scores_[best - 1]
