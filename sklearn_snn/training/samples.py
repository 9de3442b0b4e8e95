"""Training samples as tensors on the training device, and their mini-batches."""

import numpy as np
import scipy.sparse as sp
import torch
from torch.utils.data import Dataset

from ..nn.inference import chunk_rows
from ..nn.input_shaping import shape_inputs


class TrainingData(Dataset):
    """Standardized training samples held as tensors on the training device.

    Dense input becomes one float32 tensor; sparse input stays a CSR matrix on
    the host and is densified one batch at a time.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Validated input data.
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Targets, already encoded for the loss.
    weight : ndarray of shape (n_samples,)
        Non-negative sample weights; only their ratios matter, so they are
        divided by their mean over ``indices`` before float32 holds them.
    indices : ndarray of int
        Rows of ``X``, ``y`` and ``weight`` to keep, in training order.
    mean, scale : ndarray of shape (n_features,)
        Standardization applied to ``X``.
    device : torch.device
        Training device.
    clip : tuple or None, default=None
        Smooth clipping after the standardization, as
        :func:`~sklearn_snn.nn.input_shaping.shape_inputs` takes it.
    """

    def __init__(self, X, y, weight, indices, mean, scale, device, clip=None):
        self.device = torch.device(device)
        self.mean = mean
        self.scale = scale
        self.clip = clip
        if sp.issparse(X):
            # Kept in the input's precision: centring after a cast to float32
            # would lose features with a large offset and a small spread.
            self.X = sp.csr_matrix(X[indices])
            standardized = (self.X.data - mean[self.X.indices]) / scale[self.X.indices]
            with np.errstate(over="ignore"):  # the overflow is the error raised below
                finite = np.isfinite(standardized.astype(np.float32)).all()
                finite = finite and np.isfinite((mean / scale).astype(np.float32)).all()
        else:
            self.X = standardized_tensor(X, indices, mean, scale, self.device, clip)
            finite = bool(torch.isfinite(self.X).all())
        if not finite:
            raise ValueError(
                "Some features exceed float32's range (about ±3.4e38) after "
                "standardization. Rescale X. With standardize=False values go in "
                "as they are; otherwise the scaling is the one learned on the "
                "training rows of the first fit (or first call to partial_fit), "
                "which leaves a column that was constant there unscaled, so rows "
                "far outside those values need rescaling or a new fit "
                "(warm_start=False)."
            )
        y = np.asarray(y)[indices]
        with np.errstate(over="ignore"):  # the overflow is the error raised below
            overflows = y.dtype.kind == "f" and not np.isfinite(y.astype(np.float32)).all()
        if overflows:
            raise ValueError(
                "Targets exceed float32's range (about ±3.4e38) after standardization. "
                "Rescale y, or (for targets below about 1e154, whose variance float64 "
                "holds) pass standardize=True; with standardize=True the scaling "
                "is the one learned by the first fit (or first call to partial_fit), so "
                "targets on a far larger scale need a new fit (warm_start=False)."
            )
        y_dtype = torch.int64 if y.dtype.kind in "iu" else torch.float32
        self.y = torch.as_tensor(y, dtype=y_dtype).to(self.device)
        weight = np.asarray(weight[indices], dtype=np.float64)
        # Only ratios matter; weights of 1e-46 or 1e39 would not survive float32.
        weight = (weight / weight.mean()).astype(np.float32)
        self.weight = torch.from_numpy(weight).to(self.device)
        self.total_weight = float(weight.sum(dtype=np.float64))

    def __len__(self):
        return self.y.shape[0]

    def __getitem__(self, index):
        return self.rows(torch.as_tensor([index]))

    def rows(self, index):
        """Batch ``(X, (y, weight))`` of the given row positions."""
        if isinstance(self.X, torch.Tensor):
            X = self.X[index]
        else:
            dense = self.X[index.cpu().numpy()].toarray()
            shaped = shape_inputs(dense, self.mean, self.scale, self.clip)
            X = torch.from_numpy(shaped).to(self.device, torch.float32)
        return X, (self.y[index], self.weight[index])


class BatchIterator:
    """Iterable over mini-batches of a :class:`TrainingData`, reshuffled each pass.

    Parameters
    ----------
    data : TrainingData
        Samples to iterate over.
    batch_size : int
        Rows per batch; the last batch may be smaller.
    shuffle : bool
        Whether to visit the rows in a new random order on each pass.
    generator : torch.Generator or None
        Generator on ``data.device`` used for shuffling.
    """

    def __init__(self, data, batch_size, shuffle, generator):
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return -(-len(self.data) // self.batch_size)

    def __iter__(self):
        n_samples = len(self.data)
        if self.shuffle:
            order = torch.randperm(n_samples, generator=self.generator, device=self.data.device)
        else:
            order = torch.arange(n_samples, device=self.data.device)
        for start in range(0, n_samples, self.batch_size):
            yield self.data.rows(order[start : start + self.batch_size])


def standardized_tensor(X, indices, mean, scale, device, clip=None):
    """Gather, standardize and convert rows of ``X`` to a float32 tensor.

    Works chunk by chunk so that no full float64 copy of the data is made.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Dense input data.
    indices : ndarray of int
        Rows to take, in order.
    mean, scale : ndarray of shape (n_features,)
        Standardization.
    device : torch.device
        Device of the result.
    clip : tuple or None, default=None
        Smooth clipping, as :func:`~sklearn_snn.nn.input_shaping.shape_inputs`
        takes it.

    Returns
    -------
    tensor : torch.Tensor of shape (len(indices), n_features)
        Standardized float32 rows.
    """
    out = np.empty((len(indices), X.shape[1]), dtype=np.float32)
    step = chunk_rows(X.shape[1])
    for start in range(0, len(indices), step):
        rows = indices[start : start + step]
        with np.errstate(over="ignore"):  # infinities the caller refuses with an error
            out[start : start + len(rows)] = shape_inputs(X[rows], mean, scale, clip)
    return torch.from_numpy(out).to(device)


def full_weights(n_rows, rows, weights):
    """Weights of all ``n_rows`` rows of the data: ``weights`` at ``rows``, 0 elsewhere.

    Parameters
    ----------
    n_rows : int
        Rows of the data.
    rows : ndarray of int
        Rows that carry weight.
    weights : ndarray
        Their weights.

    Returns
    -------
    full : ndarray of shape (n_rows,)
        Float64 weights.
    """
    full = np.zeros(n_rows)
    full[rows] = weights
    return full


def weights_of(data):
    """Float64 sample weights of a :class:`TrainingData`, on the host.

    Parameters
    ----------
    data : TrainingData
        Samples.

    Returns
    -------
    weights : ndarray of shape (len(data),)
        Their weights, divided by their mean.
    """
    return data.weight.cpu().numpy().astype(np.float64)
