"""The SELU theory of self-normalizing networks as numbers.

A layer ``y = selu(w @ x)`` maps the mean ``mu`` and variance ``nu`` of its
inputs ``x`` to the mean and variance of its outputs ``y``. With
``omega = sum(w)`` and ``tau = sum(w**2)`` the pre-activation ``z = w @ x`` is
approximately ``N(mu * omega, nu * tau)`` (central limit theorem) and the map
``g: (mu, nu) -> (mu_tilde, nu_tilde)`` has a closed form in erf/erfc,
eqs. (4) and (5) of Klambauer et al. (2017), "Self-Normalizing Neural
Networks", arXiv:1706.02515. The SELU constants ``alpha`` and ``lambda_``
are chosen so that a given ``(mu, nu)`` is a stable fixed point of ``g`` for
normalized weights, ``omega = 0`` and ``tau = 1``.
"""

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import erfc, erfcx


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
    return float(alpha), float(lambda_)


SELU_ALPHA, SELU_LAMBDA = _standard_selu_constants()


def _check_finite(**values):
    for name, value in values.items():
        if value is None or isinstance(value, str | bytes):
            raise ValueError(f"{name} must be a number, got {value!r}.")
        try:
            numbers = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number, got {value!r}.") from None
        if not np.all(np.isfinite(numbers)):
            raise ValueError(f"{name} must be finite, got {value!r}.")


def _check_scalars(**values):
    """:func:`_check_finite`, for arguments that take one number each, not arrays."""
    _check_finite(**values)
    for name, value in values.items():
        shape = np.shape(value)
        if shape != ():
            raise ValueError(
                f"{name} must be a single number, got an array of shape {shape}; "
                "call the function once per value."
            )


def _check_positive(**values):
    for name, value in values.items():
        if not np.all(np.asarray(value) > 0):
            raise ValueError(f"{name} must be positive, got {value!r}.")


def _as_output(value):
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value


# Below this spread of the pre-activation the moment map integrates numerically
# (:func:`_narrow_moments`); so it does up to _QUADRATURE_MAX_SPREAD where the
# closed form's variance falls below _CANCELLATION of its terms (a far
# negative mean: the exponential side's variance is tiny beside alpha**2).
_QUADRATURE_SPREAD = 0.1
_QUADRATURE_MAX_SPREAD = 3.0
_CANCELLATION = 1e-6
_QUADRATURE_REACH = 12.0  # standard deviations; the mass beyond is below 1e-32
_LEGENDRE_NODES, _LEGENDRE_WEIGHTS = np.polynomial.legendre.leggauss(64)


def _gaussian_parts(m, s):
    """Partial moments of ``z ~ N(m, s**2)`` that the SELU moments are made of.

    Returns ``P(z <= 0)``, ``E[z; z > 0]``, ``E[z**2; z > 0]``,
    ``E[exp(z); z <= 0]``, ``E[exp(2 z); z <= 0]`` and the density of ``z``
    at 0.
    """
    t = m / s
    gauss = np.exp(-0.5 * t**2)
    p_above = 0.5 * erfc(-t / math.sqrt(2.0))
    p_below = 0.5 * erfc(t / math.sqrt(2.0))
    above = m * p_above + s * gauss / math.sqrt(2.0 * math.pi)
    above_square = (m**2 + s**2) * p_above + m * s * gauss / math.sqrt(2.0 * math.pi)
    exp_below = [_exp_moment_below_zero(k, m, s, gauss) for k in (1.0, 2.0)]
    density_at_zero = gauss / (s * math.sqrt(2.0 * math.pi))
    return p_below, above, above_square, exp_below[0], exp_below[1], density_at_zero


