"""The skorch net: the weighted loss, and the optimizer it alone owns."""

import pytest
import torch
from skorch.callbacks import LRScheduler

from sklearn_snn.training.net import OPTIMIZERS, build_net

CONFIG = {
    "n_layers": 2,
    "n_units": 8,
    "shape": "rectangular",
    "dropout": 0.0,
    "fixed_point": (0.0, 1.0),
    "optimizer": "adam",
    "learning_rate": 0.01,
    "weight_decay": 0.0,
}


@pytest.fixture
def net():
    return build_net(
        CONFIG,
        4,
        3,
        criterion=torch.nn.CrossEntropyLoss(reduction="none"),
        scorer=None,
        seed=0,
        device="cpu",
        max_epochs=1,
        verbose=0,
    )


def _take_a_step(net):
    loss = net.module_(torch.randn(5, 4)).square().mean()
    loss.backward()
    net.optimizer_.step()


def test_loss_is_the_weighted_mean_of_the_per_sample_losses(net):
    logits = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    target = torch.tensor([0, 1, 2, 1])
    weight = torch.tensor([1.0, 0.0, 3.0, 0.5])
    per_sample = torch.nn.functional.cross_entropy(logits, target, reduction="none")
    expected = (per_sample * weight).sum() / weight.sum()
    torch.testing.assert_close(net.get_loss(logits, (target, weight)), expected)
    # Doubling every weight changes nothing; zeroing one removes its sample.
    torch.testing.assert_close(net.get_loss(logits, (target, 2 * weight)), expected)


def test_set_optimizer_replaces_class_rate_and_decay(net):
    assert isinstance(net.optimizer_, torch.optim.Adam)
    net.set_optimizer("sgd", 0.5, 0.1)
    group = net.optimizer_.param_groups[0]
    assert isinstance(net.optimizer_, OPTIMIZERS["sgd"])
    assert (net.lr, group["lr"], group["weight_decay"]) == (0.5, 0.5, 0.1)
    assert not any(key.startswith("optimizer__fused") for key in vars(net))


def test_scale_learning_rate_keeps_the_optimizer_and_its_schedule(net):
    schedule = LRScheduler(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    net.callbacks = [("schedule", schedule)]
    net.initialize_callbacks()
    schedule.on_train_begin(net)
    optimizer = net.optimizer_
    _take_a_step(net)
    assert optimizer.state
    net.scale_learning_rate(0.1)
    assert net.optimizer_ is optimizer and not optimizer.state  # moments forgotten
    assert net.lr == pytest.approx(0.001)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.001)
    assert schedule.lr_scheduler_.base_lrs == [pytest.approx(0.001)]
    schedule.lr_scheduler_.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0005)


def test_restore_optimizer_undoes_new_settings(net):
    settings, optimizer = net.optimizer_settings(), net.optimizer_
    _take_a_step(net)
    state = {k: v for k, v in optimizer.state_dict().items()}
    net.set_optimizer("sgd", 1.0, 0.0)
    net.restore_optimizer(settings, optimizer, state)
    assert isinstance(net.optimizer_, torch.optim.Adam)
    assert net.lr == 0.01 and net.optimizer_.param_groups[0]["lr"] == 0.01
    assert len(net.optimizer_.state) == len(optimizer.state)


def test_restart_optimizer_forgets_the_state_at_a_new_rate(net):
    _take_a_step(net)
    net.restart_optimizer(0.2)
    assert not net.optimizer_.state and net.optimizer_.param_groups[0]["lr"] == 0.2
