"""Weighted standardization statistics, and the scaling that gives inputs the fixed point."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_snn.nn.input_shaping import shape_inputs
from sklearn_snn.training import standardization
from sklearn_snn.training.standardization import input_scaling, standardization_statistics


@pytest.fixture
def weighted(rng):
    """Columns on different scales, a row subset in another order, uneven weights."""
    X = rng.normal(loc=[0.0, 100.0, -3.0], scale=[1.0, 0.01, 50.0], size=(60, 3))
    indices = rng.permutation(60)[:45]
    weights = rng.uniform(0.1, 10.0, size=45)
    return X, indices, weights


def _numpy_statistics(X, weights):
    mean = np.average(X, weights=weights, axis=0)
    return mean, np.sqrt(np.average((X - mean) ** 2, weights=weights, axis=0))


def test_statistics_are_numpys_weighted_mean_and_standard_deviation(weighted):
    X, indices, weights = weighted
    mean, scale, unscaled = standardization_statistics(X, indices, weights, "Feature(s)")
    expected_mean, expected_scale = _numpy_statistics(X[indices], weights)
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(scale, expected_scale, rtol=1e-10)
    assert unscaled.tolist() == []
    # Only the ratios of the weights count, also beyond float64's comfortable range.
    for factor in (1e-300, 1e20, 1e300):
        scaled = standardization_statistics(X, indices, weights * factor, "Feature(s)")
        np.testing.assert_allclose(scaled[0], mean, rtol=1e-12)
        np.testing.assert_allclose(scaled[1], scale, rtol=1e-10)


def test_statistics_in_chunks_and_of_sparse_data_agree(monkeypatch, weighted):
    X, indices, weights = weighted
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    mean, scale, _ = standardization_statistics(X, indices, weights, "Feature(s)")
    monkeypatch.setattr(standardization, "_SCALER_CHUNK_ROWS", 7)
    for data in (X, sp.csr_matrix(X), sp.csc_matrix(X)):
        chunked = standardization_statistics(data, indices, weights, "Feature(s)")
        np.testing.assert_allclose(chunked[0], mean, rtol=1e-10)
        np.testing.assert_allclose(chunked[1], scale, rtol=1e-10)


def test_constant_columns_are_centred_and_left_unscaled(rng):
    X = np.column_stack(
        [
            np.full(20, 4.0),  # constant
            1e8 + 1e-7 * rng.normal(size=20),  # variance at rounding level
            np.tile([1.0, -1.0], 10),  # variance exactly 1: scale 1, but scaled
            rng.normal(size=20),
        ]
    )
    mean, scale, unscaled = standardization_statistics(X, np.arange(20), np.ones(20), "Feature(s)")
    assert unscaled.tolist() == [0, 1]
    assert mean[0] == 4.0 and scale[0] == scale[1] == scale[2] == 1.0


@pytest.mark.parametrize("sparse", [False, True])
def test_columns_whose_variance_underflows_are_named(rng, sparse):
    # Squares of values near 1e-200 underflow to 0: StandardScaler alone takes
    # the column for a constant one and the network never sees it vary.
    X = rng.normal(size=(30, 3))
    X[:, 2] *= 1e-200
    X[:, 0] = 0.0  # truly constant: accepted and left unscaled
    X = sp.csr_matrix(X) if sparse else X
    with pytest.raises(ValueError, match=r"Feature\(s\) \[2\] vary on a scale too small"):
        standardization_statistics(X, np.arange(30), np.ones(30), "Feature(s)")
    X = X[:, :2]
    assert standardization_statistics(X, np.arange(30), np.ones(30), "Feature(s)")[2].tolist() == [
        0
    ]


def test_a_weight_that_outweighs_all_other_rows_is_no_underflow():
    # One weight of 1e100 makes every column constant as far as the weights go
    # (here the weighted variance of columns 2 and 3 is exactly 0): left
    # unscaled, not blamed on the features.
    X = np.random.default_rng(0).normal(size=(30, 5))
    weights = np.ones(30)
    weights[3] = 1e100
    unscaled = standardization_statistics(X, np.arange(30), weights, "Feature(s)")[2]
    assert unscaled.tolist() == [0, 1, 2, 3, 4]


@pytest.mark.filterwarnings("ignore:(overflow|invalid value) encountered:RuntimeWarning")
def test_statistics_that_overflow_name_the_columns(rng):
    X = rng.normal(size=(10, 3))
    X[:, 1] *= 1e200  # the variance overflows float64
    with pytest.raises(ValueError, match=r"Target\(s\) \[1\] are too large to standardize"):
        standardization_statistics(X, np.arange(10), np.ones(10), "Target(s)")


def test_without_standardize_inputs_pass_unchanged(weighted):
    X, indices, weights = weighted
    mean, scale, unscaled, clip = input_scaling(
        X, indices, weights, standardize=False, fixed_point=(0.5, 2.0)
    )
    assert mean.tolist() == [0.0] * 3 and scale.tolist() == [1.0] * 3 and len(unscaled) == 0
    assert clip is None


@pytest.mark.parametrize("fixed_point", [(0.0, 1.0), (0.3, 2.0), (-0.2, 0.5)])
def test_inputs_get_the_fixed_points_mean_and_variance(weighted, fixed_point):
    X, indices, weights = weighted
    X = np.column_stack([X, np.full(60, 7.0)])  # and a constant column
    mean, scale, unscaled, clip = input_scaling(
        X, indices, weights, standardize=True, fixed_point=fixed_point
    )
    standardized = (X[indices] - mean) / scale
    m, v = fixed_point
    got_mean, got_scale = _numpy_statistics(standardized, weights)
    # 100 +- 0.01 standardized: float64 rounding of 100 is 1e-12 of its spread.
    np.testing.assert_allclose(got_mean[:3], m, atol=1e-10)
    np.testing.assert_allclose(got_scale[:3] ** 2, v, rtol=1e-10)
    # The constant column sits at the fixed point's mean, with no spread.
    assert unscaled.tolist() == [3]
    np.testing.assert_allclose(standardized[:, 3], m, atol=1e-12)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
def test_zero_one_columns_are_those_with_only_zeros_and_ones(container):
    X = np.array([[0, 1, 0.5, 0, 0, 0, 2], [1, 1, 0, 0, 2, 0, 2], [0, 0, 0, 0, 0, 1, 2.0]])
    found = standardization.zero_one_columns(container(X), np.arange(3))
    assert found.tolist() == [0, 1, 3, 5]
    # Only the rows asked for count.
    assert standardization.zero_one_columns(container(X), np.array([0, 2])).tolist() == [
        0,
        1,
        3,
        4,
        5,
    ]


@pytest.mark.parametrize("fixed_point", [(0.0, 1.0), (0.3, 2.0)])
def test_smooth_clip_keeps_zero_one_columns_and_clips_the_others(rng, fixed_point):
    n = 400
    rare = (rng.uniform(size=n) < 0.01).astype(float)  # a rare one-hot column
    rare[0] = 1.0
    heavy = rng.standard_t(1.5, size=n) * 10 + 5  # heavy tails
    X = np.column_stack([rare, heavy, rng.normal(size=n), np.full(n, 7.0)])
    indices, weights = np.arange(n), np.ones(n)
    plain = input_scaling(X, indices, weights, standardize=True, fixed_point=fixed_point)
    mean, scale, unscaled, clip = input_scaling(
        X, indices, weights, standardize="smooth_clip", fixed_point=fixed_point
    )
    m, v = fixed_point
    # The rare column is left at 0/1 (standardized it would reach about 10σ).
    assert mean[0] == 0.0 and scale[0] == 1.0 and (X[:, 0] - plain[0][0]).max() / plain[1][0] > 5
    np.testing.assert_array_equal(mean[1:], plain[0][1:])
    np.testing.assert_array_equal(scale[1:], plain[1][1:])
    assert unscaled.tolist() == [3]
    center, columns, bound, zero_one = clip
    assert center == m and columns.tolist() == [1, 2, 3] and bound == pytest.approx(3 * np.sqrt(v))
    assert zero_one.tolist() == [0]
    shaped = shape_inputs(X, mean, scale, clip)
    np.testing.assert_array_equal(shaped[:, 0], X[:, 0])
    np.testing.assert_allclose(shaped[:, 3], m, atol=1e-12)
    # The constant column's training value is the centre, which the clipping keeps;
    # a test value far from the constant stays bounded.
    far = shape_inputs(np.array([[0.0, 5.0, 0.0, 1e6]]), mean, scale, clip)
    assert abs(far[0, 3] - m) <= bound
    # A test value beyond 0 and 1 in the 0/1 column is clamped to them.
    beyond = shape_inputs(
        np.array([[1e6, 5.0, 0.0, 7.0], [-3.0, 5.0, 0.0, 7.0]]), mean, scale, clip
    )
    assert beyond[:, 0].tolist() == [1.0, 0.0]
    assert np.abs(shaped[:, 1:3] - m).max() < bound
    # Near the centre the clipping is about the identity.
    standardized = (X - mean) / scale
    near = np.abs(standardized[:, 2] - m) < 0.3 * np.sqrt(v)
    np.testing.assert_allclose(shaped[near, 2], standardized[near, 2], atol=0.02)
