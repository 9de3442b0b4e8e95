"""Accuracy of sklearn-snn against scikit-learn's models on real tabular datasets.

Every dataset of a folder with a ``manifest.json`` (see ``_dataset_folder.py``)
goes through the same outer cross-validation (stratified k-fold for classification,
k-fold for regression, the same splits for every model) and the same preprocessing:
one ``ColumnTransformer`` that imputes and one-hot encodes the categorical columns
and imputes and passes the numeric ones through. Models that need scaled inputs get
a ``StandardScaler`` after it; sklearn-snn standardizes its inputs itself.

Models (``--models``):

``sklearn-snn``        ``SNNClassifier`` / ``SNNRegressor`` with their defaults
``sklearn-snn-tuned``  random search over a budgeted version of the paper's grid
                       (depth, width, learning rate, dropout, shape) plus the
                       default configuration; other parameters at their defaults
``mlp``                ``MLPClassifier`` / ``MLPRegressor`` with their defaults
``mlp-tuned``          random search over width, depth, alpha and step size, early stopping
``svm``                ``SVC`` / ``SVR`` with an RBF kernel, grid over C and gamma
``random-forest``      ``RandomForestClassifier`` / ``RandomForestRegressor``
``linear``             ``LogisticRegression`` / ``Ridge``
``hist-gb``            ``HistGradientBoostingClassifier`` / ``...Regressor``
``majority``           the majority class (mean target): the chance level; not ranked
``sklearn-snn-raw``    ``sklearn-snn`` on the raw table: no outer preprocessing, the
                       categorical columns as pandas ``category`` columns, missing
                       values as they are (the estimator encodes and imputes)
``hist-gb-raw``        ``hist-gb`` on the same raw table (``categorical_features=
                       "from_dtype"``, native missing values); neither is in the
                       default ``--models``

Searches select on one held-out 20% of the training folds (stratified), or by k-fold
cross-validation with ``--inner-folds k``, then refit on all of it. More sklearn-snn
settings are compared with ``--snn-variant``, e.g.
``--snn-variant "snn-es:early_stopping=True"``.

Results go to ``benchmarks/results/accuracy/<name>/``: ``scores.jsonl`` (one line per
dataset, fold and model, written as the fits finish, so ``--resume`` can pick up a
stopped run), ``table.csv`` / ``table.md`` (mean accuracy, or R² and RMSE, per
dataset), ``ranks.csv``, ``summary.json`` (ranks for datasets with < 1000 and
>= 1000 rows, wins and losses of sklearn-snn, time per model, the collapse check,
the issue's targets) and ``ranks.png``.

Examples
--------
Smoke run, under 10 minutes on 2 cores (small and medium datasets, 3 folds, at most
2000 rows, small searches)::

    python benchmarks/bench_accuracy.py --quick --data-dir ../shared/datasets --n-jobs 2

Everything, 5 folds (hours on a laptop; ``--max-rows 20000`` keeps the SVM feasible)::

    SKLEARN_SNN_DATA=../shared/datasets python benchmarks/bench_accuracy.py --n-jobs 8

A few datasets and models, and a default to compare::

    python benchmarks/bench_accuracy.py --datasets vehicle german --models sklearn-snn \\
        mlp linear majority --snn-variant "snn-es:early_stopping=True"
"""

import argparse
import ast
import json
import os
import sys
import time
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.stats import rankdata
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, mean_squared_error, r2_score
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    ParameterSampler,
    RandomizedSearchCV,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC, SVR
from threadpoolctl import threadpool_limits

# Benchmark this checkout's package, installed or not.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sklearn_snn import SNNClassifier, SNNRegressor  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dataset_folder import DATA_ENV_VARIABLE, list_datasets, load_dataset  # noqa: E402
from _machine import describe_machine  # noqa: E402

