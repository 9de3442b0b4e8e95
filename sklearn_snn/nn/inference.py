"""Inference in float64 on a copy made once per fit, in chunks of bounded memory."""

import copy

import numpy as np
import scipy.sparse as sp
import torch

from .ensemble import combined_outputs
from .input_shaping import shape_inputs

_CHUNK_ROWS = 16384
_CHUNK_BYTES = 32 * 2**20  # of float64 values; wide (sparse) data gets fewer rows


def chunk_rows(n_features, most=_CHUNK_ROWS):
    """Rows per chunk: at most ``most``, and about 32 MiB of float64 values.

    Parameters
    ----------
    n_features : int
        Columns of the data.
    most : int, default=16384
        Largest number of rows.

    Returns
    -------
    n_rows : int
        At least 1.

    Examples
    --------
    >>> from sklearn_snn.nn.inference import chunk_rows
    >>> chunk_rows(20), chunk_rows(50_000)
    (16384, 83)
    """
    return max(1, min(most, _CHUNK_BYTES // (8 * max(n_features, 1))))


def prediction_rows(module, n_inputs):
    """Rows per prediction chunk: about 32 MiB of the widest float64 activations.

    The widest of the network's inputs (``n_inputs``) and its layers' outputs,
    of all members for an ensemble, sets the size: a chunk of 16,384 rows
    through four members of 1,024 units would otherwise hold 512 MiB a layer.

    Parameters
    ----------
    module : torch.nn.Module
        The network (or ensemble) that predicts.
    n_inputs : int
        Columns the network sees.

    Returns
    -------
    n_rows : int
        At least 1.

    Examples
    --------
    >>> from sklearn_snn import SelfNormalizingNetwork
    >>> from sklearn_snn.nn.inference import prediction_rows
    >>> prediction_rows(SelfNormalizingNetwork(10, 1, n_units=1024), 10)
    4096
    """
    widths = [m.out_features for m in module.modules() if hasattr(m, "out_features")]
    layer = max(widths, default=0) * getattr(module, "n_members", 1)
    return chunk_rows(max(n_inputs, layer))


class InferenceCopy:
    """A float64, eval-mode copy of a trained module, made once per fit.

    Inference in float64 makes each row's output independent of which other
    rows share its chunk, beyond float64 rounding (about 1e-15). The copy is
    made when the fit ends, not per call; :meth:`module` notices when the
    trained module's parameters were changed since (loaded weights, an
    optimizer step, a move to another device; not submodules swapped for
    others) and then answers with a fresh copy for that call. The copy is
    only read, so threads can predict concurrently.

    Parameters
    ----------
    source : torch.nn.Module
        The trained module (float32), with a ``set_dropout_generator`` method.

    Examples
    --------
    >>> import torch
    >>> from sklearn_snn import SelfNormalizingNetwork
    >>> from sklearn_snn.nn.inference import InferenceCopy
    >>> net = SelfNormalizingNetwork(3, 1, n_layers=1, n_units=4)
    >>> copy = InferenceCopy(net)
    >>> copy.module() is copy.module(), next(copy.module().parameters()).dtype
    (True, torch.float64)
    >>> with torch.no_grad():
    ...     net.output.bias.fill_(1.0)
    Parameter containing:
    tensor([1.], requires_grad=True)
    >>> copy.module() is copy.module()
    False
    """

    def __init__(self, source):
        self.source = source
        self._parameters = list(source.parameters())
        self._copy = _float64_copy(source)
        self._fingerprint = _fingerprint(self._parameters)

    def module(self):
        """The float64 module that computes the trained module's outputs now."""
        if _fingerprint(self._parameters) == self._fingerprint:
            return self._copy
        return _float64_copy(self.source)

    def __getstate__(self):
        raise TypeError("InferenceCopy is rebuilt from the trained module, not pickled.")


def predict_raw(module, X, mean, scale, clip=None, features=None):
    """Raw network outputs in float64, computed in large chunks.

    Parameters
    ----------
    module : torch.nn.Module
        Float64 network in eval mode (:meth:`InferenceCopy.module`).
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Validated input data.
    mean, scale : ndarray of shape (n_features,)
        Standardization learned in ``fit``.
    clip : tuple or None, default=None
        Smooth clipping learned in ``fit``, as
        :func:`~sklearn_snn.nn.input_shaping.shape_inputs` takes it.
    features : callable or None, default=None
        Applied to each chunk of ``X`` first (the spline features learned in
        ``fit``), so that wide derived features never exist for all rows at once.

    Returns
    -------
    raw : ndarray of shape (n_samples, n_outputs)
        Float64 outputs; an ensemble's members combined
        (:func:`~sklearn_snn.nn.ensemble.combined_outputs`).
    """
    device = next(module.parameters()).device
    outputs = []
    with torch.inference_mode():
        step = prediction_rows(module, max(X.shape[1], np.size(mean)))
        for start in range(0, X.shape[0], step):
            chunk = X[start : start + step]
            if features is not None:
                chunk = features(chunk)
            if sp.issparse(chunk):
                chunk = chunk.toarray()
            chunk = shape_inputs(chunk, mean, scale, clip)
            raw = module(torch.from_numpy(chunk).to(device))
            outputs.append(combined_outputs(module, raw).cpu().numpy())
    if not outputs:
        return np.empty((0, module.output.out_features))
    return np.concatenate(outputs)


def _float64_copy(module):
    clone = copy.deepcopy(module)
    clone.set_dropout_generator(None)
    return clone.double().eval().requires_grad_(False)


def _fingerprint(parameters):
    """Changes whenever a parameter is written to or moved to other memory."""
    return [(p._version, p.data_ptr()) for p in parameters]
