"""The issue's targets, computed from one run and printed as met or not met.

(a) The default ``SNNClassifier`` beats the default ``MLPClassifier`` on at least
    80% of the classification datasets that are not ties, and loses none by more
    than one point; the default ``SNNRegressor`` beats ``MLPRegressor`` on at least
    7 of 9 regression datasets (the same share of however many the run has).
(b) The default sklearn-snn wins at least as often as it loses against pytabkit's
    RealMLP-TD, in classification and in regression, at no more than half its
    median fit time.
(c) Tuned sklearn-snn has the best average rank among the tuned MLP, the tuned
    SVM, the tuned random forest and logistic regression on the classification
    datasets of at least 1000 rows, and its mean accuracy there is within half a
    point of HistGradientBoosting's (defaults).
(d) The default sklearn-snn's median fit time is at most twice the default
    ``MLPClassifier``'s, on the classification datasets.
(e) No collapse: every sklearn-snn model scores at least the chance level plus
    half the gap between it and the linear model (for regression: half of
    Ridge's R²), on every dataset.

Wins and losses are those of ``_comparison.paired_differences``: beyond twice the
standard error of the fold-paired differences. A target is ``met: None`` when the
run lacks what it needs (a model, a dataset family) or when a model it compares
was trained on fewer rows (``--slow-peer-rows``).

A helper of ``bench_accuracy.py``, not part of the package.
"""

import math

import numpy as np
from _comparison import (
    SMALL_ROWS,
    count_outcomes,
    family_of,
    friedman,
    paired_differences,
    ranks,
    time_ratio,
    wilcoxon,
)

SNN, TUNED_SNN, CHANCE, REALMLP = "sklearn-snn", "sklearn-snn-tuned", "majority", "realmlp-td"
TUNED_PEERS = ("mlp-tuned", "svm-tuned", "random-forest-tuned", "linear")


def collapse_check(means, snn_models, linear="linear"):
    """The issue's guard: score >= chance + (linear - chance) / 2 where linear beats chance.

    Parameters
    ----------
    means : pandas.DataFrame
        Per-dataset mean scores with the chance level (``majority``) and ``linear``.
    snn_models : list of str
        The models checked.
    linear : str, default="linear"
        The reference model.

    Returns
    -------
    violations : dict
        Model to the list of datasets below the floor (a failed fit, NaN, or a
        model absent from ``means``, counts as collapsed; where the floor is
        unknown because a reference failed, only a failed fit does); empty
        without the chance level or ``linear``.
    """
    if CHANCE not in means or linear not in means:
        return {}
    violations = {}
    for snn in snn_models:
        floor = means[CHANCE] + 0.5 * (means[linear] - means[CHANCE]).clip(lower=0)
        score = means[snn] if snn in means else floor * np.nan
        bad = score.isna() | (score < floor)  # a NaN floor judges no score
        violations[snn] = [
            dict(dataset=d, score=round(score[d], 4), floor=round(floor[d], 4),
                 chance=round(means.at[d, CHANCE], 4), linear=round(means.at[d, linear], 4))
            for d in means.index[bad]
        ]  # fmt: skip
    return violations


def _family(differences, means, fam):
    family = means["task"].map(family_of)
    return differences[differences.index.map(family) == fam]


def _all(parts):
    """False when a part fails, else None when a part cannot be judged, else True."""
    parts = list(parts)
    if False in parts:
        return False
    return None if None in parts else True


def _target_a(scores, means):
    out = {}
    differences = paired_differences(scores, SNN, "mlp")
    counts = count_outcomes(_family(differences, means, "classification"))
    decided = counts["wins"] + counts["losses"]
    share = counts["wins"] / decided if decided else None
    out["classification"] = {
        "wins": counts["wins"], "ties": counts["ties"], "losses": counts["losses"],
        "share of non-tie datasets won": None if share is None else round(share, 3),
        "losses by > 1 point": counts["losses by > 0.01"],
        "behind by > 1 point (loss or tie)": counts["behind by > 0.01"],
        "met": None if share is None else bool(share >= 0.8 and not counts["losses by > 0.01"]),
    }  # fmt: skip
    regression = count_outcomes(_family(differences, means, "regression"))
    n = regression["wins"] + regression["ties"] + regression["losses"]
    needed = math.ceil(7 * n / 9)
    out["regression"] = {
        "wins": regression["wins"], "datasets": n, "wins needed": needed,
        "met": bool(regression["wins"] >= needed) if n else None,
    }  # fmt: skip
    out["met"] = _all(part["met"] for part in out.values())
    return out


