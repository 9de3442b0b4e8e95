"""The validation hold-out of early stopping on canonical weighted samples."""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from sklearn_snn import SNNClassifier
from sklearn_snn.training.duplicates import canonical_samples
from sklearn_snn.training.holdout import validation_split


def _no_strata(target, units):
    return None


def _by_target(target, units):
    return target


def test_distinct_unit_weights_split_exactly_as_train_test_split():
    indices = np.array([7, 2, 9, 0, 4, 5, 1, 8, 3, 6])
    target = np.arange(10) % 2
    (train, train_w), (valid, valid_w) = validation_split(
        indices, np.ones(10), target, 0.3, 5, _by_target
    )
    expected_train, expected_valid = train_test_split(
        np.arange(10), test_size=0.3, random_state=5, stratify=target[indices]
    )
    np.testing.assert_array_equal(train, indices[np.sort(expected_train)])
    np.testing.assert_array_equal(valid, indices[np.sort(expected_valid)])
    assert train_w.tolist() == [1.0] * 7 and valid_w.tolist() == [1.0] * 3


def test_integer_weights_are_split_as_the_rows_they_stand_for():
    indices = np.array([3, 0, 1, 2])
    weights = np.array([400.0, 30.0, 1.0, 9.0])  # 440 units
    (train, train_w), (valid, valid_w) = validation_split(
        indices, weights, np.zeros(4), 0.1, 0, _no_strata
    )
    assert valid_w.sum() == 44  # ceil(0.1 * 440) units, as train_test_split counts them
    per_row = dict.fromkeys(indices, 0.0)
    for rows, w in ((train, train_w), (valid, valid_w)):
        assert np.all(w > 0) and len(set(rows)) == len(rows)
        for row, weight in zip(rows, w, strict=True):
            per_row[row] += weight
    assert per_row == {3: 400.0, 0: 30.0, 1: 1.0, 2: 9.0}  # every unit goes somewhere once
    # The heavy sample is split, not held out whole.
    assert 3 in train and 3 in valid
    assert train.tolist() == sorted(train, key=indices.tolist().index)  # canonical order


def test_integer_weights_stratify_by_units():
    indices = np.array([0, 1, 2, 3])
    target = np.array([0, 0, 1, 1])
    weights = np.array([90.0, 10.0, 50.0, 50.0])  # 100 units per class
    _, (valid, valid_w) = validation_split(indices, weights, target, 0.2, 1, _by_target)
    held_out = {c: valid_w[target[valid] == c].sum() for c in (0, 1)}
    assert held_out == {0: 20.0, 1: 20.0}


def test_non_integer_weights_hold_out_whole_samples():
    indices = np.arange(10)
    weights = np.full(10, 2.5)
    (train, train_w), (valid, valid_w) = validation_split(
        indices, weights, np.zeros(10), 0.2, 0, _no_strata
    )
    assert len(valid) == 2 and len(train) == 8
    assert set(train).isdisjoint(valid)
    assert np.all(train_w == 2.5) and np.all(valid_w == 2.5)


def _parity_cells(copies):
    """Every 3-bit input, each repeated ``copies`` times, labelled by its parity."""
    cells = np.array([[(i >> b) & 1 for b in range(3)] for i in range(8)], dtype=float)
    X = np.repeat(cells, copies, axis=0)
    return X, X.sum(axis=1).astype(int) % 2


