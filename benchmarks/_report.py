"""The accuracy benchmark's outputs: tables, ``summary.json``, the rank plot, the printout.

A helper of ``bench_accuracy.py``, not part of the package.
"""

import json

import numpy as np
import pandas as pd
from _comparison import (
    FAMILIES,
    average_ranks,
    family_of,
    fit_times,
    paired_comparisons,
    rank_tests,
    ranks,
    table,
    time_ratio,
)
from _machine import describe_machine
from _targets import collapse_check, describe, issue_targets

CHANCE = "majority"


def json_default(value):
    """JSON for numpy scalars, tuples and sets; text for anything else."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)


def markdown(frame, digits=3, index="dataset"):
    """A GitHub table: integer columns as integers, floats rounded, NaN empty.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its index becomes the first column.
    digits : int, default=3
        Decimals of the float columns.
    index : str, default="dataset"
        Header of the first column.

    Returns
    -------
    text : str
    """
    columns = {}
    for name, values in frame.items():
        if pd.api.types.is_integer_dtype(values):
            columns[name] = values.map(lambda v: "" if pd.isna(v) else str(int(v)))
        elif pd.api.types.is_float_dtype(values):
            columns[name] = values.map(lambda v: "" if pd.isna(v) else f"{v:.{digits}f}")
        else:
            columns[name] = values.astype(str)
    cells = pd.DataFrame(columns, index=frame.index)
    lines = ["| " + " | ".join([index, *map(str, frame.columns)]) + " |"]
    lines.append("|" + "---|" * (len(frame.columns) + 1))
    lines += ["| " + " | ".join([str(i), *row]) + " |" for i, row in cells.iterrows()]
    return "\n".join(lines)


def rank_plot(average, path, title):
    """Average rank of each model (rows) in each task family and size group (markers).

    Parameters
    ----------
    average : pandas.DataFrame
        From ``_comparison.average_ranks``.
    path : path-like
        The PNG written.
    title : str
        The plot's title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [g for g in average.index if not g.startswith("all tasks") and "all sizes" not in g]
    overall = [g for g in average.index if g.startswith("all tasks, all sizes")]
    order = average.loc[overall or groups].mean().sort_values().index
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(order) + 2.2))
    positions = np.arange(len(order))
    for group, marker in zip(groups, "os^Dv<>", strict=False):
        ax.plot(average.loc[group, order], positions, marker, alpha=0.8, label=group)
    if overall:
        ax.plot(average.loc[overall[0], order], positions, "k|", ms=18, mew=2, label=overall[0])
    ax.set_yticks(positions, order)
    for label in ax.get_yticklabels():
        if label.get_text().startswith(("sklearn-snn", "snn")):
            label.set_fontweight("bold")
    ax.invert_yaxis()
    ax.set_xlabel("average rank over datasets (1 = best)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _provenance(scores, git):
    """The commit of every fit, and whether any was made from a modified tree."""
    commits = sorted(scores["commit"].dropna().unique()) if "commit" in scores else []
    dirty = bool(scores["dirty"].fillna(True).any()) if "dirty" in scores else None
    commit = commits[0] if len(commits) == 1 else commits
    return {"commit": commit, "dirty": dirty, "checkout when summarized": git}


def summarize(records, datasets, models, snn_models, config, git, out):
    """Write the tables, ``summary.json`` and the rank plot of one run.

    Parameters
    ----------
    records : list of dict
        This run's lines of ``scores.jsonl`` (one per dataset, fold and model).
    datasets : pandas.DataFrame
        The catalogue (``name``, ``task``, ``n_rows``).
    models : list of str
        The run's models, in table order.
    snn_models : list of str
        The sklearn-snn models among them.
    config : dict
        The options and timing recorded in ``summary.json``.
    git : dict
        The checkout's state now (``_protocol.git_state``), beside the commit
        stored with the fits.
    out : pathlib.Path
        The results folder.

    Returns
    -------
    summary : dict
        What ``summary.json`` holds; also the tables, under private keys.
    """
    scores = pd.DataFrame(records)
    scores = scores[scores["model"].isin(models)]
    means = table(scores, datasets, models)
    losses = _log_losses(scores, datasets, models)
    ranked = [m for m in models if m != CHANCE and m in means]
    peers = [m for m in ranked if m not in snn_models]
    rank_table = ranks(means, ranked)
    average = average_ranks(rank_table, means)
    per_dataset, overall = fit_times(scores, means, [m for m in models if m in means])
    slow = sorted(scores.loc[scores["slow"].eq(True), "model"].unique())
    per_model = scores.groupby("model")
    timing = pd.DataFrame(
        {
            "median fit seconds": pd.Series(overall.get("all", {})),
            "fit + predict seconds, total": per_model[["fit_seconds", "predict_seconds"]]
            .sum()
            .sum(axis=1),
            "median training rows": per_model["n_train"].median(),
            "fits": per_model["fit_seconds"].count(),
            "failed fits": per_model["error"].count(),
        }
    ).reindex(models)
    timing[["fits", "failed fits"]] = timing[["fits", "failed fits"]].astype("Int64")
    summary = {
        "provenance": _provenance(scores, git),
        "config": config,
        "machine": describe_machine(),
        "slow peers (trained on a subsample of the training folds)": {
            "rows": config.get("slow_peer_rows"),
            "models": slow,
        },  # fmt: skip
        "average_ranks": average.to_dict(orient="index"),
        "paired_comparisons": paired_comparisons(scores, means, snn_models, peers),
        "rank_tests": rank_tests(means, snn_models, peers),
        "fit_seconds": {
            "median over datasets of the median over folds": overall,
            "ratios": _time_ratios(per_dataset, means, snn_models, peers),
            "per dataset": per_dataset.round(2).to_dict(orient="index"),
        },
        "paired_log_loss": _paired_log_loss(scores, losses, snn_models, peers),
        "collapse_violations": collapse_check(means, snn_models),
        "issue_targets": issue_targets(scores, means, per_dataset, snn_models, slow),
        "seconds_per_model": timing.round(1).to_dict(orient="index"),
        "errors": scores.loc[
            scores["error"].notna(), ["dataset", "fold", "model", "error"]
        ].to_dict(orient="records"),
    }
    _write(scores, means, losses, rank_table, average, timing, summary, datasets, models, slow, out)
    return {**summary, "_means": means, "_average": average, "_timing": timing}


def _log_losses(scores, datasets, models):
    """Mean log loss over the folds of the classification datasets; None without any."""
    if "log_loss" not in scores or scores["log_loss"].isna().all():
        return None
    losses = table(scores, datasets, models, "log_loss")
    return losses[losses["task"] != "regression"].drop(columns=CHANCE, errors="ignore")


def _paired_log_loss(scores, losses, snn_models, peers):
    """:func:`paired_comparisons` of the log loss (``losses``: :func:`_log_losses`).

    A win is a lower loss.
    """
    if losses is None:
        return {}
    negated = scores.assign(score=-scores["log_loss"])
    return paired_comparisons(negated, losses, snn_models, [p for p in peers if p in losses])


def _time_ratios(per_dataset, means, snn_models, peers):
    """Each sklearn-snn model's fit time over MLP's and RealMLP-TD's, per family."""
    family = means["task"].map(family_of)
    ratios = {}
    for snn in snn_models:
        for peer in ("mlp", "realmlp-td"):
            if snn in per_dataset and peer in peers:
                ratios[f"{snn} / {peer}"] = {
                    fam: time_ratio(per_dataset, snn, peer, means.index[family == fam])
                    for fam in FAMILIES
                    if (family == fam).any()
                }
    return ratios


def _write(scores, means, losses, rank_table, average, timing, summary, datasets, models, slow,
           out):  # fmt: skip
    scores.to_csv(out / "scores.csv", index=False)
    means.to_csv(out / "table.csv")
    rank_table.to_csv(out / "ranks.csv")
    provenance = summary["provenance"]
    text = [f"Commit {provenance['commit']}" + (" (modified tree)" if provenance["dirty"] else "")]
    if slow:
        rows = summary["config"].get("slow_peer_rows")
        text += ["", f"† trained on at most {rows} rows of the training folds "
                 f"(same test folds): {', '.join(slow)}"]  # fmt: skip
    label = {m: f"{m} †" for m in slow}
    text += ["", "## Mean accuracy (classification) or R² (regression) over the outer folds", ""]
    text += [markdown(means.drop(columns="task").rename(columns=label)), ""]
    if (means["task"] == "regression").any():
        rmse = table(scores, datasets, models, "rmse")
        rmse = rmse[rmse["task"] == "regression"].drop(columns=["task", CHANCE], errors="ignore")
        rmse.to_csv(out / "table_rmse.csv")
        text += ["## RMSE (regression)", "", markdown(rmse.rename(columns=label)), ""]
    if losses is not None:
        losses.to_csv(out / "table_log_loss.csv")
        text += ["## Log loss (classification; lower is better; models with predict_proba)", ""]
        text += [markdown(losses.drop(columns="task").rename(columns=label)), ""]
    text += ["## Average ranks", "", markdown(average.rename(columns=label), 2, "datasets"), ""]
    text += ["## Seconds per model", "", markdown(timing.rename(index=label), 1, "model"), ""]
    (out / "table.md").write_text("\n".join(text))
    with open(out / "summary.json", "w") as file:
        json.dump(summary, file, indent=1, default=json_default)
    try:
        rank_plot(average, out / "ranks.png", f"sklearn-snn accuracy benchmark ({out.name})")
    except ImportError:
        print("matplotlib is missing: no rank plot")


def report(summary):
    """Print the tables, the paired comparisons, the tests and the targets.

    Parameters
    ----------
    summary : dict
        What :func:`summarize` returns.
    """
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print("\nMean score over folds (accuracy; R² for regression):")
        print(summary["_means"].round(3).to_string())
        print("\nAverage ranks (1 = best):")
        print(summary["_average"].to_string())
        print("\nSeconds per model:")
        print(summary["_timing"].round(1).to_string())
    print("\nsklearn-snn vs peers, paired by fold (win/loss beyond 2 SE): "
          "wins / ties / losses, mean difference, Wilcoxon p")  # fmt: skip
    tests = summary["rank_tests"]
    for pair, families in summary["paired_comparisons"].items():
        for fam, c in families.items():
            p = tests["wilcoxon"].get(pair, {}).get(fam, {}).get("p_value")
            print(f"  {pair:42s} {fam[:5]:5s} {c['wins']:3d} / {c['ties']:2d} / {c['losses']:3d}"
                  f"  {c['mean difference'] or 0:+.4f}  p={p if p is None else f'{p:.3g}'}"
                  f"  losses by > 1 point: {', '.join(c['losses by > 0.01']) or '-'}")  # fmt: skip
    if summary["paired_log_loss"]:
        print("\nLog loss, paired by fold (a win is a lower loss): wins / ties / losses, "
              "mean difference of the negated loss")  # fmt: skip
    for pair, families in summary["paired_log_loss"].items():
        c = families["classification"]
        print(f"  {pair:42s} {c['wins']:3d} / {c['ties']:2d} / {c['losses']:3d}"
              f"  {c['mean difference'] or 0:+.4f}")  # fmt: skip
    for fam, result in tests["friedman"].items():
        print(f"Friedman ({fam}, {result['n_datasets']} datasets, {len(result['models'])} "
              f"models): p = {result['p_value']}")  # fmt: skip
    print("\nFit time ratios (median over datasets of the median fit seconds):")
    for pair, families in summary["fit_seconds"]["ratios"].items():
        print(f"  {pair:32s} " + ", ".join(
            f"{fam} {r['ratio of medians']}" for fam, r in families.items()))  # fmt: skip
    provenance = summary["provenance"]
    print(f"\nCommit {provenance['commit']}, modified tree: {provenance['dirty']}")
    print("\nIssue targets:\n" + describe(summary["issue_targets"]))
    if summary["errors"]:
        print(f"\n{len(summary['errors'])} failed fits, e.g. {summary['errors'][0]}")
