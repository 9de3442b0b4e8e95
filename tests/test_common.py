"""scikit-learn's estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_snn import SNNClassifier, SNNRegressor

DEFAULT_ESTIMATORS = [SNNClassifier(), SNNRegressor()]
DEEP_DROPOUT_ESTIMATORS = [
    SNNClassifier(n_layers=8, n_units=64, shape="conic", dropout=0.05, early_stopping=True),
    SNNRegressor(n_layers=8, n_units=64, dropout=0.05, optimizer="sgd", learning_rate=0.01),
]


@parametrize_with_checks(DEFAULT_ESTIMATORS + DEEP_DROPOUT_ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
