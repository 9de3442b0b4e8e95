"""Torch building blocks of a self-normalizing network; nothing here knows scikit-learn.

- :mod:`~sklearn_snn.nn.layers`: SELU, alpha dropout, LeCun-normal initialization.
- :mod:`~sklearn_snn.nn.network`: :class:`SelfNormalizingNetwork` and its layer widths.
- :mod:`~sklearn_snn.nn.ensemble`: several such networks trained as one batched module.
- :mod:`~sklearn_snn.nn.input_shaping`: the smooth clipping of standardized inputs.
- :mod:`~sklearn_snn.nn.losses`: classification losses with label smoothing.
- :mod:`~sklearn_snn.nn.modes`: evaluation mode for a while, and back.
- :mod:`~sklearn_snn.nn.inference`: float64 inference in chunks of bounded memory.
"""

from .ensemble import SelfNormalizingEnsemble
from .layers import SELU, AlphaDropout, lecun_normal_
from .network import SelfNormalizingNetwork, hidden_widths

__all__ = [
    "SELU",
    "AlphaDropout",
    "SelfNormalizingEnsemble",
    "SelfNormalizingNetwork",
    "hidden_widths",
    "lecun_normal_",
]
