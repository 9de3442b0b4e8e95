import math
import warnings

import numpy as np
import pytest
import torch
from scipy.special import erf, erfc

from sklearn_snn.nn.layers import AlphaDropout
from sklearn_snn.theory import (
    SELU_ALPHA,
    SELU_LAMBDA,
    alpha_dropout_parameters,
    is_stable_fixed_point,
    moment_map,
    moment_map_jacobian,
    selu_parameters,
)

# Fixed points with a solution for omega = 0, tau = 1 (mean / sqrt(var) must
# lie in about (-0.80, 0.68]).
FIXED_POINTS = [(0.0, 1.0), (0.0, 2.0), (0.0, 0.5), (0.2, 1.5), (-0.3, 1.0), (0.1, 0.25)]
N_MONTE_CARLO = 400_000


def _selu(z, alpha, lambda_):
    return lambda_ * np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def _assert_close_to_sample(sample, mean, var):
    # Five standard errors of the sample mean and variance.
    n = len(sample)
    mean_error = 5 * math.sqrt(var / n)
    fourth = np.mean((sample - sample.mean()) ** 4)
    var_error = 5 * math.sqrt((fourth - sample.var() ** 2) / n)
    assert abs(sample.mean() - mean) < mean_error
    assert abs(sample.var() - var) < var_error


def test_standard_constants_match_the_paper_to_1e12():
    assert abs(SELU_ALPHA - 1.6732632423543772) < 1e-12
    assert abs(SELU_LAMBDA - 1.0507009873554805) < 1e-12
    assert selu_parameters(0.0, 1.0) == (SELU_ALPHA, SELU_LAMBDA)
    x = torch.linspace(-4, 4, 81, dtype=torch.float64)
    torch.testing.assert_close(
        torch.selu(x), torch.from_numpy(_selu(x.numpy(), *selu_parameters()))
    )


def test_general_solver_reproduces_the_closed_form():
    # var * tau = 1 puts the pre-activation at N(0, 1), so alpha is the
    # standard one and lambda_ scales with sqrt(var); this runs the general
    # solver, not the shortcut for (0, 1).
    alpha, lambda_ = selu_parameters(0.0, 2.0, tau=0.5)
    assert abs(alpha - SELU_ALPHA) < 1e-12
    assert abs(lambda_ - math.sqrt(2.0) * SELU_LAMBDA) < 1e-12
    alpha, lambda_ = selu_parameters(1e-9, 1.0)
    assert abs(alpha - SELU_ALPHA) < 1e-7
    assert abs(lambda_ - SELU_LAMBDA) < 1e-7


def test_fixed_point_zero_two_matches_the_paper_appendix():
    alpha, lambda_ = selu_parameters(0.0, 2.0)
    assert abs(alpha - 1.97126) < 5e-6
    assert abs(lambda_ - 1.06071) < 5e-6


def test_jacobian_at_standard_fixed_point():
    jacobian = moment_map_jacobian(0.0, 1.0)
    np.testing.assert_allclose(jacobian, [[0.0, 0.088834], [0.0, 0.782648]], atol=1e-6)
    assert abs(np.linalg.norm(jacobian, 2) - 0.787673) < 1e-6


@pytest.mark.parametrize(
    "point",
    [(0.0, 1.0, 0.0, 1.0), (0.3, 1.5, 0.7, 1.2), (-1.0, 0.5, 2.0, 0.8), (2.0, 3.0, 1.0, 1.0)],
)
def test_jacobian_matches_finite_differences(point):
    mean, var, omega, tau = point
    step = 1e-6
    columns = []
    for shift in ([step, 0.0], [0.0, step]):
        plus = moment_map(mean + shift[0], var + shift[1], omega, tau)
        minus = moment_map(mean - shift[0], var - shift[1], omega, tau)
        columns.append((np.array(plus) - np.array(minus)) / (2 * step))
    finite_differences = np.column_stack(columns)
    np.testing.assert_allclose(moment_map_jacobian(*point), finite_differences, atol=1e-7)


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(0.05, (0.9548444760, 0.0839355722)), (0.10, (0.9212845161, 0.1619709701))],
)
def test_alpha_dropout_parameters_standard(rate, expected):
    np.testing.assert_allclose(alpha_dropout_parameters(rate), expected, rtol=0, atol=1e-10)


