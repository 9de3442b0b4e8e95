"""Temperature scaling: calibrated probabilities after training with smoothed labels.

Label smoothing trains the network towards probabilities of at most
``1 - smoothing``, so its raw probabilities are under-confident. One scalar
temperature ``T``, fitted by weighted log loss on held-out rows, divides the
logits; it changes no prediction, only the probabilities (Guo et al., 2017).
The temperature is folded into the output layer, so that ``predict_proba``,
``decision_function``, the diagnostics and an ONNX export all see the
calibrated logits.
"""

import numpy as np
import torch
from scipy.optimize import minimize_scalar
from scipy.special import log_expit, log_softmax

from ..nn.ensemble import combined_outputs
from ..nn.modes import evaluation_mode

# log(T) is searched in [-_LOG_RANGE, _LOG_RANGE]: T from 1/20 to 20.
_LOG_RANGE = 3.0
# A Gaussian prior on log(T) around 0 as strong as this many rows: a dozen
# held-out rows that the network separates perfectly would otherwise drive T
# to its bound and the probabilities to 0 and 1.
_PRIOR_ROWS = 10.0


def fit_temperature(raw, target, weight, kind, combine=None):
    """The temperature that minimizes the weighted log loss of ``raw / T``.

    The loss carries a penalty ``(log T)^2 * 10 / n`` for the ``n`` rows'
    effective number (Kish's, of the weights): on a few rows the
    temperature stays near 1, on thousands the data decide.

    Parameters
    ----------
    raw : ndarray of shape (n_samples, n_outputs)
        Logits.
    target : ndarray
        Class indices (multiclass) or 0/1 targets of the same shape as ``raw``.
    weight : ndarray of shape (n_samples,)
        Sample weights.
    kind : {"multiclass", "binary", "multilabel-indicator"}
        Type of the targets.
    combine : callable, default=None
        Maps ``raw / T`` to the logits that are scored (an ensemble's
        members' outputs to their averaged prediction); None for ``raw``
        itself.

    Returns
    -------
    temperature : float
        In ``[exp(-3), exp(3)]``; 1.0 when there is nothing to fit on.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_snn.training.temperature import fit_temperature
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, size=2000)
    >>> x = np.where(y == 1, 1.0, -1.0) + rng.normal(size=2000)  # log-odds are 2 x
    >>> round(fit_temperature(x[:, None], y[:, None], np.ones(2000), "binary"), 1)
    0.5
    """
    raw = np.asarray(raw, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    if len(weight) == 0 or weight.sum() <= 0 or not np.isfinite(raw).all():
        return 1.0

    def loss(log_temperature):
        scaled = raw / np.exp(log_temperature)
        scaled = scaled if combine is None else combine(scaled)
        if kind == "multiclass":
            per_sample = -log_softmax(scaled, axis=1)[np.arange(len(scaled)), target]
        else:
            per_sample = -(target * log_expit(scaled) + (1 - target) * log_expit(-scaled))
            per_sample = per_sample.mean(axis=1)
        mean_loss = np.dot(weight, per_sample) / weight.sum()
        return float(mean_loss + log_temperature**2 * _PRIOR_ROWS / n_effective)

    n_effective = weight.sum() ** 2 / np.dot(weight, weight)
    result = minimize_scalar(loss, bounds=(-_LOG_RANGE, _LOG_RANGE), method="bounded")
    return float(np.exp(result.x)) if loss(result.x) < loss(0.0) else 1.0


def calibrate_temperature(net, data, kind):
    """Fit the temperature on ``data`` and fold it into the net's output layer.

    Parameters
    ----------
    net : TensorBatchNet
        The trained net; its module's ``output`` layer (every member's, for
        an ensemble, before their probabilities are averaged) is divided by
        ``T``.
    data : TrainingData
        Rows to fit on (the validation split, or the training rows).
    kind : {"multiclass", "binary", "multilabel-indicator"}
        Type of the targets.

    Returns
    -------
    temperature : float
        The ``T`` folded in.
    """
    with evaluation_mode(net.module_) as module, torch.no_grad():
        raw = torch.cat([module(X) for X, _ in net.get_iterator(data)], dim=-2)

    def combine(scaled):  # the ensemble's averaged prediction; one network's as it is
        return combined_outputs(net.module_, torch.from_numpy(scaled)).numpy()

    target, weight = data.y.cpu().numpy(), data.weight.cpu().numpy()
    temperature = fit_temperature(raw.double().cpu().numpy(), target, weight, kind, combine)
    fold_temperature(net.module_, temperature)
    return temperature


def fold_temperature(module, temperature):
    """Divide the output layer of ``module`` (every member's) by ``temperature``, in place.

    ``fold_temperature(module, 1 / T)`` takes a folded ``T`` out again, so
    that a continued fit trains the network's own logits.

    Parameters
    ----------
    module : SelfNormalizingNetwork or SelfNormalizingEnsemble
        Network with an ``output`` layer.
    temperature : float
        Positive divisor; 1.0 leaves the layer as it is.
    """
    if temperature != 1.0:
        with torch.no_grad():
            module.output.weight.div_(temperature)
            module.output.bias.div_(temperature)
