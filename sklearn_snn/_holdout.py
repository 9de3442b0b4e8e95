"""The validation hold-out of early stopping, drawn from canonical weighted samples.

Training runs on canonical samples (see :mod:`sklearn_snn._canonical`): a row
repeated ``k`` times, or given weight ``k``, is one sample of weight ``k``.
Holding out whole canonical samples would take every copy of a repeated row
out of training at once; on data with few distinct rows (all-categorical
tables) that removes whole cells of the input space from the training set.
So integer weights are split as the rows they stand for: a sample of weight
``k`` contributes ``k`` units to the draw, and its held-out units move to the
validation set while the rest stay in training. Samples with non-integer
weights are held out whole.
"""

import numpy as np
from sklearn.model_selection import train_test_split

# Above this many units the draw holds out whole samples instead, to bound memory.
_MAX_UNITS = 1 << 23


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
        Share of the units held out for validation, in (0, 1).
    seed : int
        Seed of the draw.
    stratify : callable
        ``stratify(unit_targets)`` returns the labels to stratify the draw by,
        or None for an unstratified draw.

    Returns
    -------
    train, valid : tuple of (rows, weights)
        Rows of the data and their weights in each part, in canonical order.
        A sample of integer weight can appear in both parts, each with the
        weight of the units it kept there.
    """
    counts = _unit_counts(weights)
    sample_of_unit = np.arange(len(indices))
    if counts is not None:
        sample_of_unit = np.repeat(sample_of_unit, counts)
    train_units, valid_units = train_test_split(
        sample_of_unit,
        test_size=fraction,
        random_state=seed,
        stratify=stratify(target[indices[sample_of_unit]]),
    )
    if counts is None:
        train, valid = np.sort(train_units), np.sort(valid_units)
        return (indices[train], weights[train]), (indices[valid], weights[valid])
    valid_counts = np.bincount(valid_units, minlength=len(indices))
    parts = []
    for part_counts in (counts - valid_counts, valid_counts):
        kept = part_counts > 0
        parts.append((indices[kept], part_counts[kept].astype(np.float64)))
    return tuple(parts)


def _unit_counts(weights):
    """Integer unit counts of the samples, or None where weights are not whole units."""
    if np.any(weights != np.round(weights)) or weights.sum() > _MAX_UNITS:
        return None
    counts = weights.astype(np.int64)
    return None if counts.max() == 1 else counts
