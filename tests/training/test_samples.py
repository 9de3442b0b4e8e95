"""Training samples as standardized tensors, their weights, and their mini-batches."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from sklearn_snn.nn import inference
from sklearn_snn.training.samples import (
    BatchIterator,
    TrainingData,
    full_weights,
    standardized_tensor,
    weights_of,
)


@pytest.fixture
def samples(rng):
    """Sparse-ish rows far from standardized, integer targets, uneven weights."""
    X = rng.normal(loc=3.0, scale=5.0, size=(40, 5))
    X[np.abs(X - 3.0) < 3.0] = 0.0
    y = rng.integers(0, 3, size=40)
    weight = rng.uniform(0.5, 4.0, size=40)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    return X, y, weight, mean, scale


def _data(samples, indices, container=np.asarray, **changes):
    X, y, weight, mean, scale = samples
    parts = dict(X=container(X), y=y, weight=weight, mean=mean, scale=scale) | changes
    return TrainingData(
        parts["X"], parts["y"], parts["weight"], indices, parts["mean"], parts["scale"], "cpu"
    )


def test_rows_are_standardized_in_training_order(samples):
    X, y, _, mean, scale = samples
    indices = np.array([7, 3, 30, 0, 12])
    data = _data(samples, indices)
    assert len(data) == 5 and data.X.dtype == torch.float32
    np.testing.assert_array_equal(data.X.numpy(), ((X[indices] - mean) / scale).astype(np.float32))
    assert data.y.dtype == torch.int64 and data.y.tolist() == y[indices].tolist()
    regression = _data(samples, indices, y=X[:, 0])
    assert regression.y.dtype == torch.float32


def test_weights_are_divided_by_their_mean_over_the_kept_rows(samples):
    _, _, weight, _, _ = samples
    indices = np.array([5, 1, 9])
    data = _data(samples, indices)
    expected = weight[indices] / weight[indices].mean()
    np.testing.assert_allclose(data.weight.numpy(), expected, rtol=1e-7)
    assert data.total_weight == pytest.approx(3.0, rel=1e-7)
    assert weights_of(data).dtype == np.float64
    np.testing.assert_array_equal(weights_of(data), data.weight.numpy())
    # Weights beyond float32's range keep their ratios.
    for factor in (1e-46, 1e39):
        tiny = _data(samples, indices, weight=weight * factor)
        np.testing.assert_allclose(tiny.weight.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix])
def test_sparse_batches_are_densified_as_the_dense_rows(samples, container):
    indices = np.array([3, 8, 1, 22, 39, 14])
    dense, sparse = _data(samples, indices), _data(samples, indices, container)
    assert sp.issparse(sparse.X)
    for rows in (torch.tensor([0, 5, 2]), torch.arange(6)):
        (X_dense, (y_dense, w_dense)), (X_sparse, (y_sparse, w_sparse)) = (
            data.rows(rows) for data in (dense, sparse)
        )
        assert X_sparse.dtype == torch.float32
        torch.testing.assert_close(X_sparse, X_dense, rtol=0, atol=1e-6)
        assert torch.equal(y_sparse, y_dense) and torch.equal(w_sparse, w_dense)
    X_one, _ = sparse[4]
    torch.testing.assert_close(X_one, dense.X[[4]], rtol=0, atol=1e-6)


def test_sparse_feature_with_a_large_offset_is_centred_before_float32(samples):
    # 1e8 + x in float32 would keep steps of 8, far above the spread of x.
    X, *_ = samples
    X = X.copy()
    X[:, 2] = 1e8 + np.linspace(-1, 1, 40)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    sparse = _data(samples, np.arange(40), sp.csr_matrix, X=X, mean=mean, scale=scale)
    column = sparse.rows(torch.arange(40))[0][:, 2].numpy()
    np.testing.assert_allclose(column, np.linspace(-1, 1, 40) / scale[2], atol=1e-5)


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_values_beyond_float32_are_refused(samples):
    X, *_ = samples
    huge = X.copy()
    huge[3, 1] = 1e39
    no_scaling = dict(X=huge, mean=np.zeros(5), scale=np.ones(5))
    for container in (np.asarray, sp.csr_matrix):
        with pytest.raises(ValueError, match="Some features exceed float32's range"):
            _data(samples, np.arange(40), container, **no_scaling)
    # Sparse rows are centred per batch: the zeros of a column with no stored
    # value, centred on an offset beyond float32, are refused up front too.
    empty_column = X.copy()
    empty_column[:, 4] = 0.0
    offset = dict(X=empty_column, mean=np.array([0, 0, 0, 0, 1e39]), scale=np.ones(5))
    with warnings.catch_warnings():  # the error, not numpy's overflow warning, says it
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="Some features exceed float32's range"):
            _data(samples, np.arange(40), sp.csr_matrix, **offset)
        with pytest.raises(ValueError, match="Targets exceed float32's range"):
            _data(samples, np.arange(40), y=np.where(np.arange(40) == 5, -1e39, 1.0))
    # Rows that are not kept do not count.
    _data(samples, np.array([0, 1, 2]), **no_scaling)


@pytest.fixture
def ordered(samples):
    """Ten rows whose targets are their positions."""
    return _data(samples, np.arange(10), y=np.arange(40))


def _order(batches):
    return [int(row) for _, (y, _) in batches for row in y]


def test_batches_without_shuffling_cover_the_rows_in_order(ordered):
    batches = BatchIterator(ordered, 4, shuffle=False, generator=None)
    assert len(batches) == 3
    assert [len(y) for _, (y, _) in batches] == [4, 4, 2]
    assert _order(batches) == list(range(10))
    assert len(BatchIterator(ordered, 5, False, None)) == 2
    assert len(BatchIterator(ordered, 11, False, None)) == 1


def test_shuffled_order_is_the_generators_permutation(ordered):
    def generator(seed):
        return torch.Generator().manual_seed(seed)

    batches = BatchIterator(ordered, 3, shuffle=True, generator=generator(5))
    first, second = _order(batches), _order(batches)
    assert first == torch.randperm(10, generator=generator(5)).tolist()
    assert sorted(second) == list(range(10)) and second != first, "each pass reshuffles"
    assert _order(BatchIterator(ordered, 3, True, generator(5))) == first
    assert _order(BatchIterator(ordered, 3, True, generator(6))) != first


def test_standardized_tensor_works_in_chunks(monkeypatch, samples):
    X, _, _, mean, scale = samples
    indices = np.array([39, 0, 17, 17, 5, 22, 8])
    whole = standardized_tensor(X, indices, mean, scale, "cpu")
    monkeypatch.setattr(inference, "_CHUNK_BYTES", 8 * 5 * 2)  # 2 rows per chunk
    chunked = standardized_tensor(X, indices, mean, scale, "cpu")
    assert torch.equal(chunked, whole)
    np.testing.assert_array_equal(whole.numpy(), ((X[indices] - mean) / scale).astype(np.float32))


def test_full_weights_put_zeros_on_the_other_rows():
    full = full_weights(5, np.array([3, 1]), np.array([2.5, 7.0]))
    assert full.dtype == np.float64 and full.tolist() == [0.0, 7.0, 0.0, 2.5, 0.0]
