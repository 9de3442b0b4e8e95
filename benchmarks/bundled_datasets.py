"""Write scikit-learn's bundled datasets as a dataset folder for ``bench_accuracy.py``.

The defaults are chosen on the developers' collection; these datasets ship with
scikit-learn and are not in it, so a run on them checks that the defaults carry
over. The folder gets one ``.csv.gz`` per dataset and a ``manifest.json`` in the
format that ``_dataset_folder.py`` reads::

    python benchmarks/bundled_datasets.py /tmp/bundled
    python benchmarks/bench_accuracy.py --data-dir /tmp/bundled --name bundled \\
        --models sklearn-snn mlp realmlp-td linear random-forest

A helper of the benchmarks, not part of the package; it needs no network.
"""

import argparse
import json
from pathlib import Path

from sklearn import datasets

# Loaders that read files installed with scikit-learn (no download).
BUNDLED = {
    "digits": datasets.load_digits,
    "wine": datasets.load_wine,
    "iris": datasets.load_iris,
    "breast_cancer": datasets.load_breast_cancer,
    "diabetes": datasets.load_diabetes,
}


def write_folder(folder):
    """Write every bundled dataset and the manifest into ``folder``.

    Parameters
    ----------
    folder : str or pathlib.Path
        Created if missing; existing files of the same names are replaced.

    Returns
    -------
    manifest : list of dict
        The entries written to ``manifest.json``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    for name, load in BUNDLED.items():
        frame = load(as_frame=True).frame  # the features, then "target"
        target = frame["target"]
        regression = name == "diabetes"
        task = "binary" if target.nunique() == 2 else "multiclass"
        entry = {
            "name": name,
            "file": f"{name}.csv.gz",
            "task": "regression" if regression else task,
            "n_rows": len(frame),
            "n_features": frame.shape[1] - 1,
            "n_classes": None if regression else int(target.nunique()),
            "categorical_columns": [],
            "source": f"sklearn.datasets.load_{name}",
        }
        frame.to_csv(folder / entry["file"], index=False, compression="gzip")
        manifest.append(entry)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def main(argv=None):
    """Parse the folder argument and write it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="where to write manifest.json and the .csv.gz files")
    args = parser.parse_args(argv)
    for entry in write_folder(args.folder):
        print(f"{entry['name']:<14} {entry['task']:<11} {entry['n_rows']:>5} rows")


if __name__ == "__main__":
    main()
