"""The benchmark scripts: protocol, statistics, targets, search spaces, and small runs."""

import importlib
import importlib.util
import json
import math
import subprocess
import sys
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions

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


@pytest.fixture(scope="module")
def comparison(bench):
    return importlib.import_module("_comparison")


@pytest.fixture(scope="module")
def protocol(bench):
    return importlib.import_module("_protocol")


@pytest.fixture(scope="module")
def targets(bench):
    return importlib.import_module("_targets")


@pytest.fixture(scope="module")
def spaces(bench):
    return importlib.import_module("_spaces")


def _means(rows, tasks=None, n_rows=None):
    frame = pd.DataFrame(rows).T
    frame.insert(0, "task", tasks or ["binary"] * len(frame))
    frame.insert(1, "n_rows", n_rows or [2000] * len(frame))
    return frame


def _scores(differences, model="snn", peer="mlp", spread=0.1):
    """Fold scores whose paired differences ``model - peer`` are ``differences``."""
    rows = []
    for dataset, diffs in differences.items():
        for fold, diff in enumerate(diffs):
            base = 0.5 + spread * fold  # fold-to-fold spread that pairing must remove
            rows += [
                dict(dataset=dataset, fold=fold, model=peer, score=base),
                dict(dataset=dataset, fold=fold, model=model, score=base + diff),
            ]
    return pd.DataFrame(rows)


# ----------------------------------------------------------------- ranks and tables


def test_ranks_average_ties_and_put_failed_models_last(comparison):
    means = _means({"a": {"x": 0.9, "y": 0.8, "z": 0.8}, "b": {"x": np.nan, "y": 0.5, "z": 0.7}})
    ranked = comparison.ranks(means, ["x", "y", "z"])
    np.testing.assert_array_equal(ranked.loc["a"], [1.0, 2.5, 2.5])
    np.testing.assert_array_equal(ranked.loc["b"], [3.0, 2.0, 1.0])


def test_average_ranks_split_by_task_and_size(comparison):
    means = _means(
        {"small": {"x": 0.9, "y": 0.8}, "large": {"x": 0.7, "y": 0.8}, "reg": {"x": 0.1, "y": 0.2}},
        tasks=["binary", "multiclass", "regression"],
        n_rows=[500, 5000, 5000],
    )
    average = comparison.average_ranks(comparison.ranks(means, ["x", "y"]), means)
    assert average.loc["classification, < 1000 rows (1)"].tolist() == [1.0, 2.0]
    assert average.loc["classification, >= 1000 rows (1)"].tolist() == [2.0, 1.0]
    assert average.loc["classification, all sizes (2)"].tolist() == [1.5, 1.5]
    assert average.loc["regression, >= 1000 rows (1)"].tolist() == [2.0, 1.0]
    assert average.loc["all tasks, all sizes (3)"].tolist() == [1.67, 1.33]


def test_equal_accuracies_summed_in_another_order_tie(comparison):
    # The same fold accuracies averaged in another order: the means differ in
    # the last bits and must still rank and count as ties.
    folds = [106 / 114, 111 / 113, 104 / 113, 103 / 114, 111 / 113]
    scores = pd.DataFrame(
        [dict(dataset="d", fold=i, model="x", score=s) for i, s in enumerate(folds)]
        + [dict(dataset="d", fold=i, model="y", score=s) for i, s in enumerate(folds[::-1])]
    )
    assert pd.Series(folds).mean() != pd.Series(folds[::-1]).mean(), "no rounding to show"
    datasets = pd.DataFrame({"name": ["d"], "task": "binary", "n_rows": 569})
    means = comparison.table(scores, datasets, ["x", "y"])
    np.testing.assert_array_equal(comparison.ranks(means, ["x", "y"]).loc["d"], [1.5, 1.5])
    assert comparison.wilcoxon(means, "x", "y")["n_nonzero"] == 0


# --------------------------------------------------------------- paired comparisons


def test_paired_differences_need_two_standard_errors(comparison):
    differences = {
        "steady-win": [0.05, 0.06, 0.04],  # mean 0.05, standard error 0.006
        "noisy": [0.05, -0.04, 0.01],  # mean 0.007, standard error 0.026
        "steady-loss": [-0.03, -0.02, -0.04],
        "level": [0.0, 0.0, 0.0],
        "constant-gain": [0.01, 0.01, 0.01],  # no spread at all: a win
        "one-fold": [0.2],  # error unknown: a tie
        "under-2se": [0.0, 0.0, 0.0, 0.08],  # mean 0.02 = 1 standard error
    }
    table = comparison.paired_differences(_scores(differences), "snn", "mlp")
    assert table["outcome"].to_dict() == {
        "constant-gain": "win", "level": "tie", "noisy": "tie", "one-fold": "tie",
        "steady-loss": "loss", "steady-win": "win", "under-2se": "tie",
    }  # fmt: skip
    assert table.at["steady-win", "mean"] == pytest.approx(0.05)
    assert table.at["steady-win", "se"] == pytest.approx(0.01 / math.sqrt(3))
    assert table.at["under-2se", "se"] == pytest.approx(0.02)
    assert table.at["one-fold", "n_folds"] == 1
    # The other direction swaps wins and losses.
    swapped = comparison.paired_differences(_scores(differences), "mlp", "snn")["outcome"]
    assert swapped["steady-win"] == "loss" and swapped["steady-loss"] == "win"
    assert comparison.paired_differences(_scores(differences), "snn", "absent").empty


