"""The benchmark scripts: their ranking arithmetic and a small end-to-end run of each."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    """``benchmarks/bench_accuracy.py`` imported as the module its workers import."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_accuracy", BENCHMARKS / "bench_accuracy.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_accuracy"] = module
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("bench_accuracy", None)
        sys.path.remove(str(BENCHMARKS))


def _means(rows, tasks=None, n_rows=None):
    frame = pd.DataFrame(rows).T
    frame.insert(0, "task", tasks or ["binary"] * len(frame))
    frame.insert(1, "n_rows", n_rows or [2000] * len(frame))
    return frame


def test_ranks_average_ties_and_put_failed_models_last(bench):
    means = _means({"a": {"x": 0.9, "y": 0.8, "z": 0.8}, "b": {"x": np.nan, "y": 0.5, "z": 0.7}})
    ranked = bench.ranks(means, ["x", "y", "z"])
    np.testing.assert_array_equal(ranked.loc["a"], [1.0, 2.5, 2.5])
    np.testing.assert_array_equal(ranked.loc["b"], [3.0, 2.0, 1.0])


def test_average_ranks_split_by_task_and_size(bench):
    means = _means(
        {"small": {"x": 0.9, "y": 0.8}, "large": {"x": 0.7, "y": 0.8}, "reg": {"x": 0.1, "y": 0.2}},
        tasks=["binary", "multiclass", "regression"],
        n_rows=[500, 5000, 5000],
    )
    average = bench.average_ranks(bench.ranks(means, ["x", "y"]), means)
    assert average.loc["classification, < 1000 rows (1)"].tolist() == [1.0, 2.0]
    assert average.loc["classification, >= 1000 rows (1)"].tolist() == [2.0, 1.0]
    assert average.loc["classification, all sizes (2)"].tolist() == [1.5, 1.5]
    assert average.loc["regression, >= 1000 rows (1)"].tolist() == [2.0, 1.0]
    assert average.loc["all tasks, all sizes (3)"].tolist() == [1.67, 1.33]


def test_wins_losses_count_and_name_clear_losses(bench):
    pairs = [("a", 0.9, 0.8), ("b", 0.7, 0.7), ("c", 0.5, 0.52), ("d", 0.6, 0.605)]
    means = _means({d: {"snn": s, "mlp": m} for d, s, m in pairs})
    result = bench.wins_losses(means, ["snn"], ["snn", "mlp"])
    assert result == {"snn vs mlp": {"wins": 1, "ties": 1, "losses": 2, "lost by > 0.01": ["c"]}}


def test_equal_accuracies_summed_in_another_order_tie(bench):
    # The same fold accuracies averaged in another order: the means differ in
    # the last bits and must still tie.
    folds = [106 / 114, 111 / 113, 104 / 113, 103 / 114, 111 / 113]
    scores = pd.DataFrame(
        [dict(dataset="d", fold=i, model="x", score=s) for i, s in enumerate(folds)]
        + [dict(dataset="d", fold=i, model="y", score=s) for i, s in enumerate(folds[::-1])]
        + [dict(dataset="e", fold=i, model=m, score=0.5 + 0.01 * (m == "x")) for i in range(5)
           for m in ("x", "y")]
    )  # fmt: skip
    assert pd.Series(folds).mean() != pd.Series(folds[::-1]).mean(), "no rounding to show"
    datasets = pd.DataFrame({"name": ["d", "e"], "task": "binary", "n_rows": 569})
    means = bench.table(scores, datasets, ["x", "y"])
    np.testing.assert_array_equal(bench.ranks(means, ["x", "y"]).loc["d"], [1.5, 1.5])
    result = bench.wins_losses(means, ["x"], ["y"])["x vs y"]
    assert (result["wins"], result["ties"], result["losses"]) == (1, 1, 0)
    # A difference of exactly the margin is not "lost by more than" it.
    assert bench.wins_losses(means, ["y"], ["x"])["y vs x"]["lost by > 0.01"] == []


def test_clear_wins_losses_pair_the_folds_and_need_two_standard_errors(bench):
    differences = {
        "steady-win": [0.05, 0.06, 0.04],  # mean 0.05, standard error 0.006
        "noisy": [0.05, -0.04, 0.01],  # mean 0.007, standard error 0.026
        "steady-loss": [-0.03, -0.02, -0.04],
        "level": [0.0, 0.0, 0.0],
        "one-fold": [0.2],
    }
    rows = []
    for dataset, diffs in differences.items():
        for fold, diff in enumerate(diffs):
            base = 0.5 + 0.1 * fold  # fold-to-fold spread that pairing must remove
            rows += [
                dict(dataset=dataset, fold=fold, model="mlp", score=base),
                dict(dataset=dataset, fold=fold, model="snn", score=base + diff),
            ]
    result = bench.clear_wins_losses(pd.DataFrame(rows), ["snn"], ["snn", "mlp", "absent"])
    assert result == {"snn vs mlp": {"clear wins": ["steady-win"], "clear losses": ["steady-loss"]}}


