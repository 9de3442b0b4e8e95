"""Mixed-type tables: categorical columns encoded, missing values imputed, clear errors."""

import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from sklearn_snn import SNNClassifier, SNNRegressor
from sklearn_snn.training.encoding import (
    MAX_ONE_HOT_CATEGORIES,
    column_means,
    encode,
    fit_encoder,
)

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.usefixtures("quiet_convergence")

TINY = {"n_layers": 2, "n_units": 16, "max_iter": 30, "learning_rate": 0.01, "random_state": 0}


@pytest.fixture
def table():
    """A mixed-type table with missing values whose label depends on two categories."""
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame(
        {
            "income": rng.normal(50, 10, n),
            "age": np.where(rng.random(n) < 0.2, np.nan, rng.normal(40, 5, n)),
            "colour": pd.Series(rng.choice(["red", "green", "blue", None], n), dtype="string"),
            "size": pd.Categorical(rng.choice(["S", "M", "L"], n)),
            "member": rng.random(n) < 0.5,
            "visits": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 5, n)), "Int64"),
        }
    )
    label = (frame["colour"] == "red").fillna(False).to_numpy() ^ (frame["size"] == "L").to_numpy()
    return frame, label.astype(int)


def test_a_raw_table_trains_and_learns_from_its_categories(table):
    frame, y = table
    clf = SNNClassifier(**{**TINY, "max_iter": 150}).fit(frame, y)
    # The label is an XOR of two categorical columns: only their encoding tells it.
    assert clf.score(frame, y) > 0.9
    assert clf.n_features_in_ == 6
    assert clf.feature_names_in_.tolist() == list(frame.columns)
    proba = clf.predict_proba(frame)
    assert np.isfinite(proba).all()


def test_unknown_categories_and_missing_values_at_predict_time(table):
    frame, y = table
    clf = SNNClassifier(**TINY).fit(frame, y)
    row = frame.head(1).copy()
    row["colour"] = pd.Series(["purple"], dtype="string", index=row.index)
    row["income"] = np.nan
    proba = clf.predict_proba(row)
    assert np.isfinite(proba).all()
    # An unseen category encodes as no category at all: all zeros in its block.
    encoder = clf._column_encoder
    encoded = encoder.transform(row.astype(object).to_numpy())
    one_hot = encoder.named_transformers_["one_hot"]
    colour = slice(0, len(one_hot.categories_[0]))
    assert encoded[0, colour].sum() == 0


@pytest.mark.parametrize("form", ["category", "pyarrow dictionary"])
def test_a_category_dtype_of_fractional_values_is_encoded_as_categories(form):
    # An object column of fractional numbers is refused as measurements; a
    # category dtype declares its values labels, whatever they are.
    rng = np.random.default_rng(0)
    sizes = rng.choice([0.5, 1.5, 2.5], size=60)
    if form == "category":
        column = pd.Categorical(sizes)
    else:
        pa = pytest.importorskip("pyarrow")
        kind = pa.dictionary(pa.int32(), pa.float64())
        column = pd.Series(pa.array(sizes).dictionary_encode(), dtype=pd.ArrowDtype(kind))
    frame = pd.DataFrame({"x": rng.normal(size=60), "size": column})
    y = (sizes > 1).astype(int)
    clf = SNNClassifier(**TINY).fit(frame, y)
    categories = clf._column_encoder.named_transformers_["one_hot"].categories_[0]
    assert categories.tolist() == ["0.5", "1.5", "2.5"]  # compared by their spelling
    np.testing.assert_array_equal(clf.predict(frame), clf.predict(frame.iloc[::-1])[::-1])
    with pytest.raises(ValueError, match="'size' is categorical by its object dtype"):
        SNNClassifier(**TINY).fit(frame.assign(size=sizes.astype(object)), y)


def test_numeric_missing_values_get_the_training_mean_and_an_indicator():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    X[rng.random(200) < 0.3, 1] = np.nan
    imputer, encoded = fit_encoder(
        X, None, np.zeros(3, dtype=bool), target_type=None, random_state=0
    )
    assert imputer.indicator_.features_.tolist() == [1]  # only the column with missing values
    assert encoded.shape == (200, 4)
    missing = np.isnan(X[:, 1])
    np.testing.assert_allclose(encoded[missing, 1], np.nanmean(X[:, 1]))
    np.testing.assert_array_equal(encoded[:, 3], missing)
    # A column without missing values in training is imputed with its mean too.
    row = np.array([[np.nan, 0.5, 2.0]])
    np.testing.assert_allclose(
        encode(imputer, np.zeros(3, dtype=bool), row)[0, :3], [X[:, 0].mean(), 0.5, 2.0]
    )


