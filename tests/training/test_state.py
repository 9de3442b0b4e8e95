"""Saving and loading fitted estimators with pickle, joblib and skops.

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
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_snn import SNNClassifier, SNNRegressor

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


@pytest.fixture(params=["classifier", "regressor"])
def fitted(request, classification_data, regression_data):
    """A fitted estimator with dropout, and its training data."""
    if request.param == "classifier":
        Estimator, (X, y) = SNNClassifier, classification_data
    else:
        Estimator, (X, y) = SNNRegressor, regression_data
    return Estimator(**TINY, dropout=0.05).fit(X, y), X, y


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
    model = SNNRegressor(n_layers=4, n_units=4, shape="conic", max_iter=2, random_state=0)
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
