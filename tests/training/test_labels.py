"""Class labels for the loss: encoding, unknown labels, strata of the hold-out, prior loss."""

import numpy as np
import pytest
from sklearn.metrics import log_loss

from sklearn_snn.training.labels import (
    check_known_labels,
    check_same_classes,
    class_strata,
    encode_labels,
    fit_labels,
    n_outputs,
    prior_loss,
)


def test_binary_labels_train_one_logit_of_the_larger_class():
    y = np.array(["dog", "cat", "dog", "dog"])
    binarizer = fit_labels(y, None, "SNNClassifier")
    assert binarizer.y_type_ == "binary" and n_outputs(binarizer) == 1
    assert binarizer.classes_.tolist() == ["cat", "dog"]
    target = encode_labels(binarizer, y)
    assert target.dtype == np.float32 and target.shape == (4, 1)
    assert target[:, 0].tolist() == [1.0, 0.0, 1.0, 1.0]


def test_multiclass_labels_become_codes_of_the_sorted_classes():
    y = np.array([7, -3, 2, 7, 2])
    binarizer = fit_labels(y, None, "SNNClassifier")
    assert binarizer.y_type_ == "multiclass" and n_outputs(binarizer) == 3
    target = encode_labels(binarizer, y)
    assert target.dtype.kind == "i" and target.tolist() == [2, 0, 1, 2, 1]


def test_classes_of_partial_fit_include_those_absent_from_y():
    binarizer = fit_labels(np.array([0, 1, 0]), [0, 1, 2], "SNNClassifier")
    assert binarizer.y_type_ == "multiclass" and binarizer.classes_.tolist() == [0, 1, 2]
    assert encode_labels(binarizer, np.array([0, 1, 0])).tolist() == [0, 1, 0]


def test_classes_must_be_a_flat_list():
    for y in (np.array([0, 1, 2]), np.eye(3, dtype=int)):
        with pytest.raises(ValueError, match=r"classes must be a 1-d list .* shape \(1, 3\)"):
            fit_labels(y, [[0, 1, 2]], "SNNClassifier")
    binarizer = fit_labels(np.array([0, 1]), None, "SNNClassifier")
    with pytest.raises(ValueError, match=r"classes must be a 1-d list .* shape \(\)"):
        check_same_classes(binarizer, 1, np.array([0]))


def test_multilabel_indicator_trains_one_logit_per_label():
    Y = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0]])
    for classes in (None, [0, 1, 2]):
        binarizer = fit_labels(Y, classes, "SNNClassifier")
        assert binarizer.y_type_ == "multilabel-indicator" and n_outputs(binarizer) == 3
        target = encode_labels(binarizer, Y)
        assert target.dtype == np.float32
        np.testing.assert_array_equal(target, Y)


def test_one_class_is_refused_by_name():
    with pytest.raises(ValueError, match=r"^SNNClassifier needs samples of at least 2 class"):
        fit_labels(np.array(["a", "a"]), None, "SNNClassifier")
    with pytest.raises(ValueError, match=r"Other needs .* got 1 class: \[3\]\.$"):
        fit_labels(np.array([3, 3]), [3], "Other")


def test_unknown_labels_are_named_with_advice_for_a_first_or_continued_fit():
    binarizer = fit_labels(np.array([0, 1]), None, "SNNClassifier")
    check_known_labels(binarizer, np.array([1, 0, 1]), reset=True)
    listed = r"not among the classes: \[2, 5\]; the classes are \[0, 1\]\. "
    with pytest.raises(ValueError, match=listed + r"Pass every class through `classes`\.$"):
        check_known_labels(binarizer, np.array([0, 5, 2]), reset=True)
    with pytest.raises(ValueError, match=listed + r"A continued fit \(warm_start=True or partial"):
        check_known_labels(binarizer, np.array([0, 5, 2]), reset=False)
    # Labels that only print alike are different classes.
    with pytest.raises(ValueError, match=r"not among the classes: \['1'\]"):
        check_known_labels(binarizer, np.array(["1"]), reset=False)


def test_multilabel_targets_must_keep_their_columns():
    binarizer = fit_labels(np.array([[1, 0, 1], [0, 1, 0]]), None, "SNNClassifier")
    check_known_labels(binarizer, np.array([[0, 0, 1]]), reset=False)
    for y in (np.array([[0, 1], [1, 0]]), np.array([0, 1, 2])):
        with pytest.raises(ValueError, match="matrix with 3 columns, as in the first fit"):
            check_known_labels(binarizer, y, reset=False)
        # On a first partial_fit the columns come from `classes`: no first fit to speak of.
        with pytest.raises(ValueError, match="matrix with 3 columns, one per entry of `classes`"):
            check_known_labels(binarizer, y, reset=True)


def test_a_continued_fit_keeps_its_classes():
    binarizer = fit_labels(np.array(["a", "b"]), None, "SNNClassifier")
    check_same_classes(binarizer, ["b", "a"], np.array(["a"]))
    with pytest.raises(ValueError, match=r"classes=\['a', 'b', 'c'\] differs .* \['a', 'b'\]"):
        check_same_classes(binarizer, ["a", "b", "c"], np.array(["a"]))


