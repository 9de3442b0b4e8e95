"""ONNX export: the graph computes what predict and predict_proba compute."""

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_multilabel_classification
from sklearn.ensemble import StackingClassifier, VotingRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_snn import SNNClassifier, SNNRegressor

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")

from sklearn_snn.onnx import register_onnx_converters  # noqa: E402

pytestmark = pytest.mark.usefixtures("quiet_convergence", "registered")

NO_ZIPMAP = {"zipmap": False}


@pytest.fixture
def registered():
    register_onnx_converters()


def run_onnx(model, X, options=None):
    """Convert ``model`` for inputs like ``X`` and run the graph on ``X``."""
    onx = skl2onnx.to_onnx(model, X[:1], options=options)
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def check_classifier(model, X, atol=1e-5):
    """Labels equal ``predict``, probabilities ``predict_proba`` to ``atol``."""
    label, proba = run_onnx(model, X, NO_ZIPMAP)
    np.testing.assert_array_equal(label, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=atol)
    return label, proba


def multilabel_data():
    return make_multilabel_classification(n_samples=200, n_features=6, n_classes=3, random_state=0)


def test_register_is_idempotent_and_names_the_aliases():
    first = register_onnx_converters()
    assert register_onnx_converters() == first
    assert set(first) == {"SNNClassifier", "SNNRegressor"}


@pytest.mark.parametrize("labels", [None, ["ant", "bee", "cat"]])
def test_multiclass(classification_data, small_params, labels):
    X, y = classification_data
    y = y if labels is None else np.asarray(labels)[y]
    X = X.astype(np.float32)
    clf = SNNClassifier(**small_params).fit(X, y)
    label, proba = check_classifier(clf, X)
    assert proba.dtype == np.float32 and proba.shape == (len(X), 3)
    assert label.dtype == (np.int64 if labels is None else object)


@pytest.mark.parametrize(
    "labels", [None, ["no", "yes"], [False, True], [-1.0, 1.0]], ids=["int", "str", "bool", "float"]
)
def test_binary(binary_data, small_params, labels):
    X, y = binary_data
    y = y if labels is None else np.asarray(labels)[y]
    X = X.astype(np.float32)
    clf = SNNClassifier(**small_params).fit(X, y)
    label, proba = run_onnx(clf, X, NO_ZIPMAP)
    # skl2onnx gives bool and float labels as int64, as for scikit-learn's classifiers.
    np.testing.assert_array_equal(label, clf.predict(X).astype(label.dtype))
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-5)
    assert proba.shape == (len(X), 2)


def test_multilabel_gives_an_indicator_matrix(small_params):
    X, Y = multilabel_data()
    X = X.astype(np.float32)
    clf = SNNClassifier(**small_params).fit(X, Y)
    label, proba = check_classifier(clf, X)
    assert label.dtype == np.int64 and label.shape == Y.shape and proba.shape == Y.shape


def test_zipmap_outputs(classification_data, small_params):
    X, y = classification_data
    X = X.astype(np.float32)
    y = np.asarray(["ant", "bee", "cat"])[y]
    clf = SNNClassifier(**small_params).fit(X, y)
    expected = clf.predict_proba(X[:5])
    label, dictionaries = run_onnx(clf, X[:5])
    np.testing.assert_array_equal(label, clf.predict(X[:5]))
    assert list(dictionaries[0]) == ["ant", "bee", "cat"]
    np.testing.assert_allclose([list(d.values()) for d in dictionaries], expected, atol=1e-5)
    label, *columns = run_onnx(clf, X[:5], {"zipmap": "columns"})
    np.testing.assert_allclose(np.column_stack(columns), expected, atol=1e-5)
    # Options may also be given by class, and class_labels lists the classes.
    outputs = run_onnx(clf, X[:5], {SNNClassifier: {"zipmap": False, "output_class_labels": True}})
    np.testing.assert_array_equal(outputs[2], clf.classes_)


