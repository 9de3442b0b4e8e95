"""Label-smoothed losses: the binary one agrees with torch's smoothed cross-entropy."""

import pytest
import torch

from sklearn_snn.nn.losses import SmoothedBCEWithLogitsLoss, classification_loss


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.5])
def test_binary_smoothing_is_two_class_cross_entropy_smoothing(smoothing):
    # A logit z is the two-class logits (0, z); torch smooths those towards 1/2 each.
    z = torch.linspace(-6, 6, 25, dtype=torch.float64)
    y = (torch.arange(25) % 2).to(torch.float64)
    binary = SmoothedBCEWithLogitsLoss(smoothing)(z[:, None], y[:, None])[:, 0]
    two_class = torch.nn.CrossEntropyLoss(reduction="none", label_smoothing=smoothing)(
        torch.stack([torch.zeros_like(z), z], dim=1), y.long()
    )
    torch.testing.assert_close(binary, two_class, rtol=1e-12, atol=1e-12)


def test_losses_by_kind():
    assert classification_loss("multiclass", 0.2).label_smoothing == 0.2
    assert type(classification_loss("binary", 0.0)) is torch.nn.BCEWithLogitsLoss
    assert classification_loss("multilabel-indicator", 0.3).smoothing == 0.3
