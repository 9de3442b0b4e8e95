"""Accuracy of sklearn-snn against its peers on real tabular datasets, one protocol for all.

Every dataset of a folder with a ``manifest.json`` (see ``_dataset_folder.py``) is
subsampled to at most ``--max-rows`` rows (stratified, seeded per dataset) and goes
through the same outer cross-validation (stratified k-fold for classification, k-fold
for regression, the same splits for every model) and the same preprocessing: one
``ColumnTransformer`` that imputes and one-hot encodes the categorical columns and
imputes and passes the numeric ones through. Models that need scaled inputs get a
``StandardScaler`` after it; sklearn-snn and RealMLP-TD scale their inputs themselves.

Models (``--models``; ``_peers.py`` holds the factories and the search spaces):

``sklearn-snn``          ``SNNClassifier`` / ``SNNRegressor`` with their defaults
``sklearn-snn-tuned``    random search: the paper's SGD grid and Adam with the recipe's knobs
``mlp``, ``mlp-tuned``   ``MLPClassifier`` / ``MLPRegressor``: defaults; random search
``svm``, ``svm-tuned``   ``SVC`` / ``SVR`` (RBF): defaults; random search over C and gamma
``random-forest``        ``RandomForestClassifier`` / ``...Regressor``: defaults
``random-forest-tuned``  random search over max_features and min_samples_leaf
``linear``               ``LogisticRegression`` / ``Ridge``
``hist-gb``              ``HistGradientBoostingClassifier`` / ``...Regressor``: defaults
``realmlp-td``           pytabkit's ``RealMLP_TD_Classifier`` / ``...Regressor``: defaults
``majority``             the majority class (mean target): the chance level; not ranked

Not in the default ``--models``: ``hist-gb-tuned`` (random search), and
``sklearn-snn-raw`` / ``hist-gb-raw``, fitted on the raw table (categorical columns as
pandas ``category``, missing values as they are). ``--snn-variant`` adds sklearn-snn
models with other arguments, e.g. ``--snn-variant "snn-es:early_stopping=False"``.

Every search draws ``--n-iter`` configurations, the first being the estimator's
defaults, seeded by dataset and outer fold; it selects on one stratified 20% split of
the training folds and refits the best on all of them. Every fit is appended to
``scores.jsonl`` with the commit it ran from; ``--resume`` continues a run, and refuses
fits of another commit or protocol. ``benchmarks/README.md`` describes the outputs.

Examples
--------
Smoke run, under 10 minutes on 2 cores::

    python benchmarks/bench_accuracy.py --quick --data-dir ../shared/datasets --n-jobs 2

The full protocol (5 folds, at most 10,000 rows, 12 candidates per search)::

    SKLEARN_SNN_DATA=../shared/datasets python benchmarks/bench_accuracy.py --n-jobs 2
"""

import argparse
import ast
import importlib.util
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
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score
from threadpoolctl import threadpool_limits

# Benchmark this checkout's package, installed or not.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dataset_folder import DATA_ENV_VARIABLE, list_datasets, load_dataset  # noqa: E402
from _peers import (  # noqa: E402
    MODELS,
    RAW_MODELS,
    REALMLP,
    SLOW_PEERS,
    SNN,
    TUNED,
    fitted_model,
    make_model,
    search_results,
)
from _protocol import (  # noqa: E402
    check_resumable,
    dataset_seed,
    fold_seed,
    git_state,
    outer_splits,
    subsample,
    training_rows,
)
from _report import json_default, report, summarize  # noqa: E402

from sklearn_snn import SNNClassifier  # noqa: E402

QUICK_DATASETS = (
    "sonar", "pima", "yacht",  # < 1000 rows
    "german", "phoneme", "segment", "concrete",
)  # fmt: skip
RESULTS_DIR = Path(__file__).resolve().parent / "results" / "accuracy"
FULL = {"folds": 5, "max_rows": 10_000, "n_iter": 12}  # the protocol the tables report
QUICK = {"folds": 3, "max_rows": 400, "n_iter": 3}


