"""Training speed of sklearn-snn against MLPClassifier, plain skorch and a raw torch loop.

In one process, on the same synthetic data (``make_classification``, 4 classes,
standardized, float32), the same architecture (``n_layers`` x ``n_units`` SELU
layers), epochs and batch size, the script times four ways to train:

``sklearn-snn``
    ``SNNClassifier(optimizer="sgd", ...)``, the whole ``fit``.
``mlp``
    scikit-learn's ``MLPClassifier(solver="sgd", momentum=0, alpha=0)``. It has
    no SELU and no dropout, so it runs its default ReLU, and only on rows
    without dropout (on GPU rows only with ``--with-mlp``, always on the CPU).
``skorch``
    Plain ``skorch.NeuralNetClassifier`` with the same torch module, criterion
    ``CrossEntropyLoss``, optimizer SGD and skorch's default ``DataLoader``.
``raw``
    A hand-written torch loop: data as tensors on the device, ``randperm``
    shuffling, batches as index slices, the same module and optimizer.

Every time is the median over ``--repeats`` fits. The repeats are interleaved
(one fit of each method per round) so that load from other processes hits all
methods alike, and every method first trains once, untimed, on a few batches.
Ratios below 1 mean sklearn-snn is faster. ``--scaling`` adds sklearn-snn's
seconds per epoch at growing sample counts; they should grow linearly.

Examples
--------
Smoke test, seconds::

    python benchmarks/bench_speed.py --quick

CPU rows (20k x 50, 4x256, batch 128 and 512, 5 epochs, dropout 0 and 0.05)::

    python benchmarks/bench_speed.py --repeats 3

GPU rows (1M x 100, 8x512 with alpha dropout, batch 256 and 4096, 1 epoch)::

    python benchmarks/bench_speed.py --device cuda

Prediction latency (``predict_proba`` of 1 and 10,000 rows, 4x256, against
MLPClassifier and the ONNX graph in onnxruntime; see ``_latency.py``)::

    python benchmarks/bench_speed.py --latency

Fit time of ``n_ensemble=8`` against one network (2,000 x 20, default
settings, 10 epochs; 4x128, 4x256 on batches of 64, and 2x32; see ``_ensemble.py``)::

    python benchmarks/bench_speed.py --ensemble --repeats 5
"""

import argparse
import gc
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNetClassifier
from threadpoolctl import threadpool_limits
from torch import nn

# Time this checkout's package, installed or not.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sklearn_snn import SelfNormalizingNetwork, SNNClassifier  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _ensemble import run_ensemble  # noqa: E402
from _latency import N_FEATURES, latency_rows, print_latency  # noqa: E402
from _machine import describe_machine, write_report  # noqa: E402

METHODS = ("sklearn-snn", "mlp", "skorch", "raw")
N_CLASSES = 4
LEARNING_RATE = 0.01
SCALING_EPOCHS = 2
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _rows(n_samples, n_features, n_layers, n_units, epochs, batch_sizes, dropouts):
    shared = dict(n_samples=n_samples, n_features=n_features, n_layers=n_layers)
    shared.update(n_units=n_units, epochs=epochs)
    return [dict(shared, batch_size=b, dropout=d) for d in dropouts for b in batch_sizes]


def benchmark_rows(device, quick):
    """Rows of the benchmark table for ``device`` (tiny ones when ``quick``)."""
    if device == "cuda":
        if quick:
            return _rows(8192, 20, 2, 64, 1, (256, 1024), (0.05,))
        return _rows(1_000_000, 100, 8, 512, 1, (256, 4096), (0.05,))
    if quick:
        return _rows(2000, 20, 2, 32, 2, (64, 256), (0.0, 0.05))
    return _rows(20_000, 50, 4, 256, 5, (128, 512), (0.0, 0.05))


