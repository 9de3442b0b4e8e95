"""The accuracy benchmark's search spaces and the seeded draw of a search's candidates.

Every searched model draws ``n_iter`` distinct configurations: first the estimator's
own defaults, then seeded draws from its space. The sklearn-snn space has two parts
drawn with equal weight: the SNN paper's grid for plain SGD (Klambauer et al. 2017,
their UCI protocol: 100 epochs) and Adam with the knobs of the newer recipe, each knob
searched only where the installed estimator has it and accepts its values.

A helper of ``bench_accuracy.py``, not part of the package.
"""

from typing import NamedTuple

import numpy as np
from sklearn.base import is_classifier


class Weighted(NamedTuple):
    """Values drawn with the given relative weights (a plain list draws uniformly)."""

    values: list
    weights: list


# The paper's grid (Klambauer et al. 2017, UCI: plain SGD, 100 epochs). Depth 32 and
# width 1024 are rare (P = 1/13 and 1/7), so that a search of 12 candidates costs about
# 6 default fits (magic, 8000 rows: 492 s against 77 s) rather than hours.
PAPER_SGD = {
    "optimizer": ["sgd"],
    "learning_rate": [0.01, 0.1, 1.0],
    "n_layers": Weighted([2, 3, 4, 8, 16, 32], [3, 3, 3, 2, 1, 1]),
    "n_units": Weighted([256, 512, 1024], [4, 2, 1]),
    "dropout": [0.0, 0.05],
    "shape": ["rectangular", "conic"],
    "max_iter": [100],
}
# The paper's network around that grid: one network, plain cross-entropy, plain
# standardization; set where the estimator has these parameters, whatever its defaults.
PAPER_NETWORK = {"n_ensemble": 1, "label_smoothing": 0.0, "standardize": True}
ADAM = {
    "optimizer": ["adam"],
    "learning_rate": [1e-4, 3e-4, 1e-3],
    "n_layers": [2, 3, 4, 6, 8],
    "n_units": [128, 256, 512],
    "dropout": [0.0, 0.05],
    "shape": ["rectangular", "conic"],
}
# The newer recipe's knobs, searched with Adam where the estimator has them.
RECIPE = {
    "standardize": [True, "smooth_clip"],
    "learning_rate_schedule": ["constant", "one_cycle"],
    "label_smoothing": [0.0, 0.1],
    "n_ensemble": Weighted([1, 4, 8], [2, 1, 1]),
}
QUICK_SGD = dict(PAPER_SGD, n_layers=[2, 3, 4, 8], n_units=Weighted([256, 512], [2, 1]))
QUICK_SGD["max_iter"] = [50]
QUICK_ADAM = dict(ADAM, n_layers=[2, 3, 4], n_units=[128, 256])
MLP_SPACE = {
    "hidden_layer_sizes": [(100,), (256,), (128, 128), (256, 256), (256, 256, 256)],
    "alpha": [1e-5, 1e-4, 1e-3, 1e-2],
    "learning_rate_init": [3e-4, 1e-3, 3e-3],
}
SVM_SPACE = {
    "C": [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0],
    "gamma": ["scale", 0.001, 0.003, 0.01, 0.03, 0.1, 0.3],
}
FOREST_SPACE = {
    "max_features": ["sqrt", "log2", 0.25, 0.5, 0.75, 1.0],
    "min_samples_leaf": [1, 2, 4, 8, 16],
}
BOOSTING_SPACE = {
    "learning_rate": [0.03, 0.1, 0.3],
    "max_leaf_nodes": [15, 31, 63, 127],
    "min_samples_leaf": [5, 20, 50],
    "l2_regularization": [0.0, 0.1, 1.0],
}