def _paper_moment_map(mean, var, omega, tau, alpha, lambda_):
    # Eqs. (4)-(5) transcribed with plain erf/erfc, fine for moderate arguments.
    m, v = mean * omega, var * tau
    r = math.sqrt(2 * v)
    out_mean = (
        0.5
        * lambda_
        * (
            m
            + m * erf(m / r)
            + math.sqrt(2 / math.pi) * math.sqrt(v) * math.exp(-(m**2) / (2 * v))
            - alpha * erfc(m / r)
            + alpha * math.exp(m + v / 2) * erfc((m + v) / r)
        )
    )
    second = (
        0.5
        * lambda_**2
        * (
            (m**2 + v) * (1 + erf(m / r))
            + m * math.sqrt(2 / math.pi) * math.sqrt(v) * math.exp(-(m**2) / (2 * v))
            + alpha**2 * erfc(m / r)
            - 2 * alpha**2 * math.exp(m + v / 2) * erfc((m + v) / r)
            + alpha**2 * math.exp(2 * (m + v)) * erfc((m + 2 * v) / r)
        )
    )
    return out_mean, second - out_mean**2


@pytest.mark.parametrize(
    "arguments",
    [(0.0, 1.0, 0.0, 1.0, SELU_ALPHA, SELU_LAMBDA), (0.4, 1.3, 1.0, 0.9, 1.2, 1.1)]
    + [(-1.5, 2.5, 0.5, 1.5, 2.0, 0.9), (3.0, 0.2, -1.0, 2.0, 0.5, 1.3)],
)
def test_moment_map_matches_paper_formula(arguments):
    np.testing.assert_allclose(
        moment_map(*arguments), _paper_moment_map(*arguments), rtol=1e-12, atol=1e-14
    )