MODELS = (
    "sklearn-snn",
    "sklearn-snn-tuned",
    "mlp",
    "mlp-tuned",
    "svm",
    "random-forest",
    "linear",
    "hist-gb",
    "majority",
)
RAW_MODELS = ("sklearn-snn-raw", "hist-gb-raw")
CHANCE = "majority"
SNN = "sklearn-snn"
SMALL_ROWS = 1000  # the issue's split between small and large datasets
QUICK_DATASETS = (
    "sonar", "ionosphere", "australian", "pima", "vehicle", "yacht",  # < 1000 rows
    "german", "contraceptive", "segment", "splice", "phoneme", "concrete", "airfoil",
)  # fmt: skip
RESULTS_DIR = Path(__file__).resolve().parent / "results" / "accuracy"

# The paper's grid (depth 2-32, width 256-1024, SGD steps 0.01-1, dropout 0/0.05,
# rectangular/conic), cut to what a CPU trains in seconds, with Adam's step sizes.
SNN_GRID = {
    "n_layers": [2, 3, 4, 8],
    "n_units": [128, 256, 512],
    "learning_rate": [3e-4, 1e-3, 3e-3],
    "dropout": [0.0, 0.05],
    "shape": ["rectangular", "conic"],
}
SNN_GRID_QUICK = dict(SNN_GRID, n_layers=[2, 3, 4], n_units=[128, 256])
MLP_GRID = {
    "hidden_layer_sizes": [(100,), (256,), (128, 128), (256, 256), (256, 256, 256)],
    "alpha": [1e-5, 1e-4, 1e-3, 1e-2],
    "learning_rate_init": [3e-4, 1e-3, 3e-3],
}
SVM_GRID = {"C": [0.1, 1.0, 10.0, 100.0], "gamma": ["scale", 0.01, 0.1]}
SVM_GRID_QUICK = {"C": [1.0, 10.0, 100.0], "gamma": ["scale", 0.1]}


# --------------------------------------------------------------------------- data


@lru_cache(maxsize=8)
def _load(name, data_dir, max_rows, seed):
    """The dataset, subsampled to ``max_rows`` (stratified for classification)."""
    data = load_dataset(name, data_dir=data_dir)
    X, y = data.data, data.target
    if max_rows and len(X) > max_rows:
        classify = data.task != "regression"
        stratify = y if classify and y.value_counts().min() >= 2 else None
        X, _, y, _ = train_test_split(
            X, y, train_size=max_rows, stratify=stratify, random_state=seed
        )
    return X.reset_index(drop=True), y.reset_index(drop=True), data.task, data.categorical_columns


def outer_splits(y, task, n_folds, seed):
    """The (train, test) index pairs that every model sees."""
    if task == "regression":
        return list(KFold(n_folds, shuffle=True, random_state=seed).split(y))
    with warnings.catch_warnings():  # classes rarer than n_folds only warn
        warnings.simplefilter("ignore", UserWarning)
        return list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(y, y))


def preprocessor(X, categorical):
    """One-hot categoricals, impute everything, pass the numbers through."""
    categorical = [c for c in X.columns if c in set(categorical)]
    numeric = [c for c in X.columns if c not in set(categorical)]
    one_hot = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [("categorical", one_hot, categorical), ("numeric", SimpleImputer(), numeric)],
        sparse_threshold=0.0,
    )


# ------------------------------------------------------------------------- models


def _inner_split(task, y, seed, n_folds=1):
    """Where searches select: one 20% hold-out, or ``n_folds``-fold cross-validation."""
    stratify = task != "regression" and pd.Series(y).value_counts().min() >= max(n_folds, 2)
    if n_folds > 1:
        kind = StratifiedKFold if stratify else KFold
        return kind(n_folds, shuffle=True, random_state=seed)
    if stratify:
        return StratifiedShuffleSplit(1, test_size=0.2, random_state=seed)
    return ShuffleSplit(1, test_size=0.2, random_state=seed)