def test_missing_value_predicts_as_the_training_mean_where_fit_saw_none(regression_data):
    X, y = regression_data
    reg = SNNRegressor(**TINY).fit(X, y)
    row = X[:1].copy()
    row[0, 2] = np.nan
    filled = X[:1].copy()
    filled[0, 2] = X[:, 2].mean()
    np.testing.assert_allclose(reg.predict(row), reg.predict(filled), rtol=1e-12)


@pytest.mark.parametrize("container", ["frame", "array"])
def test_pd_na_in_object_columns_of_numbers_is_missing(container):
    # Without categorical columns scikit-learn's validation reads the data,
    # and numpy cannot turn pd.NA into a number.
    rng = np.random.default_rng(3)
    numbers = rng.normal(size=100)
    numbers[::7] = np.nan
    y = (rng.random(100) < 0.5).astype(int)
    with_nan = pd.DataFrame({"a": numbers, "b": rng.normal(size=100)})
    with_na = with_nan.astype(object)
    with_na.loc[with_nan["a"].isna(), "a"] = pd.NA
    if container == "array":
        with_nan, with_na = with_nan.to_numpy(), with_na.to_numpy()
    settings = dict(TINY, categorical_features=None, max_iter=3)
    reference = SNNClassifier(**settings).fit(with_nan, y)
    model = SNNClassifier(**settings).fit(with_na, y)
    np.testing.assert_array_equal(model.predict_proba(with_na), reference.predict_proba(with_nan))
    first = with_na[7, 0] if container == "array" else with_na["a"].iloc[7]
    assert first is pd.NA  # the caller's data is left as it was


def test_numeric_data_without_missing_values_passes_through_untouched():
    X = np.random.default_rng(2).normal(size=(50, 3)).astype(np.float32)
    encoder, encoded = fit_encoder(
        X, None, np.zeros(3, dtype=bool), target_type=None, random_state=0
    )
    assert encoder is None and encoded is X
    fill = column_means(X)
    assert encode(None, np.zeros(3, dtype=bool), X, fill) is X
    sparse = sp.csr_matrix(X)
    assert encode(None, np.zeros(3, dtype=bool), sparse, fill) is sparse
    # Missing values found only now get the training means, dense or sparse.
    row = np.array([[np.nan, 1.0, np.nan]], dtype=np.float32)
    expected = [[fill[0], 1.0, fill[2]]]
    np.testing.assert_allclose(encode(None, np.zeros(3, dtype=bool), row, fill), expected)
    sparse_row = encode(None, np.zeros(3, dtype=bool), sp.csr_matrix(row), fill)
    np.testing.assert_allclose(sparse_row.toarray(), expected)


def test_a_declared_column_of_a_number_array_is_read_as_its_spelt_categories():
    # Numeric arrays take a vectorized path; it must spell categories as the
    # cell-by-cell reading of an object array does (1.0 is "1", NaN missing).
    rng = np.random.default_rng(6)
    numbers = rng.normal(size=(120, 3))
    numbers[:, 1] = rng.integers(0, 4, 120)
    numbers[::9, 1] = np.nan
    spelt = numbers.astype(object)
    spelt[:, 1] = [None if np.isnan(v) else str(int(v)) for v in numbers[:, 1]]
    y = rng.integers(0, 2, 120)
    mask = np.array([False, True, False])
    encoder, encoded = fit_encoder(numbers, y, mask, target_type="binary", random_state=0)
    _, from_text = fit_encoder(spelt, y, mask, target_type="binary", random_state=0)
    np.testing.assert_array_equal(encoded, from_text)
    categories = encoder.named_transformers_["one_hot"].categories_[0]
    assert list(categories[:4]) == ["0", "1", "2", "3"] and np.isnan(categories[4])
    np.testing.assert_array_equal(encode(encoder, mask, sp.csr_matrix(numbers)), encoded)
    np.testing.assert_array_equal(encode(encoder, mask, np.matrix(numbers)), encoded)


def test_sparse_input_with_missing_values():
    rng = np.random.default_rng(3)
    X = sp.random(200, 5, density=0.3, format="csr", random_state=0)
    X.data[rng.random(len(X.data)) < 0.1] = np.nan
    y = np.asarray(X.sum(axis=1)).ravel()
    y = np.nan_to_num(y)
    reg = SNNRegressor(**TINY).fit(X, y)
    assert np.isfinite(reg.predict(X)).all()


def test_declared_categories_in_any_sparse_format():
    # A COO matrix skips check_array (categories are declared) and was indexed
    # by column as it came: TypeError. Every format gives the CSR model.
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(0, 3, 100), rng.normal(size=100)])
    y = np.arange(100) % 2
    reference = SNNClassifier(**TINY, categorical_features=[0]).fit(sp.csr_matrix(X), y)
    for matrix in (sp.coo_matrix(X), sp.lil_matrix(X), sp.csc_matrix(X)):
        clf = SNNClassifier(**TINY, categorical_features=[0]).fit(matrix, y)
        np.testing.assert_array_equal(clf.predict_proba(matrix), reference.predict_proba(X))


