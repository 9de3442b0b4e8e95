"""The self-normalizing network: layer widths, structure, initialization, forward pass."""

import numpy as np
import torch

from sklearn_snn import SelfNormalizingNetwork
from sklearn_snn.nn.layers import SELU, AlphaDropout
from sklearn_snn.nn.network import hidden_widths


def _generator(seed=0):
    return torch.Generator().manual_seed(seed)


def test_widths_rectangular_and_conic():
    assert hidden_widths(3, 64, 2, "rectangular") == [64, 64, 64]
    conic = hidden_widths(4, 256, 2, "conic")
    assert conic[0] == 256
    assert all(a > b for a, b in zip(conic, conic[1:], strict=False))
    assert conic[-1] >= 2
    ratios = np.array(conic[1:]) / np.array(conic[:-1])
    np.testing.assert_allclose(ratios, ratios[0], rtol=0.1)


def test_widths_are_plain_ints_for_any_integral_input():
    # scikit-learn's constraints take True and numpy integers as integers;
    # torch's shapes take plain ints only.
    for widths in (
        hidden_widths(True, True, 2, "rectangular"),
        hidden_widths(np.int64(2), np.int64(8), 2, "conic"),
    ):
        assert all(type(width) is int for width in widths)
    assert hidden_widths(True, True, 2, "rectangular") == [1]
    net = SelfNormalizingNetwork(3, 2, n_layers=True, n_units=True)
    assert net(torch.zeros(4, 3)).shape == (4, 2)


def test_conic_layers_keep_two_units_for_one_output():
    # One SELU unit is bounded below by -lambda * alpha, so after a 1-unit layer
    # the output could only grow in one direction from there.
    deep = hidden_widths(32, 256, 1, "conic")
    geometric = [round(256 * 256 ** (-i / 32)) for i in range(32)]
    assert deep == [max(2, width) for width in geometric] and geometric[-1] == 1
    assert hidden_widths(16, 256, 1, "conic")[-2:] == [2, 2]
    assert hidden_widths(3, 1, 1, "conic") == [1, 1, 1]  # as asked for
    assert hidden_widths(4, 256, 300, "conic") == [300] * 4


def test_structure_linear_selu_alpha_dropout_then_head():
    net = SelfNormalizingNetwork(7, 3, n_layers=3, n_units=16, dropout=0.05)
    assert len(net.hidden) == 3
    for block in net.hidden:
        linear, selu, dropout = block
        assert isinstance(linear, torch.nn.Linear)
        assert isinstance(selu, SELU)
        assert isinstance(dropout, AlphaDropout) and dropout.rate == 0.05
    assert net.hidden[0][0].in_features == 7
    assert net.output.out_features == 3


def test_construction_leaves_global_random_state_alone():
    state = torch.get_rng_state()
    SelfNormalizingNetwork(10, 2, n_layers=3, n_units=32, generator=_generator())
    assert torch.equal(state, torch.get_rng_state())


def test_same_generator_seed_same_weights():
    first = SelfNormalizingNetwork(5, 2, n_units=8, generator=_generator(3))
    second = SelfNormalizingNetwork(5, 2, n_units=8, generator=_generator(3))
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)


def test_32_layers_at_init_keep_mean_zero_variance_one():
    X = torch.randn(2000, 64, generator=_generator(1))
    net = SelfNormalizingNetwork(64, 2, n_layers=32, n_units=256, generator=_generator(2))
    with torch.no_grad():
        h = X
        for block in net.hidden:
            h = block(h)
    assert abs(h.mean().item()) < 0.1
    assert 0.8 < h.var().item() < 1.2


def test_network_trains_with_the_fused_path_like_the_modules():
    # SelfNormalizingNetwork.forward uses the fused step; running the blocks one
    # module after another with the same masks gives the same outputs.
    net = SelfNormalizingNetwork(
        6, 2, n_layers=3, n_units=20, dropout=0.1, generator=_generator(10)
    )
    X = torch.randn(50, 6, generator=_generator(11))
    net.set_dropout_generator(_generator(12))
    fused = net(X)
    net.set_dropout_generator(_generator(12))
    h = X
    for block in net.hidden:
        h = block(h)
    torch.testing.assert_close(fused, net.output(h))
