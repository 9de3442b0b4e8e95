"""Ensemble rows of ``bench_speed.py --ensemble``: what ``n_ensemble`` members cost to fit.

``SNNClassifier(n_ensemble=k)`` trains its members as one batched network.
These rows time its whole ``fit`` for each ``k`` on the same data
(``make_classification``, 2,000 x 20, two classes) with the default Adam at a
fixed number of epochs (``early_stopping=False``, ``n_iter_no_change`` above
``max_iter``, ``tol=0``), for the default architecture (4 x 128) at the default
batch size (``"auto"``: 256 rows here), the previous defaults (4 x 256 on
batches of 64) and a small network (2 x 32), where the fixed cost of a step
weighs more. The fits of the member counts are interleaved, so that
load from other processes hits all alike, and each time is a median over the
repeats; ``ratios`` divide it by the time of one network. The fit picks its
own torch threads (``sklearn_snn/training/device.py``), counting every
member's multiply-adds.
"""

import statistics
import time
import warnings

from _machine import write_report
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sklearn_snn import SNNClassifier

N_SAMPLES, N_FEATURES = 2_000, 20


def _fit_seconds(X, y, network, n_ensemble, epochs, device):
    n_layers, n_units, batch_size = network
    model = SNNClassifier(
        n_layers=n_layers,
        n_units=n_units,
        n_ensemble=n_ensemble,
        batch_size=batch_size,
        max_iter=epochs,
        early_stopping=False,
        n_iter_no_change=epochs + 1,
        tol=0.0,
        device=device,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        return time.perf_counter() - start


def _batch_rows(batch_size):
    """Rows per batch of a fit on all ``N_SAMPLES`` rows (``"auto"`` resolved as the fit does)."""
    return min(SNNClassifier._auto_batch_size, N_SAMPLES) if batch_size == "auto" else batch_size


def ensemble_rows(architectures, members, epochs, repeats, device="cpu"):
    """Median fit seconds per member count, for each architecture.

    Parameters
    ----------
    architectures : list of (int, int, int or "auto")
        ``(n_layers, n_units, batch_size)`` of each row.
    members : list of int
        Member counts to time; the first is the reference of the ratios.
    epochs : int
        Epochs of every fit.
    repeats : int
        Fits per median.
    device : {"cpu", "cuda"}, default="cpu"
        Training device.

    Returns
    -------
    rows : list of dict
        One per architecture: ``median_s`` and ``times_s`` per member count,
        ``ratios`` to the first count.
    """
    X, y = make_classification(N_SAMPLES, N_FEATURES, random_state=0)
    rows = []
    for network in architectures:
        n_layers, n_units, batch_size = network
        for k in members:  # warm-up, untimed
            _fit_seconds(X[:256], y[:256], network, k, 1, device)
        times = {k: [] for k in members}
        for _ in range(repeats):
            for k in members:
                times[k].append(_fit_seconds(X, y, network, k, epochs, device))
        median = {k: statistics.median(values) for k, values in times.items()}
        rows.append(
            {
                "n_samples": N_SAMPLES,
                "n_features": N_FEATURES,
                "n_layers": n_layers,
                "n_units": n_units,
                "batch_size": _batch_rows(batch_size),
                "epochs": epochs,
                "device": device,
                "median_s": median,
                "times_s": times,
                "ratios": {k: median[k] / median[members[0]] for k in members},
            }
        )
    return rows


def print_ensemble(rows):
    """Print the rows as a markdown table: median seconds and ratios to the first count."""
    members = list(rows[0]["median_s"])
    first, others = members[0], members[1:]
    header = " | ".join(f"k={k}" for k in members)
    ratios = " | ".join(f"k={k} / k={first}" for k in others)
    print(f"| network | {header} | {ratios} |")
    print("|---" * (1 + len(members) + len(others)) + "|")
    for row in rows:
        times = " | ".join(f"{row['median_s'][k]:.2f} s" for k in members)
        ratio = " | ".join(f"{row['ratios'][k]:.2f}" for k in others)
        network = f"{row['n_layers']}x{row['n_units']}, batch {row['batch_size']}"
        print(f"| {network}, {row['epochs']} epochs | {times} | {ratio} |")


def run_ensemble(args, machine):
    """``bench_speed.py --ensemble``: time and print the rows, write ``ensemble_<device>.json``."""
    small = (2, 32, "auto")
    architectures = [small] if args.quick else [(4, 128, "auto"), (4, 256, 64), small]
    epochs = 1 if args.quick else 10
    members = [1, 3] if args.quick else [1, 8]
    rows = ensemble_rows(architectures, members, epochs, args.repeats, args.device)
    print(f"\nfit seconds by n_ensemble, {N_SAMPLES}x{N_FEATURES}, medians of {args.repeats}:")
    print_ensemble(rows)
    write_report(args, machine, "ensemble", rows)
