"""Per-layer diagnostics: is a network self-normalizing, do its gradients flow?

The functions take a fitted :class:`~sklearn_snn.SNNClassifier` or
:class:`~sklearn_snn.SNNRegressor`, whose standardization they apply to
``X``, or a bare :class:`~sklearn_snn.SelfNormalizingNetwork` (or any module
with the same ``hidden`` blocks ``Linear -> activation -> ...`` and
``output`` layer), which gets ``X`` as given. An ensemble
(``n_ensemble > 1``, or a ``SelfNormalizingEnsemble``) is reported member by
member.
"""

from numbers import Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._base import BaseSNN
from .nn.ensemble import SelfNormalizingEnsemble
from .nn.modes import evaluation_mode
from .training.labels import unseen_labels

_NETWORK = [BaseSNN, Pipeline, torch.nn.Module]
_DATA = ["array-like", "sparse matrix", torch.Tensor]


@validate_params(
    {
        "estimator_or_module": _NETWORK,
        "X": _DATA,
        "saturation_threshold": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def layer_statistics(estimator_or_module, X, saturation_threshold=0.05):
    """Mean and variance of each hidden layer's pre-activations and activations.

    For every unit the mean and variance over the samples of ``X`` are
    computed; the table reports their average over the units of the layer and
    their spread (standard deviation) across units. A self-normalizing
    network keeps ``activation_mean`` and ``activation_var`` at its fixed
    point, ``(0, 1)`` by default, at every depth, once its inputs have that
    mean and variance; it draws them towards it layer by layer otherwise.
    The estimators' default ``standardize="smooth_clip"`` gives inputs a
    smaller variance (clipped columns about 0.78, 0/1 columns ``p(1 - p)``),
    so with many one-hot columns the first layers of a fresh network start
    well below variance 1 and approach it with depth; with
    ``standardize=True`` they start at it. Dropout is switched off.

    Parameters
    ----------
    estimator_or_module : SNNClassifier, SNNRegressor, Pipeline or torch.nn.Module
        A fitted estimator (or a fitted Pipeline that ends in one, through
        whose earlier steps ``X`` is transformed), or a network with
        ``hidden`` blocks.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        At least two samples. Standardized as in ``fit`` for an estimator,
        used as given for a module.
    saturation_threshold : float, default=0.05
        An entry counts as saturated where the derivative of the activation
        function at the pre-activation is below this value: the SELU's flat
        negative tail, tanh's tails, ReLU's negative half.

    Returns
    -------
    statistics : pandas.DataFrame or numpy structured array
        One row per hidden layer (a DataFrame when pandas is installed) with
        the columns ``layer`` (1-based depth), ``n_units``,
        ``preactivation_mean``, ``preactivation_mean_spread``,
        ``preactivation_var``, ``preactivation_var_spread``,
        ``activation_mean``, ``activation_mean_spread``, ``activation_var``,
        ``activation_var_spread`` and ``saturated_fraction`` (share of
        sample-unit entries that are saturated). For an ensemble, one row per
        member and hidden layer, with the member's index (from 0) in a first
        column ``member``.

    See Also
    --------
    gradient_statistics : Per-layer gradient norms.
    plot_layer_statistics : Plot of these statistics against depth.

    Examples
    --------
    >>> import torch
    >>> from sklearn_snn import SelfNormalizingNetwork
    >>> from sklearn_snn.diagnostics import layer_statistics
    >>> X = torch.randn(1000, 50, generator=torch.Generator().manual_seed(0))
    >>> net = SelfNormalizingNetwork(
    ...     50, 2, n_layers=8, n_units=256, generator=torch.Generator().manual_seed(0)
    ... )
    >>> statistics = layer_statistics(net, X)
    >>> print(statistics[["layer", "activation_var", "saturated_fraction"]].round(2).tail(2))
       layer  activation_var  saturated_fraction
    6      7            1.01                 0.0
    7      8            1.00                 0.0
    >>> bool(statistics["activation_mean"].abs().max() < 0.05)
    True
    """
    estimator_or_module, X = _network_of(estimator_or_module, X)
    module, inputs = _module_and_inputs(estimator_or_module, X)
    if inputs.shape[0] < 2:
        raise ValueError(f"X needs at least 2 samples, got {inputs.shape[0]}.")
    return _table(
        _member_rows(module, lambda network: _layer_rows(network, inputs, saturation_threshold))
    )


def _layer_rows(module, inputs, saturation_threshold):
    rows = []
    with evaluation_mode(module):
        x = inputs
        for depth, block in enumerate(module.hidden, start=1):
            linear, activation, *rest = block
            with torch.no_grad():
                z = linear(x)
            with torch.enable_grad():
                z_leaf = z.detach().requires_grad_(True)
                a = activation(z_leaf)
                (slope,) = torch.autograd.grad(a.sum(), z_leaf)
            a = a.detach()
            row = {"layer": depth, "n_units": z.shape[1]}
            row.update(_unit_moments("preactivation", z))
            row.update(_unit_moments("activation", a))
            row["saturated_fraction"] = (slope.abs() < saturation_threshold).double().mean().item()
            rows.append(row)
            with torch.no_grad():
                x = a
                for layer in rest:
                    x = layer(x)
    return rows


@validate_params(
    {
        "estimator_or_module": _NETWORK,
        "X": _DATA,
        "y": ["array-like", torch.Tensor],
        "criterion": [torch.nn.Module, None],
    },
    prefer_skip_nested_validation=True,
)
def gradient_statistics(estimator_or_module, X, y, criterion=None):
    """Norms of the loss gradient of every layer's weights for one batch.

    For a fitted estimator the loss is built as in training: ``X`` is
    standardized, ``y`` encoded (and standardized for a regressor), the
    estimator's criterion and class weights applied (``class_weight="balanced"``
    with the weights it gave the last fit's training data, not this batch's
    balance; a model saved before they were kept, or set to ``"balanced"``
    after its fit, balances the batch), and the classifier's
    output layer taken without the temperature that calibrates its
    probabilities (``temperature_``), as training sees it. Vanishing or exploding
    gradients show up as ratios of many orders of magnitude between the
    first and the last layer. Dropout is switched off; the parameters'
    ``.grad`` are left untouched.

    Parameters
    ----------
    estimator_or_module : SNNClassifier, SNNRegressor, Pipeline or torch.nn.Module
        A fitted estimator (or a fitted Pipeline that ends in one, through
        whose earlier steps ``X`` is transformed), or a network with
        ``hidden`` blocks and an ``output`` layer.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The batch.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Its targets: labels or target values for an estimator, the targets
        that ``criterion`` expects for a module.
    criterion : torch.nn.Module, default=None
        Loss for a module; ignored for an estimator. None: cross-entropy for
        integer ``y``, mean squared error otherwise.

    Returns
    -------
    statistics : pandas.DataFrame or numpy structured array
        One row per linear layer with the columns ``layer`` (1-based; the
        output layer comes last, at ``n_layers + 1``), ``weight_grad_norm``,
        ``bias_grad_norm`` and ``weight_norm`` (Frobenius norms). For an
        ensemble, one row per member and layer, with the member's index (from
        0) in a first column ``member``; a member's gradient is that of its
        own loss, the gradient it gets in training.

    See Also
    --------
    layer_statistics : Per-layer activation statistics.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_snn import SNNClassifier
    >>> from sklearn_snn.diagnostics import gradient_statistics
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SNNClassifier(n_layers=3, n_units=16, n_ensemble=1, random_state=0)
    >>> clf = clf.partial_fit(X, y, classes=[0, 1, 2])
    >>> statistics = gradient_statistics(clf, X, y)
    >>> list(statistics["layer"])
    [1, 2, 3, 4]
    >>> bool((statistics["weight_grad_norm"] > 0).all())
    True
    """
    estimator_or_module, X = _network_of(estimator_or_module, X)
    module, inputs = _module_and_inputs(estimator_or_module, X, trained=True)
    if isinstance(estimator_or_module, torch.nn.Module):
        target = _module_target(y, inputs)
        if criterion is None:
            is_integer = not torch.is_floating_point(target)
            criterion = torch.nn.CrossEntropyLoss() if is_integer else torch.nn.MSELoss()

        def loss_of(output):
            if not torch.is_floating_point(target) or target.ndim == output.ndim:
                return criterion(output, target).mean()
            if target.numel() != output.numel():
                raise ValueError(
                    f"y of shape {tuple(target.shape)} does not fit the module's output of "
                    f"shape {tuple(output.shape)}: pass integer class labels (cross-entropy) "
                    "or targets of the output's shape."
                )
            return criterion(output, target.reshape(output.shape)).mean()
    else:
        loss_of = _estimator_loss(estimator_or_module, X, y, inputs)
    return _table(_member_rows(module, lambda network: _gradient_rows(network, inputs, loss_of)))


def _gradient_rows(module, inputs, loss_of):
    linears = [block[0] for block in module.hidden] + [module.output]
    with evaluation_mode(module), torch.enable_grad():
        loss = loss_of(module(inputs))
        parameters = [p for linear in linears for p in (linear.weight, linear.bias)]
        gradients = torch.autograd.grad(loss, parameters)
    rows = []
    for depth, linear in enumerate(linears, start=1):
        weight_grad, bias_grad = gradients[2 * depth - 2], gradients[2 * depth - 1]
        rows.append(
            {
                "layer": depth,
                "weight_grad_norm": weight_grad.norm().item(),
                "bias_grad_norm": bias_grad.norm().item(),
                "weight_norm": linear.weight.detach().norm().item(),
            }
        )
    return rows


@validate_params(
    {
        "statistics": [dict, "array-like"],
        "quantity": [StrOptions({"activation", "preactivation"})],
        "fixed_point": ["array-like", None],
        "axes": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def plot_layer_statistics(statistics, quantity="activation", fixed_point=None, axes=None):
    """Plot mean and variance against depth for one or several networks.

    Needs matplotlib (``pip install matplotlib``). Each network is a line,
    with a band of one spread (standard deviation across units) around it;
    the variance axis is logarithmic so that exploding or vanishing signals
    stay visible.

    Parameters
    ----------
    statistics : table or dict of str to table
        Output of :func:`layer_statistics`, or several of them keyed by the
        label to show in the legend. An ensemble's members (the ``member``
        column) are drawn as lines of their own.
    quantity : {"activation", "preactivation"}, default="activation"
        Which statistics to plot.
    fixed_point : array-like of (float, float), default=None
        ``(mean, var)`` drawn as dashed reference lines.
    axes : sequence of two matplotlib Axes, default=None
        Where to draw the mean and the variance; a new figure when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure that holds the axes.

    Examples
    --------
    >>> import torch
    >>> from sklearn_snn import SelfNormalizingNetwork
    >>> from sklearn_snn.diagnostics import layer_statistics, plot_layer_statistics
    >>> X = torch.randn(500, 20, generator=torch.Generator().manual_seed(0))
    >>> net = SelfNormalizingNetwork(20, 2, n_layers=16, n_units=64)
    >>> figure = plot_layer_statistics({"SELU": layer_statistics(net, X)}, fixed_point=(0, 1))
    >>> [axis.get_ylabel() for axis in figure.axes]
    ['activation mean', 'activation variance']
    """
    try:
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError as error:
        raise ImportError(
            "plot_layer_statistics needs matplotlib: pip install matplotlib "
            "(or pip install 'sklearn-snn[plot]')."
        ) from error
    if fixed_point is not None and np.shape(fixed_point) != (2,):
        raise ValueError(f"fixed_point must be a pair (mean, var), got {fixed_point!r}.")
    if axes is not None and np.shape(axes) != (2,):
        raise ValueError(
            "axes must be a sequence of two matplotlib Axes (mean, variance), got "
            f"{np.shape(axes) or 'one'} axes."
        )
    if not isinstance(statistics, dict):
        statistics = {None: statistics}
    for label, table in statistics.items():
        names = getattr(table, "columns", None)
        names = (
            names if names is not None else getattr(getattr(table, "dtype", None), "names", None)
        )
        needed = f"{quantity}_mean"
        if names is None or needed not in list(names):
            what = "" if label is None else f" {label!r}"
            raise ValueError(
                f"The table{what} has no column {needed!r}: plot_layer_statistics draws the "
                "output of layer_statistics (gradient_statistics gives gradient norms, which "
                "plot against depth with matplotlib's semilogy)."
            )
    statistics = _split_members(statistics)
    if axes is None:
        figure, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    mean_axis, var_axis = axes
    for label, table in statistics.items():
        depth = np.asarray(table["layer"])
        for axis, moment in ((mean_axis, "mean"), (var_axis, "var")):
            center = np.asarray(table[f"{quantity}_{moment}"], dtype=float)
            spread = np.asarray(table[f"{quantity}_{moment}_spread"], dtype=float)
            (line,) = axis.plot(depth, center, marker=".", label=label)
            lower = center - spread
            if moment == "var":
                lower = np.maximum(lower, center / 10)
            axis.fill_between(depth, lower, center + spread, color=line.get_color(), alpha=0.2)
    var_axis.set_yscale("log")
    if fixed_point is not None:
        mean_axis.axhline(fixed_point[0], color="gray", linestyle="--", linewidth=1)
        var_axis.axhline(fixed_point[1], color="gray", linestyle="--", linewidth=1)
    name = quantity.replace("preactivation", "pre-activation")
    mean_axis.set_ylabel(f"{name} mean")
    var_axis.set_ylabel(f"{name} variance")
    for axis in axes:
        axis.set_xlabel("hidden layer")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # layers are whole numbers
    if any(label is not None for label in statistics):
        mean_axis.legend()
    return mean_axis.figure


def _member_rows(module, rows_of):
    """``rows_of(module)``, or for an ensemble each member's rows with its index first."""
    if not isinstance(module, SelfNormalizingEnsemble):
        return rows_of(module)
    return [
        {"member": index, **row}
        for index in range(module.n_members)
        for row in rows_of(module.member(index))
    ]


def _split_members(statistics):
    """``statistics`` with each table that has a ``member`` column split by member."""
    split = {}
    for label, table in statistics.items():
        names = getattr(getattr(table, "dtype", None), "names", None) or list(table.keys())
        if "member" not in names:
            split[label] = table
            continue
        members = np.asarray(table["member"])
        for member in np.unique(members):
            shown = int(member) if float(member).is_integer() else member  # not "member 0.0"
            name = f"member {shown}" if label is None else f"{label}, member {shown}"
            split[name] = {column: np.asarray(table[column])[members == member] for column in names}
    return split


def _network_of(estimator_or_module, X):
    """A Pipeline's last step and ``X`` through the steps before it; else both as given."""
    if not isinstance(estimator_or_module, Pipeline):
        return estimator_or_module, X
    last = estimator_or_module[-1]
    if not isinstance(last, BaseSNN):
        raise ValueError(
            "The Pipeline's last step must be an SNNClassifier or SNNRegressor, got "
            f"{type(last).__name__}."
        )
    if len(estimator_or_module) > 1:
        X = estimator_or_module[:-1].transform(X)
    return last, X


def _module_and_inputs(estimator_or_module, X, trained=False):
    """The network and ``X`` as a tensor of its dtype on its device.

    With ``trained``, an estimator's network as the training loss sees it
    (without the classifier's calibration).
    """
    if isinstance(estimator_or_module, torch.nn.Module):
        module = estimator_or_module
        X = X.toarray() if sp.issparse(X) else X
        X = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X)
    else:
        X = torch.as_tensor(estimator_or_module._prepare_input(X))
        module = estimator_or_module.module_
        if trained:
            module = estimator_or_module._trained_module()
    parameter = next(module.parameters())
    return module, X.to(device=parameter.device, dtype=parameter.dtype)


def _estimator_loss(estimator, X, y, inputs):
    """The training loss of ``estimator`` on ``(X, y)`` as a function of the raw output."""
    binarizer = getattr(estimator, "_label_binarizer", None)
    if binarizer is not None and binarizer.y_type_ != "multilabel-indicator":
        unseen = unseen_labels(estimator.classes_, y)
        if unseen:
            raise ValueError(
                f"y holds labels the model was not fitted on: {unseen}; "
                f"its classes are {estimator.classes_.tolist()}. The gradients are those "
                "of the training loss, which knows only these classes."
            )
    target, weight = estimator._prepare_targets(X, y)
    dtype = torch.int64 if target.dtype.kind in "iu" else inputs.dtype
    target = torch.as_tensor(target, dtype=dtype, device=inputs.device)
    weight = torch.as_tensor(weight, dtype=inputs.dtype, device=inputs.device)
    return lambda output: estimator.net_.get_loss(output, (target, weight))


def _module_target(y, inputs):
    y = np.asarray(y.cpu() if isinstance(y, torch.Tensor) else y)
    if len(y) != inputs.shape[0]:
        raise ValueError(f"X has {inputs.shape[0]} samples but y has {len(y)}.")
    if y.dtype.kind in "iu":
        return torch.as_tensor(y, dtype=torch.int64, device=inputs.device)
    return torch.as_tensor(y, dtype=inputs.dtype, device=inputs.device)


def _unit_moments(prefix, values):
    variances, means = torch.var_mean(values.double(), dim=0, correction=0)
    return {
        f"{prefix}_mean": means.mean().item(),
        f"{prefix}_mean_spread": means.std(correction=0).item(),
        f"{prefix}_var": variances.mean().item(),
        f"{prefix}_var_spread": variances.std(correction=0).item(),
    }


def _table(rows):
    """A pandas DataFrame of ``rows``, or a numpy structured array without pandas."""
    columns = {name: np.array([row[name] for row in rows]) for name in rows[0]}
    try:
        import pandas as pd
    except ImportError:
        dtype = [(name, values.dtype) for name, values in columns.items()]
        table = np.empty(len(rows), dtype=dtype)
        for name, values in columns.items():
            table[name] = values
        return table
    return pd.DataFrame(columns)
