"""Tables as they come: categorical columns encoded, missing values imputed.

The estimators take a pandas DataFrame with categorical columns and missing
values as :class:`~sklearn.ensemble.HistGradientBoostingClassifier` does.
``fit_encoder`` turns it into the numbers the network needs, with
scikit-learn's own encoders inside a
:class:`~sklearn.compose.ColumnTransformer`:

- a categorical column with at most ``MAX_ONE_HOT_CATEGORIES`` categories is
  one-hot encoded (:class:`~sklearn.preprocessing.OneHotEncoder`); categories
  seen fewer than ``MIN_FREQUENCY`` times (on fewer than 100 rows, 5% of the
  rows, at least twice: ``rare_below``) are grouped as "infrequent", and a
  category first seen at predict time counts as infrequent (all zeros when no
  category was infrequent in training). A missing value is a category of its
  own.
- a column with more categories is target encoded
  (:class:`~sklearn.preprocessing.TargetEncoder`, with its internal cross
  fitting) for binary, multiclass and single-target regression; for
  multilabel and multi-output targets it is one-hot encoded with the
  ``MAX_ONE_HOT_CATEGORIES - 1`` most frequent categories and one column
  for the rest.
- a numeric column's missing values (NaN, ``pd.NA``) are imputed with its
  training mean (:class:`~sklearn.impute.SimpleImputer`), with an indicator
  column for each feature that had missing values in training. Numeric data
  without missing values in training keeps no imputer: a missing value that
  turns up later gets the column's training mean, as the imputer would give.

The encoder is learned by the first ``fit`` (or first ``partial_fit``) and
kept by continued fits, which warn about categories it never saw. A first
``partial_fit`` batch need not hold every category, nor show how rare each
is: there no category is grouped as infrequent, and the categories that a
pandas ``category`` dtype declares get their columns, seen or not (a column
declaring more than ``MAX_ONE_HOT_CATEGORIES`` is target encoded from the
batch alone).
All-numeric data without missing values passes through untouched: its
precision and sparsity stay as they were.
"""

import copy
import hashlib
import sys
from decimal import Decimal
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import OneHotEncoder, TargetEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    _check_y,
    _num_samples,
    check_consistent_length,
    validate_data,
)

from .checks import explain_column_error
from .columns import (
    categorical_mask,
    check_no_dates,
    check_same_categorical,
    check_same_kinds,
    column_kinds,
    declares_categories,
)
from .numpy_output import numpy_output
from .state import draw_seed
from .weighted_means import column_means, missing_per_column, positive_rows, weigh_imputer_means

MAX_ONE_HOT_CATEGORIES = 50
MIN_FREQUENCY = 5
# The ColumnTransformer parts that encode categories.
_CATEGORY_ENCODERS = ("one_hot", "target")
_MISSING = np.nan
# The spellings of flags (see _category), which a column must keep between fit and now.
_BITS, _TRUTHS = {"0", "1"}, {"False", "True"}


