"""Errors about inputs and parameters name what is wrong: the column, the row, the value."""

import warnings

import numpy as np
import pytest

from sklearn_snn import SNNClassifier
from sklearn_snn.training.checks import (
    check_finite_outputs,
    check_fixed_point,
    check_standardization,
    explain_column_error,
    first_batch_notice,
    unstable_fixed_point_notice,
)

pd = pytest.importorskip("pandas")


@pytest.mark.parametrize("fixed_point", [(0.0, 1.0), [0.0, 2.0], (np.float32(0.1), np.int64(1))])
def test_fixed_points_with_a_selu_pass(fixed_point):
    check_fixed_point(fixed_point)


@pytest.mark.parametrize(
    ("fixed_point", "message"),
    [
        ((0.0, 1.0, 2.0), r"must be a pair \(mean, var\) of numbers, got \(0.0, 1.0, 2.0\)"),
        (("0", 1.0), r"must be a pair .* got \('0', 1.0\)"),
        ((0.0, np.inf), r"fixed_point=\(0.0, inf\) has no SELU: var must be finite"),
        ((0.0, -1.0), r"fixed_point=\(0.0, -1.0\) has no SELU: var must be positive"),
        ((1.0, 1.0), r"fixed_point=\(1.0, 1.0\) has no SELU: No SELU has"),
    ],
)
def test_fixed_point_errors_say_what_is_wrong(fixed_point, message):
    with pytest.raises(ValueError, match=message):
        check_fixed_point(fixed_point)


def _failed_validation(frame):
    error = ValueError("scikit-learn's message")
    with pytest.raises(ValueError) as caught:
        explain_column_error(frame, error)
    return caught.value, error


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (["1.5", "x7", None], r"^Column 'b' holds non-numeric values such as 'x7'"),
        ([1.5, np.inf, -np.inf], r"^Column 'b' has 2 infinite value\(s\); replace or clip"),
        (["1.5", "-inf", "2"], r"^Column 'b' has 1 infinite value\(s\)"),
    ],
)
def test_column_error_names_the_column_at_fault(column, message):
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": column, "c": [np.inf] * 3})
    # The first column at fault is named, not a later one ("c" is all inf).
    raised, error = _failed_validation(frame)
    assert raised.__cause__ is error
    with pytest.raises(ValueError, match=message):
        raise raised


def test_column_error_with_numeric_column_names():
    frame = pd.DataFrame({0: [1.0, 2.0], 1: [np.inf, 2.0]})
    with pytest.raises(ValueError, match=r"Column 1 has 1 infinite value\(s\)"):
        explain_column_error(frame, ValueError("inf"))


@pytest.mark.parametrize(
    "data",
    [
        np.array([[np.nan, 1.0]]),  # not a DataFrame
        pd.DataFrame({"a": [1.0, 2.0], "flag": [True, False], "n": ["1", "2.5"]}),  # no fault
    ],
)
def test_column_error_without_a_column_to_blame_is_scikit_learns(data):
    raised, error = _failed_validation(data)
    assert raised is error


def test_standardization_that_overflowed_names_the_columns():
    check_standardization(np.zeros(3), np.ones(3), "Feature(s)")
    mean, scale = np.array([0.0, np.inf, 1.0, 2.0]), np.array([1.0, 1.0, np.nan, 1.0])
    with pytest.raises(ValueError, match=r"Target\(s\) \[1, 2\] are too large to standardize"):
        check_standardization(mean, scale, "Target(s)")
    # a variance that overflowed behind a finite mean and a scale of 1
    variance = np.array([1.0, np.inf, 2.0])
    with pytest.raises(ValueError, match=r"Feature\(s\) \[1\] are too large to standardize"):
        check_standardization(np.zeros(3), np.ones(3), "Feature(s)", variance=variance)
    check_standardization(np.zeros(3), np.ones(3), "Feature(s)", variance=np.ones(3))


def test_outputs_that_overflowed_name_the_first_row():
    check_finite_outputs(np.ones((4, 2)))
    values = np.ones((6, 2, 2))
    values[3, 1, 0] = np.inf
    values[5, 0, 1] = np.nan
    message = r"The network's outputs overflow for 2 sample\(s\), e.g. row 3:"
    with pytest.raises(ValueError, match=message):
        check_finite_outputs(values)
    message = r"^The probabilities overflow for 1 sample\(s\), e.g. row 0:"
    with pytest.raises(ValueError, match=message):
        check_finite_outputs(np.array([np.nan, 1.0]), what="probabilities")


def test_first_batch_notice_names_the_constant_columns():
    none = np.array([], dtype=np.intp)
    assert first_batch_notice(none, none, 20) is None
    notice = first_batch_notice(np.array([3]), none, 20)
    assert notice.startswith(
        "partial_fit learns the standardization from its first batch only, and feature(s) "
        "[3] are constant in this batch of 20 distinct row(s): they are centred on that value "
        "and not scaled"
    )
    assert "standardize=False" in notice
    both = first_batch_notice(np.array([0, 2]), np.array([1]), 5)
    assert "feature(s) [0, 2] and target(s) [1] are constant in this batch of 5 " in both
    targets = first_batch_notice(none, np.array([0]), 1)
    assert "and target(s) [0] are constant" in targets and "feature" not in targets
    many = first_batch_notice(np.arange(12), none, 1)
    assert "feature(s) [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... (12 in all)] are constant" in many
    # A column of only 0 and 1 in the first batch is clamped to them in later calls.
    binary = first_batch_notice(none, none, 20, np.array([4]))
    assert "feature(s) [4] hold only 0 and 1 in this batch" in binary
    assert "clamped to them" in binary and "constant" not in binary


def test_a_fixed_point_that_does_not_attract_is_warned_about(binary_data):
    # (0.68, 1) has SELU constants but the moment map's Jacobian there has
    # spectral norm 1.056: deep layers drift away from it.
    X, y = binary_data
    params = dict(n_layers=2, n_units=8, max_iter=2, n_ensemble=1, random_state=0)
    with pytest.warns(UserWarning, match=r"fixed_point=\(0.68, 1.0\) does not attract.*1\.056"):
        SNNClassifier(**params, fixed_point=(0.68, 1)).fit(X, y)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="fixed_point")
        SNNClassifier(**params, fixed_point=(0.3, 2.0), early_stopping=False).fit(X, y)
    # At a large variance float64 cannot return the point to 1e-6 absolute: no false alarm.
    assert unstable_fixed_point_notice((0.0, 1e12)) is None
