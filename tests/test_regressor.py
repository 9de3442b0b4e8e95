import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import UndefinedMetricWarning

from sklearn_snn import SNNClassifier, SNNRegressor


def test_predictions_in_original_units(regression_data, small_params):
    X, y = regression_data
    reg = SNNRegressor(**dict(small_params, max_iter=100)).fit(X, y)
    prediction = reg.predict(X)
    assert prediction.shape == (200,) and prediction.dtype == np.float64
    assert reg.score(X, y) > 0.95
    assert abs(prediction.mean() - y.mean()) < 0.05 * y.std()


def test_target_standardization_makes_scale_irrelevant(regression_data, small_params):
    X, y = regression_data
    # One batch: the canonical row order hashes the target values, so mini-batches
    # of the two targets would hold different rows.
    params = dict(small_params, batch_size=len(X))
    big = SNNRegressor(**params).fit(X, y).predict(X)
    small = SNNRegressor(**params).fit(X, (y - 5000.0) / 1000.0).predict(X)
    # Equal up to float32 rounding, which training amplifies more on some CPUs.
    np.testing.assert_allclose((big - 5000.0) / 1000.0, small, rtol=1e-5, atol=1e-6 * small.std())


def test_without_standardization_large_targets_train_worse(regression_data, small_params):
    X, y = regression_data
    standardized = SNNRegressor(**small_params).fit(X, y).score(X, y)
    raw = SNNRegressor(**small_params, standardize=False).fit(X, y).score(X, y)
    assert standardized > raw


def test_multioutput_native(regression_data, small_params):
    X, y = regression_data
    Y = np.column_stack([y, -2.0 * y, X[:, 0] ** 2])
    reg = SNNRegressor(**dict(small_params, max_iter=100)).fit(X, Y)
    assert reg.n_outputs_ == 3
    prediction = reg.predict(X)
    assert prediction.shape == (200, 3) and prediction.dtype == np.float64
    assert reg.score(X, Y) > 0.8


def test_column_vector_target_warns_and_matches_1d(regression_data, small_params):
    X, y = regression_data
    flat = SNNRegressor(**small_params).fit(X, y).predict(X)
    with pytest.warns(Warning, match="column-vector y"):
        column = SNNRegressor(**small_params).fit(X, y[:, None]).predict(X)
    np.testing.assert_array_equal(flat, column)


def test_constant_feature_is_safe(regression_data, small_params):
    # A constant feature is centred and left unscaled: whatever its value, it
    # enters the network as 0 and changes nothing. One batch of all rows: the
    # canonical row order hashes the inputs, so mini-batches would differ.
    X, y = regression_data

    def with_constant(value):
        return np.column_stack([X, np.full(len(X), value)])

    params = dict(small_params, batch_size=len(X))
    reg = SNNRegressor(**params).fit(with_constant(7.0), y)
    prediction = reg.predict(with_constant(7.0))
    assert reg.score(with_constant(7.0), y) > 0.9
    # float32 training on inputs equal up to float64 rounding: here 1e-7 of y's
    # spread apart; leaving the 7 uncentred moves them by nearly one spread.
    atol = 1e-5 * y.std()
    at_zero = SNNRegressor(**params).fit(with_constant(0.0), y).predict(with_constant(0.0))
    np.testing.assert_allclose(prediction, at_zero, rtol=0, atol=atol)
    # Unscaled: a value a millionth off moves the predictions by about a millionth
    # of y's spread (a scale of 1e-9 would move them by hundreds of spreads).
    nudged = reg.predict(with_constant(7.0 + 1e-6))
    np.testing.assert_allclose(nudged, prediction, rtol=0, atol=atol)


def test_subset_predictions_equal_full_predictions(regression_data, small_params):
    X, y = regression_data
    reg = SNNRegressor(**small_params).fit(X, y)
    full = reg.predict(X)
    parts = np.concatenate([reg.predict(X[i : i + 7]) for i in range(0, len(X), 7)])
    # float64 inference: rows differ by rounding only, far below float32 noise.
    np.testing.assert_allclose(full, parts, rtol=1e-10)


def test_early_stopping_records_validation_r2(regression_data, small_params):
    X, y = regression_data
    reg = SNNRegressor(**dict(small_params, max_iter=50, early_stopping=True)).fit(X, y)
    assert len(reg.validation_scores_) == reg.n_iter_
    assert reg.best_validation_score_ > 0.8


def test_partial_fit_rejects_different_target_width(regression_data, small_params):
    X, y = regression_data
    reg = SNNRegressor(**small_params).partial_fit(X, y)
    with pytest.raises(ValueError, match="target"):
        reg.partial_fit(X, np.column_stack([y, y]))