def _exp_moment_below_zero(k, m, s, gauss):
    # E[exp(k z); z <= 0] = exp(k m + k**2 s**2 / 2) * erfc(u) / 2 with
    # u = (m + k s**2) / (sqrt(2) s). For u > 0 the exponential overflows while
    # erfc underflows; erfc(u) = erfcx(u) exp(-u**2) and u**2 = t**2 / 2 + k m
    # + k**2 s**2 / 2 turn the product into erfcx(u) * exp(-t**2 / 2). For
    # u <= 0 the exponent is at most -k**2 s**2 / 2, so the direct form is safe.
    u = (m + k * s**2) / (math.sqrt(2.0) * s)
    scaled = erfcx(np.maximum(u, 0.0)) * gauss
    direct = np.exp(np.minimum(k * m + 0.5 * k**2 * s**2, 0.0)) * erfc(u)
    return 0.5 * np.where(u > 0, scaled, direct)


def moment_map(mean, var, omega=0.0, tau=1.0, alpha=SELU_ALPHA, lambda_=SELU_LAMBDA):
    """Mean and variance of a SELU layer's outputs, the paper's map ``g``.

    The inputs of the layer have mean ``mean`` and variance ``var``; the
    weights of a unit sum to ``omega`` and their squares to ``tau``, so the
    pre-activation is taken as ``N(mean * omega, var * tau)``. Eqs. (4)-(5)
    of Klambauer et al. (2017), evaluated with scaled complementary error
    functions so that large arguments neither overflow nor lose precision.
    Where the closed form's variance would lose its digits to cancellation
    (a pre-activation spread below 0.1, or a variance far below the squared
    mean, as for a mean far below 0, with a spread up to 3) it is computed
    by quadrature of the function taken relative to its value at the mean:
    10 or more digits throughout (against 60-digit mpmath). A mean far below
    0 with a spread above 3 can still lose the variance's digits.

    Parameters
    ----------
    mean : float or array-like
        Mean of the layer's inputs.
    var : float or array-like
        Variance of the layer's inputs, positive.
    omega : float or array-like, default=0.0
        Sum of a unit's weights.
    tau : float or array-like, default=1.0
        Sum of a unit's squared weights, positive.
    alpha : float or array-like, default=SELU_ALPHA
        SELU alpha.
    lambda_ : float or array-like, default=SELU_LAMBDA
        SELU scale.

    Returns
    -------
    mean : float or ndarray
        Mean of the layer's outputs.
    var : float or ndarray
        Variance of the layer's outputs.

    Examples
    --------
    >>> from sklearn_snn.theory import moment_map
    >>> mean, var = moment_map(0.0, 1.0)
    >>> print(f"{abs(mean):.12f} {var:.12f}")
    0.000000000000 1.000000000000
    >>> mean, var = moment_map(0.0, 3.0)
    >>> print(f"{mean:.4f} {var:.4f}")
    0.1750 2.3491
    """
    _check_finite(mean=mean, var=var, omega=omega, tau=tau, alpha=alpha, lambda_=lambda_)
    _check_positive(var=var, tau=tau)
    m = np.asarray(mean, dtype=np.float64) * omega
    s = np.sqrt(np.asarray(var, dtype=np.float64) * tau)
    m, s, alpha = np.broadcast_arrays(m, s, np.asarray(alpha, dtype=np.float64))
    with np.errstate(over="ignore", invalid="ignore"):  # where quadrature takes over
        p_below, above, above_square, exp1, exp2, _ = _gaussian_parts(m, s)
        unit_mean = above + alpha * (exp1 - p_below)
        unit_square = above_square + alpha**2 * (exp2 - 2.0 * exp1 + p_below)
        unit_var = unit_square - unit_mean**2
    # The closed form's variance is a difference of terms of order (1 + mean**2):
    # where it comes out far smaller, it has lost its digits.
    cancelled = ~(unit_var > _CANCELLATION * (1.0 + unit_mean**2))
    narrow = (s < _QUADRATURE_SPREAD) | (cancelled & (s <= _QUADRATURE_MAX_SPREAD))
    if narrow.any():
        unit_mean, unit_var = np.array(unit_mean), np.array(unit_var)
        unit_mean[narrow], unit_var[narrow] = _narrow_moments(m[narrow], s[narrow], alpha[narrow])
    lambda_ = np.asarray(lambda_, dtype=np.float64)
    return _as_output(lambda_ * unit_mean), _as_output(lambda_**2 * unit_var)


