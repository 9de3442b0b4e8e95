"""Write scikit-learn's bundled datasets as a dataset folder for ``bench_accuracy.py``.

The defaults are chosen on the developers' collection; these datasets ship with
scikit-learn and are not in it, so a run on them checks that the defaults carry
over. Besides the bundled files, three regression datasets are generated with
fixed seeds from Friedman's benchmark functions (``make_friedman1/2/3``): the
bundled data hold one regression dataset only. The folder gets one ``.csv.gz`` per
dataset and a ``manifest.json`` in the format that ``_dataset_folder.py`` reads::

    python benchmarks/bundled_datasets.py /tmp/bundled
    python benchmarks/bench_accuracy.py --data-dir /tmp/bundled --name bundled \\
        --models sklearn-snn mlp realmlp-td linear random-forest

A helper of the benchmarks, not part of the package; it needs no network.
"""

import argparse
import json
from pathlib import Path

import pandas as pd
from sklearn import datasets

# Loaders that read files installed with scikit-learn (no download).
BUNDLED = {
    "digits": datasets.load_digits,
    "wine": datasets.load_wine,
    "iris": datasets.load_iris,
    "breast_cancer": datasets.load_breast_cancer,
    "diabetes": datasets.load_diabetes,
}
# Regression data from fixed seeds: (generator, rows, noise standard deviation).
GENERATED = {
    "friedman1": (datasets.make_friedman1, 1000, 1.0),
    "friedman2": (datasets.make_friedman2, 1000, 100.0),
    "friedman3": (datasets.make_friedman3, 1000, 0.1),
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
    frames = {name: load(as_frame=True).frame for name, load in BUNDLED.items()}
    for name, (make, n_rows, noise) in GENERATED.items():
        X, y = make(n_samples=n_rows, noise=noise, random_state=0)
        frames[name] = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
        frames[name]["target"] = y
    for name, frame in frames.items():  # the features, then "target"
        target = frame["target"]
        regression = name == "diabetes" or name in GENERATED
        task = "binary" if target.nunique() == 2 else "multiclass"
        entry = {
            "name": name,
            "file": f"{name}.csv.gz",
            "task": "regression" if regression else task,
            "n_rows": len(frame),
            "n_features": frame.shape[1] - 1,
            "n_classes": None if regression else int(target.nunique()),
            "categorical_columns": [],
            "source": (
                f"sklearn.datasets.make_{name}(n_samples={GENERATED[name][1]}, "
                f"noise={GENERATED[name][2]}, random_state=0)"
                if name in GENERATED
                else f"sklearn.datasets.load_{name}"
            ),
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