def _target_b(scores, means, per_dataset, slow_models):
    out = {}
    differences = paired_differences(scores, SNN, REALMLP)
    for fam in ("classification", "regression"):
        counts = count_outcomes(_family(differences, means, fam))
        decided = counts["wins"] + counts["ties"] + counts["losses"]
        out[fam] = {key: counts[key] for key in ("wins", "ties", "losses")}
        out[fam]["met"] = bool(counts["wins"] >= counts["losses"]) if decided else None
    ratio = time_ratio(per_dataset, SNN, REALMLP)
    limit = ratio["ratio of medians"]
    out["fit time"] = {**ratio, "met": None if limit is None else bool(limit <= 0.5)}
    out["met"] = _all(out[k]["met"] for k in ("classification", "regression", "fit time"))
    if REALMLP in slow_models:
        out["met"] = None
        out["note"] = f"{REALMLP} was trained on a subsample (--slow-peer-rows): not comparable"
    return out


def _target_c(scores, means):
    large = means.index[(means["task"] != "regression") & (means["n_rows"] >= SMALL_ROWS)]
    peers = [m for m in (TUNED_SNN, *TUNED_PEERS) if m in means]
    out = {"datasets": len(large), "models": peers, "met": None}
    if not len(large) or TUNED_SNN not in peers or len(peers) < 2:
        return out
    subset = means.loc[large]
    average = ranks(subset, peers).mean()
    out["average ranks"] = average.round(2).to_dict()
    out["best rank"] = bool(average[TUNED_SNN] <= average.min())  # a shared first counts
    out["friedman"] = friedman(subset, peers)
    out["wilcoxon"] = {p: wilcoxon(subset, TUNED_SNN, p) for p in peers if p != TUNED_SNN}
    gap = None
    if "hist-gb" in means:
        difference = subset["hist-gb"] - subset[TUNED_SNN]
        failed = sorted(difference.index[difference.isna()])
        if failed:  # a gap over the other datasets would judge another set
            out["hist-gb or tuned snn failed on"] = failed
        else:
            gap = round(100 * float(difference.mean()), 2)
    out["hist-gb minus tuned snn (points)"] = gap
    missing = sorted(set(TUNED_PEERS) - set(peers))
    if missing:
        out["missing peers"] = missing
    if gap is not None and not missing:
        out["met"] = bool(out["best rank"] and gap <= 0.5)
    return out


def _target_d(per_dataset, means):
    classification = means.index[means["task"] != "regression"]
    ratio = time_ratio(per_dataset, SNN, "mlp", classification)
    limit = ratio["ratio of medians"]
    return {**ratio, "met": None if limit is None else bool(limit <= 2.0)}


def issue_targets(scores, means, per_dataset, snn_models, slow_models=()):
    """Targets (a) to (e) of the module docstring, each with its numbers and ``met``.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per dataset, fold and model.
    means : pandas.DataFrame
        Per-dataset mean scores (``_comparison.table``).
    per_dataset : pandas.DataFrame
        Median fit seconds per dataset and model (``_comparison.fit_times``).
    snn_models : list of str
        The sklearn-snn models of the collapse check.
    slow_models : collection of str, default=()
        Models trained on the slow peers' subsample.

    Returns
    -------
    targets : dict
        ``"(a) ..."`` to ``"(e) ..."``, each a dict with ``met`` (True, False or
        None when it cannot be judged) and the numbers behind it.
    """
    collapse = collapse_check(means, snn_models)
    collapsed = {model: [v["dataset"] for v in bad] for model, bad in collapse.items() if bad}
    return {
        "(a) default snn beats default mlp": _target_a(scores, means),
        "(b) default snn vs realmlp-td": _target_b(scores, means, per_dataset, slow_models),
        "(c) tuned snn ranks first among tuned peers, near hist-gb": _target_c(scores, means),
        "(d) default snn fit time <= 2x mlp": _target_d(per_dataset, means),
        "(e) no collapse": {
            "collapsed": collapsed,
            "met": bool(not collapsed) if collapse else None,
        },
    }


def describe(targets):
    """One line per target: met / not met / not judged, then its key numbers."""
    lines = []
    for name, target in targets.items():
        verdict = {True: "met", False: "NOT MET", None: "not judged"}[target["met"]]
        lines.append(f"{name}: {verdict}")
        for key, value in target.items():
            if key in ("met", "friedman", "wilcoxon"):
                continue
            if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
                continue
            lines.append(f"    {key}: {_short(value)}")
        if "friedman" in target:
            tests = ", ".join(f"{k} {_short(v['p_value'])}" for k, v in target["wilcoxon"].items())
            lines.append(f"    friedman p: {_short(target['friedman']['p_value'])}; "
                         f"wilcoxon p (tuned snn vs peer): {tests}")  # fmt: skip
    return "\n".join(lines)


def _short(value):
    if isinstance(value, float | np.floating):
        return f"{value:.3g}"
    if isinstance(value, dict | list) and not value:
        return "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_short(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(map(_short, value)) + "]"
    return str(value)
