"""Golden predictions: restructuring the code must not change a single bit.

The stored outputs were made by the code before it was restructured, for
fixed configurations that cover every stage of ``fit``: both estimators,
early stopping with its validation split, dropout, sparse input, sample and
class weights, a continued ``warm_start`` fit with new optimizer settings,
``partial_fit``, a pickled model that goes on training, and a fit whose
divergence guard steps in. Every parameter that shapes training is spelled
out, so a change of defaults leaves these numbers alone.

On the CPU model and torch build that made them, training must match bit
for bit; the outputs, computed in float64 from those weights, to 1e-12 (CPUs
that report the same capability may still sum float64 products in another
order). Elsewhere float32 kernels may round differently, and training
amplifies that, so only closeness is required there. Regenerate (only for an
intended change of behaviour) with ``python tests/test_golden.py``.
"""

import pickle
import platform
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from sklearn_snn import SNNClassifier, SNNRegressor

GOLDEN = Path(__file__).parent / "data" / "golden_predictions.npz"

BASE = {
    "n_layers": 2,
    "n_units": 32,
    "n_ensemble": 1,
    "shape": "rectangular",
    "dropout": 0.0,
    "optimizer": "adam",
    "learning_rate": 0.01,
    "learning_rate_schedule": "constant",
    "weight_decay": 0.0,
    "batch_size": 32,
    "max_iter": 12,
    "early_stopping": False,
    "validation_fraction": 0.1,
    "n_iter_no_change": 5,
    "tol": 1e-4,
    "standardize": True,
    "spline_knots": None,
    "device": "cpu",
    "random_state": 0,
    "verbose": 0,
    "warm_start": False,
    "fixed_point": (0.0, 1.0),
    "categorical_features": "from_dtype",
}


def _classification(n_classes=3, seed=0):
    X, y = make_classification(
        n_samples=240, n_features=7, n_informative=5, n_classes=n_classes, random_state=seed
    )
    # Features on different scales and offsets, so standardization matters.
    return X * np.array([1, 100, 0.01, 5, 1, 30, 2]) + np.array([0, 7, -3, 0, 50, 0, 1]), y


def _classifier(**params):
    # The classifier's own training parameter, spelled out like BASE.
    return SNNClassifier(label_smoothing=0.0, **params)


def _regression():
    X, y = make_regression(n_samples=200, n_features=6, noise=2.0, random_state=3)
    return X * 10 + 3, 100 * y - 40


def _sample_weight(n):
    return np.random.default_rng(5).integers(0, 4, n).astype(float) + 0.5


def _outputs(model, X):
    if isinstance(model, SNNClassifier):
        return {"output": model.predict_proba(X), "loss": np.asarray(model.loss_curve_)}
    return {"output": model.predict(X), "loss": np.asarray(model.loss_curve_)}


def _case_classifier_early_stopping():
    X, y = _classification()
    model = _classifier(**{**BASE, "early_stopping": True, "max_iter": 15}).fit(X, y)
    return _outputs(model, X)


def _case_classifier_dropout_weights():
    X, y = _classification(n_classes=2, seed=1)
    model = _classifier(**{**BASE, "dropout": 0.05})
    model.fit(X, y, sample_weight=_sample_weight(len(y)))
    return _outputs(model, X)


def _case_classifier_balanced_multilabel():
    X, y = _classification()
    Y = np.column_stack([y == 0, y == 1, X[:, 0] > 0]).astype(int)
    model = _classifier(**{**BASE, "class_weight": "balanced"}).fit(X, Y)
    return _outputs(model, X)


def _case_classifier_balanced_multiclass():
    X, y = _classification()
    keep = (y != 2) | (np.arange(len(y)) % 4 == 0)  # class 2 rare
    model = _classifier(**{**BASE, "class_weight": "balanced"}).fit(X[keep], y[keep])
    return _outputs(model, X)


