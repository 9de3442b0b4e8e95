"""Load tabular benchmark datasets from a folder of ``.csv.gz`` files.

The folder holds one ``manifest.json`` and one compressed CSV file per
dataset. The manifest is a JSON list with one object per dataset; the keys
read here are

``name``
    The name passed to :func:`load_dataset`.
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
        entries = json.load(file)
    if not isinstance(entries, list):
        raise ValueError(f"{path} must hold a JSON list of dataset entries.")
    for entry in entries:
        missing = {"name", "file", "task"} - set(entry)
        if missing:
            raise ValueError(f"Manifest entry {entry!r} lacks the keys {sorted(missing)}.")
        if entry["task"] not in TASKS:
            raise ValueError(
                f"Dataset {entry['name']!r} has task {entry['task']!r}; expected one of {TASKS}."
            )
    return entries


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

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from sklearn_snn.datasets import list_datasets
    >>> tmp = tempfile.TemporaryDirectory()
    >>> manifest = [{"name": "toy", "file": "toy.csv.gz", "task": "binary", "n_rows": 4}]
    >>> _ = Path(tmp.name, "manifest.json").write_text(json.dumps(manifest))
    >>> [(d["name"], d["task"], d["n_rows"]) for d in list_datasets(tmp.name)]
    [('toy', 'binary', 4)]
    >>> tmp.cleanup()

    With the environment variable set, no argument is needed:

    >>> [d["name"] for d in list_datasets()]  # doctest: +SKIP
    ['magic', 'letter', ...]
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
            The features; categorical columns as strings (object dtype),
            the others as numbers, missing cells as NaN.
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
        If no folder is given, or the manifest lists no dataset ``name``.
    FileNotFoundError
        If the folder, its manifest or the dataset's file does not exist.

    See Also
    --------
    list_datasets : The datasets of a folder and their manifest entries.

    Examples
    --------
    A folder with one toy dataset:

    >>> import json, tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from sklearn_snn.datasets import load_dataset
    >>> tmp = tempfile.TemporaryDirectory()
    >>> frame = pd.DataFrame({"size": [1.5, 2.0, None], "color": ["red", "blue", "red"],
    ...                       "target": ["1", "0", "1"]})
    >>> frame.to_csv(Path(tmp.name, "toy.csv.gz"), index=False)
    >>> manifest = [{"name": "toy", "file": "toy.csv.gz", "task": "binary",
    ...              "categorical_columns": ["color"]}]
    >>> _ = Path(tmp.name, "manifest.json").write_text(json.dumps(manifest))
    >>> toy = load_dataset("toy", data_dir=tmp.name)
    >>> toy.task, toy.data.shape, toy.categorical_columns
    ('binary', (3, 2), ['color'])
    >>> toy.target.tolist()
    ['1', '0', '1']
    >>> X, y = load_dataset("toy", data_dir=tmp.name, return_X_y=True)
    >>> int(X["size"].isna().sum())
    1
    >>> tmp.cleanup()

    The developers' datasets, with ``SKLEARN_SNN_DATA`` set to their folder:

    >>> X, y = load_dataset("magic", return_X_y=True)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (19020, 10)
    """
    try:
        import pandas as pd
    except ImportError as error:
        raise ImportError(
            "load_dataset needs pandas: install it with `python -m pip install pandas`."
        ) from error
    folder = _data_folder(data_dir)
    entries = {entry["name"]: entry for entry in _read_manifest(folder)}
    if name not in entries:
        raise ValueError(
            f"No dataset {name!r} in {str(folder / _MANIFEST)!r}; "
            f"available: {', '.join(sorted(entries)) or 'none'}."
        )
    entry = {"categorical_columns": [], **entries[name]}
    path = folder / entry["file"]
    if not path.is_file():
        raise FileNotFoundError(f"The file {str(path)!r} of dataset {name!r} does not exist.")
    target = entry.get("target", _DEFAULT_TARGET)
    categorical = list(entry["categorical_columns"])
    as_string = categorical + ([target] if entry["task"] != "regression" else [])
    frame = pd.read_csv(path, dtype={column: str for column in as_string})
    if target not in frame.columns:
        raise ValueError(f"Dataset {name!r} has no target column {target!r}.")
    X = frame.drop(columns=target)
    y = frame[target]
    if entry["task"] == "regression":
        y = y.astype(float)
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
