"""The ensemble module: stacked members, each an SNN of its own, and their averaged prediction."""

import numpy as np
import pytest
import torch

from sklearn_snn import SelfNormalizingNetwork
from sklearn_snn.nn.ensemble import EnsembleLinear, SelfNormalizingEnsemble, combined_outputs
from sklearn_snn.nn.network import hidden_widths


def _generator(seed=0):
    return torch.Generator().manual_seed(seed)


def _network_of_member(ensemble, index, **architecture):
    """A SelfNormalizingNetwork holding member ``index``'s weights, copied by hand."""
    network = SelfNormalizingNetwork(**architecture, generator=_generator(99))
    network.to(ensemble.output.weight.dtype)
    stacked = [block[0] for block in ensemble.hidden] + [ensemble.output]
    linears = [block[0] for block in network.hidden] + [network.output]
    with torch.no_grad():
        for layer, linear in zip(stacked, linears, strict=True):
            linear.weight.copy_(layer.weight[index].T)
            linear.bias.copy_(layer.bias[index].squeeze(0))
    return network


@pytest.mark.parametrize("shape", ["rectangular", "conic"])
def test_each_member_computes_what_its_own_network_computes(shape):
    architecture = dict(n_features=7, n_outputs=3, n_layers=3, n_units=24, shape=shape)
    ensemble = SelfNormalizingEnsemble(**architecture, n_members=4, generator=_generator())
    with torch.no_grad():  # biases that are not zero, so that they are checked too
        for parameter in ensemble.parameters():
            if parameter.shape[1] == 1:
                parameter.normal_(generator=_generator(1))
    ensemble = ensemble.double().eval()
    X = torch.randn(50, 7, generator=_generator(2), dtype=torch.float64)
    raw = ensemble(X)
    assert raw.shape == (4, 50, 3)
    for index in range(4):
        network = _network_of_member(ensemble, index, **architecture).eval()
        torch.testing.assert_close(raw[index], network(X), rtol=0, atol=1e-12)
        torch.testing.assert_close(raw[index], ensemble.member(index)(X), rtol=0, atol=1e-12)


def test_members_start_independently_with_lecun_variance():
    ensemble = SelfNormalizingEnsemble(300, 2, 5, n_layers=2, n_units=400, generator=_generator())
    first = ensemble.hidden[0][0].weight  # (5, 300, 400)
    for member in first:
        assert abs(300 * member.var().item() - 1.0) < 0.02  # fan_in * Var(w)
        assert abs(member.mean().item()) < 1e-3
    second = ensemble.hidden[1][0].weight
    assert all(abs(400 * member.var().item() - 1.0) < 0.02 for member in second)
    flat = first.reshape(5, -1)
    correlation = torch.corrcoef(flat) - torch.eye(5)
    assert correlation.abs().max() < 0.01  # 120,000 draws each: independent
    for parameter in ensemble.parameters():
        if parameter.shape[1] == 1:
            assert (parameter == 0).all()


def test_construction_is_seeded_and_leaves_global_random_state_alone():
    state = torch.get_rng_state()
    first = SelfNormalizingEnsemble(5, 2, 3, n_layers=2, n_units=8, generator=_generator(3))
    assert torch.equal(state, torch.get_rng_state())
    second = SelfNormalizingEnsemble(5, 2, 3, n_layers=2, n_units=8, generator=_generator(3))
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)
    first.member(0)
    assert torch.equal(state, torch.get_rng_state())


def test_layer_widths_are_those_of_one_network():
    ensemble = SelfNormalizingEnsemble(6, 2, 3, n_layers=4, n_units=64, shape="conic")
    widths = [block[0].out_features for block in ensemble.hidden]
    assert widths == hidden_widths(4, 64, 2, "conic")
    assert ensemble.hidden[0][0].in_features == 6 and ensemble.output.out_features == 2