def test_many_categories_are_target_encoded_unless_the_target_has_several_columns():
    rng = np.random.default_rng(4)
    cities = np.array([f"city{i}" for i in range(MAX_ONE_HOT_CATEGORIES + 10)])
    frame = pd.DataFrame({"city": rng.choice(cities, 600), "x": rng.normal(size=600)})
    mask = np.array([True, False])
    encoder, _ = fit_encoder(
        frame, rng.integers(0, 2, 600), mask, target_type="binary", random_state=0
    )
    assert isinstance(encoder.named_transformers_["target"], TargetEncoder)
    encoder, encoded = fit_encoder(frame, None, mask, target_type=None, random_state=0)
    one_hot = encoder.named_transformers_["one_hot"]
    assert isinstance(one_hot, OneHotEncoder)
    assert encoded.shape[1] == MAX_ONE_HOT_CATEGORIES + 1  # the capped one-hot, plus x


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_shuffling_the_rows_of_a_target_encoded_table_changes_nothing(Estimator):
    # The target encoder cross-fits on folds drawn by row position; the
    # estimator must not let the caller's row order reach the model.
    rng = np.random.default_rng(5)
    n = 300
    shops = rng.choice([f"s{i}" for i in range(MAX_ONE_HOT_CATEGORIES + 30)], n)
    frame = pd.DataFrame({"x": rng.normal(size=n), "shop": shops})
    frame = pd.concat([frame, frame.iloc[:20]], ignore_index=True)  # repeated rows too
    y = frame["x"].to_numpy() + (frame["shop"].str[1:].astype(int) % 3).to_numpy()
    if Estimator is SNNClassifier:
        y = (y > 1).astype(int)
    order = rng.permutation(len(frame))
    settings = dict(TINY, n_ensemble=1, max_iter=3)
    first = Estimator(**settings).fit(frame, y)
    shuffled = Estimator(**settings).fit(frame.iloc[order], y[order])
    assert isinstance(first._column_encoder.named_transformers_["target"], TargetEncoder)
    predict = "predict_proba" if Estimator is SNNClassifier else "predict"
    np.testing.assert_array_equal(getattr(first, predict)(frame), getattr(shuffled, predict)(frame))


def test_rare_categories_are_grouped():
    frame = pd.DataFrame({"kind": ["a"] * 20 + ["b"] * 20 + ["rare1", "rare2"]})
    encoder, encoded = fit_encoder(frame, None, np.array([True]), target_type=None, random_state=0)
    assert encoded.shape[1] == 3  # a, b, infrequent
    unseen = encoder.transform(np.array([["never seen"]], dtype=object))
    np.testing.assert_array_equal(unseen, [[0, 0, 1]])  # counted with the rare ones


def test_integer_labels_spelt_differently_are_one_category():
    frame = pd.DataFrame({"code": pd.array([1, 2, None, 1] * 10, dtype="Int64")})
    encoder, _ = fit_encoder(frame, None, np.array([True]), target_type=None, random_state=0)
    as_floats = pd.DataFrame({"code": [1.0, 2.0]})
    np.testing.assert_array_equal(
        encode(encoder, np.array([True]), as_floats),
        encode(encoder, np.array([True]), pd.DataFrame({"code": [1, 2]})),
    )