def test_partial_fit_warns_of_a_target_constant_in_the_first_batch(regression_data, small_params):
    X, y = regression_data
    y = y.copy()
    y[:10] = 7.0
    with pytest.warns(UserWarning, match=r"target\(s\) \[0\] are constant") as record:
        reg = SNNRegressor(**small_params).partial_fit(X[:10], y[:10])
    assert "feature" not in str(record[0].message)
    assert reg._target_mean[0] == 7.0 and reg._target_scale[0] == 1.0


def test_all_zero_sample_weights_raise(regression_data):
    X, y = regression_data
    with pytest.raises(ValueError, match="non-zero"):
        SNNRegressor().fit(X, y, sample_weight=np.zeros(len(y)))


def test_sparse_targets_are_refused_clearly(regression_data):
    X, y = regression_data
    with pytest.raises(ValueError, match="dense targets, got a sparse matrix"):
        SNNRegressor(max_iter=1).fit(X, sp.csr_matrix(np.column_stack([y, y])))


def test_cuda_without_gpu_raises_clear_error(regression_data):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    X, y = regression_data
    with pytest.raises(ValueError, match="no CUDA device"):
        SNNRegressor(device="cuda").fit(X, y)


pytestmark = pytest.mark.usefixtures("quiet_convergence")


def test_validation_set_of_one_sample_records_no_r2():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 3)), rng.normal(size=10)
    reg = SNNRegressor(n_layers=1, n_units=8, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedMetricWarning)
        reg.fit(X, y)  # 10% of 10 rows: one validation sample, where R² is undefined
    assert len(reg.validation_scores_) == 3 and np.isnan(reg.validation_scores_).all()
    assert np.isfinite(reg.predict(X)).all()


