"""Load the accuracy benchmark's datasets from a folder of ``.csv.gz`` files.

The folder holds one ``manifest.json`` and one compressed CSV file per
dataset. The manifest is a JSON list with one object per dataset; the keys
read here are

``name``
    The name passed to ``load_dataset``.
``file``
    The CSV file, relative to the folder (``.csv`` or ``.csv.gz``).
``task``
    ``"binary"``, ``"multiclass"`` or ``"regression"``.
``categorical_columns`` (optional)
    Columns read as strings; every other feature column is read as numbers.
``target`` (optional)
    Name of the target column, ``"target"`` when absent.

Any further keys (row counts, sources, notes) are passed through untouched.
Class labels are read as strings so that numeric-looking labels and codes
stay labels; empty cells become missing values.

The folder is the ``data_dir`` argument or, when that is None, the
environment variable ``SKLEARN_SNN_DATA``. Nothing else is searched.

A helper of ``bench_accuracy.py``, not part of the package; with this folder on
``sys.path``::

    from _dataset_folder import list_datasets, load_dataset

    X, y = load_dataset("magic", "../shared/datasets", return_X_y=True)
"""

import json
import os
from pathlib import Path

from sklearn.utils import Bunch

DATA_ENV_VARIABLE = "SKLEARN_SNN_DATA"
TASKS = ("binary", "multiclass", "regression")
_MANIFEST = "manifest.json"
_DEFAULT_TARGET = "target"

__all__ = ["DATA_ENV_VARIABLE", "list_datasets", "load_dataset"]


def _data_folder(data_dir):
    if data_dir is None:
        data_dir = os.environ.get(DATA_ENV_VARIABLE) or None
    if data_dir is None:
        raise ValueError(
            "No dataset folder given: pass data_dir=... or set the environment "
            f"variable {DATA_ENV_VARIABLE} to a folder holding {_MANIFEST} and the "
            ".csv.gz files."
        )
    folder = Path(data_dir).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"Dataset folder {str(folder)!r} does not exist.")
    return folder


def _read_manifest(folder):
    path = folder / _MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"No {_MANIFEST} in the dataset folder {str(folder)!r}.")
    with open(path, encoding="utf-8") as file:
        try:
            entries = json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON: {error}.") from error
    if not isinstance(entries, list):
        raise ValueError(f"{path} must hold a JSON list of dataset entries.")
    names = set()
    for index, entry in enumerate(entries):
        _check_entry(entry, f"Manifest entry {index} of {path}")
        if entry["name"] in names:
            raise ValueError(f"{path} lists the dataset {entry['name']!r} twice; rename one.")
        names.add(entry["name"])
    return entries


def _check_entry(entry, where):
    if not isinstance(entry, dict):
        raise ValueError(
            f"{where} is {entry!r}; each entry must be a JSON object with the keys "
            "name, file and task."
        )
    missing = {"name", "file", "task"} - set(entry)
    if missing:
        raise ValueError(f"{where} lacks the keys {sorted(missing)}: {entry!r}.")
    for key in ("name", "file", "target"):
        if key in entry and not (isinstance(entry[key], str) and entry[key]):
            raise ValueError(f"{where} has {key} {entry[key]!r}; expected a non-empty string.")
    if entry["task"] not in TASKS:
        raise ValueError(
            f"{where} (dataset {entry['name']!r}) has task {entry['task']!r}; "
            f"expected one of {TASKS}."
        )
    categorical = entry.get("categorical_columns", [])
    if not isinstance(categorical, list) or not all(isinstance(c, str) for c in categorical):
        raise ValueError(
            f"{where} (dataset {entry['name']!r}) has categorical_columns {categorical!r}; "
            'expected a list of column names, such as ["color", "shape"].'
        )
    target = entry.get("target", _DEFAULT_TARGET)
    if target in categorical:
        raise ValueError(
            f"{where} (dataset {entry['name']!r}) lists its target {target!r} in "
            "categorical_columns; remove it there: class labels are always read as strings."
        )


