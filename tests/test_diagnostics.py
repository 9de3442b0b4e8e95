import copy
import sys

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from torch import nn

from sklearn_snn import SelfNormalizingNetwork, SNNClassifier, SNNRegressor
from sklearn_snn.diagnostics import gradient_statistics, layer_statistics, plot_layer_statistics
from sklearn_snn.nn.ensemble import SelfNormalizingEnsemble
from sklearn_snn.theory import selu_parameters
from sklearn_snn.training.class_weight import as_class_weight
from sklearn_snn.training.temperature import fold_temperature

LAYER_COLUMNS = [
    "layer",
    "n_units",
    "preactivation_mean",
    "preactivation_mean_spread",
    "preactivation_var",
    "preactivation_var_spread",
    "activation_mean",
    "activation_mean_spread",
    "activation_var",
    "activation_var_spread",
    "saturated_fraction",
]


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # The networks here are small; on a shared machine several threads per
    # process only wait for each other.
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


def _network(n_features=6, n_outputs=3, seed=0, **params):
    generator = torch.Generator().manual_seed(seed)
    return SelfNormalizingNetwork(n_features, n_outputs, generator=generator, **params)


def _with_activation(network, activation):
    for block in network.hidden:
        block[1] = activation()
    return network


@pytest.fixture
def fitted_classifier(classification_data, small_params):
    X, y = classification_data
    X = X * 10.0 + 3.0  # far from standardized, so that the scaling matters
    # Plain standardization and no smoothing: the tests compare with inputs
    # standardized by hand and with torch's plain cross-entropy.
    params = {**small_params, "dropout": 0.1, "standardize": True, "label_smoothing": 0.0}
    classifier = SNNClassifier(**params)
    return classifier.partial_fit(X, y, classes=np.unique(y)), X, y


def test_layer_statistics_of_a_module_match_a_direct_computation(rng):
    network = _network(n_layers=3, n_units=16)
    X = rng.standard_normal((200, 6))
    statistics = layer_statistics(network, X)
    assert list(statistics.columns) == LAYER_COLUMNS
    assert list(statistics["layer"]) == [1, 2, 3]
    assert list(statistics["n_units"]) == [16, 16, 16]
    h = torch.as_tensor(X, dtype=torch.float32)
    with torch.no_grad():
        for row, block in zip(statistics.itertuples(), network.hidden, strict=True):
            z = block[0](h).double()
            h = block[1](block[0](h))
            a = h.double()
            np.testing.assert_allclose(row.preactivation_mean, z.mean(0).mean().item(), atol=1e-6)
            np.testing.assert_allclose(row.preactivation_var, z.var(0, correction=0).mean().item())
            np.testing.assert_allclose(row.activation_mean, a.mean(0).mean().item(), atol=1e-6)
            np.testing.assert_allclose(row.activation_var, a.var(0, correction=0).mean().item())
            spread = a.var(0, correction=0).std(correction=0).item()
            np.testing.assert_allclose(row.activation_var_spread, spread, rtol=1e-6)


def test_layer_statistics_of_an_estimator_standardize_x(fitted_classifier):
    classifier, X, _ = fitted_classifier
    module = classifier.module_
    was_training = module.training
    statistics = layer_statistics(classifier, X)
    assert module.training == was_training
    standardized = (X - X.mean(axis=0)) / X.std(axis=0)
    expected = layer_statistics(module, standardized)
    np.testing.assert_allclose(
        statistics.drop(columns=["layer", "n_units"]).to_numpy(),
        expected.drop(columns=["layer", "n_units"]).to_numpy(),
        rtol=1e-4,
        atol=1e-5,
    )
    # Fed raw, the same network is far from its fixed point.
    raw = layer_statistics(module, X)
    assert raw["preactivation_var"].iloc[0] > 10 * statistics["preactivation_var"].iloc[0]