@pytest.mark.parametrize("multi_output", [False, True])
def test_regressor(regression_data, small_params, multi_output):
    X, y = regression_data
    X = X.astype(np.float32)
    Y = np.column_stack([y, -2.0 * y]) if multi_output else y
    reg = SNNRegressor(**small_params).fit(X, Y)
    (prediction,) = run_onnx(reg, X)
    # One column per target, also for a 1-d y (as skl2onnx's regressors give it).
    assert prediction.shape == (len(X), 2 if multi_output else 1)
    assert prediction.dtype == np.float32
    # float32 carries 7 digits of targets around 5000: compare in units of the targets' spread.
    np.testing.assert_allclose(
        prediction.reshape(np.shape(Y)), reg.predict(X), rtol=0, atol=1e-5 * Y.std()
    )


@pytest.mark.parametrize(
    "architecture",
    [
        {"dropout": 0.1},
        {"shape": "conic", "n_layers": 3},
        {"fixed_point": (0.0, 2.0)},
        {"standardize": False},
        {"standardize": "smooth_clip", "fixed_point": (0.2, 1.5)},
    ],
    ids=["dropout", "conic", "fixed_point", "unstandardized", "smooth_clip"],
)
def test_architectures(classification_data, small_params, architecture):
    X, y = classification_data
    X = X.astype(np.float32)
    clf = SNNClassifier(**{**small_params, **architecture}).fit(X, y)
    check_classifier(clf, X)


def test_smooth_clip_of_far_rows_and_zero_one_columns(classification_data, small_params):
    X, y = classification_data
    X = np.column_stack([X, X[:, 0] > 1.0]).astype(np.float32)  # and a 0/1 column
    clf = SNNClassifier(**small_params, standardize="smooth_clip").fit(X, y)
    far = X[:20] * np.float32(300.0)
    far[:, -1] = X[:20, -1]
    # Rows whose squared deviation overflows float32 saturate as in the estimator.
    farther = X[:20] * np.float32(1e30)
    farther[:, -1] = X[:20, -1]
    # The 0/1 column beyond 0 and 1 is clamped as in the estimator.
    beyond = X[:20].copy()
    beyond[:, -1] = np.linspace(-1e6, 1e6, 20, dtype=np.float32)
    check_classifier(clf, np.vstack([X, far, farther, beyond]))


def test_pipeline_with_scaler(classification_data, regression_data, small_params):
    X, y = classification_data
    X = X.astype(np.float32)
    clf = make_pipeline(StandardScaler(), SNNClassifier(**small_params)).fit(X, y)
    label, proba = run_onnx(clf, X, {id(clf[-1]): NO_ZIPMAP})
    np.testing.assert_array_equal(label, clf.predict(X))
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-5)
    X, y = regression_data
    X = X.astype(np.float32)
    reg = make_pipeline(StandardScaler(), SNNRegressor(**small_params)).fit(X, y)
    (prediction,) = run_onnx(reg, X)
    np.testing.assert_allclose(prediction.ravel(), reg.predict(X), atol=1e-5 * y.std())


def test_float64_input_gives_a_float64_graph(classification_data, regression_data, small_params):
    X, y = classification_data
    clf = SNNClassifier(**{**small_params, "fixed_point": (0.0, 2.0)}).fit(X, y)
    label, proba = check_classifier(clf, X, atol=1e-12)
    assert proba.dtype == np.float64
    X, y = regression_data
    reg = SNNRegressor(**small_params).fit(X, y)
    (prediction,) = run_onnx(reg, X)
    np.testing.assert_allclose(prediction.ravel(), reg.predict(X), rtol=1e-12)


