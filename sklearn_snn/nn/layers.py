"""Torch building blocks of a self-normalizing network."""

import functools
import math

import numpy as np
import torch
from torch import nn

from ..theory import SELU_ALPHA, SELU_LAMBDA, alpha_dropout_parameters

# Dropout masks compare uniform 16-bit integers with a threshold: a rate is rounded
# to a multiple of 2**-16, and one 64-bit draw of torch's generator serves four units.
_MASK_RESOLUTION = 2**16

# Dtypes in which elu_backward multiplies alpha and scale in the tensor's own
# precision, so that the fused step's dropped units get exactly zero gradient.
# Half precision computes that product in float32 on the CPU; it takes the
# unfused path.
_FUSED_DTYPES = (torch.float32, torch.float64)


@functools.lru_cache(maxsize=64)
def _saturation_fill(alpha, scale, dtype):
    """``-alpha * scale`` rounded as torch's ``elu_backward`` rounds it in ``dtype``.

    ``elu_backward`` from a saved output ``y <= 0`` returns
    ``grad * (y + alpha * scale)`` with the product taken in the tensor's
    dtype, so an output equal to this value gets a gradient of exactly zero.
    """
    product = torch.tensor(alpha, dtype=dtype) * torch.tensor(scale, dtype=dtype)
    return -product.item()


def _fill(tensor, mask, value):
    """Set ``tensor`` to ``value`` where ``mask`` is True, in place.

    On the CPU numpy does it, about twice as fast as ``masked_fill_`` on
    blocks of activations.
    """
    if tensor.device.type == "cpu" and not tensor.requires_grad:
        np.copyto(tensor.numpy(), value, where=mask.numpy())
    else:
        tensor.masked_fill_(mask, value)


class _SELUFunction(torch.autograd.Function):
    """SELU whose backward pass reads the saved output instead of recomputing exp."""

    @staticmethod
    def forward(ctx, x, alpha, lambda_):
        result = torch.ops.aten.elu(x, alpha, lambda_, 1.0)
        ctx.alpha, ctx.lambda_ = alpha, lambda_
        ctx.save_for_backward(result)
        return result

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        # selu'(x) = lambda_ for x > 0 and selu(x) + lambda_ * alpha otherwise.
        grad_x = torch.ops.aten.elu_backward(grad, ctx.alpha, ctx.lambda_, 1.0, True, result)
        return grad_x, None, None


class _SELUAlphaDropoutFunction(torch.autograd.Function):
    """``a * where(drop, saturation, selu(x)) + b`` as one autograd step.

    The activation is computed already scaled by ``a`` (``elu`` with scale
    ``a * lambda_``), and dropped units are set to ``a * saturation``, which
    is ``-alpha * scale``: the one output at which ``elu_backward`` gives a
    zero gradient. So the forward pass is one activation, one in-place fill
    and one add, and the backward pass one ``elu_backward`` on the saved
    output, with no mask.
    """

    @staticmethod
    def forward(ctx, x, drop, alpha, scale, b):
        scaled = torch.ops.aten.elu(x, alpha, scale, 1.0)  # a * selu(x)
        _fill(scaled, drop, _saturation_fill(alpha, scale, x.dtype))
        ctx.alpha, ctx.scale = alpha, scale
        ctx.save_for_backward(scaled)
        return scaled + b

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        (scaled,) = ctx.saved_tensors
        grad_x = torch.ops.aten.elu_backward(grad, ctx.alpha, ctx.scale, 1.0, True, scaled)
        return grad_x, None, None, None, None


class _AlphaDropoutFunction(torch.autograd.Function):
    """``a * where(drop, saturation, x) + b`` with the mask saved for backward."""

    @staticmethod
    def forward(ctx, x, drop, a, b, saturation):
        ctx.a = a
        ctx.save_for_backward(drop)
        return torch.where(drop, saturation, x).mul_(a).add_(b)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        (drop,) = ctx.saved_tensors
        return torch.where(drop, 0.0, grad).mul_(ctx.a), None, None, None, None


