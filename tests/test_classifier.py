import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy.special import expit, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import recall_score
from sklearn.utils.class_weight import compute_sample_weight

import sklearn_snn._base as base_module
from sklearn_snn import SNNClassifier
from sklearn_snn.training.samples import full_weights


def test_multiclass_fit_predict_and_attributes(classification_data, small_params):
    X, y = classification_data
    clf = SNNClassifier(**small_params).fit(X, y)
    assert clf.score(X, y) > 0.85
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))
    assert clf.n_outputs_ == 3 and clf.n_features_in_ == 8
    assert clf.n_iter_ == len(clf.loss_curve_) == len(clf.history_)
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert isinstance(clf.module_, torch.nn.Module)


@pytest.mark.parametrize(
    "labels", [np.array(["cat", "dog"]), np.array([False, True]), np.array([-3, 7])]
)
def test_binary_labels_of_any_type(binary_data, small_params, labels):
    X, y = binary_data
    clf = SNNClassifier(**small_params).fit(X, labels[y])
    assert clf.n_outputs_ == 1
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    assert set(clf.predict(X)) <= set(labels)
    assert clf.score(X, labels[y]) > 0.85
    assert clf.decision_function(X).shape == (200,)


def test_multilabel_indicator_targets(classification_data, small_params):
    X, y = classification_data
    Y = np.column_stack([y == 0, y == 1, X[:, 0] > 0]).astype(int)
    clf = SNNClassifier(**small_params).fit(X, Y)
    assert clf.predict(X).shape == Y.shape
    assert clf.predict_proba(X).shape == Y.shape
    assert (clf.predict(X) == Y).mean() > 0.85


@pytest.mark.parametrize("form", ["minus-one", "two", "sparse-two"])
def test_multilabel_targets_other_than_zero_one_are_refused(
    classification_data, small_params, form
):
    # scikit-learn reads any two-valued integer matrix as multilabel; the loss
    # needs 0/1 (with -1/1 it fell without bound and predict gave 0/1 back).
    X, y = classification_data
    Y = np.column_stack([y == 0, y == 1, X[:, 0] > 0]).astype(int)
    bad = {"minus-one": 2 * Y - 1, "two": 2 * Y, "sparse-two": sp.csr_matrix(2 * Y)}[form]
    with pytest.raises(ValueError, match=r"indicator matrix of 0 and 1, got the values \[(-1|0), "):
        SNNClassifier(**small_params).fit(X, bad)
    clf = SNNClassifier(**small_params).partial_fit(X, Y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="indicator matrix of 0 and 1"):
        clf.partial_fit(X, 2 * Y)
    assert clf.n_iter_ == 1


def test_same_random_state_same_model_bit_for_bit(classification_data, small_params):
    X, y = classification_data
    params = dict(small_params, dropout=0.05)
    first = SNNClassifier(**params).fit(X, y).predict_proba(X)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    second = SNNClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    assert torch.equal(state, torch.get_rng_state()), "fit changed torch's global RNG"
    other = SNNClassifier(**dict(params, random_state=1)).fit(X, y).predict_proba(X)
    assert not np.array_equal(first, other)


def test_row_order_and_float32_input(classification_data, small_params):
    X, y = classification_data
    order = np.random.default_rng(0).permutation(len(y))
    first = SNNClassifier(**small_params).fit(X, y).predict_proba(X)
    second = SNNClassifier(**small_params).fit(X[order], y[order]).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    X32 = X.astype(np.float32)
    clf = SNNClassifier(**small_params).fit(X32, y)
    assert clf.score(X32, y) > 0.85


def test_sparse_input_matches_dense(classification_data, small_params):
    X, y = classification_data
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    dense = SNNClassifier(**small_params).fit(X, y).predict_proba(X)
    for container in (sp.csr_matrix, sp.csc_matrix):
        sparse = SNNClassifier(**small_params).fit(container(X), y)
        np.testing.assert_allclose(sparse.predict_proba(container(X)), dense, atol=1e-4)


