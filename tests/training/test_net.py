"""The skorch training loop's device settings."""

import pytest
import torch

from sklearn_snn import SNNClassifier
from sklearn_snn.training.net import tf32_matmuls


@pytest.fixture
def matmul_precision():
    """torch's CUDA matmul precision, restored after the test whatever it does."""
    matmul = torch.backends.cuda.matmul
    before = matmul.fp32_precision
    yield matmul
    matmul.fp32_precision = before


@pytest.mark.parametrize("device", ["cuda", "cuda:0", torch.device("cuda")])
def test_tf32_on_cuda_for_the_duration_only(matmul_precision, device):
    # The flag is a process setting; it can be set without a GPU.
    matmul_precision.fp32_precision = "ieee"
    with tf32_matmuls(device):
        assert matmul_precision.fp32_precision == "tf32"
    assert matmul_precision.fp32_precision == "ieee"


def test_tf32_setting_restored_after_an_error(matmul_precision):
    matmul_precision.fp32_precision = "ieee"
    with pytest.raises(KeyboardInterrupt), tf32_matmuls("cuda"):
        raise KeyboardInterrupt
    assert matmul_precision.fp32_precision == "ieee"


@pytest.mark.usefixtures("quiet_convergence")
def test_cpu_training_leaves_the_matmul_setting_alone(
    matmul_precision, matmul_precision_per_epoch, classification_data, small_params
):
    matmul_precision.fp32_precision = "ieee"
    SNNClassifier(**small_params).fit(*classification_data)
    assert matmul_precision_per_epoch and set(matmul_precision_per_epoch) == {"ieee"}
    assert matmul_precision.fp32_precision == "ieee"