@lru_cache(maxsize=8)
def _load(name, data_dir, max_rows, seed):
    """The dataset, subsampled to ``max_rows`` (stratified, seeded by its name)."""
    data = load_dataset(name, data_dir=data_dir)
    keep = subsample(data.target.to_numpy(), max_rows, data.task, dataset_seed(seed, name))
    X = data.data.iloc[keep].reset_index(drop=True)
    return X, data.target.iloc[keep].reset_index(drop=True), data.task, data.categorical_columns


def run_task(task_spec, data_dir, protocol, variants, threads):
    """Fit and score one model on one outer fold; never raises.

    Parameters
    ----------
    task_spec : (str, int, str)
        Dataset, outer fold and model.
    data_dir : str
        The dataset folder.
    protocol : dict
        The values of ``_protocol.PROTOCOL_KEYS``; stored in the record.
    variants : dict
        Extra sklearn-snn models.
    threads : int
        torch and BLAS threads of the fit.

    Returns
    -------
    record : dict
        One line of ``scores.jsonl``: the protocol, score (accuracy or R²), RMSE,
        log loss (classifiers with ``predict_proba``), seconds, training rows,
        the search's choice and candidates, or the error.
    """
    dataset, fold, model = task_spec
    X, y, task, categorical = _load(dataset, data_dir, protocol["max_rows"], protocol["seed"])
    splits = outer_splits(y, task, protocol["folds"], dataset_seed(protocol["seed"], dataset))
    train, test = splits[fold]
    seed = fold_seed(protocol["seed"], dataset, fold)
    rows = protocol["slow_peer_rows"]
    slow = bool(model in SLOW_PEERS and rows and len(train) > rows)
    if slow:  # the same test fold, fewer training rows
        train = training_rows(train, y, rows, task, seed)
    if model in RAW_MODELS:  # the table as it comes, categories declared by their dtype
        X = X.astype({column: "category" for column in categorical})
    record = dict(dataset=dataset, task=task, fold=fold, model=model, n_used=len(X), **protocol)
    record["variant_params"] = variants.get(model)  # what --resume compares
    record.update(
        n_train=len(train), slow=slow, score=np.nan, rmse=np.nan, log_loss=np.nan, error=None
    )
    try:
        import torch

        torch.set_num_threads(threads)
        estimator = make_model(
            model, task, X, categorical, y.iloc[train], seed, protocol["n_iter"],
            protocol["space"] == "quick", variants, threads,
        )  # fmt: skip
        with warnings.catch_warnings(), threadpool_limits(threads):
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            estimator.fit(X.iloc[train], y.iloc[train])
            record["fit_seconds"] = time.perf_counter() - start
            start = time.perf_counter()
            prediction = np.asarray(estimator.predict(X.iloc[test])).reshape(-1)
            record["predict_seconds"] = time.perf_counter() - start
            if task != "regression":
                record["log_loss"] = _log_loss(estimator, X.iloc[test], y.iloc[test])
    except Exception as error:  # a failing model is a result, not a crash
        record["error"] = f"{type(error).__name__}: {error}"[:500]
        return record
    truth = y.iloc[test].to_numpy()
    if task == "regression":
        record["score"] = r2_score(truth, prediction)
        record["rmse"] = float(np.sqrt(mean_squared_error(truth, prediction)))
    else:
        record["score"] = accuracy_score(truth.astype(str), prediction.astype(str))
        record["n_predicted_classes"] = len(np.unique(prediction))
    record["best_params"], record["candidates"] = search_results(estimator)
    fitted = fitted_model(estimator)
    if getattr(fitted, "n_iter_", None) is not None:
        record["epochs"] = int(np.max(fitted.n_iter_))
    return record


