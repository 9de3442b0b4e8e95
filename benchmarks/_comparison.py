"""The accuracy benchmark's statistics: tables, ranks, paired comparisons and tests.

Scores are compared *paired by outer fold*: every model sees the same folds, so the
fold-to-fold spread of a dataset cancels in the difference of two models. A
difference counts as a win or a loss only when its mean over the folds exceeds
twice its standard error; everything else is a tie. The rank claims rest on the
Friedman test (do the models' per-dataset scores differ at all) and on Wilcoxon's
signed-rank test (sklearn-snn against one peer over the datasets).

A helper of ``bench_accuracy.py``, not part of the package.
"""

import numpy as np
import pandas as pd
from scipy import stats

SMALL_ROWS = 1000  # the split between small and large datasets
FAMILIES = ("classification", "regression")
_DIGITS = 12  # equal scores averaged in another order must compare equal


def family_of(task):
    """``"regression"`` or ``"classification"`` for a manifest task."""
    return "regression" if task == "regression" else "classification"


def table(scores, datasets, models, column="score"):
    """Mean over folds, one row per dataset, one column per model.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per dataset, fold and model (``dataset``, ``model``, ``column``).
    datasets : pandas.DataFrame
        The catalogue: ``name``, ``task``, ``n_rows``; gives the row order.
    models : list of str
        The columns, in this order (absent models are left out).
    column : str, default="score"
        The value averaged.

    Returns
    -------
    means : pandas.DataFrame
        ``task``, ``n_rows`` and one column per model. The means are rounded to
        12 decimals: equal accuracies summed in another order differ in the last
        bits, and must rank and count as ties. A model with a failed fold (NaN)
        has no mean on that dataset, rather than the mean of the folds that
        survived; a model that failed everywhere keeps its column of NaN in the
        table of scores. Datasets without any value (log loss of a regression),
        and in other tables models without any (log loss of an SVM without
        probabilities), are left out.
    """
    wide = (
        scores.groupby(["dataset", "model"])[column]
        .agg(lambda folds: folds.mean(skipna=False))
        .unstack("model")
        .dropna(how="all")
    )
    if column != "score":
        wide = wide.dropna(axis="columns", how="all")
    wide = wide.round(_DIGITS)
    info = datasets.set_index("name").loc[wide.index, ["task", "n_rows"]]
    order = [name for name in datasets["name"] if name in wide.index]
    models = [m for m in models if m in wide.columns]
    return pd.concat([info, wide[models]], axis=1).loc[order]


def ranks(means, models):
    """Rank of each model on each dataset, 1 = best; missing scores rank last.

    Parameters
    ----------
    means : pandas.DataFrame
        Per-dataset mean scores (:func:`table`).
    models : list of str
        The models ranked against each other.

    Returns
    -------
    ranks : pandas.DataFrame
        Datasets by models; tied scores share the average of their ranks.
    """
    values = means[models].to_numpy(dtype=float)
    filled = np.where(np.isnan(values), -np.inf, values)
    ranked = np.vstack([stats.rankdata(-row) for row in filled])
    return pd.DataFrame(ranked, index=means.index, columns=models)


def average_ranks(rank_table, means):
    """Average rank per model, by task family and by size (< or >= SMALL_ROWS).

    Parameters
    ----------
    rank_table : pandas.DataFrame
        From :func:`ranks`.
    means : pandas.DataFrame
        From :func:`table` (each dataset's task and full row count).

    Returns
    -------
    average : pandas.DataFrame
        One row per group present, named with its number of datasets, e.g.
        ``"classification, >= 1000 rows (20)"``; one column per model.
    """
    family = means["task"].map(family_of).to_numpy()
    small, large = f"< {SMALL_ROWS} rows", f">= {SMALL_ROWS} rows"
    size = np.where(means["n_rows"] < SMALL_ROWS, small, large)
    groups = {}
    for fam in (*FAMILIES, "all tasks"):
        for part in (small, large, "all sizes"):
            mask = (family == fam) | (fam == "all tasks")
            mask &= (size == part) | (part == "all sizes")
            if mask.any():
                groups[f"{fam}, {part} ({int(mask.sum())})"] = rank_table[mask].mean().round(2)
    return pd.DataFrame(groups).T