def test_sparse_feature_with_large_offset_trains_as_dense(binary_data, small_params):
    # 1e8 + x: a float32 cast before centring would turn x into a constant.
    X, y = binary_data
    X = X.copy()
    X[:, 0] = 1e8 + X[:, 0]
    dense = SNNClassifier(**small_params).fit(X, y)
    sparse = SNNClassifier(**small_params).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X), atol=1e-4)


@pytest.mark.parametrize("scale", [1e-46, 1e-40, 1e30])
def test_sample_weights_of_any_scale_train_as_unit_weights(binary_data, small_params, scale):
    # Only the ratios of the weights matter, even beyond float32's range.
    X, y = binary_data
    unit = SNNClassifier(**small_params).fit(X, y)
    scaled = SNNClassifier(**small_params).fit(X, y, sample_weight=np.full(len(y), scale))
    assert np.isfinite(scaled.loss_curve_).all()
    np.testing.assert_allclose(scaled.loss_curve_, unit.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(scaled.predict_proba(X), unit.predict_proba(X), atol=1e-4)


def test_pandas_dataframe_keeps_feature_names(classification_data, small_params):
    pd = pytest.importorskip("pandas")
    X, y = classification_data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = SNNClassifier(**small_params).fit(frame, pd.Series(y))
    np.testing.assert_array_equal(clf.feature_names_in_, frame.columns)
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


def test_class_weight_equals_sample_weight(classification_data, small_params):
    X, y = classification_data
    class_weight = {0: 3.0, 1: 1.0, 2: 0.5}
    by_class = SNNClassifier(**small_params, class_weight=class_weight).fit(X, y)
    by_sample = SNNClassifier(**small_params).fit(
        X, y, sample_weight=np.vectorize(class_weight.get)(y)
    )
    np.testing.assert_array_equal(by_class.predict_proba(X), by_sample.predict_proba(X))


@pytest.mark.parametrize("class_weight", [{0: 10, 1: 10, 2: 10}, {0: 2, 1: 1, 2: 5}, "balanced"])
def test_class_weights_are_no_copies_for_the_validation_split(
    classification_data, small_params, class_weight, monkeypatch
):
    # Whole-number sample weights are copies, split as rows; whole-number class
    # weights only weigh the loss: each row is held out or trained on, never both.
    X, y = classification_data
    parts = []  # (rows, weights) of the training and the validation data of each fit

    def spy(n_rows, rows, weights):
        parts.append((rows, weights))
        return full_weights(n_rows, rows, weights)

    monkeypatch.setattr(base_module, "full_weights", spy)
    params = dict(small_params, early_stopping=True, validation_fraction=0.2, max_iter=2)
    SNNClassifier(**params).fit(X, y)
    SNNClassifier(**params, class_weight=class_weight).fit(X, y)
    (plain_train, _), (plain_valid, _), (train, train_weight), (valid, valid_weight) = parts
    assert np.intersect1d(train, valid).size == 0
    np.testing.assert_array_equal(valid, plain_valid)
    np.testing.assert_array_equal(train, plain_train)
    expected = compute_sample_weight(class_weight, y)  # the loss still weighs by class
    np.testing.assert_allclose(valid_weight, expected[valid], rtol=1e-12)
    np.testing.assert_allclose(train_weight, expected[train], rtol=1e-12)
    # Integer sample weights stay copies: a row of weight 5 may sit on both sides.
    SNNClassifier(**params).fit(X, y, sample_weight=np.full(len(y), 5.0))
    (train, _), (valid, _) = parts[4:]
    assert np.intersect1d(train, valid).size > 0


def test_balanced_class_weight_counts_sample_weights(classification_data, small_params):
    # A weight of 0 equals removing the row and a weight of 3 equals three
    # copies, with "balanced" class weights as without them.
    X, y = classification_data
    params = dict(small_params, class_weight="balanced")
    weight = np.where(np.arange(len(y)) < 100, 0.0, 1.0)
    weight[y == 2] *= 3.0
    kept = weight > 0
    copies = np.repeat(np.flatnonzero(kept), weight[kept].astype(int))
    weighted = SNNClassifier(**params).fit(X, y, sample_weight=weight)
    repeated = SNNClassifier(**params).fit(X[copies], y[copies])
    np.testing.assert_array_equal(weighted.predict_proba(X), repeated.predict_proba(X))


@pytest.mark.parametrize(("data", "every"), [("binary_data", 5), ("classification_data", 10)])
def test_balanced_class_weight_is_sklearns_balanced_sample_weight(
    request, small_params, data, every
):
    # Outside class 0 only every 5th (10th) row is kept: 10 to 17 rows a class.
    X, y = request.getfixturevalue(data)
    kept = (y == 0) | (np.arange(len(y)) % every == 0)
    balanced = SNNClassifier(**small_params, class_weight="balanced").fit(X[kept], y[kept])
    by_sample = SNNClassifier(**small_params).fit(
        X[kept], y[kept], sample_weight=compute_sample_weight("balanced", y[kept])
    )
    np.testing.assert_array_equal(balanced.predict_proba(X), by_sample.predict_proba(X))
    plain = SNNClassifier(**small_params).fit(X[kept], y[kept])
    # The minority classes' recall rises by 0.16 to 0.25 here.
    balanced_recall, plain_recall = (
        recall_score(y, model.predict(X), average=None)[1:].mean() for model in (balanced, plain)
    )
    assert balanced_recall > plain_recall + 0.1


def test_class_weight_dict_holds_for_batches_without_a_class(classification_data, small_params):
    # The weights belong to the model's classes, not to the classes of a batch:
    # a batch without class 2 keeps the weight of class 1 and the default of 0.
    X, y = classification_data
    class_weight = {1: 5.0, 2: 2.0}
    by_class = SNNClassifier(**small_params, class_weight=class_weight)
    by_sample = SNNClassifier(**small_params)
    by_class.partial_fit(X, y, classes=[0, 1, 2])
    by_sample.partial_fit(X, y, classes=[0, 1, 2], sample_weight=np.array([1.0, 5.0, 2.0])[y])
    two = y < 2
    by_class.partial_fit(X[two], y[two])
    by_sample.partial_fit(X[two], y[two], sample_weight=np.where(y[two] == 1, 5.0, 1.0))
    np.testing.assert_array_equal(by_class.predict_proba(X), by_sample.predict_proba(X))
    with pytest.raises(ValueError, match=r"keys that are not classes: \[3\], and no weight"):
        SNNClassifier(**small_params, class_weight={3: 2.0}).fit(X, y)
    # As in scikit-learn, a key for a class the data lack (a cross-validation
    # fold without a rare class) is fine when every class has its weight.
    extra = SNNClassifier(**small_params, class_weight={0: 1.0, 1: 5.0, 2: 2.0, 3: 9.0})
    exact = SNNClassifier(**small_params, class_weight={0: 1.0, 1: 5.0, 2: 2.0})
    np.testing.assert_array_equal(
        extra.fit(X, y).predict_proba(X), exact.fit(X, y).predict_proba(X)
    )
    for bad in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="values must be finite and non-negative"):
            SNNClassifier(**small_params, class_weight={0: bad}).fit(X, y)


