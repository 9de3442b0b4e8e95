"""The accuracy benchmark's protocol: seeds, subsamples, splits and provenance.

Everything here decides *which rows* a model sees and *which code* produced a
result, so that every model of a run sees the same rows and every result of a
run comes from one commit:

- one seed per dataset and one per (dataset, outer fold), derived from ``--seed``
  and the dataset's name, so that adding or removing a dataset changes nothing
  else;
- the stratified, seeded subsample of at most ``--max-rows`` rows, the outer
  folds, the one stratified 20% split where searches select, and the smaller
  training subsample of the slow peers;
- the git commit of the checkout and whether its tracked files are modified,
  written into every result, and the check that refuses to resume a run from
  another commit or another protocol.

A helper of ``bench_accuracy.py``, not part of the package.
"""

import subprocess
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    KFold,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
)

REPOSITORY = Path(__file__).resolve().parents[1]
SELECTION_FRACTION = 0.2  # the share of the training folds where searches select
# Tags that keep the dataset's seed apart from its folds': numpy pads short
# entropy with zeros, so (seed, name) and (seed, name, fold 0) drew the same.
_DATASET, _FOLD = 0, 1
# What a record must share with the run that resumes it.
PROTOCOL_KEYS = (
    "commit", "dirty", "folds", "max_rows", "seed", "n_iter", "space", "slow_peer_rows"
)  # fmt: skip


def dataset_seed(seed, dataset):
    """The seed of one dataset: its subsample, independent of the other datasets.

    Parameters
    ----------
    seed : int
        The run's ``--seed``.
    dataset : str
        The dataset's name.

    Returns
    -------
    seed : int
        A 31-bit seed drawn from ``seed`` and a checksum of the name.
    """
    return _seed(seed, zlib.crc32(dataset.encode()), _DATASET)


def fold_seed(seed, dataset, fold):
    """The seed of one outer fold of one dataset, shared by every model.

    Models' ``random_state``, the split where searches select, the candidates a
    search draws and the slow peers' subsample all take this seed, so that two
    models on the same fold differ only by what they are.

    Parameters
    ----------
    seed : int
        The run's ``--seed``.
    dataset : str
        The dataset's name.
    fold : int
        The outer fold's index.

    Returns
    -------
    seed : int
        A 31-bit seed.
    """
    return _seed(seed, zlib.crc32(dataset.encode()), _FOLD, fold)


def _seed(*entropy):
    """A 31-bit seed drawn from the integers ``entropy``."""
    return int(np.random.SeedSequence(list(entropy)).generate_state(1)[0] >> 1)


def _stratifiable(y, task, n_splits=2):
    """Whether ``y`` has enough of every class for a stratified split."""
    return task != "regression" and pd.Series(y).value_counts().min() >= n_splits


def subsample(y, n_rows, task, seed):
    """Positions of a stratified, seeded subsample of at most ``n_rows`` rows.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The targets (classes are kept in proportion when every class has at
        least two rows).
    n_rows : int or None
        The most rows to keep; None or 0 keeps them all.
    task : {"binary", "multiclass", "regression"}
        Regression targets are subsampled uniformly.
    seed : int
        Seed of the draw.

    Returns
    -------
    positions : ndarray of int
        Sorted positions into ``y``; all of them when ``y`` is short enough.
    """
    n = len(y)
    if not n_rows or n <= n_rows:
        return np.arange(n)
    if _stratifiable(y, task):
        split = StratifiedShuffleSplit(1, train_size=n_rows, random_state=seed)
    else:
        split = ShuffleSplit(1, train_size=n_rows, random_state=seed)
    kept, _ = next(split.split(np.zeros(n), y))
    return np.sort(kept)


def outer_splits(y, task, n_folds, seed):
    """The (train, test) position pairs that every model sees.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The targets.
    task : {"binary", "multiclass", "regression"}
        Stratified k-fold for classification, k-fold for regression.
    n_folds : int
        Number of outer folds.
    seed : int
        Seed of the shuffle.

    Returns
    -------
    splits : list of (ndarray, ndarray)
    """
    if task == "regression":
        return list(KFold(n_folds, shuffle=True, random_state=seed).split(y))
    with warnings.catch_warnings():  # classes rarer than n_folds only warn
        warnings.simplefilter("ignore", UserWarning)
        return list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(y, y))


def selection_split(y, task, seed):
    """The one split of the training folds where every search selects.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The training folds' targets.
    task : {"binary", "multiclass", "regression"}
        Stratified for classification when every class has two rows.
    seed : int
        The fold's seed (:func:`fold_seed`).

    Returns
    -------
    cv : StratifiedShuffleSplit or ShuffleSplit
        One split holding out ``SELECTION_FRACTION`` of the rows.
    """
    kind = StratifiedShuffleSplit if _stratifiable(y, task) else ShuffleSplit
    return kind(1, test_size=SELECTION_FRACTION, random_state=seed)


def git_state(path=REPOSITORY):
    """The checkout's commit and whether its tracked files differ from it.

    Untracked files (results being written, for one) do not count as changes.

    Parameters
    ----------
    path : path-like, default=the repository holding this file
        Any folder inside the checkout.

    Returns
    -------
    state : dict
        ``{"commit": sha or None, "dirty": bool or None}``; both None outside
        a git checkout or without git.
    """

    def git(*args):
        command = ["git", "-C", str(path), *args]
        return subprocess.check_output(command, text=True, stderr=subprocess.DEVNULL)

    try:
        commit = git("rev-parse", "HEAD").strip()
        dirty = bool(git("status", "--porcelain", "--untracked-files=no").strip())
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def check_resumable(records, protocol):
    """Refuse stored results made under another commit or another protocol.

    Parameters
    ----------
    records : list of dict
        The stored lines of ``scores.jsonl``.
    protocol : dict
        This run's values of ``PROTOCOL_KEYS``.

    Raises
    ------
    SystemExit
        Naming the first record whose commit (or modified tree), outer splits (``folds``,
        ``max_rows``, ``seed``), search budget (``n_iter``, ``space``) or slow
        peers' rows differ from this run's, or that lacks them (a record
        written before they were stored).
    """
    for record in records:
        stored = {key: record.get(key, "missing") for key in PROTOCOL_KEYS}
        differing = {key: value for key, value in stored.items() if value != protocol[key]}
        if differing:
            now = {key: protocol[key] for key in differing}
            raise SystemExit(
                f"--resume: {record['dataset']} fold {record['fold']} {record['model']} was "
                f"fitted with {differing}, this run has {now}. Results of one table come "
                "from one commit and one protocol: use another --name, or run from a "
                "worktree of the stored commit."
            )


def training_rows(train, y, n_rows, task, seed):
    """The training positions a slow peer fits on: a subsample of ``train``.

    Parameters
    ----------
    train : ndarray of int
        The outer fold's training positions.
    y : pandas.Series
        Every target of the dataset.
    n_rows : int or None
        The most rows; None keeps ``train`` whole.
    task : {"binary", "multiclass", "regression"}
        Stratified for classification.
    seed : int
        The fold's seed.

    Returns
    -------
    positions : ndarray of int
        A sorted subset of ``train``, evaluated on the same test fold as the others.
    """
    return train[subsample(y.iloc[train].to_numpy(), n_rows, task, seed)]
