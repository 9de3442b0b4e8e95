"""Inference in float64, in chunks of bounded memory."""

import copy

import numpy as np
import scipy.sparse as sp
import torch

_CHUNK_ROWS = 16384
_CHUNK_BYTES = 32 * 2**20  # of float64 values; wide (sparse) data gets fewer rows


def chunk_rows(n_features, most=_CHUNK_ROWS):
    """Rows per chunk: at most ``most``, and about 32 MiB of float64 values.

    Parameters
    ----------
    n_features : int
        Columns of the data.
    most : int, default=16384
        Largest number of rows.

    Returns
    -------
    n_rows : int
        At least 1.

    Examples
    --------
    >>> from sklearn_snn.nn.inference import chunk_rows
    >>> chunk_rows(20), chunk_rows(50_000)
    (16384, 83)
    """
    return max(1, min(most, _CHUNK_BYTES // (8 * max(n_features, 1))))


def predict_raw(module, X, mean, scale):
    """Raw network outputs in float64, computed in large chunks.

    Inference runs on a float64 copy of the module so that each row's output
    does not depend on which other rows share its chunk, beyond float64
    rounding (about 1e-15).

    Parameters
    ----------
    module : torch.nn.Module
        Trained network with an ``output`` layer and a
        ``set_dropout_generator`` method.
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Validated input data.
    mean, scale : ndarray of shape (n_features,)
        Standardization learned in ``fit``.

    Returns
    -------
    raw : ndarray of shape (n_samples, n_outputs)
        Float64 outputs.
    """
    device = next(module.parameters()).device
    inference_module = _float64_copy(module)
    outputs = []
    with torch.inference_mode():
        step = chunk_rows(X.shape[1])
        for start in range(0, X.shape[0], step):
            chunk = X[start : start + step]
            if sp.issparse(chunk):
                chunk = chunk.toarray()
            chunk = (np.asarray(chunk, dtype=np.float64) - mean) / scale
            batch = torch.from_numpy(chunk).to(device)
            outputs.append(inference_module(batch).cpu().numpy())
    if not outputs:
        return np.empty((0, module.output.out_features))
    return np.concatenate(outputs)


def _float64_copy(module):
    clone = copy.deepcopy(module)
    clone.set_dropout_generator(None)
    return clone.double().eval()
