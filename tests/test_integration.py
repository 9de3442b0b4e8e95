"""The estimators inside scikit-learn's workflows."""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, StackingClassifier
from sklearn.model_selection import GridSearchCV, cross_val_predict, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC

from sklearn_snn import SNNClassifier, SNNRegressor


def test_pipeline_with_column_transformer_on_mixed_frame(small_params):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    n = 240
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "income": rng.lognormal(10, 1, n),
            "city": rng.choice(["paris", "oslo", "lima"], n),
            "member": rng.choice(["yes", "no"], n),
        }
    )
    y = ((frame["city"] == "oslo") | (frame["age"] > 45)).astype(int)
    preprocess = ColumnTransformer(
        [
            ("numeric", StandardScaler(), ["age", "income"]),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), ["city", "member"]),
        ]
    )
    model = make_pipeline(preprocess, SNNClassifier(**small_params))
    scores = cross_val_score(model, frame, y, cv=3)
    assert scores.mean() > 0.85


def test_grid_search_over_depth_in_parallel(classification_data, small_params):
    X, y = classification_data
    grid = {"n_layers": [1, 2, 4]}
    search = GridSearchCV(
        SNNClassifier(**small_params), grid, cv=3, n_jobs=2, scoring="neg_log_loss"
    ).fit(X, y)
    # Each depth reached its networks: three different log losses (accuracy
    # can tie on 100 test rows), and the refitted best estimator has the
    # chosen number of hidden layers.
    assert len(set(search.cv_results_["mean_test_score"])) == 3
    assert len(search.best_estimator_.module_.hidden) == search.best_params_["n_layers"]
    assert search.best_score_ > -0.5
    serial = GridSearchCV(
        SNNClassifier(**small_params), grid, cv=3, n_jobs=1, scoring="neg_log_loss"
    ).fit(X, y)
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )


def test_cross_val_predict_probabilities(classification_data, small_params):
    X, y = classification_data
    proba = cross_val_predict(SNNClassifier(**small_params), X, y, cv=3, method="predict_proba")
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba.argmax(axis=1) == y).mean() > 0.75


def test_clone_keeps_parameters_not_state(classification_data, small_params):
    X, y = classification_data
    fitted = SNNClassifier(**small_params, dropout=0.05).fit(X, y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "net_")


@pytest.mark.parametrize("dump_load", ["pickle", "joblib"])
def test_round_trip_keeps_predictions_bit_identical(
    classification_data, regression_data, small_params, tmp_path, dump_load
):
    for Estimator, (X, y) in [
        (SNNClassifier, classification_data),
        (SNNRegressor, regression_data),
    ]:
        model = Estimator(**small_params).fit(X, y)
        if dump_load == "pickle":
            restored = pickle.loads(pickle.dumps(model))
        else:
            joblib.dump(model, tmp_path / "model.joblib")
            restored = joblib.load(tmp_path / "model.joblib")
        np.testing.assert_array_equal(model.predict(X), restored.predict(X))
        # Training can go on after loading.
        restored.partial_fit(X, y)
        assert restored.n_iter_ == model.n_iter_ + 1


def test_calibrated_classifier(classification_data, small_params):
    X, y = classification_data
    calibrated = CalibratedClassifierCV(SNNClassifier(**small_params), cv=3).fit(X, y)
    proba = calibrated.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert calibrated.score(X, y) > 0.8


def test_stacking_beside_random_forest_and_svc(classification_data, small_params):
    X, y = classification_data
    stack = StackingClassifier(
        [
            ("snn", SNNClassifier(**small_params)),
            ("forest", RandomForestClassifier(n_estimators=50, random_state=0)),
            ("svc", SVC()),
        ],
        cv=3,
    ).fit(X, y)
    assert stack.score(X, y) > 0.85


pytestmark = pytest.mark.usefixtures("quiet_convergence")


def test_grid_search_over_spline_knots():
    # A wiggly function of one column: the search picks splines, and the
    # refitted model predicts far-off rows on the targets' scale.
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, size=(300, 2))
    y = np.sin(2 * X[:, 0]) + 0.1 * X[:, 1]
    search = GridSearchCV(
        SNNRegressor(n_ensemble=2, random_state=0), {"spline_knots": [None, 10]}, cv=3
    )
    search.fit(X[:200], y[:200])
    assert search.best_params_ == {"spline_knots": 10}
    assert search.score(X[200:], y[200:]) > 0.95
    assert search.best_estimator_.module_.hidden[0][0].in_features == 2 + 2 * 12
    far = search.predict(np.array([[1e6, 0.0], [-1e300, 0.0]]))
    assert np.all(np.abs(far) < 3)