@pytest.mark.parametrize(
    ("estimator", "n_rows", "expected"),
    [(SNNRegressor, 1000, 256), (SNNRegressor, 40, 36), (SNNClassifier, 1000, 256),
     (SNNClassifier, 50, 45)],
)  # fmt: skip
def test_auto_batch_size(estimator, n_rows, expected):
    # "auto": min(256, n) rows of the rows left after the 10% validation split.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(n_rows, 3)), rng.integers(0, 2, n_rows)
    model = estimator(n_layers=1, n_units=4, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    assert model.net_.batch_size == expected


def test_validation_fraction_zero_only_without_early_stopping(regression_data, small_params):
    X, y = regression_data
    params = dict(small_params, validation_fraction=0.0)
    reg = SNNRegressor(**dict(params, early_stopping=False)).fit(X, y)
    assert reg.validation_scores_ is None
    with pytest.raises(ValueError, match="validation_fraction=0.0 holds out nothing"):
        SNNRegressor(**dict(params, early_stopping=True)).fit(X, y)


def test_targets_beyond_the_first_batch_scaling_say_so(regression_data, small_params):
    X, y = regression_data
    reg = SNNRegressor(**small_params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        reg.partial_fit(X, y * 1e-30)
    with pytest.raises(ValueError, match="learned by the first fit .* new fit"):
        reg.partial_fit(X, y * 1e10)


def test_ensemble_predicts_the_mean_of_its_members(regression_data, small_params):
    X, y = regression_data
    reg = SNNRegressor(**dict(small_params, n_ensemble=3), dropout=0.05).fit(X, y)
    inputs = torch.from_numpy(reg._prepare_input(X))
    members = []
    for index in range(3):
        with torch.no_grad():
            raw = reg.module_.member(index).double().eval()(inputs).numpy()
        members.append(raw[:, 0] * reg._target_scale[0] + reg._target_mean[0])
    assert np.abs(members[0] - members[1]).max() > 0.01 * y.std(), "the members should differ"
    np.testing.assert_allclose(reg.predict(X), np.mean(members, axis=0), rtol=1e-12)
    assert reg.score(X, y) > 0.9


@pytest.mark.parametrize("value", [1e-3, 3.5, -2e6])
def test_a_target_constant_in_training_is_predicted_exactly(regression_data, small_params, value):
    # The network's residual output carries an error of its own scale (about
    # 0.01 whatever the target's): for a target of 1e-3 that was 10 times the value.
    X, _ = regression_data
    reg = SNNRegressor(**small_params).fit(X, np.full(len(X), value))
    assert np.all(reg.predict(X * 10) == value)


def test_a_constant_output_beside_others_and_after_a_continued_fit(regression_data, small_params):
    X, y = regression_data
    Y = np.column_stack([y, np.full(len(y), 2.0)])
    reg = SNNRegressor(**small_params, warm_start=True).fit(X, Y)
    prediction = reg.predict(X)
    assert np.all(prediction[:, 1] == 2.0)
    assert np.corrcoef(prediction[:, 0], y)[0, 1] > 0.9
    reg.fit(X, Y)  # still constant: still exact
    assert np.all(reg.predict(X)[:, 1] == 2.0)
    reg.fit(X, np.column_stack([y, y]))  # no longer constant: the network predicts it
    assert np.ptp(reg.predict(X)[:, 1]) > 0.1 * np.ptp(y)


def test_a_target_constant_up_to_rounding_is_predicted_as_its_mean(regression_data, small_params):
    # 0.1 + 0.2 and 0.3 differ in the last bit; the scaling takes them (and a
    # spread of 1e-25 around 1e-9) as constant, so the network's residual
    # output, about 0.1, would otherwise come back in the targets' units.
    X, y = regression_data
    rng = np.random.default_rng(0)
    sums = np.where(rng.random(len(y)) < 0.5, 0.1 + 0.2, 0.3)
    tiny = 1e-9 + 1e-25 * X[:, 0]
    reg = SNNRegressor(**small_params).fit(X, np.column_stack([y, sums, tiny]))
    prediction = reg.predict(X)
    np.testing.assert_allclose(prediction[:, 1], 0.3, rtol=1e-14)
    np.testing.assert_allclose(prediction[:, 2], 1e-9, rtol=1e-14)
    assert np.corrcoef(prediction[:, 0], y)[0, 1] > 0.9
    reg.partial_fit(X, np.column_stack([y, sums[::-1], tiny[::-1]]))  # still constant
    np.testing.assert_allclose(reg.predict(X)[:, 1:], prediction[:, 1:], rtol=0)
    reg.partial_fit(X, np.column_stack([y, y, tiny]))  # no longer: the network predicts it
    assert np.ptp(reg.predict(X)[:, 1]) > 1.0

    # As constant as the first fit's rows: kept through continued fits of any size.
    offset = 1e6 + np.spacing(1e6) * rng.integers(-8, 9, size=len(y))  # within 16 ulps
    reg = SNNRegressor(**small_params).fit(X, offset)
    first = reg.predict(X)
    np.testing.assert_allclose(first, 1e6, rtol=1e-12)
    reg.set_params(warm_start=True).fit(X, offset)
    reg.partial_fit(X[:5], offset[:5])
    np.testing.assert_array_equal(reg.predict(X), first)


@pytest.mark.parametrize("offset, slope", [(1e14, 5.0), (1e13, 1.0), (1e6, 1e-8)])
def test_a_target_varying_by_far_more_than_rounding_is_learned(offset, slope):
    # StandardScaler leaves such a column unscaled (its spread is below
    # n * eps * |mean|); it must be learned, not predicted as its mean.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 2))
    y = offset + slope * X[:, 0]
    reg = SNNRegressor(
        n_layers=2, n_units=16, n_ensemble=1, max_iter=100, spline_knots=None, random_state=0
    ).fit(X, y)
    assert reg.score(X, y) > 0.9
    assert reg.best_validation_score_ > 0.9  # the validation R² of what predict answers


def test_validation_scores_are_those_of_the_predictions_for_constant_targets(regression_data):
    X, y = regression_data
    settings = dict(n_layers=2, n_units=16, n_ensemble=1, max_iter=20, random_state=0)
    constant = np.full(len(y), 3.0)
    assert SNNRegressor(**settings).fit(X, constant).best_validation_score_ == 1.0
    both = np.column_stack([y, constant])
    reg = SNNRegressor(**settings).fit(X, both)
    # Uniform average over the two outputs: the constant one is predicted exactly
    # (its raw output, scored against standardized zeros, gave about 0.5 in all).
    assert reg.best_validation_score_ > 0.75


def test_partial_fit_warns_that_a_zero_one_column_of_the_first_batch_is_clamped(small_params):
    # Counts that are 0 or 1 in the first batch and up to 5 later: the clamp
    # would read every later count as 1 without a word.
    rng = np.random.default_rng(0)
    first = np.column_stack([rng.normal(size=20), rng.integers(0, 2, 20)])
    with pytest.warns(UserWarning, match=r"feature\(s\) \[1\] hold only 0 and 1 in this batch"):
        SNNRegressor(**small_params).partial_fit(first, first[:, 1] * 3)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*hold only 0 and 1")
        SNNRegressor(**small_params, standardize=True).partial_fit(first, first[:, 1] * 3)