def test_strata_are_the_class_codes_of_the_distinct_samples():
    binarizer = fit_labels(np.array([0, 1]), None, "SNNClassifier")
    target = np.array([[1.0], [0.0], [1.0], [0.0]], dtype=np.float32)  # the binary loss's
    labels = class_strata(binarizer, target, np.array([1, 3, 2, 4]), 0.2)
    assert labels.dtype.kind == "i" and labels.tolist() == [1, 0, 1, 0]
    multiclass = fit_labels(np.array([0, 1, 2]), None, "SNNClassifier")
    strata = class_strata(multiclass, np.array([2, 0, 1, 2]), np.array([2, 2, 2, 4]), 0.3)
    assert strata.tolist() == [2, 0, 1, 2]


@pytest.mark.parametrize(
    ("units", "fraction"),
    [
        ([1, 5, 4], 0.3),  # class 0 has one unit: it cannot be on both sides
        ([2, 4, 4], 0.2),  # 2 of 10 units held out, 3 classes
        ([2, 4, 4], 0.8),  # 2 units left to train on, 3 classes
    ],
)
def test_no_strata_where_a_class_cannot_be_on_both_sides(units, fraction):
    multiclass = fit_labels(np.array([0, 1, 2]), None, "SNNClassifier")
    target = np.array([0, 1, 2])
    assert class_strata(multiclass, target, np.array(units), fraction) is None
    assert class_strata(multiclass, target, np.array([2, 4, 4]), 0.3) is not None


def test_no_strata_for_multilabel_targets():
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 5)
    binarizer = fit_labels(Y, None, "SNNClassifier")
    assert class_strata(binarizer, encode_labels(binarizer, Y), np.ones(20), 0.5) is None


def test_prior_loss_is_the_log_loss_of_predicting_the_class_frequencies(rng):
    y = rng.integers(0, 4, size=60)
    weight = rng.uniform(0.1, 3.0, size=60)
    binarizer = fit_labels(y, [0, 1, 2, 3, 4], "SNNClassifier")  # class 4 never occurs
    prior = np.bincount(y, weights=weight, minlength=5) / weight.sum()
    expected = log_loss(y, np.tile(prior, (60, 1)), sample_weight=weight, labels=range(5))
    loss = prior_loss(binarizer, encode_labels(binarizer, y), weight)
    assert loss == pytest.approx(expected, rel=1e-12)


def test_binary_prior_loss_is_the_log_loss_of_the_weighted_positive_rate(rng):
    y = rng.integers(0, 2, size=50)
    weight = rng.uniform(0.1, 3.0, size=50)
    binarizer = fit_labels(y, None, "SNNClassifier")
    p = weight[y == 1].sum() / weight.sum()
    expected = log_loss(y, np.full(50, p), sample_weight=weight)
    loss = prior_loss(binarizer, encode_labels(binarizer, y), weight)
    assert loss == pytest.approx(expected, rel=1e-12)


def test_multilabel_prior_loss_is_the_mean_over_the_labels(rng):
    Y = (rng.random(size=(40, 3)) < [0.2, 0.5, 0.9]).astype(int)
    weight = rng.uniform(0.1, 3.0, size=40)
    binarizer = fit_labels(Y, None, "SNNClassifier")
    per_label = [
        log_loss(Y[:, j], np.full(40, np.average(Y[:, j], weights=weight)), sample_weight=weight)
        for j in range(3)
    ]
    loss = prior_loss(binarizer, encode_labels(binarizer, Y), weight)
    assert loss == pytest.approx(np.mean(per_label), rel=1e-12)


@pytest.mark.parametrize(
    "y",
    [
        np.array([0, 0, 0, 1, 2, 2, 0, 0, 0, 0] * 4),  # multiclass, class 3 never occurs
        np.array([0, 1, 0, 0, 0, 0, 0, 0, 0, 0] * 4),  # binary, 10% positive
        np.array([[1, 0], [0, 0], [0, 0], [0, 1], [0, 0]] * 8),  # multilabel
    ],
    ids=["multiclass", "binary", "multilabel"],
)
def test_smoothed_prior_loss_is_the_least_smoothed_loss_of_a_constant_prediction(y, rng):
    torch = pytest.importorskip("torch")
    from sklearn_snn.nn.losses import classification_loss

    weight = rng.uniform(0.1, 3.0, size=len(y))
    classes = [0, 1, 2, 3] if y.ndim == 1 and y.max() > 1 else None
    binarizer = fit_labels(y, classes, "SNNClassifier")
    target = torch.as_tensor(encode_labels(binarizer, y))
    target = target.long() if binarizer.y_type_ == "multiclass" else target.double()
    loss_fn = classification_loss(binarizer.y_type_, 0.1)
    n_outputs = 4 if binarizer.y_type_ == "multiclass" else target.shape[1]
    logits = torch.zeros(n_outputs, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([logits], max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        per_sample = loss_fn(logits.expand(len(y), -1), target).reshape(len(y), -1).mean(axis=1)
        value = (per_sample * torch.as_tensor(weight)).sum() / weight.sum()
        value.backward()
        return value

    optimizer.step(closure)
    least = float(closure().detach())
    assert prior_loss(binarizer, target.numpy(), weight, smoothing=0.1) == pytest.approx(
        least, rel=1e-9
    )
    assert least > prior_loss(binarizer, target.numpy(), weight)  # smoothing raises the floor
