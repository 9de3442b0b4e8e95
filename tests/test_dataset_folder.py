"""The accuracy benchmark's dataset folders, read by ``benchmarks/_dataset_folder.py``."""

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_friedman1

pd = pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "datasets"
_spec = importlib.util.spec_from_file_location(
    "_dataset_folder", ROOT / "benchmarks" / "_dataset_folder.py"
)
dataset_folder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dataset_folder)
DATA_ENV_VARIABLE = dataset_folder.DATA_ENV_VARIABLE
list_datasets, load_dataset = dataset_folder.list_datasets, dataset_folder.load_dataset


@pytest.fixture
def data_dir(tmp_path):
    """A folder with a classification, a regression and a listed-but-absent dataset."""
    pd.DataFrame(
        {
            "x0": [1.0, 2.5, np.nan, 4.0],
            "code": ["01", "02", "01", ""],
            "target": ["1", "0", "1", "0"],
        }
    ).to_csv(tmp_path / "codes.csv.gz", index=False)
    pd.DataFrame({"a": [0.1, 0.2, 0.3], "b": [3, 2, 1], "target": [1, 2, 3]}).to_csv(
        tmp_path / "line.csv.gz", index=False
    )
    manifest = [
        {"name": "codes", "file": "codes.csv.gz", "task": "binary", "n_rows": 4,
         "categorical_columns": ["code"]},
        {"name": "line", "file": "line.csv.gz", "task": "regression"},
        {"name": "absent", "file": "absent.csv.gz", "task": "multiclass"},
    ]  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch):
    monkeypatch.delenv(DATA_ENV_VARIABLE, raising=False)


def test_list_datasets_in_manifest_order_with_defaults(data_dir):
    entries = list_datasets(data_dir)
    assert [e["name"] for e in entries] == ["codes", "line", "absent"]
    assert entries[0]["n_rows"] == 4
    assert entries[1]["categorical_columns"] == []


def test_categorical_columns_and_labels_stay_strings(data_dir):
    bunch = load_dataset("codes", data_dir=data_dir)
    assert bunch.task == "binary" and bunch.name == "codes"
    assert bunch.categorical_columns == ["code"]
    assert list(bunch.data.columns) == ["x0", "code"]
    assert bunch.data["code"].tolist()[:3] == ["01", "02", "01"]
    assert bunch.data["code"].isna().tolist() == [False, False, False, True]
    assert bunch.data["x0"].dtype == np.float64 and bunch.data["x0"].isna().sum() == 1
    assert bunch.target.tolist() == ["1", "0", "1", "0"]
    assert bunch.info["n_rows"] == 4
    X, y = load_dataset("codes", data_dir=data_dir, return_X_y=True)
    pd.testing.assert_frame_equal(X, bunch.data)
    pd.testing.assert_series_equal(y, bunch.target)


def test_regression_target_is_float(data_dir):
    X, y = load_dataset("line", data_dir=data_dir, return_X_y=True)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert y.dtype == np.float64 and y.tolist() == [1.0, 2.0, 3.0]
    assert X["b"].dtype.kind == "i"


def test_environment_variable_names_the_folder(data_dir, monkeypatch):
    monkeypatch.setenv(DATA_ENV_VARIABLE, str(data_dir))
    assert load_dataset("line").data.shape == (3, 2)
    assert len(list_datasets()) == 3


def test_argument_wins_over_environment_variable(data_dir, tmp_path_factory, monkeypatch):
    monkeypatch.setenv(DATA_ENV_VARIABLE, str(tmp_path_factory.mktemp("empty")))
    assert load_dataset("line", data_dir=data_dir).data.shape == (3, 2)


def test_no_folder_given_is_a_clear_error():
    with pytest.raises(ValueError, match=DATA_ENV_VARIABLE):
        load_dataset("codes")
    with pytest.raises(ValueError, match="data_dir"):
        list_datasets()


def test_missing_folder_manifest_dataset_and_file(data_dir, tmp_path_factory):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list_datasets(data_dir / "nowhere")
    with pytest.raises(FileNotFoundError, match="manifest.json"):
        list_datasets(tmp_path_factory.mktemp("empty"))
    with pytest.raises(ValueError, match="No dataset 'iris'.*available: absent, codes, line"):
        load_dataset("iris", data_dir=data_dir)
    with pytest.raises(FileNotFoundError, match="absent.csv.gz"):
        load_dataset("absent", data_dir=data_dir)


def test_malformed_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps([{"name": "x", "file": "x.csv"}]))
    with pytest.raises(ValueError, match="lacks the keys \\['task'\\]"):
        list_datasets(tmp_path)
    (tmp_path / "manifest.json").write_text(
        json.dumps([{"name": "x", "file": "x.csv", "task": "ranking"}])
    )
    with pytest.raises(ValueError, match="task 'ranking'"):
        list_datasets(tmp_path)


def _toy_folder(folder, csv_text, **entry):
    """A folder whose manifest lists one dataset, ``toy``, read from ``csv_text``."""
    (folder / "toy.csv").write_text(csv_text)
    manifest = [{"name": "toy", "file": "toy.csv", "task": "multiclass", **entry}]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def _value_error_naming(load, folder, *names):
    """The ValueError of ``load(folder)``, after checking that its message holds ``names``."""
    with pytest.raises(ValueError) as error:
        load(folder)
    for text in (str(folder / "manifest.json"), *names):
        assert text in str(error.value)
    return error.value


