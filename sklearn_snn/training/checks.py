"""Checks of inputs and parameters whose messages name what is wrong: the column, the value."""

from numbers import Real

import numpy as np

from ..theory import is_stable_fixed_point, moment_map_jacobian, selu_parameters


def check_fixed_point(fixed_point):
    """Refuse a ``fixed_point`` that is not a pair of numbers with SELU constants.

    Parameters
    ----------
    fixed_point : object
        The estimator's ``fixed_point``.
    """
    pair = tuple(fixed_point)
    if len(pair) != 2 or not all(isinstance(value, Real) for value in pair):
        raise ValueError(f"fixed_point must be a pair (mean, var) of numbers, got {fixed_point!r}.")
    try:
        selu_parameters(*pair)
    except ValueError as error:
        raise ValueError(f"fixed_point={fixed_point!r} has no SELU: {error}") from None


def unstable_fixed_point_notice(fixed_point):
    """A warning's text where ``fixed_point`` does not attract the activations, else None.

    The paper's criterion (:func:`~sklearn_snn.theory.is_stable_fixed_point`):
    the spectral norm of the moment map's Jacobian at the point is below 1.

    Parameters
    ----------
    fixed_point : pair of float
        A ``fixed_point`` that :func:`check_fixed_point` accepted.

    Returns
    -------
    message : str or None
    """
    mean, var = (float(value) for value in fixed_point)
    alpha, lambda_ = selu_parameters(mean, var)
    tolerance = 1e-6 * max(1.0, abs(mean), var)  # relative: float64 at var 1e12 is coarse
    if is_stable_fixed_point(mean, var, alpha=alpha, lambda_=lambda_, atol=tolerance):
        return None
    norm = np.linalg.norm(moment_map_jacobian(mean, var, alpha=alpha, lambda_=lambda_), 2)
    if norm < 1.0:  # is_stable_fixed_point's other test: the map must return the point
        reason = "the moment map does not return it with its SELU constants"
    else:
        reason = f"the spectral norm of the moment map's Jacobian there is {norm:.3f}, not below 1"
    return (
        f"fixed_point={(mean, var)!r} does not attract the activations: {reason}, so deep "
        "layers drift away from it instead of self-normalizing (the default (0, 1) "
        "attracts them)."
    )


def explain_column_error(X, error, categorical=None):
    """Re-raise a validation ``error`` naming the DataFrame column at fault.

    Only runs once validation has failed, so the normal path pays nothing.
    An error that no numeric column explains (duplicate column names, for
    example) is re-raised as it is.

    Parameters
    ----------
    X : object
        The input that failed validation.
    error : ValueError
        The error scikit-learn raised.
    categorical : ndarray of bool or None, default=None
        The categorical columns, which hold labels and are not at fault.
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items") or "feature names" in str(error):
        raise error
    import pandas as pd

    for position, name in enumerate(X.columns):
        if categorical is not None and categorical[position]:
            continue
        column = X.iloc[:, position]
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):  # left out of categorical_features
            column = column.astype(object)
        if pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column.dtype):
            numbers = pd.to_numeric(column, errors="coerce")
            text = column[numbers.isna() & column.notna()]
            if len(text):
                raise ValueError(
                    f"Column {name!r} holds non-numeric values such as {text.iloc[0]!r} but "
                    f"is not categorical; add it to categorical_features (with the default "
                    f"categorical_features='from_dtype' its {dtype} dtype makes it "
                    "categorical)."
                ) from error
            column = numbers
        if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
            column.dtype
        ):
            n_infinite = int(np.isinf(column.to_numpy(dtype=np.float64)).sum())
            if n_infinite:
                raise ValueError(
                    f"Column {name!r} has {n_infinite} infinite value(s); replace or clip "
                    "them first."
                ) from error
    raise error


def check_standardization(mean, scale, what, variance=None):
    """Refuse standardization statistics that overflowed.

    Parameters
    ----------
    mean, scale : ndarray
        Per-column statistics.
    what : str
        ``"Feature(s)"`` or ``"Target(s)"``, for the message.
    variance : ndarray, default=None
        Per-column variance, where known. One value beyond about 1e154 makes
        it overflow while the mean stays finite, and scikit-learn's
        :class:`~sklearn.preprocessing.StandardScaler` then takes the column
        for a constant one (scale 1) instead of failing.
    """
    finite = np.isfinite(mean) & np.isfinite(scale)
    if variance is not None:
        finite &= np.isfinite(variance)
    bad = np.flatnonzero(~finite)
    if len(bad):
        raise ValueError(
            f"{what} {bad.tolist()} are too large to standardize: their variance overflows "
            "float64. Rescale them first (e.g. divide by a power of ten or take logarithms)."
        )


def check_finite_outputs(values, what="network's outputs"):
    """Refuse predictions that overflowed.

    Parameters
    ----------
    values : ndarray of shape (n_samples, ...)
        Outputs to check.
    what : str, default="network's outputs"
        Name used in the message.
    """
    bad = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
    if bad.any():
        raise ValueError(
            f"The {what} overflow for {int(bad.sum())} sample(s), e.g. row "
            f"{int(np.flatnonzero(bad)[0])}: their features lie far outside the range "
            "seen in fit."
        )


def first_batch_notice(features, targets, n_rows, zero_one=()):
    """Warning text for a first ``partial_fit`` batch too narrow to standardize from.

    ``partial_fit`` learns the standardization from its first batch only. A
    column constant in that batch is centred and left unscaled, which is right
    for a constant feature and wrong for one that varies in later batches; a
    column of only 0 and 1 in that batch is left as it is and, with
    ``standardize="smooth_clip"``, clamped to ``[0, 1]`` in every later batch.

    Parameters
    ----------
    features : ndarray of int or list of str
        Input columns (positions or names) left unscaled as constant.
    targets : ndarray of int
        Regression targets left unscaled as constant.
    n_rows : int
        Distinct rows of the batch that train (non-zero weight).
    zero_one : ndarray of int or list of str, default=()
        Input columns of only 0 and 1 in the batch that will be clamped.

    Returns
    -------
    message : str or None
        None when every feature and target is scaled.
    """
    parts = [("feature(s)", features), ("target(s)", targets)]
    found = [f"{what} {_listed(columns)}" for what, columns in parts if len(columns)]
    messages = []
    if found:
        messages.append(
            f"{' and '.join(found)} are constant in this batch of {n_rows} distinct "
            "row(s): they are centred on that value and not scaled, for this and every "
            "later call"
        )
    if len(zero_one):
        messages.append(
            f"feature(s) {_listed(zero_one)} hold only 0 and 1 in this batch: they are "
            "left unscaled, and values beyond 0 and 1 in later calls are clamped to them"
        )
    if not messages:
        return None
    return (
        f"partial_fit learns the standardization from its first batch only, and "
        f"{'; '.join(messages)}. If they vary otherwise in later batches, pass a first "
        "batch in which they do, or standardize the data yourself and set standardize=False."
    )


def _listed(columns, limit=10):
    shown = ", ".join(
        repr(column) if isinstance(column, str) else str(int(column)) for column in columns[:limit]
    )
    more = f", ... ({len(columns)} in all)" if len(columns) > limit else ""
    return f"[{shown}{more}]"