def _narrow_moments(m, s, alpha):
    """Mean and variance of the unit SELU (``lambda_ = 1``) of ``N(m, s**2)``, by quadrature.

    The closed form's variance is a difference of terms of order ``1 + m**2``,
    so for small ``s`` it keeps only ``eps / s**2`` of its digits and can come
    out negative, and for a far negative ``m`` it is lost beside ``alpha**2``.
    Here the function is taken relative to its value at ``m``, ``g(z) = f(z)
    - f(m)``, spelt so that no term cancels (``s t`` on the linear side,
    ``expm1`` on the exponential one), and integrated by Gauss-Legendre
    quadrature over ``m +- 12 s`` in two pieces split at the kink ``z = 0``;
    then ``Var f = E[g**2] - E[g]**2``, where ``E[g]**2`` is small beside
    ``E[g**2]``.
    """
    m, s, alpha = m[:, None], s[:, None], alpha[:, None]
    below = np.minimum(m, 0.0)
    kink = np.clip(-m / s, -_QUADRATURE_REACH, _QUADRATURE_REACH)
    mean_g = square_g = 0.0
    for low, high in ((-_QUADRATURE_REACH, kink), (kink, _QUADRATURE_REACH)):
        half = 0.5 * (high - low)
        t = low + half * (_LEGENDRE_NODES + 1.0)
        weight = half * _LEGENDRE_WEIGHTS * np.exp(-0.5 * t**2) / math.sqrt(2.0 * math.pi)
        z = m + s * t
        g = np.where(
            z > 0,
            np.where(m > 0, s * t, z - alpha * np.expm1(below)),
            np.where(
                m > 0,
                alpha * np.expm1(np.minimum(z, 0.0)) - m,
                alpha * np.exp(below) * np.expm1(np.minimum(s * t, -below)),
            ),
        )
        mean_g = mean_g + (weight * g).sum(axis=1)
        square_g = square_g + (weight * g**2).sum(axis=1)
    at_mean = np.where(m[:, 0] > 0, m[:, 0], alpha[:, 0] * np.expm1(below[:, 0]))
    return at_mean + mean_g, square_g - mean_g**2


def moment_map_jacobian(mean, var, omega=0.0, tau=1.0, alpha=SELU_ALPHA, lambda_=SELU_LAMBDA):
    """Jacobian of the moment map with respect to the input mean and variance.

    Computed in closed form from the Gaussian identities
    ``d E[f(z)] / d m = E[f'(z)]`` and ``d E[f(z)] / d s**2 = E[f''(z)] / 2``,
    where the jump of the SELU's derivative at 0 contributes a point mass.
    At the standard fixed point the paper reports ``[[0, 0.088834], [0,
    0.782648]]``; the upper right entry is 0.08883476 to eight digits.

    Parameters
    ----------
    mean : float
        Mean of the layer's inputs.
    var : float
        Variance of the layer's inputs, positive.
    omega : float, default=0.0
        Sum of a unit's weights.
    tau : float, default=1.0
        Sum of a unit's squared weights, positive.
    alpha : float, default=SELU_ALPHA
        SELU alpha.
    lambda_ : float, default=SELU_LAMBDA
        SELU scale.

    Returns
    -------
    jacobian : ndarray of shape (2, 2)
        ``[[d mean' / d mean, d mean' / d var], [d var' / d mean, d var' / d var]]``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_snn.theory import moment_map_jacobian
    >>> jacobian = moment_map_jacobian(0.0, 1.0)
    >>> print(np.round(jacobian, 7))
    [[0.        0.0888348]
     [0.        0.7826479]]
    >>> print(f"{np.linalg.norm(jacobian, 2):.6f}")
    0.787673
    """
    _check_scalars(mean=mean, var=var, omega=omega, tau=tau, alpha=alpha, lambda_=lambda_)
    _check_positive(var=var, tau=tau)
    m = float(mean) * omega
    s = math.sqrt(float(var) * tau)
    p_below, above, above_square, exp1, exp2, density = _gaussian_parts(m, s)
    out_mean, _ = moment_map(mean, var, omega, tau, alpha, lambda_)
    # Expectations of f', f'' (smooth part plus the jump at 0), f f', f'^2
    # and f f'' for the SELU f with lambda_ = 1.
    slope = (1.0 - p_below) + alpha * exp1
    curvature = alpha * exp1 + (1.0 - alpha) * density
    value_slope = above + alpha**2 * (exp2 - exp1)
    slope_square = (1.0 - p_below) + alpha**2 * exp2
    value_curvature = alpha**2 * (exp2 - exp1)
    d_mean = np.array([omega * lambda_ * slope, 0.5 * tau * lambda_ * curvature])
    d_square = lambda_**2 * np.array(
        [2.0 * omega * value_slope, tau * (slope_square + value_curvature)]
    )
    d_var = d_square - 2.0 * out_mean * d_mean
    return np.array([d_mean, d_var], dtype=np.float64)


