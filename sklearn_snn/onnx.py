"""ONNX export of fitted estimators through skl2onnx.

:func:`register_onnx_converters` teaches ``skl2onnx`` the two estimators, after
which ``skl2onnx.to_onnx(model, X[:1])`` converts a fitted
:class:`~sklearn_snn.SNNClassifier` or :class:`~sklearn_snn.SNNRegressor`,
alone or as a step of a scikit-learn ``Pipeline``, into an ONNX graph that
onnxruntime (or any ONNX runtime) runs without Python, torch or this package.

The graph computes what ``predict`` and ``predict_proba`` compute: the
spline features learned in ``fit`` (``spline_knots``; Cox-de Boor's recursion
on each column's knots, the column clipped to its training range first) and
the standardization, one ``Gemm`` and ``Selu`` per hidden layer (with that
layer's SELU constants; alpha dropout is the identity at inference), the
output layer, then the classifier's softmax or sigmoid and labels, or the
regressor's return to the units of the targets. An ensemble
(``n_ensemble > 1``) runs its members as batched ``MatMul`` products on the
shared input and averages their probabilities (or outputs), as ``predict``
does. Its precision is that of its input: float32 inputs give a float32 graph
(agreeing with ``predict`` to about 1e-6), float64 inputs a float64 graph (to
about 1e-12). A float32 graph holds the spline knots in float32 too: for a
column of large, closely spaced values (such as timestamps) export with
float64 inputs.

Outputs follow skl2onnx's converters for scikit-learn's own estimators:

- classifiers give ``label`` and ``probabilities`` (a ``ZipMap`` of
  dictionaries by default; options ``zipmap`` (``True``, ``False`` or
  ``"columns"``), ``output_class_labels`` and ``nocl`` as for
  ``MLPClassifier``; ``raw_scores`` gives the logits of ``decision_function``
  in place of the probabilities, which ``CalibratedClassifierCV``'s converter
  asks for). Multilabel models give the labels as an int64 0/1 indicator
  matrix and one probability per label;
- regressors give ``variable`` of shape ``(n_samples, n_targets)``, with
  ``n_targets = 1`` for a one-dimensional ``y`` (``predict`` returns shape
  ``(n_samples,)`` there), as skl2onnx's ``LinearRegression`` and
  ``MLPRegressor`` converters do.

Requires ``skl2onnx`` (and onnxruntime to run the graph): the ``onnx`` extra,
``python -m pip install "sklearn-snn[onnx]"``.
"""

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.utils.validation import check_is_fitted

from ._classifier import SNNClassifier
from ._onnx_graph import Graph
from ._regressor import SNNRegressor
from .nn.ensemble import SelfNormalizingEnsemble
from .nn.layers import SELU, AlphaDropout
from .training.splines import DEGREE

CLASSIFIER_ALIAS = "SklearnSnnClassifier"
REGRESSOR_ALIAS = "SklearnSnnRegressor"

# The options of skl2onnx's MLPClassifier converter, and raw_scores as its
# linear classifiers have it.
_CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "output_class_labels": [False, True],
    "nocl": [True, False],
    "raw_scores": [False, True],
}