def _log_loss(estimator, X, truth):
    """Log loss of the predicted probabilities; NaN for a model without them.

    Also NaN where a test label is not among the fitted classes (a class too
    rare to reach every training fold). Labels compare as strings, as in the
    accuracy.
    """
    if not hasattr(estimator, "predict_proba"):  # e.g. SVC without probability=True
        return np.nan
    proba = estimator.predict_proba(X)
    classes = np.asarray(estimator.classes_).astype(str)
    # log_loss takes the columns in the sorted order of the labels, which for
    # labels as strings need not be classes_' order (2 before 10).
    order = np.argsort(classes, kind="stable")
    try:
        return float(log_loss(truth.to_numpy().astype(str), proba[:, order], labels=classes[order]))
    except ValueError:
        return np.nan


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
    """The command line; ``--quick`` fills in smaller defaults."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data-dir", help="folder with manifest.json (default: $SKLEARN_SNN_DATA)")
    parser.add_argument("--quick", action="store_true", help=f"{len(QUICK_DATASETS)} datasets, "
                        "3 folds, 400 rows, 3 candidates, smaller spaces")  # fmt: skip
    parser.add_argument("--datasets", nargs="+", help="names (default: all, or the quick set)")
    parser.add_argument("--models", nargs="+", help=f"default: {' '.join(MODELS)}")
    parser.add_argument(
        "--snn-variant",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE,...",
        help='extra sklearn-snn model, e.g. "snn-es:early_stopping=False,max_iter=100"',
    )
    parser.add_argument(
        "--max-rows", type=int, help="rows per dataset (10000; quick 400; 0: every row)"
    )
    parser.add_argument("--folds", type=int, help="outer folds (5; quick 3)")
    parser.add_argument("--n-iter", type=int, help="candidates per search (12; quick 3)")
    parser.add_argument(
        "--slow-peer-rows",
        type=int,
        help=f"train {', '.join(SLOW_PEERS)} on at most this many rows of the training "
        "folds (default: all)",
    )
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel fits (processes)")
    parser.add_argument("--threads", type=int, default=1, help="torch/BLAS threads per fit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", help="results subfolder (default: quick or full)")
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--resume", action="store_true", help="keep finished fits of this name "
                        "(failed fits are fitted again)")  # fmt: skip
    parser.add_argument("--overwrite", action="store_true",
                        help="discard the stored fits of this name and start again")  # fmt: skip
    args = parser.parse_args(argv)
    if args.resume and args.overwrite:
        parser.error("--resume keeps the stored fits and --overwrite discards them: pass one")
    args.variants = dict(map(_parse_variant, args.snn_variant))
    for name, params in args.variants.items():
        try:
            SNNClassifier().set_params(**params)
        except ValueError as error:
            parser.error(f"--snn-variant {name}: {error}")
    args.models = list(args.models or MODELS)
    args.models += [name for name in args.variants if name not in args.models]
    unknown = set(args.models) - {*MODELS, *TUNED, *RAW_MODELS, *args.variants}
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}; define them with --snn-variant")
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.n_iter < 1 or args.folds < 2 or (args.max_rows and args.max_rows < 2 * args.folds):
        parser.error(
            "--n-iter must be at least 1, --folds at least 2 and --max-rows 0 (every "
            "row) or at least twice --folds"
        )
    if REALMLP in args.models and importlib.util.find_spec("pytabkit") is None:
        parser.error(f"{REALMLP} needs pytabkit (pip install 'sklearn-snn[benchmarks]')")
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


def _protocol(args, git):
    return dict(
        commit=git["commit"], dirty=git["dirty"], folds=args.folds, max_rows=args.max_rows,
        seed=args.seed, n_iter=args.n_iter, space="quick" if args.quick else "full",
        slow_peer_rows=args.slow_peer_rows,
    )  # fmt: skip


def _departures(args, git, names, all_names):
    """Where this run departs from the protocol the tables report (empty: none)."""
    out = [f"{key} {getattr(args, key)} instead of {value}" for key, value in FULL.items()
           if getattr(args, key) != value]  # fmt: skip
    out += ["--quick"] * args.quick + ["modified tree"] * bool(git["dirty"])
    out += ["no git commit"] * (git["commit"] is None)
    out += [f"{len(names)} of {len(all_names)} datasets"] * (set(names) != set(all_names))
    out += [f"slow peers on {args.slow_peer_rows} rows"] * bool(args.slow_peer_rows)
    return out


def _stored(log, names, args, protocol):
    """The stored fits of this run's datasets and folds, the latest of each.

    Refuses fits of another protocol, and fits of a ``--snn-variant`` whose
    arguments differ from this run's.
    """
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    check_resumable(records, protocol)
    names = set(names)
    records = [r for r in records if r["dataset"] in names and r["fold"] < args.folds]
    for record in records:
        model = record["model"]
        if model in args.variants:
            now = json.loads(json.dumps(args.variants[model], default=json_default))
            if record.get("variant_params", "missing") != now:
                raise SystemExit(
                    f"--resume: {record['dataset']} fold {record['fold']} {model} was fitted "
                    f"with {record.get('variant_params', 'missing')}, this run defines {model} "
                    f"as {now}. Use another --name or another variant name."
                )
    latest = {}  # a failed fit fitted again: the later record counts
    for r in records:
        latest[r["dataset"], r["fold"], r["model"]] = r
    return list(latest.values())


def main(argv=None):
    """Run the benchmark: fit what is missing, then summarize and report."""
    args = parse_args(argv)
    data_dir = args.data_dir or os.environ.get(DATA_ENV_VARIABLE)
    catalogue = _catalogue(
        data_dir, args.datasets or (list(QUICK_DATASETS) if args.quick else None)
    )
    names = list(catalogue["name"])
    git = git_state()
    protocol = _protocol(args, git)
    out = args.output_dir / args.name
    out.mkdir(parents=True, exist_ok=True)
    log = out / "scores.jsonl"
    done = []
    if args.resume and log.exists():
        done = _stored(log, names, args, protocol)
    elif log.exists() and log.stat().st_size and not args.overwrite:
        sys.exit(
            f"{log} holds the fits of an earlier run: pass --resume to continue it, "
            "--overwrite to discard them, or another --name."
        )
    elif log.exists():
        log.unlink()
    finished = {(r["dataset"], r["fold"], r["model"]) for r in done if not r["error"]}
    # Longest first, so that parallel workers finish together.
    cost = {"sklearn-snn-tuned": 12, "mlp-tuned": 3, "svm-tuned": 3, REALMLP: 3, SNN: 2}
    todo = [
        (row.name, fold, model)
        for row in catalogue.itertuples()
        for fold in range(args.folds)
        for model in args.models
        if (row.name, fold, model) not in finished
    ]
    rows = catalogue.set_index("name")["n_rows"].clip(upper=args.max_rows or None)
    todo.sort(key=lambda t: -cost.get(t[2], 1) * rows[t[0]])
    print(f"{len(todo)} fits ({len(finished)} done) on {len(names)} datasets, "
          f"{args.folds} folds, models: {', '.join(args.models)}; commit {git['commit']}"
          + (" (modified tree)" if git["dirty"] else ""), flush=True)  # fmt: skip
    # Workers import the task from this file as a module, so that their dataset
    # cache lives across tasks (functions of __main__ travel by value).
    from bench_accuracy import run_task as task

    start = time.perf_counter()
    jobs = Parallel(n_jobs=args.n_jobs, return_as="generator_unordered")(
        delayed(task)(t, data_dir, protocol, args.variants, args.threads) for t in todo
    )
    with open(log, "a") as file:
        for i, record in enumerate(jobs, 1):
            file.write(json.dumps(record, default=json_default) + "\n")
            file.flush()
            status = "FAILED " + record["error"] if record["error"] else f"{record['score']:.4f}"
            print(f"[{i}/{len(todo)} {time.perf_counter() - start:6.0f}s] {record['dataset']} "
                  f"fold {record['fold']} {record['model']}: {status}", flush=True)  # fmt: skip
    elapsed = time.perf_counter() - start
    records = _stored(log, names, args, protocol)
    config = {k: v for k, v in vars(args).items() if k != "output_dir"}
    config.update(elapsed_seconds=round(elapsed, 1), fits_this_run=len(todo))
    config.update(fits_reused=len(records) - len(todo))
    config["departures from the full protocol"] = _departures(
        args, git, names, [e["name"] for e in list_datasets(data_dir)]
    )
    snn_models = [m for m in args.models if m.startswith("sklearn-snn") or m in args.variants]
    summary = summarize(records, catalogue, args.models, snn_models, config, git, out)
    report(summary)
    print(f"\n{elapsed:.0f} s; results in {out}")


if __name__ == "__main__":
    main()