def _case_classifier_sparse_conic_sgd():
    X, y = _classification()
    X = sp.csr_matrix(np.where(np.abs(X) > 1, X, 0.0))
    params = {**BASE, "shape": "conic", "optimizer": "sgd", "learning_rate": 0.05}
    model = _classifier(**{**params, "early_stopping": True}).fit(X, y)
    return _outputs(model, X)


def _case_regressor_dropout_early_stopping():
    X, y = _regression()
    params = {**BASE, "dropout": 0.05, "early_stopping": True, "max_iter": 15}
    model = SNNRegressor(**params).fit(X, y, sample_weight=_sample_weight(len(y)))
    return _outputs(model, X)


def _case_regressor_sparse_multioutput():
    X, y = _regression()
    X = sp.csc_matrix(np.where(np.abs(X - 3) > 8, X, 0.0))
    Y = np.column_stack([y, -0.5 * y + 7])
    model = SNNRegressor(**{**BASE, "optimizer": "adamw", "weight_decay": 0.01}).fit(X, Y)
    return _outputs(model, X)


def _case_warm_start_new_optimizer():
    X, y = _classification()
    model = _classifier(**{**BASE, "warm_start": True, "max_iter": 6}).fit(X, y)
    model.set_params(optimizer="sgd", learning_rate=0.02)
    model.fit(X[:150], y[:150])
    return _outputs(model, X)


def _case_partial_fit_pickled():
    X, y = _regression()
    model = SNNRegressor(**BASE)
    for start in range(0, 200, 50):
        model.partial_fit(X[start : start + 50], y[start : start + 50])
    model = pickle.loads(pickle.dumps(model))
    model.partial_fit(X, y)
    return _outputs(model, X)


def _case_classifier_partial_fit():
    X, y = _classification()
    model = _classifier(**{**BASE, "dropout": 0.05})
    for start in range(0, 240, 60):
        model.partial_fit(X[start : start + 60], y[start : start + 60], classes=[0, 1, 2])
    return _outputs(model, X)


def _case_divergence_recovered():
    X, y = _regression()
    params = {**BASE, "optimizer": "sgd", "learning_rate": 3.0, "max_iter": 6}
    model = SNNRegressor(**params).fit(X, y)
    return {
        **_outputs(model, X),
        "diverged": np.array([e.get("diverged", False) for e in model.history_]),
    }


CASES = {
    name[len("_case_") :]: case
    for name, case in sorted(globals().items())
    if name.startswith("_case_")
}


def _computed():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        return {
            f"{name}/{key}": value for name, case in CASES.items() for key, value in case().items()
        }


def _cpu_model():
    """Vendor, family and model of the CPU where Linux tells them, else the platform's name.

    CPUs with the same capability (AVX512, say) but of other models may pick
    other float32 kernels, whose rounding training amplifies.
    """
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    first = text.split("\n\n")[0]
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in first.splitlines())
    )
    return " ".join(fields.get(key, "?") for key in ("vendor_id", "cpu family", "model"))


def _machine():
    capability = torch.backends.cpu.get_cpu_capability()
    return f"torch {torch.__version__}, CPU {capability} ({_cpu_model()})"


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN) as stored:
        return {key: stored[key] for key in stored.files}


@pytest.fixture(scope="module")
def computed():
    return _computed()


def test_every_case_is_stored(golden, computed):
    assert set(computed) == set(golden) - {"machine"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_match_the_golden_ones(golden, computed, name):
    keys = [key for key in computed if key.startswith(f"{name}/")]
    same_machine = str(golden["machine"]) == _machine()
    for key in keys:
        if same_machine:
            np.testing.assert_allclose(
                computed[key], golden[key], rtol=1e-12, atol=1e-15, err_msg=key
            )
        else:
            np.testing.assert_allclose(
                computed[key], golden[key], rtol=1e-3, atol=1e-4, err_msg=key
            )


if __name__ == "__main__":
    torch.set_num_threads(1)
    np.savez_compressed(GOLDEN, machine=np.array(_machine()), **_computed())