def test_errors_name_the_column(table):
    frame, y = table
    with pytest.raises(ValueError, match="Column 'income' is declared categorical but holds"):
        SNNClassifier(categorical_features=["income"]).fit(frame, y)
    with pytest.raises(ValueError, match="Column 'income' is categorical by its object dtype"):
        SNNClassifier().fit(frame.assign(income=frame["income"].astype(object)), y)
    with pytest.raises(ValueError, match="Column 'age' has no value in the training data"):
        SNNClassifier().fit(frame.assign(age=np.nan), y)
    with pytest.raises(ValueError, match="Column 'age' has no value in the training data"):
        SNNClassifier().fit(frame[["income", "age"]].assign(age=np.nan), y)  # all numeric
    known = frame["age"].notna().to_numpy()
    with pytest.raises(ValueError, match="'age' has no value in the training rows of positive"):
        SNNClassifier().fit(frame, y, sample_weight=(~known).astype(float))
    clf = SNNClassifier(**TINY).fit(frame, y)
    with pytest.raises(ValueError, match="Column 'income' was numeric \\(float64\\) in fit"):
        clf.predict(frame.assign(income=["high"] * len(frame)))
    with pytest.raises(ValueError, match="'member' was categorical with dtype bool in fit"):
        clf.predict(frame.assign(member=frame["member"].astype(int)))
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        clf.predict(frame[frame.columns[::-1]])
    # Inside object columns (and numpy arrays) no dtype tells flags from 0/1: the values do.
    flags = frame.assign(member=frame["member"].astype(object))
    clf_flags = SNNClassifier(**TINY).fit(flags, y)
    with pytest.raises(ValueError, match="'member' held the categories False, True in fit"):
        clf_flags.predict(flags.assign(member=frame["member"].astype(int).astype(object)))
    numbers = frame.assign(member=frame["member"].astype(int).astype(object))
    with pytest.raises(ValueError, match="'member' held the categories 0, 1 in fit but holds "):
        SNNClassifier(**TINY).fit(numbers, y).predict(flags)
    array = flags[["member", "income"]].to_numpy()
    clf_array = SNNClassifier(categorical_features=[0], **TINY).fit(array, y)
    with pytest.raises(ValueError, match="Column 0 held the categories False, True in fit"):
        clf_array.predict(numbers[["member", "income"]].to_numpy())
    clf_flags.predict(flags.iloc[:1].assign(member=[None]))  # a missing flag is no new spelling
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing"):
        clf.predict(frame.drop(columns="income"))
    with pytest.raises(
        ValueError,
        match="Column 'colour' holds non-numeric values.*its string dtype makes it categorical",
    ):
        SNNClassifier(categorical_features=None).fit(frame, y)
    with pytest.raises(ValueError, match="infinite"):
        SNNClassifier().fit(frame.assign(income=np.inf), y)
    dated = frame.assign(when=pd.Timestamp("2020-01-01"))
    with pytest.raises(ValueError, match="Column 'when' holds dates or times"):
        SNNClassifier().fit(dated, y)
    with pytest.raises(ValueError, match="Column 'when' holds dates or times"):
        SNNClassifier(categorical_features=None).fit(dated[["income", "when"]], y)


def test_decimal_numbers_in_object_columns_are_numbers():
    # Database readers give NUMERIC columns as objects of Decimal: fractional
    # ones are measurements (refused as floats in an object column are), whole
    # ones are labels as integers are.
    from decimal import Decimal

    y = np.arange(6.0)
    prices = pd.DataFrame({"price": [Decimal("1.5"), Decimal("2.25"), None] * 2})
    with pytest.raises(ValueError, match="'price' is categorical by its object dtype but holds"):
        SNNRegressor(**TINY).fit(prices, y)
    codes = pd.DataFrame({"code": [Decimal("1.00"), Decimal("2.00"), Decimal(3)] * 20})
    model = SNNRegressor(**TINY).fit(codes, np.arange(60.0) % 3)
    assert model._categorical.tolist() == [True]
    # NUMERIC(p, 2) columns spell 1 as 1.00: the same category as 1.
    as_objects = pd.DataFrame({"code": pd.Series([1, 2, 3] * 20, dtype=object)})
    np.testing.assert_array_equal(model.predict(as_objects), model.predict(codes))


def test_a_flag_column_without_values_at_predict_time(table):
    # A reader gives a column with no values as float64 NaN: no 1 to mistake for True.
    frame, y = table
    clf = SNNClassifier(**TINY).fit(frame, y)
    missing = clf.predict_proba(frame.iloc[:3].assign(member=np.nan))
    np.testing.assert_array_equal(
        missing,
        clf.predict_proba(frame.iloc[:3].assign(member=pd.Series([None] * 3, dtype=object))),
    )
    with pytest.raises(ValueError, match="'member' was categorical with dtype bool in fit"):
        clf.predict(frame.iloc[:3].assign(member=[np.nan, 1.0, np.nan]))


def test_a_category_column_left_out_is_named(table):
    frame, y = table
    with pytest.raises(ValueError, match="'size' holds non-numeric values such as '[SML]' but"):
        SNNClassifier(categorical_features=[]).fit(frame[["income", "size"]], y)


def test_no_rows_of_a_mixed_table(table):
    # Validation of a table with categories skips check_array: its 0-row error
    # is scikit-learn's, with the whole table's shape and the estimator's name.
    frame, y = table
    message = r"0 sample\(s\) \(shape=\(0, 6\)\) while a minimum of 1 is required by SNNClassifier"
    with pytest.raises(ValueError, match=message):
        SNNClassifier(**TINY).fit(frame.iloc[:0], y[:0])
    clf = SNNClassifier(**TINY).fit(frame, y)
    with pytest.raises(ValueError, match=message):
        clf.predict(frame.iloc[:0])


