"""The validation hold-out of early stopping on canonical weighted samples."""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from sklearn_snn import SNNClassifier
from sklearn_snn._canonical import canonical_samples
from sklearn_snn._holdout import validation_split


def _no_strata(target):
    return None


def test_distinct_unit_weights_split_exactly_as_train_test_split():
    indices = np.array([7, 2, 9, 0, 4, 5, 1, 8, 3, 6])
    target = np.arange(10) % 2
    (train, train_w), (valid, valid_w) = validation_split(
        indices, np.ones(10), target, 0.3, 5, lambda t: t
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
    _, (valid, valid_w) = validation_split(indices, weights, target, 0.2, 1, lambda t: t)
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


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_early_stopping_trains_on_every_repeated_row(seed):
    # Eight distinct rows, 40 copies each. Holding out whole distinct rows would
    # take a cell out of training entirely, and parity cannot be guessed from
    # its neighbours; splitting copies keeps every cell in training.
    X, y = _parity_cells(40)
    clf = SNNClassifier(
        n_layers=2,
        n_units=32,
        learning_rate=0.01,
        max_iter=300,
        n_iter_no_change=300,
        random_state=seed,
    ).fit(X, y)
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
    monkeypatch.setattr("sklearn_snn._holdout._MAX_UNITS", 100)
    indices = np.arange(10)
    weights = np.full(10, 20.0)  # 200 units, above the bound
    (train, train_w), (valid, valid_w) = validation_split(
        indices, weights, np.zeros(10), 0.2, 0, _no_strata
    )
    assert len(valid) == 2 and set(train).isdisjoint(valid)
    assert np.all(valid_w == 20.0)
