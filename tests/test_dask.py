"""Scale-out on Dask: joblib's Dask backend and dask-ml's Incremental wrapper.

Every test runs on a real ``distributed.LocalCluster`` of two worker processes
listening on the loopback interface only; the cluster is shut down at the end
of the module. Deselect with ``-m "not dask"``.
"""

import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sklearn_snn import SNNClassifier

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
wrappers = pytest.importorskip("dask_ml.wrappers")
dask = pytest.importorskip("dask")

pytestmark = pytest.mark.dask

TINY = {
    "n_layers": 2,
    "n_units": 16,
    "max_iter": 10,
    "learning_rate": 0.01,
    "batch_size": 50,
    "random_state": 0,
}
N_FEATURES = 6
BLOCK_ROWS = 150
N_BLOCKS = 4


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def client():
    """A client of a two-process LocalCluster on 127.0.0.1, closed afterwards."""
    cluster = distributed.LocalCluster(
        processes=True,
        n_workers=2,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _block(index):
    """Block ``index`` of a fixed linear two-class problem, from its own seed."""
    weights = np.random.default_rng(12345).normal(size=N_FEATURES)
    rng = np.random.default_rng(index)
    X = rng.normal(size=(BLOCK_ROWS, N_FEATURES))
    y = (X @ weights + 0.3 * rng.normal(size=BLOCK_ROWS) > 0).astype(np.int64)
    return X, y


@pytest.fixture(scope="module")
def block_files(tmp_path_factory):
    """Training blocks saved one per ``.npy`` file, as out-of-core data would be."""
    folder = tmp_path_factory.mktemp("blocks")
    paths = []
    for index in range(N_BLOCKS):
        X, y = _block(index)
        np.save(folder / f"X_{index}.npy", X)
        np.save(folder / f"y_{index}.npy", y)
        paths.append((str(folder / f"X_{index}.npy"), str(folder / f"y_{index}.npy")))
    return paths


def _lazy_arrays(paths):
    """Dask arrays whose blocks are read from disk only when computed.

    The graph holds file names and ``np.load``, nothing of this module, so
    the workers need no access to the test code.
    """
    X = da.concatenate(
        [
            da.from_delayed(
                dask.delayed(np.load)(X_path), shape=(BLOCK_ROWS, N_FEATURES), dtype=np.float64
            )
            for X_path, _ in paths
        ]
    )
    y = da.concatenate(
        [
            da.from_delayed(dask.delayed(np.load)(y_path), shape=(BLOCK_ROWS,), dtype=np.int64)
            for _, y_path in paths
        ]
    )
    return X, y


def _in_memory(indices):
    parts = [_block(i) for i in indices]
    return np.vstack([X for X, _ in parts]), np.concatenate([y for _, y in parts])


def test_lazy_arrays_hold_no_data(block_files):
    X, y = _lazy_arrays(block_files)
    assert X.numblocks == (N_BLOCKS, 1)
    graph_bytes = len(pickle.dumps(dict(X.__dask_graph__())))
    assert graph_bytes < BLOCK_ROWS * N_FEATURES * 8
    X_memory, y_memory = _in_memory(range(N_BLOCKS))
    with dask.config.set(scheduler="synchronous"):
        np.testing.assert_array_equal(X.blocks[1].compute(), X_memory[BLOCK_ROWS : 2 * BLOCK_ROWS])
        np.testing.assert_array_equal(y.compute(), y_memory)


def test_grid_search_on_local_cluster_matches_local_run(client):
    X, y = _in_memory(range(2))
    grid = {"n_layers": [1, 2, 3]}
    local = GridSearchCV(SNNClassifier(**TINY), grid, cv=3, n_jobs=1).fit(X, y)
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        remote = GridSearchCV(SNNClassifier(**TINY), grid, cv=3, n_jobs=-1).fit(X, y)

    workers = set(client.scheduler_info()["workers"])
    assert tasks.data, "no task ran on the cluster"
    assert {task["worker"] for task in tasks.data} <= workers
    for key, value in local.cv_results_.items():
        if "time" not in key:
            np.testing.assert_array_equal(np.asarray(value), np.asarray(remote.cv_results_[key]))
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.predict_proba(X), local.predict_proba(X))


def test_incremental_on_lazy_blocks_equals_partial_fit_in_memory(client, block_files):
    X, y = _lazy_arrays(block_files)
    incremental = wrappers.Incremental(SNNClassifier(**TINY), shuffle_blocks=False)
    n_passes = 3
    for _ in range(n_passes):
        incremental.partial_fit(X, y, classes=[0, 1])

    reference = SNNClassifier(**TINY)
    for _ in range(n_passes):
        for index in range(N_BLOCKS):
            reference.partial_fit(*_block(index), classes=[0, 1])

    fitted = incremental.estimator_
    assert fitted.n_iter_ == reference.n_iter_ == n_passes * N_BLOCKS
    X_test, _ = _block(100)
    np.testing.assert_array_equal(fitted.predict_proba(X_test), reference.predict_proba(X_test))
    # Predictions on a Dask array stay lazy and run block by block on the cluster.
    lazy = incremental.predict(X)
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(lazy.compute(), reference.predict(_in_memory(range(N_BLOCKS))[0]))


def test_incremental_predicts_as_well_as_in_memory_fit(client, block_files):
    n_passes = 10
    X, y = _lazy_arrays(block_files)
    incremental = wrappers.Incremental(SNNClassifier(**TINY), random_state=0)
    for _ in range(n_passes):
        incremental.partial_fit(X, y, classes=[0, 1])

    X_memory, y_memory = _in_memory(range(N_BLOCKS))
    batch_fit = SNNClassifier(**dict(TINY, max_iter=n_passes)).fit(X_memory, y_memory)

    X_test, y_test = _in_memory(range(100, 103))
    out_of_core = incremental.estimator_.score(X_test, y_test)
    in_memory = batch_fit.score(X_test, y_test)
    assert out_of_core > 0.9
    assert out_of_core >= in_memory - 0.03


def test_incremental_over_dask_dataframe_keeps_feature_names(client, tmp_path):
    pd = pytest.importorskip("pandas")
    columns = [f"x{i}" for i in range(N_FEATURES)]
    for index in range(N_BLOCKS):
        X, y = _block(index)
        frame = pd.DataFrame(X, columns=columns).assign(target=y)
        frame.to_csv(tmp_path / f"block_{index}.csv", index=False)
    frame = dd.read_csv(str(tmp_path / "block_*.csv"))
    assert frame.npartitions == N_BLOCKS

    incremental = wrappers.Incremental(SNNClassifier(**TINY), shuffle_blocks=False)
    incremental.fit(frame[columns], frame["target"], classes=[0, 1])

    fitted = incremental.estimator_
    assert list(fitted.feature_names_in_) == columns
    assert fitted.n_iter_ == N_BLOCKS
    X_test, y_test = _block(100)
    assert fitted.score(pd.DataFrame(X_test, columns=columns), y_test) > 0.85
