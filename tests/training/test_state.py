"""The saved state of a net (pickle, joblib, skops), and the seeds and generators of a fit.

``test_integration.py`` checks that a pickle or joblib round trip keeps
predictions; here the restored model must also keep its fitted attributes,
train on identically, and load in a fresh interpreter. The skops tests pin
the list of types a user has to trust, which ``docs/saving_models.md`` quotes.
"""

import io
import json
import os
import pickle
import subprocess
import sys
import warnings
import zipfile

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_snn import SNNClassifier, SNNRegressor
from sklearn_snn.training.state import (
    draw_seed,
    initialization_generator,
    net_state,
    restore_generator,
    restore_net,
    training_generator,
)

TINY = {"n_layers": 2, "n_units": 16, "max_iter": 8, "learning_rate": 0.01, "random_state": 0}

# The types skops.io.get_untrusted_types reports for a file holding each
# estimator, alone or in a Pipeline with scikit-learn's own transformers.
SKOPS_TRUSTED = {
    SNNClassifier: ["sklearn_snn._classifier.SNNClassifier"],
    SNNRegressor: ["sklearn_snn._regressor.SNNRegressor"],
}


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(params=["classifier", "regressor", "classifier-ensemble"])
def fitted(request, classification_data, regression_data):
    """A fitted estimator with dropout (an ensemble of 3 for the last), and its training data."""
    if request.param.startswith("classifier"):
        Estimator, (X, y) = SNNClassifier, classification_data
    else:
        Estimator, (X, y) = SNNRegressor, regression_data
    n_ensemble = 3 if request.param.endswith("ensemble") else 1
    return Estimator(**TINY, dropout=0.05, n_ensemble=n_ensemble).fit(X, y), X, y


def _outputs(model, X):
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    return model.predict(X)


def _pickle(model, tmp_path):
    return pickle.loads(pickle.dumps(model))


def _joblib_compressed(model, tmp_path):
    joblib.dump(model, tmp_path / "model.joblib", compress=3)
    return joblib.load(tmp_path / "model.joblib")


@pytest.mark.parametrize("round_trip", [_pickle, _joblib_compressed])
def test_round_trip_keeps_fitted_attributes(fitted, tmp_path, round_trip):
    model, X, _ = fitted
    restored = round_trip(model, tmp_path)
    assert restored.get_params() == model.get_params()
    assert restored.n_iter_ == model.n_iter_
    assert restored.loss_curve_ == model.loss_curve_
    assert restored.n_features_in_ == model.n_features_in_
    assert restored.n_outputs_ == model.n_outputs_
    assert list(restored.history_[:, "train_loss"]) == list(model.history_[:, "train_loss"])
    if hasattr(model, "classes_"):
        np.testing.assert_array_equal(restored.classes_, model.classes_)
    np.testing.assert_array_equal(_outputs(restored, X), _outputs(model, X))


@pytest.mark.parametrize("round_trip", [_pickle, _joblib_compressed])
def test_training_after_round_trip_is_bit_identical(fitted, tmp_path, round_trip):
    # The optimizer state and the dropout/shuffling generator travel with the
    # model, so further epochs follow exactly the path they would have taken.
    model, X, y = fitted
    restored = round_trip(model, tmp_path)
    model.partial_fit(X, y)
    restored.partial_fit(X, y)
    assert restored.n_iter_ == model.n_iter_
    np.testing.assert_array_equal(_outputs(restored, X), _outputs(model, X))
    model.set_params(warm_start=True, max_iter=3).fit(X, y)
    restored.set_params(warm_start=True, max_iter=3).fit(X, y)
    assert restored.loss_curve_ == model.loss_curve_
    np.testing.assert_array_equal(_outputs(restored, X), _outputs(model, X))


def test_round_trip_keeps_feature_names_and_string_labels(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(90, 3)), columns=["age", "income", "tenure"])
    labels = np.array(["churn", "stay", "upgrade"])[rng.integers(0, 3, 90)]
    model = SNNClassifier(**TINY, early_stopping=True).fit(frame, labels)
    restored = _joblib_compressed(model, tmp_path)
    assert list(restored.feature_names_in_) == ["age", "income", "tenure"]
    assert restored.validation_scores_ == model.validation_scores_
    np.testing.assert_array_equal(restored.predict(frame), model.predict(frame))
    with pytest.raises(ValueError, match="feature names"):
        restored.predict(frame[["income", "age", "tenure"]])


