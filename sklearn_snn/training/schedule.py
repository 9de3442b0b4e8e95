"""The learning-rate schedule of a fit: torch's one-cycle policy through skorch's LRScheduler."""

from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import OneCycleLR

SCHEDULES = ("constant", "one_cycle")
# Share of the steps spent warming up from learning_rate / 25 to learning_rate,
# and the fewest steps of a warm-up: torch's policy divides by the warm-up's
# width in steps less one, so a one-step warm-up would divide by zero.
_WARMUP_SHARE = 0.1
_MIN_WARMUP_STEPS = 2


def schedule_callback(schedule, learning_rate, total_steps):
    """The skorch callback that runs ``schedule`` over one fit, or None.

    ``"one_cycle"`` is torch's :class:`~torch.optim.lr_scheduler.OneCycleLR`
    stepped after every training batch: a half-cosine warm-up over the first 10%
    of the steps (at least two) from ``learning_rate / 25`` to ``learning_rate``, then a
    cosine decay to ``learning_rate / 2.5e5`` at the last step. The
    optimizer's momentum is left alone. The schedule starts afresh with each
    call to ``fit`` (also a ``warm_start`` one), from the step size the net
    has then.

    Parameters
    ----------
    schedule : {"constant", "one_cycle"}
        The estimator's ``learning_rate_schedule``.
    learning_rate : float
        Peak step size.
    total_steps : int
        Training batches of the fit (epochs times batches per epoch).

    Returns
    -------
    callback : skorch.callbacks.LRScheduler or None
        None for ``"constant"``.

    Examples
    --------
    >>> from sklearn_snn.training.schedule import schedule_callback
    >>> schedule_callback("constant", 1e-3, 100) is None
    True
    >>> schedule_callback("one_cycle", 1e-3, 100).step_every
    'batch'
    """
    if schedule == "constant":
        return None
    if schedule != "one_cycle":
        raise ValueError(f"learning_rate_schedule must be one of {SCHEDULES}, got {schedule!r}.")
    total_steps = max(total_steps, _MIN_WARMUP_STEPS + 1)  # and at least one step of decay
    return LRScheduler(
        policy=OneCycleLR,
        step_every="batch",
        max_lr=learning_rate,
        total_steps=total_steps,
        pct_start=max(_WARMUP_SHARE, _MIN_WARMUP_STEPS / total_steps),
        anneal_strategy="cos",
        cycle_momentum=False,
        last_epoch=-1,  # a new cycle per fit, also when the history is not empty
    )
