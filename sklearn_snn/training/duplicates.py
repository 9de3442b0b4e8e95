"""Put training samples in a canonical form: duplicates merged, order fixed.

A sample weight of ``k`` means "this row, ``k`` times". Merging identical
``(x, y)`` rows into one row whose weight is the sum of theirs, dropping rows
of weight zero and sorting the rest by a content hash makes a fit depend only
on the weighted set of samples, not on how it was written down: repeating a
row equals weighting it, reordering rows changes nothing, and zero weights
equal removal, bit for bit. This is what lets the estimators pass
scikit-learn's sample-weight checks exactly.

What it means for the parameters:

- ``max_iter``: an epoch is one pass over the *distinct* training rows. A
  row repeated ``k`` times is one sample of weight ``k``, so data with many
  repeated rows takes fewer optimizer steps per epoch than its row count
  suggests.
- ``batch_size``: counts distinct rows too (``"auto"``: ``min(256, n)`` for
  ``n`` distinct rows), and the loss of a batch is the weighted mean over its
  rows.
- ``validation_fraction``: when every weight is a whole number (no weights,
  or integer ones), the hold-out splits repeated and weighted rows as the
  rows they stand for (:mod:`sklearn_snn.training.holdout`): of a row
  repeated (or weighted) 40 times, about 4 copies are held out and 36 stay
  in training, so frequent rows are not taken out of training wholesale, and
  held-out copies usually have twins in training. Multiplying all weights by
  an integer therefore changes the split, as repeating every row would. With
  any non-integer weight (e.g. most ``class_weight="balanced"`` weights), or
  10**9 rows' worth of weight or more, whole distinct rows are held out
  instead, and ``validation_fraction`` is a share of the distinct rows.
"""

import hashlib

import numpy as np
import scipy.sparse as sp

_CHUNK_ROWS = 8192
_SEEDS = (np.uint64(0x243F6A8885A308D3), np.uint64(0x13198A2E03707344))
_MULTIPLIERS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9))
_FINAL = np.uint64(0x94D049BB133111EB)


def canonical_samples(X, y, sample_weight):
    """Indices of the distinct weighted samples in canonical order.

    Rows are grouped by a 128-bit hash of their content; every group is then
    checked row by row, so rows that differ are never merged, even if their
    hashes collide.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Validated, finite input data.
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Numeric targets (class codes for classifiers).
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights.

    Returns
    -------
    indices : ndarray of shape (n_distinct,)
        Row of ``X`` that represents each distinct sample, in canonical order.
    weights : ndarray of shape (n_distinct,)
        Summed weight of each distinct sample, all positive.
    """
    y = np.asarray(y, dtype=np.float64)
    X = sp.csr_matrix(X) if sp.issparse(X) else X
    keys = _combine(_row_hashes(X), _row_hashes(y))
    weight = np.asarray(sample_weight, dtype=np.float64)
    order, starts = _groups(keys, weight)
    colliding = _members_of(_groups_with_different_rows(X, y, order, starts), order, starts)
    if len(colliding):
        # Hashes collide (about once in 2**128 pairs): those groups are grouped
        # again by their exact content, which is slower but certain.
        keys = _exact_keys(keys, X, y, colliding)
        order, starts = _groups(keys, weight)
    weights = np.add.reduceat(weight[order], starts)
    indices = order[starts]
    positive = weights > 0
    return indices[positive], weights[positive]


def _groups(keys, weight):
    """Rows sorted by key (then weight) and where each group of equal keys starts."""
    # Sorting by weight inside a group makes the weight sums order-independent.
    order = np.lexsort((weight, keys[1], keys[0]))
    sorted_keys = (keys[0][order], keys[1][order])
    new_group = (sorted_keys[0][1:] != sorted_keys[0][:-1]) | (
        sorted_keys[1][1:] != sorted_keys[1][:-1]
    )
    return order, np.flatnonzero(np.concatenate([[True], new_group]))


def _groups_with_different_rows(X, y, order, starts):
    """Positions in ``starts`` of the groups whose rows are not all equal."""
    is_start = np.zeros(len(order), dtype=bool)
    is_start[starts] = True
    group = np.cumsum(is_start) - 1
    later = np.flatnonzero(~is_start)  # every row but a group's first
    rows, firsts = order[later], order[starts[group[later]]]
    differs = np.zeros(len(rows), dtype=bool)
    for start in range(0, len(rows), _CHUNK_ROWS):
        part = slice(start, start + _CHUNK_ROWS)
        a, b = rows[part], firsts[part]
        if sp.issparse(X):
            differs[part] = (X[a] != X[b]).getnnz(axis=1) > 0
        else:
            differs[part] = np.any(X[a] != X[b], axis=1)
        differs[part] |= np.any(y[a].reshape(len(a), -1) != y[b].reshape(len(b), -1), axis=1)
    return np.unique(group[later][differs])


