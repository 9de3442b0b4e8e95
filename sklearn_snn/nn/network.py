"""The self-normalizing network as a torch module."""

import torch
from torch import nn

from ..theory import SELU_ALPHA, SELU_LAMBDA
from .layers import SELU, AlphaDropout, lecun_normal_


def hidden_widths(n_layers, n_units, n_outputs, shape):
    """Widths of the hidden layers for a rectangular or conic network.

    Parameters
    ----------
    n_layers : int
        Number of hidden layers.
    n_units : int
        Width of the first hidden layer.
    n_outputs : int
        Width of the output layer.
    shape : {"rectangular", "conic"}
        ``"rectangular"`` keeps every layer at ``n_units``; ``"conic"`` shrinks
        the widths geometrically from ``n_units`` towards ``n_outputs``, never
        below ``n_outputs`` nor below 2 units (unless ``n_units`` is 1): a
        single SELU unit is bounded below by ``-lambda * alpha``, so a
        one-unit layer would bound the network's output on one side.

    Returns
    -------
    widths : list of int
        One width per hidden layer.

    Examples
    --------
    >>> from sklearn_snn.nn.network import hidden_widths
    >>> hidden_widths(4, 256, 2, "conic")
    [256, 76, 23, 7]
    >>> hidden_widths(3, 8, 20, "conic")
    [20, 20, 20]
    >>> hidden_widths(16, 256, 1, "conic")[-4:]
    [4, 3, 2, 2]
    """
    # True is an int to scikit-learn's constraints, not to torch's shapes.
    n_layers, n_units = int(n_layers), int(n_units)
    if shape == "rectangular":
        return [n_units] * n_layers
    if shape != "conic":
        raise ValueError(f"shape must be 'rectangular' or 'conic', got {shape!r}.")
    ratio = (min(n_outputs, n_units) / n_units) ** (1.0 / n_layers)
    floor = max(n_outputs, min(2, n_units))
    return [max(floor, round(n_units * ratio**i)) for i in range(n_layers)]


class FeedForwardBlocks(nn.Module):
    """What every self-normalizing module shares: its blocks and their dropout masks.

    Subclasses set ``hidden``, a ``torch.nn.ModuleList`` of
    ``Linear -> SELU -> AlphaDropout`` blocks (any linear layer that maps the
    last axis), and ``output``.
    """

    def set_dropout_generator(self, generator):
        """Use ``generator`` for the dropout masks (None: torch's global one).

        Parameters
        ----------
        generator : torch.Generator or None
            Generator on the device of the module.

        Examples
        --------
        >>> import torch
        >>> from sklearn_snn import SelfNormalizingNetwork
        >>> net = SelfNormalizingNetwork(10, 2, n_layers=2, n_units=8, dropout=0.05)
        >>> X = torch.randn(4, 10)
        >>> outputs = []
        >>> for _ in range(2):
        ...     net.set_dropout_generator(torch.Generator().manual_seed(1))
        ...     outputs.append(net(X))
        >>> torch.equal(*outputs)
        True
        """
        for module in self.modules():
            if isinstance(module, AlphaDropout):
                module.generator = generator

    def through_hidden(self, X):
        """The activations after the last hidden block.

        Parameters
        ----------
        X : torch.Tensor
            Inputs.

        Returns
        -------
        activations : torch.Tensor
            Of the last hidden block, after its dropout.
        """
        for linear, selu, dropout in self.hidden:
            X = dropout.after_selu(linear(X), selu)
        return X


