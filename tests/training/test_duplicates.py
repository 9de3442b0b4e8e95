import numpy as np
import scipy.sparse as sp

from sklearn_snn.training.duplicates import canonical_samples


def _distinct_rows(X, y, weight):
    indices, weights = canonical_samples(X, y, weight)
    return X[indices], y[indices], weights


def test_repeating_rows_equals_weighting_them(rng):
    X = rng.normal(size=(20, 4))
    y = rng.integers(0, 3, size=20)
    counts = rng.integers(0, 4, size=20)
    weighted = _distinct_rows(X, y, counts.astype(float))
    repeated = _distinct_rows(X.repeat(counts, axis=0), y.repeat(counts), np.ones(counts.sum()))
    for a, b in zip(weighted, repeated, strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(weighted[2]) == np.count_nonzero(counts)


def test_row_order_does_not_matter(rng):
    X = rng.normal(size=(50, 3))
    y = rng.normal(size=50)
    weight = rng.uniform(0.5, 2.0, size=50)
    order = rng.permutation(50)
    first = _distinct_rows(X, y, weight)
    second = _distinct_rows(X[order], y[order], weight[order])
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_same_features_different_targets_stay_apart():
    X = np.ones((4, 2))
    y = np.array([0, 1, 0, 1])
    indices, weights = canonical_samples(X, y, np.ones(4))
    assert sorted(y[indices]) == [0, 1]
    np.testing.assert_array_equal(weights, [2.0, 2.0])


def test_zero_weights_are_dropped_and_negative_zero_equals_zero():
    X = np.array([[0.0, 1.0], [-0.0, 1.0], [2.0, 3.0]])
    y = np.zeros(3)
    indices, weights = canonical_samples(X, y, np.array([1.0, 1.0, 0.0]))
    assert len(indices) == 1
    np.testing.assert_array_equal(weights, [2.0])


def test_sparse_and_dense_give_the_same_order(rng):
    X = rng.normal(size=(40, 6))
    X[X < 0.3] = 0.0
    y = rng.integers(0, 2, size=40)
    dense = canonical_samples(X, y, np.ones(40))
    for container in (sp.csr_matrix, sp.csc_matrix):
        sparse = canonical_samples(container(X), y, np.ones(40))
        np.testing.assert_array_equal(dense[0], sparse[0])


def test_multioutput_targets_take_part_in_the_key():
    X = np.zeros((3, 2))
    y = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    indices, weights = canonical_samples(X, y, np.ones(3))
    assert len(indices) == 2
    assert sorted(weights) == [1.0, 2.0]


def test_rows_of_round_values_in_other_columns_stay_apart(rng):
    # The raw bits of 2.0, 1.0 or 0.5 end in zeros; the hash must still tell
    # 2.0 in column 0 from 2.0 in column 4, in X and in multi-output y.
    X = np.array([[2.0, 0, 0, 0, 0], [0, 0, 0, 0, 2.0]])
    assert len(canonical_samples(X, np.ones(2), np.ones(2))[0]) == 2
    assert len(canonical_samples(np.ones((2, 3)), X, np.ones(2))[0]) == 2
    X = (rng.random(size=(500, 12)) < 0.2) * 2.0
    n_distinct = len(np.unique(X, axis=0))
    for data in (X, sp.csr_matrix(X), X.astype(np.float32)):
        assert len(canonical_samples(data, np.zeros(500), np.ones(500))[0]) == n_distinct
    one_hot = sp.identity(9000, format="csr")  # 1.0 in columns 4096 apart
    assert len(canonical_samples(one_hot, np.zeros(9000), np.ones(9000))[0]) == 9000


def test_colliding_hashes_never_merge_different_rows(monkeypatch, rng):
    # With every hash equal, the exact check alone must find the distinct rows.
    from sklearn_snn.training import duplicates as _canonical

    monkeypatch.setattr(_canonical, "_combine", lambda a, b: (0 * a[0], 0 * a[1]))
    X = rng.integers(0, 3, size=(300, 4)).astype(float)
    y = rng.integers(0, 2, size=300)
    distinct, counts = np.unique(np.column_stack([X, y]), axis=0, return_counts=True)
    indices, weights = canonical_samples(X, y, np.ones(300))
    rows = np.column_stack([X, y])[indices]
    assert len(indices) == len(distinct)
    for row, weight in zip(rows, weights, strict=True):
        assert weight == counts[(distinct == row).all(axis=1)][0]
    order = rng.permutation(300)
    again = _distinct_rows(X[order], y[order], np.ones(300))
    np.testing.assert_array_equal(again[0], X[indices])
    np.testing.assert_array_equal(again[2], weights)
    sparse = canonical_samples(sp.csr_matrix(X), y, np.ones(300))
    np.testing.assert_array_equal(sparse[0], indices)