def is_stable_fixed_point(
    mean=0.0, var=1.0, omega=0.0, tau=1.0, alpha=SELU_ALPHA, lambda_=SELU_LAMBDA, atol=1e-6
):
    """Whether ``(mean, var)`` is a fixed point of the moment map that attracts.

    The paper's criterion: the map returns ``(mean, var)`` and the spectral
    norm (largest singular value) of its Jacobian there is below 1, which
    makes the map a contraction in a neighbourhood of the point.

    Parameters
    ----------
    mean : float, default=0.0
        Mean of the candidate fixed point.
    var : float, default=1.0
        Variance of the candidate fixed point, positive.
    omega : float, default=0.0
        Sum of a unit's weights.
    tau : float, default=1.0
        Sum of a unit's squared weights, positive.
    alpha : float, default=SELU_ALPHA
        SELU alpha.
    lambda_ : float, default=SELU_LAMBDA
        SELU scale.
    atol : float, default=1e-6
        Largest deviation of ``moment_map(mean, var)`` from ``(mean, var)``
        that still counts as a fixed point.

    Returns
    -------
    stable : bool
        True when ``(mean, var)`` is a fixed point with a contracting map.

    Examples
    --------
    >>> from sklearn_snn.theory import is_stable_fixed_point, selu_parameters
    >>> is_stable_fixed_point(0.0, 1.0)
    True
    >>> is_stable_fixed_point(0.0, 2.0)
    False
    >>> alpha, lambda_ = selu_parameters(0.0, 2.0)
    >>> is_stable_fixed_point(0.0, 2.0, alpha=alpha, lambda_=lambda_)
    True
    """
    image = moment_map(mean, var, omega, tau, alpha, lambda_)
    if not np.allclose(image, (mean, var), rtol=0.0, atol=atol):
        return False
    jacobian = moment_map_jacobian(mean, var, omega, tau, alpha, lambda_)
    return bool(np.linalg.norm(jacobian, 2) < 1.0)