class SelfNormalizingNetwork(FeedForwardBlocks):
    """Feed-forward SELU network with alpha dropout and LeCun-normal weights.

    ``n_layers`` hidden blocks ``Linear -> SELU -> AlphaDropout`` followed by a
    linear output layer. All linear layers start with weights drawn from
    ``N(0, 1 / fan_in)`` and zero bias, so that activations of standardized
    inputs stay near mean 0 and variance 1 through any depth.

    Parameters
    ----------
    n_features : int
        Number of input features.
    n_outputs : int
        Number of outputs (classes, labels or regression targets).
    n_layers : int, default=4
        Number of hidden layers.
    n_units : int, default=256
        Width of the (first) hidden layer.
    shape : {"rectangular", "conic"}, default="rectangular"
        ``"rectangular"``: every hidden layer has ``n_units`` units.
        ``"conic"``: widths shrink geometrically from ``n_units`` towards
        ``n_outputs``, never below ``n_outputs`` nor 2 units (one SELU unit
        would bound the output on one side).
    dropout : float, default=0.0
        Alpha dropout rate after every hidden layer.
    alpha : float, default=SELU_ALPHA
        SELU alpha.
    lambda_ : float, default=SELU_LAMBDA
        SELU scale.
    fixed_point : tuple of float, default=(0.0, 1.0)
        Mean and variance that alpha dropout keeps.
    generator : torch.Generator, default=None
        Source of randomness for the initial weights.

    Attributes
    ----------
    hidden : torch.nn.ModuleList
        The hidden blocks, each a ``torch.nn.Sequential``.
    output : torch.nn.Linear
        The output layer.

    See Also
    --------
    SNNClassifier : Trains this network as a scikit-learn classifier.
    SNNRegressor : Trains this network as a scikit-learn regressor.
    sklearn_snn.diagnostics.layer_statistics : Activation statistics by layer.

    Examples
    --------
    >>> import torch
    >>> from sklearn_snn import SelfNormalizingNetwork
    >>> net = SelfNormalizingNetwork(10, 3, n_layers=2, n_units=16)
    >>> net
    SelfNormalizingNetwork(
      (hidden): ModuleList(
        (0): Sequential(
          (0): Linear(in_features=10, out_features=16, bias=True)
          (1): SELU(alpha=1.67326, lambda_=1.0507)
          (2): AlphaDropout(rate=0.0, a=1, b=0)
        )
        (1): Sequential(
          (0): Linear(in_features=16, out_features=16, bias=True)
          (1): SELU(alpha=1.67326, lambda_=1.0507)
          (2): AlphaDropout(rate=0.0, a=1, b=0)
        )
      )
      (output): Linear(in_features=16, out_features=3, bias=True)
    )
    >>> net(torch.zeros(5, 10)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        n_features,
        n_outputs,
        n_layers=4,
        n_units=256,
        shape="rectangular",
        dropout=0.0,
        alpha=SELU_ALPHA,
        lambda_=SELU_LAMBDA,
        fixed_point=(0.0, 1.0),
        generator=None,
    ):
        super().__init__()
        widths = hidden_widths(n_layers, n_units, n_outputs, shape)
        mean, var = fixed_point
        blocks = []
        fan_in = n_features
        for width in widths:
            blocks.append(
                nn.Sequential(
                    _uninitialized_linear(fan_in, width),
                    SELU(alpha, lambda_),
                    AlphaDropout(dropout, alpha, lambda_, mean, var),
                )
            )
            fan_in = width
        self.hidden = nn.ModuleList(blocks)
        self.output = _uninitialized_linear(fan_in, n_outputs)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None):
        """Draw new LeCun-normal weights and zero the biases.

        Parameters
        ----------
        generator : torch.Generator, default=None
            Source of randomness; torch's global generator when None.

        Examples
        --------
        >>> import torch
        >>> from sklearn_snn import SelfNormalizingNetwork
        >>> net = SelfNormalizingNetwork(10, 2, n_layers=2, n_units=8)
        >>> net.reset_parameters(torch.Generator().manual_seed(0))
        >>> first = net.output.weight.clone()
        >>> net.reset_parameters(torch.Generator().manual_seed(0))
        >>> torch.equal(net.output.weight, first)
        True
        """
        for module in self.modules():
            if isinstance(module, nn.Linear):
                lecun_normal_(module, generator)

    def forward(self, X):
        """Map inputs to raw outputs.

        Parameters
        ----------
        X : torch.Tensor of shape (n_samples, n_features)
            Inputs, standardized for self-normalization to hold.

        Returns
        -------
        output : torch.Tensor of shape (n_samples, n_outputs)
            Raw outputs of the last linear layer, e.g. logits.

        Examples
        --------
        >>> import torch
        >>> from sklearn_snn import SelfNormalizingNetwork
        >>> net = SelfNormalizingNetwork(10, 3, n_layers=2, n_units=16).eval()
        >>> net(torch.zeros(5, 10)).shape
        torch.Size([5, 3])
        """
        return self.output(self.through_hidden(X))


def _uninitialized_linear(n_in, n_out):
    # skip_init avoids torch's default initialization, which would draw
    # from (and so change) torch's global random state.
    return torch.nn.utils.skip_init(nn.Linear, n_in, n_out)
