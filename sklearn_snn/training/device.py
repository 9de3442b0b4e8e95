"""Device settings for the duration of a fit: which device, TF32 on CUDA, threads on the CPU."""

import contextlib
import threading

import torch

# Below this many multiply-adds in the largest layer per step, a second torch
# thread gains nothing on an idle machine and costs several times the fit time
# on a busy one (benchmarks/README.md, "Threads").
_ONE_THREAD_WORK = 2**23


def training_device(device):
    """The torch device that ``device="cpu"``, ``"cuda"`` or ``"auto"`` trains on.

    Parameters
    ----------
    device : {"cpu", "cuda", "auto"}
        The estimator's ``device``.

    Returns
    -------
    device : str
        ``"cpu"`` or ``"cuda"``.

    Raises
    ------
    ValueError
        For ``"cuda"`` where torch finds no CUDA device.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device='cuda' was requested but torch finds no CUDA device; "
            "use device='cpu' or device='auto'."
        )
    return device


# TF32 is a process-wide setting: fits that overlap (threads) share one saved
# value of the caller's, restored when the last of them ends.
_TF32_LOCK = threading.Lock()
_tf32_fits = {"count": 0, "previous": None}


@contextlib.contextmanager
def tf32_matmuls(device):
    """Let float32 matrix products on a CUDA ``device`` use TF32 tensor cores.

    Sets torch's ``torch.backends.cuda.matmul.fp32_precision`` to ``"tf32"``
    (``allow_tf32`` on torch versions before that setting) for the duration
    and restores the caller's setting afterwards, also on errors, and also
    when fits in several threads overlap: the last one to end restores it.
    TF32 keeps float32's range with a 10-bit mantissa in the products and
    float32 accumulation; on other devices nothing changes.
    """
    if torch.device(device).type != "cuda":
        yield
        return
    matmul = torch.backends.cuda.matmul
    name, value = (
        ("fp32_precision", "tf32") if hasattr(matmul, "fp32_precision") else ("allow_tf32", True)
    )
    with _TF32_LOCK:
        if _tf32_fits["count"] == 0:
            _tf32_fits["previous"] = getattr(matmul, name)
            setattr(matmul, name, value)
        _tf32_fits["count"] += 1
    try:
        yield
    finally:
        with _TF32_LOCK:
            _tf32_fits["count"] -= 1
            if _tf32_fits["count"] == 0:
                setattr(matmul, name, _tf32_fits["previous"])


@contextlib.contextmanager
def fit_threads(device, work):
    """Train with one torch thread where the steps are too small to share out.

    On the CPU, a step whose largest layer takes fewer than ``2**23``
    multiply-adds (``batch_size * fan_in * fan_out``, of one member for an
    ensemble; the defaults' hidden layers take ``256 * 128 * 128``) runs on one
    thread: as fast as on two on an idle
    machine, and several times faster when another process or a parallel
    search (``n_jobs``) shares the cores. Larger steps keep the caller's
    setting. torch's thread count is restored afterwards, also on errors;
    other threads that first use torch while the fit runs may take its one
    thread as their default (torch's setting is partly process-wide).

    Parameters
    ----------
    device : str or torch.device
        Training device; other devices than the CPU change nothing.
    work : int
        Multiply-adds of the largest layer in one step.

    Examples
    --------
    >>> import torch
    >>> from sklearn_snn.training.device import fit_threads
    >>> before = torch.get_num_threads()
    >>> with fit_threads("cpu", 64 * 256 * 256):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    previous = torch.get_num_threads()
    if torch.device(device).type != "cpu" or work >= _ONE_THREAD_WORK or previous == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