def selu_parameters(mean=0.0, var=1.0, *, omega=0.0, tau=1.0):
    """SELU constants ``(alpha, lambda_)`` that make ``(mean, var)`` a fixed point.

    Solves ``moment_map(mean, var, omega, tau, alpha, lambda_) == (mean, var)``.
    The pre-activation ``N(mean * omega, var * tau)`` does not depend on
    ``alpha`` and ``lambda_``, and ``lambda_`` only scales the output, so the
    ratio ``mean / sqrt(var)`` fixes ``alpha`` (a root search in one variable,
    closed form for ``mean = 0``) and ``var`` then fixes ``lambda_``.

    The default ``omega = 0`` is the paper's convention for normalized
    weights: the pre-activation is centred whatever the mean of the inputs.
    The reference notebook of the paper's authors instead draws the
    pre-activation from ``N(mean, var)``, which is ``omega = 1``; both agree
    when ``mean = 0`` and differ otherwise.

    Parameters
    ----------
    mean : float, default=0.0
        Mean of the fixed point.
    var : float, default=1.0
        Variance of the fixed point, positive.
    omega : float, default=0.0
        Sum of a unit's weights.
    tau : float, default=1.0
        Sum of a unit's squared weights, positive.

    Returns
    -------
    alpha : float
        SELU alpha, non-negative (0 is a scaled ReLU).
    lambda_ : float
        SELU scale, positive.

    Raises
    ------
    ValueError
        If an argument is not finite, ``var`` or ``tau`` is not positive, or
        no non-negative ``alpha`` reaches the ratio ``mean / sqrt(var)``.

    Examples
    --------
    >>> from sklearn_snn.theory import SELU_ALPHA, SELU_LAMBDA, selu_parameters
    >>> alpha, lambda_ = selu_parameters(0.0, 2.0)
    >>> print(f"{alpha:.5f} {lambda_:.5f}")
    1.97126 1.06071
    >>> selu_parameters(0.0, 1.0) == (SELU_ALPHA, SELU_LAMBDA)
    True
    """
    _check_scalars(mean=mean, var=var, omega=omega, tau=tau)
    _check_positive(var=var, tau=tau)
    mean, var = float(mean), float(var)
    if mean == 0.0 and var == 1.0 and tau == 1.0:
        # The closed form of the paper, equal to torch's SELU constants to 1e-15.
        return SELU_ALPHA, SELU_LAMBDA
    p_below, above, above_square, exp1, exp2, _ = _gaussian_parts(
        mean * omega, math.sqrt(var * tau)
    )
    negative_mean = float(exp1 - p_below)  # E[exp(z) - 1; z <= 0] < 0
    negative_square = float(exp2 - 2.0 * exp1 + p_below)
    if negative_mean == 0.0 or not negative_square > 0.0:
        raise ValueError(
            f"No SELU constants for (mean, var) = ({mean}, {var}): the moments of the SELU's "
            "negative part are lost to float64 rounding at this scale."
        )

    def unit_moments(alpha):
        unit_mean = float(above) + alpha * negative_mean
        return unit_mean, float(above_square) + alpha**2 * negative_square - unit_mean**2

    if mean == 0.0:
        alpha = -float(above) / negative_mean
    else:
        target = mean / math.sqrt(var)

        def ratio_gap(alpha):
            unit_mean, unit_var = unit_moments(alpha)
            return unit_mean / math.sqrt(unit_var) - target

        # The ratio falls from its ReLU value at alpha = 0 towards a limit
        # as alpha grows without bound.
        largest = ratio_gap(0.0) + target
        limit = negative_mean / math.sqrt(negative_square - negative_mean**2)
        if not limit < target <= largest:
            raise ValueError(
                f"No SELU has (mean, var) = ({mean}, {var}) as fixed point for "
                f"omega={omega}, tau={tau}: mean / sqrt(var) = {target:.6g} must lie "
                f"in ({limit:.6g}, {largest:.6g}]."
            )
        upper = 1.0
        while ratio_gap(upper) > 0.0 and upper < 1e15:
            upper *= 2.0
        alpha = 0.0 if ratio_gap(0.0) == 0.0 else brentq(ratio_gap, 0.0, upper, xtol=1e-15)
    unit_var = unit_moments(alpha)[1]
    if not unit_var > 0.0:
        raise ValueError(
            f"No SELU constants for (mean, var) = ({mean}, {var}): the unit variance "
            "is lost to float64 rounding at this scale."
        )
    lambda_ = math.sqrt(var / unit_var)
    return float(alpha), lambda_


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
    _check_scalars(rate=rate, mean=mean, var=var, alpha=alpha, lambda_=lambda_)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"rate must be in [0, 1), got {rate!r}.")
    if not var > 0.0:
        raise ValueError(f"var must be positive, got {var!r}.")
    keep = 1.0 - rate
    saturation = -lambda_ * alpha
    dropped_mean = keep * mean + rate * saturation
    # The mixture's variance in closed form: E[x²] - E[x]² cancels for a mean
    # near the saturation value and a small variance.
    dropped_var = keep * var + keep * rate * (mean - saturation) ** 2
    a = math.sqrt(var / dropped_var)
    b = mean - a * dropped_mean
    return float(a), float(b)
