"""Which columns are categorical: HistGradientBoosting's conventions, and clear errors."""

import datetime

import numpy as np
import pytest

from sklearn_snn import SNNRegressor
from sklearn_snn.training.columns import categorical_mask, check_no_dates

pd = pytest.importorskip("pandas")


@pytest.fixture
def table():
    """A frame with a column of every dtype that reads as numbers or categories."""
    return pd.DataFrame(
        {
            "income": [1.0, 2.0],
            "age": [np.nan, 3.0],
            "colour": pd.Series(["red", None], dtype="string"),
            "size": pd.Categorical(["S", "M"]),
            "member": [True, False],
            "visits": pd.array([1, None], dtype="Int64"),
        }
    )


def test_from_dtype_takes_category_object_string_and_bool_columns(table):
    frame = table
    mask = categorical_mask(frame.assign(code=frame["colour"].astype(object)), "from_dtype")
    assert mask.tolist() == [False, False, True, True, True, False, True]
    assert categorical_mask(np.zeros((2, 6)), "from_dtype") is None
    assert categorical_mask(frame, None) is None


@pytest.mark.parametrize(
    ("spec", "expected"),
    [([1, -1], [False, True, False, True]), (["b"], [False, True, False, False])],
)
def test_categorical_features_by_index_name_or_mask(spec, expected):
    frame = pd.DataFrame({"a": [1.0], "b": [2], "c": [3.0], "d": [4]})
    assert categorical_mask(frame, spec).tolist() == expected
    assert categorical_mask(frame, np.array(expected)).tolist() == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (["nope"], "'nope', which is not a column of X"),
        ([7], "7, which is not a column index in \\[0, 4\\)"),
        ([True, False], "needs 4 entries"),
    ],
)
def test_bad_categorical_features_are_named(spec, message):
    frame = pd.DataFrame({"a": [1.0], "b": [2], "c": [3.0], "d": [4]})
    with pytest.raises(ValueError, match=message):
        categorical_mask(frame, spec)


def test_names_need_a_dataframe():
    with pytest.raises(ValueError, match="not a pandas DataFrame"):
        categorical_mask(np.zeros((2, 2)), ["a"])


def test_a_numeric_column_that_turns_to_text_is_named(table):
    from sklearn_snn.training.columns import check_same_kinds, column_kinds

    mask = categorical_mask(table, "from_dtype")
    kinds = column_kinds(table, mask)
    assert kinds[0] == ("income", False, "float64") and kinds[2][:2] == ("colour", True)
    check_same_kinds(table, kinds)  # unchanged: fine
    check_same_kinds(table.assign(income=["1.5", "2"]), kinds)  # numbers as text: read as numbers
    check_same_kinds(table.assign(colour=[1, 2]), kinds)  # categories may take any values
    with pytest.raises(ValueError, match="Column 'income' was numeric \\(float64\\) in fit"):
        check_same_kinds(table.assign(income=["high", "low"]), kinds)
    with pytest.raises(ValueError, match="Column 'income' was numeric \\(float64\\) in fit"):
        check_same_kinds(table.assign(income=pd.Categorical(["high", "low"])), kinds)
    assert column_kinds(table.to_numpy(), mask) is None


@pytest.mark.parametrize("categories", [[1, 2], [0.5, 2.5], ["1", "2.5"]])
def test_a_category_column_of_numbers_read_as_numbers_stays_readable(table, categories):
    # A category dtype outside categorical_features is read as its values, in
    # fit and again at predict time: the same dtype is no change of kind.
    from sklearn_snn.training.columns import check_same_kinds, column_kinds

    frame = table.assign(income=pd.Categorical(categories))
    mask = categorical_mask(frame, "from_dtype")
    mask[0] = False  # as categorical_features naming every other column
    kinds = column_kinds(frame, mask)
    assert kinds[0] == ("income", False, "category")
    check_same_kinds(frame, kinds)
    check_same_kinds(frame.assign(income=pd.Categorical(categories[::-1])), kinds)


def test_bool_columns_read_as_numbers_stay_numbers_under_any_column_names():
    from sklearn_snn.training.columns import check_same_kinds, column_kinds

    frame = pd.DataFrame({0: [1.0, 2.0], 1: [True, False]})  # names that are not strings
    kinds = column_kinds(frame, categorical_mask(frame, None) or np.zeros(2, dtype=bool))
    check_same_kinds(frame, kinds)  # fit with categorical_features=None: numbers both times
    with pytest.raises(ValueError, match="Column '0' was numeric"):
        check_same_kinds(frame.assign(**{"0": ["a", "b"]}).drop(columns=0)[["0", 1]], kinds)


def test_a_categorical_column_may_not_swap_truth_values_for_numbers():
    from sklearn_snn.training.columns import check_same_kinds, column_kinds

    frame = pd.DataFrame({"flag": [True, False], "code": [1, 2], "x": [0.5, 1.5]})
    kinds = column_kinds(frame, np.array([True, True, False]))  # "code" declared categorical
    check_same_kinds(frame.assign(flag=frame.flag.astype("boolean")), kinds)
    check_same_kinds(frame.assign(flag=["True", "False"], code=[1.0, 2.0]), kinds)
    for changed in (frame.flag.astype(int), frame.flag.astype(float)):
        with pytest.raises(ValueError, match="'flag' was categorical with dtype bool in fit"):
            check_same_kinds(frame.assign(flag=changed), kinds)
    with pytest.raises(
        ValueError, match="'code' was categorical with dtype int64 in fit but is bool"
    ):
        check_same_kinds(frame.assign(code=[True, False]), kinds)