def test_layer_statistics_check_their_input(fitted_classifier):
    classifier, X, _ = fitted_classifier
    with pytest.raises(ValueError, match="features"):
        layer_statistics(classifier, X[:, :3])
    with pytest.raises(ValueError, match="at least 2 samples"):
        layer_statistics(classifier, X[:1])
    with pytest.raises(NotFittedError):
        layer_statistics(SNNClassifier(), X)
    # Parameters are validated as scikit-learn validates them.
    with pytest.raises(ValueError, match="'estimator_or_module' parameter .* Got StandardScaler"):
        layer_statistics(StandardScaler().fit(X), X)
    with pytest.raises(ValueError, match="last step must be an SNNClassifier or SNNRegressor"):
        gradient_statistics(make_pipeline(FunctionTransformer()), X, np.zeros(len(X)))
    for threshold in (-1, 0, "small"):
        with pytest.raises(ValueError, match="'saturation_threshold' parameter"):
            layer_statistics(classifier, X, saturation_threshold=threshold)


def test_a_pipeline_is_read_through_its_steps(classification_data, small_params):
    X, y = classification_data
    pipeline = make_pipeline(FunctionTransformer(np.tanh), SNNClassifier(**small_params))
    pipeline.fit(X, y)
    classifier, transformed = pipeline[-1], np.tanh(X)
    for statistics, expected in [
        (layer_statistics(pipeline, X), layer_statistics(classifier, transformed)),
        (gradient_statistics(pipeline, X, y), gradient_statistics(classifier, transformed, y)),
    ]:
        for column in statistics.columns:
            np.testing.assert_array_equal(statistics[column], expected[column])
    alone = make_pipeline(SNNClassifier(**small_params)).fit(X, y)  # no step before it
    statistics, expected = layer_statistics(alone, X), layer_statistics(alone[-1], X)
    np.testing.assert_array_equal(statistics["activation_var"], expected["activation_var"])
    raw = layer_statistics(classifier, X)  # X not passed through the first step: other numbers
    assert not np.allclose(raw["activation_var"], layer_statistics(pipeline, X)["activation_var"])


def test_structured_array_without_pandas(monkeypatch, rng):
    monkeypatch.setitem(sys.modules, "pandas", None)
    network = _network(n_layers=2, n_units=8)
    statistics = layer_statistics(network, rng.standard_normal((50, 6)))
    assert isinstance(statistics, np.ndarray)
    assert list(statistics.dtype.names) == LAYER_COLUMNS
    assert statistics["layer"].tolist() == [1, 2]
    gradients = gradient_statistics(network, rng.standard_normal((50, 6)), np.arange(50) % 3)
    assert gradients.dtype.names == ("layer", "weight_grad_norm", "bias_grad_norm", "weight_norm")


def test_saturated_fraction(rng):
    X = rng.standard_normal((2000, 20))
    selu = layer_statistics(_network(20, n_layers=4, n_units=128), X)
    relu = layer_statistics(_with_activation(_network(20, n_layers=4, n_units=128), nn.ReLU), X)
    # SELU's derivative falls below 0.05 only under about -3.6 sigma; ReLU's
    # is zero on the negative half.
    assert selu["saturated_fraction"].max() < 0.01
    np.testing.assert_allclose(relu["saturated_fraction"], 0.5, atol=0.1)


def _standardized_breast_cancer(var):
    # The fixed point describes a layer's inputs: the first layer's inputs
    # are the data, so they must have the fixed point's variance too.
    X = StandardScaler().fit_transform(load_breast_cancer().data)
    return X * np.sqrt(var)


def test_32_layers_at_fixed_point_zero_two_keep_variance_two():
    alpha, lambda_ = selu_parameters(0.0, 2.0)
    X = _standardized_breast_cancer(2.0)
    network = _network(
        X.shape[1], 2, n_layers=32, n_units=512, alpha=alpha, lambda_=lambda_, fixed_point=(0, 2)
    )
    statistics = layer_statistics(network, X)
    var = statistics["activation_var"].to_numpy()
    mean = statistics["activation_mean"].to_numpy()
    # Finite width and the data's few effective dimensions keep it a few
    # percent under 2 (seeds 0-9: layer averages 1.84 to 1.92).
    assert np.all((var[2:] > 1.6) & (var[2:] < 2.4)), np.round(var, 2)
    assert abs(var[2:].mean() - 2.0) < 0.2
    assert abs(var[-8:].mean() - 2.0) < 0.2
    assert np.all(np.abs(mean) < 0.15)
    # The standard constants pull the same network towards variance 1.
    standard = _network(X.shape[1], 2, n_layers=32, n_units=512)
    standard_var = layer_statistics(standard, X)["activation_var"].to_numpy()
    assert standard_var[-8:].mean() < 1.3


