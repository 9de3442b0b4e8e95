"""Seeds, random generators and the saved state of a trained net.

One ``random_state`` gives one seed per fit (:func:`draw_seed`). The seed
draws the initial weights (:func:`initialization_generator`) and, through a
second stream, the shuffling and dropout masks (:func:`training_generator`).

Pickle, joblib and skops all store an estimator through
:func:`saved_estimator_state` and :func:`net_state`: plain numpy arrays and
lists, which skops can save without trusting any torch type, and which load on
a machine without the GPU the net was trained on.
"""

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch.history import History

from .splines import SplineFeatures

# Parameters added after the first release, with the value that means "without it".
ADDED_PARAMETERS = {
    "n_ensemble": 1,
    "learning_rate_schedule": "constant",
    "label_smoothing": 0.0,
    "spline_knots": None,
}


def draw_seed(random_state):
    """The seed of one fit, drawn from ``random_state``.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        The estimator's ``random_state``.

    Returns
    -------
    seed : int
        In ``[0, 2**31 - 1)``.

    Examples
    --------
    >>> from sklearn_snn.training.state import draw_seed
    >>> draw_seed(0) == draw_seed(0)
    True
    """
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def initialization_generator(seed):
    """CPU generator of the initial weights of the fit with this seed.

    Parameters
    ----------
    seed : int
        Seed of the fit.

    Returns
    -------
    generator : torch.Generator
    """
    return torch.Generator().manual_seed(seed)


def training_generator(seed, device):
    """Generator of the shuffling and dropout masks of the fit with this seed.

    It lives on the training ``device`` and draws a stream apart from the
    initial weights'.

    Parameters
    ----------
    seed : int
        Seed of the fit.
    device : str or torch.device
        Training device.

    Returns
    -------
    generator : torch.Generator
    """
    generator = torch.Generator(device=device)
    generator.manual_seed(seed + 1)
    return generator


def restore_generator(generator, saved, seed):
    """Load a saved generator state, or reseed where it does not fit.

    A CUDA generator's state cannot be loaded into a CPU generator (a model
    trained on a GPU, loaded without one): the generator then starts the
    stream of ``seed`` again.

    Parameters
    ----------
    generator : torch.Generator
        The generator to set.
    saved : torch.Tensor or ndarray
        Its saved state.
    seed : int
        Seed of the fit the generator belongs to.
    """
    try:
        generator.set_state(torch.as_tensor(np.asarray(saved)))
    except RuntimeError:
        generator.manual_seed(seed + 1)


def saved_estimator_state(state):
    """An estimator's ``__getstate__`` with its net and spline features as plain arrays.

    Parameters
    ----------
    state : dict
        The estimator's attributes (not changed).

    Returns
    -------
    state : dict
        The attributes without ``net_`` and the inference copy, which become
        ``_net_state`` (:func:`net_state`), and with the spline features as
        ``_spline_state``.
    """
    state = dict(state)
    net = state.pop("net_", None)
    state.pop("_inference", None)
    splines = state.pop("_splines", None)
    if splines is not None:
        state["_spline_state"] = splines.state()
    if net is not None:
        state["_net_state"] = net_state(net)
    return state


def loaded_estimator_state(state, parameters):
    """The attributes of a saved estimator, and the state of its net.

    Parameters
    ----------
    state : dict
        From :func:`saved_estimator_state` (not changed).
    parameters : collection of str
        The estimator's parameter names. Those missing from a model saved
        before they existed get the value that means "without it".

    Returns
    -------
    attributes : dict
        For ``__setstate__``; the net is not among them. A smooth clipping
        saved before 0/1 columns were clamped clamps none.
    net : dict or None
        The saved net (:func:`net_state`), for :func:`restore_net`.
    """
    attributes = dict(state)
    net = attributes.pop("_net_state", None)
    splines = attributes.pop("_spline_state", None)
    if splines is not None:
        attributes["_splines"] = SplineFeatures(**splines)
    for name, value in ADDED_PARAMETERS.items():
        if name in parameters:
            attributes.setdefault(name, value)
    clip = attributes.get("_input_clip")
    if clip is not None and len(clip) == 3:  # saved before 0/1 columns were clamped
        attributes["_input_clip"] = (*clip, np.array([], dtype=np.intp))
    return attributes, net


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
    net.restart_optimizer(state["lr"])
    optimizer = _to_tensors(state["optimizer"])
    # skops stores dict keys as strings; torch wants the integer parameter ids.
    optimizer["state"] = {int(key): value for key, value in optimizer["state"].items()}
    net.optimizer_.load_state_dict(optimizer)
    net.history_ = History(state["history"])
    restore_generator(net.generator_, state["generator"], state["seed"])
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