def test_count_outcomes_separate_large_losses_from_large_ties(comparison):
    differences = {
        "win": [0.05, 0.06, 0.04],
        "small-loss": [-0.005, -0.006, -0.004],
        "big-loss": [-0.03, -0.02, -0.04],
        "big-tie": [-0.09, 0.03, 0.0],  # mean -0.02, behind but within the noise
        "tie": [0.0, 0.0, 0.0],
    }
    table = comparison.paired_differences(_scores(differences), "snn", "mlp")
    counts = comparison.count_outcomes(table)
    assert (counts["wins"], counts["ties"], counts["losses"]) == (1, 2, 2)
    assert counts["won on"] == ["win"] and counts["lost on"] == ["big-loss", "small-loss"]
    assert counts["behind by > 0.01"] == ["big-loss", "big-tie"]
    assert counts["losses by > 0.01"] == ["big-loss"]
    assert counts["mean difference"] == pytest.approx((0.05 - 0.005 - 0.03 - 0.02) / 5)


def test_paired_comparisons_count_each_task_family_apart(comparison):
    scores = _scores({"c1": [0.05, 0.06, 0.04], "c2": [0.05, 0.06, 0.04], "r": [-0.1] * 3})
    means = _means({d: {"snn": 0.5, "mlp": 0.5} for d in ("c1", "c2", "r")},
                   tasks=["binary", "multiclass", "regression"])  # fmt: skip
    result = comparison.paired_comparisons(scores, means, ["snn"], ["snn", "mlp"])
    assert list(result) == ["snn vs mlp"]
    pair = result["snn vs mlp"]
    assert (pair["classification"]["wins"], pair["classification"]["losses"]) == (2, 0)
    assert (pair["regression"]["wins"], pair["regression"]["losses"]) == (0, 1)


# -------------------------------------------------------------------- rank tests


def test_friedman_gets_one_sample_per_model(comparison):
    # x always first, y second, z third on 6 datasets: chi2 = 12, p = exp(-6)
    rows = {f"d{i}": {"x": 0.9 + 0.01 * i, "y": 0.8 + 0.01 * i, "z": 0.01 * i} for i in range(6)}
    result = comparison.friedman(_means(rows), ["x", "y", "z"])
    assert result["statistic"] == pytest.approx(12.0)
    assert result["p_value"] == pytest.approx(math.exp(-6))
    assert result["n_datasets"] == 6
    # a dataset where a model has no score is left out; two models are too few
    rows["d6"] = {"x": 0.5, "y": np.nan, "z": 0.1}
    assert comparison.friedman(_means(rows), ["x", "y", "z"])["n_datasets"] == 6
    assert comparison.friedman(_means(rows), ["x", "y"])["p_value"] is None


def test_friedman_leaves_out_a_model_that_failed_everywhere(comparison):
    rows = {f"d{i}": {"x": 0.9 - 0.01 * i, "y": 0.8, "z": 0.7, "failed": np.nan} for i in range(4)}
    means = _means(rows)
    with_failed = comparison.friedman(means, ["x", "y", "z", "failed"])
    assert with_failed == comparison.friedman(means, ["x", "y", "z"])
    assert with_failed["n_datasets"] == 4 and with_failed["p_value"] is not None


def test_wilcoxon_is_signed_and_drops_zero_differences(comparison):
    gains = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]
    rows = {f"d{i}": {"snn": 0.5 + g, "mlp": 0.5} for i, g in enumerate(gains)}
    rows["level"] = {"snn": 0.7, "mlp": 0.7}
    means = _means(rows)
    result = comparison.wilcoxon(means, "snn", "mlp")
    # six positive differences out of six: exact two-sided p = 2 / 2**6
    assert result["p_value"] == pytest.approx(2 / 64)
    assert (result["n_datasets"], result["n_nonzero"]) == (7, 6)
    assert result["median_difference"] == pytest.approx(0.03)
    assert comparison.wilcoxon(means, "mlp", "snn")["median_difference"] == pytest.approx(-0.03)
    assert comparison.wilcoxon(_means({"a": {"snn": 1, "mlp": 1}}), "snn", "mlp")["p_value"] is None


def test_wilcoxon_ranks_equal_differences_as_ties(comparison):
    # 0.7 - 0.6 and 0.4 - 0.3 are not the same float; as differences of
    # accuracies they are the same, and rank as ties.
    means = _means(
        {
            f"d{i}": {"snn": s, "mlp": m}
            for i, (s, m) in enumerate(
                [(0.7, 0.6), (0.4, 0.3), (0.9, 0.8), (0.3, 0.4), (0.8, 0.6), (0.6, 0.5)]
            )
        }
    )
    assert len({round(abs(s - m), 17) for s, m in means[["snn", "mlp"]].to_numpy()}) > 2
    expected = stats.wilcoxon([0.1, 0.1, 0.1, -0.1, 0.2, 0.1])
    result = comparison.wilcoxon(means, "snn", "mlp")
    assert result["statistic"] == expected.statistic
    assert result["p_value"] == pytest.approx(expected.pvalue)


def test_rank_tests_per_family(comparison):
    rows = {f"c{i}": {"snn": 0.9, "mlp": 0.8, "svm": 0.7} for i in range(4)}
    rows["r"] = {"snn": 0.1, "mlp": 0.2, "svm": 0.3}
    means = _means(rows, tasks=["binary"] * 4 + ["regression"])
    tests = comparison.rank_tests(means, ["snn"], ["mlp", "svm"])
    assert tests["friedman"]["classification"]["n_datasets"] == 4
    assert tests["friedman"]["regression"]["p_value"] is None  # one dataset
    assert set(tests["wilcoxon"]) == {"snn vs mlp", "snn vs svm"}
    assert tests["wilcoxon"]["snn vs mlp"]["classification"]["n_nonzero"] == 4


