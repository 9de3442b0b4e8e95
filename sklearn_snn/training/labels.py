"""Class labels for the loss: their encoding, checks, strata and prior loss.

Binary targets train one logit, multiclass targets one logit per class
(softmax), multilabel indicator matrices one logit per label (sigmoid).
"""

import numpy as np
from scipy import sparse
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import type_of_target


def fit_labels(y, classes, estimator_name):
    """A :class:`~sklearn.preprocessing.LabelBinarizer` of the classes the model will know.

    Parameters
    ----------
    y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        Checked classification targets.
    classes : array-like or None
        Every class that can occur (``partial_fit``), or None for those of ``y``.
    estimator_name : str
        For the message.

    Returns
    -------
    binarizer : LabelBinarizer
        Fitted; ``y_type_`` is ``"binary"``, ``"multiclass"`` or
        ``"multilabel-indicator"``.

    Raises
    ------
    ValueError
        With fewer than 2 classes.
    """
    binarizer = LabelBinarizer().fit(y if classes is None else _labels_like(classes, y))
    if len(binarizer.classes_) < 2:
        raise ValueError(
            f"{estimator_name} needs samples of at least 2 classes; "
            f"got 1 class: {binarizer.classes_.tolist()}."
        )
    return binarizer


def n_outputs(binarizer):
    """Output units: 1 for binary targets, else one per class or label."""
    return 1 if binarizer.y_type_ == "binary" else len(binarizer.classes_)


def encode_labels(binarizer, y):
    """Targets for the loss: class codes (multiclass) or float32 0/1 columns.

    Parameters
    ----------
    binarizer : LabelBinarizer
        From :func:`fit_labels`.
    y : ndarray
        Labels, all known to ``binarizer``.

    Returns
    -------
    target : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    """
    if binarizer.y_type_ == "multilabel-indicator":
        _check_zero_one(y)
    encoded = binarizer.transform(y)
    if binarizer.y_type_ == "multiclass":
        return encoded.argmax(axis=1)
    return encoded.astype(np.float32)


def _check_zero_one(y):
    """Refuse an indicator matrix of other values than 0 and 1 (-1/1, 0/2...).

    scikit-learn reads any two-valued integer matrix as multilabel; the loss
    needs 0 and 1, and predictions give 0 and 1 back.
    """
    values = np.union1d(y.data, [0]) if sparse.issparse(y) else np.unique(np.asarray(y))
    other = [value for value in values.tolist() if value not in (0, 1)]
    if other:
        raise ValueError(
            "A multilabel target must be an indicator matrix of 0 and 1, got the "
            f"values {values.tolist()}; map them to 0 and 1 first (e.g. (Y == 1).astype(int))."
        )


def check_known_labels(binarizer, y, reset):
    """Refuse labels that are not among the model's classes.

    Parameters
    ----------
    binarizer : LabelBinarizer
        The model's classes.
    y : ndarray
        Labels of this fit.
    reset : bool
        Whether this fit learned the classes (from ``classes``): the advice
        differs from that for a continued fit.
    """
    classes = binarizer.classes_
    if binarizer.y_type_ == "multilabel-indicator":
        if type_of_target(y) != "multilabel-indicator" or y.shape[1] != len(classes):
            where = "one per entry of `classes`" if reset else "as in the first fit"
            raise ValueError(
                f"y must be a binary indicator matrix with {len(classes)} columns, {where}."
            )
        return
    unseen = unseen_labels(classes, y)
    if unseen:
        advice = (
            "Pass every class through `classes`."
            if reset
            else "A continued fit (warm_start=True or partial_fit) keeps the classes "
            "of the first fit: list every class in `classes` on the first call to "
            "partial_fit, or fit a new model with warm_start=False."
        )
        raise ValueError(
            f"y contains labels that are not among the classes: {unseen}; "
            f"the classes are {classes.tolist()}. {advice}"
        )


