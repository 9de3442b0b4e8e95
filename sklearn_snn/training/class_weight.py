"""Per-sample weights from ``class_weight``, measured against every class of the model."""

import numpy as np
from scipy import sparse


def class_sample_weight(class_weight, y, classes, sample_weight, *, multilabel):
    """Weight of each sample's class, or for multilabel targets the product over labels.

    Unlike :func:`sklearn.utils.class_weight.compute_sample_weight`, the
    classes are the model's, not those present in ``y``: a batch of
    ``partial_fit`` (or a continued fit) that lacks a class keeps the weights
    of the others. ``"balanced"`` counts each class by its total sample weight,
    so that a weight of ``k`` equals ``k`` copies of a row and a weight of 0
    equals its removal.

    Parameters
    ----------
    class_weight : dict, list of dict or "balanced"
        A dict ``{label: weight}`` (unlisted classes weigh 1), for multilabel
        targets a list of one dict ``{0: w0, 1: w1}`` per label, or
        ``"balanced"``: the total weight divided by the number of classes
        present and by the class's weight.
    y : ndarray or sparse matrix of shape (n_samples,) or (n_samples, n_labels)
        Class labels, all among ``classes``, or a binary indicator matrix.
    classes : ndarray of shape (n_classes,)
        The model's classes, sorted.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative sample weights.
    multilabel : bool
        Whether ``y`` is a binary indicator matrix with a column per class.

    Returns
    -------
    weight : ndarray of shape (n_samples,)
        The class weight of each sample.

    Raises
    ------
    ValueError
        If ``class_weight`` does not suit the target: a dict for multilabel
        targets, a list for other targets or of the wrong length, or keys
        that are not classes.
    """
    if multilabel:
        if isinstance(class_weight, dict):
            raise ValueError(
                "For multilabel targets, class_weight must be 'balanced' or a list with "
                "one dict {0: weight, 1: weight} per label (as in RandomForestClassifier); "
                "got a dict."
            )
        specs = [class_weight] * y.shape[1] if isinstance(class_weight, str) else class_weight
        if len(specs) != y.shape[1]:
            raise ValueError(
                f"class_weight has {len(specs)} dict(s), but the targets have "
                f"{y.shape[1]} labels: pass one dict per label."
            )
        if not isinstance(class_weight, str):
            for j, spec in enumerate(specs):
                if not isinstance(spec, dict):
                    raise ValueError(
                        f"class_weight[{j}] must be a dict {{0: weight, 1: weight}}, got {spec!r}."
                    )
        y = y.toarray() if sparse.issparse(y) else np.asarray(y)
        columns = [(y[:, j], np.array([0, 1])) for j in range(y.shape[1])]
    else:
        if isinstance(class_weight, list):
            raise ValueError(
                "class_weight as a list of dicts is for multilabel targets; for "
                "binary and multiclass targets pass one dict {label: weight}."
            )
        specs, columns = [class_weight], [(np.ravel(y), classes)]
    weight = np.ones(len(sample_weight))
    for spec, (labels, column_classes) in zip(specs, columns, strict=True):
        codes = np.searchsorted(column_classes, labels)
        weight *= _per_class(spec, column_classes, codes, sample_weight)[codes]
    return weight


def balanced_per_class(y, classes, sample_weight, *, multilabel):
    """The weight ``"balanced"`` gives each class of these targets.

    Parameters
    ----------
    y : ndarray or sparse matrix of shape (n_samples,) or (n_samples, n_labels)
        Class labels, all among ``classes``, or a binary indicator matrix.
    classes : ndarray of shape (n_classes,)
        The model's classes, sorted.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative sample weights.
    multilabel : bool
        Whether ``y`` is a binary indicator matrix with a column per class.

    Returns
    -------
    weights : ndarray of shape (n_classes,) or (n_labels, 2)
        In the order of ``classes``; for multilabel targets the weights of
        0 and 1 for each label. Plain arrays, which every persistence format
        keeps (a dict keyed by ``False`` and ``True`` does not survive skops).
    """
    if multilabel:
        y = y.toarray() if sparse.issparse(y) else np.asarray(y)
        binary = np.array([0, 1])
        return np.array(
            [
                _per_class("balanced", binary, y[:, j].astype(int), sample_weight)
                for j in range(y.shape[1])
            ]
        )
    return _per_class("balanced", classes, np.searchsorted(classes, np.ravel(y)), sample_weight)


def as_class_weight(weights, classes, *, multilabel):
    """:func:`balanced_per_class`'s weights as a ``class_weight`` that gives them.

    Parameters
    ----------
    weights : ndarray of shape (n_classes,) or (n_labels, 2)
        From :func:`balanced_per_class`.
    classes : ndarray of shape (n_classes,)
        The model's classes, sorted.
    multilabel : bool
        Whether the weights are per label.

    Returns
    -------
    class_weight : dict or list of dict
        ``{label: weight}``, or one ``{0: w0, 1: w1}`` per label.
    """
    if multilabel:
        return [dict(zip([0, 1], row.tolist(), strict=True)) for row in weights]
    return dict(zip(classes.tolist(), weights.tolist(), strict=True))


def _per_class(spec, classes, codes, sample_weight):
    """The weight of each of ``classes``."""
    labels = classes.tolist()
    if isinstance(spec, str):  # "balanced"
        totals = np.bincount(codes, weights=sample_weight, minlength=len(classes))
        if not totals.any():
            return np.ones(len(classes))  # no weight at all: the fit refuses it
        # A class without weight here (absent, or only in rows of weight 0)
        # gets 0: no row that counts uses it.
        present = totals > 0
        per_class = np.zeros(len(classes))
        per_class[present] = totals.sum() / (present.sum() * totals[present])
        return per_class
    # scikit-learn's rule: keys for classes the data lack (a fold without a
    # rare class) are fine as long as every class has its weight.
    unknown = set(spec) - set(labels)
    unweighted = [label for label in labels if label not in spec]
    if unknown and unweighted:
        raise ValueError(
            f"class_weight has keys that are not classes: {sorted(unknown, key=repr)}, "
            f"and no weight for the classes {unweighted}; the classes are {labels}."
        )
    weights = np.array([spec.get(label, 1.0) for label in labels], dtype=np.float64)
    if not (np.isfinite(weights) & (weights >= 0)).all():
        raise ValueError(f"class_weight values must be finite and non-negative, got {spec!r}.")
    return weights