def test_multilabel_class_weight_is_a_list_of_dicts(small_params):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    Y = (X[:, :3] > 0).astype(int)
    per_label = [{0: 1.0, 1: 3.0}, {0: 2.0, 1: 1.0}, {1: 0.5}]
    product = np.prod(
        [[d.get(v, 1.0) for d, v in zip(per_label, row, strict=True)] for row in Y], axis=1
    )
    by_class = SNNClassifier(**small_params, class_weight=per_label).fit(X, Y)
    by_sample = SNNClassifier(**small_params).fit(X, Y, sample_weight=product)
    np.testing.assert_array_equal(by_class.predict_proba(X), by_sample.predict_proba(X))
    balanced = SNNClassifier(**small_params, class_weight="balanced").fit(X, Y)
    from_sklearn = SNNClassifier(**small_params).fit(
        X, Y, sample_weight=compute_sample_weight("balanced", Y)
    )
    np.testing.assert_allclose(balanced.predict_proba(X), from_sklearn.predict_proba(X), atol=1e-6)
    sparse_Y = SNNClassifier(**small_params, class_weight=per_label).fit(X, sp.csr_matrix(Y))
    np.testing.assert_array_equal(sparse_Y.predict_proba(X), by_class.predict_proba(X))
    with pytest.raises(ValueError, match=r"class_weight\[2\] must be a dict"):
        SNNClassifier(**small_params, class_weight=per_label[:2] + [None]).fit(X, Y)
    with pytest.raises(ValueError, match="list with one dict .* per label"):
        SNNClassifier(**small_params, class_weight={0: 1.0, 1: 3.0}).fit(X, Y)
    with pytest.raises(ValueError, match="2 dict.* 3 labels"):
        SNNClassifier(**small_params, class_weight=per_label[:2]).fit(X, Y)
    with pytest.raises(ValueError, match="list of dicts is for multilabel"):
        SNNClassifier(**small_params, class_weight=per_label).fit(X, Y[:, 0])


