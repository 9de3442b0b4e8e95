"""Temperature scaling: fitted by log loss, folded into the output layer."""

import numpy as np
import pytest
import torch
from scipy.special import log_softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss

from sklearn_snn import SNNClassifier
from sklearn_snn.training.temperature import fit_temperature


@pytest.mark.parametrize("true_temperature", [0.3, 1.0, 4.0])
def test_recovers_the_temperature_of_calibrated_logits(rng, true_temperature):
    logits = rng.normal(scale=3.0, size=(20000, 4))
    proba = np.exp(log_softmax(logits, axis=1))
    y = np.array([rng.choice(4, p=p) for p in proba])
    found = fit_temperature(logits * true_temperature, y, np.ones(len(y)), "multiclass")
    assert found == pytest.approx(true_temperature, rel=0.05)


def test_weights_count_and_nothing_to_fit_gives_one(rng):
    logits = rng.normal(scale=3.0, size=(4000, 1))
    y = (rng.uniform(size=(4000, 1)) < 1 / (1 + np.exp(-logits))).astype(float)
    scaled = logits * 2.0
    # Weight 0 on half the rows: only the other half, made calibrated at T=1, counts.
    scaled[2000:] = logits[2000:]
    weight = np.r_[np.zeros(2000), np.ones(2000)]
    assert fit_temperature(scaled, y, weight, "binary") == pytest.approx(1.0, abs=0.1)
    assert fit_temperature(scaled[:0], y[:0], weight[:0], "binary") == 1.0
    assert fit_temperature(np.full((3, 1), np.nan), y[:3], np.ones(3), "binary") == 1.0


@pytest.mark.parametrize("data", ["binary_data", "classification_data"])
def test_smoothed_fits_are_calibrated_without_changing_predictions(request, data):
    X, y = request.getfixturevalue(data)
    params = dict(
        n_layers=2, n_units=32, n_ensemble=1, learning_rate=0.01, max_iter=40, random_state=0
    )
    clf = SNNClassifier(**params, label_smoothing=0.3, early_stopping=False).fit(X, y)
    temperature = clf.temperature_
    assert temperature < 0.9  # smoothing made the network under-confident
    calibrated = clf.predict_proba(X)
    raw = clf.decision_function(X) * temperature  # the logits before calibration
    raw = raw[:, None] if raw.ndim == 1 else raw
    uncalibrated = np.exp(clf._log_proba(raw))
    assert log_loss(y, calibrated) < log_loss(y, uncalibrated)
    np.testing.assert_array_equal(calibrated.argmax(1), uncalibrated.argmax(1))
    assert SNNClassifier(**params, label_smoothing=0.0).fit(X, y).temperature_ == 1.0


def test_a_warm_start_trains_with_the_new_smoothing(classification_data):
    X, y = classification_data
    clf = SNNClassifier(
        n_layers=2, n_units=16, max_iter=3, label_smoothing=0.0, random_state=0, warm_start=True
    )
    with pytest.warns(Warning):
        clf.fit(X, y)
    assert clf.net_.criterion_.label_smoothing == 0.0
    with pytest.warns(Warning):
        clf.set_params(label_smoothing=0.2).fit(X, y)
    assert clf.net_.criterion_.label_smoothing == 0.2


def test_label_smoothing_of_one_is_refused(classification_data):
    with pytest.raises(ValueError, match="label_smoothing"):
        SNNClassifier(label_smoothing=1.0).fit(*classification_data)


def test_a_few_perfectly_separated_rows_do_not_drive_the_temperature_to_its_bound():
    # Twelve held-out rows, all right with a margin: without a prior the log
    # loss falls all the way to T = 1/20, and test probabilities become 0 or 1.
    y = np.array([0, 1] * 6)
    logits = np.where(y == 1, 4.0, -4.0)[:, None]
    few = fit_temperature(logits, y[:, None], np.ones(12), "binary")
    assert 0.9 < few < 1.0
    many = fit_temperature(
        np.tile(logits, (500, 1)), np.tile(y, 500)[:, None], np.ones(6000), "binary"
    )
    assert many < 0.6  # thousands of rows decide


@pytest.mark.parametrize("data", ["binary_data", "classification_data"])
def test_an_ensemble_is_calibrated_on_its_averaged_probabilities(request, data):
    X, y = request.getfixturevalue(data)
    params = dict(n_layers=2, n_units=16, learning_rate=0.01, max_iter=30, random_state=0)
    clf = SNNClassifier(**params, n_ensemble=3, label_smoothing=0.3, early_stopping=False)
    clf.fit(X, y)
    assert clf.temperature_ < 0.9
    # Undo the folded temperature: the averaged probabilities were worse calibrated.
    module = clf.module_
    calibrated = clf.predict_proba(X)
    with torch.no_grad():
        module.output.weight.mul_(clf.temperature_)
        module.output.bias.mul_(clf.temperature_)
    uncalibrated = clf.predict_proba(X)
    assert log_loss(y, calibrated) < log_loss(y, uncalibrated)
    # Scaling each member's logits before averaging may flip a row where they disagree.
    assert np.mean(calibrated.argmax(1) == uncalibrated.argmax(1)) > 0.98


def _smoothed(**params):
    base = dict(n_layers=2, n_units=32, n_ensemble=1, learning_rate=0.01, max_iter=40)
    smoothing = dict(label_smoothing=0.3, early_stopping=False, random_state=0)
    return SNNClassifier(**base, **smoothing, **params)


def test_a_warm_start_trains_and_calibrates_the_networks_own_logits(classification_data):
    X, y = classification_data
    clf = _smoothed(warm_start=True).fit(X, y)
    first = clf.temperature_
    assert first < 0.9
    logits = clf.decision_function(X)
    # A continued fit that barely moves the weights finds the same temperature
    # again: it calibrates the trained logits, not the calibrated ones (T ≈ 1).
    clf.set_params(optimizer="sgd", learning_rate=1e-9, max_iter=2)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.temperature_ == pytest.approx(first, rel=1e-3)
    np.testing.assert_allclose(clf.decision_function(X), logits, rtol=1e-3, atol=1e-4)


def test_partial_fit_keeps_the_latest_fits_temperature(classification_data):
    X, y = classification_data
    clf = _smoothed().fit(X, y)
    first, logits = clf.temperature_, clf.decision_function(X)
    clf.set_params(optimizer="sgd", learning_rate=1e-9).partial_fit(X, y)
    assert clf.temperature_ == first
    np.testing.assert_allclose(clf.decision_function(X), logits, rtol=1e-3, atol=1e-4)
    fresh = _smoothed().partial_fit(X, y, classes=np.unique(y))
    assert fresh.temperature_ == 1.0
