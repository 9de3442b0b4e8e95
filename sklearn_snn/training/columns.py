"""Which columns are categorical, and whether their kinds stay as ``fit`` saw them."""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import _num_features


def categorical_mask(X, categorical_features):
    """Which columns of ``X`` are categorical, from ``categorical_features``.

    Parameters
    ----------
    X : array-like or pandas DataFrame of shape (n_samples, n_features)
        Training data as given to ``fit``.
    categorical_features : "from_dtype", array-like of int, str or bool, or None
        ``"from_dtype"``: the DataFrame's ``category``, ``object``, ``string``
        and ``bool`` columns (none for other inputs); indices, column names
        (DataFrames only) or a boolean mask; None: no column.

    Returns
    -------
    mask : ndarray of bool of shape (n_features,) or None
        None when no column can be categorical (all numeric input).

    Raises
    ------
    ValueError
        For indices out of range, unknown names, a mask of the wrong length,
        or names without a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_snn.training.columns import categorical_mask
    >>> frame = pd.DataFrame({"size": [1.0, 2.0], "colour": ["red", "blue"]})
    >>> categorical_mask(frame, "from_dtype").tolist()
    [False, True]
    >>> categorical_mask(frame, ["size"]).tolist()
    [True, False]
    >>> categorical_mask(frame[["size"]].to_numpy(), "from_dtype") is None
    True
    """
    columns = getattr(X, "columns", None)
    is_frame = columns is not None and hasattr(getattr(X, "dtypes", None), "items")
    if categorical_features is None or (isinstance(categorical_features, str) and not is_frame):
        return None
    if isinstance(categorical_features, str):  # "from_dtype", checked by the constraints
        return np.array([_is_categorical_dtype(dtype) for dtype in X.dtypes], dtype=bool)
    n_features = _num_features(X)
    spec = np.asarray(categorical_features)
    if spec.dtype.kind == "b":
        if spec.shape != (n_features,):
            raise ValueError(
                f"categorical_features as a boolean mask needs {n_features} entries, one per "
                f"feature; got shape {spec.shape}."
            )
        return spec.astype(bool)
    mask = np.zeros(n_features, dtype=bool)
    for item in spec.ravel().tolist():
        if isinstance(item, str):
            if columns is None:
                raise ValueError(
                    f"categorical_features names a column ({item!r}), but X is not a pandas "
                    "DataFrame with column names; pass column indices instead."
                )
            names = [str(name) for name in columns]
            if item not in names:
                raise ValueError(
                    f"categorical_features names {item!r}, which is not a column of X; "
                    f"the columns are {names}."
                )
            mask[names.index(item)] = True
        elif isinstance(item, Integral) and -n_features <= item < n_features:
            mask[item] = True
        else:
            raise ValueError(
                f"categorical_features holds {item!r}, which is not a column index in "
                f"[0, {n_features}) nor a column name."
            )
    return mask


def column_kinds(X, mask):
    """For a DataFrame, each column's name and whether its dtype reads as categorical.

    Parameters
    ----------
    X : object
        Input data.
    mask : ndarray of bool
        Categorical columns as ``fit`` treated them.

    Returns
    -------
    kinds : list of (str, bool, str) or None
        ``(name, declared categorical, dtype)`` per column; None for inputs
        that are not DataFrames.
    """
    if not hasattr(X, "dtypes") or not hasattr(X.dtypes, "items"):
        return None
    return [
        (str(name), bool(is_categorical), str(dtype))
        for (name, dtype), is_categorical in zip(X.dtypes.items(), mask, strict=True)
    ]