def test_sample_weight_changes_the_fit(binary_data, small_params):
    # Class 1 fifty times heavier: the model leans towards it wherever in doubt.
    X, y = binary_data
    heavy = np.where(y == 1, 50.0, 1.0)
    weighted = SNNClassifier(**small_params).fit(X, y, sample_weight=heavy).predict_proba(X)
    plain = SNNClassifier(**small_params).fit(X, y).predict_proba(X)
    # Here P(1) rises on 88% of the rows, and from 0.11 to 0.20 on class 0's.
    assert (weighted[:, 1] > plain[:, 1]).mean() > 0.75
    assert weighted[y == 0, 1].mean() > plain[y == 0, 1].mean() + 0.05


@pytest.mark.parametrize(
    "X, message",
    [
        (np.array([[np.inf, 1.0], [1.0, 2.0]]), "infinity"),
        (np.empty((0, 2)), "0 sample"),
        (np.array([[1 + 1j, 2.0], [1.0, 2.0]]), "Complex"),
    ],
)
def test_bad_input_raises_clear_error(X, message):
    with pytest.raises(ValueError, match=message):
        SNNClassifier().fit(X, np.arange(len(X)) % 2)


def test_wrong_feature_count_at_predict(binary_data, small_params):
    X, y = binary_data
    clf = SNNClassifier(**small_params).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])


def test_single_class_raises():
    with pytest.raises(ValueError, match="at least 2 classes"):
        SNNClassifier().fit(np.ones((5, 2)), np.zeros(5))


def test_invalid_parameter_raises_clear_error():
    with pytest.raises(ValueError, match="'n_layers' parameter"):
        SNNClassifier(n_layers=0).fit(np.ones((4, 2)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="'shape' parameter"):
        SNNClassifier(shape="round").fit(np.ones((4, 2)), [0, 1, 0, 1])


def test_partial_fit_needs_classes_and_rejects_unseen(classification_data, small_params):
    X, y = classification_data
    clf = SNNClassifier(**small_params)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    # Labels outside `classes` are refused on the first call too, and labels
    # that only print alike (1 and "1") are not the same class.
    with pytest.raises(ValueError, match=r"not among the classes: \[2\]"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"not among the classes: \[0, 1\]"):
        clf.partial_fit(X[y < 2], y[y < 2], classes=["0", "1"])
    assert not hasattr(clf, "classes_"), "a refused first call must leave no model"
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    with pytest.raises(ValueError, match=r"not among the classes: \[2\].* keeps the classes"):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\] differs .* \[0, 1\]"):
        clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    clf.partial_fit(X[y < 2], y[y < 2], classes=[1, 0])  # the same classes, in any order
    assert clf.n_iter_ == 2


