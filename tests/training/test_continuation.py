"""What a continued fit may change: the architecture is fixed, optimizer settings are not."""

import numpy as np
import pytest

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
