"""The callbacks of a fit: divergence guard, schedule, early stopping, progress bar.

New training behaviour comes as a skorch callback that
:func:`fit_callbacks` wires from the estimator's parameters, not as a branch
inside the training loop.
"""

import math
from copy import deepcopy

import torch
from skorch.callbacks import Callback, EarlyStopping, PrintLog, ProgressBar

from ..nn.inference import chunk_rows
from ..nn.modes import evaluation_mode
from .best_epoch import BestEpoch
from .schedule import schedule_callback

_DIVERGENCE_FACTOR = 10.0
_LEARNING_RATE_FACTOR = 0.1


class TrainingDiverged(ValueError):
    """Training kept diverging after every allowed learning-rate reduction."""


class DivergenceGuard(Callback):
    """skorch callback that undoes epochs whose training loss diverged.

    An epoch diverged when its training loss is not finite, or exceeds
    ``10 * baseline_loss`` and so does the loss of its final weights without
    dropout (on up to 1,024 training rows), so that the noise of alpha
    dropout on a few rows is not taken for divergence. An epoch's loss is
    measured while its updates happen, so the weights training ends with
    are checked once more by :meth:`check_final_weights`. The estimators pass
    the largest of the loss of predicting the target's prior (class
    frequencies, or the mean target), the loss of the network as the fit
    starts, and 1. The guard then restores the weights with which the best
    epoch so far began (the weights the fit started with if no epoch was
    sound), divides the learning rate by 10 and clears the optimizer's state
    (a learning-rate schedule goes on, scaled by the same 1/10).
    After ``max_recoveries`` such steps it raises :class:`TrainingDiverged`.

    Parameters
    ----------
    baseline_loss : float
        Training loss that counts as sound.
    max_recoveries : int, default=4
        Learning-rate reductions allowed per call to ``fit``.
    """

    def __init__(self, baseline_loss, max_recoveries=4):
        self.baseline_loss = baseline_loss
        self.max_recoveries = max_recoveries

    def on_train_begin(self, net, **kwargs):
        self.recoveries_ = []
        self.best_loss_ = math.inf
        self.best_weights_ = deepcopy(net.module_.state_dict())

    def on_epoch_begin(self, net, **kwargs):
        self.epoch_start_weights_ = deepcopy(net.module_.state_dict())

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        # Every epoch records the key (as skorch's event keys do), so that the
        # verbose log keeps one set of columns; a recovery sets it to True.
        net.history.record("diverged", False)
        loss = net.history[-1, "train_loss"]
        if math.isfinite(loss) and loss <= self.bound:
            if loss < self.best_loss_:
                self.best_loss_ = loss
                self.best_weights_ = self.epoch_start_weights_
            return
        if math.isfinite(loss) and dataset_train is not None:
            # Alpha dropout on a few rows can make the loss measured during the
            # epoch noisy; the weights themselves may still be sound.
            if evaluation_loss(net, dataset_train) <= self.bound:
                return
        self._recover(net, loss, "training loss")

    def check_final_weights(self, net, data):
        """Recover, as for a diverged epoch, if the weights training ended with are broken.

        Call it after training, once early stopping has restored its best
        epoch: every epoch's loss was measured before its last update, and
        the epoch early stopping keeps was judged on validation data only.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net after training.
        data : TrainingData
            The training samples.

        Returns
        -------
        recovered : bool
            Whether the weights were broken and replaced.
        """
        loss = evaluation_loss(net, data)
        if loss <= self.bound:
            return False
        self._recover(net, loss, "loss of the final weights")
        return True

    @property
    def bound(self):
        """The loss above which training counts as diverged."""
        return _DIVERGENCE_FACTOR * self.baseline_loss

    def _recover(self, net, loss, what):
        if len(self.recoveries_) == self.max_recoveries:
            raise TrainingDiverged(
                f"Training diverged ({what} {loss:.4g} against a baseline of "
                f"{self.baseline_loss:.4g}, the loss of predicting the prior or of the "
                f"starting network) even after lowering the learning rate "
                f"{self.max_recoveries} times to {net.lr:.3g}. Use a much smaller "
                "learning_rate, or check the inputs and targets for extreme values."
            )
        net.module_.load_state_dict(self.best_weights_)
        old_lr = net.lr
        net.scale_learning_rate(_LEARNING_RATE_FACTOR)
        self.recoveries_.append((len(net.history), old_lr, net.lr))
        net.history.record("diverged", True)


def evaluation_loss(net, data, n_rows=1024):
    """Loss of ``net``'s module in eval mode (no dropout) on the first ``n_rows`` of ``data``.

    Non-finite values count as infinite.

    Parameters
    ----------
    net : skorch.NeuralNet
        Initialized net whose ``get_loss`` takes ``(target, weight)`` pairs.
    data : TrainingData
        Training samples.
    n_rows : int, default=1024
        Most rows to evaluate; fewer for data so wide that they would take
        more than 32 MiB as float64 values.

    Returns
    -------
    loss : float
        The weighted mean loss.
    """
    n_rows = chunk_rows(data.X.shape[1], most=n_rows)  # fewer for wide (sparse) data
    rows = torch.arange(min(len(data), n_rows), device=data.device)
    X, target = data.rows(rows)
    with evaluation_mode(net.module_) as module, torch.no_grad():
        loss = float(net.get_loss(module(X), target))
    return loss if math.isfinite(loss) else math.inf


class LoggedEarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping`` whose ``verbose`` log shows the epoch it stops on.

    skorch runs ``PrintLog`` after every other callback, so the
    ``KeyboardInterrupt`` that ends the fit would skip the last epoch's row.
    This stopper prints that row itself, before its message saying why it
    stopped.

    Parameters
    ----------
    **kwargs
        Those of :class:`skorch.callbacks.EarlyStopping`.
    """

    def on_epoch_end(self, net, **kwargs):
        self._held_messages = []
        try:
            self._judge_epoch(net, **kwargs)
        except KeyboardInterrupt:
            for _, callback in net.callbacks_:
                if isinstance(callback, PrintLog):
                    callback.on_epoch_end(net, **kwargs)
            raise
        finally:
            held, self._held_messages = self._held_messages, None
            for text, verbose in held:
                super()._sink(text, verbose)

    def _judge_epoch(self, net, **kwargs):
        super().on_epoch_end(net, **kwargs)

    def _sink(self, text, verbose):
        held = getattr(self, "_held_messages", None)
        if held is None:
            super()._sink(text, verbose)
        else:
            held.append((text, verbose))


class MarkedEarlyStopping(LoggedEarlyStopping):
    """Early stopping that also records ``<monitor>_best`` in the history.

    The epochs it counts as improvements (by more than its threshold) are
    marked, so that ``verbose`` logs highlight the epoch whose weights
    ``load_best`` restores, as they do for
    :class:`~sklearn_snn.training.best_epoch.BestEpoch`.

    Parameters
    ----------
    **kwargs
        Those of :class:`skorch.callbacks.EarlyStopping`.
    """

    def _judge_epoch(self, net, **kwargs):
        epoch = net.history[-1, "epoch"]
        try:
            super()._judge_epoch(net, **kwargs)
        finally:  # also on the epoch that stops the fit
            net.history.record(f"{self.monitor}_best", self.best_epoch_ == epoch)


def fit_callbacks(
    net,
    train_data,
    *,
    prior_loss,
    early_stopping,
    patience,
    tol,
    verbose,
    schedule="constant",
    total_steps=0,
):
    """The callbacks of one call to ``fit`` or ``partial_fit``, in the order they run.

    The divergence guard runs first: early stopping must not end training on
    a diverged epoch before the guard has restored sound weights. Its
    baseline is the largest of ``prior_loss``, the loss of the network as
    the fit starts (on up to 1,024 training rows; on a few rows a fresh
    network can start far above the prior's loss, and a continued fit on
    new data far above its previous loss) and 1. The learning-rate schedule
    comes next, so that a recovery scales the rates it goes on with.

    With a schedule, the validation loss selects the epoch to keep with
    :class:`~sklearn_snn.training.best_epoch.BestEpoch` (the later one on
    ties within ``tol``), since the epochs late in the decay are the ones
    the schedule is for; without one, skorch's ``EarlyStopping`` keeps the
    last epoch that lowered the validation loss by more than ``tol``.

    Parameters
    ----------
    net : TensorBatchNet
        The initialized net.
    train_data : TrainingData
        Training samples.
    prior_loss : float
        Loss of predicting the target's prior.
    early_stopping : {"validation", "training"} or None
        Stop on the validation loss and restore the best epoch, stop on the
        training loss, or train every epoch asked for (``partial_fit``).
    patience : int
        Epochs without improvement by ``tol`` before stopping.
    tol : float
        Smallest improvement that counts.
    verbose : int
        2 or more adds a progress bar.
    schedule : {"constant", "one_cycle"}, default="constant"
        Learning-rate schedule over the fit's batches
        (:func:`~sklearn_snn.training.schedule.schedule_callback`).
    total_steps : int, default=0
        Training batches of the fit, the span of the schedule.

    Returns
    -------
    callbacks : list of (str, skorch.callbacks.Callback)
        ``"divergence_guard"``, then ``"lr_scheduler"``, ``"best_epoch"``,
        ``"stopper"`` and ``"progress_bar"`` where they apply.
    """
    starting_loss = evaluation_loss(net, train_data)
    starting_loss = starting_loss if math.isfinite(starting_loss) else 0.0
    baseline = max(prior_loss, starting_loss, 1.0)
    callbacks = [("divergence_guard", DivergenceGuard(baseline))]
    scheduler = schedule_callback(schedule, net.lr, total_steps)
    if scheduler is not None:
        callbacks.append(("lr_scheduler", scheduler))
    if early_stopping is not None:
        validation = early_stopping == "validation"
        selecting = validation and scheduler is not None
        stopper = (LoggedEarlyStopping if selecting else MarkedEarlyStopping)(
            monitor="valid_loss" if validation else "train_loss",
            patience=patience,
            threshold=tol,
            threshold_mode="abs",
            load_best=validation and not selecting,
        )
        if selecting:  # before the stopper, which ends the epoch it stops on
            callbacks.append(("best_epoch", BestEpoch(tol)))
        callbacks.append(("stopper", stopper))
    if verbose >= 2:
        callbacks.append(("progress_bar", ProgressBar()))
    return callbacks
