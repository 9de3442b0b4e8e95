"""A fit that raises leaves the estimator as it was; continued fits keep their network."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from sklearn_snn import SNNClassifier, SNNRegressor


def _state(estimator):
    """Predictions, fitted attributes and weights to compare before and after a call."""
    return (
        {k: v for k, v in vars(estimator).items() if k.endswith("_") and k != "net_"},
        {k: v.clone() for k, v in estimator.module_.state_dict().items()},
        len(estimator.history_),
    )


def _assert_unchanged(estimator, state, X, predictions):
    attributes, weights, n_epochs = state
    for name, value in attributes.items():
        assert getattr(estimator, name) is value, f"{name} changed"
    for name, tensor in estimator.module_.state_dict().items():
        assert torch.equal(tensor, weights[name]), f"weights {name} changed"
    assert len(estimator.history_) == n_epochs
    np.testing.assert_array_equal(estimator.predict_proba(X), predictions)


@pytest.mark.usefixtures("quiet_convergence")
def test_failed_refit_keeps_the_previous_model(classification_data, small_params):
    X, y = classification_data
    labels = np.array(["a", "b", "c"])[y]
    clf = SNNClassifier(**small_params).fit(X, labels)
    predictions, state = clf.predict_proba(X), _state(clf)
    # Each fails after the old fit's attributes (features, classes,
    # standardization) would have been replaced.
    with pytest.raises(ValueError, match="non-zero"):
        clf.fit(X[:, :5] * 10, y, sample_weight=np.zeros(len(y)))
    _assert_unchanged(clf, state, X, predictions)
    with pytest.raises(ValueError, match="validation_fraction=0.999 cannot split 30 samples"):
        clf.set_params(early_stopping=True, validation_fraction=0.999).fit(X[:30] + 5, y[:30])
    _assert_unchanged(clf, state, X, predictions)
    np.testing.assert_array_equal(clf.classes_, ["a", "b", "c"])


@pytest.mark.usefixtures("quiet_convergence")
def test_diverged_fit_leaves_an_unfitted_or_the_previous_model(regression_data):
    X, y = regression_data
    # Batches of 64: several steps per epoch, so that the guard cannot undo the
    # step that broke the network and the fit fails.
    params = dict(
        n_layers=2,
        n_units=16,
        n_ensemble=1,
        batch_size=64,
        optimizer="sgd",
        max_iter=5,
        random_state=0,
    )
    reg = SNNRegressor(**params, learning_rate=1e9)
    with pytest.raises(ValueError, match="Training diverged"):
        reg.fit(X, y)
    assert not [k for k in vars(reg) if k.endswith("_")], "no fitted attribute may remain"
    with pytest.raises(NotFittedError):
        reg.predict(X)

    reg.set_params(learning_rate=1e-3).fit(X, y)
    predictions, state = reg.predict(X), _state(reg)
    for warm_start in (False, True):  # a new network, and the fitted one trained further
        with pytest.raises(ValueError, match="Training diverged"):
            reg.set_params(learning_rate=1e9, warm_start=warm_start).fit(X, y)
        attributes, weights, n_epochs = state
        for name, tensor in reg.module_.state_dict().items():
            assert torch.equal(tensor, weights[name])
        assert len(reg.history_) == n_epochs and reg.n_iter_ == attributes["n_iter_"]
        np.testing.assert_array_equal(reg.predict(X), predictions)
    # The step size the continued fit lowered is back as it was.
    assert reg.net_.lr == 1e-3
    assert reg.net_.optimizer_.param_groups[0]["lr"] == 1e-3


@pytest.mark.usefixtures("quiet_convergence")
@pytest.mark.parametrize(
    "change",
    [
        {"n_units": 64},
        {"n_layers": 3},
        {"shape": "conic"},
        {"dropout": 0.1},
        {"fixed_point": (0.0, 2.0)},
        {"standardize": False},
    ],
)
def test_continued_fit_refuses_another_network(classification_data, small_params, change):
    X, y = classification_data
    clf = SNNClassifier(**small_params, warm_start=True).fit(X, y)
    predictions, state = clf.predict_proba(X), _state(clf)
    name = next(iter(change))
    clf.set_params(**change)
    with pytest.raises(ValueError, match=f"cannot change: {name}="):
        clf.fit(X, y)
    with pytest.raises(ValueError, match=f"cannot change: {name}="):
        clf.partial_fit(X, y)
    _assert_unchanged(clf, state, X, predictions)
    clf.set_params(warm_start=False).fit(X, y)  # a new network may differ
    assert clf.n_iter_ == small_params["max_iter"]


@pytest.mark.usefixtures("quiet_convergence")
def test_continued_fit_takes_new_optimizer_settings(classification_data, small_params):
    X, y = classification_data
    clf = SNNClassifier(**small_params, warm_start=True).fit(X, y)
    optimizer = clf.net_.optimizer_
    clf.fit(X, y)
    assert clf.net_.optimizer_ is optimizer, "unchanged settings keep the optimizer's state"
    clf.set_params(optimizer="sgd", learning_rate=0.05, weight_decay=1e-3).fit(X, y)
    optimizer = clf.net_.optimizer_
    assert isinstance(optimizer, torch.optim.SGD)
    assert optimizer.param_groups[0]["lr"] == 0.05
    assert optimizer.param_groups[0]["weight_decay"] == 1e-3
    assert clf.n_iter_ == 3 * small_params["max_iter"]
    clf.set_params(learning_rate=0.01).partial_fit(X, y)
    assert clf.net_.optimizer_.param_groups[0]["lr"] == 0.01


@pytest.mark.usefixtures("quiet_convergence")
def test_failed_continued_fit_leaves_the_next_fit_as_if_it_never_ran(regression_data):
    # The random generator (shuffling, dropout) is part of the state put back.
    X, y = regression_data
    params = dict(n_layers=2, n_units=16, optimizer="sgd", learning_rate=1e-3, dropout=0.1)
    failed, twin = (SNNRegressor(**params, max_iter=3, random_state=0).fit(X, y) for _ in "ab")
    before = failed.predict(X)
    with pytest.raises(ValueError, match="Training diverged"):
        failed.set_params(warm_start=True, learning_rate=1e9, max_iter=8).fit(X, y)
    np.testing.assert_array_equal(failed.predict(X), before)
    # Prediction reads the float64 copy made for the weights put back, not a new one each call.
    assert failed._inference.module() is failed._inference.module()
    for model in (failed, twin):
        model.set_params(warm_start=True, learning_rate=1e-3, max_iter=3).fit(X, y)
    for name, tensor in failed.module_.state_dict().items():
        assert torch.equal(tensor, twin.module_.state_dict()[name])


def test_warnings_point_at_the_caller_and_as_errors_keep_the_fit(binary_data):
    X, y = binary_data
    clf = SNNClassifier(n_layers=1, n_units=8, max_iter=2, random_state=0)
    with pytest.warns(ConvergenceWarning) as record:
        clf.fit(X, y)
    assert [w.filename for w in record] == [__file__] * len(record)
    assert any("Maximum iterations" in str(w.message) for w in record)
    fitted = clf.predict_proba(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="Maximum iterations"):
            clf.set_params(random_state=1).fit(X, y)
    # The fit finished before the warning: scikit-learn keeps such a fit.
    assert clf.n_iter_ == 2
    assert not np.array_equal(clf.predict_proba(X), fitted)