@pytest.mark.parametrize(
    "arguments",
    [(0.0, 1.0, 0.0, 1.0, SELU_ALPHA, SELU_LAMBDA), (0.5, 2.0, 0.8, 1.2, SELU_ALPHA, SELU_LAMBDA)]
    + [(-0.7, 0.6, 1.5, 1.0, 2.5, 0.8), (1.0, 3.0, -0.5, 0.7, 1.1, 1.2)],
)
def test_moment_map_matches_a_sampled_layer(arguments):
    mean, var, omega, tau, alpha, lambda_ = arguments
    rng = np.random.default_rng(0)
    n_inputs = 200
    # Inputs far from Gaussian (uniform); weights with sum omega and squared sum tau.
    weights = rng.standard_normal(n_inputs)
    weights -= weights.mean()
    weights *= math.sqrt((tau - omega**2 / n_inputs) / np.sum(weights**2))
    weights += omega / n_inputs
    assert abs(weights.sum() - omega) < 1e-12 and abs(np.sum(weights**2) - tau) < 1e-12
    half_width = math.sqrt(3 * var)
    outputs = []
    for _ in range(8):
        x = rng.uniform(mean - half_width, mean + half_width, size=(N_MONTE_CARLO // 8, n_inputs))
        outputs.append(_selu(x @ weights, alpha, lambda_))
    expected_mean, expected_var = moment_map(*arguments)
    _assert_close_to_sample(np.concatenate(outputs), expected_mean, expected_var)


@pytest.mark.parametrize("fixed_point", FIXED_POINTS)
def test_fixed_point_is_one_and_is_stable(fixed_point):
    mean, var = fixed_point
    alpha, lambda_ = selu_parameters(mean, var)
    assert alpha > 0 and lambda_ > 0
    np.testing.assert_allclose(
        moment_map(mean, var, alpha=alpha, lambda_=lambda_), fixed_point, atol=1e-12
    )
    assert is_stable_fixed_point(mean, var, alpha=alpha, lambda_=lambda_)
    rng = np.random.default_rng(1)
    sample = _selu(rng.normal(0.0, math.sqrt(var), N_MONTE_CARLO), alpha, lambda_)
    _assert_close_to_sample(sample, mean, var)
    # The map pulls other moments back to the fixed point.
    point = (mean + 1.0, 3.0 * var)
    for _ in range(300):
        point = moment_map(*point, alpha=alpha, lambda_=lambda_)
    np.testing.assert_allclose(point, fixed_point, atol=1e-8)


def test_fixed_point_breaks_for_other_constants():
    assert not is_stable_fixed_point(0.0, 2.0)
    mean, var = moment_map(0.0, 2.0)
    assert var < 1.9


@pytest.mark.parametrize("fixed_point", [(0.3, 1.0), (-0.5, 2.0), (1.0, 1.0), (0.0, 2.0)])
def test_omega_one_is_the_reference_notebook_convention(fixed_point):
    mean, var = fixed_point
    alpha, lambda_ = selu_parameters(mean, var, omega=1.0)
    np.testing.assert_allclose(
        _paper_moment_map(mean, var, 1.0, 1.0, alpha, lambda_), fixed_point, atol=1e-10
    )
    if mean == 0.0:
        np.testing.assert_allclose((alpha, lambda_), selu_parameters(mean, var), rtol=1e-12)
    elif abs(mean) < 0.6:
        assert abs(selu_parameters(mean, var)[0] - alpha) > 0.1


@pytest.mark.parametrize("fixed_point", FIXED_POINTS)
@pytest.mark.parametrize("rate", [0.05, 0.2])
def test_alpha_dropout_correction_keeps_mean_and_variance(fixed_point, rate):
    mean, var = fixed_point
    alpha, lambda_ = selu_parameters(mean, var)
    a, b = alpha_dropout_parameters(rate, mean, var, alpha, lambda_)
    rng = np.random.default_rng(2)
    activations = _selu(rng.normal(0.0, math.sqrt(var), N_MONTE_CARLO), alpha, lambda_)
    kept = rng.random(N_MONTE_CARLO) >= rate
    dropped = a * np.where(kept, activations, -lambda_ * alpha) + b
    _assert_close_to_sample(dropped, mean, var)
    # The network's dropout layer applies the same correction.
    layer = AlphaDropout(rate, alpha, lambda_, mean, var).train()
    layer.generator = torch.Generator().manual_seed(3)
    through_layer = layer(torch.from_numpy(activations)).numpy()
    _assert_close_to_sample(through_layer, mean, var)


@pytest.mark.parametrize("var", [1e-12, 1e-20])
def test_alpha_dropout_parameters_at_the_saturation_value(var):
    # Activations all near -lambda * alpha: dropping them changes nothing but
    # the spread, so a = 1 / sqrt(keep) exactly, without cancellation.
    a, b = alpha_dropout_parameters(0.5, -SELU_LAMBDA * SELU_ALPHA, var)
    np.testing.assert_allclose(a, math.sqrt(2.0), rtol=1e-12)
    np.testing.assert_allclose(b, -SELU_LAMBDA * SELU_ALPHA * (1 - a), rtol=1e-12)


def test_moment_map_is_stable_for_large_arguments():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean, var = moment_map(np.array([-1e4, -40.0, 40.0, 1e4]), 1.0, omega=1.0)
        assert np.all(np.isfinite(mean)) and np.all(np.isfinite(var))
        np.testing.assert_allclose(mean[:2], -SELU_LAMBDA * SELU_ALPHA, rtol=1e-12)
        np.testing.assert_allclose(mean[2:], SELU_LAMBDA * np.array([40.0, 1e4]), rtol=1e-12)
        np.testing.assert_allclose(var[2:], SELU_LAMBDA**2, rtol=1e-8)
        np.testing.assert_allclose(var[:2], 0.0, atol=1e-12)
        # exp(m + s**2 / 2) alone overflows here; the product must not.
        mean, var = moment_map(0.0, 2000.0)
        assert np.isfinite(mean) and np.isfinite(var)
        jacobian = moment_map_jacobian(50.0, 1.0, omega=1.0)
    np.testing.assert_allclose(jacobian, [[SELU_LAMBDA, 0.0], [0.0, SELU_LAMBDA**2]], atol=1e-10)


def test_moment_map_broadcasts_and_returns_floats_for_scalars():
    mean, var = moment_map(np.zeros(3), np.array([1.0, 2.0, 3.0]))
    assert mean.shape == var.shape == (3,)
    assert isinstance(moment_map(0.0, 1.0)[0], float)
    # A list of scales broadcasts as a list of alphas does.
    mean, var = moment_map(0.0, 1.0, lambda_=[1.0, 2.0])
    base_mean, base_var = moment_map(0.0, 1.0, lambda_=1.0)
    np.testing.assert_allclose(mean, [base_mean, 2.0 * base_mean], rtol=1e-14)
    np.testing.assert_allclose(var, [base_var, 4.0 * base_var], rtol=1e-14)


@pytest.mark.parametrize("fixed_point", [(1.0, 1.0), (-0.9, 1.0), (2.0, 4.0)])
def test_selu_parameters_without_solution(fixed_point):
    with pytest.raises(ValueError, match="No SELU has"):
        selu_parameters(*fixed_point)


@pytest.mark.parametrize(
    ("function", "arguments"),
    [
        (selu_parameters, (0.0, 0.0)),
        (selu_parameters, (0.0, -1.0)),
        (moment_map, (0.0, 0.0)),
        (moment_map_jacobian, (0.0, 1.0, 0.0, 0.0)),
        (alpha_dropout_parameters, (1.0,)),
        (alpha_dropout_parameters, (0.1, 0.0, 0.0)),
    ],
)
def test_invalid_arguments(function, arguments):
    with pytest.raises(ValueError, match="must be"):
        function(*arguments)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: moment_map(np.nan, 1.0), "mean must be finite"),
        (lambda: moment_map(0.0, np.inf), "var must be finite"),
        (lambda: moment_map(0.0, "a"), "var must be a number"),
        (lambda: moment_map_jacobian(0.0, 1.0, omega=np.inf), "omega must be finite"),
        (lambda: is_stable_fixed_point(np.nan, 1.0), "mean must be finite"),
        (lambda: alpha_dropout_parameters(None), "rate must be a number"),
        (lambda: alpha_dropout_parameters("0.1"), "rate must be a number"),
        (lambda: alpha_dropout_parameters(0.1, var=np.inf), "var must be finite"),
        (lambda: selu_parameters("0", 1.0), "mean must be a number"),
        (lambda: moment_map(0.0, 1.0, lambda_=np.nan), "lambda_ must be finite"),
        (lambda: selu_parameters(0.0, 1e-300), "lost to float64 rounding"),
    ],
)
def test_theory_refuses_what_is_not_a_finite_number(call, message):
    # NaN or infinite arguments gave NaN results (and numpy warnings) instead.
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("mean", "var", "expected_mean", "expected_var"),
    [
        # References integrated with mpmath at 50 digits (unit scale, omega=1).
        (0.0, 1e-16, -2.6859316903215987e-09, 1.8277626263171538e-16),
        (0.0, 1e-20, -2.6859317317348635e-11, 1.8277626462083478e-20),
        (1e-9, 1e-16, -1.3627185538725145e-09, 1.7564906795447815e-16),
        (-3.0, 1e-4, -1.5899522054621391, 6.941075916071524e-07),
        (0.0, 1e-4, -0.0026443216215555356, 0.00018078840873630352),
    ],
)
def test_moment_map_keeps_its_digits_at_small_variance(mean, var, expected_mean, expected_var):
    # The closed form subtracts terms of order 1: at variance 1e-16 it was 11
    # times too large, at 1e-20 negative.
    out_mean, out_var = moment_map(mean, var, omega=1.0, lambda_=1.0)
    np.testing.assert_allclose(out_mean, expected_mean, rtol=1e-13)
    np.testing.assert_allclose(out_var, expected_var, rtol=1e-13)


