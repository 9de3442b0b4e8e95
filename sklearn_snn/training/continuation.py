"""What a continued fit (``warm_start``, ``partial_fit``) can and cannot change."""

import numpy as np
import torch

from .device import training_device

ARCHITECTURE = (
    "n_layers",
    "n_units",
    "shape",
    "dropout",
    "n_ensemble",
    "fixed_point",
    "standardize",
    "spline_knots",
)
OPTIMIZER_SETTINGS = ("optimizer", "learning_rate", "weight_decay")


def net_config(params):
    """The architecture and optimizer settings of ``params``, as ``_net_config`` keeps them.

    Parameters
    ----------
    params : dict
        The estimator's ``get_params()``.

    Returns
    -------
    config : dict
        The values of :data:`ARCHITECTURE` and :data:`OPTIMIZER_SETTINGS`.
    """
    return {name: params[name] for name in ARCHITECTURE + OPTIMIZER_SETTINGS}


def check_continuation(params, config, fitted_device):
    """Refuse parameters that a continued fit cannot honour; return new optimizer settings.

    Parameters
    ----------
    params : dict
        The estimator's ``get_params()`` now.
    config : dict
        The ``_net_config`` the network was built (or last continued) with.
    fitted_device : str or torch.device
        Where the fitted network lives.

    Returns
    -------
    settings : dict or None
        ``optimizer``, ``learning_rate`` and ``weight_decay`` when one of them
        changed (the optimizer is then started afresh), else None.

    Raises
    ------
    ValueError
        Naming every architecture parameter (or the device) that changed.
    """
    # Models saved before standardize, n_ensemble and spline_knots existed lack them.
    fitted = {"standardize": params["standardize"], "n_ensemble": 1, "spline_knots": None}
    fitted.update(config)
    changed = [
        f"{name}={params[name]!r} (fitted with {fitted[name]!r})"
        for name in ARCHITECTURE
        if _as_tuple(params[name]) != _as_tuple(fitted[name])
    ]
    # "auto" continues where the network lives: a model fitted without a GPU
    # goes on there on a machine that has one.
    device = fitted_device if params["device"] == "auto" else training_device(params["device"])
    if torch.device(device).type != torch.device(fitted_device).type:
        changed.append(f"device={params['device']!r} (fitted on {fitted_device!r})")
    if changed:
        raise ValueError(
            "warm_start and partial_fit continue the fitted network, so these "
            f"parameters cannot change: {', '.join(changed)}. Restore them, or fit "
            "a new network (warm_start=False and fit)."
        )
    settings = {name: params[name] for name in OPTIMIZER_SETTINGS}
    if any(settings[name] != config[name] for name in settings):
        return settings
    return None


def _as_tuple(value):
    """Lists, tuples and arrays compare equal as parameter values (``fixed_point``)."""
    return (
        tuple(np.ravel(value).tolist()) if isinstance(value, list | tuple | np.ndarray) else value
    )
