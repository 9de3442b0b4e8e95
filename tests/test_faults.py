"""Faults and bad inputs: the estimators fail loudly and clearly, or not at all.

A Hypothesis property test feeds random shapes, dtypes, non-finite values,
extreme magnitudes, constant columns and degenerate targets to ``fit`` and
``predict``; the other tests pin the messages users see for DataFrame dtype
surprises and mismatched feature names, ``predict`` from many threads, and
an interrupted ``fit``.
"""

import contextlib
import os
import re
import signal
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from sklearn_snn import SNNClassifier, SNNRegressor
from sklearn_snn.training.net import TensorBatchNet

TINY = {"n_layers": 2, "n_units": 16, "max_iter": 20, "learning_rate": 0.01, "random_state": 0}


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# Property test: every call succeeds with finite, well-shaped outputs or raises
# ValueError/TypeError with a message.

MAGNITUDES = [0.0, 1e-300, 1e-30, 1e-6, 1.0, 1e6, 1e30, 1e300]
DTYPES = ["float64", "float32", "float16", "int64", "int8", "bool", "object"]
NON_FINITE = [np.nan, np.inf, -np.inf]
EXAMPLE_TIME_LIMIT_S = 30


class Hang(Exception):
    """An example ran longer than EXAMPLE_TIME_LIMIT_S."""


