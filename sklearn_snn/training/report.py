"""What a finished fit reports: fitted attributes from the history, and warnings."""

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from skorch.history import History


def fit_report(
    net, *, epochs_before, epochs, partial, tol, prior_loss, recovered, train_data, valid_data
):
    """Fitted attributes and warnings of the fit that just trained ``net``.

    Parameters
    ----------
    net : TensorBatchNet
        The net after training, with the fit's callbacks.
    epochs_before : int
        Epochs in the history before this fit.
    epochs : int
        Epochs this fit was asked for.
    partial : bool
        Whether the fit was a ``partial_fit`` call (no stopping rule).
    tol : float
        The estimator's ``tol``, for the messages.
    prior_loss : float
        Loss of predicting the target's prior on the training samples.
    recovered : bool
        Whether the weights training ended with were replaced by the
        divergence guard's final check.
    train_data : TrainingData
        Training samples, to judge the kept weights without dropout where
        the last epoch's loss does not beat the prior's.
    valid_data : TrainingData or None
        Validation samples (early stopping).

    Returns
    -------
    attributes : dict
        ``n_iter_``, ``loss_curve_``, ``best_loss_``, ``validation_scores_``
        and ``best_validation_score_``.
    messages : list of (str, Warning subclass)
        Warnings to issue once the fit is kept.
    """
    history = net.history
    # An epoch is finished when its training loss and, with a validation
    # split, its validation loss and score are recorded.
    keys = ["train_loss"] + (["valid_loss", "valid_score"] if valid_data is not None else [])
    interrupted = len(history) > epochs_before and not all(k in history[-1] for k in keys)
    if interrupted:
        unfinished = history.pop()  # the epoch that did not finish
        if unfinished.get("diverged") and len(history) > epochs_before:
            history.record("diverged", True)  # the guard's mark stays with this fit
    this_fit = History(history[epochs_before:])
    loss_curve = [float(v) for v in history[:, "train_loss"]] if history else []
    attributes = {
        "n_iter_": len(history),
        "loss_curve_": loss_curve,
        "best_loss_": min(filter(np.isfinite, loss_curve), default=None),
        "validation_scores_": None,
        "best_validation_score_": None,
    }
    callbacks = dict(net.callbacks_)
    stopper, guard = callbacks.get("stopper"), callbacks["divergence_guard"]
    selector = callbacks.get("best_epoch", stopper)
    scheduled = "lr_scheduler" in callbacks
    validation = valid_data is not None
    if validation and this_fit:
        scores = [float(v) for v in this_fit[:, "valid_score"]]
        # The epoch whose weights were kept: the last one that lowered the
        # validation loss by more than tol, or with a schedule the last one
        # within tol of the lowest.
        epoch_numbers = list(this_fit[:, "epoch"])
        best_epoch = (
            epoch_numbers.index(selector.best_epoch_)
            if selector.best_epoch_ in epoch_numbers
            else int(np.argmin(this_fit[:, "valid_loss"]))
        )
        attributes["validation_scores_"] = scores
        attributes["best_validation_score_"] = scores[best_epoch]
        attributes["best_loss_"] = None
        if recovered:
            # The epoch early stopping chose was replaced: score what is kept.
            attributes["best_validation_score_"] = float(net.validation_score(valid_data))
    messages = []
    stopped = stopper is not None and stopper.misses_ >= stopper.patience
    if interrupted or (len(this_fit) < epochs and not stopped):
        best = getattr(selector, "best_epoch_", None) if validation else None
        if recovered:
            kept = (
                "the weights reached had diverged, so the estimator keeps those "
                "the best epoch began with."
            )
        elif this_fit and best in list(this_fit[:, "epoch"]):
            # Early stopping restores the epoch it selected, also on an interrupt.
            kept = (
                f"the estimator keeps the weights of epoch {best}, the best by the validation loss."
            )
        else:
            kept = "the estimator keeps the weights reached so far."
        messages.append(
            (
                f"Training was interrupted after {len(this_fit)} of {epochs} epochs; {kept}",
                UserWarning,
            )
        )
    elif stopper is not None and len(this_fit) == epochs and not stopped and not scheduled:
        # With a schedule, max_iter is the planned budget, not a limit hit.
        messages.append((_not_converged(stopper, epochs, validation, tol), ConvergenceWarning))
    if guard.recoveries_:
        messages.append(
            (
                f"Training diverged {len(guard.recoveries_)} time(s); the best weights were "
                f"restored and the learning rate lowered from {guard.recoveries_[0][1]:.3g} "
                f"to {guard.recoveries_[-1][2]:.3g}. Pass a smaller learning_rate.",
                ConvergenceWarning,
            )
        )
    # The last epoch's loss carries dropout noise: the kept weights are judged without it.
    if (
        not partial
        and this_fit
        and loss_curve[-1] >= prior_loss > 0
        and (reached := net.evaluation_loss(train_data)) >= prior_loss
    ):
        messages.append(
            (
                f"The training loss ({reached:.4g}) is no better than that of "
                f"predicting the prior ({prior_loss:.4g}): the network learned nothing. "
                "Try another learning_rate or more epochs.",
                ConvergenceWarning,
            )
        )
    return attributes, messages


def _not_converged(stopper, epochs, validation, tol):
    monitored = "validation" if validation else "training"
    if epochs > stopper.patience:
        reason = (
            f"the {monitored} loss fell by more than tol={tol:g} within "
            f"the last {stopper.patience} epochs"
        )
    else:
        reason = (
            f"max_iter={epochs} epochs are not more than "
            f"n_iter_no_change={stopper.patience}, so the {monitored} loss "
            "could not be seen to stall"
        )
    kept = " The best epoch's weights are kept." if validation else ""
    return (
        f"Maximum iterations ({epochs}) reached and the optimization "
        f"hasn't converged yet: {reason}.{kept} Raise max_iter to train longer."
    )
