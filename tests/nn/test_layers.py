"""SELU, alpha dropout (plain and fused with SELU) and LeCun-normal initialization."""

import numpy as np
import pytest
import torch

from sklearn_snn import SelfNormalizingNetwork
from sklearn_snn.nn.layers import SELU, AlphaDropout, lecun_normal_
from sklearn_snn.theory import SELU_ALPHA, SELU_LAMBDA, alpha_dropout_parameters


def _generator(seed=0):
    return torch.Generator().manual_seed(seed)


def test_lecun_normal_weights_and_zero_bias():
    net = SelfNormalizingNetwork(400, 2, n_layers=2, n_units=500, generator=_generator())
    for linear in [net.hidden[0][0], net.hidden[1][0], net.output]:
        fan_in = linear.in_features
        weight = linear.weight.detach().numpy()
        assert abs(weight.mean()) < 0.01 / np.sqrt(fan_in) * 10
        np.testing.assert_allclose(weight.var() * fan_in, 1.0, rtol=0.05)
        assert torch.count_nonzero(linear.bias) == 0


@pytest.mark.parametrize("bias", [True, False])
def test_lecun_normal_draws_only_from_its_generator(bias):
    # Same seed, same weights; torch's global random state stays untouched.
    layers = [torch.nn.Linear(300, 200, bias=bias) for _ in range(3)]
    state = torch.get_rng_state()
    seeds = (3, 3, 4)
    first, second, other = (
        lecun_normal_(layer, _generator(seed)) for layer, seed in zip(layers, seeds, strict=True)
    )
    assert torch.equal(state, torch.get_rng_state())
    assert torch.equal(first.weight, second.weight)
    assert first is layers[0]
    if bias:
        assert torch.count_nonzero(first.bias) == 0
    np.testing.assert_allclose(first.weight.var().item() * 300, 1.0, rtol=0.05)
    assert not torch.equal(first.weight, other.weight)


def test_selu_matches_definition():
    x = torch.linspace(-5, 5, 101, dtype=torch.float64)
    expected = torch.where(x > 0, SELU_LAMBDA * x, SELU_LAMBDA * SELU_ALPHA * torch.expm1(x))
    torch.testing.assert_close(SELU()(x), expected)
    custom = torch.where(x > 0, 1.1 * x, 1.65 * torch.expm1(x))
    torch.testing.assert_close(SELU(1.5, 1.1)(x), custom)


@pytest.mark.parametrize("rate", [0.05, 0.1])
def test_alpha_dropout_keeps_mean_and_variance(rate):
    layer = AlphaDropout(rate).train()
    layer.generator = _generator(4)
    x = torch.randn(400_000, dtype=torch.float64, generator=_generator(5))
    out = layer(x)
    assert abs(out.mean().item()) < 0.01
    assert abs(out.var().item() - 1.0) < 0.01
    a, b = alpha_dropout_parameters(rate)
    dropped = out[~torch.isclose(out, a * x + b)]
    torch.testing.assert_close(dropped, torch.full_like(dropped, a * -SELU_LAMBDA * SELU_ALPHA + b))
    assert abs(len(dropped) / len(x) - rate) < 0.005


def test_alpha_dropout_is_identity_in_eval_mode():
    layer = AlphaDropout(0.5).eval()
    x = torch.randn(100)
    assert torch.equal(layer(x), x)


@pytest.mark.parametrize("constants", [(SELU_ALPHA, SELU_LAMBDA), (1.5, 1.1)])
def test_selu_gradient_matches_finite_differences(constants):
    x = torch.linspace(-4, 4, 41, dtype=torch.float64).add(0.05).requires_grad_()  # no kink at 0
    assert torch.autograd.gradcheck(SELU(*constants), (x,))
    # The backward pass reads the output: its slope is lambda * alpha * exp(x) below 0.
    (slope,) = torch.autograd.grad(SELU(*constants)(x).sum(), x)
    alpha, lambda_ = constants
    expected = torch.where(x > 0, lambda_, lambda_ * alpha * torch.exp(x.detach()))
    torch.testing.assert_close(slope, expected)