def test_an_error_no_column_explains_comes_through(table):
    # Duplicate column names: the categorical 'colour' is not at fault, and
    # scikit-learn's own message is the one to see.
    frame, y = table
    doubled = pd.concat([frame, frame[["income"]]], axis=1)
    with pytest.raises(ValueError, match="Expected unique column names") as raised:
        SNNClassifier(**TINY).fit(doubled, y)
    assert "colour" not in str(raised.value)


def test_categories_read_with_the_pyarrow_backend(table, tmp_path):
    # pandas' read_parquet(dtype_backend="pyarrow") gives category columns as
    # pyarrow dictionaries: categorical by their dtype, as for HistGradientBoosting.
    pytest.importorskip("pyarrow")
    frame, y = table
    frame = frame[["income", "size", "colour"]]
    frame.to_parquet(tmp_path / "table.parquet")
    arrow = pd.read_parquet(tmp_path / "table.parquet", dtype_backend="pyarrow")
    assert isinstance(arrow["size"].dtype, pd.ArrowDtype)
    clf = SNNClassifier(**TINY).fit(arrow, y)
    np.testing.assert_array_equal(clf._categorical, [False, True, True])
    reference = SNNClassifier(**TINY).fit(frame, y)
    np.testing.assert_allclose(clf.predict_proba(arrow), reference.predict_proba(frame), atol=1e-6)
    np.testing.assert_array_equal(clf.predict_proba(frame), clf.predict_proba(arrow))


def test_polars_frames_with_categories(table):
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")  # polars' to_pandas
    frame, y = table
    frame = frame[["income", "age", "size", "colour"]]
    polars_frame = pl.from_pandas(frame).with_columns(pl.col("size").cast(pl.Categorical))
    reference = SNNClassifier(**TINY).fit(frame, y)
    for categorical_features in ("from_dtype", [2, 3], ["size", "colour"]):
        clf = SNNClassifier(**TINY, categorical_features=categorical_features)
        clf.fit(polars_frame, y)
        np.testing.assert_array_equal(clf._categorical, [False, False, True, True])
        assert clf.feature_names_in_.tolist() == list(frame.columns)
        np.testing.assert_allclose(
            clf.predict_proba(polars_frame), reference.predict_proba(frame), atol=1e-6
        )
    np.testing.assert_array_equal(reference.predict(polars_frame), reference.predict(frame))
    # All numbers, with categories declared by position or name.
    numbers = pl.DataFrame({"size": np.arange(len(y)) % 4, "income": frame["income"]})
    for declared in ([0], ["size"]):
        clf = SNNClassifier(**TINY, categorical_features=declared).fit(numbers, y)
        np.testing.assert_array_equal(clf._categorical, [True, False])


def test_a_weight_of_zero_removes_the_row_from_the_encoding_too(table):
    # As BaggingClassifier's out-of-bag rows: their values and labels must not
    # reach the imputer, the categories or the target encoding.
    frame, y = table
    rng = np.random.default_rng(1)
    frame = frame.assign(
        shop=rng.choice([f"s{i}" for i in range(60)], len(frame))
    )  # target encoded
    weight = rng.integers(0, 3, len(frame)).astype(float)
    out = weight == 0
    frame.loc[out, "income"] = 1e4  # far off: would move the imputed mean
    frame.loc[out, "shop"] = "ghost"  # a category seen only in those rows
    y = np.where(out, 1, y)
    weighted = SNNClassifier(**TINY).fit(frame, y, sample_weight=weight)
    removed = SNNClassifier(**TINY).fit(frame[~out], y[~out], sample_weight=weight[~out])
    np.testing.assert_array_equal(weighted.predict_proba(frame), removed.predict_proba(frame))
    target = weighted._column_encoder.named_transformers_["target"]
    assert "ghost" not in target.categories_[0]
    # A class only in rows of weight zero: the target encoder learns the classes
    # of the rows it sees (three of them crashed it), and predicts all three.
    labels = np.arange(len(frame)) % 3
    weight = np.where(labels == 2, 0.0, 1.0)
    three = SNNClassifier(**TINY).fit(frame, labels, sample_weight=weight)
    assert three.predict_proba(frame).shape == (len(frame), 3)
    removed = SNNClassifier(**TINY).fit(frame[labels < 2], labels[labels < 2])
    assert removed._column_encoder.named_transformers_["target"].target_type_ == "binary"
    assert three._column_encoder.named_transformers_["target"].target_type_ == "binary"