def test_paired_log_loss_counts_a_lower_loss_as_a_win(bench):
    report = importlib.import_module("_report")
    scores = _scores({"a": [0.1, 0.12, 0.11], "b": [-0.2, -0.21, -0.19], "c": [0.0, 0.01, -0.01]})
    scores = scores.assign(log_loss=scores["score"], score=0.9)  # only the loss differs
    datasets = pd.DataFrame({"name": ["a", "b", "c"], "task": "binary", "n_rows": 2000})
    losses = report._log_losses(scores, datasets, ["snn", "mlp"])
    paired = report._paired_log_loss(scores, losses, ["snn"], ["mlp"])
    counts = paired["snn vs mlp"]["classification"]
    assert (counts["wins"], counts["ties"], counts["losses"]) == (1, 1, 1)
    assert counts["won on"] == ["b"] and counts["lost on"] == ["a"]
    without = scores.drop(columns="log_loss")
    assert report._log_losses(without, datasets, ["snn", "mlp"]) is None
    assert report._paired_log_loss(without, None, ["snn"], ["mlp"]) == {}


def test_fit_times_weigh_datasets_alike(comparison):
    seconds = {("a", "snn"): [1, 2, 9], ("a", "mlp"): [1, 1, 1],
               ("b", "snn"): [4, 4, 4], ("b", "mlp"): [10, 10, 10],
               ("r", "snn"): [3, 3, 3], ("r", "mlp"): [1, 1, 1]}  # fmt: skip
    scores = pd.DataFrame(
        [dict(dataset=d, model=m, fold=i, fit_seconds=s)
         for (d, m), values in seconds.items() for i, s in enumerate(values)]
    )  # fmt: skip
    means = _means({d: {} for d in "abr"}, tasks=["binary", "binary", "regression"])
    per_dataset, overall = comparison.fit_times(scores, means, ["snn", "mlp"])
    assert per_dataset.loc["a", "snn"] == 2  # the median, not the mean 4
    assert overall["classification"] == {"snn": 3.0, "mlp": 5.5}
    assert overall["all"] == {"snn": 3.0, "mlp": 1.0}
    ratio = comparison.time_ratio(per_dataset, "snn", "mlp", means.index[:2])
    assert ratio["ratio of medians"] == pytest.approx(3 / 5.5, abs=1e-3)
    assert ratio["median of ratios"] == pytest.approx((2 + 0.4) / 2)
    assert comparison.time_ratio(per_dataset, "snn", "absent")["ratio of medians"] is None


# ----------------------------------------------------------------------- targets


def test_collapse_check_flags_scores_below_half_the_gap_to_linear(targets):
    means = _means(
        {
            "ok": {"sklearn-snn": 0.80, "linear": 0.90, "majority": 0.60},  # floor 0.75
            "collapsed": {"sklearn-snn": 0.70, "linear": 0.90, "majority": 0.60},
            "failed": {"sklearn-snn": np.nan, "linear": 0.90, "majority": 0.60},
            "linear-worse": {"sklearn-snn": 0.55, "linear": 0.40, "majority": 0.55},
        }
    )
    violations = targets.collapse_check(means, ["sklearn-snn"])["sklearn-snn"]
    assert [v["dataset"] for v in violations] == ["collapsed", "failed"]
    assert violations[0]["floor"] == 0.75
    # A model that failed everywhere is absent from the means: collapsed everywhere.
    absent = targets.collapse_check(means, ["snn-variant"])["snn-variant"]
    assert [v["dataset"] for v in absent] == list(means.index)


def test_collapse_check_judges_no_score_against_a_failed_reference(targets):
    means = _means(
        {
            "no-linear": {"sklearn-snn": 0.85, "linear": np.nan, "majority": 0.50},
            "no-chance": {"sklearn-snn": 0.85, "linear": 0.80, "majority": np.nan},
            "both-failed": {"sklearn-snn": np.nan, "linear": np.nan, "majority": 0.50},
        }
    )
    violations = targets.collapse_check(means, ["sklearn-snn"])["sklearn-snn"]
    assert [v["dataset"] for v in violations] == ["both-failed"]


def test_a_failed_fold_leaves_no_mean_and_a_failed_model_its_column(comparison):
    rows = [
        dict(dataset=d, fold=f, model=m, score=s)
        for d in ("a", "b")
        for f in range(3)
        for m, s in (("snn", 0.85), ("variant", np.nan), ("mlp", 0.80))
    ]
    rows.append(dict(dataset="a", fold=3, model="snn", score=np.nan))  # one failed fold
    rows.append(dict(dataset="a", fold=3, model="mlp", score=0.80))
    datasets = pd.DataFrame({"name": ["a", "b"], "task": "binary", "n_rows": 500})
    means = comparison.table(pd.DataFrame(rows), datasets, ["snn", "variant", "mlp"])
    assert list(means.columns) == ["task", "n_rows", "snn", "variant", "mlp"]
    assert np.isnan(means.at["a", "snn"]) and means.at["b", "snn"] == 0.85
    assert means["variant"].isna().all() and (means["mlp"] == 0.80).all()


WIN, TIE, LOSS, BIG_LOSS = [0.05, 0.06, 0.04], [0.0] * 3, [-0.005, -0.006, -0.004], [-0.02] * 3


def _target_run(targets, comparison, classification, regression, peer="mlp"):
    differences = {f"c{i}": d for i, d in enumerate(classification)}
    differences.update({f"r{i}": d for i, d in enumerate(regression)})
    scores = _scores(differences, "sklearn-snn", peer)
    scores["fit_seconds"] = np.where(scores["model"] == peer, 10.0, 4.0)
    tasks = ["binary"] * len(classification) + ["regression"] * len(regression)
    means = comparison.table(
        scores, pd.DataFrame({"name": list(differences), "task": tasks, "n_rows": 2000}),
        ["sklearn-snn", peer],
    )  # fmt: skip
    per_dataset, _ = comparison.fit_times(scores, means, ["sklearn-snn", peer])
    return scores, means, per_dataset