def make_data(n_samples, n_features, seed=0):
    """Standardized float32 classification data with ``N_CLASSES`` classes."""
    informative = max(3, n_features // 5)
    X, y = make_classification(
        n_samples, n_features, n_informative=informative, n_classes=N_CLASSES, random_state=seed
    )
    X = StandardScaler().fit_transform(X).astype(np.float32)
    return X, y.astype(np.int64)


def _module_params(row):
    return {key: row[key] for key in ("n_layers", "n_units", "dropout")}


def _all_epochs(row):
    # No early stop: both estimators run every one of ``max_iter`` epochs.
    return dict(max_iter=row["epochs"], n_iter_no_change=row["epochs"] + 1, tol=0.0)


def _sklearn_snn_epochs(row):
    # All rows train on every sample, as MLPClassifier does by default: no
    # validation split (sklearn-snn's default early stopping would hold out 10%).
    return dict(_all_epochs(row), early_stopping=False)


def fit_sklearn_snn(X, y, row, device):
    clf = SNNClassifier(
        **_module_params(row),
        **_sklearn_snn_epochs(row),
        optimizer="sgd",
        learning_rate=LEARNING_RATE,
        batch_size=row["batch_size"],
        device=device,
        random_state=0,
    )
    return clf.fit(X, y)


def fit_mlp(X, y, row, device):
    clf = MLPClassifier(
        **_all_epochs(row),
        hidden_layer_sizes=(row["n_units"],) * row["n_layers"],
        solver="sgd",
        momentum=0.0,
        alpha=0.0,
        batch_size=row["batch_size"],
        learning_rate_init=LEARNING_RATE,
        random_state=0,
    )
    return clf.fit(X, y)


def fit_skorch(X, y, row, device):
    torch.manual_seed(0)
    module_params = {f"module__{key}": value for key, value in _module_params(row).items()}
    net = NeuralNetClassifier(
        SelfNormalizingNetwork,
        module__n_features=X.shape[1],
        module__n_outputs=N_CLASSES,
        **module_params,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.SGD,
        lr=LEARNING_RATE,
        batch_size=row["batch_size"],
        max_epochs=row["epochs"],
        iterator_train__shuffle=True,
        train_split=None,
        device=device,
        verbose=0,
    )
    return net.fit(X, y)


def fit_raw(X, y, row, device):
    torch.manual_seed(0)
    X_train = torch.from_numpy(X).to(device)
    y_train = torch.from_numpy(y).to(device)
    module = SelfNormalizingNetwork(X.shape[1], N_CLASSES, **_module_params(row)).to(device)
    optimizer = torch.optim.SGD(module.parameters(), lr=LEARNING_RATE)
    criterion = nn.CrossEntropyLoss()
    module.train()
    n_samples, batch_size = len(X_train), row["batch_size"]
    for _ in range(row["epochs"]):
        order = torch.randperm(n_samples, device=device)
        for start in range(0, n_samples, batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = criterion(module(X_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
    return module


FIT_FUNCTIONS = dict(zip(METHODS, (fit_sklearn_snn, fit_mlp, fit_skorch, fit_raw), strict=True))


def timed(fit, X, y, row, device):
    """Seconds one call of ``fit`` takes, and what it returned."""
    gc.collect()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = fit(X, y, row, device)
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, result


def warm_up(methods, X, y, row, device):
    """Train each method once on a few batches, untimed (lazy imports, kernels)."""
    n_rows = min(len(X), 4 * row["batch_size"])
    small = dict(row, epochs=1)
    for method in methods:
        FIT_FUNCTIONS[method](X[:n_rows], y[:n_rows], small, device)


def run_row(row, methods, device, repeats, X, y):
    """Median seconds of each method on one row, with the per-repeat times."""
    warm_up(methods, X, y, row, device)
    times = {method: [] for method in methods}
    for _ in range(repeats):
        for method in methods:
            times[method].append(timed(FIT_FUNCTIONS[method], X, y, row, device)[0])
    medians = {method: statistics.median(values) for method, values in times.items()}
    snn = medians.get("sklearn-snn")
    ratios = {
        f"sklearn-snn/{other}": snn / medians[other] if snn and other in medians else None
        for other in ("mlp", "skorch", "raw")
    }
    return dict(row, device=device, median_s=medians, times_s=times, ratios=ratios)


def run_scaling(row, sizes, device, repeats, X, y):
    """sklearn-snn seconds per epoch (whole fit, and the last epoch alone) per size."""
    row = dict(row, epochs=SCALING_EPOCHS)
    results = []
    for n_samples in sizes:
        X_n, y_n = X[:n_samples], y[:n_samples]
        warm_up(["sklearn-snn"], X_n, y_n, row, device)
        fits, epochs = [], []
        for _ in range(repeats):
            seconds, clf = timed(fit_sklearn_snn, X_n, y_n, row, device)
            fits.append(seconds / row["epochs"])
            epochs.append(_last_epoch_seconds(clf))
        per_epoch = statistics.median(fits)
        result = dict(row, n_samples=n_samples, device=device, fit_s_per_epoch=per_epoch)
        result["epoch_s"] = statistics.median(epochs) if None not in epochs else None
        result["fit_s_per_epoch_per_1m_rows"] = per_epoch * 1e6 / n_samples
        results.append(result)
        _print_scaling_line(result)
    return results


def _last_epoch_seconds(clf):
    # skorch's EpochTimer, when the package's net keeps it, times an epoch
    # alone; the last one is free of set-up and of one-time costs.
    try:
        return float(clf.history_[-1, "dur"])
    except (KeyError, AttributeError):
        return None


def _row_label(row):
    return (
        f"{row['n_samples']}x{row['n_features']} {row['n_layers']}x{row['n_units']} "
        f"b{row['batch_size']} d{row['dropout']:g} {row['epochs']}ep"
    )


def _format(value, unit=""):
    return "—" if value is None else f"{value:.3g}{unit}"


def print_table(results):
    header = f"{'row':<36}" + "".join(f"{m:>12}" for m in METHODS)
    header += "".join(f"{'snn/' + m:>12}" for m in METHODS[1:])
    print(header)
    for result in results:
        line = f"{_row_label(result):<36}"
        line += "".join(f"{_format(result['median_s'].get(m), ' s'):>12}" for m in METHODS)
        line += "".join(f"{_format(result['ratios'][f'sklearn-snn/{m}']):>12}" for m in METHODS[1:])
        print(line)
    no_dropout = {r["batch_size"]: r["median_s"] for r in results if r["dropout"] == 0}
    for result in results:
        base = no_dropout.get(result["batch_size"], {}).get("sklearn-snn")
        if result["dropout"] > 0 and base and "sklearn-snn" in result["median_s"]:
            ratio = result["median_s"]["sklearn-snn"] / base
            batch, dropout = result["batch_size"], result["dropout"]
            print(f"sklearn-snn at batch {batch}: dropout {dropout:g} / none = {ratio:.3g}")


def _print_scaling_line(result):
    print(
        f"  N={result['n_samples']:>9}: {result['fit_s_per_epoch']:.3g} s/epoch (fit), "
        f"{_format(result['epoch_s'], ' s')} (last epoch), "
        f"{result['fit_s_per_epoch_per_1m_rows']:.3g} s per epoch per 1M rows"
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--repeats", type=int, default=3, help="fits per median (>= 3)")
    parser.add_argument("--output", type=Path, help="JSON file; default in benchmarks/results/")
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny sizes, 1 thread")
    parser.add_argument("--with-mlp", action="store_true", help="also time MLP on GPU rows")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument(
        "--scaling",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="time sklearn-snn per epoch at --sizes (default: on for cuda and --quick)",
    )
    parser.add_argument("--sizes", type=int, nargs="+", help="sample counts of the scaling row")
    parser.add_argument("--threads", type=int, help="torch and BLAS threads (default: theirs)")
    parser.add_argument(
        "--latency",
        action="store_true",
        help="only the prediction latency rows: 1 and 10,000 rows, sklearn-snn vs MLP vs ONNX",
    )
    parser.add_argument(
        "--ensemble", action="store_true", help="only the fit time of n_ensemble=8 against 1"
    )
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda, but torch finds no CUDA device")
    if args.scaling is None:
        args.scaling = args.device == "cuda" or args.quick
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.threads is None and args.quick:
        args.threads = 1  # tiny matmuls on threads that share busy cores crawl
    if args.sizes is None:
        args.sizes = [1000, 2000, 4000] if args.quick else [10_000, 100_000, 1_000_000]
    if args.output is None:
        suffix = ".quick.tmp" if args.quick else ".json"
        args.output = RESULTS_DIR / f"speed_{args.device}{suffix}"
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None:
        # MLPClassifier computes with numpy's BLAS, the rest with torch's threads.
        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    gc.freeze()  # leave the imported modules out of the gc.collect() before each fit
    machine = describe_machine(args.device)
    print("machine:", json.dumps(machine, indent=2))
    if args.ensemble:
        run_ensemble(args, machine)
        return
    print(
        f"{N_CLASSES} classes, SGD lr={LEARNING_RATE}, median of {args.repeats} repeats; "
        "MLPClassifier uses ReLU (it has no SELU), no dropout, momentum 0, alpha 0."
    )

    if args.latency:
        layers, units = (2, 32) if args.quick else (4, 256)
        calls = (30, 3) if args.quick else (300, 20)
        latency = latency_rows(layers, units, *calls, quick=args.quick)
        print(f"\npredict_proba latency, {layers}x{units}, {N_FEATURES} features, medians:")
        print_latency(latency)
        write_report(args, machine, "latency", latency)
        return

    rows = benchmark_rows(args.device, args.quick)
    results = []
    X, y = None, None
    for row in rows:
        if X is None or X.shape != (row["n_samples"], row["n_features"]):
            X, y = make_data(row["n_samples"], row["n_features"])
        with_mlp = args.with_mlp if args.device == "cuda" else row["dropout"] == 0
        methods = [m for m in args.methods if m != "mlp" or with_mlp]
        print(f"\n{_row_label(row)} on {args.device}: {', '.join(methods)}", flush=True)
        results.append(run_row(row, methods, args.device, args.repeats, X, y))
        for method, seconds in results[-1]["median_s"].items():
            print(f"  {method:<12} {seconds:.3f} s", flush=True)

    scaling = []
    if args.scaling:
        row = rows[0]
        label = _row_label(dict(row, epochs=SCALING_EPOCHS))
        print(f"\nscaling of sklearn-snn, {label} at N = {args.sizes}:", flush=True)
        X, y = make_data(max(args.sizes), row["n_features"])
        scaling = run_scaling(row, args.sizes, args.device, args.repeats, X, y)

    print()
    print_table(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    machine["load_average_at_end"] = os.getloadavg()
    settings = dict(vars(args), n_classes=N_CLASSES, learning_rate=LEARNING_RATE)
    report = dict(machine=machine, settings=settings, rows=results, scaling=scaling)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