def test_integer_weights_are_copies_with_missing_values():
    # The imputed means are summed exactly, so weighting a row equals repeating
    # it bit for bit, also for the rows whose missing values get those means.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    X[rng.random(200) < 0.2, 1] = np.nan
    X[:, 2] = X[:, 2] * 1e3 + 0.1  # sums that round differently in another order
    X[rng.random(200) < 0.3, 2] = np.nan
    y = (np.nan_to_num(X[:, 0]) > 0).astype(int)
    k = rng.integers(0, 4, 200)
    weighted = SNNClassifier(**TINY, n_ensemble=2).fit(X, y, sample_weight=k)
    copies = SNNClassifier(**TINY, n_ensemble=2).fit(np.repeat(X, k, axis=0), np.repeat(y, k))
    imputed = [1, 2]  # the other columns' means only fill values missing at prediction
    np.testing.assert_array_equal(
        weighted._column_encoder.statistics_[imputed], copies._column_encoder.statistics_[imputed]
    )
    np.testing.assert_array_equal(weighted.predict_proba(X), copies.predict_proba(X))
    keep = k > 0
    means = np.nansum(X[keep] * k[keep, None], axis=0) / ((~np.isnan(X[keep])) * k[keep, None]).sum(
        0
    )
    np.testing.assert_allclose(weighted._column_encoder.statistics_, means, rtol=1e-12)


def test_missing_values_in_rows_of_weight_zero_only():
    # No imputer is learned (the rows that count have no missing value); the
    # fill for later missing values is the weighted mean of the rows that count.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = (X[:, 0] > 0).astype(int)
    weight = np.ones(100)
    weight[:10] = 0.0
    weight[10:20] = 3.0
    X[:10] = 1e4
    X[:5, 1] = np.nan
    clf = SNNClassifier(**TINY).fit(X, y, sample_weight=weight)
    assert clf._column_encoder is None
    expected = np.average(X[10:], axis=0, weights=weight[10:])
    np.testing.assert_allclose(clf._missing_fill, expected, rtol=1e-12)
    removed = SNNClassifier(**TINY).fit(X[10:], y[10:], sample_weight=weight[10:])
    np.testing.assert_array_equal(clf.predict_proba(X[10:]), removed.predict_proba(X[10:]))


def test_partial_fit_keeps_the_encoding_of_its_first_call(table):
    frame, y = table
    clf = SNNClassifier(**TINY)
    clf.partial_fit(frame[:100], y[:100], classes=[0, 1])
    encoder = clf._column_encoder
    later = frame[100:].copy()
    later["colour"] = pd.Series(["purple"] * len(later), dtype="string", index=later.index)
    # Training on a category the encoding never saw teaches nothing of it: said.
    with pytest.warns(UserWarning, match=r"never saw .*'colour': \['purple'\]"):
        clf.partial_fit(later, y[100:])
    assert clf._column_encoder is encoder
    assert np.isfinite(clf.predict_proba(later)).all()


def _blocks_with_late_categories(categories=None):
    """A label set by a category, whose categories c and d come after the first block."""
    rng = np.random.default_rng(0)
    kind = np.repeat(["a", "b", "c", "d"], 100)
    kind = np.concatenate([rng.permutation(kind[:200]), rng.permutation(kind[200:])])
    column = pd.Categorical(kind, categories=categories) if categories else kind
    frame = pd.DataFrame({"number": rng.normal(size=400), "kind": column})
    return frame, np.isin(kind, ["a", "c"]).astype(int)