def test_gradient_statistics_of_an_estimator_follow_the_training_loss(fitted_classifier):
    classifier, X, y = fitted_classifier
    module = classifier.module_
    statistics = gradient_statistics(classifier, X, y)
    assert list(statistics["layer"]) == [1, 2, 3]
    standardized = torch.as_tensor((X - X.mean(axis=0)) / X.std(axis=0), dtype=torch.float32)
    module.eval()
    loss = nn.functional.cross_entropy(module(standardized), torch.as_tensor(y))
    module.train()
    linears = [block[0] for block in module.hidden] + [module.output]
    weight_grads = torch.autograd.grad(
        loss, [linear.weight for linear in linears], retain_graph=True
    )
    expected = [gradient.norm().item() for gradient in weight_grads]
    np.testing.assert_allclose(statistics["weight_grad_norm"], expected, rtol=1e-3)
    bias_grads = torch.autograd.grad(loss, [linear.bias for linear in linears])
    expected = [gradient.norm().item() for gradient in bias_grads]
    np.testing.assert_allclose(statistics["bias_grad_norm"], expected, rtol=1e-3, atol=1e-7)
    expected = [linear.weight.detach().norm().item() for linear in linears]
    np.testing.assert_allclose(statistics["weight_norm"], expected, rtol=1e-6)


@pytest.mark.parametrize("multilabel", [False, True])
def test_gradient_statistics_weigh_a_batch_by_the_fits_balanced_class_weights(rng, multilabel):
    # "balanced" depends on the data: a batch is weighed as the training data
    # was, not by its own balance.
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] > 0.8).astype(int)  # about 20% positives
    if multilabel:
        y = np.column_stack([y, X[:, 1] > 0.0]).astype(int)
    classifier = SNNClassifier(
        n_layers=2, n_units=16, n_ensemble=1, max_iter=3, class_weight="balanced", random_state=0
    ).fit(X, y)
    fitted = classifier._balanced_class_weight
    assert (fitted[0] if multilabel else fitted)[1] == pytest.approx(
        300 / (2 * (X[:, 0] > 0.8).sum())
    )
    written = as_class_weight(fitted, classifier.classes_, multilabel=multilabel)
    batch = np.r_[np.flatnonzero(X[:, 0] > 0.8)[:20], np.flatnonzero(X[:, 0] <= 0.8)[:20]]
    balanced = gradient_statistics(classifier, X[batch], y[batch])
    explicit = gradient_statistics(
        copy.deepcopy(classifier).set_params(class_weight=written), X[batch], y[batch]
    )
    np.testing.assert_array_equal(balanced["weight_grad_norm"], explicit["weight_grad_norm"])
    unweighted = gradient_statistics(
        copy.deepcopy(classifier).set_params(class_weight=None), X[batch], y[batch]
    )
    # The batch is already balanced: weighing it by its own balance would
    # change nothing, the fit's weights do.
    assert not np.allclose(balanced["weight_grad_norm"], unweighted["weight_grad_norm"])


def test_balanced_class_weights_of_bool_labels_survive_skops(rng):
    sio = pytest.importorskip("skops.io")
    X = rng.normal(size=(200, 4))
    y = X[:, 0] > 0.8
    classifier = SNNClassifier(
        n_layers=2, n_units=8, n_ensemble=1, max_iter=3, class_weight="balanced", random_state=0
    ).fit(X, y)
    data = sio.dumps(classifier)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    np.testing.assert_array_equal(
        gradient_statistics(loaded, X[:40], y[:40])["weight_grad_norm"],
        gradient_statistics(classifier, X[:40], y[:40])["weight_grad_norm"],
    )