def test_partial_fit_refuses_balanced_class_weight(classification_data, small_params):
    X, y = classification_data
    clf = SNNClassifier(class_weight="balanced", **small_params)
    with pytest.raises(ValueError, match="'balanced' is not supported by partial_fit"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    counts = np.bincount(y)
    weights = {label: len(y) / (3 * count) for label, count in enumerate(counts)}
    clf.set_params(class_weight=weights).partial_fit(X, y, classes=[0, 1, 2])
    assert clf.n_iter_ == 1


def test_partial_fit_trains_one_epoch_per_call(classification_data, small_params):
    X, y = classification_data
    clf = SNNClassifier(**small_params)
    for _ in range(5):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    assert clf.n_iter_ == 5
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    clf.partial_fit(X[:10], y[:10])
    assert clf.n_iter_ == 6


def test_partial_fit_warns_of_columns_the_first_batch_cannot_scale(
    classification_data, small_params
):
    X, y = classification_data
    X = X.copy()
    X[:20, 3] = 2.0  # constant in the first batch only
    clf = SNNClassifier(**small_params)
    with pytest.warns(UserWarning, match=r"feature\(s\) \[3\] are constant in this batch of 20"):
        clf.partial_fit(X[:20], y[:20], classes=[0, 1, 2])
    # As the warning says: centred on the batch's value, not scaled.
    assert clf._input_mean[3] == 2.0 and clf._input_scale[3] == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf.partial_fit(X, y)  # later calls learn no standardization
        SNNClassifier(**small_params).partial_fit(X, y, classes=[0, 1, 2])
        SNNClassifier(**small_params, standardize=False).partial_fit(
            X[:20], y[:20], classes=[0, 1, 2]
        )
    with pytest.warns(UserWarning, match=r"\[0, 1, 2, 3, 4, 5, 6, 7\] .* batch of 1 "):
        SNNClassifier(**small_params).partial_fit(X[:1], y[:1], classes=[0, 1, 2])
    # Constant as the scaler sees it: rounding-level variance is, a balanced
    # +-1 column (variance exactly 1, scale 1) is not.
    X[:20, 5] = 1e8 + 1e-7 * np.random.default_rng(0).normal(size=20)
    X[:20, 6] = np.tile([1.0, -1.0], 10)
    with pytest.warns(UserWarning, match=r"feature\(s\) \[3, 5\] are constant"):
        clf = SNNClassifier(**small_params).partial_fit(X[:20], y[:20], classes=[0, 1, 2])
    assert clf._input_scale[5] == clf._input_scale[6] == 1.0


def test_partial_fit_warning_names_the_input_columns(classification_data, small_params):
    # The encoding puts one-hot columns first and missing indicators last: the
    # warning names the caller's columns, and none that the encoding made.
    pd = pytest.importorskip("pandas")
    X, y = classification_data
    frame = pd.DataFrame(X[:20, :3], columns=["a", "b", "c"]).assign(
        colour=pd.Categorical(np.where(y[:20] == 0, "red", "blue")), flat=2.0, flag=X[:20, 0] > 0
    )
    frame.loc[3, "a"] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SNNClassifier(**small_params).partial_fit(frame, y[:20], classes=[0, 1, 2])
    [message] = [str(w.message) for w in caught if "first batch" in str(w.message)]
    assert "feature(s) ['flat'] are constant" in message and "hold only 0 and 1" not in message
    numbers = np.column_stack([X[:20, :3], np.full(20, 2.0), X[:20, 0] > 0])
    numbers[3, 0] = np.nan
    with pytest.warns(UserWarning, match=r"\[3\] are constant.*feature\(s\) \[4\] hold only 0"):
        SNNClassifier(**small_params).partial_fit(numbers, y[:20], classes=[0, 1, 2])


def test_warm_start_continues_training(classification_data, small_params):
    X, y = classification_data
    params = dict(small_params, max_iter=5, tol=0.0)
    clf = SNNClassifier(**params, warm_start=True).fit(X, y)
    before = [p.detach().clone() for p in clf.module_.parameters()]
    clf.fit(X, y)
    assert clf.n_iter_ == 10
    after = list(clf.module_.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))
    cold = SNNClassifier(**params).fit(X, y)
    cold.fit(X, y)
    assert cold.n_iter_ == 5


def test_early_stopping_restores_the_best_epoch(classification_data):
    X, y = classification_data
    clf = SNNClassifier(
        n_layers=3,
        n_units=128,
        n_ensemble=1,
        label_smoothing=0.0,  # a fitted temperature would rescale the kept weights
        learning_rate=0.01,
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=200,
        random_state=0,
    ).fit(X, y)
    valid_loss = clf.history_[:, "valid_loss"]
    best = int(np.argmin(valid_loss))
    assert best < len(valid_loss) - 1, "training should run past its best epoch"
    assert len(valid_loss) - 1 - best == 5
    stopper = dict(clf.net_.callbacks_)["stopper"]
    for name, tensor in clf.module_.state_dict().items():
        assert torch.equal(tensor, stopper.best_model_weights_[name])
    assert clf.best_validation_score_ == clf.validation_scores_[best]
    assert clf.best_loss_ is None