def _search(pipeline, grid, n_iter, cv, seed, include=None):
    """Random search over ``grid``; the ``include`` configuration is always a candidate.

    With ``include`` the search samples the same ``n_iter`` configurations as
    ``RandomizedSearchCV`` would and adds ``include`` when it was not drawn, so a
    tuned model can fall back on the defaults.
    """
    grid = {f"model__{key}": values for key, values in grid.items()}
    n_configs = int(np.prod([len(v) for v in grid.values()]))
    if n_iter >= n_configs:
        return GridSearchCV(pipeline, grid, cv=cv, error_score=np.nan)
    if include is None:
        return RandomizedSearchCV(
            pipeline, grid, n_iter=n_iter, cv=cv, random_state=seed, error_score=np.nan
        )
    candidates = list(ParameterSampler(grid, n_iter, random_state=seed))
    included = {f"model__{key}": value for key, value in include.items()}
    if included not in candidates:
        candidates.append(included)
    points = [{key: [value] for key, value in c.items()} for c in candidates]
    return GridSearchCV(pipeline, points, cv=cv, error_score=np.nan)


def make_model(name, task, X, categorical, y, seed, budget, variants):
    """An unfitted pipeline: the shared preprocessing, then model ``name``."""
    classify = task != "regression"
    scaled = [("scale", StandardScaler())]
    cv = _inner_split(task, y, seed, budget.get("inner_folds", 1))

    def pipe(model, scale=False):
        steps = [("preprocess", preprocessor(X, categorical))] + (scaled if scale else [])
        return Pipeline(steps + [("model", model)])

    def target_scaled(model):  # MLPRegressor and SVR fit badly to unscaled targets
        return TransformedTargetRegressor(model, transformer=StandardScaler())

    snn = SNNClassifier if classify else SNNRegressor
    if name == "sklearn-snn-raw":
        return Pipeline([("model", snn(random_state=seed))])
    if name == "hist-gb-raw":
        boost = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return Pipeline([("model", boost(categorical_features="from_dtype", random_state=seed))])
    if name in variants:
        return pipe(snn(random_state=seed, **variants[name]))
    if name == SNN:
        return pipe(snn(random_state=seed))
    if name == "sklearn-snn-tuned":
        defaults = snn().get_params()
        defaults = {key: defaults[key] for key in budget["snn_grid"]}
        model = pipe(snn(random_state=seed))
        return _search(model, budget["snn_grid"], budget["n_iter"], cv, seed, defaults)
    if name == "mlp":
        mlp = MLPClassifier(random_state=seed) if classify else MLPRegressor(random_state=seed)
        return pipe(mlp if classify else target_scaled(mlp), scale=True)
    if name == "mlp-tuned":
        kind = MLPClassifier if classify else MLPRegressor
        mlp = kind(early_stopping=True, max_iter=500, random_state=seed)
        grid = MLP_GRID
        if not classify:
            mlp, grid = target_scaled(mlp), {f"regressor__{k}": v for k, v in MLP_GRID.items()}
        return _search(pipe(mlp, scale=True), grid, budget["n_iter"], cv, seed)
    if name == "svm":
        svm, grid = (SVC(), budget["svm_grid"]) if classify else (SVR(), budget["svm_grid"])
        if not classify:
            svm, grid = target_scaled(svm), {f"regressor__{k}": v for k, v in grid.items()}
        return _search(pipe(svm, scale=True), grid, 10**6, cv, seed)
    if name == "random-forest":
        forest = RandomForestClassifier if classify else RandomForestRegressor
        return pipe(forest(random_state=seed, n_jobs=1))
    if name == "linear":
        return pipe(LogisticRegression(max_iter=2000) if classify else Ridge(), scale=True)
    if name == "hist-gb":
        boost = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return pipe(boost(random_state=seed))
    if name == CHANCE:
        return pipe(DummyClassifier() if classify else DummyRegressor())
    raise ValueError(f"Unknown model {name!r}.")


def _fitted_model(estimator):
    """The fitted final model inside a search, a pipeline and a target transformer."""
    if hasattr(estimator, "best_estimator_"):
        estimator = estimator.best_estimator_
    estimator = estimator[-1]
    return getattr(estimator, "regressor_", estimator)


def _best_params(estimator):
    if not hasattr(estimator, "best_params_"):
        return None
    return {k.split("__")[-1]: v for k, v in estimator.best_params_.items()}