def test_collapse_check_flags_scores_below_half_the_gap_to_linear(bench):
    means = _means(
        {
            "ok": {"sklearn-snn": 0.80, "linear": 0.90, "majority": 0.60},  # floor 0.75
            "collapsed": {"sklearn-snn": 0.70, "linear": 0.90, "majority": 0.60},
            "failed": {"sklearn-snn": np.nan, "linear": 0.90, "majority": 0.60},
            "linear-worse": {"sklearn-snn": 0.55, "linear": 0.40, "majority": 0.55},
        }
    )
    violations = bench.collapse_check(means, ["sklearn-snn"])["sklearn-snn"]
    assert [v["dataset"] for v in violations] == ["collapsed", "failed"]
    assert violations[0]["floor"] == 0.75


def test_issue_targets_on_large_classification_datasets(bench):
    scores = {
        "sklearn-snn-tuned": [0.90, 0.80, 0.50],
        "sklearn-snn": [0.85, 0.82, 0.50],
        "mlp": [0.80, 0.83, 0.40],
        "svm": [0.70, 0.81, 0.30],
        "hist-gb": [0.92, 0.81, 0.90],
    }
    means = _means(
        {d: {m: v[i] for m, v in scores.items()} for i, d in enumerate(["a", "b", "small"])},
        n_rows=[5000, 5000, 100],
    )
    targets = bench.issue_targets(means, None)
    assert targets["datasets"] == 2
    assert targets["peer average ranks"] == {
        "sklearn-snn-tuned": 2.5, "sklearn-snn": 2.0, "mlp": 2.0, "svm": 3.5
    }  # fmt: skip
    assert not targets["tuned snn has the best peer rank"]
    assert targets["hist-gb minus tuned snn, mean accuracy (points)"] == pytest.approx(1.5)
    # all three classification datasets count: 0.85 > 0.80, 0.82 < 0.83, 0.50 > 0.40
    assert targets["share of datasets where default snn beats default mlp"] == pytest.approx(0.667)


@pytest.fixture
def data_dir(tmp_path):
    """A manifest without row counts: a binary task with a categorical column, a regression."""
    rng = np.random.default_rng(0)
    n = 120
    signal = rng.normal(size=n)
    binary = pd.DataFrame(
        {
            "signal": signal,
            "noise": rng.normal(size=n),
            "colour": rng.choice(["red", "blue"], size=n),
            "target": np.where(signal > 0, "yes", "no"),
        }
    )
    binary.loc[::10, "noise"] = np.nan
    binary.to_csv(tmp_path / "toy_binary.csv.gz", index=False)
    x = rng.normal(size=(n, 3))
    regression = pd.DataFrame(x, columns=["a", "b", "c"]).assign(target=x @ [1.0, -2.0, 0.5])
    regression.to_csv(tmp_path / "toy_regression.csv.gz", index=False)
    manifest = [
        {"name": "toy_binary", "file": "toy_binary.csv.gz", "task": "binary",
         "categorical_columns": ["colour"]},
        {"name": "toy_regression", "file": "toy_regression.csv.gz", "task": "regression"},
    ]  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_accuracy_benchmark_end_to_end_and_resume(bench, data_dir, tmp_path):
    argv = [
        "--data-dir", str(data_dir), "--folds", "2", "--name", "toy",
        "--output-dir", str(tmp_path / "results"),
        "--models", "linear", "majority",
        "--snn-variant",
        "snn-tiny:n_layers=1,n_units=16,learning_rate=0.01,max_iter=100,early_stopping=False",
    ]  # fmt: skip
    bench.main(argv)
    out = tmp_path / "results" / "toy"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["fits_this_run"] == 2 * 2 * 3
    assert summary["errors"] == []
    table = pd.read_csv(out / "table.csv", index_col=0)
    assert table.loc["toy_binary", "n_rows"] == 120  # counted: the manifest has no n_rows
    # a linear rule and a linear target: the linear models are (almost) exact
    assert table.loc["toy_binary", "linear"] > 0.9 > table.loc["toy_binary", "majority"]
    assert table.loc["toy_regression", "linear"] > 0.99
    assert abs(table.loc["toy_regression", "majority"]) < 0.1
    # a small sklearn-snn variant learns both and passes the collapse check
    assert table.loc["toy_binary", "snn-tiny"] > 0.8
    assert table.loc["toy_regression", "snn-tiny"] > 0.9
    assert summary["collapse_violations"]["snn-tiny"] == []
    assert set(summary["wins_losses"]) == {"snn-tiny vs linear"}
    assert set(summary["clear_wins_losses"]) == {"snn-tiny vs linear"}
    for name in ("scores.jsonl", "table.md", "ranks.csv", "table_rmse.csv", "ranks.png"):
        assert (out / name).is_file()

    bench.main([*argv, "--resume"])
    again = json.loads((out / "summary.json").read_text())
    assert (again["fits_this_run"], again["fits_reused"]) == (0, 12)
    pd.testing.assert_frame_equal(pd.read_csv(out / "table.csv", index_col=0), table)

    # resuming on fewer datasets summarizes those alone, from the same fits
    bench.main([*argv, "--resume", "--datasets", "toy_binary"])
    subset = json.loads((out / "summary.json").read_text())
    assert (subset["fits_this_run"], subset["fits_reused"]) == (0, 6)
    subset_table = pd.read_csv(out / "table.csv", index_col=0)
    assert list(subset_table.index) == ["toy_binary"]
    pd.testing.assert_series_equal(subset_table.loc["toy_binary"], table.loc["toy_binary"])

    # other outer splits: fold 0 would mean another split, so nothing is reused
    with pytest.raises(SystemExit, match=r"toy_\w+ fold 0 .*'folds': 2.*'folds': 3"):
        bench.main([*argv, "--resume", "--folds", "3"])
    with pytest.raises(SystemExit, match="'seed': 0.*'seed': 1"):
        bench.main([*argv, "--resume", "--seed", "1"])


