"""How the members of an ensemble train together: each as if it trained alone.

The members see the same mini-batches. A member's gradient depends on its
own loss only, so their sum trains each one exactly as training it alone
with the same optimizer and learning rate would (the mean would divide each
gradient by the number of members, which plain SGD does not undo). Their
mean is what the fit reports: ``loss_curve_``, ``tol``, the divergence
guard's bound and the comparison with the prior's loss then mean what they
mean for one network.
"""

import torch


class _ScaleGradient(torch.autograd.Function):
    """Identity forward; the gradient multiplied by ``factor`` backward."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x.clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        return grad * ctx.factor, None


def members_loss(loss, raw, target, weight):
    """Mean of the members' losses, with the gradient of their sum.

    Parameters
    ----------
    loss : callable
        ``loss(raw, (target, weight))``: the sample-weighted mean loss of one
        network's raw outputs of shape ``(n_samples, n_outputs)``.
    raw : torch.Tensor of shape (n_members, n_samples, n_outputs)
        The members' raw outputs.
    target : torch.Tensor of shape (n_samples,) or (n_samples, n_outputs)
        Targets, the same for every member.
    weight : torch.Tensor of shape (n_samples,)
        Sample weights.

    Returns
    -------
    loss : torch.Tensor
        Scalar: the mean of the members' losses; back-propagating it gives
        every member the gradient of its own loss.

    Examples
    --------
    >>> import torch
    >>> from sklearn_snn.training.ensemble import members_loss
    >>> def mse(raw, y_true):
    ...     target, weight = y_true
    ...     return ((raw[:, 0] - target) ** 2 * weight).sum() / weight.sum()
    >>> raw = torch.tensor([[[1.0], [1.0]], [[3.0], [3.0]]], requires_grad=True)
    >>> value = members_loss(mse, raw, torch.zeros(2), torch.ones(2))
    >>> value  # (1 + 9) / 2
    tensor(5., grad_fn=<_ScaleGradientBackward>)
    >>> value.backward()
    >>> raw.grad.flatten()  # each member's own gradient, 2 * raw / 2 rows
    tensor([1., 1., 3., 3.])
    """
    n_members = raw.shape[0]
    stacked_target = target.expand(n_members, *target.shape).flatten(0, 1)
    mean = loss(raw.flatten(0, 1), (stacked_target, weight.repeat(n_members)))
    return _ScaleGradient.apply(mean, float(n_members))
