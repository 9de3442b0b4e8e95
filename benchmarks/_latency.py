"""Prediction latency rows of ``bench_speed.py --latency``.

A fitted ``SNNClassifier`` and an ``MLPClassifier`` of the same architecture
(``n_layers`` x ``n_units``, 20 features, 4 classes) predict one row, and
10,000 rows, many times each; the calls of the three ways to predict are
interleaved so that load from other processes hits all alike, and each time
is a median. The third way is sklearn-snn's ONNX graph in onnxruntime (when
skl2onnx and onnxruntime are installed), as a server without torch runs it.
"""

import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from sklearn_snn import SNNClassifier

N_FEATURES = 20


def _onnx_session(model, X):
    try:
        import onnxruntime
        from skl2onnx import to_onnx

        from sklearn_snn.onnx import register_onnx_converters
    except ImportError:
        return None
    register_onnx_converters()
    graph = to_onnx(model, X[:1].astype(np.float32), options={id(model): {"zipmap": False}})
    session = onnxruntime.InferenceSession(
        graph.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    name = session.get_inputs()[0].name
    return lambda rows: session.run(None, {name: rows.astype(np.float32, copy=False)})


def latency_rows(n_layers, n_units, calls_one, calls_many, quick):
    """Median seconds of ``predict_proba`` for 1 and 10,000 rows, per way to predict.

    Parameters
    ----------
    n_layers, n_units : int
        Architecture of both networks.
    calls_one, calls_many : int
        Calls per median, for one row and for 10,000 rows.
    quick : bool
        1,000 rows instead of 10,000 for the large batch.

    Returns
    -------
    rows : list of dict
        One per batch size: ``rows``, ``median_s`` per way, ``ratios`` to MLP.
    """
    n_many = 1_000 if quick else 10_000
    X, y = make_classification(
        n_samples=max(n_many, 2_000),
        n_features=N_FEATURES,
        n_informative=10,
        n_classes=4,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        snn = SNNClassifier(
            n_layers=n_layers, n_units=n_units, n_ensemble=1, max_iter=2, random_state=0
        )
        snn.fit(X[:2_000], y[:2_000])
        mlp = MLPClassifier(hidden_layer_sizes=(n_units,) * n_layers, max_iter=2, random_state=0)
        mlp.fit(X[:2_000], y[:2_000])
    ways = {"sklearn-snn": snn.predict_proba, "mlp": mlp.predict_proba}
    onnx = _onnx_session(snn, X)
    if onnx is not None:
        ways["onnx"] = onnx
    rows = []
    for batch, calls in ((X[:1], calls_one), (X[:n_many], calls_many)):
        times = {name: [] for name in ways}
        for predict in ways.values():
            predict(batch)  # warm up
        for _ in range(calls):
            for name, predict in ways.items():
                start = time.perf_counter()
                predict(batch)
                times[name].append(time.perf_counter() - start)
        median = {name: statistics.median(values) for name, values in times.items()}
        rows.append(
            {
                "rows": len(batch),
                "median_s": median,
                "ratios": {name: median[name] / median["mlp"] for name in median},
            }
        )
    return rows


def print_latency(rows):
    """Print the latency rows as a markdown table, times in ms and ratios to MLP."""
    ways = list(rows[0]["median_s"])
    others = [way for way in ways if way != "mlp"]
    print("| rows | " + " | ".join(ways) + " | " + " | ".join(f"{w} / mlp" for w in others) + " |")
    print("|---" * (1 + len(ways) + len(others)) + "|")
    for row in rows:
        times = " | ".join(f"{row['median_s'][w] * 1e3:.3f} ms" for w in ways)
        ratios = " | ".join(f"{row['ratios'][w]:.2f}" for w in others)
        print(f"| {row['rows']} | {times} | {ratios} |")