def accepted_values(estimator, name, values):
    """The ``values`` of parameter ``name`` that ``estimator`` has and accepts.

    Parameters
    ----------
    estimator : estimator instance
        Checked with its own parameter validation.
    name : str
        A constructor parameter, perhaps one the installed version lacks.
    values : list
        Candidate values.

    Returns
    -------
    values : list
        Those the estimator accepts; empty when it has no such parameter.
    """
    if name not in estimator.get_params():
        return []
    accepted = []
    for value in values:
        try:
            estimator.set_params(**{name: value})._validate_params()
        except (ValueError, TypeError):
            continue
        accepted.append(value)
    return accepted


def snn_space(estimator, quick=False):
    """The sklearn-snn search space: the paper's SGD grid and Adam with the recipe.

    Parameters
    ----------
    estimator : SNNClassifier or SNNRegressor
        The estimator to search; knobs of the recipe it lacks (or values it
        refuses) are left out, and a knob with fewer than two accepted values
        is not searched.
    quick : bool, default=False
        The smaller space of ``--quick``.

    Returns
    -------
    space : list of (float, dict)
        Parts drawn with equal weight: the SGD grid on the paper's single
        network (``PAPER_NETWORK``, where the estimator has those parameters),
        then Adam.
    """
    estimator = estimator.__class__()
    sgd = dict(QUICK_SGD if quick else PAPER_SGD)
    for name, value in PAPER_NETWORK.items():
        if accepted_values(estimator, name, [value]):
            sgd[name] = [value]
    adam = dict(QUICK_ADAM if quick else ADAM)
    for name, values in RECIPE.items():
        if name == "label_smoothing" and not is_classifier(estimator):
            continue
        plain = values.values if isinstance(values, Weighted) else values
        kept = accepted_values(estimator, name, plain)
        if len(kept) < 2:
            continue
        if isinstance(values, Weighted):
            weights = [w for v, w in zip(values.values, values.weights, strict=True) if v in kept]
            kept = Weighted(kept, weights)
        adam[name] = kept
    return [(0.5, sgd), (0.5, adam)]


def _draw(values, rng):
    if isinstance(values, Weighted):
        p = np.asarray(values.weights, dtype=float)
        return values.values[rng.choice(len(values.values), p=p / p.sum())]
    return values[rng.integers(len(values))]


def sample_candidates(space, n_iter, seed, first=None):
    """``n_iter`` distinct configurations: ``first``, then seeded draws from ``space``.

    Parameters
    ----------
    space : dict or list of (float, dict)
        Parameter name to a list (uniform) or :class:`Weighted` values; a list
        of weighted parts draws the part first.
    n_iter : int
        Number of configurations, ``first`` included; fewer when the space
        holds fewer distinct ones.
    seed : int
        Seed of the draws (the outer fold's).
    first : dict, optional
        The configuration tried first (the estimator's defaults).

    Returns
    -------
    candidates : list of dict
    """
    parts = [(1.0, space)] if isinstance(space, dict) else list(space)
    weights = np.array([w for w, _ in parts], dtype=float)
    rng = np.random.default_rng(seed)
    candidates = [dict(first)] if first is not None else []
    for _ in range(100 * n_iter):
        if len(candidates) >= n_iter:
            break
        part = parts[rng.choice(len(parts), p=weights / weights.sum())][1]
        # Written out in full, so that a draw equal to the defaults is a repetition.
        candidate = {**(first or {}), **{name: _draw(v, rng) for name, v in part.items()}}
        if candidate not in candidates:
            candidates.append(candidate)
    return candidates[:n_iter]


def defaults_of(estimator, space):
    """The estimator's own values of every parameter that ``space`` searches.

    Parameters
    ----------
    estimator : estimator instance
        Its ``get_params()`` gives the values.
    space : dict or list of (float, dict)
        A space as :func:`sample_candidates` takes it.

    Returns
    -------
    defaults : dict
        The first candidate of every search.
    """
    parts = [space] if isinstance(space, dict) else [part for _, part in space]
    names = {name for part in parts for name in part}
    params = estimator.get_params()
    return {name: params[name] for name in sorted(names)}