def _drop_mask(shape, rate, device, generator):
    """Boolean tensor of ``shape``, each entry True with probability ``rate``.

    Full-range 64-bit random integers are read as four uniform 16-bit ones. On
    the CPU, numpy compares them with the threshold: for blocks of this size
    several times faster than torch's comparison kernel.
    """
    n = math.prod(shape)
    threshold = round((1.0 - rate) * _MASK_RESOLUTION) - _MASK_RESOLUTION // 2
    threshold = min(threshold, _MASK_RESOLUTION // 2 - 1)  # int16; callers keep rate > 0
    words = torch.empty((n + 3) // 4, dtype=torch.int64, device=device)
    words.random_(-(2**63), None, generator=generator)
    if words.device.type == "cpu":
        return torch.from_numpy(words.numpy().view(np.int16)[:n] >= threshold).view(shape)
    return words.view(torch.int16)[:n].view(shape) >= threshold


class SELU(nn.Module):
    """Scaled exponential linear unit with configurable constants.

    ``selu(x) = lambda_ * x`` for ``x > 0`` and ``lambda_ * alpha * (exp(x) - 1)``
    otherwise.

    Parameters
    ----------
    alpha : float, default=SELU_ALPHA
        Negative saturation constant.
    lambda_ : float, default=SELU_LAMBDA
        Scale.

    Examples
    --------
    >>> import torch
    >>> from sklearn_snn.nn.layers import SELU
    >>> SELU()(torch.tensor([-10.0, 0.0, 1.0]))
    tensor([-1.7580,  0.0000,  1.0507])
    >>> SELU(alpha=2.0, lambda_=1.0)(torch.tensor([-10.0, 0.0, 1.0]))
    tensor([-1.9999,  0.0000,  1.0000])
    """

    def __init__(self, alpha=SELU_ALPHA, lambda_=SELU_LAMBDA):
        super().__init__()
        self.alpha = float(alpha)
        self.lambda_ = float(lambda_)

    def forward(self, x):
        """Apply the activation elementwise."""
        if torch.is_grad_enabled() and x.requires_grad:
            return _SELUFunction.apply(x, self.alpha, self.lambda_)
        return torch.ops.aten.elu(x, self.alpha, self.lambda_, 1.0)

    def extra_repr(self):
        return f"alpha={self.alpha:.6g}, lambda_={self.lambda_:.6g}"


class AlphaDropout(nn.Module):
    """Alpha dropout that keeps a chosen mean and variance.

    Dropped units are set to ``alpha_prime = -lambda_ * alpha`` and the result
    is mapped through the affine correction ``a * x + b`` from
    :func:`sklearn_snn.theory.alpha_dropout_parameters`. Random masks come from
    ``self.generator`` when it is set, so training can be repeatable without
    touching torch's global random state. A unit is kept when a uniform 16-bit
    random integer falls below a threshold, so the drop probability is
    ``rate`` rounded to a multiple of ``2**-16`` (and at least ``2**-16``).

    Parameters
    ----------
    rate : float
        Probability of dropping a unit.
    alpha : float, default=SELU_ALPHA
        SELU alpha.
    lambda_ : float, default=SELU_LAMBDA
        SELU scale.
    mean : float, default=0.0
        Mean of the activations to keep.
    var : float, default=1.0
        Variance of the activations to keep.

    Examples
    --------
    >>> import torch
    >>> from sklearn_snn.nn.layers import AlphaDropout
    >>> dropout = AlphaDropout(0.05)
    >>> dropout
    AlphaDropout(rate=0.05, a=0.954844, b=0.0839356)
    >>> dropout.generator = torch.Generator().manual_seed(0)
    >>> x = torch.randn(100_000, generator=torch.Generator().manual_seed(0))
    >>> y = dropout(x)  # a new module is in training mode
    >>> bool(abs(y.mean()) < 0.01), bool(abs(y.var() - 1.0) < 0.01)
    (True, True)
    >>> torch.equal(dropout.eval()(x), x)
    True
    """

    def __init__(self, rate, alpha=SELU_ALPHA, lambda_=SELU_LAMBDA, mean=0.0, var=1.0):
        super().__init__()
        self.rate = float(rate)
        self.saturation = -float(lambda_) * float(alpha)
        self.a, self.b = alpha_dropout_parameters(
            self.rate, mean=mean, var=var, alpha=alpha, lambda_=lambda_
        )
        self.generator = None

    def forward(self, x):
        """Drop units at random in training mode; identity in eval mode."""
        if not self.training or self.rate == 0.0:
            return x
        drop = _drop_mask(x.shape, self.rate, x.device, self.generator)
        return _AlphaDropoutFunction.apply(x, drop, self.a, self.b, self.saturation)

    def after_selu(self, x, selu):
        """Apply ``selu`` and then this dropout, fused into one step when training.

        Equal to ``self(selu(x))``, with the same random mask, in fewer passes
        over the activations when this dropout saturates at ``selu``'s value
        and ``x`` is float32 or float64; otherwise the two steps run one after
        the other.

        Parameters
        ----------
        x : torch.Tensor
            Pre-activations.
        selu : torch.nn.Module
            The activation in front of this dropout; fused when it is a
            :class:`SELU`.

        Returns
        -------
        out : torch.Tensor
            ``self(selu(x))``.

        Examples
        --------
        >>> import torch
        >>> from sklearn_snn.nn.layers import SELU, AlphaDropout
        >>> dropout, selu = AlphaDropout(0.2), SELU()
        >>> x = torch.randn(1000)
        >>> dropout.generator = torch.Generator().manual_seed(0)
        >>> fused = dropout.after_selu(x, selu)
        >>> dropout.generator = torch.Generator().manual_seed(0)
        >>> torch.allclose(fused, dropout(selu(x)), atol=1e-6)
        True
        """
        fusable = (
            self.training
            and self.rate > 0.0
            and x.dtype in _FUSED_DTYPES
            and isinstance(selu, SELU)
            and self.saturation == -selu.lambda_ * selu.alpha
        )
        if not fusable:
            return self(selu(x))
        drop = _drop_mask(x.shape, self.rate, x.device, self.generator)
        return _SELUAlphaDropoutFunction.apply(x, drop, selu.alpha, self.a * selu.lambda_, self.b)

    def extra_repr(self):
        return f"rate={self.rate}, a={self.a:.6g}, b={self.b:.6g}"


def lecun_normal_(linear, generator=None):
    """Initialize a linear layer with LeCun-normal weights and zero bias.

    Weights are drawn from ``N(0, 1 / fan_in)``, the variance that keeps
    ``sum(w**2) = 1`` per unit in expectation, as self-normalization requires.

    Parameters
    ----------
    linear : torch.nn.Linear
        Layer to initialize in place.
    generator : torch.Generator, default=None
        Source of randomness; torch's global generator when None.

    Returns
    -------
    linear : torch.nn.Linear
        The same layer.

    Examples
    --------
    >>> import torch
    >>> from sklearn_snn.nn.layers import lecun_normal_
    >>> layer = lecun_normal_(torch.nn.Linear(400, 300), torch.Generator().manual_seed(0))
    >>> print(f"{400 * layer.weight.var().item():.2f}")  # fan_in * Var(w)
    1.00
    >>> bool((layer.bias == 0).all())
    True
    """
    fan_in = linear.weight.shape[1]
    with torch.no_grad():
        linear.weight.normal_(0.0, 1.0 / math.sqrt(fan_in), generator=generator)
        if linear.bias is not None:
            linear.bias.zero_()
    return linear