def register_onnx_converters():
    """Register the converters of the SNN estimators with skl2onnx.

    Call it once before ``skl2onnx.to_onnx`` or ``skl2onnx.convert_sklearn``;
    calling it again changes nothing. Importing :mod:`sklearn_snn.onnx`
    registers nothing by itself.

    Returns
    -------
    aliases : dict
        The alias under which skl2onnx knows each estimator class.

    Raises
    ------
    ImportError
        If skl2onnx is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skl2onnx import to_onnx
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_snn import SNNClassifier
    >>> from sklearn_snn.onnx import register_onnx_converters
    >>> X, y = load_iris(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> clf = SNNClassifier(n_layers=2, n_units=16, random_state=0).fit(X, y)
    >>> register_onnx_converters()
    {'SNNClassifier': 'SklearnSnnClassifier', 'SNNRegressor': 'SklearnSnnRegressor'}
    >>> onx = to_onnx(clf, X[:1], options={"zipmap": False})
    >>> session = ort.InferenceSession(
    ...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> label, proba = session.run(None, {"X": X[:5]})
    >>> bool((label == clf.predict(X[:5])).all())
    True
    >>> bool(np.allclose(proba, clf.predict_proba(X[:5]), atol=1e-5))
    True
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as error:
        raise ImportError(
            "ONNX export needs skl2onnx (and onnxruntime to run the graph): "
            'python -m pip install "sklearn-snn[onnx]".'
        ) from error
    update_registered_converter(
        SNNClassifier,
        CLASSIFIER_ALIAS,
        _classifier_shapes,
        _convert_classifier,
        parser=_parse_classifier,
        options=_CLASSIFIER_OPTIONS,
    )
    update_registered_converter(
        SNNRegressor, REGRESSOR_ALIAS, _regressor_shapes, _convert_regressor
    )
    return {"SNNClassifier": CLASSIFIER_ALIAS, "SNNRegressor": REGRESSOR_ALIAS}


def _network_parts(estimator):
    """What the graph needs of a fitted estimator, as float64 arrays.

    Returns ``(imputation, mean, scale, hidden, output, combine)``: the
    missing-value imputation (None, or the imputed values and the columns
    that get a missing-value indicator), the input standardization
    ``(x - mean) / scale``, one ``(weight, bias, alpha, lambda_)`` per hidden
    layer, the output layer's ``(weight, bias)``, and None for one network or
    the ``output_activation`` whose results an ensemble averages. Weights have
    shape ``(n_out, n_in)`` as in torch, or ``(n_members, n_in, n_out)`` with
    biases of shape ``(n_members, 1, n_out)`` for an ensemble.
    """
    check_is_fitted(estimator)
    imputation = _imputation(estimator)
    module = estimator.module_
    hidden = []
    for linear, selu, dropout in module.hidden:
        if not isinstance(selu, SELU) or not isinstance(dropout, AlphaDropout):
            raise NotImplementedError(
                f"The ONNX converter knows Linear -> SELU -> AlphaDropout blocks; this "
                f"network has {type(selu).__name__} -> {type(dropout).__name__}."
            )
        hidden.append((_numpy(linear.weight), _numpy(linear.bias), selu.alpha, selu.lambda_))
    output = (_numpy(module.output.weight), _numpy(module.output.bias))
    ensemble = isinstance(module, SelfNormalizingEnsemble)
    combine = module.output_activation if ensemble else None
    return imputation, estimator._input_mean, estimator._input_scale, hidden, output, combine


def _imputation(estimator):
    """``(values, indicated)`` of the estimator's numeric imputer, or None without one.

    Raises NotImplementedError for an encoder of categorical columns.
    """
    encoder = getattr(estimator, "_column_encoder", None)
    if encoder is None:
        fill = getattr(estimator, "_missing_fill", None)
        return (
            None if fill is None else (np.asarray(fill, dtype=np.float64), np.array([], np.int64))
        )
    missing = getattr(encoder, "missing_values", None)
    if not isinstance(encoder, SimpleImputer) or not _is_nan(missing):
        raise NotImplementedError(
            f"This {type(estimator).__name__} encodes categorical columns itself (with "
            f"its fitted {type(encoder).__name__}), which the ONNX converter cannot "
            "convert: skl2onnx's converters do not reproduce how it spells categories, "
            "maps unknown and infrequent ones, and target-encodes multiclass targets. "
            "Fit the estimator on numeric columns, with the encoding as a Pipeline step "
            "in front of it that skl2onnx converts (e.g. OneHotEncoder("
            'handle_unknown="ignore") in a ColumnTransformer).'
        )
    indicator = encoder.indicator_
    indicated = np.asarray(indicator.features_ if indicator is not None else [], dtype=np.int64)
    return np.asarray(encoder.statistics_, dtype=np.float64), indicated


def _is_nan(value):
    return isinstance(value, float) and np.isnan(value)


def _check_convertible(estimator):
    check_is_fitted(estimator)
    _imputation(estimator)


def _numpy(parameter):
    return parameter.detach().cpu().double().numpy()


def _check_input_width(operator):
    """Refuse an input whose declared width is not the estimator's ``n_features_in_``."""
    estimator = operator.raw_operator
    _check_convertible(estimator)
    if len(operator.inputs) != 1:
        raise ValueError(
            f"{type(estimator).__name__} takes one input tensor of shape (n_samples, "
            f"{estimator.n_features_in_}); got {len(operator.inputs)} inputs. A DataFrame "
            "is converted to one input per column: pass X.to_numpy(np.float32)."
        )
    shape = operator.inputs[0].type.shape
    width = shape[1] if shape is not None and len(shape) == 2 else None
    if isinstance(width, (int, np.integer)) and width != estimator.n_features_in_:
        raise ValueError(
            f"X has {width} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    """skl2onnx's classifier parser, after checking that ``model`` can be converted."""
    from skl2onnx._parse import _parse_sklearn_classifier

    _check_convertible(model)
    return _parse_sklearn_classifier(scope, model, inputs, custom_parsers=custom_parsers)


def _classifier_shapes(operator):
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

    _check_input_width(operator)
    calculate_linear_classifier_output_shapes(operator)
    estimator = operator.raw_operator
    if estimator._label_binarizer.y_type_ == "multilabel-indicator":
        n_samples = operator.inputs[0].get_first_dimension()
        operator.outputs[0].type.shape = [n_samples, len(estimator.classes_)]


def _regressor_shapes(operator):
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
    from skl2onnx.common.utils import check_input_and_output_numbers

    _check_input_width(operator)
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    float64 = isinstance(operator.inputs[0].type, DoubleTensorType)
    tensor_type = DoubleTensorType if float64 else FloatTensorType
    n_samples = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = tensor_type([n_samples, operator.raw_operator.n_outputs_])


def _convert_classifier(scope, operator, container):
    from skl2onnx.common.utils_classifier import get_label_classes

    estimator = operator.raw_operator
    graph = Graph(scope, container, operator.inputs[0].type)
    logits = _network(graph, estimator, operator.inputs[0].full_name)
    label, proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    # raw_scores: decision_function in place of the probabilities, as
    # CalibratedClassifierCV's and the stacking converters ask of their classifiers.
    raw_scores = container.get_options(estimator, {"raw_scores": False})["raw_scores"]
    kind = estimator._label_binarizer.y_type_
    if kind == "multilabel-indicator":
        probabilities = graph.node("Sigmoid", [logits])
        chosen = graph.node("Greater", [probabilities, graph.constant(0.5)])
        graph.node("Cast", [chosen], label, to=graph.INT64)
        graph.node("Identity", [logits if raw_scores else probabilities], proba)
        return
    classes = graph.classes(get_label_classes(scope, estimator), operator.outputs[0].type)
    if kind == "multiclass":
        index = graph.node("ArgMax", [logits], axis=1, keepdims=0)
        if raw_scores:
            graph.node("Identity", [logits], proba)
        else:
            graph.node("Softmax", [logits], proba, axis=1)
    else:
        # predict: classes_[p > 0.5] for the positive class's probability p.
        negative_logits = graph.node("Neg", [logits])
        positive = graph.node("Sigmoid", [logits])
        chosen = graph.node("Greater", [positive, graph.constant(0.5)])
        flat = graph.constant(np.array([-1]), graph.INT64)
        index = graph.node("Reshape", [graph.node("Cast", [chosen], to=graph.INT64), flat])
        if raw_scores:  # as skl2onnx's binary linear classifiers: (-score, score)
            graph.node("Concat", [negative_logits, logits], proba, axis=1)
        else:
            negative = graph.node("Sigmoid", [negative_logits])
            graph.node("Concat", [negative, positive], proba, axis=1)
    graph.node("Gather", [classes, index], label, axis=0)


def _convert_regressor(scope, operator, container):
    estimator = operator.raw_operator
    graph = Graph(scope, container, operator.inputs[0].type)
    raw = _network(graph, estimator, operator.inputs[0].full_name)
    mean, scale = estimator._output_scaling()
    if np.any(scale != 1.0):
        raw = graph.node("Mul", [raw, graph.constant(scale)])
    graph.node("Add", [raw, graph.constant(mean)], operator.outputs[0].full_name)


def _network(graph, estimator, input_name):
    """Append the standardization and the network to ``graph``; return the raw outputs."""
    imputation, mean, scale, hidden, (weight, bias), combine = _network_parts(estimator)
    x = graph.as_float(input_name)
    if imputation is not None:
        x = graph.impute(x, *imputation)
    flags = graph.infinity_flags(x)
    splines = getattr(estimator, "_splines", None)  # absent: saved before them
    if splines is not None:
        x = graph.splines(x, splines.columns, splines.knots, DEGREE)
    if np.any(mean != 0.0):
        x = graph.node("Sub", [x, graph.constant(mean)])
    if np.any(scale != 1.0):
        x = graph.node("Div", [x, graph.constant(scale)])
    if estimator._clip() is not None:
        x = graph.smooth_clip(x, *estimator._clip(), len(mean))
    for layer_weight, layer_bias, alpha, lambda_ in hidden:
        x = graph.selu(graph.linear(x, layer_weight, layer_bias), alpha, lambda_)
    raw = graph.node("Add", [graph.linear(x, weight, bias), flags])
    return raw if combine is None else graph.combine_members(raw, combine, len(weight))
