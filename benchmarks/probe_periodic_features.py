"""Development probe: the default estimators with per-column input features in front.

Scores, on the folds of ``bench_accuracy.py`` (5 folds, at most 10,000 rows, seed 0, the
same one-hot preprocessing), the default :class:`~sklearn_snn.SNNRegressor` or
:class:`~sklearn_snn.SNNClassifier` alone (``plain``) and in a pipeline after one of two
per-column feature expansions:

- ``periodic``: every column standardized, clipped to ±10, and joined by
  ``cos(2π w x + b)`` for ``--frequencies`` fixed random ``w ~ N(0, sigma²)`` and
  ``b ~ U(-π, π)`` per column (the start of RealMLP-TD's periodic embeddings, not trained);
- ``spline``: every column joined by scikit-learn's cubic
  :class:`~sklearn.preprocessing.SplineTransformer` on ``int(sigma)`` quantile knots.

It prints one JSON line per fold and the mean score (R² or accuracy) per dataset. The
estimators run with ``spline_knots=None``, as when the recorded runs were made: the
probe was the evidence for that option, not a benchmark of the package's defaults::

    SKLEARN_SNN_DATA=../shared/datasets python benchmarks/probe_periodic_features.py \\
        periodic 0.3 yacht airfoil concrete
"""

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer, SplineTransformer, StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peers import preprocessor  # noqa: E402
from _protocol import dataset_seed, fold_seed, outer_splits  # noqa: E402
from bench_accuracy import _load  # noqa: E402

from sklearn_snn import SNNClassifier, SNNRegressor  # noqa: E402


class PeriodicFeatures(TransformerMixin, BaseEstimator):
    """Standardized columns joined by fixed random periodic features of each column.

    Parameters
    ----------
    n_frequencies : int, default=16
        Features per column.
    sigma : float, default=0.1
        Standard deviation of the frequencies (per standard deviation of the column).
    random_state : int, default=0
        Seed of the frequencies and phases.
    """

    def __init__(self, n_frequencies=16, sigma=0.1, random_state=0):
        self.n_frequencies = n_frequencies
        self.sigma = sigma
        self.random_state = random_state

    def fit(self, X, y=None):
        """Learn the standardization and draw frequencies and phases.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.

        Returns
        -------
        self : PeriodicFeatures
        """
        X = np.asarray(X, dtype=float)
        self.scaler_ = StandardScaler().fit(X)
        rng = np.random.default_rng(self.random_state)
        self.frequencies_ = rng.normal(0, self.sigma, size=(X.shape[1], self.n_frequencies))
        self.phases_ = rng.uniform(-np.pi, np.pi, size=(X.shape[1], self.n_frequencies))
        return self

    def transform(self, X):
        """The clipped standardized columns, then their periodic features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to transform.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features * (1 + n_frequencies))
        """
        Z = np.clip(self.scaler_.transform(np.asarray(X, dtype=float)), -10, 10)
        phase = 2 * np.pi * Z[:, :, None] * self.frequencies_[None] + self.phases_[None]
        return np.hstack([Z, np.cos(phase).reshape(len(Z), -1)])


def _features(variant, value, seed, n_frequencies):
    if variant == "periodic":
        return [PeriodicFeatures(n_frequencies, sigma=value, random_state=seed)]
    if variant == "spline":
        splines = SplineTransformer(n_knots=int(value), knots="quantile", extrapolation="constant")
        return [make_union(FunctionTransformer(), splines)]
    return []


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", choices=["plain", "periodic", "spline"])
    parser.add_argument("value", type=float, help="sigma (periodic) or knots (spline)")
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--frequencies", type=int, default=16)
    parser.add_argument("--data-dir", default=os.environ.get("SKLEARN_SNN_DATA"))
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error("pass --data-dir or set SKLEARN_SNN_DATA")
    torch.set_num_threads(1)
    for dataset in args.datasets:
        X, y, task, categorical = _load(dataset, args.data_dir, 10_000, 0)
        scores = []
        for fold, (train, test) in enumerate(outer_splits(y, task, 5, dataset_seed(0, dataset))):
            seed = fold_seed(0, dataset, fold)
            regression = task == "regression"
            model = make_pipeline(
                preprocessor(X, categorical),
                *_features(args.variant, args.value, seed, args.frequencies),
                # Without the estimator's own splines, as in the recorded runs.
                (SNNRegressor if regression else SNNClassifier)(
                    spline_knots=None, random_state=seed
                ),
            )
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X.iloc[train], y.iloc[train])
            prediction = model.predict(X.iloc[test])
            truth = y.iloc[test]
            if regression:
                scores.append(r2_score(truth, prediction))
            else:  # as bench_accuracy.py scores it
                scores.append(accuracy_score(truth.astype(str), prediction.astype(str)))
            record = dict(dataset=dataset, fold=fold, variant=args.variant, value=args.value)
            record.update(score=scores[-1], seconds=time.perf_counter() - start)
            print(json.dumps(record), flush=True)
        score = "R²" if task == "regression" else "accuracy"
        print(
            f"{dataset} {args.variant} {args.value:g} mean {score} {np.mean(scores):.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
