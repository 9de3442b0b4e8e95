"""The one-cycle learning-rate schedule: its shape, continued fits, the divergence guard."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_snn import SNNClassifier, SNNRegressor
from sklearn_snn.training.schedule import schedule_callback

PARAMS = dict(n_layers=2, n_units=32, learning_rate=0.01, batch_size=50, random_state=0)


def batch_rates(history):
    # Validation batches, and epochs without a schedule, record no rate.
    return [batch["event_lr"] for epoch in history for batch in epoch["batches"] if batch]


def test_constant_has_no_callback_and_unknown_names_are_refused():
    assert schedule_callback("constant", 0.1, 10) is None
    with pytest.raises(ValueError, match="learning_rate_schedule must be one of"):
        schedule_callback("cosine-ish", 0.1, 10)


def test_one_cycle_warms_up_then_decays_over_every_batch_of_the_fit(classification_data):
    X, y = classification_data  # 300 rows: 270 train, 6 batches of up to 50
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reaching max_iter is the plan: no warning
        clf = SNNClassifier(**PARAMS, max_iter=20, learning_rate_schedule="one_cycle").fit(X, y)
    rates = batch_rates(clf.history_)
    assert len(rates) == 20 * 6
    peak = int(np.argmax(rates))
    assert 10 <= peak <= 12 and rates[peak] == pytest.approx(0.01, rel=0.01)  # 10% of 120
    assert rates[0] == pytest.approx(0.01 / 25)
    assert np.all(np.diff(rates[: peak + 1]) > 0) and np.all(np.diff(rates[peak:]) < 0)
    assert rates[-1] < 1e-5
    assert clf.score(X, y) > 0.85


def test_continued_fits_restart_the_cycle_and_partial_fit_is_constant(classification_data):
    X, y = classification_data
    clf = SNNClassifier(**PARAMS, max_iter=5, learning_rate_schedule="one_cycle").fit(X, y)
    assert clf.net_.optimizer_.param_groups[0]["lr"] < 1e-4  # the cycle ended low
    clf.partial_fit(X, y)
    assert clf.net_.optimizer_.param_groups[0]["lr"] == 0.01
    assert batch_rates(clf.history_[-1:]) == []
    clf.set_params(warm_start=True, max_iter=4).fit(X, y)
    rates = batch_rates(clf.history_[-4:])
    assert len(rates) == 4 * 6 and rates[0] == pytest.approx(0.01 / 25)
    assert max(rates) == pytest.approx(0.01, rel=0.01)


def test_a_divergence_scales_the_rest_of_the_cycle(regression_data):
    # Plain SGD at a step size far too large: the guard undoes the epoch and
    # scales the schedule by 1/10, which then goes on to its end.
    X, y = regression_data
    model = SNNRegressor(
        n_layers=2,
        n_units=32,
        optimizer="sgd",
        learning_rate=3.0,
        max_iter=8,
        early_stopping=False,
        batch_size=16,
        random_state=0,
        learning_rate_schedule="one_cycle",
    )
    with pytest.warns(ConvergenceWarning, match="diverged"):
        model.fit(X, y)
    diverged = np.cumsum([bool(epoch.get("diverged")) for epoch in model.history_])
    assert diverged[-1] >= 1 and len(model.history_) == 8
    first = int(np.argmax(diverged))  # the epoch the first recovery happened in
    before = model.history_[first]["batches"][-1]["event_lr"]
    after = model.history_[first + 1]["batches"][0]["event_lr"]
    assert after < before / 5  # 1/10, and the cycle moves on by one step
    assert np.isfinite(model.predict(X)).all()


@pytest.mark.parametrize("max_iter", [1, 2, 3, 9, 10, 11])
def test_one_cycle_trains_over_any_number_of_steps(classification_data, max_iter):
    # 270 training rows in batches of 27: ten steps per epoch. Ten steps in all
    # once gave torch's policy a warm-up of zero width and a division by zero.
    X, y = classification_data
    params = dict(PARAMS, batch_size=27, max_iter=max_iter, learning_rate_schedule="one_cycle")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = SNNClassifier(**params).fit(X, y)
    rates = batch_rates(clf.history_)
    assert len(rates) == 10 * max_iter
    assert rates[0] == pytest.approx(0.01 / 25) and max(rates) == pytest.approx(0.01, rel=0.01)
    assert np.all(np.isfinite(clf.predict_proba(X)))