def test_best_validation_score_is_that_of_the_restored_epoch(classification_data):
    # With a large tol early stopping keeps the last epoch that improved by
    # more than tol, which here is not the epoch of the lowest loss.
    X, y = classification_data
    clf = SNNClassifier(
        n_layers=2,
        n_units=32,
        n_ensemble=1,
        label_smoothing=0.0,  # a fitted temperature would rescale the kept weights
        learning_rate=0.01,
        early_stopping=True,
        tol=0.1,
        n_iter_no_change=3,
        max_iter=40,
        random_state=0,
    ).fit(X, y)
    stopper = dict(clf.net_.callbacks_)["stopper"]
    restored = stopper.best_epoch_ - 1
    assert restored != int(np.argmin(clf.history_[:, "valid_loss"]))
    for name, tensor in clf.module_.state_dict().items():
        assert torch.equal(tensor, stopper.best_model_weights_[name])
    assert clf.best_validation_score_ == clf.validation_scores_[restored]


def test_log_proba_stays_finite_for_confident_predictions(binary_data, small_params):
    X, y = binary_data
    # Unclipped inputs, so that rows far out give logits beyond float64's probabilities.
    clf = SNNClassifier(**small_params, standardize=True).fit(X, y)
    far = X * 1e3
    logits = clf.decision_function(far)
    assert np.abs(logits).max() > 1000, "probabilities of 0 and 1 in float64"
    log_proba = clf.predict_log_proba(far)
    assert np.isfinite(log_proba).all()
    np.testing.assert_allclose(log_proba[:, 1] - log_proba[:, 0], logits, rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_proba), clf.predict_proba(far))


def test_max_iter_without_convergence_warns(binary_data):
    X, y = binary_data
    small = dict(n_layers=1, n_units=8, random_state=0)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations") as record:
        SNNClassifier(**small, max_iter=2).fit(X, y)
    assert (
        "max_iter=2 epochs are not more than n_iter_no_change=20, so the validation loss "
        "could not be seen to stall. The best epoch's weights are kept. Raise max_iter"
    ) in str(record[0].message)
    # Still improving when max_iter runs out, patience shorter than the fit.
    with pytest.warns(ConvergenceWarning) as record:
        clf = SNNClassifier(**small, max_iter=6, n_iter_no_change=3, early_stopping=False)
        clf.fit(X, y)
    assert np.all(np.diff(clf.loss_curve_[-4:]) < -1e-4), "the test needs a falling loss"
    assert str(record[0].message).endswith(
        "the training loss fell by more than tol=0.0001 within the last 3 epochs. "
        "Raise max_iter to train longer."
    )


