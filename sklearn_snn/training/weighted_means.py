"""Weighted column means for the encoder: exact where they impute training values.

A sample weight of ``k`` must give the model that ``k`` copies of the row
give, bit for bit. The means that fill missing training values decide the
imputed values and, through the hash of each row's content, the order in
which the rows train, so they are summed exactly (``math.fsum`` of exact
products): any order of summation, weighted or repeated, gives the same bits.
Means that only fill values first missing at prediction are weighted numpy
sums.
"""

import math

import numpy as np
import scipy.sparse as sp


def column_means(X, sample_weight=None):
    """Float64 training mean of each numeric column, where :func:`fit_encoder` kept no imputer.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Numeric training data, without missing values in the rows of
        positive weight.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Non-negative weights: the weighted mean of the rows of positive
        weight.

    Returns
    -------
    means : ndarray of shape (n_features,)
    """
    keep = positive_rows(sample_weight)
    rows = X if keep is None else X[keep]
    if sample_weight is None or np.all(sample_weight == sample_weight[0]):
        return np.asarray(rows.mean(axis=0, dtype=np.float64)).ravel()
    weight = sample_weight if keep is None else sample_weight[keep]
    return np.asarray(rows.T @ weight, dtype=np.float64).ravel() / weight.sum()


def positive_rows(sample_weight):
    """Mask of the rows of positive weight, the rows an encoder learns from.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights.

    Returns
    -------
    keep : ndarray of bool of shape (n_samples,) or None
        None where that is every row, or none (the fit then fails with its
        own message about zero weights).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_snn.training.weighted_means import positive_rows
    >>> positive_rows(np.array([1.0, 0.0, 2.0])).tolist()
    [True, False, True]
    >>> positive_rows(np.ones(3)) is None
    True
    """
    if sample_weight is None:
        return None
    keep = sample_weight > 0
    return None if keep.all() or not keep.any() else keep


def weigh_imputer_means(imputer, values, sample_weight, keep):
    """Give a fitted mean imputer the weighted means of ``values``, exactly summed where it imputes.

    ``values`` are the rows the imputer learned from (those of ``keep``).
    For a column with missing values among them, the mean is the correctly
    rounded weighted sum of its present entries (``math.fsum`` of exact
    products; a sparse matrix's implicit zeros are present) over their
    summed weight, so a row of weight ``k`` gives the bits that ``k``
    copies of it give: summed in another order, the imputed values, and
    with them the training rows' canonical (hashed) order, would change.
    Other columns' means only fill values missing at prediction time: they
    are weighted, summed as numpy sums.

    Parameters
    ----------
    imputer : SimpleImputer
        A fitted mean imputer; its ``statistics_`` are replaced.
    values : ndarray or sparse matrix of shape (n_kept, n_features)
        The rows it learned from.
    sample_weight : ndarray of shape (n_samples,) or None
        The fit's weights, of all rows.
    keep : ndarray of bool of shape (n_samples,) or None
        The rows of ``values`` among them (:func:`positive_rows`).

    Returns
    -------
    changed : bool
        Whether a mean changed, so that values imputed with the old ones
        must be imputed again.
    """
    weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    weight = weight if weight is None or keep is None else weight[keep]
    means = imputer.statistics_.copy()
    missing = missing_per_column(values)
    if weight is not None and not np.all(weight == weight[0]):
        present = ~missing
        if sp.issparse(values):
            rows = sp.csc_matrix(values, dtype=np.float64)[:, np.flatnonzero(present)]
            means[present] = np.asarray(rows.T @ weight).ravel() / weight.sum()
        else:
            rows = np.asarray(values[:, present], dtype=np.float64)
            means[present] = rows.T @ weight / weight.sum()
    if missing.any():
        columns = np.flatnonzero(missing)
        total = None if weight is None else math.fsum(weight)
        for column, (entries, rows) in zip(columns, _columns_of(values[:, columns]), strict=True):
            exact = _exact_mean(entries, rows, values.shape[0], weight, total)
            means[column] = means[column] if exact is None else exact
    changed = not np.array_equal(means, imputer.statistics_, equal_nan=True)
    imputer.statistics_ = means
    return changed


def _columns_of(values):
    """``(entries, rows)`` of each column: a sparse matrix's stored entries and their rows."""
    if sp.issparse(values):
        values = sp.csc_matrix(values, dtype=np.float64)
        for start, stop in zip(values.indptr[:-1], values.indptr[1:], strict=True):
            yield values.data[start:stop], values.indices[start:stop]
        return
    values = np.asarray(values, dtype=np.float64)
    rows = np.arange(values.shape[0])
    for column in values.T:
        yield column, rows


def _exact_mean(entries, rows, n_rows, weight, total):
    """Correctly rounded weighted mean of the present ``entries``; None where it overflows.

    ``rows`` are the entries' rows among ``n_rows`` (the others are a sparse
    matrix's zeros); ``total`` is ``math.fsum(weight)``.
    """
    missing = np.isnan(entries)
    present, lost = entries[~missing], rows[missing]
    try:
        if weight is None:
            return math.fsum(present) / (n_rows - len(lost))
        product, error = _two_product(weight[rows[~missing]], present)
        mass = total if not len(lost) else math.fsum(np.concatenate([weight, -weight[lost]]))
        return math.fsum(np.concatenate([product, error])) / mass if mass > 0 else None
    except (OverflowError, ValueError, ZeroDivisionError):  # left to the checks that name it
        return None


def _two_product(a, b):
    """``(p, e)`` with ``p + e == a * b`` exactly (Dekker's product, no overflow)."""
    product = a * b
    with np.errstate(over="ignore", invalid="ignore"):
        a_high, a_low = _split(a)
        b_high, b_low = _split(b)
        error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low
    return product, np.where(np.isfinite(error), error, 0.0)


def _split(a):
    """``(high, low)`` halves of ``a``'s 53-bit significand, ``high + low == a``."""
    scaled = 134217729.0 * a  # 2**27 + 1
    high = scaled - (scaled - a)
    return high, a - high


def missing_per_column(values):
    """Which columns of ``values`` hold a missing value (NaN).

    Parameters
    ----------
    values : ndarray or sparse matrix of shape (n_samples, n_features)
        Numbers, or an object array of numbers (a mixed table's numeric part).

    Returns
    -------
    missing : ndarray of bool of shape (n_features,)
    """
    if sp.issparse(values):
        values = sp.csr_matrix(values)
        columns = values.indices[np.isnan(values.data)]
        return np.bincount(columns, minlength=values.shape[1]) > 0
    values = np.asarray(values)
    if values.dtype.kind != "f":  # object columns of numbers (mixed tables)
        values = values.astype(np.float64)
    return np.isnan(values).any(axis=0)