def test_gradient_statistics_leave_the_estimator_alone(fitted_classifier):
    classifier, X, y = fitted_classifier
    module = classifier.module_
    parameters = list(module.parameters())
    before = [p.detach().clone() for p in parameters]
    grads_before = [None if p.grad is None else p.grad.clone() for p in parameters]
    was_training = module.training
    gradient_statistics(classifier, X, y)
    assert all(torch.equal(a, b) for a, b in zip(before, parameters, strict=True))
    for grad, p in zip(grads_before, parameters, strict=True):
        assert (p.grad is None) if grad is None else torch.equal(grad, p.grad)
    assert module.training == was_training


def test_gradient_statistics_see_the_network_without_its_calibration(
    classification_data, small_params
):
    # The temperature fitted after training is folded into the output layer
    # for predictions; the training loss saw the network without it.
    X, y = classification_data
    params = {**small_params, "label_smoothing": 0.3, "n_ensemble": 2, "max_iter": 20}
    classifier = SNNClassifier(**params).fit(X, y)
    temperature = classifier.temperature_
    assert abs(temperature - 1.0) > 0.1
    proba = classifier.predict_proba(X)
    statistics = gradient_statistics(classifier, X, y)
    unfolded = copy.deepcopy(classifier)
    fold_temperature(unfolded.module_, 1.0 / temperature)
    unfolded.temperature_ = 1.0
    expected = gradient_statistics(unfolded, X, y)
    for column in ("weight_grad_norm", "bias_grad_norm", "weight_norm"):
        np.testing.assert_allclose(statistics[column], expected[column], rtol=1e-5)
    output = statistics[statistics["layer"] == statistics["layer"].max()]
    folded = classifier.module_.output.weight.detach()
    np.testing.assert_allclose(
        output["weight_norm"], [temperature * w.norm().item() for w in folded], rtol=1e-5
    )
    np.testing.assert_array_equal(classifier.predict_proba(X), proba)  # still calibrated


def test_gradient_statistics_of_a_regressor_use_standardized_targets(regression_data):
    X, y = regression_data
    regressor = SNNRegressor(
        n_layers=2, n_units=16, n_ensemble=1, random_state=0, standardize=True, spline_knots=None
    )
    regressor.partial_fit(X, y)
    statistics = gradient_statistics(regressor, X, y)
    module = regressor.module_.eval()
    inputs = torch.as_tensor((X - X.mean(axis=0)) / X.std(axis=0), dtype=torch.float32)
    target = torch.as_tensor((y - y.mean()) / y.std(), dtype=torch.float32)
    loss = nn.functional.mse_loss(module(inputs).ravel(), target)
    gradient = torch.autograd.grad(loss, module.hidden[0][0].weight)[0]
    np.testing.assert_allclose(statistics["weight_grad_norm"][0], gradient.norm().item(), rtol=1e-3)


@pytest.mark.parametrize("targets", ["labels", "values"])
def test_gradient_statistics_of_a_module_default_criterion(rng, targets):
    network = _network(n_layers=2, n_units=8, n_outputs=3 if targets == "labels" else 1)
    X = rng.standard_normal((40, 6))
    y = np.arange(40) % 3 if targets == "labels" else rng.standard_normal(40)
    statistics = gradient_statistics(network, X, y)
    output = network(torch.as_tensor(X, dtype=torch.float32))
    if targets == "labels":
        loss = nn.functional.cross_entropy(output, torch.as_tensor(y))
    else:
        loss = nn.functional.mse_loss(output.ravel(), torch.as_tensor(y, dtype=torch.float32))
    gradient = torch.autograd.grad(loss, network.output.weight)[0]
    np.testing.assert_allclose(statistics["weight_grad_norm"].iloc[-1], gradient.norm().item())
    if targets == "values":
        custom = gradient_statistics(network, X, y, criterion=nn.L1Loss())
        output = network(torch.as_tensor(X, dtype=torch.float32))
        l1 = nn.functional.l1_loss(output.ravel(), torch.as_tensor(y, dtype=torch.float32))
        gradient = torch.autograd.grad(l1, network.output.weight)[0]
        np.testing.assert_allclose(custom["weight_grad_norm"].iloc[-1], gradient.norm().item())