def check_same_kinds(X, kinds):
    """Refuse a DataFrame whose columns changed type between ``fit`` and now.

    Parameters
    ----------
    X : object
        Input data at predict time (or of a continued fit).
    kinds : list of (str, bool, str) or None
        From :func:`column_kinds` at ``fit``.
    """
    if kinds is None or not hasattr(X, "dtypes") or not hasattr(X.dtypes, "items"):
        return
    if [str(name) for name in X.columns] != [name for name, _, _ in kinds]:
        return  # moved, renamed or missing columns: feature-name validation says which
    for position, ((name, was_categorical, was_dtype), dtype) in enumerate(
        zip(kinds, X.dtypes, strict=False)
    ):
        if was_categorical:
            # Any values encode (unseen ones as unknown categories), but a category
            # spelt True in fit must not come back as 1, nor 1 as True.
            was_bool = _truth_values(was_dtype)
            changed = was_bool != _truth_values(dtype)
            # A column with no value at all (all-NaN floats, as readers give it) holds no 1.
            if (
                changed
                and _is_number(dtype if was_bool else was_dtype)
                and X.iloc[:, position].notna().any()
            ):
                raise ValueError(
                    f"Column {name!r} was categorical with dtype {was_dtype} in fit but is "
                    f"{dtype} now, so its categories would be read as others (True is not "
                    "1 here); pass it with the dtype it had in fit."
                )
            continue
        if _is_categorical_dtype(dtype) and not _holds_numbers(X.iloc[:, position]):
            raise ValueError(
                f"Column {name!r} was numeric ({was_dtype}) in fit but is {dtype} now; "
                "pass it with the dtype it had in fit, or declare it in "
                "categorical_features and fit again."
            )


def check_no_dates(X, categorical, *, declared=True, by_values=True):
    """Refuse date, time or period columns not declared categorical: no encoding reads them.

    Such columns are found by their dtype, or in ``object`` columns by their
    values (``datetime.date`` and ``Timestamp`` objects, as SQL and Excel
    readers give them); a numpy array of ``datetime64`` or ``timedelta64``
    values is refused as a whole.

    Parameters
    ----------
    X : object
        Input data; DataFrames are checked column by column.
    categorical : ndarray of bool or None
        Columns declared or found categorical, which may hold any values.
    declared : bool, default=True
        Whether ``categorical`` was named by the caller; with
        ``categorical_features="from_dtype"`` an ``object`` column is
        categorical by its dtype, not declared, and is refused if it holds
        dates.
    by_values : bool, default=True
        Whether to look at the values of ``object`` columns and numpy arrays
        too (in ``fit``; a fitted model keeps reading what it was fitted on).

    Raises
    ------
    ValueError
        Naming the first such column.
    """
    dtype = getattr(X, "dtype", None)
    if by_values and isinstance(X, np.ndarray) and dtype.kind in "mM":
        raise ValueError(
            f"X holds dates or times ({dtype}), which are neither numbers nor categories; "
            "turn them into numbers before fitting (for example days since a reference "
            "date, or the year, month and weekday)."
        )
    if not hasattr(X, "dtypes") or not hasattr(X.dtypes, "items"):
        return
    import pandas as pd

    for position, (name, dtype) in enumerate(X.dtypes.items()):
        # An extra column at prediction is left to the feature count check.
        declared_here = (
            categorical is not None and position < len(categorical) and categorical[position]
        )
        dated = dtype.kind in "mM" or isinstance(dtype, pd.PeriodDtype | pd.DatetimeTZDtype)
        if dated or _is_arrow_temporal(dtype):
            if not declared_here:
                _refuse_dates(name, dtype)
        elif by_values and not (declared and declared_here) and pd.api.types.is_object_dtype(dtype):
            kind = pd.api.types.infer_dtype(X.iloc[:, position], skipna=True)
            if kind in _DATED_VALUES:
                _refuse_dates(name, f"{kind} values in an object column")


def _is_arrow_temporal(dtype):
    """Whether ``dtype`` is a pyarrow date, time, timestamp or duration type."""
    arrow_type = getattr(dtype, "pyarrow_dtype", None)
    if arrow_type is None:
        return False
    import pyarrow as pa

    return pa.types.is_temporal(arrow_type)