def test_partial_fit_learns_the_categories_a_dtype_declares():
    # The first block holds a and b only; the category dtype names c and d too,
    # so they get their own columns from the start and can be learned.
    frame, y = _blocks_with_late_categories(["a", "b", "c", "d"])
    clf = SNNClassifier(**TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf.partial_fit(frame[:50], y[:50], classes=[0, 1])
        for _ in range(20):
            for start in range(0, 400, 50):
                clf.partial_fit(frame[start : start + 50], y[start : start + 50])
    categories = clf._column_encoder.named_transformers_["one_hot"].categories_
    assert categories[0].tolist() == ["a", "b", "c", "d"]
    late = np.arange(200, 400)
    assert clf.score(frame.iloc[late], y[late]) == 1.0


def test_partial_fit_target_encodes_a_column_declaring_many_categories():
    # More than MAX_ONE_HOT_CATEGORIES declared: target encoded from the first
    # batch, and the warning about later categories does not advise declaring them.
    names = [f"k{i:02d}" for i in range(60)]
    rng = np.random.default_rng(0)
    kind = np.array(names)[np.r_[np.arange(4).repeat(10), rng.integers(0, 60, 200)]]
    frame = pd.DataFrame({"x": rng.normal(size=240), "kind": pd.Categorical(kind, names)})
    y = (np.char.count(kind.astype(str), "1") > 0).astype(int)
    clf = SNNClassifier(**TINY)
    clf.partial_fit(frame[:40], y[:40], classes=[0, 1])
    assert [name for name, *_ in clf._column_encoder.transformers_][0] == "target"
    with pytest.warns(
        UserWarning, match="target encoded .* the means of the first batch"
    ) as record:
        clf.partial_fit(frame[40:], y[40:])
    assert not any("Declare every category" in str(w.message) for w in record)


def test_partial_fit_groups_no_category_of_its_first_block_as_rare():
    # Each category four times in the first block: below the count that groups
    # rare categories in a fit, which would make the column one constant.
    kind = np.array(["a", "b", "c", "d"] * 100)
    frame = pd.DataFrame({"number": np.random.default_rng(0).normal(size=400), "kind": kind})
    y = np.isin(kind, ["a", "c"]).astype(int)
    clf = SNNClassifier(**TINY)
    clf.partial_fit(frame[:16], y[:16], classes=[0, 1])
    for _ in range(20):
        clf.partial_fit(frame, y)
    assert clf.score(frame, y) == 1.0


def test_a_fit_groups_rare_categories_whatever_the_dtype_declares():
    # A fit sees all its data: the declared but absent categories change nothing.
    frame, y = _blocks_with_late_categories()
    declared = frame.copy()
    declared["kind"] = pd.Categorical(frame["kind"], categories=["a", "b", "c", "d", "e"])
    plain = SNNClassifier(**TINY).fit(frame, y).predict_proba(frame)
    np.testing.assert_array_equal(
        SNNClassifier(**TINY).fit(declared, y).predict_proba(declared), plain
    )


def test_warm_start_keeps_the_encoding(table):
    frame, y = table
    clf = SNNClassifier(**{**TINY, "warm_start": True}).fit(frame, y)
    encoder = clf._column_encoder
    clf.fit(frame[:150], y[:150])
    assert clf._column_encoder is encoder
    later = frame[150:].copy()
    later["colour"] = pd.Series(["purple"] * len(later), dtype="string", index=later.index)
    with pytest.warns(UserWarning, match=r"never saw .*'colour': \['purple'\]"):
        clf.fit(later, y[150:])


def test_a_continued_fit_refuses_other_categorical_columns(table):
    frame, y = table
    clf = SNNClassifier(**{**TINY, "warm_start": True}).fit(frame, y)
    # The same columns named another way keep the encoding.
    clf.set_params(categorical_features=["colour", "size", "member"]).fit(frame, y)
    clf.set_params(categorical_features=[2, 3, 4]).partial_fit(frame, y)
    # An unchanged parameter leaves the data's column types to check_same_kinds.
    clf.set_params(categorical_features="from_dtype")
    clf.partial_fit(frame.assign(member=frame["member"].astype("boolean")), y)
    with pytest.raises(ValueError, match="'member' was categorical with dtype bool"):
        clf.partial_fit(frame.assign(member=frame["member"].astype(int)), y)
    weights = clf.module_.output.weight.detach().clone()
    for changed in (["colour", "size"], [2, 3, 4, 5], None):
        clf.set_params(categorical_features=changed)
        with pytest.raises(ValueError, match=r"selects the columns .* fitted with \[2, 3, 4\]"):
            clf.fit(frame, y)
        with pytest.raises(ValueError, match="keep the fitted encoding"):
            clf.partial_fit(frame, y)
    assert torch.equal(clf.module_.output.weight, weights)
    # A selection changed in place is a changed selection too.
    selection = ["colour", "size", "member"]
    clf = SNNClassifier(**{**TINY, "warm_start": True}, categorical_features=selection)
    clf.fit(frame, y)
    selection.pop()
    with pytest.raises(ValueError, match="keep the fitted encoding"):
        clf.partial_fit(frame, y)
    numeric = np.arange(40.0).reshape(20, 2)
    clf = SNNClassifier(**{**TINY, "warm_start": True}).fit(numeric, np.arange(20) % 2)
    with pytest.raises(ValueError, match=r"selects the columns \[1\] now, but .* with \[\]"):
        clf.set_params(categorical_features=[1]).fit(numeric, np.arange(20) % 2)


def test_pickle_and_skops_round_trips(table, tmp_path):
    frame, y = table
    clf = SNNClassifier(**TINY).fit(frame, y)
    expected = clf.predict_proba(frame)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(frame), expected)
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    np.testing.assert_array_equal(loaded.predict_proba(frame), expected)
    assert loaded.feature_names_in_.tolist() == list(frame.columns)


