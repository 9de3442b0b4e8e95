"""The shared docstring text: each estimator documents its own parameters and defaults."""

import ast
import inspect

import pytest
from numpydoc.docscrape import NumpyDocString

from sklearn_snn import SNNClassifier, SNNRegressor
from sklearn_snn._docstrings import fill_doc

ESTIMATORS = [SNNClassifier, SNNRegressor]


def _documented(section, Estimator):
    return {item.name: item for item in NumpyDocString(inspect.getdoc(Estimator))[section]}


def _signature(Estimator):
    return inspect.signature(Estimator.__init__).parameters


def test_fill_doc_inserts_the_classes_own_defaults():
    class Dummy:
        """Parameters
        ----------
        {parameters}

        Attributes
        ----------
        {attributes}
        """

        def __init__(self, learning_rate=0.25, spline_knots="auto"):
            self.learning_rate = learning_rate
            self.spline_knots = spline_knots

    assert fill_doc(Dummy) is Dummy
    documented = _documented("Parameters", Dummy)
    assert documented["learning_rate"].type == "float, default=0.25"
    assert documented["spline_knots"].type == 'int, "auto" or None, default="auto"'
    placeholders = ("{parameters}", "{attributes}", "LEARNING_RATE_DEFAULT", "SPLINE_KNOTS_DEFAULT")
    for placeholder in placeholders:
        assert placeholder not in Dummy.__doc__
    assert "n_iter_" in _documented("Attributes", Dummy)


@pytest.mark.parametrize(("Estimator", "default"), [(SNNClassifier, 1e-3), (SNNRegressor, 3e-3)])
def test_each_estimator_shows_its_learning_rate_default(Estimator, default):
    assert _signature(Estimator)["learning_rate"].default == default
    documented = _documented("Parameters", Estimator)["learning_rate"]
    assert documented.type == f"float, default={default:g}"


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_every_parameter_is_documented_in_signature_order(Estimator):
    constrained = set(Estimator._parameter_constraints)
    in_signature = [name for name in _signature(Estimator) if name != "self"]
    documented = list(_documented("Parameters", Estimator))
    assert set(in_signature) == constrained
    assert documented == in_signature
    for name, item in _documented("Parameters", Estimator).items():
        assert item.desc and any(line.strip() for line in item.desc), f"{name} has no text"


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_documented_defaults_are_the_signatures(Estimator):
    for name, item in _documented("Parameters", Estimator).items():
        documented = item.type.rsplit("default=", 1)[1].strip()
        assert ast.literal_eval(documented) == _signature(Estimator)[name].default, name


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fitted_attributes_are_documented(Estimator):
    attributes = _documented("Attributes", Estimator)
    for name in ("n_features_in_", "n_iter_", "loss_curve_", "best_loss_", "net_", "module_"):
        assert name in attributes and attributes[name].desc, name
    assert ("classes_" in attributes) is (Estimator is SNNClassifier)
