"""Self-normalizing neural networks as scikit-learn estimators."""

from ._classifier import SNNClassifier
from ._network import SelfNormalizingNetwork
from ._regressor import SNNRegressor

__version__ = "0.1.0"

__all__ = ["SNNClassifier", "SNNRegressor", "SelfNormalizingNetwork", "__version__"]
