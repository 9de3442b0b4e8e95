"""Smooth clipping of standardized inputs, so that heavy tails stay within a few units.

A standardized feature with heavy tails, or a test row far outside the
training range, can reach hundreds of standard deviations and drive a SELU
network far from its fixed point. ``standardize="smooth_clip"`` passes the
standardized numeric features through ``x / sqrt(1 + (x / c)^2)``, which is
the identity near 0 and tends to ``±c`` (as RealMLP-TD does, Holzmüller et
al. 2024).
"""

import numpy as np

CLIP_BOUND = 3.0
# Beyond this many bounds from the centre the clipped value is ``±bound`` to the
# last float32 and float64 digit; the square of the deviation would overflow.
SATURATION = 1e8


def smooth_clip(values, center, bound):
    """``center + d / sqrt(1 + (d / bound)^2)`` for ``d = values - center``.

    Parameters
    ----------
    values : ndarray
        Values to clip.
    center : float
        Value around which the clipping is symmetric.
    bound : float
        The clipped values stay within ``center ± bound``.

    Returns
    -------
    clipped : ndarray
        Same shape as ``values``; about ``values`` within a third of
        ``bound`` from ``center``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_snn.nn.input_shaping import smooth_clip
    >>> smooth_clip(np.array([0.0, 1.0, 3.0, 1e6, -1e300]), 0.0, 3.0).round(4).tolist()
    [0.0, 0.9487, 2.1213, 3.0, -3.0]
    """
    limit = SATURATION * bound
    deviation = np.clip(values - center, -limit, limit)  # no overflow in the square
    return center + deviation / np.sqrt(1.0 + (deviation / bound) ** 2)


def shape_inputs(X, mean, scale, clip=None):
    """``(X - mean) / scale``, then the clipping of ``clip`` if any.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Dense input data.
    mean, scale : ndarray of shape (n_features,)
        Standardization learned in ``fit``.
    clip : tuple of (float, ndarray of int, float, ndarray of int) or None, default=None
        ``(center, columns, bound, zero_one)``: the columns to clip with
        :func:`smooth_clip`, and the 0/1 columns, which are clamped to
        ``[0, 1]`` (their training values stay as they are; a test value
        beyond them is bounded); None for no clipping.

    Returns
    -------
    shaped : ndarray of shape (n_samples, n_features)
        Float64 inputs as the network sees them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_snn.nn.input_shaping import shape_inputs
    >>> X = np.array([[1.0, 1.0], [1000.0, 0.0], [0.0, -5.0]])
    >>> clip = (0.0, np.array([0]), 3.0, np.array([1]))
    >>> shape_inputs(X, np.zeros(2), np.ones(2), clip).round(3).tolist()
    [[0.949, 1.0], [3.0, 0.0], [0.0, 0.0]]
    """
    shaped = (np.asarray(X, dtype=np.float64) - mean) / scale
    if clip is not None:
        center, columns, bound, zero_one = clip
        shaped[:, columns] = smooth_clip(shaped[:, columns], center, bound)
        shaped[:, zero_one] = np.clip(shaped[:, zero_one], 0.0, 1.0)
    return shaped
