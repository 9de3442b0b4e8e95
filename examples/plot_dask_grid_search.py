"""
Grid search on a Dask cluster
=============================

One ``GridSearchCV`` over the depth of an :class:`~sklearn_snn.SNNClassifier`,
run three ways: on this machine with joblib's default process pool, on a
:class:`distributed.LocalCluster`, and — by changing one line — on an
existing Dask cluster. The fits, scores and chosen depth are the same
everywhere for the same ``random_state``; only where the work runs changes.

Needs the ``dask`` extra: ``python -m pip install -e ".[dask]"`` from the repository root.

Dask starts its workers as new processes that import this script, so the
work below is guarded by ``if __name__ == "__main__":``.
"""

# %%
# The data and the search
# -----------------------
import time
import warnings

import joblib
import numpy as np
from distributed import Client, LocalCluster
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sklearn_snn import SNNClassifier

X, y = make_classification(
    n_samples=1000, n_features=20, n_informative=10, n_classes=3, random_state=0
)
search = GridSearchCV(
    SNNClassifier(n_units=32, max_iter=20, learning_rate=0.01, random_state=0),
    {"n_layers": [1, 2, 4]},
    cv=3,
    n_jobs=-1,
)


def timed_fit(estimator):
    """Fit ``estimator`` on ``X, y``; return it and the wall-clock seconds taken."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    return estimator, time.perf_counter() - start


# %%
# On one machine: two local processes
# -----------------------------------
# joblib's default backend starts two worker processes the first time; the
# second search reuses them.
if __name__ == "__main__":
    local, local_cold = timed_fit(clone(search).set_params(n_jobs=2))
    _, local_warm = timed_fit(clone(search).set_params(n_jobs=2))
    print(f"local n_jobs=2: {local_cold:.1f} s (first), {local_warm:.1f} s (workers running)")
    print("best:", local.best_params_, f"accuracy {local.best_score_:.3f}")

# %%
# On a LocalCluster
# -----------------
# Two worker processes with one thread each, reachable on the loopback
# interface only. Inside ``joblib.parallel_backend("dask")`` the same
# ``GridSearchCV(n_jobs=-1)`` sends its fits to the cluster.
if __name__ == "__main__":
    start = time.perf_counter()
    cluster = LocalCluster(
        processes=True,
        n_workers=2,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = Client(cluster)
    startup = time.perf_counter() - start
    with joblib.parallel_backend("dask"):
        remote, dask_cold = timed_fit(clone(search))
        _, dask_warm = timed_fit(clone(search))
    client.close()
    cluster.close()
    print(f"LocalCluster start-up: {startup:.1f} s")
    print(f"LocalCluster search: {dask_cold:.1f} s (first), {dask_warm:.1f} s (workers running)")
    print("best:", remote.best_params_, f"accuracy {remote.best_score_:.3f}")

    same = all(
        np.array_equal(local.cv_results_[key], remote.cv_results_[key])
        for key in local.cv_results_
        if key.startswith(("split", "mean_test", "rank"))
    )
    print("identical scores on both:", same)

# %%
# On an existing cluster
# ----------------------
# Replace the ``LocalCluster`` and its ``Client`` above with one line that
# connects to the cluster's scheduler; everything else stays::
#
#     client = Client("tcp://scheduler-address:8786")
#
# The workers need the same versions of sklearn-snn, scikit-learn and torch
# as this machine, since they unpickle the estimator and the fitted models.
# On two cores the cluster cannot beat the local pool — it adds scheduling
# and start-up — but the same code spreads hundreds of fits over as many
# machines as the cluster has.
