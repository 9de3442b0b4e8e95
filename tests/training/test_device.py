"""Device settings for the duration of a fit: TF32 on CUDA, threads on the CPU."""

import threading
import types

import pytest
import torch

from sklearn_snn import SNNClassifier
from sklearn_snn.training.device import fit_threads, tf32_matmuls
from sklearn_snn.training.net import TensorBatchNet


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


def test_tf32_setting_restored_when_fits_in_threads_overlap(matmul_precision):
    # Fit a starts, fit b starts, a ends, b ends: b must not restore the "tf32"
    # that it found set by a.
    matmul_precision.fp32_precision = "ieee"
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def fit_a():
        with tf32_matmuls("cuda"):
            a_in.set()
            b_in.wait(timeout=10)
        a_out.set()

    def fit_b():
        a_in.wait(timeout=10)
        with tf32_matmuls("cuda"):
            b_in.set()
            a_out.wait(timeout=10)
            assert matmul_precision.fp32_precision == "tf32"  # b still training

    threads = [threading.Thread(target=fit) for fit in (fit_a, fit_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert matmul_precision.fp32_precision == "ieee"


def test_tf32_through_allow_tf32_where_torch_lacks_fp32_precision(monkeypatch):
    # torch before the per-backend precision API has only allow_tf32.
    legacy = types.SimpleNamespace(allow_tf32=False)
    monkeypatch.setattr(torch.backends.cuda, "matmul", legacy)
    with tf32_matmuls("cuda"):
        assert legacy.allow_tf32 is True
    assert legacy.allow_tf32 is False


@pytest.mark.usefixtures("quiet_convergence")
def test_cpu_training_leaves_the_matmul_setting_alone(
    matmul_precision, matmul_precision_per_epoch, classification_data, small_params
):
    matmul_precision.fp32_precision = "ieee"
    SNNClassifier(**small_params).fit(*classification_data)
    assert matmul_precision_per_epoch and set(matmul_precision_per_epoch) == {"ieee"}
    assert matmul_precision.fp32_precision == "ieee"


@pytest.fixture
def two_threads():
    """torch at 2 threads for the test, the caller's setting restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def threads_per_epoch(monkeypatch):
    """torch's thread count at the start of every training epoch."""
    seen = []
    original = TensorBatchNet.run_single_epoch

    def recording(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(TensorBatchNet, "run_single_epoch", recording)
    return seen


@pytest.mark.usefixtures("two_threads", "quiet_convergence")
@pytest.mark.parametrize(
    ("n_units", "batch_size", "n_ensemble", "threads"),
    [
        (32, 64, 1, 1),
        (256, 64, 1, 1),
        (512, 64, 1, 2),
        (256, 256, 1, 2),
        (256, 64, 4, 1),
        (512, 64, 4, 2),
    ],
)
def test_small_steps_train_on_one_thread(
    threads_per_epoch, classification_data, small_params, n_units, batch_size, n_ensemble, threads
):
    # 2**23 multiply-adds per step in the largest layer is the line: 256 units at
    # batches of 64 (4.2M) stay below it, 512 at 64 and 256 at 256 (16.8M) above.
    # An ensemble counts one member's layer: on shared cores two threads made
    # eight members 20x slower than one network, one thread 6x.
    params = dict(small_params, n_units=n_units, batch_size=batch_size, max_iter=2)
    params["n_ensemble"] = n_ensemble
    SNNClassifier(**params).fit(*classification_data)
    assert threads_per_epoch and set(threads_per_epoch) == {threads}
    assert torch.get_num_threads() == 2


@pytest.mark.usefixtures("two_threads")
def test_thread_count_restored_after_an_error_and_left_alone_elsewhere():
    with pytest.raises(KeyboardInterrupt), fit_threads("cpu", 100):
        assert torch.get_num_threads() == 1
        raise KeyboardInterrupt
    assert torch.get_num_threads() == 2
    with fit_threads("cuda", 100):  # the CPU threads do not run the steps there
        assert torch.get_num_threads() == 2
    with fit_threads("cpu", 2**23):
        assert torch.get_num_threads() == 2