def test_in_a_pipeline_behind_a_pandas_column_transformer(table):
    frame, y = table
    scale_numbers = ColumnTransformer(
        [("scale", StandardScaler(), ["income"])],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    model = make_pipeline(scale_numbers, SNNClassifier(**{**TINY, "max_iter": 150}))
    model.fit(frame, y)
    assert model.score(frame, y) > 0.9


def test_small_data_keeps_categories_that_are_rare_only_by_count():
    # 32 rows, 8 categories seen 4 times each: grouping every category as rare
    # would make the column one constant and leave nothing to learn.
    kind = np.repeat(list("abcdefgh"), 4)
    frame = pd.DataFrame({"kind": kind, "noise": np.random.default_rng(0).normal(size=32)})
    y = np.isin(kind, list("aceg")).astype(int)
    clf = SNNClassifier(**{**TINY, "max_iter": 100}).fit(frame, y)
    assert len(clf._column_encoder.named_transformers_["one_hot"].categories_[0]) == 8
    assert clf._column_encoder.transform(frame.to_numpy(dtype=object)).shape[1] == 8 + 1
    assert clf.score(frame, y) == 1.0


def test_categories_seen_once_are_grouped_on_any_data():
    # An identifier (every row its own category) carries nothing to learn.
    frame = pd.DataFrame({"id": [f"row{i}" for i in range(30)], "x": np.arange(30.0)})
    y = np.arange(30) % 2
    clf = SNNClassifier(**TINY).fit(frame, y)
    encoded = clf._column_encoder.transform(frame.to_numpy(dtype=object))
    assert encoded.shape[1] == 1 + 1  # all ids as one infrequent column, then x


def test_tables_are_encoded_for_prediction_block_by_block(table, monkeypatch):
    # The encoded (one-hot) columns of all rows at once would take memory in
    # proportion to the rows; block by block, the answers are the same.
    import sklearn_snn._base as base

    frame, y = table
    clf = SNNClassifier(**TINY).fit(frame, y)
    whole = clf.predict_proba(frame)
    blocks = []
    original = base.predict_raw

    def recording(module, X, *args, **kwargs):
        blocks.append(X.shape[0])
        return original(module, X, *args, **kwargs)

    monkeypatch.setattr(base, "predict_raw", recording)
    monkeypatch.setattr(base, "prediction_rows", lambda module, n_inputs: 64)
    np.testing.assert_allclose(clf.predict_proba(frame), whole, rtol=0, atol=1e-13)
    assert blocks == [64] * 4 + [len(frame) - 256]
    # Threads predicting at once must not leave a filter silencing scikit-learn's
    # feature-name warnings (catch_warnings is not thread-safe).
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: clf.predict_proba(frame), range(8)))
    patterns = [getattr(entry[1], "pattern", entry[1]) or "" for entry in warnings.filters]
    assert not any("feature names" in pattern for pattern in patterns)
    for answer in answers:
        np.testing.assert_array_equal(answer, answers[0])
    # An error names what is wrong with the whole input, not with one block.
    bad = frame.copy()
    bad["income"] = bad["income"].where(np.arange(len(bad)) % 10 != 3, np.inf)
    with pytest.raises(ValueError, match="30 infinite value"):
        clf.predict_proba(bad)


def test_sparse_tables_of_any_format_predict_block_by_block(monkeypatch):
    import sklearn_snn._base as base

    rng = np.random.default_rng(0)
    X = np.c_[rng.integers(0, 3, 300), rng.normal(size=300)]
    y = (X[:, 0] == 1).astype(int)
    clf = SNNClassifier(**{**TINY, "categorical_features": [0]}).fit(sp.csr_matrix(X), y)
    expected = clf.predict_proba(sp.csr_matrix(X))
    monkeypatch.setattr(base, "prediction_rows", lambda module, n_inputs: 64)
    for matrix in (sp.coo_matrix, sp.csc_matrix, sp.dia_matrix, sp.bsr_matrix, sp.coo_array):
        proba = clf.predict_proba(matrix(X))
        np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-13)


def test_a_model_fitted_before_lists_kept_their_flags_reads_them_as_then():
    # Lists mixing numbers and bools were read as numbers (flags spelt 0/1);
    # a model saved then must go on reading its lists so.
    rows = [[0.1, True], [0.2, False], [0.3, True]] * 20
    y = [0, 1, 1] * 20
    clf = SNNClassifier(**{**TINY, "categorical_features": [1]})
    clf.fit(np.asarray(rows), y)  # as such a list was read then
    del clf._lists_keep_flags
    expected = clf.predict_proba(np.asarray(rows))
    np.testing.assert_array_equal(clf.predict_proba(rows), expected)
    clf.partial_fit(rows, y)
    fitted_now = SNNClassifier(**{**TINY, "categorical_features": [1]}).fit(rows, y)
    assert fitted_now._lists_keep_flags
    np.testing.assert_array_equal(
        fitted_now.predict_proba(rows), fitted_now.predict_proba(np.array(rows, dtype=object))
    )
