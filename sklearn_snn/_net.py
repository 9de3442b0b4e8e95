"""The skorch training loop, fed with whole-tensor batches."""

import contextlib

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import EpochTimer, PrintLog

from ._data import BatchIterator


class TensorBatchNet(NeuralNet):
    """skorch ``NeuralNet`` that trains on :class:`~sklearn_snn._data.TrainingData`.

    Batches are slices of tensors already on the training device, the loss is
    the sample-weighted mean of a per-sample criterion, and losses are summed
    on the device and read once per epoch. Randomness (shuffling and dropout)
    comes from a private generator seeded by ``seed``.

    Parameters
    ----------
    module : torch.nn.Module
        Initialized network with a ``set_dropout_generator`` method.
    criterion : torch.nn.Module
        Loss with ``reduction="none"``.
    seed : int
        Seed of the training generator.
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
        self.generator_ = torch.Generator(device=self.device)
        self.generator_.manual_seed(self.seed)
        return self

    def _set_training(self, training=True):
        # skorch calls this once per batch; switching modes walks every
        # submodule, so only do it when the mode actually changes.
        if self.module_.training != training:
            super()._set_training(training)

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        self.module_.set_dropout_generator(self.generator_)
        grad_enabled = torch.is_grad_enabled()
        try:
            with tf32_matmuls(self.device):
                return super().fit_loop(X, y, epochs=epochs, **fit_params)
        finally:
            # skorch ends a fit quietly on KeyboardInterrupt. One that lands just
            # after torch switched gradients off for a validation batch skips the
            # switch back, so restore the caller's autograd mode here.
            torch.set_grad_enabled(grad_enabled)
            self.module_.set_dropout_generator(None)

    def get_iterator(self, dataset, training=False):
        return BatchIterator(dataset, self.batch_size, shuffle=training, generator=self.generator_)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        target, weight = y_true
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
        module = self.module_
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                raw = torch.cat([module(X) for X, _ in self.get_iterator(data)])
        finally:
            module.train(was_training)
        return self._score(data, raw)

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
            self.generator_ = torch.Generator(device=self.device)
            try:
                self.generator_.set_state(generator_state)
            except RuntimeError:
                # A CUDA generator's state cannot be restored into a CPU one.
                self.generator_.manual_seed(self.seed)


@contextlib.contextmanager
def tf32_matmuls(device):
    """Let float32 matrix products on a CUDA ``device`` use TF32 tensor cores.

    Sets torch's ``torch.backends.cuda.matmul.fp32_precision`` to ``"tf32"``
    for the duration and restores the caller's setting afterwards, also on
    errors. TF32 keeps float32's range with a 10-bit mantissa in the products
    and float32 accumulation; on other devices nothing changes.
    """
    if torch.device(device).type != "cuda":
        yield
        return
    matmul = torch.backends.cuda.matmul
    previous = matmul.fp32_precision
    matmul.fp32_precision = "tf32"
    try:
        yield
    finally:
        matmul.fp32_precision = previous
