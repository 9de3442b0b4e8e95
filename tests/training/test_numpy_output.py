"""Internal scikit-learn transformers answer with arrays under any global transform output."""

import numpy as np
import pytest

from sklearn_snn import SNNClassifier, SNNRegressor

pd = pytest.importorskip("pandas")

TINY = {"n_layers": 2, "n_units": 16, "max_iter": 3, "learning_rate": 0.01, "random_state": 0}


@pytest.fixture
def table():
    """Numbers with missing values and a categorical column."""
    rng = np.random.default_rng(0)
    n = 120
    return pd.DataFrame(
        {
            "income": rng.normal(50, 10, n),
            "age": np.where(rng.random(n) < 0.2, np.nan, rng.normal(40, 5, n)),
            "size": pd.Categorical(rng.choice(["S", "M", "L"], n)),
        }
    ), (rng.random(n) < 0.5).astype(int)


@pytest.mark.parametrize("output", ["pandas", "polars"])
def test_a_global_dataframe_transform_output_changes_nothing(table, output):
    # set_config(transform_output=...) makes scikit-learn's transformers answer
    # with DataFrames; the estimators' internal imputer, encoders and spline
    # bases must keep answering with arrays.
    if output == "polars":
        pytest.importorskip("polars")
    from sklearn import clone, config_context

    frame, y = table
    numbers = frame[["income", "age"]].to_numpy()
    settings = dict(TINY)
    cases = [
        (SNNClassifier(**settings), numbers, y),
        (SNNRegressor(**settings), numbers, frame["income"].to_numpy()),
        (SNNRegressor(**settings, spline_knots=5), frame, frame["income"].to_numpy()),
    ]
    fitted = [clone(model).fit(X, target) for model, X, target in cases]
    expected = [model.predict(X) for model, (_, X, _) in zip(fitted, cases, strict=True)]
    with config_context(transform_output=output):
        for (model, X, target), kept, before in zip(cases, fitted, expected, strict=True):
            np.testing.assert_array_equal(clone(model).fit(X, target).predict(X), before)
            np.testing.assert_array_equal(kept.predict(X), before)  # fitted outside it
