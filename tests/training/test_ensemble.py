"""Members of an ensemble train together as each would train alone."""

import pytest
import torch

from sklearn_snn import SelfNormalizingNetwork
from sklearn_snn.nn.ensemble import SelfNormalizingEnsemble
from sklearn_snn.training.net import build_net

CONFIG = {
    "n_layers": 2,
    "n_units": 8,
    "shape": "rectangular",
    "dropout": 0.0,
    "fixed_point": (0.0, 1.0),
    "optimizer": "sgd",
    "learning_rate": 0.1,
    "weight_decay": 0.0,
}
CRITERIA = {
    "softmax": (torch.nn.CrossEntropyLoss(reduction="none"), 3),
    "sigmoid": (torch.nn.BCEWithLogitsLoss(reduction="none"), 2),
    "identity": (torch.nn.MSELoss(reduction="none"), 2),
}


def _net(activation, n_ensemble=3):
    criterion, n_outputs = CRITERIA[activation]
    return build_net(
        dict(CONFIG, n_ensemble=n_ensemble),
        4,
        n_outputs,
        criterion=criterion,
        scorer=None,
        seed=0,
        device="cpu",
        max_epochs=1,
        verbose=0,
        output_activation=activation,
    )


def _batch(activation, n_rows=6):
    generator = torch.Generator().manual_seed(1)
    X = torch.randn(n_rows, 4, generator=generator)
    if activation == "softmax":
        target = torch.randint(0, 3, (n_rows,), generator=generator)
    elif activation == "sigmoid":
        target = torch.randint(0, 2, (n_rows, 2), generator=generator).float()
    else:
        target = torch.randn(n_rows, 2, generator=generator)
    weight = torch.rand(n_rows, generator=generator) + 0.5
    return X, (target, weight)


def _solo_linears(network):
    return [block[0] for block in network.hidden] + [network.output]


def _stacked_linears(ensemble):
    return [block[0] for block in ensemble.hidden] + [ensemble.output]


def test_n_ensemble_builds_an_ensemble_and_one_builds_todays_network():
    net = _net("softmax", n_ensemble=3)
    assert isinstance(net.module_, SelfNormalizingEnsemble)
    assert net.module_.n_members == 3 and net.module_.output_activation == "softmax"
    assert type(_net("softmax", n_ensemble=1).module_) is SelfNormalizingNetwork
    # A model saved before n_ensemble existed has no such key: one network.
    old = build_net(CONFIG, 4, 3, criterion=CRITERIA["softmax"][0], scorer=None, seed=0,
                    device="cpu", max_epochs=1, verbose=0)  # fmt: skip
    assert type(old.module_) is SelfNormalizingNetwork


@pytest.mark.parametrize("activation", sorted(CRITERIA))
def test_loss_is_the_members_mean_and_each_gets_its_solo_gradient(activation):
    net = _net(activation)
    ensemble = net.module_
    X, y_true = _batch(activation)
    loss = net.get_loss(ensemble(X), y_true, training=True)
    loss.backward()
    solo_losses = []
    for index in range(3):
        member = ensemble.member(index)
        solo = net.get_loss(member(X), y_true, training=True)
        solo.backward()
        solo_losses.append(solo.item())
        for stacked, linear in zip(_stacked_linears(ensemble), _solo_linears(member), strict=True):
            torch.testing.assert_close(stacked.weight.grad[index], linear.weight.grad.T)
            torch.testing.assert_close(stacked.bias.grad[index, 0], linear.bias.grad)
    torch.testing.assert_close(loss.item(), sum(solo_losses) / 3)


def test_one_sgd_step_moves_each_member_as_a_step_alone_would():
    # Plain SGD is not scale-invariant: a mean of the members' losses would
    # move each member a third as far as training it alone.
    net = _net("softmax")
    ensemble = net.module_
    members = [ensemble.member(index) for index in range(3)]
    X, y_true = _batch("softmax")
    net.optimizer_.zero_grad()
    net.get_loss(ensemble(X), y_true, training=True).backward()
    net.optimizer_.step()
    for index, member in enumerate(members):
        optimizer = torch.optim.SGD(member.parameters(), lr=CONFIG["learning_rate"])
        net.get_loss(member(X), y_true, training=True).backward()
        optimizer.step()
        for stacked, linear in zip(_stacked_linears(ensemble), _solo_linears(member), strict=True):
            torch.testing.assert_close(stacked.weight[index], linear.weight.T)
            torch.testing.assert_close(stacked.bias[index, 0], linear.bias)


def test_outside_training_the_net_scores_the_averaged_prediction():
    net = _net("softmax")
    X, y_true = _batch("softmax")
    target, weight = y_true
    ensemble = net.module_.eval()
    combined = net.infer(X)
    assert combined.shape == (6, 3)
    probabilities = torch.softmax(ensemble(X), dim=-1).mean(0)
    expected = -(torch.log(probabilities[torch.arange(6), target]) * weight).sum() / weight.sum()
    torch.testing.assert_close(net.get_loss(combined, y_true), expected)
    ensemble.train()
    assert net.infer(X).shape == (3, 6, 3)