def _as_numbers(column, dataset, advice):
    """The ``column`` as numbers, or a ValueError ending with ``advice``."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column):
        return column
    numbers = pd.to_numeric(column, errors="coerce")
    bad = column[numbers.isna() & column.notna()]
    if len(bad):
        raise ValueError(
            f"Column {column.name!r} of dataset {dataset!r} holds the non-number "
            f"{bad.iloc[0]!r}; {advice}"
        )
    return numbers


def list_datasets(data_dir=None):
    """Describe the datasets of a folder, as listed in its manifest.

    Parameters
    ----------
    data_dir : str, path-like or None, default=None
        Folder holding ``manifest.json``; None reads the environment variable
        ``SKLEARN_SNN_DATA``.

    Returns
    -------
    datasets : list of dict
        One manifest entry per dataset, in the manifest's order, each with at
        least ``name``, ``file``, ``task`` and ``categorical_columns``.

    Raises
    ------
    ValueError
        If neither ``data_dir`` nor ``SKLEARN_SNN_DATA`` names a folder, or
        the manifest is malformed.
    FileNotFoundError
        If the folder or its manifest does not exist.

    See Also
    --------
    load_dataset : Load one of the listed datasets.
    """
    entries = _read_manifest(_data_folder(data_dir))
    return [{"categorical_columns": [], **entry} for entry in entries]


def load_dataset(name, data_dir=None, *, return_X_y=False):
    """Load one dataset of a folder described by a ``manifest.json``.

    Parameters
    ----------
    name : str
        Name of the dataset in the manifest.

    data_dir : str, path-like or None, default=None
        Folder holding ``manifest.json`` and the CSV files; None reads the
        environment variable ``SKLEARN_SNN_DATA``.

    return_X_y : bool, default=False
        Whether to return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        With the keys

        data : pandas.DataFrame of shape (n_samples, n_features)
            The features; categorical columns as string columns (``str``
            dtype with pandas 3, ``object`` before), the others as numbers,
            missing (empty) cells as NaN.
        target : pandas.Series of shape (n_samples,)
            Class labels as strings, or floats for regression.
        task : {"binary", "multiclass", "regression"}
            The task from the manifest.
        categorical_columns : list of str
            The columns read as strings.
        name : str
            The dataset's name.
        info : dict
            The whole manifest entry.

    (X, y) : tuple of pandas.DataFrame and pandas.Series
        With ``return_X_y=True``.

    Raises
    ------
    ImportError
        If pandas is not installed.
    ValueError
        If no folder is given, the manifest is malformed or lists no dataset
        ``name``, or the file disagrees with the manifest: a listed column is
        missing, or a numeric column or regression target holds text.
    FileNotFoundError
        If the folder, its manifest or the dataset's file does not exist.

    See Also
    --------
    list_datasets : The datasets of a folder and their manifest entries.
    """
    try:
        import pandas as pd
    except ImportError as error:
        raise ImportError(
            "load_dataset needs pandas: install it with `python -m pip install pandas`."
        ) from error
    folder = _data_folder(data_dir)
    manifest = folder / _MANIFEST
    entries = {entry["name"]: entry for entry in _read_manifest(folder)}
    if name not in entries:
        raise ValueError(
            f"No dataset {name!r} in {str(manifest)!r}; "
            f"available: {', '.join(sorted(entries)) or 'none'}."
        )
    entry = {"categorical_columns": [], **entries[name]}
    path = folder / entry["file"]
    if not path.is_file():
        raise FileNotFoundError(f"The file {str(path)!r} of dataset {name!r} does not exist.")
    target = entry.get("target", _DEFAULT_TARGET)
    categorical = list(entry["categorical_columns"])
    as_string = categorical + ([target] if entry["task"] != "regression" else [])
    # pandas would also read "NA", "None", "nan", ... as missing, turning categories into NaN.
    frame = pd.read_csv(
        path,
        dtype={column: str for column in as_string},
        keep_default_na=False,
        na_values=[""],
    )
    if target not in frame.columns:
        raise ValueError(f"Dataset {name!r} has no target column {target!r}.")
    unknown = [column for column in categorical if column not in frame.columns]
    if unknown:
        raise ValueError(
            f"Dataset {name!r} in {manifest} lists categorical_columns {unknown} that "
            f"{path.name} lacks; its columns are {list(frame.columns)}."
        )
    for column in frame.columns.difference(as_string + [target], sort=False):
        frame[column] = _as_numbers(
            frame[column],
            name,
            f"write missing values as empty cells, or list {column!r} under "
            f"categorical_columns in {manifest} if it holds categories.",
        )
    X = frame.drop(columns=target)
    y = frame[target]
    if entry["task"] == "regression":
        advice = f"a regression target must be numbers; fix the file or the task in {manifest}."
        y = _as_numbers(y, name, advice).astype(float)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        task=entry["task"],
        categorical_columns=categorical,
        name=name,
        info=entry,
    )