@pytest.mark.parametrize(
    "listed", [{}, {"toy_binary": 120}, {"toy_binary": 120, "toy_regression": 7}]
)
def test_catalogue_counts_rows_only_where_the_manifest_has_none(bench, data_dir, listed):
    manifest = json.loads((data_dir / "manifest.json").read_text())
    for entry in manifest:
        if entry["name"] in listed:
            entry["n_rows"] = listed[entry["name"]]
    (data_dir / "manifest.json").write_text(json.dumps(manifest))
    catalogue = bench._catalogue(str(data_dir), ["toy_regression", "toy_binary"])
    expected = {"toy_binary": 120, "toy_regression": 120, **listed}
    assert catalogue["name"].tolist() == ["toy_regression", "toy_binary"]
    assert catalogue["n_rows"].tolist() == [expected["toy_regression"], expected["toy_binary"]]


def test_accuracy_benchmark_rejects_unknown_datasets_and_models(bench, data_dir):
    with pytest.raises(SystemExit, match="Not in the manifest: nope"):
        bench.main(["--data-dir", str(data_dir), "--datasets", "nope", "--models", "linear"])
    with pytest.raises(SystemExit):
        bench.parse_args(["--models", "no-such-model"])
    with pytest.raises(SystemExit):
        bench.parse_args(["--inner-folds", "0"])


def test_speed_benchmark_smoke_run_writes_consistent_ratios(tmp_path):
    output = tmp_path / "speed.json"
    command = [
        sys.executable, str(BENCHMARKS / "bench_speed.py"), "--quick", "--repeats", "1",
        "--no-scaling", "--methods", "sklearn-snn", "raw", "--output", str(output),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    report = json.loads(output.read_text())
    assert report["machine"]["torch_threads"] == 1
    assert report["scaling"] == []
    assert {row["dropout"] for row in report["rows"]} == {0.0, 0.05}
    for row in report["rows"]:
        median = row["median_s"]
        assert set(median) == {"sklearn-snn", "raw"}
        assert all(seconds > 0 for seconds in median.values())
        assert row["ratios"]["sklearn-snn/raw"] == pytest.approx(
            median["sklearn-snn"] / median["raw"]
        )


def test_speed_benchmark_ensemble_rows_write_consistent_ratios(tmp_path):
    command = [
        sys.executable, str(BENCHMARKS / "bench_speed.py"), "--quick", "--ensemble",
        "--repeats", "1", "--output", str(tmp_path / "speed_cpu.json"),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    report = json.loads((tmp_path / "ensemble_cpu.json").read_text())
    (row,) = report["ensemble"]
    assert (row["n_layers"], row["n_units"], row["epochs"]) == (2, 32, 1)
    median = row["median_s"]
    assert set(median) == {"1", "3"} and all(seconds > 0 for seconds in median.values())
    assert row["ratios"]["3"] == pytest.approx(median["3"] / median["1"])