@pytest.mark.parametrize(
    ("mean", "spread", "expected_var"),
    [
        (-30.0, 0.1001, 2.4937737641747242e-28),
        (-30.0, 2.1, 1.6391763719343143e-22),
        (-60.0, 3.0, 1.409411425552581e-44),
    ],
)
def test_moment_map_keeps_the_variance_of_a_far_negative_mean(mean, spread, expected_var):
    # The variance (mpmath, 60 digits) is tiny beside the closed form's terms
    # of order alpha**2, which gave 4.4e-16 or 0 here.
    _, out_var = moment_map(mean, spread**2, omega=1.0, lambda_=1.0)
    np.testing.assert_allclose(out_var, expected_var, rtol=1e-8)
    out = moment_map(0.0, 1e-3, alpha=np.array([1.0, 1.5]))  # array alpha broadcasts
    assert out[1].shape == (2,) and out[1][0] < out[1][1]


def test_moment_map_iterates_to_a_vanishing_variance():
    # Below the fixed point's scale the variance decays geometrically, by the
    # map's slope at 0, rather than stalling at rounding level or turning negative.
    mean, var = 0.0, 1.0
    variances = []
    for _ in range(200):
        mean, var = moment_map(mean, var, lambda_=0.5)
        variances.append(var)
    assert all(v > 0 for v in variances) and variances[-1] < 1e-60
    slope = moment_map_jacobian(0.0, variances[-1], lambda_=0.5)[1, 1]
    np.testing.assert_allclose(variances[-1] / variances[-2], slope, rtol=1e-6)


def test_moment_map_is_continuous_where_quadrature_takes_over():
    spreads = np.array([0.1 * (1 - 1e-9), 0.1 * (1 + 1e-9)])
    for mean in (-0.3, 0.0, 0.05, 2.0):
        out_mean, out_var = moment_map(mean, spreads**2)
        np.testing.assert_allclose(out_mean[0], out_mean[1], rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(out_var[0], out_var[1], rtol=1e-8)


@pytest.mark.parametrize(
    "call",
    [
        lambda: alpha_dropout_parameters(np.array([0.1, 0.2])),
        lambda: selu_parameters(np.array([0.0, 0.1]), 1.0),
        lambda: moment_map_jacobian(np.array([0.0, 0.1]), 1.0),
        lambda: moment_map_jacobian(0.0, 1.0, tau=[1.0]),
    ],
)
def test_functions_of_single_numbers_refuse_arrays_by_name(call):
    with pytest.raises(ValueError, match="must be a single number, got an array of shape"):
        call()