def test_target_a_share_of_non_ties_and_large_losses(targets, comparison):
    # 4 wins, 1 loss, 3 ties: 80% of the non-tie datasets; the loss is small
    run = _target_run(targets, comparison, [WIN] * 4 + [LOSS] + [TIE] * 3, [WIN] * 7 + [TIE] * 2)
    target = targets.issue_targets(*run, ["sklearn-snn"])["(a) default snn beats default mlp"]
    assert target["classification"]["share of non-tie datasets won"] == 0.8
    assert target["classification"]["met"] and target["regression"]["met"] and target["met"]
    assert target["regression"]["wins needed"] == 7
    # a loss by more than a point fails it at the same share; 6 of 9 fails regression
    run = _target_run(targets, comparison, [WIN] * 4 + [BIG_LOSS], [WIN] * 6 + [TIE] * 3)
    target = targets.issue_targets(*run, ["sklearn-snn"])["(a) default snn beats default mlp"]
    assert target["classification"]["losses by > 1 point"] == ["c4"]
    assert not target["classification"]["met"]
    assert not target["regression"]["met"] and target["met"] is False
    # 3 wins and 1 loss of 4 non-ties: 75%
    run = _target_run(targets, comparison, [WIN] * 3 + [LOSS], [WIN] * 7)
    target = targets.issue_targets(*run, ["sklearn-snn"])["(a) default snn beats default mlp"]
    assert target["classification"]["met"] is False
    # all ties cannot be judged; a failed part still fails the target
    run = _target_run(targets, comparison, [TIE] * 3, [WIN] * 7)
    target = targets.issue_targets(*run, ["sklearn-snn"])["(a) default snn beats default mlp"]
    assert target["classification"]["met"] is None and target["met"] is None
    run = _target_run(targets, comparison, [TIE] * 3, [WIN] * 6 + [TIE] * 3)
    target = targets.issue_targets(*run, ["sklearn-snn"])["(a) default snn beats default mlp"]
    assert target["met"] is False


def test_target_b_against_realmlp_and_its_time(targets, comparison):
    run = _target_run(targets, comparison, [WIN, LOSS, TIE], [LOSS, WIN], peer="realmlp-td")
    target = targets.issue_targets(*run, ["sklearn-snn"])["(b) default snn vs realmlp-td"]
    assert target["classification"]["met"] and target["regression"]["met"]
    assert target["fit time"]["ratio of medians"] == pytest.approx(0.4)
    assert target["met"] is True
    slow = targets.issue_targets(*run, ["sklearn-snn"], slow_models=["realmlp-td"])
    assert slow["(b) default snn vs realmlp-td"]["met"] is None
    run = _target_run(targets, comparison, [WIN, LOSS, LOSS], [WIN], peer="realmlp-td")
    assert targets.issue_targets(*run, ["sklearn-snn"])["(b) default snn vs realmlp-td"][
        "met"
    ] is False  # fmt: skip


def test_target_c_ranks_on_large_classification_datasets(targets, comparison):
    scores = {
        "sklearn-snn-tuned": [0.90, 0.80, 0.50],
        "mlp-tuned": [0.80, 0.83, 0.90],
        "svm-tuned": [0.70, 0.78, 0.30],
        "random-forest-tuned": [0.70, 0.79, 0.30],
        "linear": [0.60, 0.70, 0.30],
        "hist-gb": [0.92, 0.80, 0.90],
    }
    means = _means(
        {d: {m: v[i] for m, v in scores.items()} for i, d in enumerate(["a", "b", "small"])},
        n_rows=[5000, 5000, 100],
    )
    target = targets._target_c(pd.DataFrame(), means)
    assert target["datasets"] == 2
    assert target["average ranks"]["sklearn-snn-tuned"] == 1.5
    assert target["average ranks"]["mlp-tuned"] == 1.5  # a shared first counts
    assert target["best rank"]
    assert target["hist-gb minus tuned snn (points)"] == pytest.approx(1.0)
    assert target["met"] is False  # 1 point behind hist-gb
    assert target["friedman"]["n_datasets"] == 2
    means.loc["a", "hist-gb"] = 0.90
    assert targets._target_c(pd.DataFrame(), means)["met"] is True
    assert targets._target_c(pd.DataFrame(), means.drop(columns="svm-tuned"))["met"] is None
    # A failed hist-gb (or tuned SNN) leaves the gap, and so the verdict, unjudged
    # rather than NOT MET, or judged on the other datasets.
    means.loc["a", "hist-gb"] = np.nan
    failed = targets._target_c(pd.DataFrame(), means)
    assert failed["hist-gb minus tuned snn (points)"] is None and failed["met"] is None
    assert failed["hist-gb or tuned snn failed on"] == ["a"]


def test_target_d_and_e_and_the_printout(targets, comparison):
    run = _target_run(targets, comparison, [WIN, TIE], [WIN])
    result = targets.issue_targets(*run, ["sklearn-snn"])
    assert result["(d) default snn fit time <= 2x mlp"]["ratio of medians"] == pytest.approx(0.4)
    assert result["(d) default snn fit time <= 2x mlp"]["met"] is True
    assert result["(e) no collapse"]["met"] is None  # no chance level in this run
    text = targets.describe(result)
    assert "(d) default snn fit time <= 2x mlp: met" in text
    assert "(b) default snn vs realmlp-td: not judged" in text
    collapsed = {"(e) no collapse": {"collapsed": {"sklearn-snn": ["german"]}, "met": False}}
    assert "collapsed: sklearn-snn=[german]" in targets.describe(collapsed)


# ---------------------------------------------------------------------- protocol