def test_inside_calibration_and_voting(classification_data, regression_data, small_params):
    # CalibratedClassifierCV's converter asks for decision_function (raw_scores).
    X, y = classification_data
    X = X.astype(np.float32)
    calibrated = CalibratedClassifierCV(SNNClassifier(**small_params), cv=2).fit(X, y)
    _, proba = run_onnx(calibrated, X, NO_ZIPMAP)
    np.testing.assert_allclose(proba, calibrated.predict_proba(X), atol=1e-5)
    X, y = regression_data
    X = X.astype(np.float32)
    voting = VotingRegressor(
        [("snn", SNNRegressor(**small_params)), ("linear", LinearRegression())]
    )
    voting.fit(X, y)
    (prediction,) = run_onnx(voting, X)
    np.testing.assert_allclose(prediction.ravel(), voting.predict(X), atol=1e-5 * y.std())


@pytest.mark.parametrize("stack_method", ["decision_function", "predict_proba"])
def test_inside_stacking(classification_data, small_params, stack_method):
    # The stacking converter asks for decision_function through the container's
    # options: the final estimator must see logits then, not probabilities.
    X, y = classification_data
    X = X.astype(np.float32)
    stack = StackingClassifier(
        [("snn", SNNClassifier(**small_params))],
        final_estimator=LogisticRegression(),
        cv=2,
        stack_method=stack_method,
    ).fit(X, y)
    label, proba = run_onnx(stack, X, NO_ZIPMAP)
    np.testing.assert_allclose(proba, stack.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(label, stack.predict(X))


def test_wrong_number_of_features_fails_clearly(classification_data, small_params):
    X, y = classification_data
    X = X.astype(np.float32)
    clf = SNNClassifier(**small_params).fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but SNNClassifier is expecting 8"):
        skl2onnx.to_onnx(clf, X[:1, :5])
    onx = skl2onnx.to_onnx(clf, X[:1], options=NO_ZIPMAP)
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    with pytest.raises(
        Exception, match=r"invalid dimensions for input: X(.|\n)*Got: 5 Expected: 8"
    ):
        session.run(None, {"X": X[:, :5]})


def test_unfitted_and_data_frame_inputs_are_refused(classification_data, small_params):
    pd = pytest.importorskip("pandas")
    X, y = classification_data
    with pytest.raises(NotFittedError):
        skl2onnx.to_onnx(SNNRegressor(), X[:1].astype(np.float32))
    frame = pd.DataFrame(X.astype(np.float32), columns=[f"x{i}" for i in range(X.shape[1])])
    clf = SNNClassifier(**small_params).fit(frame, y)
    with pytest.raises(ValueError, match="one input per column"):
        skl2onnx.to_onnx(clf, frame[:1])
    label, proba = run_onnx(clf, frame.to_numpy(np.float32), NO_ZIPMAP)
    np.testing.assert_array_equal(label, clf.predict(frame))
    np.testing.assert_allclose(proba, clf.predict_proba(frame), atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_missing_values_are_imputed_as_predict_does(classification_data, small_params, dtype):
    X, y = classification_data
    X = X.astype(dtype)
    X[np.random.default_rng(0).random(X.shape) < 0.1] = np.nan
    complete = np.isfinite(X[:, 3]).copy()
    X[:, 3] = np.nan_to_num(X[:, 3])  # a column without missing values: no indicator
    clf = SNNClassifier(**small_params).fit(X, y)
    check_classifier(clf, X, atol=1e-5 if dtype == np.float32 else 1e-12)
    X[~complete, 3] = np.nan  # missing only now: the training mean, as predict fills it
    check_classifier(clf, X, atol=1e-5 if dtype == np.float32 else 1e-12)


def test_missing_values_that_fit_never_saw_get_the_training_mean(regression_data, small_params):
    X, y = regression_data
    reg = SNNRegressor(**small_params).fit(X, y)
    X_missing = X.copy()
    X_missing[::3, 1] = np.nan
    (prediction,) = run_onnx(reg, X_missing)  # a float64 graph
    # float64 rounding, in units of the targets' spread (a prediction may be near 0).
    atol = 1e-12 * y.std()
    np.testing.assert_allclose(prediction.ravel(), reg.predict(X_missing), rtol=0, atol=atol)
    filled = X_missing.copy()
    filled[::3, 1] = X[:, 1].mean()
    np.testing.assert_allclose(prediction.ravel(), reg.predict(filled), rtol=0, atol=atol)


def test_categorical_encoder_is_refused(classification_data, small_params):
    pd = pytest.importorskip("pandas")
    X, y = classification_data
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["colour"] = np.asarray(["red", "green", "blue"])[y]
    clf = SNNClassifier(**small_params).fit(frame, y)
    with pytest.raises(NotImplementedError, match="encodes categorical columns itself"):
        skl2onnx.to_onnx(clf, X[:1].astype(np.float32))


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ensemble_averages_the_members_probabilities(
    classification_data, small_params, kind, dtype
):
    X, y = classification_data
    y = {"multiclass": y, "binary": y == 1, "multilabel": np.column_stack([y == 0, y == 1])}[kind]
    X = X.astype(dtype)
    clf = SNNClassifier(**dict(small_params, n_ensemble=3), dropout=0.05).fit(X, y)
    label, proba = run_onnx(clf, X, NO_ZIPMAP)
    np.testing.assert_array_equal(label, clf.predict(X).astype(label.dtype))
    atol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=atol)
    _, raw_scores = run_onnx(clf, X, {"zipmap": False, "raw_scores": True})
    decision = clf.decision_function(X)
    expected = np.column_stack([-decision, decision]) if kind == "binary" else decision
    np.testing.assert_allclose(raw_scores, expected, rtol=0, atol=atol)


@pytest.mark.parametrize("multi_output", [False, True])
def test_ensemble_regressor_averages_the_members(regression_data, small_params, multi_output):
    X, y = regression_data
    Y = np.column_stack([y, -2.0 * y]) if multi_output else y
    reg = SNNRegressor(**dict(small_params, n_ensemble=4)).fit(X, Y)
    (prediction,) = run_onnx(reg, X.astype(np.float32))
    expected = reg.predict(X).reshape(prediction.shape)
    np.testing.assert_allclose(prediction, expected, rtol=0, atol=1e-5 * Y.std())
    (prediction,) = run_onnx(reg, X)
    np.testing.assert_allclose(prediction, expected, rtol=1e-12)


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_ensemble_before_opset_18_reduces_with_axes_attributes(
    classification_data, small_params, Estimator
):
    X, y = classification_data
    X = X.astype(np.float32)
    model = Estimator(**dict(small_params, n_ensemble=2)).fit(X, y)
    onx = skl2onnx.to_onnx(model, X[:1], options=NO_ZIPMAP if Estimator is SNNClassifier else None,
                           target_opset=15)  # fmt: skip
    members = ("ReduceMean", "ReduceLogSumExp")
    reductions = [node for node in onx.graph.node if node.op_type in members]
    assert reductions and all(len(node.input) == 1 for node in reductions)
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {"X": X})
    if Estimator is SNNClassifier:
        np.testing.assert_allclose(outputs[1], model.predict_proba(X), rtol=0, atol=1e-5)
    else:
        np.testing.assert_allclose(outputs[0].ravel(), model.predict(X), rtol=0, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_spline_features_as_predict_computes_them(classification_data, small_params, dtype):
    # Cox-de Boor in the graph against scikit-learn's SplineTransformer: on the
    # training rows, on the training extremes and far beyond them (constant
    # there), on missing values imputed first, and on a column of few values.
    X, y = classification_data
    X = np.column_stack([X, np.round(X[:, 0]), X[:, 1] > 0]).astype(dtype)
    X[::7, 2] = np.nan
    clf = SNNClassifier(**small_params, spline_knots=6).fit(X, y)
    assert clf._splines.columns.tolist() == list(range(9))  # all but the 0/1 flag and indicator
    edges = np.vstack([np.nanmin(X, axis=0), np.nanmax(X, axis=0)])
    far = np.vstack([edges[0] - 1e6, edges[1] * 1e30])
    far[:, -1] = [0, 1]
    rows = np.vstack([X, edges, far]).astype(dtype)
    check_classifier(clf, rows, atol=1e-5 if dtype == np.float32 else 1e-12)
    reg = SNNRegressor(**small_params).fit(X, X[:, 0] + np.nan_to_num(X[:, 2]) ** 2)
    (prediction,) = run_onnx(reg, rows)
    expected = reg.predict(rows)
    atol = (1e-5 if dtype == np.float32 else 1e-12) * np.abs(expected).max()
    np.testing.assert_allclose(prediction.ravel(), expected, rtol=0, atol=atol)


@pytest.mark.parametrize("opset", [9, 10, 12, 13, 17, 18])
def test_every_opset_from_9_gives_a_valid_graph(classification_data, regression_data, opset):
    # Spline bases slice columns, whose bounds were attributes before opset 10;
    # reductions took axes as attributes before 13 (ReduceSum) and 18 (the others).
    import onnx

    X, y = regression_data
    X = X.astype(np.float32)
    reg = SNNRegressor(n_layers=1, n_units=8, max_iter=3, n_ensemble=2, random_state=0)
    reg.fit(X, y)  # spline_knots="auto": a basis for every column
    X_class, y_class = classification_data
    X_class = X_class.astype(np.float32)
    clf = SNNClassifier(n_layers=1, n_units=8, max_iter=3, spline_knots=4, random_state=0)
    clf.fit(X_class, y_class)
    for model, data, options in ((reg, X, None), (clf, X_class, NO_ZIPMAP)):
        onx = skl2onnx.to_onnx(model, data[:1], options=options, target_opset=opset)
        onnx.checker.check_model(onx, full_check=True)
        session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
        outputs = session.run(None, {"X": data})
        if model is reg:
            np.testing.assert_allclose(outputs[0].ravel(), reg.predict(data), atol=1e-4 * y.std())
        else:
            np.testing.assert_allclose(outputs[1], clf.predict_proba(data), atol=1e-5)


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_infinite_inputs_give_nan_outputs(classification_data, regression_data, Estimator):
    # predict refuses them; the graph cannot raise, so the row comes out NaN,
    # also where smooth clipping and the spline basis would bound the value.
    X, y = classification_data if Estimator is SNNClassifier else regression_data
    X = X[:, :3].astype(np.float32)
    model = Estimator(n_layers=1, n_units=8, max_iter=3, spline_knots=4, random_state=0)
    model.fit(X, y)
    assert model.standardize == "smooth_clip"
    rows = X[:4].copy()
    rows[1, 0], rows[2, 2] = np.inf, -np.inf
    options = NO_ZIPMAP if Estimator is SNNClassifier else None
    outputs = run_onnx(model, rows, options)
    values = outputs[1] if Estimator is SNNClassifier else outputs[0]
    assert np.isnan(values[1:3]).all() and np.isfinite(values[[0, 3]]).all()
    expected = model.predict_proba(rows[[0, 3]]) if Estimator is SNNClassifier else None
    if expected is not None:
        np.testing.assert_allclose(values[[0, 3]], expected, atol=1e-5)


def test_a_target_constant_in_training_exports_as_that_value(regression_data, small_params):
    X, y = regression_data
    X = X.astype(np.float32)
    reg = SNNRegressor(**small_params).fit(X, np.column_stack([y, np.full(len(y), 1e-3)]))
    (prediction,) = run_onnx(reg, X)
    np.testing.assert_allclose(prediction, reg.predict(X), rtol=1e-5, atol=1e-5 * y.std())
    assert np.all(prediction[:, 1] == np.float32(1e-3))
