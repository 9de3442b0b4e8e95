"""Self-normalizing neural networks as scikit-learn estimators."""

from . import diagnostics, theory
from ._classifier import SNNClassifier
from ._regressor import SNNRegressor
from .diagnostics import gradient_statistics, layer_statistics, plot_layer_statistics
from .nn.network import SelfNormalizingNetwork
from .theory import (
    SELU_ALPHA,
    SELU_LAMBDA,
    alpha_dropout_parameters,
    is_stable_fixed_point,
    moment_map,
    moment_map_jacobian,
    selu_parameters,
)

__version__ = "0.1.0"

__all__ = [
    "SELU_ALPHA",
    "SELU_LAMBDA",
    "SNNClassifier",
    "SNNRegressor",
    "SelfNormalizingNetwork",
    "__version__",
    "alpha_dropout_parameters",
    "diagnostics",
    "gradient_statistics",
    "is_stable_fixed_point",
    "layer_statistics",
    "moment_map",
    "moment_map_jacobian",
    "plot_layer_statistics",
    "selu_parameters",
    "theory",
]
