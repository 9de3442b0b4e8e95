"""The skorch net that trains the network, and sole owner of its optimizer.

Only this module knows skorch's ``optimizer__*`` routing: the estimators and
callbacks change the optimizer through :meth:`TensorBatchNet.set_optimizer`,
:meth:`TensorBatchNet.scale_learning_rate` and
:meth:`TensorBatchNet.restart_optimizer`.
"""

import functools

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import EpochTimer, LRScheduler, PrintLog
from skorch.helper import predefined_split

from ..nn.ensemble import SelfNormalizingEnsemble, combined_outputs
from ..nn.modes import evaluation_mode
from ..nn.network import SelfNormalizingNetwork
from ..theory import selu_parameters
from .device import fit_threads, tf32_matmuls
from .ensemble import members_loss
from .samples import BatchIterator
from .state import initialization_generator, restore_generator, training_generator

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
# Learning rates a schedule keeps in the optimizer's parameter groups and in itself.
_GROUP_RATES = ("lr", "initial_lr", "max_lr", "min_lr")
_SCHEDULER_RATES = ("base_lrs", "_last_lr", "min_lrs", "eta_min")


def build_net(
    config,
    n_features,
    n_outputs,
    *,
    criterion,
    scorer,
    seed,
    device,
    max_epochs,
    verbose,
    output_activation="identity",
):
    """A fresh, initialized net around a new :class:`SelfNormalizingNetwork`.

    With ``n_ensemble > 1`` the net trains a
    :class:`~sklearn_snn.nn.ensemble.SelfNormalizingEnsemble` of that many
    members instead.

    Parameters
    ----------
    config : dict
        ``n_layers``, ``n_units``, ``shape``, ``dropout``, ``fixed_point``,
        ``n_ensemble`` (the architecture; ``n_ensemble`` is 1 when missing)
        and ``optimizer``, ``learning_rate``, ``weight_decay`` (the optimizer
        settings).
    n_features, n_outputs : int
        Widths of the input and output.
    criterion : torch.nn.Module
        Loss with ``reduction="none"``.
    scorer : callable
        ``scorer(y_true, raw_pred, weight) -> float`` for the validation data.
    seed : int
        Seed of the fit: initial weights, shuffling and dropout.
    device : str
        Training device.
    max_epochs : int
        Epochs of a full fit.
    verbose : int
        skorch's verbosity.
    output_activation : {"identity", "softmax", "sigmoid"}, default="identity"
        What maps raw outputs to predictions, which an ensemble averages.

    Returns
    -------
    net : TensorBatchNet
        Initialized.
    """
    alpha, lambda_ = selu_parameters(*config["fixed_point"])
    n_members = config.get("n_ensemble", 1)  # models saved before n_ensemble lack it
    network = SelfNormalizingNetwork
    if n_members > 1:
        network = functools.partial(
            SelfNormalizingEnsemble, n_members=n_members, output_activation=output_activation
        )
    module = network(
        n_features,
        n_outputs,
        n_layers=config["n_layers"],
        n_units=config["n_units"],
        shape=config["shape"],
        dropout=config["dropout"],
        alpha=alpha,
        lambda_=lambda_,
        fixed_point=tuple(config["fixed_point"]),
        generator=initialization_generator(seed),
    )
    net = TensorBatchNet(
        module,
        criterion,
        seed=seed,
        scorer=scorer,
        max_epochs=max_epochs,
        train_split=None,
        device=device,
        verbose=verbose,
    )
    net.set_optimizer(config["optimizer"], config["learning_rate"], config["weight_decay"])
    return net.initialize()