def run_task(task_spec, data_dir, max_rows, n_folds, seed, budget, variants, threads):
    """Fit and score one model on one outer fold; never raises."""
    dataset, fold, model = task_spec
    X, y, task, categorical = _load(dataset, data_dir, max_rows, seed)
    train, test = outer_splits(y, task, n_folds, seed)[fold]
    if model in RAW_MODELS:  # the table as it comes, categories declared by their dtype
        X = X.astype({column: "category" for column in categorical})
    record = dict(dataset=dataset, task=task, fold=fold, model=model, n_used=len(X))
    record.update(folds=n_folds, max_rows=max_rows, seed=seed)  # the outer protocol
    record.update(n_train=len(train), score=np.nan, rmse=np.nan, error=None)
    try:
        import torch

        torch.set_num_threads(threads)
        estimator = make_model(model, task, X, categorical, y.iloc[train], seed, budget, variants)
        with warnings.catch_warnings(), threadpool_limits(threads):
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            estimator.fit(X.iloc[train], y.iloc[train])
            record["fit_seconds"] = time.perf_counter() - start
            start = time.perf_counter()
            prediction = estimator.predict(X.iloc[test])
            record["predict_seconds"] = time.perf_counter() - start
    except Exception as error:  # a failing model is a result, not a crash
        record["error"] = f"{type(error).__name__}: {error}"[:500]
        return record
    truth = y.iloc[test].to_numpy()
    if task == "regression":
        record["score"] = r2_score(truth, prediction)
        record["rmse"] = float(np.sqrt(mean_squared_error(truth, prediction)))
    else:
        record["score"] = accuracy_score(truth, prediction)
        record["n_predicted_classes"] = len(np.unique(prediction))
    fitted = _fitted_model(estimator)
    record["best_params"] = _best_params(estimator)
    if getattr(fitted, "n_iter_", None) is not None:
        record["n_iter"] = int(np.max(fitted.n_iter_))
    return record


# -------------------------------------------------------------------- aggregation


def table(scores, datasets, models, column="score"):
    """Mean over folds, one row per dataset, one column per model.

    The means are rounded to 12 decimals: equal accuracies summed in another
    order differ in the last bits, and must rank and count as ties.
    """
    wide = scores.pivot_table(index="dataset", columns="model", values=column, aggfunc="mean")
    wide = wide.round(12)
    info = datasets.set_index("name").loc[wide.index, ["task", "n_rows"]]
    order = [name for name in datasets["name"] if name in wide.index]
    models = [m for m in models if m in wide.columns]
    return pd.concat([info, wide[models]], axis=1).loc[order]


def ranks(means, models):
    """Rank of each model on each dataset, 1 = best; missing scores rank last."""
    values = means[models].to_numpy(dtype=float)
    filled = np.where(np.isnan(values), -np.inf, values)
    ranked = np.vstack([rankdata(-row) for row in filled])
    return pd.DataFrame(ranked, index=means.index, columns=models)


def average_ranks(rank_table, means):
    """Average rank per model, by task family and by size (< or >= SMALL_ROWS)."""
    family = np.where(means["task"] == "regression", "regression", "classification")
    small, large = f"< {SMALL_ROWS} rows", f">= {SMALL_ROWS} rows"
    size = np.where(means["n_rows"] < SMALL_ROWS, small, large)
    groups = {}
    for fam in ("classification", "regression", "all tasks"):
        for part in (small, large, "all sizes"):
            mask = (family == fam) | (fam == "all tasks")
            mask &= (size == part) | (part == "all sizes")
            if mask.any():
                groups[f"{fam}, {part} ({int(mask.sum())})"] = rank_table[mask].mean().round(2)
    return pd.DataFrame(groups).T


def wins_losses(means, snn_models, others, margin=0.01):
    """Datasets where each sklearn-snn model is better, tied or worse than each other."""
    result = {}
    for snn in snn_models:
        for other in others:
            if other == snn:
                continue
            diff = (means[snn] - means[other]).dropna().round(12)
            result[f"{snn} vs {other}"] = {
                "wins": int((diff > 0).sum()),
                "ties": int((diff == 0).sum()),
                "losses": int((diff < 0).sum()),
                f"lost by > {margin:g}": sorted(diff[diff < -margin].index),
            }
    return result