def test_only_empty_cells_become_missing(tmp_path):
    text = "x0,kind,target\n1.5,NA,NA\n,None,None\n2,null,null\n3,nan,nan\n4,N/A,N/A\n5,,ok\n"
    bunch = load_dataset("toy", _toy_folder(tmp_path, text, categorical_columns=["kind"]))
    assert bunch.data["kind"].tolist()[:5] == ["NA", "None", "null", "nan", "N/A"]
    assert bunch.data["kind"].isna().tolist() == [False] * 5 + [True]
    assert bunch.target.tolist() == ["NA", "None", "null", "nan", "N/A", "ok"]
    assert bunch.data["x0"].dtype == np.float64
    assert bunch.data["x0"].isna().tolist() == [False, True, False, False, False, False]


@pytest.mark.parametrize(
    "categorical, bad",
    [("kind", "'kind'"), (None, "None"), (["kind", "knd"], "['knd']"), ([1], "[1]"),
     (["target"], "'target'")],
)  # fmt: skip
def test_categorical_columns_must_be_header_names(tmp_path, categorical, bad):
    folder = _toy_folder(tmp_path, "x0,kind,target\n1,a,0\n", categorical_columns=categorical)
    _value_error_naming(lambda folder: load_dataset("toy", folder), folder, "'toy'", bad)


def test_stray_text_in_a_numeric_column_is_an_error(tmp_path):
    folder = _toy_folder(tmp_path, "x0,kind,target\n1,a,0\n?,b,1\n", categorical_columns=[])
    _value_error_naming(
        lambda folder: load_dataset("toy", folder),
        folder,
        "'x0' of dataset 'toy'",
        "'?'",
        "categorical_columns",
    )


def test_regression_target_must_be_numbers(tmp_path):
    folder = _toy_folder(tmp_path, "x0,target\n1,0.5\n2,n/a\n", task="regression")
    _value_error_naming(
        lambda folder: load_dataset("toy", folder), folder, "'target' of dataset 'toy'", "'n/a'"
    )


@pytest.mark.parametrize(
    "manifest_text, message",
    [
        ("[5]", "entry 0 of"),
        ('[{"name": "x", "file": null, "task": "binary"}]', "has file None"),
        ('[{"name": "x", "file": "x.csv", "task": "binary"},]', "not valid JSON"),
        ('[{"name": "x", "file": "a.csv", "task": "binary"},'
         ' {"name": "x", "file": "b.csv", "task": "binary"}]', "'x' twice"),
    ],
)  # fmt: skip
def test_malformed_manifest_errors_name_the_manifest(tmp_path, manifest_text, message):
    (tmp_path / "manifest.json").write_text(manifest_text)
    for load in (list_datasets, lambda folder: load_dataset("x", folder)):
        _value_error_naming(load, tmp_path, message)


def test_without_pandas_a_clear_import_error(data_dir, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match="load_dataset needs pandas"):
        load_dataset("codes", data_dir=data_dir)
    assert len(list_datasets(data_dir)) == 3


def _real_data_dir():
    if os.environ.get(DATA_ENV_VARIABLE):
        return Path(os.environ[DATA_ENV_VARIABLE])
    return SHARED_DATA if SHARED_DATA.is_dir() else None


@pytest.mark.slow
def test_every_real_dataset_matches_its_manifest():
    folder = _real_data_dir()
    if folder is None:
        pytest.skip(f"no real datasets: set {DATA_ENV_VARIABLE}")
    for entry in list_datasets(folder):
        bunch = load_dataset(entry["name"], data_dir=folder)
        X, y = bunch.data, bunch.target
        assert bunch.task in ("binary", "multiclass", "regression")
        if "n_rows" in entry:
            assert X.shape[0] == entry["n_rows"], entry["name"]
        if "n_features" in entry:
            assert X.shape[1] == entry["n_features"], entry["name"]
        for column in entry["categorical_columns"]:
            assert X[column].dropna().map(type).eq(str).all(), (entry["name"], column)
        if bunch.task == "regression":
            assert y.dtype == np.float64 and np.isfinite(y).all(), entry["name"]
        else:
            assert y.notna().all() and y.map(type).eq(str).all(), entry["name"]
            if "n_classes" in entry:
                assert y.nunique() == entry["n_classes"], entry["name"]
        if "n_missing" in entry:
            assert int(X.isna().sum().sum()) == entry["n_missing"], entry["name"]


def test_bundled_datasets_make_a_folder_the_loader_reads(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "bundled_datasets", ROOT / "benchmarks" / "bundled_datasets.py"
    )
    bundled = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bundled)
    manifest = bundled.write_folder(tmp_path)
    assert [entry["name"] for entry in manifest] == [*bundled.BUNDLED, *bundled.GENERATED]
    assert list_datasets(tmp_path) == manifest
    tasks = {entry["name"]: entry["task"] for entry in manifest}
    assert tasks == {
        "digits": "multiclass", "wine": "multiclass", "iris": "multiclass",
        "breast_cancer": "binary", "diabetes": "regression", "friedman1": "regression",
        "friedman2": "regression", "friedman3": "regression",
    }  # fmt: skip
    X, y = load_dataset("breast_cancer", data_dir=tmp_path, return_X_y=True)
    assert X.shape == (569, 30) and sorted(y.unique()) == ["0", "1"]
    X, y = load_dataset("diabetes", data_dir=tmp_path, return_X_y=True)
    assert X.shape == (442, 10) and y.dtype == np.float64 and y.min() == 25.0
    X, y = load_dataset("friedman1", data_dir=tmp_path, return_X_y=True)
    # Seeded: the same rows on every machine; only 5 of the 10 columns matter.
    expected = make_friedman1(n_samples=1000, noise=1.0, random_state=0)
    np.testing.assert_allclose(X.to_numpy(), expected[0])
    np.testing.assert_allclose(y.to_numpy(), expected[1])