def validate_and_encode(
    estimator, X, y="no_validation", *, reset, sample_weight=None, partial=False, notices=None
):
    """``X`` (and ``y``) checked as scikit-learn does, then encoded as numbers.

    With ``reset`` (a first fit) the categorical columns are found and the
    encoder learned and stored on the estimator, from the rows of positive
    ``sample_weight`` (see :func:`fit_encoder`); later calls use them.
    Errors name the column at fault.

    Parameters
    ----------
    estimator : SNNClassifier or SNNRegressor
        The estimator whose data these are.
    X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
        Input data.
    y : array-like or "no_validation", default="no_validation"
        Targets, or none to check (prediction).
    reset : bool
        Whether to learn the columns and the encoding.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        The fit's sample weights, with ``reset``.
    partial : bool, default=False
        Whether a ``partial_fit`` call gives the data: the first learns the
        encoding from its batch alone (see ``first_batch`` of
        :func:`fit_encoder`).
    notices : list or None, default=None
        Where a continued fit adds its warning about categories the encoding
        never saw, as ``(message, category)``, to issue once the fit is kept.

    Returns
    -------
    X_encoded : ndarray or sparse matrix
        Or ``(X_encoded, y)`` when ``y`` is given.
    """
    # Models saved before lists kept their flags read them as numbers.
    keep_flags = reset or getattr(estimator, "_lists_keep_flags", False)
    X = _array_if_sequence(_pandas_if_polars(X, estimator.categorical_features), keep_flags)
    if sp.issparse(X) and X.format not in ("csr", "csc"):  # COO, LIL...: column access
        X = X.tocsr()
    if reset:
        categorical = categorical_mask(X, estimator.categorical_features)
    else:
        categorical = getattr(estimator, "_categorical", None)  # None: saved before it existed
        check_same_kinds(X, getattr(estimator, "_column_kinds", None))
    declared = not isinstance(estimator.categorical_features, str)
    check_no_dates(X, categorical, declared=declared, by_values=reset)
    no_y = isinstance(y, str) and y == "no_validation"
    if not (reset or no_y) and hasattr(estimator, "_fitted_categorical_features"):
        fitted_features = estimator._fitted_categorical_features  # absent: saved before
        check_same_categorical(X, estimator.categorical_features, fitted_features, categorical)
    checks = {
        "reset": reset,
        "skip_check_array": categorical is not None and bool(categorical.any()),
        "accept_sparse": ["csr", "csc"],
        "dtype": (np.float64, np.float32),
        "ensure_all_finite": "allow-nan",
    }
    if not checks["skip_check_array"]:
        X = _missing_as_nan(X)
    try:
        if no_y:
            X_checked = validate_data(estimator, X, **checks)
        else:
            X_checked, y = validate_data(
                estimator, X, y, multi_output=True, y_numeric=estimator._y_numeric, **checks
            )
    except (ValueError, TypeError) as error:
        explain_column_error(X, error, categorical)
    if categorical is None:
        categorical = np.zeros(X_checked.shape[1], dtype=bool)
    elif categorical.any() and _num_samples(X_checked) == 0:  # validation was skipped
        raise ValueError(
            f"Found array with 0 sample(s) (shape={X_checked.shape}) while a minimum of 1 "
            f"is required by {type(estimator).__name__}."
        )
    elif categorical.any() and not no_y:
        y = _check_y(y, multi_output=True, y_numeric=estimator._y_numeric)
        check_consistent_length(X, y)
    if reset:
        weight = None
        if sample_weight is not None:
            weight = _check_sample_weight(
                sample_weight, X_checked, dtype=np.float64, ensure_non_negative=True
            )
        keep = positive_rows(weight)  # the rows the encoder learns from
        kind = target_type(y if keep is None else y[keep], regression=estimator._y_numeric)
        estimator._categorical, estimator._column_kinds = categorical, column_kinds(X, categorical)
        estimator._lists_keep_flags = True
        # A copy: a list the caller changes in place afterwards is a changed selection.
        estimator._fitted_categorical_features = copy.copy(estimator.categorical_features)
        estimator._column_encoder, X_checked = fit_encoder(
            X_checked,
            y,
            categorical,
            target_type=kind,
            random_state=estimator.random_state,
            names=list(X.columns) if hasattr(X, "columns") else None,
            sample_weight=weight,
            first_batch=partial,
        )
        if estimator._column_encoder is None:
            estimator._missing_fill = column_means(X_checked, weight)
            if keep is not None:  # missing values in rows of weight zero: filled as later
                X_checked = encode(None, categorical, X_checked, estimator._missing_fill)
        else:
            estimator._missing_fill = None
    else:
        encoder = getattr(estimator, "_column_encoder", None)
        fill = getattr(estimator, "_missing_fill", None)
        values = _mixed_values(X_checked, categorical) if categorical.any() else None
        if notices is not None and not no_y:
            names = list(X.columns) if hasattr(X, "columns") else None
            unseen = unseen_categories(encoder, categorical, X_checked, names, values)
            notices += [(unseen, UserWarning)] if unseen else []
        X_checked = encode(encoder, categorical, X_checked, fill, values=values)
    return X_checked if no_y else (X_checked, y)


