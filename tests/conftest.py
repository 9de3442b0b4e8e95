"""Shared fixtures and test-session settings."""

import os

# scikit-learn's array-API estimator check runs only with this set, and it
# must be set before scipy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

# The networks in the tests are small: one thread avoids two threads waiting on
# each other for tiny operations, which on a busy 2-core machine costs far more
# than it gains.
torch.set_num_threads(1)

# Small networks keep the behaviour tests fast; the defaults are covered by
# the scikit-learn checks in test_common.py.
# Training-loss stopping: the small fixtures hold too few rows for a validation split.
# One network, batches of 64 and a patience of 50, so that the behaviour tests
# keep the steps per epoch and the stopping rule they were written for.
SMALL = {
    "n_layers": 2,
    "n_units": 32,
    "n_ensemble": 1,
    "batch_size": 64,
    "max_iter": 30,
    "learning_rate": 0.01,
    "n_iter_no_change": 50,
    "early_stopping": False,
    "random_state": 0,
}


@pytest.fixture(autouse=True)
def autograd_mode_is_left_as_found():
    """Fail a test that leaves torch's autograd mode changed, and undo the change.

    Later tests compute gradients and would fail far from the cause.
    """
    before = torch.is_grad_enabled()
    yield
    after = torch.is_grad_enabled()
    if after != before:
        torch.set_grad_enabled(before)
        pytest.fail(f"the test left torch's grad mode {after}; it was {before}")


@pytest.fixture
def quiet_convergence():
    """Silence ConvergenceWarning: the tests train briefly on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture
def small_params():
    """Constructor arguments of a small, fast, seeded network."""
    return dict(SMALL)


@pytest.fixture
def classification_data():
    """A 3-class problem with 300 samples and 8 features."""
    return make_classification(
        n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=0
    )


@pytest.fixture
def binary_data():
    """A binary problem with 200 samples and 6 features."""
    return make_classification(n_samples=200, n_features=6, random_state=1)


@pytest.fixture
def regression_data():
    """A regression problem with 200 samples, 5 features and large targets."""
    X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    return X, 1000.0 * y + 5000.0


@pytest.fixture
def rng():
    """A seeded numpy random generator."""
    return np.random.default_rng(0)


@pytest.fixture
def matmul_precision_per_epoch(monkeypatch):
    """The CUDA matmul precision setting at the start of every training epoch."""
    from sklearn_snn.training.net import TensorBatchNet

    seen = []
    original = TensorBatchNet.run_single_epoch

    def recording(self, *args, **kwargs):
        seen.append(torch.backends.cuda.matmul.fp32_precision)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(TensorBatchNet, "run_single_epoch", recording)
    return seen