def test_seeds_differ_by_dataset_and_fold_and_repeat(protocol):
    seeds = {protocol.fold_seed(0, d, f) for d in ("a", "b") for f in range(5)}
    assert len(seeds) == 10
    assert protocol.fold_seed(0, "a", 1) == protocol.fold_seed(0, "a", 1)
    assert protocol.fold_seed(1, "a", 1) != protocol.fold_seed(0, "a", 1)
    assert protocol.dataset_seed(0, "a") != protocol.dataset_seed(0, "b")
    # numpy pads short entropy with zeros: fold 0 must not reuse the dataset's seed.
    assert protocol.dataset_seed(0, "a") not in seeds


def test_log_loss_matches_columns_to_numeric_labels(bench):
    class Fitted:
        classes_ = np.array([2, 10])  # "10" sorts before "2" as text

        def predict_proba(self, X):
            return np.array([[0.99, 0.01], [0.01, 0.99]])

    loss = bench._log_loss(Fitted(), None, pd.Series([2, 10]))
    assert loss == pytest.approx(-np.log(0.99))


def test_subsample_is_stratified_seeded_and_bounded(protocol):
    y = np.array(["a"] * 900 + ["b"] * 100)
    kept = protocol.subsample(y, 200, "binary", 3)
    assert len(kept) == 200 and len(set(kept)) == 200
    assert (y[kept] == "b").sum() == 20
    np.testing.assert_array_equal(kept, protocol.subsample(y, 200, "binary", 3))
    assert not np.array_equal(kept, protocol.subsample(y, 200, "binary", 4))
    np.testing.assert_array_equal(protocol.subsample(y, None, "binary", 3), np.arange(1000))
    np.testing.assert_array_equal(protocol.subsample(y, 5000, "binary", 3), np.arange(1000))
    assert len(protocol.subsample(np.arange(1000.0), 300, "regression", 0)) == 300
    train = np.arange(0, 1000, 2)
    rows = protocol.training_rows(train, pd.Series(y), 100, "binary", 0)
    assert len(rows) == 100 and set(rows) <= set(train)


def test_selection_split_holds_out_a_stratified_fifth(protocol):
    y = np.array([0] * 80 + [1] * 20)
    train, held_out = next(protocol.selection_split(y, "binary", 0).split(np.zeros(100), y))
    assert len(held_out) == 20 and (y[held_out] == 1).sum() == 4


def _git(folder, *args):
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin:/usr/local/bin"}  # fmt: skip
    return subprocess.run(["git", "-C", str(folder), *args], check=True, env=env,
                          capture_output=True, text=True).stdout.strip()  # fmt: skip


def test_git_state_names_the_commit_and_modified_tracked_files(protocol, tmp_path):
    assert protocol.git_state(tmp_path) == {"commit": None, "dirty": None}
    _git(tmp_path, "init", "-q")
    (tmp_path / "code.py").write_text("x = 1\n")
    _git(tmp_path, "add", "code.py")
    _git(tmp_path, "commit", "-q", "-m", "first")
    head = _git(tmp_path, "rev-parse", "HEAD")
    assert protocol.git_state(tmp_path) == {"commit": head, "dirty": False}
    (tmp_path / "results.jsonl").write_text("{}\n")  # untracked: still clean
    assert protocol.git_state(tmp_path)["dirty"] is False
    (tmp_path / "code.py").write_text("x = 2\n")
    assert protocol.git_state(tmp_path) == {"commit": head, "dirty": True}


def test_resume_refuses_another_commit_or_protocol(protocol):
    now = dict(commit="a" * 40, dirty=False, folds=5, max_rows=10000, seed=0, n_iter=12,
               space="full", slow_peer_rows=None)  # fmt: skip
    record = dict(dataset="d", fold=0, model="m", **now)
    protocol.check_resumable([record, record], now)  # the same: accepted
    with pytest.raises(SystemExit, match="d fold 0 m .*'commit': 'bbbb.*'commit': 'aaaa"):
        protocol.check_resumable([record, {**record, "commit": "b" * 40}], now)
    with pytest.raises(SystemExit, match="'dirty': True"):
        protocol.check_resumable([{**record, "dirty": True}], now)
    with pytest.raises(SystemExit, match="'n_iter': 6"):
        protocol.check_resumable([{**record, "n_iter": 6}], now)
    old = {k: v for k, v in record.items() if k != "commit"}  # written before commits were
    with pytest.raises(SystemExit, match="'commit': 'missing'"):
        protocol.check_resumable([old], now)


# ---------------------------------------------------------------- search spaces


class _Future(ClassifierMixin, BaseEstimator):
    """An estimator with the recipe's knobs, as the sklearn-snn of other branches has."""

    _parameter_constraints = {
        "standardize": ["boolean", StrOptions({"smooth_clip"})],
        "learning_rate_schedule": [StrOptions({"constant", "one_cycle"})],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "n_ensemble": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, standardize=True, learning_rate_schedule="constant",
                 label_smoothing=0.0, n_ensemble=1):  # fmt: skip
        self.standardize = standardize
        self.learning_rate_schedule = learning_rate_schedule
        self.label_smoothing = label_smoothing
        self.n_ensemble = n_ensemble


class _FutureRegressor(RegressorMixin, _Future):
    _parameter_constraints = {**_Future._parameter_constraints, "standardize": ["boolean"]}


