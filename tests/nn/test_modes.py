"""evaluation_mode: eval mode for a while, then every submodule's own mode back."""

import pytest

from sklearn_snn import SelfNormalizingNetwork
from sklearn_snn.nn.modes import evaluation_mode


@pytest.fixture
def mixed_modes():
    """A network in training mode whose second block alone was switched to eval."""
    net = SelfNormalizingNetwork(4, 2, n_layers=3, n_units=8, dropout=0.1).train()
    net.hidden[1].eval()
    return net


def _modes(module):
    return {name: part.training for name, part in module.named_modules()}


def test_every_submodule_is_in_eval_mode_inside(mixed_modes):
    with evaluation_mode(mixed_modes) as module:
        assert module is mixed_modes
        assert not any(_modes(mixed_modes).values())


def test_each_submodule_gets_its_own_mode_back(mixed_modes):
    before = _modes(mixed_modes)
    # Both modes are present: a plain net.train() or net.eval() afterwards would fail here.
    assert set(before.values()) == {True, False}
    with evaluation_mode(mixed_modes):
        pass
    assert _modes(mixed_modes) == before


def test_modes_come_back_on_error(mixed_modes):
    before = _modes(mixed_modes)
    with pytest.raises(KeyboardInterrupt), evaluation_mode(mixed_modes):
        raise KeyboardInterrupt
    assert _modes(mixed_modes) == before


def test_nested_contexts_and_a_network_already_in_eval_mode(mixed_modes):
    before = _modes(mixed_modes)
    with evaluation_mode(mixed_modes), evaluation_mode(mixed_modes):
        assert not any(_modes(mixed_modes).values())
    assert _modes(mixed_modes) == before
    mixed_modes.eval()
    with evaluation_mode(mixed_modes):
        pass
    assert not any(_modes(mixed_modes).values())
