"""Nodes and constants of one skl2onnx converter, in the graph's float precision.

Internal to :mod:`sklearn_snn.onnx`; imports skl2onnx and onnx only when a
converter runs.
"""

import numpy as np

from .nn.input_shaping import SATURATION


class Graph:
    """Nodes and constants of one converter, in the graph's float precision.

    The precision is float64 for a float64 input and float32 otherwise.
    """

    def __init__(self, scope, container, input_type):
        from onnx import TensorProto
        from skl2onnx.common.data_types import DoubleTensorType, guess_proto_type

        self.scope, self.container = scope, container
        self.float64 = isinstance(input_type, DoubleTensorType)
        self.input_proto = guess_proto_type(input_type)
        self.proto = TensorProto.DOUBLE if self.float64 else TensorProto.FLOAT
        self.dtype = np.float64 if self.float64 else np.float32
        self.INT64, self.STRING = TensorProto.INT64, TensorProto.STRING

    def node(self, op_type, inputs, output=None, **attributes):
        """Add one node; return the name of its output (a new one unless given)."""
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        name = self.scope.get_unique_operator_name(op_type)
        self.container.add_node(op_type, inputs, output, name=name, **attributes)
        return output

    def constant(self, values, proto=None):
        """An initializer holding ``values``, in the graph's precision unless ``proto``."""
        proto = self.proto if proto is None else proto
        values = np.asarray(values)
        if proto == self.proto:
            values = values.astype(self.dtype)
        name = self.scope.get_unique_variable_name("constant")
        self.container.add_initializer(name, proto, list(values.shape), values.ravel())
        return name

    def as_float(self, name):
        return name if self.input_proto == self.proto else self.node("Cast", [name], to=self.proto)

    def impute(self, x, values, indicated):
        """``x`` with NaN replaced by ``values``, then 0/1 columns marking NaN in ``indicated``."""
        missing = self.node("IsNaN", [x])
        filled = self.node("Where", [missing, self.constant(values), x])
        if not len(indicated):
            return filled
        chosen = self.node("Gather", [missing, self.constant(indicated, self.INT64)], axis=1)
        return self.node("Concat", [filled, self.node("Cast", [chosen], to=self.proto)], axis=1)

    def splines(self, x, columns, knots, degree):
        """``x`` joined by the B-spline basis of each of ``columns`` on its ``knots``.

        Cox-de Boor's recursion on each column, clipped to its training range
        first (the basis is constant beyond it), as
        :class:`~sklearn.preprocessing.SplineTransformer` with
        ``extrapolation="constant"`` computes it. The knots of a column are
        distinct, so no division is by zero.
        """
        parts = [x]
        for column, t in zip(columns, knots, strict=True):
            value = self.node("Gather", [x, self.constant(np.array([column]), self.INT64)], axis=1)
            low, high = t[degree], t[len(t) - 1 - degree]
            value = self.node(
                "Max", [self.node("Min", [value, self.constant([high])]), self.constant([low])]
            )
            parts.append(self._basis(value, np.asarray(t, dtype=np.float64), degree))
        return self.node("Concat", parts, axis=1)

    def _basis(self, value, t, degree):
        """The ``len(t) - degree - 1`` B-splines of ``t`` at ``value`` of shape (n, 1)."""
        # Degree 0: the indicator of the training interval holding the value; the
        # intervals beyond the training range are never hit (the value is clipped).
        lower, upper = t[:-1].copy(), t[1:].copy()
        first, last = degree, len(t) - 2 - degree
        lower[:first], lower[last + 1 :] = np.inf, np.inf
        lower[first], upper[last] = -np.inf, np.inf
        above = self.node("Not", [self.node("Less", [value, self.constant(lower)])])
        below = self.node("Less", [value, self.constant(upper)])
        basis = self.node("Cast", [self.node("And", [above, below])], to=self.proto)
        width = len(t) - 1
        for p in range(1, degree + 1):
            width -= 1
            rising = self.node("Sub", [value, self.constant(t[:width])])
            rising = self.node("Mul", [rising, self.constant(1.0 / (t[p : p + width] - t[:width]))])
            falling = self.node("Sub", [self.constant(t[p + 1 : p + 1 + width]), value])
            scale = 1.0 / (t[p + 1 : p + 1 + width] - t[1 : 1 + width])
            falling = self.node("Mul", [falling, self.constant(scale)])
            left = self._columns(basis, 0, width)
            right = self._columns(basis, 1, width + 1)
            basis = self.node(
                "Add",
                [self.node("Mul", [rising, left]), self.node("Mul", [falling, right])],
            )
        return basis

    def _columns(self, x, start, end):
        """Columns ``start`` to ``end - 1`` of ``x``."""
        if self.container.target_opset < 10:  # where the bounds are still attributes
            return self.node("Slice", [x], starts=[start], ends=[end], axes=[1])
        bounds = [self.constant(np.array([bound]), self.INT64) for bound in (start, end, 1)]
        return self.node("Slice", [x, *bounds])

    def infinity_flags(self, x):
        """One column per row of ``x``: 0, or NaN where the row holds an infinite value.

        ``x - x`` is 0 for finite values and NaN for infinite ones; added to
        the outputs, the flags make a row with an infinite value come out NaN
        even where clipping would have bounded that value.
        """
        differences = self.node("Sub", [x, x])
        if self.container.target_opset < 13:  # where axes is still an attribute
            return self.node("ReduceSum", [differences], axes=[1], keepdims=1)
        axes = self.constant(np.array([1]), self.INT64)
        return self.node("ReduceSum", [differences, axes], keepdims=1)

    def smooth_clip(self, x, center, columns, bound, zero_one, n_features):
        """``center + d / sqrt(1 + (d / bound)^2)``, ``d = x - center``, on ``columns``.

        The ``zero_one`` columns are clamped to ``[0, 1]``, the others pass
        unchanged.
        """
        bounds = np.full(n_features, np.inf)  # d / inf = 0: other columns pass unchanged
        bounds[columns] = bound
        deviation = self.node("Sub", [x, self.constant(np.array([center]))])
        limits = bounds * SATURATION  # as smooth_clip: the square must not overflow
        deviation = self.node("Min", [deviation, self.constant(limits)])
        deviation = self.node("Max", [deviation, self.constant(-limits)])
        relative = self.node("Div", [deviation, self.constant(bounds)])
        squared = self.node("Mul", [relative, relative])
        root = self.node("Sqrt", [self.node("Add", [squared, self.constant(np.array([1.0]))])])
        clipped = self.node("Div", [deviation, root])
        clipped = self.node("Add", [clipped, self.constant(np.array([center]))])
        if len(zero_one) == 0:
            return clipped
        lower, upper = np.full(n_features, -np.inf), np.full(n_features, np.inf)
        lower[zero_one], upper[zero_one] = 0.0, 1.0
        clipped = self.node("Max", [clipped, self.constant(lower)])
        return self.node("Min", [clipped, self.constant(upper)])

    def linear(self, x, weight, bias):
        """``x @ weight.T + bias`` for a torch-layout ``weight``; ``x @ weight + bias`` stacked.

        A stacked ``weight`` of shape ``(n_members, n_in, n_out)`` broadcasts
        a shared input of shape ``(n_samples, n_in)`` over the members.
        """
        if weight.ndim == 2:
            return self.node("Gemm", [x, self.constant(weight), self.constant(bias)], transB=1)
        product = self.node("MatMul", [x, self.constant(weight)])
        return self.node("Add", [product, self.constant(bias)])

    def combine_members(self, raw, activation, n_members):
        """Raw outputs of the members' averaged prediction, as the ensemble's ``combine``.

        The mean for ``"identity"``; the logarithm of the mean probabilities
        for ``"softmax"``; the logit of the mean probability for
        ``"sigmoid"``. Averaged in log space, as ``combine`` does, so that
        confident members' outputs stay accurate.
        """
        if activation == "identity":
            return self.over_members("ReduceMean", raw)
        if activation == "softmax":
            log_probabilities = self.node("LogSoftmax", [raw], axis=-1)
            log_mean = self.over_members("ReduceLogSumExp", log_probabilities)
            return self.node("Sub", [log_mean, self.constant(np.log(n_members))])
        # log(sigmoid(±z)) = min(±z, 0) - log(1 + exp(-|z|)); their log-mean-exps'
        # difference is the logit of the mean probability.
        zero = self.constant(0.0)
        softplus = self.node("Exp", [self.node("Neg", [self.node("Abs", [raw])])])
        softplus = self.node("Log", [self.node("Add", [softplus, self.constant(1.0)])])
        log_positive = self.node("Sub", [self.node("Min", [raw, zero]), softplus])
        negated = self.node("Neg", [raw])
        log_negative = self.node("Sub", [self.node("Min", [negated, zero]), softplus])
        return self.node(
            "Sub",
            [
                self.over_members("ReduceLogSumExp", log_positive),
                self.over_members("ReduceLogSumExp", log_negative),
            ],
        )

    def over_members(self, reduction, x):
        """``reduction`` (``"ReduceMean"``, ``"ReduceLogSumExp"``) over the members' axis, 0."""
        if self.container.target_opset < 18:  # where axes is still an attribute
            return self.node(reduction, [x], axes=[0], keepdims=0)
        axes = self.constant(np.array([0]), self.INT64)
        return self.node(reduction, [x, axes], keepdims=0)

    def selu(self, x, alpha, lambda_):
        """``lambda_ * x`` for ``x > 0``, ``lambda_ * alpha * (exp(x) - 1)`` otherwise."""
        if not self.float64:
            return self.node("Selu", [x], alpha=float(alpha), gamma=float(lambda_))
        # Selu's attributes are float32: float64 graphs compose it from exact constants.
        exp = self.node("Exp", [self.node("Min", [x, self.constant(0.0)])])
        negative = self.node(
            "Mul", [self.node("Sub", [exp, self.constant(1.0)]), self.constant(alpha * lambda_)]
        )
        positive = self.node("Mul", [x, self.constant(lambda_)])
        return self.node(
            "Where", [self.node("Greater", [x, self.constant(0.0)]), positive, negative]
        )

    def classes(self, classes, label_type):
        """The class labels as a constant of the label output's type."""
        from skl2onnx.common.data_types import StringTensorType

        classes = np.asarray(classes).ravel()
        if isinstance(label_type, StringTensorType):
            return self.constant(np.array([str(c).encode("utf-8") for c in classes]), self.STRING)
        as_int = classes.astype(np.int64)
        if not np.array_equal(as_int, classes):
            raise ValueError(f"Class labels must be integers or strings; got {classes.tolist()}.")
        return self.constant(as_int, self.INT64)
