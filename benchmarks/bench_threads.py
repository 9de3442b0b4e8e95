"""Fit time with torch's thread count chosen per fit, on idle and on shared cores.

An ``SNNClassifier`` of one network of four 256-unit layers on batches of 64
(the defaults when the published table was measured) trains 30
epochs on scikit-learn's digits, with torch set to 1 and to 2 threads, once
alone and once while a second process keeps a core busy (as a parallel
search with ``n_jobs=2`` or another program does). Since the fit picks one
thread for steps this small (``sklearn_snn/training/device.py``), the "2
threads" runs pass ``--force-threads`` to measure what the old behaviour cost:
the fit then keeps torch's setting. Medians of ``--repeats`` fits.

Example::

    python benchmarks/bench_threads.py --repeats 3
"""

import argparse
import json
import multiprocessing
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import sklearn_snn.training.device as device  # noqa: E402
from sklearn_snn import SNNClassifier  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "threads_cpu.json"


def _busy(seconds):
    matrix = np.random.default_rng(0).random((400, 400))
    end = time.time() + seconds
    while time.time() < end:
        matrix @ matrix


def fit_seconds(threads, epochs):
    """Seconds of one fit of ``epochs`` epochs with ``threads`` torch threads."""
    torch.set_num_threads(threads)
    X, y = load_digits(return_X_y=True)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SNNClassifier(
            n_units=256, n_ensemble=1, batch_size=64, learning_rate=1e-4, label_smoothing=0.0,
            random_state=0, max_iter=epochs, n_iter_no_change=epochs + 1,
        ).fit(X, y)  # fmt: skip
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    machine = describe_machine("cpu")
    fit_seconds(1, 2)  # warm up: imports, first allocations
    results = {}
    for shared in (False, True):
        times = {1: [], 2: []}
        for _ in range(args.repeats):
            busy = None
            if shared:
                busy = multiprocessing.Process(target=_busy, args=(3600,))
                busy.start()
                time.sleep(0.5)
            try:
                for threads in (1, 2):  # interleaved, so load hits both alike
                    # Forcing two threads: the one-thread rule applies to no step.
                    device._ONE_THREAD_WORK = 0 if threads == 2 else 2**23
                    times[threads].append(fit_seconds(threads, args.epochs))
            finally:
                if busy is not None:
                    busy.terminate()
                    busy.join()
        for threads, label in ((1, "1 thread (chosen)"), (2, "2 threads (forced)")):
            key = f"{'shared' if shared else 'idle'} cores, {label}"
            results[key] = statistics.median(times[threads])
            print(f"{key:40s} {results[key]:6.2f} s (median of {args.repeats})", flush=True)
    report = dict(machine=machine, settings=vars(args), median_seconds=results)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