def clear_wins_losses(scores, snn_models, others):
    """Datasets where a difference stands out from the noise of the outer folds.

    For each pair of models and each dataset, the scores are paired by outer
    fold. A win or loss is *clear* when the mean paired difference exceeds
    twice its standard error over the folds; everything else is within the
    noise of the split.
    """
    wide = scores.pivot_table(index=["dataset", "fold"], columns="model", values="score")
    result = {}
    for snn in snn_models:
        for other in others:
            if other == snn or snn not in wide or other not in wide:
                continue
            per_dataset = (wide[snn] - wide[other]).dropna().groupby(level="dataset")
            mean, error = per_dataset.mean(), per_dataset.sem()
            clear = mean.abs() > 2 * error  # NaN error (a single fold) is never clear
            result[f"{snn} vs {other}"] = {
                "clear wins": sorted(mean.index[clear & (mean > 0)]),
                "clear losses": sorted(mean.index[clear & (mean < 0)]),
            }
    return result


def collapse_check(means, snn_models, linear="linear"):
    """The issue's guard: score >= chance + (linear - chance) / 2 where linear beats chance."""
    if CHANCE not in means or linear not in means:
        return {}
    violations = {}
    for snn in snn_models:
        floor = means[CHANCE] + 0.5 * (means[linear] - means[CHANCE]).clip(lower=0)
        bad = ~(means[snn] >= floor)  # a failed model (NaN) counts as collapsed
        violations[snn] = [
            dict(dataset=d, score=round(means.at[d, snn], 4), floor=round(floor[d], 4),
                 chance=round(means.at[d, CHANCE], 4), linear=round(means.at[d, linear], 4))
            for d in means.index[bad]
        ]  # fmt: skip
    return violations


def issue_targets(means, rank_table):
    """The issue's targets on the classification datasets with >= SMALL_ROWS rows."""
    large = means.index[(means["task"] != "regression") & (means["n_rows"] >= SMALL_ROWS)]
    peers = ["sklearn-snn-tuned", SNN, "mlp", "mlp-tuned", "svm", "random-forest", "linear"]
    peers = [p for p in peers if p in means.columns]
    out = {"datasets": len(large)}
    if len(large) and "sklearn-snn-tuned" in peers:
        peer_ranks = ranks(means.loc[large], peers).mean()
        out["peer average ranks"] = peer_ranks.round(2).to_dict()
        best = peer_ranks["sklearn-snn-tuned"] <= peer_ranks.min()  # a shared first counts
        out["tuned snn has the best peer rank"] = bool(best)
    if len(large) and {"sklearn-snn-tuned", "hist-gb"} <= set(means.columns):
        gap = (means.loc[large, "hist-gb"] - means.loc[large, "sklearn-snn-tuned"]).mean()
        out["hist-gb minus tuned snn, mean accuracy (points)"] = round(100 * gap, 2)
    classification = means.index[means["task"] != "regression"]
    if len(classification) and {SNN, "mlp"} <= set(means.columns):
        share = (means.loc[classification, SNN] > means.loc[classification, "mlp"]).mean()
        out["share of datasets where default snn beats default mlp"] = round(float(share), 3)
    return out


# ---------------------------------------------------------------------- reporting


