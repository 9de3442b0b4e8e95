"""Weighted standardization of features and regression targets, learned in ``fit``."""

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import StandardScaler

from .checks import check_standardization

_SCALER_CHUNK_ROWS = 65536
NO_COLUMNS = np.array([], dtype=np.intp)


def input_scaling(X, indices, weights, *, standardize, fixed_point):
    """Per-feature ``(mean, scale, unscaled)`` that map inputs to the fixed point.

    Inputs are standardized, then given the fixed point's mean and variance:
    ``(x - mean) / scale`` equals ``sqrt(var) * z + mean_fp`` for the
    standardized ``z``.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Validated input data.
    indices : ndarray of int
        Rows of the distinct training samples.
    weights : ndarray
        Their weights.
    standardize : bool
        Whether to learn the scaling; without it, mean 0 and scale 1.
    fixed_point : tuple of (float, float)
        Mean and variance the standardized inputs are given.

    Returns
    -------
    mean, scale : ndarray of shape (n_features,)
        The scaling ``(x - mean) / scale``.
    unscaled : ndarray of int
        Features too constant to scale (see :func:`standardization_statistics`).
    """
    n_features = X.shape[1]
    if not standardize:
        return np.zeros(n_features), np.ones(n_features), NO_COLUMNS
    mean, scale, unscaled = standardization_statistics(X, indices, weights, "Feature(s)")
    fixed_mean, fixed_var = fixed_point
    scale = scale / np.sqrt(fixed_var)
    return mean - fixed_mean * scale, scale, unscaled


def standardization_statistics(data, indices, weights, what):
    """Weighted ``(mean, scale, unscaled)`` of ``data[indices]`` for standardizing.

    Parameters
    ----------
    data : ndarray or scipy sparse matrix of shape (n_samples, n_columns)
        Features or targets.
    indices : ndarray of int
        Rows to learn from, in canonical order.
    weights : ndarray
        Their weights; only ratios matter.
    what : str
        ``"Feature(s)"`` or ``"Target(s)"``: names the columns in the error
        for statistics that overflow.

    Returns
    -------
    mean, scale : ndarray of shape (n_columns,)
        Weighted mean and standard deviation, as
        :class:`~sklearn.preprocessing.StandardScaler` computes them (sparse
        data too: batches are densified before they are centred).
    unscaled : ndarray of int
        Columns that StandardScaler left at scale 1 because their variance is
        zero or at rounding level (a column of variance exactly 1 also has
        scale 1, but is scaled).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_snn.training.standardization import standardization_statistics
    >>> data = np.array([[0.0, 5.0], [2.0, 5.0]])
    >>> mean, scale, unscaled = standardization_statistics(
    ...     data, np.array([0, 1]), np.array([3.0, 1.0]), "Feature(s)"
    ... )
    >>> mean.tolist(), unscaled.tolist()
    ([0.5, 5.0], [1])
    """
    scaler = StandardScaler(with_mean=not sp.issparse(data))
    weights = weights / np.mean(weights)  # only ratios matter; 1e20 loses the scale
    for start in range(0, len(indices), _SCALER_CHUNK_ROWS):
        rows = indices[start : start + _SCALER_CHUNK_ROWS]
        scaler.partial_fit(data[rows], sample_weight=weights[start : start + len(rows)])
    if scaler.mean_ is None:
        raise AssertionError("StandardScaler did not compute means")
    check_standardization(scaler.mean_, scaler.scale_, what)
    unscaled = np.flatnonzero((scaler.scale_ == 1.0) & (np.sqrt(scaler.var_) != 1.0))
    return scaler.mean_, scaler.scale_, unscaled