class TensorBatchNet(NeuralNet):
    """skorch ``NeuralNet`` that trains on :class:`~sklearn_snn.training.samples.TrainingData`.

    Batches are slices of tensors already on the training device, the loss is
    the sample-weighted mean of a per-sample criterion, and losses are summed
    on the device and read once per epoch. Randomness (shuffling and dropout)
    comes from a private generator drawn from ``seed``
    (:func:`~sklearn_snn.training.state.training_generator`).

    Parameters
    ----------
    module : torch.nn.Module
        Initialized network with a ``set_dropout_generator`` method.
    criterion : torch.nn.Module
        Loss with ``reduction="none"``.
    seed : int
        Seed of the fit.
    scorer : callable or None
        ``scorer(y_true, raw_pred, weight) -> float`` evaluated on the
        validation data each epoch and recorded as ``valid_score``.
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(self, module, criterion, *, seed=0, scorer=None, **kwargs):
        super().__init__(module, criterion, **kwargs)
        self.seed = seed
        self.scorer = scorer

    @property
    def _default_callbacks(self):
        return [("epoch_timer", EpochTimer()), ("print_log", PrintLog())]

    def initialize(self):
        """Initialize module, optimizer, callbacks and the training generator."""
        super().initialize()
        self.generator_ = training_generator(self.seed, self.device)
        return self

    def set_optimizer(self, name, learning_rate, weight_decay):
        """Use a new optimizer: ``"sgd"``, ``"adam"`` or ``"adamw"``, without state.

        Adam and AdamW use torch's fused kernel where it exists for the
        device. On an initialized net the optimizer is started afresh.

        Parameters
        ----------
        name : {"sgd", "adam", "adamw"}
            Optimizer.
        learning_rate : float
            Step size.
        weight_decay : float
            L2 penalty (decoupled for AdamW).
        """
        for key in [key for key in vars(self) if key.startswith("optimizer__")]:
            delattr(self, key)
        self.optimizer = OPTIMIZERS[name]
        self.lr = learning_rate
        self.optimizer__weight_decay = weight_decay
        for key, value in _fused_options(name, str(self.device)):
            setattr(self, f"optimizer__{key}", value)
        if getattr(self, "initialized_", False):
            self.initialize_optimizer()

    def restart_optimizer(self, learning_rate):
        """Start the optimizer afresh (no momentum or moment estimates) at ``learning_rate``.

        Parameters
        ----------
        learning_rate : float
            Step size.
        """
        self.lr = learning_rate
        self.initialize_optimizer()

    def use_criterion(self, criterion):
        """Train with ``criterion`` from now on (a continued fit's new label smoothing).

        Parameters
        ----------
        criterion : torch.nn.Module
            Loss with ``reduction="none"``.
        """
        self.criterion = self.criterion_ = criterion

    def reset_step_size(self):
        """Give every parameter group the net's step size ``lr`` again.

        A learning-rate schedule leaves its last, small rate in the
        optimizer; a later fit without one starts from ``lr``.
        """
        for group in self.optimizer_.param_groups:
            group["lr"] = self.lr

    def scale_learning_rate(self, factor):
        """Multiply the step size by ``factor`` and forget the optimizer's state.

        The optimizer object stays the same, so a learning-rate schedule
        bound to it (skorch's :class:`~skorch.callbacks.LRScheduler`) goes
        on, scaled by the same factor.

        Parameters
        ----------
        factor : float
            Positive factor.
        """
        optimizer = self.optimizer_
        optimizer.state.clear()
        for group in optimizer.param_groups:
            for key in _GROUP_RATES:
                if isinstance(group.get(key), float | int):
                    group[key] = group[key] * factor
        for _, callback in self.callbacks_:
            scheduler = getattr(callback, "lr_scheduler_", None)
            if (
                isinstance(callback, LRScheduler)
                and getattr(scheduler, "optimizer", None) is optimizer
            ):
                for key in _SCHEDULER_RATES:
                    value = getattr(scheduler, key, None)
                    if isinstance(value, list):
                        setattr(scheduler, key, [rate * factor for rate in value])
                    elif isinstance(value, float | int):
                        setattr(scheduler, key, value * factor)
        self.lr = self.lr * factor

    def optimizer_settings(self):
        """The optimizer class, step size and ``optimizer__*`` arguments, to restore later.

        Returns
        -------
        settings : dict
        """
        return {
            key: value
            for key, value in vars(self).items()
            if key in ("optimizer", "lr") or key.startswith("optimizer__")
        }

    def restore_optimizer(self, settings, optimizer, state):
        """Put back the optimizer of :meth:`optimizer_settings` with its ``state_dict``.

        Parameters
        ----------
        settings : dict
            From :meth:`optimizer_settings`.
        optimizer : torch.optim.Optimizer
            The optimizer object in use when the settings were taken.
        state : dict
            Its ``state_dict()`` then.
        """
        # Only the optimizer__* arguments may be deleted: deleting "optimizer"
        # would make skorch forget its optimizer.
        for key in set(self.optimizer_settings()) - set(settings):
            delattr(self, key)
        for key, value in settings.items():
            setattr(self, key, value)
        if self.optimizer_ is not optimizer:  # the fit started a new optimizer
            self.initialize_optimizer()
        self.optimizer_.load_state_dict(state)

    def configure_fit(self, *, batch_size, valid_data, callbacks, verbose):
        """Set what one call to ``fit`` trains with.

        Parameters
        ----------
        batch_size : int
            Rows per mini-batch.
        valid_data : TrainingData or None
            Validation samples, scored after every epoch.
        callbacks : list of (str, skorch.callbacks.Callback)
            The fit's callbacks, in the order they run.
        verbose : int
            skorch's verbosity.
        """
        self.batch_size = batch_size
        self.train_split = predefined_split(valid_data) if valid_data is not None else None
        self.verbose = verbose
        self.callbacks = callbacks
        self.initialize_callbacks()

    def _set_training(self, training=True):
        # skorch calls this once per batch; switching modes walks every
        # submodule, so only do it when the mode actually changes.
        if self.module_.training != training:
            super()._set_training(training)

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        self.module_.set_dropout_generator(self.generator_)
        grad_enabled = torch.is_grad_enabled()
        try:
            # Multiply-adds per row of the largest layer: its weight count, of
            # one member for an ensemble. Counting every member put 8 members
            # of 256 units on two threads: 3x one network's time on idle cores
            # but 20x on shared ones, against 6x on one thread everywhere.
            work = self.batch_size * max(
                parameter[0].numel() if parameter.ndim == 3 else parameter.numel()
                for parameter in self.module_.parameters()
                if parameter.ndim > 1
            )
            with tf32_matmuls(self.device), fit_threads(self.device, work):
                return super().fit_loop(X, y, epochs=epochs, **fit_params)
        finally:
            # skorch ends a fit quietly on KeyboardInterrupt. One that lands just
            # after torch switched gradients off for a validation batch skips the
            # switch back, so restore the caller's autograd mode here.
            torch.set_grad_enabled(grad_enabled)
            self.module_.set_dropout_generator(None)

    def get_iterator(self, dataset, training=False):
        return BatchIterator(dataset, self.batch_size, shuffle=training, generator=self.generator_)

    def infer(self, x, **fit_params):
        """The module's raw outputs; an ensemble's members combined outside training.

        In training mode an ensemble's outputs are every member's, so that
        each member's own loss trains it. In evaluation mode (validation,
        prediction) they are those of the members' averaged prediction
        (:meth:`~sklearn_snn.nn.ensemble.SelfNormalizingEnsemble.combine`):
        the validation loss and score are those of what the estimator
        predicts.
        """
        raw = super().infer(x, **fit_params)
        return raw if self.module_.training else combined_outputs(self.module_, raw)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        target, weight = y_true
        if y_pred.ndim == 3:  # one output per member of an ensemble
            return members_loss(self.get_loss, y_pred, target, weight)
        per_sample = self.criterion_(y_pred, target)
        if per_sample.ndim > 1:
            per_sample = per_sample.mean(dim=1)
        return (per_sample * weight).sum() / weight.sum()

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None:
            return
        total = torch.zeros((), device=self.device)
        predictions = []
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            total += step["loss"].detach() * batch[1][1].sum()
            if not training and self.scorer is not None:
                predictions.append(step["y_pred"])
            self.notify("on_batch_end", batch=batch, training=training, **step)
        data = iterator.data
        self.history.record(prefix + "_loss", total.item() / data.total_weight)
        self.history.record(prefix + "_batch_count", len(iterator))
        if predictions:
            self.history.record(prefix + "_score", self._score(data, torch.cat(predictions)))

    def validation_score(self, data):
        """``scorer`` of the module's outputs on ``data`` in eval mode (no dropout).

        Parameters
        ----------
        data : TrainingData
            Samples to score.

        Returns
        -------
        score : float
            NaN if an output is not finite.
        """
        return self._score(data, self._evaluation_outputs(data))

    def evaluation_loss(self, data):
        """Training criterion of the module's outputs on ``data`` in eval mode.

        Without dropout, and for an ensemble the loss of the members' combined
        prediction: the loss of what the estimator predicts.

        Parameters
        ----------
        data : TrainingData
            Samples to score.

        Returns
        -------
        loss : float
            Weighted mean over the samples.
        """
        with torch.no_grad():
            return float(self.get_loss(self._evaluation_outputs(data), (data.y, data.weight)))

    def _evaluation_outputs(self, data):
        """The module's outputs on every sample of ``data``, in order, in eval mode."""
        with evaluation_mode(self.module_), torch.no_grad():
            return torch.cat([self.infer(X) for X, _ in self.get_iterator(data)])

    def _score(self, data, raw):
        raw = raw.float().cpu().numpy()
        if not np.isfinite(raw).all():
            return np.nan  # a diverged epoch; the divergence guard deals with it
        return self.scorer(data.y.cpu().numpy(), raw, data.weight.cpu().numpy().astype(np.float64))

    def __getstate__(self):
        state = super().__getstate__()
        generator = state.pop("generator_", None)
        if generator is not None:
            state["generator_state_"] = generator.get_state()
        return state

    def __setstate__(self, state):
        generator_state = state.pop("generator_state_", None)
        super().__setstate__(state)
        if generator_state is not None:
            self.generator_ = training_generator(self.seed, self.device)
            restore_generator(self.generator_, generator_state, self.seed)


@functools.cache
def _fused_options(name, device):
    """``(("fused", True),)`` where torch has a fused kernel for the optimizer.

    Fused Adam and AdamW update all parameters in one kernel, several times
    faster than the per-tensor loop on CPU; torch < 2.4 has no CPU version.
    """
    if name == "sgd":
        return ()
    parameter = torch.zeros(2, device=device, requires_grad=True)
    parameter.grad = torch.zeros_like(parameter)
    try:
        OPTIMIZERS[name]([parameter], fused=True).step()
    except (RuntimeError, TypeError, ValueError):
        return ()
    return (("fused", True),)