def test_snn_space_holds_the_paper_grid_and_the_recipe_where_it_exists(spaces):
    from sklearn_snn import SNNClassifier

    sgd, adam = (part for _, part in spaces.snn_space(SNNClassifier()))
    assert sgd["optimizer"] == ["sgd"] and sgd["learning_rate"] == [0.01, 0.1, 1.0]
    assert sgd["n_layers"].values == [2, 3, 4, 8, 16, 32]
    assert sgd["n_units"].values == [256, 512, 1024]
    assert sgd["dropout"] == [0.0, 0.05] and sgd["shape"] == ["rectangular", "conic"]
    # the paper's single network, whatever the estimator's defaults
    assert sgd["n_ensemble"] == [1] and sgd["label_smoothing"] == [0.0]
    assert sgd["standardize"] == [True]
    assert adam["optimizer"] == ["adam"]
    for knob, values in spaces.RECIPE.items():  # searched where the estimator has it
        values = getattr(values, "values", values)
        accepted = spaces.accepted_values(SNNClassifier(), knob, values)
        assert (knob in adam) == (len(accepted) >= 2)

    future = spaces.snn_space(_Future())[1][1]
    assert future["standardize"] == [True, "smooth_clip"]
    assert future["learning_rate_schedule"] == ["constant", "one_cycle"]
    assert future["label_smoothing"] == [0.0, 0.1]
    assert future["n_ensemble"].values == [1, 4, 8]
    regressor = spaces.snn_space(_FutureRegressor())[1][1]
    assert "label_smoothing" not in regressor  # a classifier's knob
    assert "standardize" not in regressor  # one accepted value: nothing to search


def test_candidates_start_with_the_defaults_and_never_repeat(spaces):
    from sklearn_snn import SNNRegressor

    space = spaces.snn_space(SNNRegressor())
    first = spaces.defaults_of(SNNRegressor(), space)
    assert first["optimizer"] == "adam" and first["learning_rate"] == 3e-3  # its own default
    assert first["max_iter"] == SNNRegressor().max_iter  # searched by the SGD part
    candidates = spaces.sample_candidates(space, 12, seed=5, first=first)
    assert len(candidates) == 12 and candidates[0] == first
    assert all(c not in candidates[:i] for i, c in enumerate(candidates))
    assert all(set(c) == set(first) for c in candidates)  # written out in full
    assert {c["optimizer"] for c in candidates} == {"adam", "sgd"}
    assert candidates == spaces.sample_candidates(space, 12, seed=5, first=first)
    assert candidates != spaces.sample_candidates(space, 12, seed=6, first=first)
    # a space of two configurations gives two
    assert spaces.sample_candidates({"C": [1.0, 10.0]}, 12, 0, {"C": 1.0}) == [
        {"C": 1.0}, {"C": 10.0}
    ]  # fmt: skip


def test_weighted_draws_keep_the_deep_wide_networks_rare(spaces):
    draws = spaces.sample_candidates(
        [(1.0, {"n_layers": spaces.PAPER_SGD["n_layers"], "seed": list(range(10**4))})],
        2000, seed=0,
    )  # fmt: skip
    share = np.mean([d["n_layers"] == 32 for d in draws])
    assert share == pytest.approx(1 / 13, abs=0.02)
    assert np.mean([d["n_layers"] == 2 for d in draws]) == pytest.approx(3 / 13, abs=0.03)


# ------------------------------------------------------------------------ models


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


def _protocol(**changes):
    return dict(commit="c" * 40, dirty=False, folds=2, max_rows=None, seed=0, n_iter=3,
                space="quick", slow_peer_rows=None) | changes  # fmt: skip


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_every_search_gets_the_same_budget_and_starts_at_the_defaults(bench, task):
    peers = importlib.import_module("_peers")
    X = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) % 3})
    y = np.arange(40) % 2 if task == "binary" else np.arange(40.0)
    for name in peers.TUNED:
        search = peers.make_model(name, task, X, [], y, seed=1, n_iter=5, quick=True)
        grid = search.param_grid
        assert len(grid) == 5, name
        model = search.estimator[-1]
        model = getattr(model, "regressor", model)  # inside the target scaling
        first = {key.split("__")[-1]: value[0] for key, value in grid[0].items()}
        assert first == {key: model.get_params()[key] for key in first}, name
        assert search.cv.test_size == 0.2 and search.cv.random_state == 1


def test_a_variant_passes_label_smoothing_to_classifiers_only(bench):
    peers = importlib.import_module("_peers")
    X = pd.DataFrame({"a": np.arange(40.0)})
    variants = {"plain": {"n_ensemble": 1, "label_smoothing": 0.0}}
    for task in ("binary", "regression"):
        model = peers.make_model("plain", task, X, [], np.arange(40) % 2, 0, 5, variants=variants)
        params = model[-1].get_params()
        assert params["n_ensemble"] == 1
        assert params.get("label_smoothing", "absent") == (0.0 if task == "binary" else "absent")


def test_run_task_scores_a_fold_and_labels_slow_peers(bench, data_dir):
    task = ("toy_binary", 1, "svm-tuned")
    record = bench.run_task(task, str(data_dir), _protocol(slow_peer_rows=30), {}, 1)
    assert record["error"] is None and record["slow"] is True
    assert record["n_train"] == 30 and record["n_used"] == 120
    assert record["commit"] == "c" * 40 and record["fit_seconds"] > 0
    assert len(record["candidates"]) == 3 and record["best_params"].keys() == {"C", "gamma"}
    full = bench.run_task(task, str(data_dir), _protocol(), {}, 1)
    assert (full["slow"], full["n_train"]) == (False, 60)
    # the same test fold: an unsearched model is not subsampled
    linear = bench.run_task(("toy_binary", 1, "linear"), str(data_dir),
                            _protocol(slow_peer_rows=30), {}, 1)  # fmt: skip
    assert (linear["slow"], linear["n_train"]) == (False, 60)