def test_gradient_statistics_of_a_module_names_targets_that_do_not_fit(rng):
    network = _network(n_layers=1, n_units=8, n_outputs=3)
    X = rng.standard_normal((10, 6))
    for y in (np.arange(10) % 2 == 0, rng.standard_normal(10)):  # bool or float: no labels
        with pytest.raises(ValueError, match=r"y of shape \(10,\) does not fit .* \(10, 3\)"):
            gradient_statistics(network, X, y)


def test_deep_relu_network_has_vanishing_signal_and_gradients(rng):
    X = rng.standard_normal((500, 20))
    y = np.arange(500) % 2
    selu = _network(20, 2, n_layers=24, n_units=64)
    relu = _with_activation(_network(20, 2, n_layers=24, n_units=64), nn.ReLU)
    assert layer_statistics(relu, X)["activation_var"].iloc[-1] < 1e-4
    assert 0.5 < layer_statistics(selu, X)["activation_var"].iloc[-1] < 2
    relu_norms = gradient_statistics(relu, X, y)["weight_grad_norm"]
    selu_norms = gradient_statistics(selu, X, y)["weight_grad_norm"]
    assert relu_norms.max() < 1e-2 * selu_norms.min()


def test_gradient_statistics_names_labels_the_model_never_saw(rng):
    X = rng.standard_normal((60, 4))
    y = np.arange(60) % 2
    classifier = SNNClassifier(n_layers=2, n_units=8, max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"labels the model was not fitted on: \[2\]; its classes"):
        gradient_statistics(classifier, X, np.arange(60) % 3)
    with pytest.raises(ValueError, match=r"not fitted on: \['0', '1'\]"):
        gradient_statistics(classifier, X, (np.arange(60) % 2).astype(str))


def test_plot_layer_statistics(rng):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    X = rng.standard_normal((300, 6))
    selu = layer_statistics(_network(n_layers=5, n_units=32), X)
    relu = layer_statistics(_with_activation(_network(n_layers=5, n_units=32), nn.Tanh), X)
    figure = plot_layer_statistics({"SELU": selu, "tanh": relu}, fixed_point=(0, 1))
    mean_axis, var_axis = figure.axes
    assert var_axis.get_yscale() == "log"
    assert [line.get_label() for line in mean_axis.get_lines()[:2]] == ["SELU", "tanh"]
    np.testing.assert_allclose(var_axis.get_lines()[0].get_ydata(), selu["activation_var"])
    plt.close(figure)
    figure, axes = plt.subplots(1, 2)
    returned = plot_layer_statistics(selu.to_records(index=False), "preactivation", axes=axes)
    assert returned is figure
    assert axes[1].get_ylabel() == "pre-activation variance"
    plt.close(figure)
    with pytest.raises(ValueError, match="quantity"):
        plot_layer_statistics(selu, quantity="gradient")
    figure = plot_layer_statistics(selu, fixed_point=np.array([0.0, 1.0]))
    assert all(tick.is_integer() for tick in figure.axes[0].get_xticks())  # whole layers
    plt.close(figure)
    with pytest.raises(ValueError, match="fixed_point must be a pair"):
        plot_layer_statistics(selu, fixed_point=(0.0,))
    figure, axes = plt.subplots(1, 3)
    with pytest.raises(ValueError, match="axes must be a sequence of two"):
        plot_layer_statistics(selu, axes=axes)
    plt.close(figure)
    gradients = gradient_statistics(_network(n_layers=3, n_units=8), X, np.arange(300) % 2)
    with pytest.raises(ValueError, match="'grads' has no column 'activation_mean'.*semilogy"):
        plot_layer_statistics({"grads": gradients})