def test_dropout_masks_differ_between_members():
    # Every member gets the same weights and input, so only the masks can
    # tell their activations apart.
    ensemble = SelfNormalizingEnsemble(10, 1, 4, n_layers=1, n_units=500, dropout=0.2)
    linear, selu, dropout = ensemble.hidden[0]
    with torch.no_grad():
        linear.weight.copy_(linear.weight[:1].expand_as(linear.weight))
    dropout.generator = _generator(5)
    X = torch.randn(40, 10, generator=_generator(6))
    with torch.no_grad():
        activations = dropout.after_selu(linear(X), selu)
    dropped_value = dropout.a * dropout.saturation + dropout.b
    dropped = torch.isclose(activations, torch.tensor(dropped_value), rtol=0, atol=1e-6)
    rates = dropped.double().mean(dim=(1, 2))
    assert ((rates > 0.18) & (rates < 0.22)).all()
    for i in range(4):
        for j in range(i + 1, 4):
            both = (dropped[i] & dropped[j]).double().mean().item()
            assert abs(both - 0.2**2) < 0.01  # independent masks: 0.04, not 0.2


def test_training_forward_uses_the_fused_step_like_the_modules():
    ensemble = SelfNormalizingEnsemble(6, 2, 3, n_layers=3, n_units=20, dropout=0.1)
    X = torch.randn(50, 6, generator=_generator(11))
    ensemble.set_dropout_generator(_generator(12))
    fused = ensemble(X)
    ensemble.set_dropout_generator(_generator(12))
    h = X
    for block in ensemble.hidden:
        h = block(h)
    torch.testing.assert_close(fused, ensemble.output(h))


def test_gradients_reach_every_members_weights_and_biases():
    layer = EnsembleLinear(3, 4, 2, generator=_generator())
    X = torch.randn(5, 4, generator=_generator(1))
    out = layer(X)
    (out * torch.arange(3.0).view(3, 1, 1)).sum().backward()  # member i's loss: i * sum
    for member in range(3):
        torch.testing.assert_close(layer.bias.grad[member, 0], torch.full((2,), 5.0 * member))
        torch.testing.assert_close(
            layer.weight.grad[member], member * X.sum(0, keepdim=True).T.expand(4, 2)
        )


@pytest.mark.parametrize("activation", ["identity", "softmax", "sigmoid"])
def test_combine_averages_the_members_predictions(activation):
    ensemble = SelfNormalizingEnsemble(3, 4, 5, output_activation=activation)
    raw = 3 * torch.randn(5, 20, 4, generator=_generator(), dtype=torch.float64)
    combined = ensemble.combine(raw)
    assert combined.shape == (20, 4)
    if activation == "identity":
        expected, got = raw.mean(0), combined
    elif activation == "softmax":
        expected, got = torch.softmax(raw, -1).mean(0), torch.softmax(combined, -1)
        torch.testing.assert_close(torch.exp(combined).sum(-1), torch.ones(20, dtype=raw.dtype))
    else:
        expected, got = torch.sigmoid(raw).mean(0), torch.sigmoid(combined)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-14)
    torch.testing.assert_close(combined_outputs(ensemble, raw), combined, rtol=0, atol=0)
    one_network = raw[0]  # (n_samples, n_outputs): left as it is
    assert combined_outputs(ensemble, one_network) is one_network


@pytest.mark.parametrize("activation", ["softmax", "sigmoid"])
def test_combine_stays_finite_for_confident_members(activation):
    ensemble = SelfNormalizingEnsemble(3, 2, 2, output_activation=activation)
    raw = torch.tensor([[[200.0, -200.0]], [[150.0, -300.0]]], dtype=torch.float64)
    combined = ensemble.combine(raw)
    assert torch.isfinite(combined).all()
    if activation == "sigmoid":  # log(mean(sigmoid(-z))) of a probability far below 1e-300
        np.testing.assert_allclose(combined[0, 0].item(), 150.0 + np.log(2), rtol=1e-12)


def test_member_is_a_copy_and_checks_its_index():
    ensemble = SelfNormalizingEnsemble(4, 1, 2, n_layers=1, n_units=4).eval()
    member = ensemble.member(-1)
    assert isinstance(member, SelfNormalizingNetwork) and not member.training
    with torch.no_grad():
        member.output.bias.fill_(7.0)
    assert (ensemble.output.bias == 0).all()
    with pytest.raises(IndexError, match="member 2 of an ensemble of 2"):
        ensemble.member(2)


def test_unknown_output_activation_raises():
    with pytest.raises(ValueError, match="output_activation must be one of"):
        SelfNormalizingEnsemble(3, 2, 2, output_activation="tanh")