def test_run_task_log_loss_is_that_of_the_predicted_probabilities(bench, data_dir):
    protocol = _protocol()
    record = bench.run_task(("toy_binary", 1, "majority"), str(data_dir), protocol, {}, 1)
    # the majority model predicts the training folds' class frequencies
    _, y, task, _ = bench._load("toy_binary", str(data_dir), None, 0)
    train, test = bench.outer_splits(y, task, 2, bench.dataset_seed(0, "toy_binary"))[1]
    prior = y.iloc[train].value_counts(normalize=True)
    expected = -np.mean(np.log(prior[y.iloc[test]].to_numpy()))
    assert record["log_loss"] == pytest.approx(expected, rel=1e-9)
    linear = bench.run_task(("toy_binary", 1, "linear"), str(data_dir), protocol, {}, 1)
    assert 0 < linear["log_loss"] < expected
    # no probabilities (SVC), or no classes: no log loss, and no error either
    for task_spec in [("toy_binary", 1, "svm"), ("toy_regression", 0, "linear")]:
        other = bench.run_task(task_spec, str(data_dir), protocol, {}, 1)
        assert other["error"] is None and np.isnan(other["log_loss"])


@pytest.mark.parametrize("dataset", ["toy_binary", "toy_regression"])
def test_realmlp_td_peer(bench, data_dir, dataset):
    pytest.importorskip("pytabkit")
    record = bench.run_task((dataset, 0, "realmlp-td"), str(data_dir), _protocol(), {}, 1)
    assert record["error"] is None
    assert record["score"] > 0.8
    if dataset == "toy_binary":  # its probabilities, in the order of its classes_
        assert 0 < record["log_loss"] < 0.5
    else:
        assert np.isnan(record["log_loss"])


def test_accuracy_benchmark_end_to_end_and_resume(bench, protocol, data_dir, tmp_path):
    argv = [
        "--data-dir", str(data_dir), "--folds", "2", "--name", "toy",
        "--output-dir", str(tmp_path / "results"), "--n-iter", "2",
        "--models", "linear", "majority", "svm-tuned", "--slow-peer-rows", "40",
        "--snn-variant",
        "snn-tiny:n_layers=1,n_units=16,learning_rate=0.01,max_iter=100,early_stopping=False",
    ]  # fmt: skip
    bench.main(argv)
    out = tmp_path / "results" / "toy"
    summary = json.loads((out / "summary.json").read_text())
    git = protocol.git_state()
    assert summary["provenance"]["commit"] == git["commit"] is not None
    assert summary["provenance"]["dirty"] == git["dirty"]
    assert summary["config"]["fits_this_run"] == 2 * 2 * 4
    assert summary["errors"] == []
    assert "n_iter 2 instead of 12" in summary["config"]["departures from the full protocol"]
    assert summary["slow peers (trained on a subsample of the training folds)"] == {
        "rows": 40, "models": ["svm-tuned"]
    }  # fmt: skip
    assert "svm-tuned †" in (out / "table.md").read_text()
    table = pd.read_csv(out / "table.csv", index_col=0)
    assert table.loc["toy_binary", "n_rows"] == 120  # counted: the manifest has no n_rows
    assert table.loc["toy_binary", "linear"] > 0.9 > table.loc["toy_binary", "majority"]
    assert table.loc["toy_regression", "linear"] > 0.99
    assert table.loc["toy_binary", "snn-tiny"] > 0.8
    assert table.loc["toy_regression", "snn-tiny"] > 0.9
    assert summary["collapse_violations"]["snn-tiny"] == []
    assert set(summary["paired_comparisons"]) == {"snn-tiny vs linear", "snn-tiny vs svm-tuned"}
    assert set(summary["rank_tests"]["friedman"]) == {"classification", "regression"}
    for name in ("scores.jsonl", "table.md", "ranks.csv", "table_rmse.csv", "ranks.png"):
        assert (out / name).is_file()
    losses = pd.read_csv(out / "table_log_loss.csv", index_col=0)
    assert list(losses.index) == ["toy_binary"]  # classification only
    assert {"linear", "snn-tiny"} <= set(losses.columns) and "svm-tuned" not in losses
    assert losses.loc["toy_binary", "linear"] < np.log(2)  # better than a coin
    assert set(summary["paired_log_loss"]) == {"snn-tiny vs linear"}

    bench.main([*argv, "--resume"])
    again = json.loads((out / "summary.json").read_text())
    assert (again["config"]["fits_this_run"], again["config"]["fits_reused"]) == (0, 16)
    pd.testing.assert_frame_equal(pd.read_csv(out / "table.csv", index_col=0), table)

    # resuming on fewer datasets summarizes those alone, from the same fits
    bench.main([*argv, "--resume", "--datasets", "toy_binary"])
    subset = pd.read_csv(out / "table.csv", index_col=0)
    assert list(subset.index) == ["toy_binary"]
    pd.testing.assert_series_equal(subset.loc["toy_binary"], table.loc["toy_binary"])

    # another protocol: nothing is reused
    with pytest.raises(SystemExit, match=r"toy_\w+ fold 0 .*'folds': 2.*'folds': 3"):
        bench.main([*argv, "--resume", "--folds", "3"])
    with pytest.raises(SystemExit, match="'seed': 0.*'seed': 1"):
        bench.main([*argv, "--resume", "--seed", "1"])
    with pytest.raises(SystemExit, match="'slow_peer_rows': 40.*'slow_peer_rows': None"):
        bench.main([*argv[:-4], *argv[-2:], "--resume"])
    # fits of another commit: refused, whatever the options
    log = out / "scores.jsonl"
    lines = log.read_text().splitlines()
    lines[3] = json.dumps({**json.loads(lines[3]), "commit": "0" * 40})
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(SystemExit, match="'commit': '0000000000.*run from a worktree"):
        bench.main([*argv, "--resume"])