def test_alpha_dropout_gradient_is_a_on_kept_units_and_zero_on_dropped():
    layer = AlphaDropout(0.3).train()
    x = torch.randn(10_000, dtype=torch.float64, generator=_generator(5), requires_grad=True)
    layer.generator = _generator(6)
    kept = layer(torch.zeros_like(x)) > 0  # b where kept, a * saturation + b < 0 where dropped
    layer.generator = _generator(6)  # the same mask again
    out = layer(x)
    (grad,) = torch.autograd.grad(out.sum(), x)
    torch.testing.assert_close(out[kept], layer.a * x.detach()[kept] + layer.b)
    torch.testing.assert_close(grad[kept], torch.full_like(grad[kept], layer.a))
    assert torch.equal(grad[~kept], torch.zeros_like(grad[~kept]))
    assert abs((~kept).double().mean().item() - 0.3) < 0.015


@pytest.mark.parametrize("rate", [0.05, 0.3])
def test_fused_selu_dropout_equals_selu_then_dropout(rate):
    # The network's training path fuses the two; values and gradients must not change.
    selu, dropout = SELU(), AlphaDropout(rate).train()
    x = torch.randn(257, 33, dtype=torch.float64, generator=_generator(7))
    x_fused, x_plain = x.clone().requires_grad_(), x.clone().requires_grad_()
    dropout.generator = _generator(8)
    fused = dropout.after_selu(x_fused, selu)
    dropout.generator = _generator(8)
    plain = dropout(selu(x_plain))
    torch.testing.assert_close(fused, plain)
    weights = torch.randn(x.shape, dtype=torch.float64, generator=_generator(9))
    (fused * weights).sum().backward()
    (plain * weights).sum().backward()
    torch.testing.assert_close(x_fused.grad, x_plain.grad)
    dropped = (plain == dropout.a * dropout.saturation + dropout.b).double().mean().item()
    assert abs(dropped - rate) < 0.01


_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=[_CUDA, pytest.mark.gpu])])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("constants", [(SELU_ALPHA, SELU_LAMBDA), (2.0, 1.2)])
def test_fused_selu_dropout_gradient_is_exactly_zero_on_dropped_units(device, dtype, constants):
    # The fused backward has no mask: it relies on the dropped units' saved output
    # making torch's elu_backward return exactly zero, in every dtype and on every device.
    selu, dropout = SELU(*constants), AlphaDropout(0.3, *constants).train()
    x = torch.randn(20_000, dtype=dtype, generator=_generator(11)).mul_(3).to(device)
    x.requires_grad_()
    weights = torch.randn(x.shape, dtype=dtype, generator=_generator(12)).to(device)
    dropout.generator = torch.Generator(device).manual_seed(10)
    out = dropout.after_selu(x, selu)
    (grad,) = torch.autograd.grad((out * weights).sum(), x)
    dropout.generator = torch.Generator(device).manual_seed(10)  # the same mask again
    dropped = dropout(torch.zeros_like(x)) < 0  # a * saturation + b where dropped, b elsewhere
    assert abs(dropped.double().mean().item() - 0.3) < 0.015
    assert torch.equal(grad[dropped], torch.zeros_like(grad[dropped]))
    # d selu / dx: lambda_ for x > 0, selu(x) + lambda_ * alpha otherwise; kept units carry a.
    slope = torch.where(x > 0, selu.lambda_, selu(x.detach()) + selu.lambda_ * selu.alpha)
    # Half precision rounds every step of the reference computation too.
    tolerance = {} if dtype in (torch.float32, torch.float64) else {"rtol": 0.02, "atol": 0.02}
    kept_grad = (weights * dropout.a * slope)[~dropped]
    torch.testing.assert_close(grad[~dropped], kept_grad, **tolerance)
    saturation = dropout.a * dropout.saturation + dropout.b
    torch.testing.assert_close(out[dropped], torch.full_like(out[dropped], saturation))


def test_selu_then_dropout_with_other_constants_is_not_fused_wrongly():
    # A dropout built for other SELU constants saturates elsewhere; the result
    # must still be dropout(selu(x)).
    selu, dropout = SELU(2.0, 1.2), AlphaDropout(0.3).train()
    x = torch.randn(2000, dtype=torch.float64, generator=_generator(14))
    dropout.generator = _generator(15)
    combined = dropout.after_selu(x, selu)
    dropout.generator = _generator(15)
    torch.testing.assert_close(combined, dropout(selu(x)))


def test_fused_selu_dropout_gradient_matches_finite_differences():
    selu, dropout = SELU(), AlphaDropout(0.3).train()

    def same_mask_each_call(v):
        dropout.generator = _generator(13)
        return dropout.after_selu(v, selu)

    x = torch.linspace(-3, 3, 60, dtype=torch.float64).add(0.025).reshape(6, 10)
    assert torch.autograd.gradcheck(same_mask_each_call, (x.requires_grad_(),))