def _refuse_dates(name, kind):
    raise ValueError(
        f"Column {name!r} holds dates or times ({kind}), which are neither numbers "
        "nor categories; turn it into numeric columns before fitting (for example "
        "days since a reference date, or the year, month and weekday), or declare "
        "it in categorical_features."
    )


def check_same_categorical(X, categorical_features, fitted_features, fitted):
    """Refuse a continued fit whose changed ``categorical_features`` select other columns.

    The encoding is learned by the first fit and kept by continued fits, so
    a changed selection would be ignored without a word. An unchanged
    parameter passes: how the data's column types may change is
    :func:`check_same_kinds`' concern.

    Parameters
    ----------
    X : object
        Input data of the continued fit.
    categorical_features : "from_dtype", array-like or None
        The estimator's parameter now.
    fitted_features : "from_dtype", array-like or None
        The parameter when the encoding was learned.
    fitted : ndarray of bool of shape (n_features,)
        The columns the fitted encoding treats as categorical.
    """
    if _same_selection(categorical_features, fitted_features):
        return
    mask = categorical_mask(X, categorical_features)
    mask = np.zeros(len(fitted), dtype=bool) if mask is None else mask
    if mask.shape != fitted.shape or not np.array_equal(mask, fitted):
        now, then = np.flatnonzero(mask).tolist(), np.flatnonzero(fitted).tolist()
        raise ValueError(
            f"categorical_features selects the columns {now} now, but the network was "
            f"fitted with {then} encoded as categories; warm_start and partial_fit keep "
            "the fitted encoding. Restore categorical_features, or fit a new network "
            "(warm_start=False and fit)."
        )


def _same_selection(a, b):
    """Whether two ``categorical_features`` values are the same value."""
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    return np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object))


def declares_categories(dtype):
    """Whether ``dtype`` is pandas' ``category`` or pyarrow's dictionary (its pyarrow form).

    Such a column's values are labels by the dtype itself, whatever they are.

    Parameters
    ----------
    dtype : object
        A column's dtype.

    Returns
    -------
    declares : bool
        True for a ``category`` dtype or a pyarrow dictionary.
    """
    import pandas as pd

    return isinstance(dtype, pd.CategoricalDtype) or _is_arrow_dictionary(dtype)


# What pandas.api.types.infer_dtype calls an object column of dates or times.
_DATED_VALUES = {"date", "datetime", "datetime64", "time", "timedelta", "timedelta64", "period"}


def _is_categorical_dtype(dtype):
    import pandas as pd

    return (
        declares_categories(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
    )


def _is_arrow_dictionary(dtype):
    """Whether ``dtype`` is pyarrow's dictionary type: a ``category`` read with that backend."""
    import pandas as pd

    if not isinstance(dtype, pd.ArrowDtype):
        return False
    import pyarrow

    return pyarrow.types.is_dictionary(dtype.pyarrow_dtype)


def _truth_values(dtype):
    """Whether ``dtype`` (or its name) is bool or pandas' nullable boolean."""
    import pandas as pd

    dtype = _pandas_dtype(dtype)
    return dtype is not None and pd.api.types.is_bool_dtype(dtype)


def _is_number(dtype):
    """Whether ``dtype`` (or its name) holds integers or floats, bool excluded."""
    import pandas as pd

    dtype = _pandas_dtype(dtype)
    return dtype is not None and pd.api.types.is_numeric_dtype(dtype) and not _truth_values(dtype)


def _pandas_dtype(dtype):
    """``dtype`` itself, or the dtype a stored name spells (None where pandas cannot read it)."""
    import pandas as pd

    try:
        return pd.api.types.pandas_dtype(dtype)
    except TypeError:
        return None


def _holds_numbers(column):
    """Whether an object or category column holds only numbers (and missing values)."""
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype):
        column = pd.Series(column.cat.categories)
    if pd.api.types.is_bool_dtype(column.dtype):
        return True
    return bool(pd.to_numeric(column, errors="coerce").notna().eq(column.notna()).all())
