"""Class weights as sample weights, over the model's classes, counted with sample weights."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.class_weight import compute_sample_weight

from sklearn_snn.training.class_weight import (
    as_class_weight,
    balanced_per_class,
    class_sample_weight,
)


@pytest.fixture
def labels(rng):
    """Labels of three unequal classes, 10, 30 and 60 rows."""
    return rng.permutation(np.repeat(np.array(["a", "b", "c"]), [10, 30, 60]))


def _weights(class_weight, y, classes=None, sample_weight=None):
    classes = np.unique(y) if classes is None else np.asarray(classes)
    sample_weight = np.ones(len(y)) if sample_weight is None else sample_weight
    return class_sample_weight(class_weight, y, classes, sample_weight, multilabel=False)


def test_dict_gives_each_sample_its_class_weight_and_unlisted_classes_one(labels):
    weight = _weights({"a": 3.0, "c": 0.5}, labels)
    expected = np.select([labels == "a", labels == "c"], [3.0, 0.5], default=1.0)
    np.testing.assert_array_equal(weight, expected)
    # Only the labels decide: sample weights are multiplied in later by the caller.
    np.testing.assert_array_equal(
        _weights({"a": 3.0, "c": 0.5}, labels, sample_weight=np.full(100, 7.0)), expected
    )


def test_zero_one_keys_weigh_boolean_labels(rng):
    # docs/saving_models.md advises them: skops drops the False key of a dict.
    labels = rng.random(50) < 0.3
    np.testing.assert_array_equal(
        _weights({0: 3.0, 1: 1.0}, labels), _weights({False: 3.0, True: 1.0}, labels)
    )
    assert set(_weights({0: 3.0, 1: 1.0}, labels)) == {1.0, 3.0}


def test_balanced_is_sklearns_balanced_sample_weight(labels):
    np.testing.assert_allclose(
        _weights("balanced", labels), compute_sample_weight("balanced", labels), rtol=1e-15
    )


def test_balanced_written_out_weighs_as_balanced(labels, rng):
    classes = np.array(["a", "b", "c", "d"])  # "d" absent: weight 0, as balanced gives it
    weight = rng.integers(1, 4, size=100).astype(float)
    written = as_class_weight(
        balanced_per_class(labels, classes, weight, multilabel=False), classes, multilabel=False
    )
    assert set(written) == {"a", "b", "c", "d"} and written["d"] == 0.0
    for label in "abc":  # each present class then carries a third of the total weight
        share = weight[labels == label].sum() * written[label]
        assert share == pytest.approx(weight.sum() / 3, rel=1e-12)
    np.testing.assert_array_equal(
        _weights(written, labels, classes, weight), _weights("balanced", labels, classes, weight)
    )
    Y = np.column_stack([labels == "a", labels != "c"]).astype(int)
    binary = np.array([0, 1])
    per_label = as_class_weight(
        balanced_per_class(Y, binary, weight, multilabel=True), binary, multilabel=True
    )
    np.testing.assert_array_equal(
        class_sample_weight(per_label, Y, np.array([0, 1]), weight, multilabel=True),
        class_sample_weight("balanced", Y, np.array([0, 1]), weight, multilabel=True),
    )


def test_balanced_counts_sample_weights_as_copies(labels, rng):
    counts = rng.integers(0, 4, size=100)
    counts[labels == "a"] = np.maximum(counts[labels == "a"], 1)  # every class keeps a row
    weighted = _weights("balanced", labels, sample_weight=counts.astype(float))
    repeated = compute_sample_weight("balanced", np.repeat(labels, counts))
    kept = counts > 0
    np.testing.assert_allclose(weighted[kept], repeated[np.cumsum(counts)[kept] - 1], rtol=1e-14)


def test_balanced_measures_the_models_classes_not_the_batchs(labels):
    # A batch without class "c" (and "b" only in rows of weight 0) weighs the
    # classes that count as sklearn does for that batch alone.
    batch = labels[labels != "c"]
    sample_weight = np.where(batch == "b", 0.0, 1.0)
    weight = _weights("balanced", batch, classes=["a", "b", "c"], sample_weight=sample_weight)
    np.testing.assert_array_equal(weight[batch == "a"], 1.0)  # one class present: total / count
    np.testing.assert_array_equal(weight[batch == "b"], 0.0)
    two = labels[labels != "a"]
    np.testing.assert_allclose(
        _weights("balanced", two, classes=["a", "b", "c"]),
        compute_sample_weight("balanced", two),
        rtol=1e-15,
    )
    # No weight at all: the fit refuses it later, the class weights stay finite.
    zero = _weights("balanced", labels, sample_weight=np.zeros(100))
    np.testing.assert_array_equal(zero, 1.0)


@pytest.mark.parametrize("sparse", [False, True])
def test_multilabel_weights_multiply_over_the_labels(rng, sparse):
    Y = (rng.random(size=(80, 3)) < [0.2, 0.5, 0.7]).astype(int)
    Y_given = sp.csr_matrix(Y) if sparse else Y
    per_label = [{0: 1.0, 1: 3.0}, {0: 2.0}, {1: 0.5}]
    weight = class_sample_weight(per_label, Y_given, np.arange(3), np.ones(80), multilabel=True)
    expected = np.where(Y[:, 0] == 1, 3.0, 1.0) * np.where(Y[:, 1] == 0, 2.0, 1.0)
    expected *= np.where(Y[:, 2] == 1, 0.5, 1.0)
    np.testing.assert_array_equal(weight, expected)
    balanced = class_sample_weight("balanced", Y_given, np.arange(3), np.ones(80), multilabel=True)
    np.testing.assert_allclose(balanced, compute_sample_weight("balanced", Y), rtol=1e-14)


@pytest.mark.parametrize(
    ("class_weight", "message"),
    [
        ({0: 1.0, 1: 3.0}, r"class_weight must be 'balanced' or a list with one dict"),
        ([{0: 1.0}, {1: 2.0}], r"class_weight has 2 dict\(s\), but the targets have 3 labels"),
        ([{0: 1.0}, {1: 2.0}, "balanced"], r"class_weight\[2\] must be a dict .* got 'balanced'"),
    ],
)
def test_multilabel_errors(class_weight, message):
    Y = np.array([[0, 1, 1], [1, 0, 1]])
    with pytest.raises(ValueError, match=message):
        class_sample_weight(class_weight, Y, np.arange(3), np.ones(2), multilabel=True)


@pytest.mark.parametrize(
    ("class_weight", "message"),
    [
        ([{0: 1.0}], "list of dicts is for multilabel targets"),
        (
            {"d": 2.0, 0: 1.0, "a": 1.0},
            r"not classes: \['d', 0\], and no weight for the classes \['b', 'c'\]; "
            r"the classes are \['a', 'b', 'c'\]\.$",
        ),
        ({"a": -1.0}, "values must be finite and non-negative"),
        ({"a": np.nan}, "values must be finite and non-negative"),
        ({"b": np.inf}, "values must be finite and non-negative"),
    ],
)
def test_errors_for_other_targets(labels, class_weight, message):
    with pytest.raises(ValueError, match=message):
        _weights(class_weight, labels)