def test_moved_columns_are_left_to_the_feature_name_check(table):
    from sklearn_snn.training.columns import check_same_kinds, column_kinds

    kinds = column_kinds(table, categorical_mask(table, "from_dtype"))
    check_same_kinds(table[table.columns[::-1]], kinds)  # no claim that a column changed type
    check_same_kinds(table.drop(columns="income"), kinds)


@pytest.mark.parametrize(
    "dates",
    [
        pd.date_range("2020-01-01", periods=2),
        pd.date_range("2020-01-01", periods=2, tz="UTC"),
        pd.timedelta_range(0, periods=2, freq="h"),
        pd.period_range("2020-01", periods=2, freq="M"),
    ],
    ids=["datetime", "datetime-tz", "timedelta", "period"],
)
def test_date_columns_are_refused_unless_declared_categorical(table, dates):
    frame = table.assign(when=dates)
    with pytest.raises(ValueError, match="Column 'when' holds dates or times"):
        check_no_dates(frame, categorical_mask(frame, "from_dtype"))
    with pytest.raises(ValueError, match="Column 'when' holds dates or times"):
        check_no_dates(frame, None)
    check_no_dates(frame, categorical_mask(frame, ["when"]))
    check_no_dates(table, None)


@pytest.mark.parametrize(
    "values",
    [
        [datetime.date(2020, 1, 1), datetime.date(2020, 1, 2)],
        [pd.Timestamp("2020-01-01"), None],
        [datetime.timedelta(hours=1), datetime.timedelta(hours=2)],
    ],
    ids=["date", "timestamp", "timedelta"],
)
def test_dates_in_object_columns_are_refused_unless_declared(table, values):
    # SQL and Excel readers give object columns of dates: their dtype alone
    # makes them categorical, which would read every unseen date as unknown.
    frame = table.iloc[:2].assign(when=pd.Series(values, dtype=object))
    mask = categorical_mask(frame, "from_dtype")
    with pytest.raises(ValueError, match=r"'when' holds dates or times \(\w+ values in an obj"):
        check_no_dates(frame, mask, declared=False)
    with pytest.raises(ValueError, match="'when' holds dates or times"):
        check_no_dates(frame, None)
    check_no_dates(frame, categorical_mask(frame, ["when"]), declared=True)
    check_no_dates(frame.assign(when=["a", None]), mask, declared=False)


@pytest.mark.parametrize("arrow_type", ["time64", "date32", "timestamp", "duration"])
def test_pyarrow_date_and_time_columns_are_refused_by_their_dtype(table, arrow_type):
    pa = pytest.importorskip("pyarrow")
    types = {
        "time64": (pa.time64("us"), [datetime.time(1), datetime.time(2)]),
        "date32": (pa.date32(), [datetime.date(2020, 1, 1), datetime.date(2020, 1, 2)]),
        "timestamp": (pa.timestamp("s"), [datetime.datetime(2020, 1, 1)] * 2),
        "duration": (pa.duration("s"), [datetime.timedelta(1), datetime.timedelta(2)]),
    }
    kind, values = types[arrow_type]
    frame = table.iloc[:2].assign(when=pd.array(values, dtype=pd.ArrowDtype(kind)))
    with pytest.raises(ValueError, match="Column 'when' holds dates or times"):
        check_no_dates(frame, categorical_mask(frame, "from_dtype"))
    check_no_dates(frame, categorical_mask(frame, ["when"]))


def test_numpy_dates_are_refused():
    days = np.array(pd.date_range("2020-01-01", periods=4)).reshape(-1, 1)
    with pytest.raises(ValueError, match=r"X holds dates or times \(datetime64"):
        SNNRegressor().fit(days, np.arange(4.0))
    with pytest.raises(ValueError, match=r"X holds dates or times \(timedelta64"):
        SNNRegressor().fit(np.diff(days, axis=0), np.arange(3.0))


def test_a_fitted_model_keeps_reading_its_date_columns(monkeypatch):
    # Models fitted before object columns of dates were refused took them for
    # categories; prediction does not refuse what fit accepted.
    import sklearn_snn.training.encoding as encoding

    days = pd.Series([datetime.date(2020, 1, 1 + i % 28) for i in range(60)], dtype=object)
    frame = pd.DataFrame({"x": np.arange(60.0), "day": days})
    monkeypatch.setattr(encoding, "check_no_dates", lambda *args, **kwargs: None)
    model = SNNRegressor(n_layers=1, n_units=8, max_iter=2, random_state=0).fit(frame, frame["x"])
    monkeypatch.undo()
    assert np.all(np.isfinite(model.predict(frame)))
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        model.predict(frame.assign(extra=days))