def rank_plot(average, path, title):
    """Average rank of each model (rows) in each task family and size group (markers)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [g for g in average.index if not g.startswith("all tasks") and "all sizes" not in g]
    overall = [g for g in average.index if g.startswith("all tasks, all sizes")]
    order = average.loc[overall or groups].mean().sort_values().index
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(order) + 2.2))
    positions = np.arange(len(order))
    for group, marker in zip(groups, "os^Dv<>", strict=False):
        ax.plot(average.loc[group, order], positions, marker, alpha=0.8, label=group)
    if overall:
        ax.plot(average.loc[overall[0], order], positions, "k|", ms=18, mew=2, label=overall[0])
    ax.set_yticks(positions, order)
    for label in ax.get_yticklabels():
        if label.get_text().startswith(("sklearn-snn", "snn")):
            label.set_fontweight("bold")
    ax.invert_yaxis()
    ax.set_xlabel("average rank over datasets (1 = best)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def markdown(frame, digits=3, index="dataset"):
    """A GitHub table: integer columns as integers, floats rounded, NaN empty."""
    columns = {}
    for name, values in frame.items():
        if pd.api.types.is_integer_dtype(values):
            columns[name] = values.map(lambda v: "" if pd.isna(v) else str(int(v)))
        elif pd.api.types.is_float_dtype(values):
            columns[name] = values.map(lambda v: "" if pd.isna(v) else f"{v:.{digits}f}")
        else:
            columns[name] = values.astype(str)
    cells = pd.DataFrame(columns, index=frame.index)
    lines = ["| " + " | ".join([index, *map(str, frame.columns)]) + " |"]
    lines.append("|" + "---|" * (len(frame.columns) + 1))
    lines += ["| " + " | ".join([str(i), *row]) + " |" for i, row in cells.iterrows()]
    return "\n".join(lines)


def summarize(records, datasets, models, args, elapsed, n_new, out):
    scores = pd.DataFrame(records)
    scores = scores[scores["model"].isin(models)]
    means = table(scores, datasets, models)
    ranked_models = [m for m in models if m != CHANCE and m in means]
    snn_models = [m for m in ranked_models if m.startswith("sklearn-snn") or m in args.variants]
    rank_table = ranks(means, ranked_models)
    average = average_ranks(rank_table, means)
    per_model = scores.groupby("model")
    timing = pd.DataFrame(
        {
            "fit + predict seconds, total": per_model[["fit_seconds", "predict_seconds"]]
            .sum()
            .sum(axis=1),
            "fits": per_model["fit_seconds"].count(),
            "failed fits": per_model["error"].count(),
        }
    ).reindex(models)
    timing[["fits", "failed fits"]] = timing[["fits", "failed fits"]].astype("Int64")
    summary = {
        "config": {k: v for k, v in vars(args).items() if k not in ("output_dir",)},
        "machine": describe_machine(),
        "elapsed_seconds": round(elapsed, 1),
        "fits_this_run": n_new,
        "fits_reused": len(records) - n_new,
        "average_ranks": average.to_dict(orient="index"),
        "wins_losses": wins_losses(means, snn_models, ranked_models),
        "clear_wins_losses": clear_wins_losses(scores, snn_models, ranked_models),
        "collapse_violations": collapse_check(means, snn_models),
        "issue_targets": issue_targets(means, rank_table),
        "seconds_per_model": timing.round(1).to_dict(orient="index"),
        "errors": scores.loc[
            scores["error"].notna(), ["dataset", "fold", "model", "error"]
        ].to_dict(orient="records"),
    }
    scores.to_csv(out / "scores.csv", index=False)
    means.to_csv(out / "table.csv")
    rank_table.to_csv(out / "ranks.csv")
    text = ["## Mean accuracy (classification) or R² (regression) over the outer folds", ""]
    text += [markdown(means.drop(columns="task")), ""]
    if (means["task"] == "regression").any():
        rmse = table(scores, datasets, models, "rmse")
        rmse = rmse[rmse["task"] == "regression"].drop(columns=["task", CHANCE], errors="ignore")
        rmse.to_csv(out / "table_rmse.csv")
        text += ["## RMSE (regression)", "", markdown(rmse), ""]
    text += ["## Average ranks", "", markdown(average, 2, "datasets (count)"), ""]
    text += ["## Seconds per model", "", markdown(timing, 1, "model"), ""]
    (out / "table.md").write_text("\n".join(text))
    with open(out / "summary.json", "w") as file:
        json.dump(summary, file, indent=1, default=_json_default)
    try:
        rank_plot(average, out / "ranks.png", f"sklearn-snn accuracy benchmark ({args.name})")
    except ImportError:
        print("matplotlib is missing: no rank plot")
    return means, average, timing, summary


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)


def report(means, average, timing, summary):
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print("\nMean score over folds (accuracy; R² for regression):")
        print(means.round(3).to_string())
        print("\nAverage ranks (1 = best):")
        print(average.to_string())
        print("\nSeconds per model (fit + predict, all folds):")
        print(timing.round(1).to_string())
    print("\nsklearn-snn wins / ties / losses:")
    for pair, counts in summary["wins_losses"].items():
        lost = [v for k, v in counts.items() if k.startswith("lost")][0]
        print(f"  {pair:45s} {counts['wins']:3d} / {counts['ties']:2d} / {counts['losses']:3d}"
              f"   lost by > 1 point: {', '.join(lost) or '-'}")  # fmt: skip
    for model, bad in summary["collapse_violations"].items():
        if bad:
            print(f"\nCOLLAPSE: {model} below chance + half the gap to the linear model on:")
            for v in bad:
                print(f"  {v['dataset']}: {v['score']} < {v['floor']} "
                      f"(chance {v['chance']}, linear {v['linear']})")  # fmt: skip
        else:
            print(f"\nCollapse check passed for {model}.")
    print("\nIssue targets:", json.dumps(summary["issue_targets"], indent=1))
    if summary["errors"]:
        print(f"\n{len(summary['errors'])} failed fits, e.g. {summary['errors'][0]}")


# ---------------------------------------------------------------------------- CLI


def _parse_variant(text):
    name, _, params = text.partition(":")
    values = {}
    for item in filter(None, params.split(",")):
        key, _, value = item.partition("=")
        try:
            values[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            values[key.strip()] = value.strip()
    return name.strip(), values


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data-dir", help="folder with manifest.json (default: $SKLEARN_SNN_DATA)")
    parser.add_argument("--quick", action="store_true", help="small/medium datasets, 3 folds")
    parser.add_argument("--datasets", nargs="+", help="names (default: all, or the quick set)")
    parser.add_argument("--models", nargs="+", help=f"default: {' '.join(MODELS)}")
    parser.add_argument(
        "--snn-variant",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE,...",
        help='extra sklearn-snn model, e.g. "snn-es:early_stopping=True,max_iter=100"',
    )
    parser.add_argument("--max-rows", type=int, help="subsample larger datasets (quick: 2000)")
    parser.add_argument("--folds", type=int, help="outer folds (default 5, quick 3)")
    parser.add_argument("--n-iter", type=int, help="configurations per search (8, quick 4)")
    parser.add_argument(
        "--inner-folds", type=int, default=1, help="searches select by k-fold CV (1: 20%% hold-out)"
    )
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel fits (processes)")
    parser.add_argument("--threads", type=int, default=1, help="torch/BLAS threads per fit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", help="results subfolder (default: quick or full)")
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--resume", action="store_true", help="keep finished fits of this name")
    args = parser.parse_args(argv)
    args.variants = dict(map(_parse_variant, args.snn_variant))
    args.models = list(args.models or MODELS)
    args.models += [name for name in args.variants if name not in args.models]
    unknown = set(args.models) - set(MODELS) - set(RAW_MODELS) - set(args.variants)
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}; define them with --snn-variant")
    if args.inner_folds < 1:
        parser.error(f"--inner-folds must be at least 1, got {args.inner_folds}")
    args.folds = args.folds or (3 if args.quick else 5)
    args.n_iter = args.n_iter or (4 if args.quick else 8)
    if args.quick and args.max_rows is None:
        args.max_rows = 2000
    args.name = args.name or ("quick" if args.quick else "full")
    return args


def _catalogue(data_dir, names=None):
    """The manifest entries of ``names`` (None: all), with ``n_rows`` counted where missing."""
    catalogue = pd.DataFrame(list_datasets(data_dir))
    names = list(catalogue["name"]) if names is None else names
    missing = sorted(set(names) - set(catalogue["name"]))
    if missing:
        sys.exit(f"Not in the manifest: {', '.join(missing)}")
    catalogue = catalogue.set_index("name").loc[names].reset_index()
    counts = catalogue.get("n_rows", pd.Series(np.nan, index=catalogue.index)).copy()
    for i in counts.index[counts.isna()]:
        counts[i] = len(load_dataset(catalogue.at[i, "name"], data_dir).data)
    catalogue["n_rows"] = counts.astype(int)
    return catalogue


def _this_run(records, names, args):
    """The records of this run's datasets and folds; refuses another outer protocol.

    A fold index means another split under other ``--folds``, ``--max-rows`` or
    ``--seed``: such records cannot be reused. Records written before the protocol
    was stored carry none of it and are taken as they are.
    """
    protocol = {"folds": args.folds, "max_rows": args.max_rows, "seed": args.seed}
    for record in records:
        stored = {key: record[key] for key in protocol if key in record}
        if any(value != protocol[key] for key, value in stored.items()):
            raise SystemExit(
                f"--resume: {record['dataset']} fold {record['fold']} {record['model']} was "
                f"fitted with {stored}, this run uses {protocol}. Use another --name."
            )
    names = set(names)
    return [r for r in records if r["dataset"] in names and r["fold"] < args.folds]


def main(argv=None):
    args = parse_args(argv)
    data_dir = args.data_dir or os.environ.get(DATA_ENV_VARIABLE)
    catalogue = _catalogue(
        data_dir, args.datasets or (list(QUICK_DATASETS) if args.quick else None)
    )
    names = list(catalogue["name"])
    out = args.output_dir / args.name
    out.mkdir(parents=True, exist_ok=True)
    log = out / "scores.jsonl"
    done = []
    if args.resume and log.exists():
        done = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        done = _this_run(done, names, args)
    elif log.exists():
        log.unlink()
    finished = {(r["dataset"], r["fold"], r["model"]) for r in done}
    # Longest first, so that parallel workers finish together.
    cost = {"sklearn-snn-tuned": 6, "mlp-tuned": 4, SNN: 2, "svm": 2}
    todo = [
        (row.name, fold, model)
        for row in catalogue.itertuples()
        for fold in range(args.folds)
        for model in args.models
        if (row.name, fold, model) not in finished
    ]
    rows = catalogue.set_index("name")["n_rows"].clip(upper=args.max_rows or None)
    todo.sort(key=lambda t: -cost.get(t[2], 1) * rows[t[0]])
    budget = {
        "inner_folds": args.inner_folds,
        "n_iter": args.n_iter,
        "snn_grid": SNN_GRID_QUICK if args.quick else SNN_GRID,
        "svm_grid": SVM_GRID_QUICK if args.quick else SVM_GRID,
    }
    print(f"{len(todo)} fits ({len(finished)} done) on {len(names)} datasets, "
          f"{args.folds} folds, models: {', '.join(args.models)}", flush=True)  # fmt: skip
    # Workers import the task from this file as a module, so that their dataset
    # cache lives across tasks (functions of __main__ travel by value).
    from bench_accuracy import run_task as task

    start = time.perf_counter()
    jobs = Parallel(n_jobs=args.n_jobs, return_as="generator_unordered")(
        delayed(task)(
            t, data_dir, args.max_rows, args.folds, args.seed, budget, args.variants, args.threads
        )
        for t in todo
    )
    with open(log, "a") as file:
        for i, record in enumerate(jobs, 1):
            file.write(json.dumps(record, default=_json_default) + "\n")
            file.flush()
            status = "FAILED " + record["error"] if record["error"] else f"{record['score']:.4f}"
            print(f"[{i}/{len(todo)} {time.perf_counter() - start:6.0f}s] {record['dataset']} "
                  f"fold {record['fold']} {record['model']}: {status}", flush=True)  # fmt: skip
    elapsed = time.perf_counter() - start
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    records = _this_run(records, names, args)
    result = summarize(records, catalogue, args.models, args, elapsed, len(todo), out)
    report(*result)
    print(f"\n{elapsed:.0f} s; results in {out}")


if __name__ == "__main__":
    main()
