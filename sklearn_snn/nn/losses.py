"""Per-sample classification losses with label smoothing."""

from torch import nn


class SmoothedBCEWithLogitsLoss(nn.Module):
    """Binary cross-entropy on logits against targets pulled towards 1/2.

    Each 0/1 target ``y`` becomes ``y * (1 - smoothing) + smoothing / 2``,
    as :class:`torch.nn.CrossEntropyLoss` smooths two classes.

    Parameters
    ----------
    smoothing : float
        Label smoothing in ``[0, 1)``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_snn.nn.losses import SmoothedBCEWithLogitsLoss
    >>> loss = SmoothedBCEWithLogitsLoss(0.2)
    >>> loss(torch.zeros(2, 1), torch.tensor([[0.0], [1.0]])).round(decimals=4)
    tensor([[0.6931],
            [0.6931]])
    """

    def __init__(self, smoothing):
        super().__init__()
        self.smoothing = smoothing

    def forward(self, logits, target):
        """Per-element loss, unreduced.

        Parameters
        ----------
        logits : torch.Tensor
            Raw outputs.
        target : torch.Tensor
            0/1 targets of the same shape.

        Returns
        -------
        loss : torch.Tensor
            Same shape as ``logits``.
        """
        smoothed = target * (1.0 - self.smoothing) + 0.5 * self.smoothing
        return nn.functional.binary_cross_entropy_with_logits(
            logits, smoothed.to(logits.dtype), reduction="none"
        )


def classification_loss(kind, smoothing):
    """The per-sample loss of a classifier: cross-entropy, or BCE per label.

    Parameters
    ----------
    kind : {"multiclass", "binary", "multilabel-indicator"}
        Type of the targets.
    smoothing : float
        Label smoothing in ``[0, 1)``.

    Returns
    -------
    criterion : torch.nn.Module
        With ``reduction="none"``; without smoothing, torch's own modules.

    Examples
    --------
    >>> from sklearn_snn.nn.losses import classification_loss
    >>> classification_loss("multiclass", 0.1)
    CrossEntropyLoss()
    """
    if kind == "multiclass":
        return nn.CrossEntropyLoss(reduction="none", label_smoothing=smoothing)
    if smoothing == 0:
        return nn.BCEWithLogitsLoss(reduction="none")
    return SmoothedBCEWithLogitsLoss(smoothing)