def unseen_labels(classes, y):
    """The labels of ``y`` that are not among ``classes``, sorted.

    Parameters
    ----------
    classes : ndarray
        The model's classes.
    y : array-like of shape (n_samples,)
        Labels.

    Returns
    -------
    unseen : list
        Empty when every label is a class. Compared as Python objects: numpy
        would compare 1 and "1" as equal strings.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_snn.training.labels import unseen_labels
    >>> unseen_labels(np.array([0, 1]), np.array([1, 2, 5]))
    [2, 5]
    >>> unseen_labels(np.array([0, 1]), np.array(["1"]))
    ['1']
    """
    unseen = set(np.unique(np.asarray(y)).tolist()) - set(np.asarray(classes).tolist())
    return sorted(unseen, key=repr)


def check_same_classes(binarizer, classes, y):
    """Refuse a ``classes`` argument of a continued fit that differs from the model's."""
    expected = LabelBinarizer().fit(_labels_like(classes, y)).classes_
    if expected.tolist() != binarizer.classes_.tolist():
        raise ValueError(
            f"classes={np.asarray(classes).tolist()} differs from the classes of the "
            f"first fit, {binarizer.classes_.tolist()}; a continued fit cannot change them."
        )


def class_strata(binarizer, target, units, fraction):
    """Class codes of the distinct samples to stratify the validation split by, or None.

    None for multilabel targets, for a class with fewer than 2 units, or when
    the split could not hold a unit of every class on both sides.

    Parameters
    ----------
    binarizer : LabelBinarizer
        The model's classes.
    target : ndarray
        Encoded targets of the distinct samples.
    units : ndarray of int
        Units (rows) each sample stands for.
    fraction : float
        Share held out.

    Returns
    -------
    labels : ndarray of int or None
    """
    if binarizer.y_type_ == "multilabel-indicator":
        return None
    # One class code per sample; binary targets are a single 0/1 column.
    labels = np.unique(np.reshape(target, (len(target), -1))[:, 0], return_inverse=True)[1]
    per_class = np.bincount(labels, weights=units)
    n_units = int(units.sum())
    n_valid = int(np.ceil(fraction * n_units))
    fits = min(n_valid, n_units - n_valid) >= len(per_class)
    return labels if per_class.min() >= 2 and fits else None


def prior_loss(binarizer, target, weight, smoothing=0.0):
    """Weighted training loss of predicting the class frequencies of ``target``.

    With label smoothing the loss is taken against the smoothed targets, and
    the best constant prediction is the smoothed class frequencies, so the
    loss is their entropy: what a network that learned nothing reaches.

    Parameters
    ----------
    binarizer : LabelBinarizer
        The model's classes.
    target : ndarray
        Encoded targets.
    weight : ndarray
        Sample weights.
    smoothing : float, default=0.0
        Label smoothing of the training loss, as in
        :func:`sklearn_snn.nn.losses.classification_loss`.

    Returns
    -------
    loss : float
    """
    weight = weight / weight.sum()
    if binarizer.y_type_ == "multiclass":
        prior = np.bincount(target, weights=weight, minlength=len(binarizer.classes_))
        prior = prior * (1.0 - smoothing) + smoothing / len(prior)
        prior = prior[prior > 0]
        return float(-(prior * np.log(prior)).sum())
    prior = (weight @ target) * (1.0 - smoothing) + 0.5 * smoothing
    prior = np.clip(prior, 1e-12, 1 - 1e-12)
    return float(np.mean(-(prior * np.log(prior) + (1 - prior) * np.log1p(-prior))))


def _labels_like(classes, y):
    classes = np.asarray(classes)
    if classes.ndim != 1:
        raise ValueError(
            f"classes must be a 1-d list of every class (for multilabel targets, one "
            f"entry per label), got an array of shape {classes.shape}."
        )
    if y.ndim == 2:
        return np.eye(len(classes), dtype=y.dtype)
    return classes