def paired_differences(scores, model, peer, n_se=2.0):
    """Per dataset: the mean over folds of ``model - peer``, its standard error, the outcome.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per dataset, fold and model (``dataset``, ``fold``, ``model``,
        ``score``).
    model, peer : str
        The two models; folds where either has no score (a failed fit) are
        left out: failures are judged by the collapse check and listed among
        a run's errors, not counted as losses here.
    n_se : float, default=2.0
        A win (loss) needs a mean difference above (below) ``n_se`` standard errors.

    Returns
    -------
    differences : pandas.DataFrame
        Index dataset; ``mean``, ``se`` (standard deviation of the paired
        differences over the folds, ``ddof=1``, over the square root of their
        number), ``n_folds`` and ``outcome`` (``"win"``, ``"loss"`` or ``"tie"``;
        always a tie with a single fold, whose error is unknown).
    """
    wide = scores.pivot_table(index=["dataset", "fold"], columns="model", values="score")
    columns = ["mean", "se", "n_folds", "outcome"]
    if model not in wide or peer not in wide:
        return pd.DataFrame(columns=columns)
    per_dataset = (wide[model] - wide[peer]).dropna().groupby(level="dataset")
    frame = pd.DataFrame(
        {
            "mean": per_dataset.mean().round(_DIGITS),
            "se": per_dataset.sem().round(_DIGITS),
            "n_folds": per_dataset.size(),
        }
    )
    beyond = frame["mean"].abs() > n_se * frame["se"]  # NaN error: never beyond
    frame["outcome"] = np.where(beyond, np.where(frame["mean"] > 0, "win", "loss"), "tie")
    return frame[columns]


def count_outcomes(differences, margin=0.01):
    """Wins, ties and losses of a :func:`paired_differences` table.

    Parameters
    ----------
    differences : pandas.DataFrame
        From :func:`paired_differences`, perhaps restricted to some datasets.
    margin : float, default=0.01
        Datasets behind by more than this (one point of accuracy) are listed.

    Returns
    -------
    counts : dict
        ``wins``, ``ties``, ``losses``, the datasets of each win and loss, the
        mean difference over the datasets, and ``behind by > margin`` (mean
        difference below ``-margin``, loss or not) and ``losses by > margin``.
    """
    outcome = differences["outcome"]
    behind = differences["mean"] < -margin
    mean = differences["mean"].mean() if len(differences) else np.nan
    return {
        "wins": int((outcome == "win").sum()),
        "ties": int((outcome == "tie").sum()),
        "losses": int((outcome == "loss").sum()),
        "mean difference": None if np.isnan(mean) else round(float(mean), 4),
        "won on": sorted(differences.index[outcome == "win"]),
        "lost on": sorted(differences.index[outcome == "loss"]),
        f"behind by > {margin:g}": sorted(differences.index[behind]),
        f"losses by > {margin:g}": sorted(differences.index[behind & (outcome == "loss")]),
    }


def paired_comparisons(scores, means, snn_models, peers):
    """Every sklearn-snn model against every peer, per task family.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per dataset, fold and model.
    means : pandas.DataFrame
        From :func:`table` (gives each dataset's task).
    snn_models, peers : list of str
        The pairs compared; a model is not compared with itself.

    Returns
    -------
    comparisons : dict
        ``"<snn> vs <peer>"`` to ``{family: count_outcomes(...)}`` for the
        families present.
    """
    family = means["task"].map(family_of)
    result = {}
    for snn in snn_models:
        for peer in peers:
            if peer == snn or snn not in means or peer not in means:
                continue
            differences = paired_differences(scores, snn, peer)
            result[f"{snn} vs {peer}"] = {
                fam: count_outcomes(differences[differences.index.map(family) == fam])
                for fam in FAMILIES
                if (family == fam).any()
            }
    return result


def friedman(means, models):
    """Friedman's test that the models' per-dataset scores come from one distribution.

    Parameters
    ----------
    means : pandas.DataFrame
        Datasets (rows) by models (columns); datasets where a model has no score
        are left out, and models with no score anywhere (failed everywhere).
    models : list of str
        At least three models.

    Returns
    -------
    result : dict
        ``statistic``, ``p_value``, ``n_datasets`` and ``models`` (those
        tested); the statistic and p-value are None with fewer than three
        models or two complete datasets.
    """
    models = [m for m in models if m in means and means[m].notna().any()]
    complete = means[models].dropna() if models else means.iloc[:, :0]
    result = {"statistic": None, "p_value": None, "n_datasets": len(complete)}
    result["models"] = list(models)
    if len(models) >= 3 and len(complete) >= 2:
        columns = [complete[m].to_numpy(dtype=float) for m in models]
        statistic, p_value = stats.friedmanchisquare(*columns)
        if np.isfinite(statistic):  # NaN when every dataset ties every model
            result.update(statistic=round(float(statistic), 4), p_value=float(p_value))
    return result


