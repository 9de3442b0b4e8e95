"""What the estimator base does in every fit: weights, standardization, seeds, continuation."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.preprocessing import StandardScaler

from sklearn_snn import SNNClassifier, SNNRegressor


def test_sample_weights_act_in_the_loss(binary_data, small_params):
    # Each row twice, once per class: only the weights can tell the classes
    # apart, and the weighted loss is lowest at P(1) = 2.5 / 3.5 on every row.
    # Unequal non-integer weights on distinct samples: neither merging
    # duplicates nor dropping zero weights can stand in for the loss.
    X, _ = binary_data
    n = len(X)
    both = np.vstack([X, X])
    labels = np.repeat([0, 1], n)
    weight = np.repeat([1.0, 2.5], n)
    proba = SNNClassifier(**small_params).fit(both, labels, sample_weight=weight).predict_proba(X)
    assert abs(proba[:, 1].mean() - 2.5 / 3.5) < 0.05
    assert proba[:, 1].min() > 0.5


def test_standardization_uses_the_sample_weights(binary_data, small_params):
    # A fit that standardizes equals one without standardization on the inputs
    # standardized by the weighted scaler. One batch of all rows: the
    # canonical row order hashes the inputs, which differ between the two fits,
    # so mini-batches would hold different rows.
    X, y = binary_data
    weight = np.where(X[:, 0] > 0, 13.0, 1.3)  # a weighted mean far from the plain one
    params = dict(small_params, batch_size=len(X))
    standardizing = SNNClassifier(**params, standardize=True).fit(X, y, sample_weight=weight)
    X_weighted = StandardScaler().fit(X, sample_weight=weight).transform(X)
    by_hand = SNNClassifier(**params, standardize=False).fit(X_weighted, y, sample_weight=weight)
    # float32 training on inputs equal up to float64 rounding: 1e-7 apart here,
    # while unweighted statistics move the probabilities by 0.16.
    np.testing.assert_allclose(
        standardizing.predict_proba(X), by_hand.predict_proba(X_weighted), rtol=0, atol=1e-5
    )


def test_input_scale_and_offset_change_nothing(binary_data, small_params):
    # Standardization maps X and 100 X + 7 to the same inputs, in fit and in
    # predict. One batch, as above: the row order hashes the inputs.
    X, y = binary_data
    params = dict(small_params, batch_size=len(X))
    plain = SNNClassifier(**params).fit(X, y)
    shifted = SNNClassifier(**params).fit(100 * X + 7, y)
    np.testing.assert_allclose(
        shifted.predict_proba(100 * X + 7), plain.predict_proba(X), rtol=0, atol=1e-5
    )
    assert shifted.score(100 * X + 7, y) > 0.85


def test_smooth_clip_keeps_far_rows_in_the_targets_range(regression_data, small_params):
    # A test row with a feature 500 standard deviations outside the training
    # range: the clipped regressor predicts on the targets' scale.
    X, y = regression_data
    far = X[:5].copy()
    far[:, 0] = X[:, 0].mean() + 500 * X[:, 0].std()
    clipped = SNNRegressor(**small_params, standardize="smooth_clip").fit(X, y)
    plain = SNNRegressor(**small_params, standardize=True).fit(X, y)
    low, high = y.min() - 2 * y.std(), y.max() + 2 * y.std()
    assert np.all((clipped.predict(far) > low) & (clipped.predict(far) < high))
    # Standardized without clipping, the same rows land far outside it.
    assert np.abs(plain.predict(far) - y.mean()).max() > 10 * y.std()
    # Inside the training range the two fit about equally well.
    assert clipped.score(X, y) > 0.95 and plain.score(X, y) > 0.95


def test_smooth_clip_bounds_a_column_that_was_constant_in_training(regression_data, small_params):
    # Constant within the training rows (as in one fold of a cross-validation),
    # the column's weights never learned; a test value far from the constant
    # must not carry the prediction away.
    X, y = regression_data
    X = np.column_stack([X, np.full(len(X), 5.0)])
    reg = SNNRegressor(**small_params, standardize="smooth_clip").fit(X, y)
    far = X[:5].copy()
    far[:, -1] = 1e6
    low, high = y.min() - 2 * y.std(), y.max() + 2 * y.std()
    assert np.all((reg.predict(far) > low) & (reg.predict(far) < high))


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_smooth_clip_saturates_where_the_square_would_overflow(regression_data, small_params):
    # Every row beyond a million standard deviations is clipped to the same
    # bound, also where the square of its deviation leaves float64's range
    # (which once sent such rows back to the centre).
    X, y = regression_data
    reg = SNNRegressor(**small_params, standardize="smooth_clip").fit(X, y)
    far = np.repeat(X[:1], 6, axis=0)
    steps = np.array([1e6, 1e160, 1e300, -1e6, -1e160, -1e300])
    far[:, 0] = X[:, 0].mean() + steps * X[:, 0].std()
    centre = far[:1].copy()
    centre[:, 0] = X[:, 0].mean()
    prediction = reg.predict(far)
    np.testing.assert_allclose(prediction[1:3], prediction[0], rtol=1e-9)
    np.testing.assert_allclose(prediction[4:], prediction[3], rtol=1e-9)
    assert abs(prediction[0] - prediction[3]) > 0.1 * y.std()  # the two bounds differ
    assert abs(prediction[1] - reg.predict(centre)[0]) > 0.01 * y.std()


def test_smooth_clip_gives_finite_probabilities_far_outside(classification_data, small_params):
    X, y = classification_data
    clf = SNNClassifier(**small_params, standardize="smooth_clip").fit(X, y)
    far = X[:5] + 1e6 * X.std(axis=0)
    proba = clf.predict_proba(far)
    assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1.0)
    assert clf.score(X, y) > 0.85


def test_smooth_clip_leaves_zero_one_columns_as_they_are(binary_data, small_params):
    # A rare one-hot column would be scaled to about 14 standard deviations.
    X, y = binary_data
    rare = np.zeros(len(X))
    rare[:1] = 1.0
    X = np.column_stack([X, rare])
    clf = SNNClassifier(**small_params, standardize="smooth_clip").fit(X, y)
    shaped = clf._prepare_input(X)
    np.testing.assert_array_equal(shaped[:, -1], rare)
    assert np.abs(shaped[:, :-1]).max() < 3.0
    plain = SNNClassifier(**small_params, standardize=True).fit(X, y)
    assert np.abs(plain._prepare_input(X)[:, -1]).max() > 10


def test_smooth_clip_clamps_zero_one_columns_far_outside(regression_data, small_params):
    # A 0/1 column in training that gets 1e6 (or -1e6) at test time is read as
    # 1 (or 0): the prediction stays that of the row with the training value.
    X, y = regression_data
    flag = (X[:, 0] > 0).astype(float)
    X = np.column_stack([X, flag])
    y = y + 3 * y.std() * flag  # the column carries the target
    reg = SNNRegressor(**small_params, standardize="smooth_clip").fit(X, y)
    far = X[:10].copy()
    far[:, -1] = np.where(flag[:10] == 1, 1e6, -1e6)
    np.testing.assert_allclose(reg.predict(far), reg.predict(X[:10]), rtol=1e-6)
    low, high = y.min() - 2 * y.std(), y.max() + 2 * y.std()
    between = X[:10].copy()
    between[:, -1] = 0.5  # inside [0, 1]: passed on as it is
    assert np.all((reg.predict(between) > low) & (reg.predict(between) < high))
    assert not np.allclose(reg.predict(between), reg.predict(X[:10]))


def test_random_state_seeds_the_batch_order(binary_data, small_params):
    # Three networks with the same weights and a stateless optimizer (plain
    # SGD) train one more epoch: only the training generator, seeded by
    # random_state, tells them apart.
    X, y = binary_data
    params = dict(small_params, optimizer="sgd")
    first, second, twin = (
        SNNClassifier(**dict(params, random_state=seed)).partial_fit(X, y, classes=[0, 1])
        for seed in (0, 1, 1)
    )
    for model in (second, twin):
        model.module_.load_state_dict(first.module_.state_dict())
    for model in (first, second, twin):
        model.partial_fit(X, y)
    np.testing.assert_array_equal(second.predict_proba(X), twin.predict_proba(X))
    assert not np.array_equal(first.predict_proba(X), second.predict_proba(X))


def test_partial_fit_continues_from_the_weights_it_left(classification_data, small_params):
    X, y = classification_data
    model = SNNClassifier(**small_params).partial_fit(X, y, classes=[0, 1, 2])
    after_one = {name: tensor.clone() for name, tensor in model.module_.state_dict().items()}
    first_score = model.score(X, y)
    # A step of 1e-8 leaves the weights where the first call left them.
    model.set_params(learning_rate=1e-8).partial_fit(X, y)
    for name, tensor in model.module_.state_dict().items():
        np.testing.assert_allclose(tensor.numpy(), after_one[name].numpy(), rtol=0, atol=1e-6)
    model.set_params(learning_rate=small_params["learning_rate"])
    for _ in range(30):
        model.partial_fit(X, y)
    assert model.n_iter_ == 32
    # 0.78 after one call, 0.96 after all; calls that start afresh stay near 0.78.
    assert first_score < 0.85 and model.score(X, y) > 0.9


pytestmark = pytest.mark.usefixtures("quiet_convergence")


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
@pytest.mark.parametrize(
    "bad, message",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"tol": -1.0}, "tol"),
    ],
)
def test_partial_fit_validates_parameters_set_after_the_first_call(
    Estimator, bad, message, classification_data, small_params
):
    X, y = classification_data
    extra = {"classes": [0, 1, 2]} if Estimator is SNNClassifier else {}
    model = Estimator(**small_params).partial_fit(X, y, **extra)
    with pytest.raises(ValueError, match=message):
        model.set_params(**bad).partial_fit(X, y)
    assert model.n_iter_ == 1


def test_partial_fit_honours_skip_parameter_validation(classification_data, small_params):
    from sklearn import config_context

    X, y = classification_data
    model = SNNClassifier(**small_params).partial_fit(X, y, classes=[0, 1, 2])
    with config_context(skip_parameter_validation=True):
        model.set_params(tol=-1.0).partial_fit(X, y)  # as scikit-learn's own checks: skipped
    assert model.n_iter_ == 2


def test_partial_fit_refuses_label_smoothing_set_out_of_range(classification_data, small_params):
    X, y = classification_data
    model = SNNClassifier(**small_params).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="label_smoothing"):
        model.set_params(label_smoothing=1.5).partial_fit(X, y)


def test_threads_predicting_at_once_get_the_same_answers(classification_data, small_params):
    # Prediction reads one float64 copy of the network; threads share it. BLAS
    # may sum in another order inside a thread: equal to float64 rounding.
    from concurrent.futures import ThreadPoolExecutor

    X, y = classification_data
    model = SNNClassifier(**small_params).fit(X, y)
    batches = [X[start : start + 7] for start in range(0, len(X), 7)] * 4
    expected = [model.predict_proba(batch) for batch in batches]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(model.predict_proba, batches))
    np.testing.assert_allclose(np.vstack(answers), np.vstack(expected), rtol=0, atol=1e-14)
    np.testing.assert_allclose(np.vstack(answers[:43]), model.predict_proba(X), rtol=0, atol=1e-14)


def test_predictions_follow_weights_loaded_after_fit(classification_data, small_params):
    # The float64 copy made at the end of fit must not answer for other weights.
    X, y = classification_data
    first = SNNClassifier(**small_params).fit(X, y)
    second = SNNClassifier(**dict(small_params, random_state=1)).fit(X, y)
    first.module_.load_state_dict(second.module_.state_dict())
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))


def test_n_ensemble_is_architecture_a_continued_fit_keeps(classification_data, small_params):
    X, y = classification_data
    model = SNNClassifier(**dict(small_params, max_iter=2, n_ensemble=2), warm_start=True)
    model.fit(X, y)
    before = {name: tensor.clone() for name, tensor in model.module_.state_dict().items()}
    message = r"cannot change: n_ensemble=3 \(fitted with 2\)"
    with pytest.raises(ValueError, match=message):
        model.set_params(n_ensemble=3).fit(X, y)
    with pytest.raises(ValueError, match=message):
        model.partial_fit(X, y)
    for name, tensor in model.module_.state_dict().items():
        assert torch.equal(tensor, before[name])
    model.set_params(n_ensemble=2).fit(X, y)
    assert model.n_iter_ == 4


def test_one_member_is_todays_network(classification_data, small_params):
    from sklearn_snn import SelfNormalizingNetwork

    X, y = classification_data
    model = SNNClassifier(**small_params).fit(X, y)
    assert model.n_ensemble == 1 and type(model.module_) is SelfNormalizingNetwork


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_a_model_saved_before_the_recipe_parameters_loads_and_predicts(
    Estimator, classification_data, small_params
):
    # A pickle of a model from before n_ensemble, learning_rate_schedule,
    # label_smoothing and spline_knots: its state lacks them, and they meant "without".
    import pickle

    X, y = classification_data
    model = Estimator(**small_params, spline_knots=None).fit(X, y)
    state = model.__getstate__()
    for name in ("n_ensemble", "learning_rate_schedule", "label_smoothing", "spline_knots"):
        state.pop(name, None)
    assert "_spline_state" not in state
    old = Estimator.__new__(Estimator)
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    np.testing.assert_array_equal(old.predict(X), model.predict(X))
    params = old.get_params()
    assert params["n_ensemble"] == 1 and params["learning_rate_schedule"] == "constant"
    assert params.get("label_smoothing", 0.0) == 0.0 and params["spline_knots"] is None
    old.set_params(warm_start=True, max_iter=2).fit(X, y)  # and trains on


def test_spline_knots_join_a_basis_to_the_columns(regression_data, small_params):
    # The regressor's default gives each of the 5 columns a basis on 10 knots
    # (12 columns each); the classifier's default gives none.
    X, y = regression_data
    reg = SNNRegressor(**small_params).fit(X, y)
    assert reg.module_.hidden[0][0].in_features == 5 + 5 * 12
    assert reg._prepare_input(X).shape == (len(X), 65)
    clf = SNNClassifier(**small_params).fit(X, y > np.median(y))
    assert clf.module_.hidden[0][0].in_features == 5
    four = SNNRegressor(**small_params, spline_knots=4).fit(X, y)
    assert four.module_.hidden[0][0].in_features == 5 + 5 * 6


def test_spline_features_fit_a_smooth_target_better(rng):
    # A wiggly function of one column: the basis gives the network its shape.
    X = rng.uniform(-3, 3, size=(600, 2))
    y = np.sin(3 * X[:, 0]) + 0.1 * rng.normal(size=600)
    params = {"n_ensemble": 1, "random_state": 0, "max_iter": 100}
    train, test = slice(0, 400), slice(400, None)
    plain = SNNRegressor(**params, spline_knots=None).fit(X[train], y[train])
    splines = SNNRegressor(**params, spline_knots=10).fit(X[train], y[train])
    assert splines.score(X[test], y[test]) > plain.score(X[test], y[test]) + 0.02
    assert splines.score(X[test], y[test]) > 0.95


def test_spline_knots_are_kept_by_continued_fits(regression_data, small_params):
    X, y = regression_data
    reg = SNNRegressor(**dict(small_params, max_iter=2), warm_start=True).fit(X, y)
    knots = reg._splines.knots
    with pytest.raises(ValueError, match=r"cannot change: spline_knots=5 \(fitted with 'auto'\)"):
        reg.set_params(spline_knots=5).fit(X, y)
    reg.set_params(spline_knots="auto").partial_fit(3 * X, y)  # wider data: the same bases
    for before, after in zip(knots, reg._splines.knots, strict=True):
        np.testing.assert_array_equal(before, after)


def test_spline_features_of_sparse_input_match_dense(regression_data, small_params):
    X, y = regression_data
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    dense = SNNRegressor(**small_params).fit(X, y)
    sparse = SNNRegressor(**small_params).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.predict(sp.csr_matrix(X)), dense.predict(X), rtol=1e-4)


@pytest.mark.parametrize("spline_knots", [1, 0, "quantile", 2.5])
def test_invalid_spline_knots_are_refused(regression_data, spline_knots):
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = regression_data
    with pytest.raises(InvalidParameterError, match="spline_knots"):
        SNNRegressor(spline_knots=spline_knots).fit(X, y)


def test_spline_knots_from_a_search_grid_of_numpy_integers(regression_data, small_params):
    X, y = regression_data
    reg = SNNRegressor(**small_params, spline_knots=np.arange(4, 6)[0]).fit(X, y)
    assert reg.module_.hidden[0][0].in_features == 5 + 5 * 6
