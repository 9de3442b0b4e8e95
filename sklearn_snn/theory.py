"""Constants of the scaled exponential linear unit (SELU) and alpha dropout.

The SELU constants make ``(mean, var) = (0, 1)`` a fixed point of the map
that carries the mean and variance of a layer's inputs to those of its
outputs when the weights are normalized (``sum(w) = 0``, ``sum(w**2) = 1``),
see Klambauer et al. (2017), "Self-Normalizing Neural Networks".
"""

import math

from scipy.special import erfc


def _standard_selu_constants():
    # Closed form of the (0, 1) fixed point, eqs. (14) of the paper's appendix.
    c = erfc(1.0 / math.sqrt(2.0))
    alpha = -math.sqrt(2.0 / math.pi) / (c * math.exp(0.5) - 1.0)
    denominator = (
        2.0 * erfc(math.sqrt(2.0)) * math.e**2
        + math.pi * c**2 * math.e
        - 2.0 * (2.0 + math.pi) * c * math.sqrt(math.e)
        + math.pi
        + 2.0
    )
    lambda_ = (1.0 - c * math.sqrt(math.e)) * math.sqrt(2.0 * math.pi) / math.sqrt(denominator)
    return alpha, lambda_


SELU_ALPHA, SELU_LAMBDA = _standard_selu_constants()


def alpha_dropout_parameters(rate, mean=0.0, var=1.0, alpha=SELU_ALPHA, lambda_=SELU_LAMBDA):
    """Affine correction ``(a, b)`` that makes alpha dropout keep mean and variance.

    Alpha dropout replaces a dropped unit by ``alpha_prime = -lambda_ * alpha``
    (the SELU's negative saturation value) and maps the result through
    ``a * x + b``. For inputs with the given ``mean`` and ``var`` the corrected
    output has the same mean and variance.

    Parameters
    ----------
    rate : float
        Probability of dropping a unit, in ``[0, 1)``.
    mean : float, default=0.0
        Mean of the activations that dropout is applied to.
    var : float, default=1.0
        Variance of the activations that dropout is applied to, positive.
    alpha : float, default=SELU_ALPHA
        SELU alpha.
    lambda_ : float, default=SELU_LAMBDA
        SELU lambda (scale).

    Returns
    -------
    a : float
        Scale of the affine correction.
    b : float
        Shift of the affine correction.

    Examples
    --------
    >>> from sklearn_snn.theory import alpha_dropout_parameters
    >>> a, b = alpha_dropout_parameters(0.05)
    >>> print(f"{a:.10f} {b:.10f}")
    0.9548444760 0.0839355722
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"rate must be in [0, 1), got {rate!r}.")
    if not var > 0.0:
        raise ValueError(f"var must be positive, got {var!r}.")
    keep = 1.0 - rate
    saturation = -lambda_ * alpha
    dropped_mean = keep * mean + rate * saturation
    dropped_second_moment = keep * (var + mean**2) + rate * saturation**2
    dropped_var = dropped_second_moment - dropped_mean**2
    a = math.sqrt(var / dropped_var)
    b = mean - a * dropped_mean
    return a, b