@contextlib.contextmanager
def _time_limit(seconds):
    def interrupt(signum, frame):
        raise Hang(f"call did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _as_dtype(values, dtype):
    with np.errstate(all="ignore"):
        if dtype in ("int64", "int8"):
            info = np.iinfo(dtype)
            finite = np.nan_to_num(values, nan=0.0, posinf=info.max, neginf=info.min)
            return np.clip(finite, info.min, info.max).astype(dtype)
        if dtype == "bool":
            return np.nan_to_num(values) > 0
        return values.astype(dtype)


@st.composite
def matrices(draw, n_rows, n_features):
    """A matrix with a random dtype and magnitude, maybe constant columns and non-finite cells."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.normal(size=(n_rows, n_features)) * draw(st.sampled_from(MAGNITUDES))
    for column in draw(st.sets(st.integers(0, n_features - 1), max_size=n_features)):
        values[:, column] = draw(st.sampled_from([0.0, 1.0, -3e300, 1e-300]))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        row, column = rng.integers(n_rows), rng.integers(n_features)
        values[row, column] = draw(st.sampled_from(NON_FINITE))
    return _as_dtype(values, draw(st.sampled_from(DTYPES)))


@st.composite
def problems(draw):
    """Estimator, training data and data to predict on."""
    n_samples = draw(st.integers(1, 24))
    n_features = draw(st.integers(1, 5))
    X = draw(matrices(n_samples, n_features))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    task = draw(st.sampled_from(["classification", "regression"]))
    if task == "classification":
        n_classes = draw(st.sampled_from([1, 2, 2, 3]))
        y = rng.integers(0, n_classes, n_samples)
        if draw(st.booleans()):
            y = np.array(["a", "b", "c"])[y]
        Estimator = SNNClassifier
    else:
        y = rng.normal(size=n_samples) * draw(st.sampled_from(MAGNITUDES))
        if draw(st.sampled_from([False, False, False, True])):
            y[rng.integers(n_samples)] = draw(st.sampled_from(NON_FINITE))
        Estimator = SNNRegressor
    sample_weight = None
    if draw(st.booleans()):
        sample_weight = rng.choice([0.0, 0.5, 1.0, 3.0], n_samples)
    params = {
        "n_layers": draw(st.integers(1, 2)),
        "n_units": 4,
        "max_iter": 3,
        "n_iter_no_change": 2,
        "batch_size": draw(st.sampled_from(["auto", 1, 5])),
        "standardize": draw(st.booleans()),
        "early_stopping": draw(st.booleans()),
        "random_state": 0,
    }
    n_test = draw(st.integers(1, 8))
    n_test_features = n_features if draw(st.integers(0, 4)) else n_features + 1
    X_test = draw(matrices(n_test, n_test_features))
    return Estimator(**params), X, y, sample_weight, X_test


def _no_record(outcome):
    pass


def _check_failure(error, stage, record=_no_record):
    assert isinstance(error, (ValueError, TypeError)), (
        f"{stage} raised {type(error).__name__}, not ValueError/TypeError: {error}"
    )
    assert str(error).strip(), f"{stage} raised {type(error).__name__} without a message"
    record(f"{stage}: {type(error).__name__}: {str(error).splitlines()[0][:60]}")


def _check_outputs(model, X_test, record=_no_record):
    n_test = X_test.shape[0]
    methods = ["predict", "predict_proba", "decision_function"]
    if isinstance(model, SNNRegressor):
        methods = ["predict"]
    for method in methods:
        try:
            out = getattr(model, method)(X_test)
        except (ValueError, TypeError) as error:
            _check_failure(error, method, record)
            continue
        assert out.shape[0] == n_test, f"{method} returned shape {out.shape} for {n_test} rows"
        if method == "predict" and isinstance(model, SNNClassifier):
            assert np.isin(out, model.classes_).all()
            continue
        assert np.isfinite(out).all(), f"{method} returned non-finite values: {out}"
        if method == "predict_proba":
            assert out.shape == (n_test, len(model.classes_))
            np.testing.assert_allclose(out.sum(axis=1), 1.0)
        record(f"{method}: finite")


# Hypothesis imports libcst, where installed, to suggest a patch for a failing
# example; libcst's own DeprecationWarning must not turn that into an internal error.
@pytest.mark.filterwarnings("ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")
@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(problems())
def test_fit_and_predict_succeed_or_raise_a_clear_error(problem):
    model, X, y, sample_weight, X_test = problem
    with warnings.catch_warnings(), _time_limit(EXAMPLE_TIME_LIMIT_S):
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            model.fit(X, y, sample_weight=sample_weight)
        except (ValueError, TypeError) as error:
            _check_failure(error, "fit", event)
            return
        event("fit: fitted")
        _check_outputs(model, X_test, event)


def _extreme_cases():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    labels = (X[:, 0] > 0).astype(int)
    target = X @ [1.0, -2.0, 0.5]
    # A short patience lets early stopping end training on a diverged epoch.
    params = dict(TINY, n_iter_no_change=2)
    return {
        "X beyond float32, no standardization": (
            SNNClassifier(**params, standardize=False),
            X * 1e300,
            labels,
        ),
        "X whose variance overflows": (SNNClassifier(**params), X * 1e300, labels),
        "y whose variance overflows": (SNNRegressor(**params), X, target * 1e300),
        "y beyond float32, no standardization": (
            SNNRegressor(**params, standardize=False),
            X,
            target * 1e300,
        ),
        "X of subnormal size": (SNNClassifier(**params), X * 1e-310, labels),
    }


@pytest.mark.parametrize("case", list(_extreme_cases()))
def test_extreme_magnitudes_train_or_raise_a_clear_error(case):
    model, X, y = _extreme_cases()[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            model.fit(X, y)
        except (ValueError, TypeError) as error:
            _check_failure(error, "fit")
            return
        _check_outputs(model, X)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_overflowing_statistics_raise_before_any_numpy_warning():
    X = np.random.default_rng(0).normal(size=(40, 3))
    labels = (X[:, 1] > 0).astype(int)
    with pytest.raises(ValueError, match=r"Feature\(s\) \[0\] are too large to standardize"):
        SNNClassifier(**TINY).fit(np.column_stack([X[:, 0] * 1e300, X[:, 1:]]), labels)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
@pytest.mark.parametrize("extreme", [1e160, 1e300])
def test_one_training_value_whose_square_overflows_is_named(Estimator, extreme):
    # The mean stays finite while the variance overflows; StandardScaler alone
    # would take the column for a constant one and pass the value through.
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    X[5, 2] = extreme
    with pytest.raises(ValueError, match=r"Feature\(s\) \[2\] are too large to standardize"):
        Estimator(**TINY).fit(X, y)


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_a_column_whose_variance_underflows_is_named(Estimator):
    # Values near 1e-200 vary, but their squares underflow: without the check
    # the column would pass for a constant one and be ignored.
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    X[:, 1] *= 1e-200
    with pytest.raises(ValueError, match=r"Feature\(s\) \[1\] vary on a scale too small"):
        Estimator(**TINY).fit(X, y)
    Estimator(**TINY).fit(X * np.array([1.0, 1e200, 1.0]), y)  # rescaled, it fits


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_finite_inputs_near_float64_limit_at_predict(
    Estimator, classification_data, regression_data
):
    X, y = classification_data if Estimator is SNNClassifier else regression_data
    model = Estimator(**TINY).fit(X, y)
    huge = X[:5] / np.abs(X[:5]).max() * 1e308
    assert np.isfinite(huge).all()
    _check_outputs(model, huge)


# DataFrame dtype surprises: accepted when the values are numbers, otherwise a
# message that names the offending column.


def _frames():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    n = 80
    base = pd.DataFrame({"age": rng.normal(40, 10, n), "income": rng.normal(5, 1, n)})
    y = (base["age"] + 5 * base["income"] > 65).to_numpy().astype(int)
    return pd, base, y


def _accepted_columns(pd, income):
    rounded = np.round(income)
    return {
        "object column of numbers": (income.astype(object), income),
        "bool column": (income > 5, (income > 5).astype(float)),
        "Int64 column": (pd.array(rounded.astype(int), dtype="Int64"), rounded),
        "Float64 column": (pd.array(income, dtype="Float64"), income),
        "boolean column": (pd.array(income > 5, dtype="boolean"), (income > 5).astype(float)),
        "category column of numbers": (pd.Categorical(rounded / 2), rounded / 2),
    }


@pytest.mark.parametrize(
    "case",
    [
        "object column of numbers",
        "bool column",
        "Int64 column",
        "Float64 column",
        "boolean column",
        "category column of numbers",
    ],
)
def test_numeric_values_in_unusual_dtypes_are_accepted(case):
    # Bool columns are categories under categorical_features="from_dtype", and an
    # object column of fractional numbers is refused there (measurements, not
    # labels); with None, every column is read as numbers.
    pd, base, y = _frames()
    column, as_float = _accepted_columns(pd, base["income"])[case]
    unusual = base.assign(income=column)
    plain = base.assign(income=np.asarray(as_float, dtype=np.float64))
    if case == "object column of numbers":
        with pytest.raises(ValueError, match="'income' is categorical by its object dtype"):
            SNNClassifier(**TINY).fit(unusual, y)
    else:
        categorical = case in ("bool column", "boolean column", "category column of numbers")
        assert (SNNClassifier(**TINY).fit(unusual, y)._column_encoder is not None) == categorical
    model = SNNClassifier(**TINY, categorical_features=None).fit(unusual, y)
    reference = SNNClassifier(**TINY).fit(plain, y)
    np.testing.assert_array_equal(model.predict_proba(unusual), reference.predict_proba(plain))
    np.testing.assert_array_equal(model.predict_proba(plain), reference.predict_proba(plain))


def _rejected_columns(pd, income):
    words = np.where(income > 5, "high", "low")
    whole = np.round(income).astype(int)
    return {
        # case: (column, what the message must say besides the column's name)
        "object column of words": (words.astype(object), ""),
        "string column": (pd.array(words, dtype="string"), ""),
        "categorical column": (pd.Categorical(words), ""),
        "Int64 column with NA": (pd.array([pd.NA, *whole[1:]], dtype="Int64"), "missing|NaN|NA"),
        "Float64 column with NA": (pd.array([pd.NA, *income[1:]], dtype="Float64"), "missing|NaN"),
        "boolean column with NA": (
            pd.array([pd.NA, *(income[1:] > 5)], dtype="boolean"),
            "missing|NaN|NA",
        ),
        "float column with NaN": (income.where(income.index != 3), "NaN"),
        "float column with inf": (income.where(income.index != 3, np.inf), "inf"),
    }


MISSING = [
    "Int64 column with NA",
    "Float64 column with NA",
    "boolean column with NA",
    "float column with NaN",
]
TEXT = ["object column of words", "string column", "categorical column"]


def test_fit_names_the_column_it_cannot_use():
    pd, base, y = _frames()
    column, kind = _rejected_columns(pd, base["income"])["float column with inf"]
    with pytest.raises(ValueError) as error:
        SNNClassifier(**TINY).fit(base.assign(income=column), y)
    assert "income" in str(error.value)
    assert re.search(kind, str(error.value))


@pytest.mark.parametrize("case", TEXT + ["float column with inf"])
def test_predict_names_the_column_it_cannot_use(case):
    # Text where fit saw numbers: the column changed type, and the error says so.
    pd, base, y = _frames()
    column, kind = _rejected_columns(pd, base["income"])[case]
    model = SNNClassifier(**TINY).fit(base, y)
    with pytest.raises(ValueError) as error:
        model.predict(base.assign(income=column))
    assert "income" in str(error.value)
    assert re.search(kind, str(error.value))


@pytest.mark.parametrize("case", TEXT + MISSING)
def test_text_and_missing_values_are_taken_at_fit(case):
    pd, base, y = _frames()
    column, _ = _rejected_columns(pd, base["income"])[case]
    model = SNNClassifier(**TINY).fit(base.assign(income=column), y)
    assert np.isfinite(model.predict_proba(base.assign(income=column))).all()


@pytest.mark.parametrize("case", MISSING)
def test_a_missing_value_at_predict_is_the_training_mean(case):
    pd, base, y = _frames()
    column, _ = _rejected_columns(pd, base["income"])[case]
    model = SNNClassifier(**TINY).fit(base, y)
    numbers = pd.Series(column).astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    filled = np.where(np.isnan(numbers), base["income"].mean(), numbers)
    np.testing.assert_allclose(
        model.predict_proba(base.assign(income=column)),
        model.predict_proba(base.assign(income=filled)),
        rtol=1e-12,
    )


def test_non_finite_array_at_predict(classification_data):
    X, y = classification_data
    model = SNNClassifier(**TINY).fit(X, y)
    X_bad = X.copy()
    X_bad[7, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        model.predict(X_bad)
    X_bad[7, 2] = np.nan  # imputed with the training mean
    X_mean = X.copy()
    X_mean[7, 2] = X[:, 2].mean()
    np.testing.assert_allclose(model.predict_proba(X_bad), model.predict_proba(X_mean), rtol=1e-12)


# Feature names: scikit-learn's own checks apply.


def test_renamed_columns_are_refused():
    pd, base, y = _frames()
    model = SNNClassifier(**TINY).fit(base, y)
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- salary"):
        model.predict(base.rename(columns={"income": "salary"}))


def test_reordered_columns_are_refused():
    pd, base, y = _frames()
    model = SNNClassifier(**TINY).fit(base, y)
    with pytest.raises(ValueError, match="same order"):
        model.predict(base[["income", "age"]])


def test_extra_column_is_refused():
    pd, base, y = _frames()
    model = SNNClassifier(**TINY).fit(base, y)
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- tenure"):
        model.predict(base.assign(tenure=1.0))


def test_array_for_a_model_fitted_on_a_frame_warns():
    pd, base, y = _frames()
    model = SNNClassifier(**TINY).fit(base, y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        predicted = model.predict(base.to_numpy())
    np.testing.assert_array_equal(predicted, model.predict(base))


def test_frame_for_a_model_fitted_on_an_array_warns():
    pd, base, y = _frames()
    model = SNNClassifier(**TINY).fit(base.to_numpy(), y)
    with pytest.warns(UserWarning, match="has feature names, but SNNClassifier"):
        model.predict(base)


# Serving one fitted model from several threads.


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_predict_from_eight_threads_matches_serial(Estimator, classification_data, regression_data):
    X, y = classification_data if Estimator is SNNClassifier else regression_data
    model = Estimator(**TINY, dropout=0.1).fit(X, y)
    X_big = np.tile(X, (10, 1))
    methods = ["predict"]
    if Estimator is SNNClassifier:
        methods += ["predict_proba", "decision_function"]
    serial = {method: getattr(model, method)(X_big) for method in methods}

    n_threads = 8
    start = threading.Barrier(n_threads)

    def call(method):
        start.wait()
        return [getattr(model, method)(X_big) for _ in range(3)]

    with ThreadPoolExecutor(n_threads) as pool:
        jobs = [methods[i % len(methods)] for i in range(n_threads)]
        results = list(zip(jobs, pool.map(call, jobs), strict=True))
    for method, outputs in results:
        for output in outputs:
            np.testing.assert_array_equal(output, serial[method])


# An interrupted fit keeps what it has learned.


def test_keyboard_interrupt_leaves_a_fitted_estimator(classification_data, monkeypatch):
    X, y = classification_data
    # Warm up: the first optimizer step imports parts of torch lazily, and an
    # interrupt during an import would escape any fit.
    SNNClassifier(**dict(TINY, max_iter=2)).fit(X, y)
    model = SNNClassifier(**dict(TINY, max_iter=100_000, n_iter_no_change=100_000, tol=0.0))
    # A Ctrl-C before the first epoch ends the fit with nothing learned (the
    # estimator stays as it was); this test is about one during training, so the
    # signal goes out only once four epochs have finished, from another thread.
    training = threading.Event()
    on_epoch_begin = TensorBatchNet.on_epoch_begin

    def mark_training(net, *args, **kwargs):
        if len(net.history) >= 4:
            training.set()
        return on_epoch_begin(net, *args, **kwargs)

    monkeypatch.setattr(TensorBatchNet, "on_epoch_begin", mark_training)

    finished = threading.Event()

    def interrupt():
        training.wait(timeout=60)
        time.sleep(0.2)
        if not finished.is_set():
            os.kill(os.getpid(), signal.SIGINT)

    # A process started in the background by a non-interactive shell (nohup, CI
    # runners) inherits SIGINT as ignored, and Python then installs no handler:
    # put Python's own Ctrl-C handler in place for the test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    sender = threading.Thread(target=interrupt)
    sender.start()
    try:
        with pytest.warns(UserWarning, match="[Ii]nterrupted"):
            model.fit(X, y)
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped fit")
    finally:
        finished.set()
        training.set()  # wakes the sender if fit failed before training
        sender.join()
        signal.signal(signal.SIGINT, previous)
    assert 1 <= model.n_iter_ < 100_000
    assert len(model.loss_curve_) == len(model.history_) == model.n_iter_
    assert np.isfinite(model.loss_curve_).all()
    proba = model.predict_proba(X)
    assert np.isfinite(proba).all()
    assert model.score(X, y) > 0.5
    # Training can go on from where it stopped.
    model.partial_fit(X, y)
    assert model.n_iter_ == len(model.loss_curve_)


@pytest.mark.parametrize("caller_grad", [True, False])
def test_interrupted_fit_restores_the_callers_autograd_mode(
    classification_data, monkeypatch, caller_grad
):
    # A Ctrl-C can land just after torch.no_grad() switched gradients off for a
    # validation batch and before its with-block owns the switch back; skorch
    # ends the fit quietly, and the fit must not hand the caller a torch with
    # gradients off. Inject that interrupt deterministically in the third epoch.
    X, y = classification_data
    enter = torch.no_grad.__enter__
    validation_batches = []

    def interrupted_enter(self):
        enter(self)
        if sys._getframe(1).f_code.co_name == "validation_step":
            validation_batches.append(None)
            if len(validation_batches) == 3:
                raise KeyboardInterrupt

    monkeypatch.setattr(torch.no_grad, "__enter__", interrupted_enter)
    model = SNNClassifier(**dict(TINY, early_stopping=True, batch_size=512))
    with torch.set_grad_enabled(caller_grad), pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
        assert torch.is_grad_enabled() is caller_grad
    assert len(validation_batches) == 3
    # The epoch whose validation was cut short does not count.
    assert model.n_iter_ == len(model.loss_curve_) == len(model.validation_scores_) == 2
    assert np.isfinite(model.predict_proba(X)).all()
    # Training can go on from where it stopped.
    model.partial_fit(X, y)
    assert model.n_iter_ == len(model.loss_curve_) == 3


@pytest.mark.parametrize("interrupted_call", [2, 3, 4])
def test_interrupt_in_the_validation_score_drops_that_epoch(
    classification_data, monkeypatch, interrupted_call
):
    # The validation loss is recorded before the validation score: an interrupt
    # between the two leaves an epoch that is not finished either.
    X, y = classification_data
    score = SNNClassifier._score_raw
    calls = []

    def interrupted_score(*args, **kwargs):
        calls.append(None)
        if len(calls) == interrupted_call:
            raise KeyboardInterrupt
        return score(*args, **kwargs)

    monkeypatch.setattr(SNNClassifier, "_score_raw", interrupted_score)
    model = SNNClassifier(**dict(TINY, early_stopping=True, max_iter=5))
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    n_epochs = interrupted_call - 1
    assert model.n_iter_ == len(model.loss_curve_) == len(model.validation_scores_) == n_epochs
    assert np.isfinite(model.predict_proba(X)).all()
