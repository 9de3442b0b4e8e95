import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import SplineTransformer

from sklearn_snn.training.splines import AUTO_KNOTS, AUTO_MAX_COLUMNS, fit_splines


@pytest.fixture
def mixed_columns(rng):
    """A normal column, a 0/1 column, a 3-valued column and one mostly 0 with a tail."""
    n = 300
    return np.column_stack(
        [
            rng.normal(size=n),
            rng.integers(0, 2, n),
            rng.integers(0, 3, n) + 10.0,
            np.r_[np.zeros(200), rng.exponential(size=n - 200)],
        ]
    )


def fit_all(X, spline_knots, weights=None):
    weights = np.ones(X.shape[0]) if weights is None else weights
    return fit_splines(X, np.arange(X.shape[0]), weights, spline_knots)


def test_columns_with_three_or_more_values_get_a_basis(mixed_columns):
    splines = fit_all(mixed_columns, 6)
    assert splines.columns.tolist() == [0, 2, 3]
    joined = splines.transform(mixed_columns)
    np.testing.assert_array_equal(joined[:, :4], mixed_columns)  # the columns come first
    assert joined.shape[1] == 4 + splines.n_features_out
    # A cubic basis sums to 1 in every row, for each column.
    widths = [len(t) - 4 for t in splines.knots]
    blocks = np.split(joined[:, 4:], np.cumsum(widths)[:-1], axis=1)
    for block in blocks:
        np.testing.assert_allclose(block.sum(axis=1), 1.0)


def test_the_basis_is_scikit_learns_on_the_quantiles(mixed_columns):
    splines = fit_all(mixed_columns, 6)
    expected = SplineTransformer(n_knots=6, knots="quantile", extrapolation="constant")
    column = mixed_columns[:, [0]]
    expected = expected.fit(column, sample_weight=np.ones(len(column))).transform(column)
    np.testing.assert_allclose(splines.transform(mixed_columns)[:, 4:12], expected, atol=1e-12)


def test_coinciding_quantiles_are_merged(mixed_columns):
    knots = fit_all(mixed_columns, 10).knots
    assert len(knots[0]) == 10 + 6  # distinct quantiles: all kept, 3 more a side
    for t in knots:
        assert np.all(np.diff(t) > 0)
    # Two thirds of column 3 are 0: its lower quantiles coincide.
    assert len(knots[2]) < 16
    assert len(knots[1]) == 3 + 6  # three values, three knots


def test_weights_move_the_knots(mixed_columns):
    weights = np.where(mixed_columns[:, 0] > 0, 10.0, 1.0)
    plain = fit_all(mixed_columns, 5).knots[0]
    weighted = fit_all(mixed_columns, 5, weights).knots[0]
    assert np.median(weighted[3:-3]) > np.median(plain[3:-3])


@pytest.mark.parametrize("weight", [0.1, 0.2, 1.1, 1e-6])
def test_equal_weights_give_the_unweighted_knots(weight):
    # Equal weights other than 1 summed with rounding, which moved a quantile
    # knot to the neighbouring value.
    X = np.random.default_rng(0).normal(size=(300, 1))
    rows = np.arange(300)
    unweighted = fit_splines(X, rows, np.ones(300), 10).base_knots
    weighted = fit_splines(X, rows, np.full(300, weight), 10).base_knots
    np.testing.assert_array_equal(weighted[0], unweighted[0])


def test_weights_spanning_more_than_float64s_range():
    # Scaled by the smallest, a weight of 1e-310 beside 1 would overflow.
    X = np.random.default_rng(0).normal(size=(300, 1))
    weights = np.ones(300)
    weights[0] = 1e-310
    knots = fit_splines(X, np.arange(300), weights, 10).base_knots[0]
    assert np.isfinite(knots).all() and len(knots) == 10


def test_far_values_get_the_basis_of_the_nearest_extreme(mixed_columns):
    splines = fit_all(mixed_columns, 6)
    lowest, highest = mixed_columns.min(axis=0), mixed_columns.max(axis=0)
    far = np.vstack([lowest - 1e300, highest + 1e300])
    np.testing.assert_allclose(
        splines.transform(far)[:, 4:], splines.transform(np.vstack([lowest, highest]))[:, 4:]
    )


def test_sparse_input_gives_the_same_basis_sparse(mixed_columns):
    dense = fit_all(mixed_columns, 6)
    sparse = fit_all(sp.csr_matrix(mixed_columns), 6)
    assert sparse.columns.tolist() == dense.columns.tolist()
    joined = sparse.transform(sp.csr_matrix(mixed_columns))
    assert sp.issparse(joined)
    np.testing.assert_allclose(joined.toarray(), dense.transform(mixed_columns), atol=1e-12)


def test_implicit_zeros_count_as_a_value_of_sparse_columns():
    X = sp.csr_matrix(np.array([[0.0], [1.0], [2.0], [0.0]]))
    assert fit_all(X, 4).columns.tolist() == [0]
    assert fit_all(sp.csr_matrix(np.array([[0.0], [2.0], [2.0]])), 4) is None


def test_auto_gives_the_basis_up_to_a_width(rng):
    narrow = rng.normal(size=(100, AUTO_MAX_COLUMNS))
    splines = fit_all(narrow, "auto")
    assert len(splines.columns) == AUTO_MAX_COLUMNS
    assert len(splines.knots[0]) == AUTO_KNOTS + 6
    # 0/1 columns do not count towards the width.
    flags = rng.integers(0, 2, size=(100, 5))
    assert len(fit_all(np.hstack([narrow, flags]), "auto").columns) == AUTO_MAX_COLUMNS
    assert fit_all(rng.normal(size=(100, AUTO_MAX_COLUMNS + 1)), "auto") is None


def test_none_and_no_varied_column_give_none(rng):
    assert fit_all(rng.normal(size=(50, 3)), None) is None
    assert fit_all(rng.integers(0, 2, size=(50, 3)).astype(float), 5) is None


def test_numpy_integers_and_float32_data(mixed_columns):
    # Searches pass numpy integers (np.arange, scipy.stats.randint); float32
    # data keeps its precision, basis included.
    X = mixed_columns.astype(np.float32)
    splines = fit_all(X, np.int64(6))
    assert len(splines.knots[0]) == 6 + 6
    joined = splines.transform(X)
    assert joined.dtype == np.float32
    np.testing.assert_allclose(
        joined, fit_all(mixed_columns, 6).transform(mixed_columns), atol=1e-6
    )
    assert splines.transform(sp.csr_matrix(X)).dtype == np.float32
