"""The validation hold-out of early stopping, drawn from canonical weighted samples.

Training runs on canonical samples (see :mod:`sklearn_snn.training.duplicates`): a row
repeated ``k`` times, or given weight ``k``, is one sample of weight ``k``.
Holding out whole canonical samples would take every copy of a repeated row
out of training at once; on data with few distinct rows (all-categorical
tables) that removes whole cells of the input space from the training set.
So when every weight is a whole number (unweighted data, or integer sample
weights), the weights are split as the rows they stand for: a sample of
weight ``k`` contributes ``k`` units to the draw, its held-out units move to
the validation set and the rest stay in training. Up to ``_EXPANDED_UNITS``
units the draw shuffles the units themselves, as ``train_test_split`` would
the raw rows; above that it draws how many units of each sample to hold out
(a multivariate hypergeometric draw per class), in memory proportional to
the distinct samples. Any non-integer weight, or ``_MAX_UNITS`` units or
more, makes the draw hold out whole samples instead.
"""

import numpy as np
from sklearn.model_selection import train_test_split

# Up to this many units the units themselves are shuffled (memory ~100 bytes a unit).
_EXPANDED_UNITS = 1 << 20
# numpy's hypergeometric draws need fewer units than this.
_MAX_UNITS = 10**9


def validation_split(indices, weights, target, fraction, seed, stratify):
    """Split canonical samples into training and validation parts.

    Parameters
    ----------
    indices : ndarray of int of shape (n_distinct,)
        Rows of the data that represent the canonical samples, in canonical order.
    weights : ndarray of shape (n_distinct,)
        Positive weight of each canonical sample.
    target : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Encoded targets of all rows of the data.
    fraction : float
        Share of the units held out for validation, in (0, 1); 0 is refused
        with an error that explains it.
    seed : int
        Seed of the draw.
    stratify : callable
        ``stratify(distinct_targets, units)`` returns one label per canonical
        sample to stratify the draw by, or None for an unstratified draw;
        ``units`` is the number of units each sample stands for.

    Returns
    -------
    train, valid : tuple of (rows, weights)
        Rows of the data and their weights in each part, in canonical order.
        A sample of integer weight can appear in both parts, each with the
        weight of the units it kept there.
    """
    if fraction == 0:
        raise ValueError(
            "validation_fraction=0.0 holds out nothing, but early_stopping=True needs "
            "validation data: pass a validation_fraction in (0, 1), or "
            "early_stopping=False."
        )
    if len(indices) < 2:
        raise ValueError(
            "early_stopping=True needs at least 2 distinct samples to hold out "
            f"a validation set, got {len(indices)} sample."
        )
    counts = _unit_counts(weights)
    units = np.ones(len(indices), dtype=np.int64) if counts is None else counts
    labels = stratify(target[indices], units)
    if counts is not None and counts.sum() > _EXPANDED_UNITS:
        valid_counts = _held_out_units(counts, labels, fraction, seed)
        return _unit_parts(indices, counts, valid_counts)
    sample_of_unit = np.arange(len(indices))
    if counts is not None:
        sample_of_unit = np.repeat(sample_of_unit, counts)
        labels = None if labels is None else np.repeat(labels, counts)
    try:
        train_units, valid_units = train_test_split(
            sample_of_unit, test_size=fraction, random_state=seed, stratify=labels
        )
    except ValueError as error:
        raise ValueError(
            f"validation_fraction={fraction} cannot split {len(sample_of_unit)} samples "
            f"into training and validation sets ({error}) Use a validation_fraction "
            "nearer 0.1, more samples, or early_stopping=False."
        ) from error
    if counts is None:
        train, valid = np.sort(train_units), np.sort(valid_units)
        return (indices[train], weights[train]), (indices[valid], weights[valid])
    return _unit_parts(indices, counts, np.bincount(valid_units, minlength=len(indices)))


def _unit_parts(indices, counts, valid_counts):
    """``(rows, weights)`` of the training and validation units."""
    parts = []
    for part_counts in (counts - valid_counts, valid_counts):
        kept = part_counts > 0
        parts.append((indices[kept], part_counts[kept].astype(np.float64)))
    return tuple(parts)


def _held_out_units(counts, labels, fraction, seed):
    """Units of each sample held out, drawn without listing the units.

    As many units as ``train_test_split`` would hold out, ``ceil(fraction *
    total)``, shared among the classes in proportion to their units (largest
    remainders first), then drawn without replacement within each class.
    """
    rng = np.random.default_rng(seed)
    n_units = int(counts.sum())
    n_valid = int(np.ceil(fraction * n_units))
    if n_valid >= n_units:
        raise ValueError(
            f"validation_fraction={fraction} holds out all {n_units} units of the "
            "training data and leaves none to train on; lower validation_fraction."
        )
    strata = np.zeros(len(counts), dtype=np.int64)
    if labels is not None:
        strata = np.unique(labels, return_inverse=True)[1]
    per_class = np.bincount(strata, weights=counts).astype(np.int64)
    share = n_valid * per_class / n_units
    n_valid_class = np.floor(share).astype(np.int64)
    remainder_order = np.argsort(-(share - n_valid_class), kind="stable")
    n_valid_class[remainder_order[: n_valid - n_valid_class.sum()]] += 1
    valid_counts = np.zeros(len(counts), dtype=np.int64)
    by_class = np.argsort(strata, kind="stable")
    class_sizes = np.bincount(strata)
    for members, n_class in zip(
        np.split(by_class, np.cumsum(class_sizes)[:-1]), n_valid_class, strict=True
    ):
        valid_counts[members] = rng.multivariate_hypergeometric(counts[members], n_class)
    return valid_counts


def _unit_counts(weights):
    """Integer unit counts of the samples, or None where weights are not whole units."""
    if np.any(weights != np.round(weights)) or weights.sum() >= _MAX_UNITS:
        return None
    counts = weights.astype(np.int64)
    return None if counts.max() == 1 else counts