def test_verbose_prints_skorch_epoch_log(binary_data, capsys):
    X, y = binary_data
    SNNClassifier(n_layers=1, n_units=8, max_iter=2, verbose=1, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "epoch" in out
    SNNClassifier(n_layers=1, n_units=8, max_iter=2, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""


def test_verbose_log_keeps_its_columns_when_an_epoch_diverges(binary_data, capsys):
    # Diverged epochs are undone and marked; the other epochs' values must stay
    # under their own headers rather than slide into the "diverged" column.
    X, y = binary_data
    params = dict(n_layers=1, n_units=8, n_ensemble=1, optimizer="sgd", random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        SNNClassifier(**params, learning_rate=1e3, max_iter=5, verbose=1).fit(X, y)
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in capsys.readouterr().out.splitlines()]
    header, rows = lines[0], [line for line in lines[2:] if line.split()[0].isdigit()]
    assert header.split()[:2] == ["epoch", "diverged"] and len(rows) == 5
    end = header.index("diverged") + len("diverged")
    cells = [row[end - len("diverged") : end].strip() for row in rows]
    assert set(cells) == {"+", ""}  # some epochs diverged, some did not
    for row, cell in zip(rows, cells, strict=True):
        assert len(row.split()) == len(header.split()) - (cell == "")


def test_fixed_point_sets_selu_and_dropout_constants(binary_data, small_params):
    from sklearn_snn.theory import alpha_dropout_parameters, selu_parameters

    X, y = binary_data
    clf = SNNClassifier(**small_params, dropout=0.05, fixed_point=(0.0, 2.0)).fit(X, y)
    alpha, lambda_ = selu_parameters(0.0, 2.0)
    a, b = alpha_dropout_parameters(0.05, 0.0, 2.0, alpha=alpha, lambda_=lambda_)
    for _, selu, dropout in clf.module_.hidden:
        assert (selu.alpha, selu.lambda_) == (alpha, lambda_)
        assert (dropout.a, dropout.b) == (a, b)
    assert clf.score(X, y) > 0.85
    as_array = SNNClassifier(**small_params, dropout=0.05, fixed_point=np.array([0.0, 2.0]))
    np.testing.assert_array_equal(as_array.fit(X, y).predict_proba(X), clf.predict_proba(X))
    with pytest.raises(ValueError, match="fixed_point must be a pair"):
        SNNClassifier(fixed_point=(0.0, 1.0, 2.0)).fit(X, y)
    with pytest.raises(
        ValueError, match=r"fixed_point=\(0.0, inf\) has no SELU: var must be finite"
    ):
        SNNClassifier(fixed_point=(0.0, np.inf)).fit(X, y)


pytestmark = pytest.mark.usefixtures("quiet_convergence")


def _members_probabilities(clf, X):
    """Each member's probabilities, from a float64 copy of the member alone."""
    inputs = torch.from_numpy(clf._prepare_input(X))
    probabilities = []
    for index in range(clf.n_ensemble):
        member = clf.module_.member(index).double().eval()
        with torch.no_grad():
            logits = member(inputs)
        if clf._label_binarizer.y_type_ == "multiclass":
            probabilities.append(torch.softmax(logits, dim=1).numpy())
        elif clf._label_binarizer.y_type_ == "binary":
            positive = torch.sigmoid(logits).numpy()
            probabilities.append(np.hstack([1 - positive, positive]))
        else:
            probabilities.append(torch.sigmoid(logits).numpy())
    return np.array(probabilities)


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel"])
def test_ensemble_predicts_the_mean_of_its_members_probabilities(
    classification_data, small_params, kind
):
    X, y = classification_data
    y = {"multiclass": y, "binary": y == 1, "multilabel": np.column_stack([y == 0, y == 1])}[kind]
    clf = SNNClassifier(**dict(small_params, n_ensemble=3), dropout=0.05).fit(X, y)
    members = _members_probabilities(clf, X)
    assert np.abs(members[0] - members[1]).max() > 0.05, "the members should differ"
    expected = members.mean(axis=0)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-12)
    # Not the probabilities of the averaged logits, which differ by more.
    if kind == "multiclass":
        of_mean_logits = softmax(np.log(members).mean(axis=0), axis=1)
    else:
        clipped = np.clip(members, 1e-12, 1 - 1e-12)
        of_mean_logits = expit((np.log(clipped) - np.log1p(-clipped)).mean(axis=0))
    assert np.abs(proba - of_mean_logits).max() > 1e-3
    assert clf.score(X, y) > 0.85
    if kind == "multiclass":
        np.testing.assert_array_equal(clf.predict(X), clf.classes_[expected.argmax(axis=1)])
        np.testing.assert_allclose(clf.decision_function(X), np.log(expected), atol=1e-12)
    elif kind == "binary":
        np.testing.assert_array_equal(clf.predict(X), expected[:, 1] > 0.5)
        logit = np.log(expected[:, 1]) - np.log(expected[:, 0])
        np.testing.assert_allclose(clf.decision_function(X), logit, atol=1e-9)
    else:
        np.testing.assert_array_equal(clf.predict(X), (expected > 0.5).astype(int))
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), atol=1e-12)


