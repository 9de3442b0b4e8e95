"""Weighted standardization of features and regression targets, learned in ``fit``."""

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import StandardScaler

from ..nn.input_shaping import CLIP_BOUND
from .checks import check_standardization

_SCALER_CHUNK_ROWS = 65536
NO_COLUMNS = np.array([], dtype=np.intp)


def input_scaling(X, indices, weights, *, standardize, fixed_point):
    """Per-feature ``(mean, scale, unscaled, clip)`` that map inputs to the fixed point.

    Inputs are standardized, then given the fixed point's mean and variance:
    ``(x - mean) / scale`` equals ``sqrt(var) * z + mean_fp`` for the
    standardized ``z``. With ``standardize="smooth_clip"``, columns whose
    training values are all 0 or 1 (one-hot and indicator columns) are left
    as they are, since a rare one would be scaled to dozens of standard
    deviations, and a test value beyond them is clamped to ``[0, 1]``; the
    other columns are standardized and then smoothly clipped
    to within ``3 * sqrt(var)`` of ``mean_fp``
    (:func:`~sklearn_snn.nn.input_shaping.smooth_clip`). That includes the
    columns constant in training: their training value is ``mean_fp``, which
    the clipping keeps, and a test value that differs stays bounded.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Validated input data.
    indices : ndarray of int
        Rows of the distinct training samples.
    weights : ndarray
        Their weights.
    standardize : bool or "smooth_clip"
        Whether to learn the scaling (and clip); without it, mean 0 and scale 1.
    fixed_point : tuple of (float, float)
        Mean and variance the standardized inputs are given.

    Returns
    -------
    mean, scale : ndarray of shape (n_features,)
        The scaling ``(x - mean) / scale``.
    unscaled : ndarray of int
        Features too constant to scale (see :func:`standardization_statistics`).
    clip : tuple of (float, ndarray of int, float, ndarray of int) or None
        ``(center, columns, bound, zero_one)`` for
        :func:`~sklearn_snn.nn.input_shaping.shape_inputs`, or None.
    """
    n_features = X.shape[1]
    if not standardize:
        return np.zeros(n_features), np.ones(n_features), NO_COLUMNS, None
    mean, scale, unscaled = standardization_statistics(X, indices, weights, "Feature(s)")
    fixed_mean, fixed_var = fixed_point
    scale = scale / np.sqrt(fixed_var)
    mean = mean - fixed_mean * scale
    if standardize != "smooth_clip":
        return mean, scale, unscaled, None
    zero_one = zero_one_columns(X, indices)
    zero_one = zero_one[~np.isin(zero_one, unscaled)]
    mean[zero_one], scale[zero_one] = 0.0, 1.0
    clipped = np.setdiff1d(np.arange(n_features), zero_one)
    bound = CLIP_BOUND * np.sqrt(fixed_var)
    return mean, scale, unscaled, (fixed_mean, clipped, bound, zero_one)


def zero_one_columns(X, indices):
    """Columns of ``X[indices]`` whose values are all 0 or 1.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Validated input data.
    indices : ndarray of int
        Rows to look at.

    Returns
    -------
    columns : ndarray of int
        Their positions, in increasing order.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_snn.training.standardization import zero_one_columns
    >>> X = np.array([[0.0, 1.0, 0.5], [1.0, 1.0, 0.0]])
    >>> zero_one_columns(X, np.arange(2)).tolist()
    [0, 1]
    """
    if sp.issparse(X):
        rows = sp.csc_matrix(X[indices])
        other = (rows.data != 0) & (rows.data != 1)
        column = np.repeat(np.arange(X.shape[1]), np.diff(rows.indptr))
        bad = np.bincount(column[other], minlength=X.shape[1]) > 0
        return np.flatnonzero(~bad)
    keep = np.ones(X.shape[1], dtype=bool)
    for start in range(0, len(indices), _SCALER_CHUNK_ROWS):
        chunk = X[indices[start : start + _SCALER_CHUNK_ROWS]]
        keep &= ((chunk == 0) | (chunk == 1)).all(axis=0)
    return np.flatnonzero(keep)


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
    # Overflowing statistics are refused below with a message that names the columns.
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, len(indices), _SCALER_CHUNK_ROWS):
            rows = indices[start : start + _SCALER_CHUNK_ROWS]
            scaler.partial_fit(data[rows], sample_weight=weights[start : start + len(rows)])
    if scaler.mean_ is None:
        raise AssertionError("StandardScaler did not compute means")
    check_standardization(scaler.mean_, scaler.scale_, what, variance=scaler.var_)
    unscaled = np.flatnonzero((scaler.scale_ == 1.0) & (np.sqrt(scaler.var_) != 1.0))
    check_no_underflow(data, indices, unscaled[scaler.var_[unscaled] == 0.0], what)
    return scaler.mean_, scaler.scale_, unscaled


def check_no_underflow(data, indices, columns, what):
    """Refuse columns whose variance is zero because the squares of their spread underflow.

    Values that differ by about 1e-160 and less have squared differences
    that underflow float64, so StandardScaler takes such a column for a
    constant one and the network would never see how it varies. (A column
    whose variance vanishes because one huge sample weight outweighs the
    other rows is constant as far as the weights go, and passes.)

    Parameters
    ----------
    data : ndarray or scipy sparse matrix of shape (n_samples, n_columns)
        Features or targets.
    indices : ndarray of int
        Rows the statistics were learned from.
    columns : ndarray of int
        Columns whose variance is exactly zero.
    what : str
        ``"Feature(s)"`` or ``"Target(s)"``, for the message.
    """
    if not len(columns):
        return
    if sp.issparse(data):
        rows = sp.csc_matrix(data[indices])[:, columns]
        stored = np.diff(rows.indptr) > 0  # a column without stored entries is all zeros
        columns, rows = columns[stored], rows[:, np.flatnonzero(stored)]
        if not len(columns):
            return
        high = rows.max(axis=0).toarray().ravel()
        low = rows.min(axis=0).toarray().ravel()
    else:
        rows = data[np.ix_(indices, columns)]
        high, low = rows.max(axis=0), rows.min(axis=0)
    spread = high.astype(np.float64) - low.astype(np.float64)
    varying = columns[(spread > 0) & (spread * spread < np.finfo(np.float64).tiny)].tolist()
    if varying:
        raise ValueError(
            f"{what} {varying} vary on a scale too small to standardize: their variance "
            "underflows float64. Rescale them first (e.g. multiply by a power of ten)."
        )