def rare_below(n_rows):
    """The count below which a category is grouped as infrequent, for ``n_rows`` rows.

    ``MIN_FREQUENCY``, but on fewer than 100 rows 5% of them (at least 2): on
    32 rows a category seen 4 times is an eighth of the data, and grouping
    every category of a column as rare would make it one constant. A category
    seen once is always rare.

    Examples
    --------
    >>> from sklearn_snn.training.encoding import rare_below
    >>> [rare_below(n) for n in (10, 32, 50, 100, 10_000)]
    [2, 2, 3, 5, 5]
    """
    return min(MIN_FREQUENCY, max(2, -(-n_rows // 20)))


def _declared_categories(X, categorical):
    """The categories that the pandas ``category`` columns of ``X`` declare, spelt.

    Returns a dict from column position to the categories' spellings
    (:func:`_category`), for the categorical columns whose dtype lists them.
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "iloc"):
        return {}
    declared = {}
    for column in np.flatnonzero(categorical):
        listed = getattr(dtypes.iloc[column], "categories", None)
        if listed is not None:
            declared[int(column)] = {_category(value) for value in listed.tolist()}
    return declared


def unseen_categories(encoder, categorical, X, names=None, values=None):
    """A warning naming the categories of ``X`` that ``encoder`` did not learn, or None.

    A continued fit (``partial_fit``, ``warm_start``) keeps the encoding of
    the first one: a category it never saw is read as unknown (as a rare
    one, or all zeros), so the network cannot learn anything about it.

    Parameters
    ----------
    encoder : ColumnTransformer, SimpleImputer or None
        From :func:`fit_encoder`.
    categorical : ndarray of bool
        Categorical columns as in ``fit``.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Validated training data with the training columns.
    names : list or None, default=None
        Column names, for the message.
    values : ndarray or None, default=None
        ``X``'s values as the encoder reads them, where already computed.

    Returns
    -------
    message : str or None
    """
    if not isinstance(encoder, ColumnTransformer):
        return None
    values = _mixed_values(X, categorical) if values is None else values
    found = {"one_hot": [], "target": []}
    for name, fitted, columns in encoder.transformers_:
        if name not in _CATEGORY_ENCODERS:
            continue
        for column, known in zip(columns, fitted.categories_, strict=True):
            new = {v for v in values[:, column].tolist() if v is not _MISSING}
            new -= set(known.tolist())
            if new:
                label = names[column] if names is not None else column
                listed = sorted(new)[:5] + (["..."] if len(new) > 5 else [])
                found[name].append(f"{label!r}: {listed}")
    parts = []
    if found["one_hot"]:
        parts.append(
            f"{'; '.join(found['one_hot'])}. Declare every category with a pandas "
            "'category' dtype (its categories) for the first partial_fit call, or fit "
            "on data that holds them all"
        )
    if found["target"]:
        parts.append(
            f"{'; '.join(found['target'])}, target encoded (more than "
            f"{MAX_ONE_HOT_CATEGORIES} categories) with the means of the first batch "
            "(or fit) only: unseen categories get the overall mean. Fit on data that "
            "holds them all"
        )
    if not parts:
        return None
    return (
        "Categories that the encoding learned by the first fit (or first "
        "partial_fit call) never saw are read as unknown, so the network learns "
        f"nothing of them: {'; and '.join(parts)}."
    )


def _array_if_sequence(X, keep_flags=True):
    """A list or tuple of rows as an array; of objects where it mixes types.

    Columns are read from arrays; numpy would read a list that mixes numbers
    and strings as strings throughout, and one that mixes numbers and bools
    as numbers (a flag column spelt 0/1 rather than False/True; still so
    without ``keep_flags``, for the models fitted when lists were read so).
    """
    if not isinstance(X, (list, tuple)):
        return X
    array = np.asarray(X)
    mixed = array.dtype.kind in "US" or (
        keep_flags
        and array.ndim == 2
        and array.dtype.kind in "iuf"
        and any(isinstance(v, bool | np.bool_) for row in X for v in row)
    )
    return np.asarray(X, dtype=object) if mixed else array


def _pandas_if_polars(X, categorical_features):
    """A polars DataFrame with categories as pandas, whose dtypes mark them.

    polars' ``Categorical``, ``Enum``, ``String`` and ``Boolean`` columns become
    pandas ``category``, string and ``bool`` columns (``to_pandas`` needs
    pyarrow), so ``categorical_features`` works as for pandas. All-numeric
    frames without declared categories pass as they are: scikit-learn's
    validation reads them.
    """
    if not type(X).__module__.startswith("polars") or not hasattr(X, "to_pandas"):
        return X
    schema = getattr(X, "schema", None)
    declared = not (categorical_features is None or isinstance(categorical_features, str))
    if schema is None or (not declared and all(t.is_numeric() for t in schema.values())):
        return X
    return X.to_pandas()


def target_type(y, regression):
    """The target type a target encoder learns, or None where it cannot.

    Parameters
    ----------
    y : ndarray
        Validated targets.
    regression : bool
        Whether the estimator is a regressor.

    Returns
    -------
    target_type : {"binary", "multiclass", "continuous"} or None
        None for multilabel and multi-output targets.
    """
    if regression:
        return "continuous" if y.ndim == 1 or y.shape[1] == 1 else None
    kind = type_of_target(y)
    if kind == "binary" and len(np.unique(y)) < 2:
        return None  # one class: nothing to encode a category by
    return kind if kind in ("binary", "multiclass") else None


@numpy_output
def fit_encoder(
    X,
    y,
    categorical,
    *,
    target_type,
    random_state,
    names=None,
    sample_weight=None,
    first_batch=False,
):
    """Learn the encoding of ``X`` (and ``y`` for target encoding); return it and ``X`` encoded.

    The encoder learns from the rows of positive ``sample_weight`` only, so
    that a weight of zero is the row's removal; the imputed means are
    weighted (and summed exactly for the columns with missing training
    values), so that for numeric columns a weight of ``k`` is ``k`` copies
    of the row. The categories' counts (rare ones grouped) and the target
    encoding count each row of positive weight once.

    Parameters
    ----------
    X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
        Training data; numeric columns validated (NaN allowed).
    y : ndarray
        Targets, for target encoding.
    categorical : ndarray of bool of shape (n_features,)
        Categorical columns (:func:`categorical_mask`).
    target_type : {"binary", "multiclass", "continuous"} or None
        From :func:`target_type`.
    random_state : int, RandomState instance or None
        Seeds the target encoder's cross-fitting folds.
    names : list or None, default=None
        Column names for error messages, where ``X`` no longer carries them
        (a DataFrame already converted to an array).
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Validated, non-negative sample weights.
    first_batch : bool, default=False
        Whether ``X`` is the first ``partial_fit`` batch rather than all the
        training data: its counts say nothing of how rare a category is, so
        none is grouped, and the categories a pandas ``category`` dtype
        declares get their columns even where the batch lacks them.

    Returns
    -------
    encoder : ColumnTransformer, SimpleImputer or None
        A :class:`~sklearn.compose.ColumnTransformer` for data with
        categorical columns, a :class:`~sklearn.impute.SimpleImputer` for
        numeric data with missing values, else None.
    X_encoded : ndarray or sparse matrix
        ``X`` itself for numeric data without missing values.
    """
    keep = positive_rows(sample_weight)
    if not categorical.any():
        values = _numeric_values(X)
        learned = values if keep is None else values[keep]
        missing = missing_per_column(learned)
        if not missing.any():
            return None, values
        _check_not_all_missing(
            learned, missing, names if names is not None else X, weighted=keep is not None
        )
        imputer = _imputer().fit(learned)
        weigh_imputer_means(imputer, learned, sample_weight, keep)
        return imputer, imputer.transform(values)
    _check_categories_are_labels(X, categorical)
    values = _mixed_values(X, categorical)
    learned = values if keep is None else values[keep]
    numeric = np.flatnonzero(~categorical)
    numbers = learned[:, numeric].astype(np.float64)
    _check_not_all_missing(
        numbers, missing_per_column(numbers), X, columns=numeric, weighted=keep is not None
    )
    declared = _declared_categories(X, categorical) if first_batch else {}
    one_hot, targeted, categories = [], [], []
    for column in np.flatnonzero(categorical):
        seen = set(learned[:, column].tolist())
        spelt = seen | set(declared.get(column, ()))
        large = len(spelt) > MAX_ONE_HOT_CATEGORIES
        (targeted if large and target_type is not None else one_hot).append(int(column))
        if not (large and target_type is not None):
            # OneHotEncoder's own order: sorted, a missing value last.
            missing = any(value is _MISSING for value in spelt)
            categories.append(sorted(v for v in spelt if v is not _MISSING) + [_MISSING] * missing)
    parts = []
    if one_hot:
        encoder = OneHotEncoder(
            categories=categories if declared else "auto",
            handle_unknown="infrequent_if_exist",
            min_frequency=None if first_batch else rare_below(len(learned)),
            max_categories=MAX_ONE_HOT_CATEGORIES,
            sparse_output=False,
        )
        parts.append(("one_hot", encoder, one_hot))
    if targeted:
        encoder = _target_encoder(target_type, random_state)
        parts.append(("target", encoder, targeted))
    if len(numeric):
        parts.append(("numeric", _imputer(), [int(column) for column in numeric]))
    transformer = ColumnTransformer(parts, sparse_threshold=0)
    fit_y = y if keep is None else y[keep]
    # Target encoding cross-fits on folds drawn by row position: fitted on the
    # rows in an order fixed by their content, the encoding (and with it the
    # model) does not depend on the order the rows came in.
    if targeted:
        order = _content_order(learned, fit_y)
        fitted = transformer.fit_transform(learned[order], fit_y[order])
        encoded = np.empty(fitted.shape, dtype=np.float64)
        encoded[order] = fitted
    else:
        encoded = transformer.fit_transform(learned, fit_y).astype(np.float64)
    if len(numeric) and weigh_imputer_means(
        transformer.named_transformers_["numeric"], numbers, sample_weight, keep
    ):
        block = transformer.output_indices_["numeric"]
        encoded[:, block] = transformer.named_transformers_["numeric"].transform(numbers)
    if keep is None:
        return transformer, encoded
    full = np.empty((len(values), encoded.shape[1]))
    full[keep] = encoded
    full[~keep] = transformer.transform(values[~keep])
    return transformer, full


@numpy_output
def encode(encoder, categorical, X, fill=None, values=None):
    """Encode ``X`` with the encoder of :func:`fit_encoder`.

    Numeric data that had no missing values in training has no encoder: a
    missing value found now is filled with the column's training mean
    (``fill``), the value :class:`~sklearn.impute.SimpleImputer` would give.

    Parameters
    ----------
    encoder : ColumnTransformer, SimpleImputer or None
        From :func:`fit_encoder`.
    categorical : ndarray of bool
        Categorical columns as in ``fit``.
    X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
        Validated data with the training columns.
    fill : ndarray of shape (n_features,) or None, default=None
        Training means (:func:`column_means`), for data without an encoder.
    values : ndarray or None, default=None
        ``X``'s values as read for categorical data, where already computed.

    Returns
    -------
    X_encoded : ndarray or sparse matrix
    """
    if categorical.any():
        values = _mixed_values(X, categorical) if values is None else values
        _check_same_truth_spelling(encoder, values, X)
        return encoder.transform(values).astype(np.float64, copy=False)
    values = _numeric_values(X)
    if encoder is not None:
        return encoder.transform(values)
    if fill is None or not missing_per_column(values).any():
        return values
    if sp.issparse(values):
        values = sp.csr_matrix(values, copy=True)
        missing = np.isnan(values.data)
        values.data[missing] = fill[values.indices[missing]]
        return values
    return np.where(np.isnan(values), fill.astype(values.dtype), values)


def source_columns(encoder, n_features):
    """The input column behind each encoded column; -1 for the columns the encoding makes.

    Numeric input columns keep their values (imputed where missing); the
    one-hot, target-encoded and missing-indicator columns are made by the
    encoding and hold no input column's values.

    Parameters
    ----------
    encoder : ColumnTransformer, SimpleImputer or None
        From :func:`fit_encoder`.
    n_features : int
        Columns of the input data.

    Returns
    -------
    source : ndarray of int of shape (n_encoded,)
        Input position of each encoded column, or -1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_snn.training.encoding import fit_encoder, source_columns
    >>> X = np.array([[1.0, np.nan], [2.0, 3.0]])
    >>> encoder, _ = fit_encoder(X, None, np.array([False, False]), target_type=None,
    ...                          random_state=0)
    >>> source_columns(encoder, 2).tolist()
    [0, 1, -1]
    """
    if encoder is None:
        return np.arange(n_features)
    if isinstance(encoder, SimpleImputer):
        made = 0 if encoder.indicator_ is None else len(encoder.indicator_.features_)
        return np.concatenate([np.arange(n_features), np.full(made, -1)])
    source = np.full(max(block.stop for block in encoder.output_indices_.values()), -1)
    for name, _, columns in encoder.transformers_:
        if name == "numeric":
            start = encoder.output_indices_[name].start
            source[start : start + len(columns)] = columns
    return source


def _check_same_truth_spelling(transformer, values, X):
    """Refuse a categorical column whose 0/1 categories of ``fit`` come as True/False now.

    Or the other way round. Unknown categories encode, so such a column of
    flags, whose values changed type inside an ``object`` column (where
    :func:`~sklearn_snn.training.columns.check_same_kinds` sees no dtype
    change) or a numpy array, would otherwise be read as unknown throughout.
    """
    for name, encoder, columns in transformer.transformers_:
        if name not in _CATEGORY_ENCODERS:
            continue
        for column, categories in zip(columns, encoder.categories_, strict=True):
            known = set(categories.tolist())
            if not known & (_BITS | _TRUTHS):
                continue  # no flags: nothing to misspell, and no pass over the values
            unknown = set(values[:, column].tolist()) - known
            for fitted, now in ((_BITS, _TRUTHS), (_TRUTHS, _BITS)):
                if known & fitted and not known & now and unknown & now:
                    raise ValueError(
                        f"Column {_column_name(X, column)} held the categories "
                        f"{', '.join(sorted(known & fitted))} in fit but holds "
                        f"{', '.join(sorted(unknown & now))} "
                        "now, which would be read as unknown categories (True is not 1 "
                        "here); pass the column with the values it had in fit."
                    )


def _check_categories_are_labels(X, categorical):
    """Refuse a categorical column that holds measurements (non-integer numbers).

    Such a column is either declared categorical, or a DataFrame column of
    ``object`` dtype whose every value is a number (categorical by its dtype).
    A ``category`` column (or its pyarrow dictionary form) is labels by its
    dtype, whatever its values.
    """
    for position in np.flatnonzero(categorical):
        by_dtype = False
        if hasattr(X, "iloc"):
            column = X.iloc[:, position]
            if declares_categories(column.dtype):
                continue
            if column.dtype.kind == "O":
                numbers, by_dtype = _object_numbers(column), True
                if numbers is None:
                    continue  # labels such as strings
            elif column.dtype.kind != "f":
                continue
            else:
                numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            column = X[:, position]
            if sp.issparse(X):
                column = column.toarray().ravel()
            try:
                numbers = np.asarray(column, dtype=np.float64)
            except (TypeError, ValueError):
                continue  # labels such as strings
        finite = numbers[np.isfinite(numbers)]
        fractional = finite[finite != np.round(finite)]
        if len(fractional):
            if by_dtype:
                kind = "categorical by its object dtype"
                advice = (
                    f"Give it a numeric dtype (X[{X.columns[position]!r}].astype(float)) "
                    "to read it as numbers"
                )
            else:
                kind, advice = "declared categorical", "Remove it from categorical_features"
            raise ValueError(
                f"Column {_column_name(X, position)} is {kind} but holds non-integer "
                f"numbers such as {float(fractional[0])!r}: categories are labels, not "
                f"measurements. {advice}, or pass its categories as integers or strings."
            )


def _object_numbers(column):
    """An object column as floats when every value is a number or missing, else None."""
    values = column.to_numpy()
    missing = np.array([_is_missing(value) for value in values], dtype=bool)
    present = values[~missing]
    if not len(present) or not all(
        isinstance(value, Real | Decimal) and not isinstance(value, bool | np.bool_)
        for value in present
    ):
        return None
    numbers = np.full(len(values), np.nan)
    numbers[~missing] = present.astype(np.float64)
    return numbers


def _content_order(values, y):
    """An order of the rows of ``values`` (with their targets ``y``) fixed by their content.

    Rows are sorted by a 128-bit hash of their entries (strings, or floats
    written exactly) and target, so the same rows come out in the same order
    however they were ordered; equal rows are interchangeable.
    """
    targets = np.asarray(y).reshape(len(values), -1).tolist()
    keys = np.array(
        [
            hashlib.blake2b(repr((row, target)).encode(), digest_size=16).digest()
            for row, target in zip(values.tolist(), targets, strict=True)
        ],
        dtype="S16",
    )
    return np.argsort(keys, kind="stable")


def _target_encoder(target_type, random_state):
    """TargetEncoder with seeded, shuffled cross-fitting folds."""
    seed = draw_seed(random_state)
    if "cv_object" in TargetEncoder._parameter_constraints["cv"]:  # scikit-learn >= 1.9
        splitter = KFold if target_type == "continuous" else StratifiedKFold
        return TargetEncoder(
            target_type=target_type, cv=splitter(5, shuffle=True, random_state=seed)
        )
    return TargetEncoder(target_type=target_type, shuffle=True, random_state=seed)


def _imputer():
    return SimpleImputer(strategy="mean", add_indicator=True, keep_empty_features=True)


def _missing_as_nan(X):
    """``X`` with the ``pd.NA`` of ``object`` columns or arrays as NaN, which numpy reads.

    A copy where there are any; ``X`` itself otherwise.
    """
    pd = sys.modules.get("pandas")
    if pd is None:  # no pandas loaded, no pd.NA
        return X
    is_na = np.frompyfunc(lambda value: value is pd.NA, 1, 1)
    if isinstance(X, np.ndarray) and X.dtype == object:
        found = is_na(X).astype(bool)
        if found.any():
            X = X.copy()
            X[found] = np.nan
    elif isinstance(X, pd.DataFrame):
        given = X
        for position in [i for i, dtype in enumerate(X.dtypes) if dtype == np.dtype(object)]:
            column = X.iloc[:, position].to_numpy()
            found = is_na(column).astype(bool)
            if found.any():  # copied only then
                X = X.copy() if X is given else X
                X.isetitem(position, np.where(found, np.nan, column))
    return X


def _numeric_values(X):
    """``X`` as numbers: DataFrames with ``pd.NA`` to float64 with NaN; arrays as they are."""
    if hasattr(X, "dtypes") and hasattr(X, "to_numpy"):
        import pandas as pd

        if any(pd.api.types.is_extension_array_dtype(dtype) for dtype in X.dtypes):
            return X.to_numpy(dtype=np.float64, na_value=np.nan)
    return X


def _mixed_values(X, categorical):
    """An object array: categorical entries as strings (missing as NaN), the rest as floats."""
    n_rows, n_columns = X.shape
    values = np.empty((n_rows, n_columns), dtype=object)
    if hasattr(X, "iloc"):
        import pandas as pd

        for j in range(n_columns):
            column = X.iloc[:, j]
            if categorical[j]:
                # Each distinct value is spelt once, then spread by its codes.
                codes, uniques = pd.factorize(column, use_na_sentinel=True)
                spelt = np.array([_category(value) for value in uniques] + [_MISSING], object)
                values[:, j] = spelt[codes]
            else:
                values[:, j] = _as_floats(column, j, X)
        return values
    if sp.issparse(X):  # densified one column at a time
        X = X.tocsc()
        columns = (X[:, [j]].toarray().ravel() for j in range(n_columns))
    else:
        numeric = isinstance(X, np.ndarray) and X.dtype.kind in "biuf"
        # np.asarray: a plain array also of an np.matrix, whose columns would be 2-d.
        array = np.asarray(X) if numeric else np.asarray(X, dtype=object)
        columns = (array[:, j] for j in range(n_columns))
    for j, column in enumerate(columns):
        values[:, j] = _categories(column) if categorical[j] else _as_floats(column, j, X)
    return values


def _categories(column):
    """The entries of a 1-d array spelt as categories (:func:`_category`)."""
    if column.dtype.kind not in "biuf":
        return [_category(value) for value in column]
    # A numeric column: each distinct value is spelt once (NaN as one), then spread.
    uniques, codes = np.unique(column, return_inverse=True)
    spelt = np.empty(len(uniques), dtype=object)
    spelt[:] = [_category(value) for value in uniques.tolist()]
    return spelt[codes.ravel()]


def _category(value):
    """One spelling per category: 1, 1.0 and "1" are all "1"; True and "True" are "True"."""
    if value is None or value is _MISSING or _is_missing(value):
        return _MISSING
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return str(int(value))  # Decimal("1.00"), as NUMERIC(p, 2) columns give it, is 1
    return str(value)


def _is_missing(value):
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_floats(column, position, X):
    try:
        if hasattr(column, "to_numpy") and column.dtype.kind in "biuf":
            numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
        elif isinstance(column, np.ndarray) and column.dtype.kind in "biuf":
            numbers = column.astype(np.float64)
        else:
            numbers = np.array(
                [np.nan if _is_missing(value) else float(value) for value in column],
                dtype=np.float64,
            )
    except (TypeError, ValueError):
        raise ValueError(
            f"Column {_column_name(X, position)} holds non-numeric values but is not "
            "declared categorical; add it to categorical_features."
        ) from None
    if np.isinf(numbers).any():
        raise ValueError(
            f"Column {_column_name(X, position)} has {int(np.isinf(numbers).sum())} infinite "
            "value(s); replace or clip them first."
        )
    return numbers


def _check_not_all_missing(values, missing, X, columns=None, weighted=False):
    if not missing.any():
        return
    if sp.issparse(values):
        values = sp.csr_matrix(values)
        counts = np.bincount(values.indices[np.isnan(values.data)], minlength=values.shape[1])
        all_missing = np.flatnonzero(counts == values.shape[0])
    else:
        all_missing = np.flatnonzero(np.isnan(np.asarray(values, dtype=np.float64)).all(axis=0))
    if len(all_missing):
        position = all_missing[0] if columns is None else columns[all_missing[0]]
        rows = "the training rows of positive sample weight" if weighted else "the training data"
        raise ValueError(
            f"Column {_column_name(X, position)} has no value in {rows} (all missing): "
            "nothing to impute it from. Drop it, or fill it."
        )


def _column_name(X, position):
    """How an error names column ``position`` of ``X`` (or of ``X``'s column names)."""
    columns = X if isinstance(X, list) else getattr(X, "columns", None)
    return repr(columns[position]) if columns is not None else str(int(position))