def test_joblib_file_predicts_identically_in_a_fresh_interpreter(fitted, tmp_path):
    model, X, y = fitted
    pipeline = make_pipeline(StandardScaler(), clone(model)).fit(X, y)
    joblib.dump(pipeline, tmp_path / "model.joblib")
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", _outputs(pipeline, X))
    script = f"""
import joblib, numpy as np
model = joblib.load({str(tmp_path / "model.joblib")!r})
X = np.load({str(tmp_path / "X.npy")!r})
out = model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)
np.testing.assert_array_equal(out, np.load({str(tmp_path / "expected.npy")!r}))
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# skops.io: loading without executing arbitrary code.


def test_skops_lists_only_the_estimator_as_untrusted(fitted):
    sio = pytest.importorskip("skops.io")
    model, X, y = fitted
    data = sio.dumps(make_pipeline(StandardScaler(), clone(model)).fit(X, y))
    assert sio.get_untrusted_types(data=data) == SKOPS_TRUSTED[type(model)]


def test_skops_round_trip_with_the_documented_trusted_types(fitted, tmp_path):
    sio = pytest.importorskip("skops.io")
    model, X, y = fitted
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    restored = sio.load(path, trusted=SKOPS_TRUSTED[type(model)])
    assert type(restored) is type(model)
    assert restored.n_iter_ == model.n_iter_
    np.testing.assert_array_equal(_outputs(restored, X), _outputs(model, X))
    model.partial_fit(X, y)
    restored.partial_fit(X, y)
    np.testing.assert_array_equal(_outputs(restored, X), _outputs(model, X))


def test_skops_refuses_the_estimator_unless_trusted(fitted, tmp_path):
    sio = pytest.importorskip("skops.io")
    from skops.io.exceptions import UntrustedTypesFoundException

    model, _, _ = fitted
    sio.dump(model, tmp_path / "model.skops")
    with pytest.raises(UntrustedTypesFoundException, match="sklearn_snn"):
        sio.load(tmp_path / "model.skops")


def _malicious_skops_file(path, code):
    """A skops file whose loading would call ``exec(code)``.

    skops rebuilds some objects as ``cls(*args)``; naming ``builtins.exec``
    as the class turns that into code execution unless the audit stops it.
    """
    sio = pytest.importorskip("skops.io")
    arguments = json.loads(zipfile.ZipFile(io.BytesIO(sio.dumps((code,)))).read("schema.json"))
    schema = {
        "__class__": "exec",
        "__module__": "builtins",
        "__loader__": "ConstructorFromReduceNode",
        "content": {k: v for k, v in arguments.items() if k not in ("protocol", "_skops_version")},
        "protocol": arguments["protocol"],
        "_skops_version": arguments["_skops_version"],
    }
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", json.dumps(schema))


def test_malicious_skops_file_does_not_run_code(tmp_path):
    sio = pytest.importorskip("skops.io")
    from skops.io.exceptions import UntrustedTypesFoundException

    marker = tmp_path / "code_ran"
    path = tmp_path / "model.skops"
    _malicious_skops_file(path, f"open({str(marker)!r}, 'w').close()")

    assert "builtins.exec" in sio.get_untrusted_types(file=path)
    trusted = SKOPS_TRUSTED[SNNClassifier] + SKOPS_TRUSTED[SNNRegressor]
    with pytest.raises(UntrustedTypesFoundException, match="builtins.exec"):
        sio.load(path, trusted=trusted)
    with pytest.raises(UntrustedTypesFoundException):
        sio.load(path)
    assert not marker.exists()
    # The payload is live: only trusting exec itself lets it run.
    sio.load(path, trusted=["builtins.exec"])
    assert marker.exists()
    os.remove(marker)


def test_weights_of_another_architecture_raise_a_clear_error(regression_data):
    # A model saved when a conic network for one output still ended in a 1-unit
    # layer: its weights no longer fit the widths this version builds.
    X, y = regression_data
    model = SNNRegressor(
        n_layers=4, n_units=4, shape="conic", n_ensemble=1, max_iter=2, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    state = model.__getstate__()
    weights = state["_net_state"]["module"]
    assert weights["hidden.3.0.weight"].shape == (2, 2)
    weights["hidden.3.0.weight"] = weights["hidden.3.0.weight"][:1]
    weights["hidden.3.0.bias"] = weights["hidden.3.0.bias"][:1]
    weights["output.weight"] = weights["output.weight"][:, :1]
    loaded = SNNRegressor.__new__(SNNRegressor)
    with pytest.raises(ValueError, match=r"(?s)saved by another version.*hidden.3.0.weight"):
        loaded.__setstate__(state)


# Seeds and generators: one seed per fit, two streams, restored where they fit.


def test_draw_seed_is_deterministic_for_ints_and_advances_a_random_state():
    seeds = [draw_seed(seed) for seed in (0, 0, 1)]
    assert seeds[0] == seeds[1] != seeds[2]
    assert seeds[0] == np.random.RandomState(0).randint(2**31 - 1)
    state = np.random.RandomState(5)
    first, second = draw_seed(state), draw_seed(state)
    assert first != second and first == draw_seed(5)
    assert all(0 <= draw_seed(None) < 2**31 - 1 for _ in range(5))


def test_training_stream_is_apart_from_the_initial_weights_stream():
    initial = torch.rand(8, generator=initialization_generator(3))
    training = torch.rand(8, generator=training_generator(3, "cpu"))
    assert not torch.equal(initial, training)
    assert torch.equal(initial, torch.rand(8, generator=initialization_generator(3)))
    assert torch.equal(training, torch.rand(8, generator=training_generator(3, "cpu")))
    assert not torch.equal(training, torch.rand(8, generator=training_generator(4, "cpu")))
    assert training_generator(3, "cpu").device == torch.device("cpu")


def test_restore_generator_continues_a_saved_stream():
    generator = training_generator(3, "cpu")
    torch.rand(5, generator=generator)
    saved = generator.get_state().numpy()  # as net_state stores it
    expected = torch.rand(5, generator=generator)
    restored = torch.Generator()
    restore_generator(restored, saved, seed=3)
    assert torch.equal(torch.rand(5, generator=restored), expected)


def test_restore_generator_reseeds_where_the_state_does_not_fit():
    # A CUDA generator's state (16 bytes) loaded on a machine without a GPU.
    generator = torch.Generator().manual_seed(123)
    restore_generator(generator, np.zeros(16, dtype=np.uint8), seed=3)
    fresh = training_generator(3, "cpu")
    assert torch.equal(torch.rand(5, generator=generator), torch.rand(5, generator=fresh))


def _types(value):
    if isinstance(value, dict):
        return {dict}.union(*(_types(v) for v in value.values()))
    if isinstance(value, list | tuple):
        return {type(value)}.union(*(_types(v) for v in value))
    return {type(value)}


def test_net_state_holds_no_torch_objects_and_restores_the_net(fitted):
    model, X, y = fitted
    state = net_state(model.net_)
    assert {t.__module__.split(".")[0] for t in _types(state)} <= {"builtins", "numpy"}
    twin = clone(model).fit(X[:10], y[:10])  # the same architecture, other weights
    restore_net(twin.net_, state)
    for name, tensor in model.net_.module_.state_dict().items():
        assert torch.equal(twin.net_.module_.state_dict()[name], tensor)
    assert twin.net_.lr == model.net_.lr
    assert list(twin.net_.history[:, "train_loss"]) == list(model.net_.history[:, "train_loss"])
    assert torch.equal(twin.net_.generator_.get_state(), model.net_.generator_.get_state())


def test_smooth_clip_saved_before_zero_one_clamping_loads_and_clamps_nothing(binary_data):
    # Models saved before 0/1 columns were clamped stored (center, columns, bound):
    # they load, predict as before on training values, and leave those columns as
    # they were saved to (unclamped), so a saved model never changes its answers.
    X, y = binary_data
    X = np.column_stack([X, X[:, 0] > 0]).astype(float)
    model = SNNClassifier(**TINY).fit(X, y)
    state = model.__getstate__()
    state["_input_clip"] = state["_input_clip"][:3]
    old = SNNClassifier.__new__(SNNClassifier)
    old.__setstate__(state)
    np.testing.assert_array_equal(old.predict_proba(X), model.predict_proba(X))
    beyond = X[:5].copy()
    beyond[:, -1] = 50.0
    assert old._prepare_input(beyond)[:, -1].tolist() == [50.0] * 5
    assert model._prepare_input(beyond)[:, -1].tolist() == [1.0] * 5