def _parity_classifier(seed):
    """A network that fits 3-bit parity when it sees every cell."""
    return SNNClassifier(
        n_layers=2,
        n_units=32,
        learning_rate=0.01,
        max_iter=300,
        n_iter_no_change=300,
        random_state=seed,
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_early_stopping_trains_on_every_repeated_row(seed):
    # Eight distinct rows, 40 copies each. Holding out whole distinct rows would
    # take a cell out of training entirely, and parity cannot be guessed from
    # its neighbours; splitting copies keeps every cell in training.
    X, y = _parity_cells(40)
    clf = _parity_classifier(seed).fit(X, y)
    assert clf.score(X, y) == 1.0


def test_repeated_rows_and_integer_weights_give_the_same_split():
    X, y = _parity_cells(5)
    canonical = canonical_samples(X, y, np.ones(len(X)))
    cells = np.arange(0, len(X), 5)
    weighted = canonical_samples(X[cells], y[cells], np.full(8, 5.0))
    repeated_split = validation_split(*canonical, y, 0.25, 3, _no_strata)
    weighted_split = validation_split(*weighted, y[cells], 0.25, 3, _no_strata)
    for (rows_a, w_a), (rows_b, w_b) in zip(repeated_split, weighted_split, strict=True):
        np.testing.assert_array_equal(X[rows_a], X[cells][rows_b])
        np.testing.assert_array_equal(w_a, w_b)


def test_too_many_units_fall_back_to_whole_samples(monkeypatch):
    monkeypatch.setattr("sklearn_snn.training.holdout._MAX_UNITS", 100)
    indices = np.arange(10)
    weights = np.full(10, 20.0)  # 200 units, above the bound
    (train, train_w), (valid, valid_w) = validation_split(
        indices, weights, np.zeros(10), 0.2, 0, _no_strata
    )
    assert len(valid) == 2 and set(train).isdisjoint(valid)
    assert np.all(valid_w == 20.0)


def test_strata_are_drawn_once_per_distinct_sample_not_per_unit():
    seen = []

    def record(target, units):
        seen.append((target.copy(), units.copy()))
        return target

    indices = np.array([1, 0, 2])
    target = np.array([0, 1, 1])
    validation_split(indices, np.array([30.0, 50.0, 20.0]), target, 0.1, 0, record)
    ((distinct_targets, units),) = seen
    assert distinct_targets.tolist() == [1, 0, 1] and units.tolist() == [30, 50, 20]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_classifier_stratifies_by_class_codes_weighted_by_units():
    X, y = _parity_cells(3)
    clf = SNNClassifier(n_layers=1, n_units=4, max_iter=1).fit(X, y)
    binary_column = y.reshape(-1, 1).astype(np.float32)  # the binary loss's target
    labels = clf._stratify(binary_column, np.ones(len(y)))
    assert labels.dtype.kind == "i" and labels.shape == (len(y),)
    np.testing.assert_array_equal(labels, y)
    # One sample of each class with many units still stratifies; one unit does not.
    assert clf._stratify(np.array([[0.0], [1.0]]), np.array([30, 30])) is not None
    assert clf._stratify(np.array([[0.0], [1.0]]), np.array([30, 1])) is None


@pytest.mark.parametrize("stratify", [_no_strata, _by_target])
def test_many_units_are_drawn_per_sample_without_listing_them(monkeypatch, stratify):
    monkeypatch.setattr("sklearn_snn.training.holdout._EXPANDED_UNITS", 100)
    rng = np.random.default_rng(0)
    indices = rng.permutation(50)
    weights = rng.integers(1, 400, size=50).astype(float)
    target = np.arange(50) % 3
    split = validation_split(indices, weights, target, 0.15, 7, stratify)
    (train, train_w), (valid, valid_w) = split
    n_units = weights.sum()
    assert valid_w.sum() == np.ceil(0.15 * n_units)
    total = dict.fromkeys(indices, 0.0)
    for rows, w in split:
        assert np.all(w > 0) and np.all(np.diff([list(indices).index(r) for r in rows]) > 0)
        for row, weight in zip(rows, w, strict=True):
            total[row] += weight
    assert total == dict(zip(indices, weights, strict=True))
    if stratify is _by_target:  # each class gives up its share, to within one unit
        for label in range(3):
            in_class = target[indices] == label
            expected = valid_w.sum() * weights[in_class].sum() / n_units
            held = valid_w[target[valid] == label].sum()
            assert abs(held - expected) < 1
    again = validation_split(indices, weights, target, 0.15, 7, stratify)
    for (rows_a, w_a), (rows_b, w_b) in zip(split, again, strict=True):
        np.testing.assert_array_equal(rows_a, rows_b)
        np.testing.assert_array_equal(w_a, w_b)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_early_stopping_keeps_every_row_in_training_above_the_expansion_bound(monkeypatch):
    monkeypatch.setattr("sklearn_snn.training.holdout._EXPANDED_UNITS", 100)
    X, y = _parity_cells(40)  # 320 units
    clf = _parity_classifier(0).fit(X, y)
    assert clf.score(X, y) == 1.0


def test_many_units_refuse_to_leave_training_empty(monkeypatch):
    monkeypatch.setattr("sklearn_snn.training.holdout._EXPANDED_UNITS", 100)
    with pytest.raises(ValueError, match="validation_fraction=0.9999 holds out all 400"):
        validation_split(np.arange(4), np.full(4, 100.0), np.zeros(4), 0.9999, 0, _no_strata)