def wilcoxon(means, model, peer):
    """Wilcoxon's signed-rank test of ``model - peer`` over the datasets.

    Parameters
    ----------
    means : pandas.DataFrame
        Per-dataset mean scores.
    model, peer : str
        The pair; datasets where either lacks a score are left out.

    Returns
    -------
    result : dict
        ``n_datasets``, ``n_nonzero`` (zero differences are dropped, scipy's
        ``zero_method="wilcox"``), ``statistic``, two-sided ``p_value`` (None
        without a nonzero difference) and ``median difference``.
    """
    # Rounded as the means are: equal differences must rank as ties.
    differences = (means[model] - means[peer]).dropna().round(_DIGITS).to_numpy(dtype=float)
    nonzero = int(np.count_nonzero(differences))
    result = {"n_datasets": len(differences), "n_nonzero": nonzero}
    result.update(statistic=None, p_value=None, median_difference=None)
    if len(differences):
        result["median_difference"] = round(float(np.median(differences)), 4)
    if nonzero:
        test = stats.wilcoxon(differences, zero_method="wilcox")
        result.update(statistic=float(test.statistic), p_value=float(test.pvalue))
    return result


def rank_tests(means, snn_models, peers):
    """Friedman over all models and Wilcoxon of each sklearn-snn model, per family."""
    family = means["task"].map(family_of)
    result = {"friedman": {}, "wilcoxon": {}}
    for fam in FAMILIES:
        subset = means[family == fam]
        if not len(subset):
            continue
        models = [m for m in dict.fromkeys([*snn_models, *peers]) if m in subset]
        result["friedman"][fam] = friedman(subset, models)
        for snn in snn_models:
            for peer in peers:
                if peer != snn and snn in subset and peer in subset:
                    pair = result["wilcoxon"].setdefault(f"{snn} vs {peer}", {})
                    pair[fam] = wilcoxon(subset, snn, peer)
    return result


def fit_times(scores, means, models):
    """Median fit seconds per model: per dataset, and over datasets, per family.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per dataset, fold and model, with ``fit_seconds``.
    means : pandas.DataFrame
        From :func:`table` (gives each dataset's task).
    models : list of str
        The models timed.

    Returns
    -------
    per_dataset : pandas.DataFrame
        Datasets by models: the median over the folds.
    overall : dict
        ``{family or "all": {model: median of the per-dataset medians}}``:
        every dataset weighs the same.
    """
    timed = scores[scores["model"].isin(models)]
    per_dataset = timed.pivot_table(
        index="dataset", columns="model", values="fit_seconds", aggfunc="median"
    )
    per_dataset = per_dataset.reindex(index=means.index, columns=models)
    family = means["task"].map(family_of)
    overall = {}
    for fam in ("all", *FAMILIES):
        subset = per_dataset if fam == "all" else per_dataset[family == fam]
        if len(subset):
            overall[fam] = {m: _round(subset[m].median()) for m in models}
    return per_dataset, overall


def time_ratio(per_dataset, model, peer, datasets=None):
    """``model``'s fit time over ``peer``'s: ratio of medians, median of ratios.

    Parameters
    ----------
    per_dataset : pandas.DataFrame
        From :func:`fit_times`.
    model, peer : str
        The pair.
    datasets : index-like, optional
        Restrict to these datasets (default: all where both were timed).

    Returns
    -------
    ratios : dict
        ``ratio of medians`` (median over datasets of ``model``'s time over the
        same of ``peer``'s), ``median of ratios`` (dataset by dataset) and
        ``n_datasets``; None where not timed.
    """
    if model not in per_dataset or peer not in per_dataset:
        return {"ratio of medians": None, "median of ratios": None, "n_datasets": 0}
    pair = per_dataset[[model, peer]]
    if datasets is not None:
        pair = pair.loc[pair.index.intersection(datasets)]
    pair = pair.dropna()
    if not len(pair):
        return {"ratio of medians": None, "median of ratios": None, "n_datasets": 0}
    return {
        "ratio of medians": _round(pair[model].median() / pair[peer].median(), 3),
        "median of ratios": _round((pair[model] / pair[peer]).median(), 3),
        "n_datasets": len(pair),
    }


def _round(value, digits=2):
    return None if value is None or not np.isfinite(value) else round(float(value), digits)