def test_ensemble_validation_loss_is_that_of_the_averaged_prediction(classification_data):
    X, y = classification_data
    clf = SNNClassifier(
        n_layers=2,
        n_units=32,
        learning_rate=0.01,
        n_ensemble=4,
        label_smoothing=0.0,  # the recorded losses are of the logits before calibration
        max_iter=15,
        random_state=0,
    ).fit(X, y)
    valid = clf.net_.train_split.keywords["valid_ds"]
    with torch.no_grad():
        members = torch.softmax(clf.module_.eval()(valid.X), dim=-1).double()
    target, weight = valid.y, valid.weight.double()
    picked = members[:, torch.arange(len(target)), target]  # (members, rows)
    averaged_loss = -(torch.log(picked.mean(0)) * weight).sum() / weight.sum()
    members_loss = (-(torch.log(picked) * weight).sum(1) / weight.sum()).mean()
    assert members_loss - averaged_loss > 0.01  # the two choices differ here
    best = dict(clf.net_.callbacks_)["stopper"].best_epoch_ - 1
    assert clf.history_[best, "valid_loss"] == pytest.approx(averaged_loss.item(), rel=1e-5)
    accuracy = (weight * (members.mean(0).argmax(1) == target)).sum() / weight.sum()
    assert clf.best_validation_score_ == pytest.approx(accuracy.item(), rel=1e-9)


def test_training_inside_inference_mode(classification_data, small_params):
    # As inside torch.no_grad, fit and partial_fit turn autograd on for
    # themselves; the optimizer state must not become inference tensors
    # that break the next call outside.
    X, y = classification_data
    expected = SNNClassifier(**small_params).fit(X, y).partial_fit(X, y)
    clf = SNNClassifier(**small_params)
    with torch.inference_mode():
        clf.fit(X, y).partial_fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), expected.predict_proba(X))
    clf.partial_fit(X, y)
    assert clf.n_iter_ == expected.n_iter_ + 1


@pytest.mark.parametrize("early_stopping", [True, False])
def test_the_trained_module_is_left_in_evaluation_mode(
    classification_data, small_params, early_stopping
):
    # module_ is a plain torch module to use: its alpha dropout must be off.
    X, y = classification_data
    params = {**small_params, "dropout": 0.2, "early_stopping": early_stopping}
    clf = SNNClassifier(**params).fit(X, y)
    assert not clf.module_.training
    inputs = torch.from_numpy(clf._prepare_input(X)).float()
    with torch.no_grad():
        assert torch.equal(clf.module_(inputs), clf.module_(inputs))
    clf.partial_fit(X, y)
    assert not clf.module_.training


def test_nothing_to_train_on_names_the_weights_that_are_zero(classification_data, small_params):
    X, y = classification_data
    with pytest.raises(ValueError, match="Sample weights must contain at least one non-zero"):
        SNNClassifier(**small_params).fit(X, y, sample_weight=np.zeros(len(y)))
    zero = {0: 0.0, 1: 0.0, 2: 0.0}
    with pytest.raises(ValueError, match="^class_weight gives every class of the data zero"):
        SNNClassifier(**small_params, class_weight=zero).fit(X, y)
    # Sample weights zero one class, class weights the others: both are at fault.
    some = {0: 0.0, 1: 0.0, 2: 1.0}
    with pytest.raises(ValueError, match="^sample_weight and class_weight together give"):
        SNNClassifier(**small_params, class_weight=some).fit(X, y, sample_weight=y < 2)


@pytest.mark.parametrize(
    "rows",
    [
        [[0.1, "x"], [0.2, "y"], [0.3, "z"]],
        [[0.1, 0], [0.2, 1], [0.3, 2]],
        [[0.1, True], [0.2, False], [0.3, True]],  # flags stay False/True, not 0/1
    ],
)
def test_lists_of_rows_with_categorical_columns(small_params, rows):
    # A list is read as the array it spells, numbers beside strings kept apart.
    X = rows * 20
    y = [0, 1, 1] * 20
    params = {**small_params, "categorical_features": [1]}
    from_list = SNNClassifier(**params).fit(X, y).predict_proba(X[:3])
    from_array = SNNClassifier(**params).fit(np.array(X, dtype=object), y)
    np.testing.assert_array_equal(from_list, from_array.predict_proba(X[:3]))
    np.testing.assert_array_equal(from_list, from_array.predict_proba(tuple(X[:3])))
