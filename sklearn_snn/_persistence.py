"""The trained skorch net as plain numpy arrays and lists, and back.

Pickle, joblib and skops all store an estimator through this state: skops can
save numpy arrays without trusting any torch type, and a net trained on a GPU
loads where there is none.
"""

import numpy as np
import torch
from skorch.history import History


def net_state(net):
    """Everything needed to continue training ``net``, without torch objects.

    Parameters
    ----------
    net : TensorBatchNet
        An initialized net.

    Returns
    -------
    state : dict
        Seed, device, learning rate, module and optimizer state as numpy
        arrays, the history as a list of dicts and the generator state.
    """
    return {
        "seed": int(net.seed),
        "device": str(net.device),
        "lr": float(net.lr),
        "module": _to_numpy(dict(net.module_.state_dict())),
        "optimizer": _to_numpy(net.optimizer_.state_dict()),
        "history": [dict(epoch) for epoch in net.history],
        "generator": net.generator_.get_state().numpy(),
    }


def restore_net(net, state):
    """Load ``state`` from :func:`net_state` into a freshly built ``net``.

    Parameters
    ----------
    net : TensorBatchNet
        A net of the same architecture, initialized.
    state : dict
        The saved state.

    Returns
    -------
    net : TensorBatchNet
        ``net``, holding the saved weights, optimizer state and history.

    Raises
    ------
    ValueError
        If the saved weights do not fit ``net`` (a model saved by a version
        that built other layer widths).
    """
    try:
        net.module_.load_state_dict(_to_tensors(state["module"]))
    except RuntimeError as error:
        raise ValueError(
            "The saved weights do not fit the network this version of sklearn-snn "
            "builds for the model's parameters: the model was saved by another "
            "version. Load it with the sklearn-snn version that saved it.\n"
            f"{error}"
        ) from error
    net.lr = state["lr"]
    net.initialize_optimizer()
    optimizer = _to_tensors(state["optimizer"])
    # skops stores dict keys as strings; torch wants the integer parameter ids.
    optimizer["state"] = {int(key): value for key, value in optimizer["state"].items()}
    net.optimizer_.load_state_dict(optimizer)
    net.history_ = History(state["history"])
    try:
        net.generator_.set_state(torch.from_numpy(np.array(state["generator"])))
    except RuntimeError:
        # A CUDA generator's state does not fit a CPU generator.
        net.generator_.manual_seed(state["seed"])
    return net


def _to_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {key: _to_numpy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_numpy(item) for item in value)
    return value


def _to_tensors(value):
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, dict):
        return {key: _to_tensors(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_tensors(item) for item in value)
    return value