def test_accuracy_benchmark_keeps_earlier_runs_and_variants_apart(bench, data_dir, tmp_path):
    argv = [
        "--data-dir", str(data_dir), "--folds", "2", "--name", "toy", "--datasets", "toy_binary",
        "--output-dir", str(tmp_path / "results"), "--models", "majority",
    ]  # fmt: skip
    tiny = ["--snn-variant", "v:n_layers=1,n_units=4,max_iter=2,n_ensemble=1"]
    bench.main([*argv, *tiny])
    log = tmp_path / "results" / "toy" / "scores.jsonl"
    stored = log.read_text()
    # Without --resume an earlier run's fits are not thrown away...
    with pytest.raises(SystemExit, match="holds the fits of an earlier run.*--overwrite"):
        bench.main([*argv, *tiny])
    assert log.read_text() == stored
    # ...nor reused for a variant defined otherwise.
    other = ["--snn-variant", "v:n_layers=2,n_units=8,max_iter=2,n_ensemble=1"]
    with pytest.raises(SystemExit, match=r"v was fitted with \{'n_layers': 1.*defines v as"):
        bench.main([*argv, *other, "--resume"])
    bench.main([*argv, *other, "--overwrite"])
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert {r["model"]: r["variant_params"] for r in records}["v"]["n_layers"] == 2
    # A failed fit is fitted again on --resume, and its new record is the one that counts.
    lines = log.read_text().splitlines()
    failed = json.loads(lines[0])
    lines[0] = json.dumps({**failed, "error": "RuntimeError: gone", "score": None})
    log.write_text("\n".join(lines) + "\n")
    bench.main([*argv, *other, "--resume"])
    summary = json.loads((tmp_path / "results" / "toy" / "summary.json").read_text())
    assert (summary["config"]["fits_this_run"], summary["errors"]) == (1, [])
    with pytest.raises(SystemExit):  # keep and discard at once
        bench.main([*argv, *other, "--resume", "--overwrite"])
    # Unknown arguments of a variant are refused before anything is fitted.
    with pytest.raises(SystemExit):
        bench.main([*argv, "--snn-variant", "bad:n_layer=3", "--overwrite"])


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


def test_accuracy_benchmark_options(bench, data_dir):
    with pytest.raises(SystemExit, match="Not in the manifest: nope"):
        bench.main(["--data-dir", str(data_dir), "--datasets", "nope", "--models", "linear"])
    with pytest.raises(SystemExit):
        bench.parse_args(["--models", "no-such-model"])
    with pytest.raises(SystemExit):
        bench.parse_args(["--n-iter", "0"])
    for rows in ("-5", "3"):  # fewer rows than two per fold
        with pytest.raises(SystemExit):
            bench.parse_args(["--max-rows", rows, "--models", "linear"])
    assert bench.parse_args(["--max-rows", "0", "--models", "linear"]).max_rows == 0
    full = bench.parse_args(["--models", "linear"])
    quick = bench.parse_args(["--quick", "--models", "linear"])
    assert (full.folds, full.max_rows, full.n_iter, full.slow_peer_rows) == (5, 10000, 12, None)
    assert (quick.folds, quick.max_rows, quick.n_iter) == (3, 400, 3)
    assert bench.parse_args(["--quick", "--n-iter", "6", "--models", "linear"]).n_iter == 6


def test_realmlp_td_without_pytabkit_stops_before_any_fit(bench, monkeypatch, capsys):
    monkeypatch.setattr(bench.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SystemExit):
        bench.parse_args(["--models", "linear", "realmlp-td"])
    assert "realmlp-td needs pytabkit" in capsys.readouterr().err
    assert bench.parse_args(["--models", "linear"]).models == ["linear"]


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
    assert (row["n_layers"], row["n_units"], row["epochs"], row["batch_size"]) == (2, 32, 1, 256)
    median = row["median_s"]
    assert set(median) == {"1", "3"} and all(seconds > 0 for seconds in median.values())
    assert row["ratios"]["3"] == pytest.approx(median["3"] / median["1"])


@pytest.fixture(scope="module")
def feature_probe(bench):
    return importlib.import_module("probe_periodic_features")


def test_periodic_features_keep_the_columns_and_add_bounded_cosines(feature_probe):
    X = np.random.default_rng(0).normal(size=(50, 3)) * [1.0, 10.0, 1000.0]
    X[0, 2] = 1e9  # clipped to 10 standard deviations before the cosines
    features = feature_probe.PeriodicFeatures(n_frequencies=4, sigma=0.3, random_state=1)
    out = features.fit_transform(X)
    assert out.shape == (50, 3 * (1 + 4))
    standardized = (X - X.mean(axis=0)) / X.std(axis=0)
    np.testing.assert_allclose(out[:, :3], np.clip(standardized, -10, 10))
    assert np.abs(out[:, 3:]).max() <= 1.0
    again = feature_probe.PeriodicFeatures(n_frequencies=4, sigma=0.3, random_state=1)
    np.testing.assert_array_equal(again.fit_transform(X), out)
    np.testing.assert_allclose(  # column 1's second frequency
        out[:, 3 + 4 + 1],
        np.cos(2 * np.pi * out[:, 1] * features.frequencies_[1, 1] + features.phases_[1, 1]),
    )


def test_feature_probe_scores_five_folds(feature_probe, data_dir, capsys):
    feature_probe.main(["spline", "4", "toy_regression", "--data-dir", str(data_dir)])
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines[:-1]]
    assert [r["fold"] for r in records] == [0, 1, 2, 3, 4]
    assert all(r["score"] > 0.8 for r in records)  # a linear target on 96 training rows
    assert lines[-1].startswith("toy_regression spline 4 mean R²")
    feature_probe.main(["periodic", "0.3", "toy_binary", "--data-dir", str(data_dir)])
    lines = capsys.readouterr().out.splitlines()
    assert all(json.loads(line)["score"] > 0.7 for line in lines[:-1])  # one informative column
    assert lines[-1].startswith("toy_binary periodic 0.3 mean accuracy")
