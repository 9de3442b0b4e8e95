"""What a continued fit may change: the architecture is fixed, optimizer settings are not."""

import numpy as np
import pytest
import torch

from sklearn_snn import SNNClassifier
from sklearn_snn.training.continuation import check_continuation, net_config


@pytest.fixture
def fitted():
    params = SNNClassifier().get_params()
    return params, net_config(params)


def test_unchanged_parameters_pass_and_lists_equal_tuples(fitted):
    params, config = fitted
    assert check_continuation(params, config, "cpu") is None
    for same in ([0.0, 1.0], np.array([0.0, 1.0])):
        assert check_continuation(dict(params, fixed_point=same), config, "cpu") is None
    with pytest.raises(ValueError, match=r"fixed_point=array\(\[0.5, 1. \]\)"):
        check_continuation(dict(params, fixed_point=np.array([0.5, 1.0])), config, "cpu")


def test_every_changed_architecture_parameter_is_named(fitted):
    params, config = fitted
    changed = dict(params, n_layers=2, n_ensemble=3, standardize=True)
    with pytest.raises(ValueError) as error:
        check_continuation(changed, config, "cpu")
    message = str(error.value)
    assert "n_layers=2 (fitted with 4)" in message
    assert "n_ensemble=3 (fitted with 4)" in message
    assert "standardize=True (fitted with 'smooth_clip')" in message


def test_a_model_saved_before_n_ensemble_counts_as_one_network(fitted):
    params, config = fitted
    old = {key: value for key, value in config.items() if key != "n_ensemble"}
    assert check_continuation(dict(params, n_ensemble=1), old, "cpu") is None
    with pytest.raises(ValueError, match="n_ensemble=2"):
        check_continuation(dict(params, n_ensemble=2), old, "cpu")


def test_new_optimizer_settings_are_returned(fitted):
    params, config = fitted
    settings = check_continuation(dict(params, learning_rate=0.5), config, "cpu")
    assert settings == {"optimizer": "adam", "learning_rate": 0.5, "weight_decay": 0.0}


def test_another_device_kind_is_refused(fitted):
    params, config = fitted
    with pytest.raises(ValueError, match=r"device='cpu' \(fitted on 'cuda:0'\)"):
        check_continuation(params, config, "cuda:0")


def test_auto_continues_where_the_network_lives(fitted, monkeypatch, small_params):
    # A model fitted with device="auto" without a GPU goes on training on the
    # CPU on a machine that has one, rather than refusing a change not asked for.
    params, config = fitted
    params = {**params, "device": "auto"}
    assert check_continuation(params, config, "cpu") is None
    assert check_continuation(params, config, "cuda:0") is None
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    clf = SNNClassifier(**small_params, device="auto").fit(X, y)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    clf.partial_fit(X, y)
    clf.set_params(warm_start=True).fit(X, y)
    assert clf.net_.device == "cpu" and np.isfinite(clf.predict_proba(X)).all()


def test_warnings_of_a_continued_fit_point_at_the_caller(small_params):
    # partial_fit runs through one more wrapper than fit: the warning's line
    # must still be the caller's, for filters and the once-per-line rule.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    first = X.copy()
    first[:, 1] = 1.0  # constant in the first batch: a UserWarning
    with pytest.warns(UserWarning, match="constant") as record:
        SNNClassifier(**small_params).partial_fit(first, y, classes=[0, 1])
    with pytest.warns(UserWarning, match="Maximum iterations") as more:  # max_iter < patience
        SNNClassifier(**small_params).fit(X, y)
    assert {warning.filename for warning in [*record, *more]} == {__file__}
