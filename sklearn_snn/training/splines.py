"""Cubic B-spline features of the encoded columns, learned in ``fit`` (``spline_knots``).

A network of SELU units learns a smooth function of a column slowly from the
column alone; the column's B-spline basis (one bump per stretch between two
quantile knots) gives it those shapes as inputs. Each column of the encoded
data with at least three distinct training values (numeric, imputed and
target-encoded columns; not 0/1 indicators) is joined by the cubic basis of
scikit-learn's :class:`~sklearn.preprocessing.SplineTransformer` on its
training quantiles (knots that coincide are merged), extrapolated as constants
beyond the training range, so a far-off test value gets the basis of the
nearest training extreme. The basis columns are standardized with the others.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import SplineTransformer

from .numpy_output import numpy_output

DEGREE = 3
# spline_knots="auto": this many knots, where at most AUTO_MAX_COLUMNS columns
# qualify. Wider data gained nothing in the benchmark (docs/accuracy.md) and
# would multiply the first layer's work.
AUTO_KNOTS = 10
AUTO_MAX_COLUMNS = 16


class SplineFeatures:
    """The spline bases of some columns, on given knots; joins them to the data.

    Parameters
    ----------
    columns : array-like of int
        Columns of the encoded data that get a basis.
    knots : list of array-like
        Distinct knots of each column, in increasing order (at least two).
    """

    def __init__(self, columns, knots):
        self.columns = np.asarray(columns, dtype=np.intp)
        self.base_knots = [np.asarray(k, dtype=np.float64) for k in knots]
        # On explicit knots, fitting only extends them: it sees no data.
        self.transformers = [
            _spline_transformer(k[:, None]).fit(k[:, None]) for k in self.base_knots
        ]

    @property
    def knots(self):
        """The full knot vector of each column's basis (the training range and 3 more a side).

        Returns
        -------
        knots : list of ndarray
        """
        return [transformer.bsplines_[0].t for transformer in self.transformers]

    @property
    def n_features_out(self):
        """Number of basis columns, all columns together.

        Returns
        -------
        n_features : int
        """
        return sum(len(k) + DEGREE - 1 for k in self.base_knots)

    @numpy_output
    def transform(self, X):
        """``X`` with the basis columns of :attr:`columns` joined on the right.

        Parameters
        ----------
        X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
            Encoded data with the training columns.

        Returns
        -------
        X_joined : ndarray or scipy sparse CSR matrix
            Sparse for sparse ``X`` (the basis has at most four non-zero
            values per column and row), in ``X``'s float precision.
        """
        sparse = sp.issparse(X)
        # In X's precision: float32 data stays float32.
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        parts = []
        for column, transformer in zip(self.columns, self.transformers, strict=True):
            basis = transformer.transform(_column(X, column)).astype(dtype, copy=False)
            parts.append(sp.csr_matrix(basis) if sparse else basis)
        if sparse:
            return sp.hstack([sp.csr_matrix(X), *parts], format="csr", dtype=dtype)
        return np.hstack([np.asarray(X, dtype=dtype), *parts])

    def state(self):
        """Plain arrays to rebuild it from (``SplineFeatures(**state)``); skops loads them.

        Returns
        -------
        state : dict
        """
        return {"columns": self.columns.copy(), "knots": [k.copy() for k in self.base_knots]}


@numpy_output
def fit_splines(X, indices, weights, spline_knots):
    """Learn the spline bases of ``X[indices]``, or None where there are none.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Encoded training data (numbers, no missing values).
    indices : ndarray of int
        Rows of the distinct training samples.
    weights : ndarray
        Their weights, for the quantiles.
    spline_knots : int, "auto" or None
        Knots per column (before coinciding ones are merged); ``"auto"``:
        :data:`AUTO_KNOTS` where at most :data:`AUTO_MAX_COLUMNS` columns
        qualify, else none; None: none.

    Returns
    -------
    splines : SplineFeatures or None

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_snn.training.splines import fit_splines
    >>> X = np.c_[np.arange(20.0), np.arange(20) % 2]
    >>> splines = fit_splines(X, np.arange(20), np.ones(20), 5)
    >>> splines.columns.tolist(), splines.transform(X).shape
    ([0], (20, 9))
    """
    if spline_knots is None:
        return None
    auto = isinstance(spline_knots, str) and spline_knots == "auto"
    rows = sp.csc_matrix(X[indices]) if sp.issparse(X) else X  # dense X is not copied
    row_indices = None if sp.issparse(X) else indices
    columns = _varied_columns(rows, row_indices, limit=AUTO_MAX_COLUMNS if auto else None)
    if columns is None or not len(columns):
        return None
    n_knots = AUTO_KNOTS if auto else int(spline_knots)
    # Only ratios matter: scaled so that equal weights are exactly 1, which the
    # weighted quantiles sum without rounding, as they do counts of copies
    # (by the largest where weights span more than float64's range).
    scaled = weights / np.min(weights)
    weights = scaled if np.isfinite(scaled).all() else weights / np.max(weights)
    knots = []
    for column in columns:
        values = _column(rows, column, row_indices)
        quantiles = _spline_transformer(n_knots).fit(values, sample_weight=weights)
        knots.append(np.unique(quantiles.bsplines_[0].t[DEGREE:-DEGREE]))
    return SplineFeatures(columns, knots)


def _spline_transformer(knots):
    """Cubic, constant beyond the knots; ``knots`` an int (quantiles) or an array."""
    n_knots = knots if isinstance(knots, int) else len(knots)
    return SplineTransformer(
        n_knots=n_knots,
        degree=DEGREE,
        knots="quantile" if isinstance(knots, int) else knots,
        extrapolation="constant",
    )


def _varied_columns(rows, indices, limit):
    """Columns with at least three distinct values in ``rows`` (at ``indices``, if given).

    None once more than ``limit`` columns qualify (no limit if None).
    """
    columns = []
    for j in range(rows.shape[1]):
        if sp.issparse(rows):
            data = rows.data[rows.indptr[j] : rows.indptr[j + 1]]
            if len(data) < rows.shape[0]:  # an implicit zero is a value too
                data = np.append(data, 0.0)
        else:
            data = rows[indices, j]
        other = data[data != data[0]] if len(data) else data
        if len(other) and (other != other[0]).any():
            columns.append(j)
            if limit is not None and len(columns) > limit:
                return None
    return np.array(columns, dtype=np.intp)


def _column(X, column, indices=None):
    """Column ``column`` of ``X`` (rows ``indices``) as a float64 array of shape (n, 1)."""
    if sp.issparse(X):
        values = X[:, [column]].toarray()
    else:
        values = X[:, [column]] if indices is None else X[indices, column][:, None]
    return np.asarray(values, dtype=np.float64)