def _members_of(groups, order, starts):
    """Rows of the given groups."""
    ends = np.append(starts[1:], len(order))
    if len(groups) == 0:
        return np.array([], dtype=np.intp)
    return np.concatenate([order[starts[g] : ends[g]] for g in groups])


def _exact_keys(keys, X, y, rows):
    """``keys`` with ``rows`` keyed by a cryptographic digest of their exact content."""
    keys = (keys[0].copy(), keys[1].copy())
    for row in rows:
        values = X[row].toarray().ravel() if sp.issparse(X) else np.asarray(X[row])
        content = np.concatenate([values.astype(np.float64) + 0.0, y[row].ravel() + 0.0])
        digest = hashlib.blake2b(content.tobytes(), digest_size=16).digest()
        keys[0][row], keys[1][row] = np.frombuffer(digest, dtype=np.uint64)
    return keys


def _row_hashes(data):
    """Two independent 64-bit hashes of each row's exact content.

    A row's hash is a sum over its non-zero entries of a mix of the value's
    bits and the column, so dense and sparse copies of a matrix hash alike.
    """
    if data.ndim == 1:
        data = data.reshape(-1, 1)
    if sp.issparse(data):
        return _sparse_row_hashes(data)
    n_rows, n_columns = data.shape
    columns = np.arange(n_columns, dtype=np.uint64)
    hashes = tuple(np.empty(n_rows, dtype=np.uint64) for _ in _SEEDS)
    for start in range(0, n_rows, _CHUNK_ROWS):
        # + 0.0 maps -0.0 to 0.0, so equal values hash equally.
        words = _as_words(np.asarray(data[start : start + _CHUNK_ROWS]) + 0.0)
        for h, seed, multiplier in zip(hashes, _SEEDS, _MULTIPLIERS, strict=True):
            h[start : start + _CHUNK_ROWS] = _mix(words, columns, seed, multiplier).sum(
                axis=1, dtype=np.uint64
            )
    return hashes


def _sparse_row_hashes(data):
    data = sp.csr_matrix(data, copy=True)
    data.sum_duplicates()
    data.data += 0.0
    data.eliminate_zeros()
    words = _as_words(data.data)
    columns = data.indices.astype(np.uint64)
    hashes = []
    for seed, multiplier in zip(_SEEDS, _MULTIPLIERS, strict=True):
        mixed = _mix(words, columns, seed, multiplier)
        # Row sums through a cumulative sum, which handles empty rows.
        cumulative = np.concatenate([[np.uint64(0)], np.cumsum(mixed, dtype=np.uint64)])
        hashes.append(cumulative[data.indptr[1:]] - cumulative[data.indptr[:-1]])
    return tuple(hashes)


def _mix(words, columns, seed, multiplier):
    """Hash of (value bits, column) pairs; zero for a zero value.

    Value and column are each scrambled by a full 64-bit mixer before they
    are combined: multiplying the raw bits of values such as 1.0 or 2.0
    (whose low bits are all zero) by a column key would keep only a few bits
    of the key, and 2.0 in column ``c`` would hash as 2.0 in column ``c + 4``.
    """
    mixed = _splitmix(_splitmix(words ^ seed) ^ _splitmix(columns * multiplier + seed))
    mixed[words == 0] = 0
    return mixed


def _splitmix(z):
    """splitmix64's finalizer: every input bit changes about half the output bits."""
    with np.errstate(over="ignore"):
        z = z ^ (z >> np.uint64(30))
        z = z * np.uint64(0xBF58476D1CE4E5B9)
        z = z ^ (z >> np.uint64(27))
        z = z * _FINAL
        return z ^ (z >> np.uint64(31))


def _as_words(values):
    if values.dtype.itemsize == 8:
        return values.view(np.uint64)
    return values.astype(np.float32, copy=False).view(np.uint32).astype(np.uint64)


def _combine(first, second):
    combined = []
    with np.errstate(over="ignore"):
        for a, b, multiplier in zip(first, second, _MULTIPLIERS, strict=True):
            h = (a ^ (b * _FINAL)) * multiplier
            h ^= h >> np.uint64(32)
            combined.append(h)
    return tuple(combined)