def test_plot_layer_statistics_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_layer_statistics({})


def test_layer_statistics_of_an_ensemble_are_those_of_each_member(rng):
    ensemble = SelfNormalizingEnsemble(
        6, 2, 3, n_layers=3, n_units=16, dropout=0.1, generator=torch.Generator().manual_seed(0)
    )
    with torch.no_grad():  # members far apart, so that mixing them up would show
        ensemble.hidden[0][0].weight.mul_(torch.tensor([0.5, 1.0, 2.0]).view(3, 1, 1))
    X = rng.standard_normal((200, 6))
    statistics = layer_statistics(ensemble, X)
    assert list(statistics.columns) == ["member", *LAYER_COLUMNS]
    assert list(statistics["member"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert list(statistics["layer"]) == [1, 2, 3] * 3
    assert ensemble.training, "the module's mode is left as it was"
    h = torch.as_tensor(X, dtype=torch.float32)
    with torch.no_grad():  # the stacked forward pass without dropout, member by member
        for depth, (linear, selu, _) in enumerate(ensemble.hidden, start=1):
            z = linear(h)
            h = selu(z)
            for member in range(3):
                row = statistics[(statistics["member"] == member) & (statistics["layer"] == depth)]
                for name, values in (("preactivation", z[member]), ("activation", h[member])):
                    var, mean = torch.var_mean(values.double(), dim=0, correction=0)
                    np.testing.assert_allclose(row[f"{name}_mean"], mean.mean(), atol=1e-6)
                    np.testing.assert_allclose(row[f"{name}_var"], var.mean(), rtol=1e-5)


def test_gradient_statistics_of_an_ensemble_are_each_members_training_gradient(
    classification_data, small_params
):
    X, y = classification_data
    classifier = SNNClassifier(
        **dict(small_params, n_ensemble=3), standardize=True, label_smoothing=0.0
    )
    classifier.partial_fit(X, y, classes=np.unique(y))
    statistics = gradient_statistics(classifier, X, y)
    assert list(statistics["member"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert list(statistics["layer"]) == [1, 2, 3] * 3
    module = classifier.module_.eval()
    inputs = torch.as_tensor((X - X.mean(axis=0)) / X.std(axis=0), dtype=torch.float32)
    raw = module(inputs)
    # Training sums the members' losses: each member's gradient is its own loss's.
    loss = sum(nn.functional.cross_entropy(raw[member], torch.as_tensor(y)) for member in range(3))
    stacked = [block[0] for block in module.hidden] + [module.output]
    weight_grads = torch.autograd.grad(loss, [layer.weight for layer in stacked])
    module.train()
    expected = [gradient[member].norm().item() for member in range(3) for gradient in weight_grads]
    np.testing.assert_allclose(statistics["weight_grad_norm"], expected, rtol=1e-3)
    expected = [layer.weight[member].norm().item() for member in range(3) for layer in stacked]
    np.testing.assert_allclose(statistics["weight_norm"], expected, rtol=1e-6)


def test_plot_layer_statistics_draws_each_member(rng):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    ensemble = SelfNormalizingEnsemble(6, 2, 2, n_layers=4, n_units=16)
    statistics = layer_statistics(ensemble, rng.standard_normal((100, 6)))
    figure = plot_layer_statistics({"SNN": statistics})
    lines = figure.axes[1].get_lines()
    assert [line.get_label() for line in lines] == ["SNN, member 0", "SNN, member 1"]
    second = statistics[statistics["member"] == 1]
    np.testing.assert_array_equal(lines[1].get_xdata(), second["layer"])
    np.testing.assert_allclose(lines[1].get_ydata(), second["activation_var"])
    plt.close(figure)
    # A table whose member column became float (e.g. through a merge) is labelled alike.
    figure = plot_layer_statistics({"SNN": statistics.astype({"member": float})})
    labels = [line.get_label() for line in figure.axes[1].get_lines()]
    assert labels == ["SNN, member 0", "SNN, member 1"]
    plt.close(figure)
