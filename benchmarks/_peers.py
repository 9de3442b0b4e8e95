"""The accuracy benchmark's models: one factory for all, and the search they share.

Every model is a ``Pipeline`` of the shared preprocessing (one-hot encoded and
imputed categoricals, imputed numbers) and the model, with a ``StandardScaler``
between them for the models that need scaled inputs. A searched model samples
``n_iter`` configurations from its space, seeded by the outer fold, selects on one
stratified 20% split of the training folds and refits the best on all of them.
The first candidate of every search is the estimator's own default
configuration, the others are drawn without repetition: every searched model gets
the same budget and can fall back on its defaults.

A helper of ``bench_accuracy.py``, not part of the package.
"""

import numpy as np
from _protocol import selection_split
from _spaces import (
    BOOSTING_SPACE,
    FOREST_SPACE,
    MLP_SPACE,
    SVM_SPACE,
    defaults_of,
    sample_candidates,
    snn_space,
)
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC, SVR

from sklearn_snn import SNNClassifier, SNNRegressor

SNN = "sklearn-snn"
CHANCE = "majority"
REALMLP = "realmlp-td"
MODELS = (
    SNN,
    "sklearn-snn-tuned",
    "mlp",
    "mlp-tuned",
    "svm",
    "svm-tuned",
    "random-forest",
    "random-forest-tuned",
    "linear",
    "hist-gb",
    REALMLP,
    CHANCE,
)
# Searched models; hist-gb-tuned is not in the default MODELS: the targets
# compare with HistGradientBoosting's defaults.
TUNED = ("sklearn-snn-tuned", "mlp-tuned", "svm-tuned", "random-forest-tuned", "hist-gb-tuned")
RAW_MODELS = ("sklearn-snn-raw", "hist-gb-raw")
SLOW_PEERS = (REALMLP, "svm", "svm-tuned")  # the models --slow-peer-rows applies to


def search(pipeline, candidates, cv, prefix="model__"):
    """A search over explicit ``candidates`` that selects on ``cv`` and refits.

    Parameters
    ----------
    pipeline : Pipeline
        The preprocessing and the model.
    candidates : list of dict
        Configurations of the model (names without ``prefix``).
    cv : cross-validation splitter
        The one selection split.
    prefix : str, default="model__"
        Routes the parameters to the model inside the pipeline.

    Returns
    -------
    search : GridSearchCV
    """
    grid = [{prefix + name: [value] for name, value in c.items()} for c in candidates]
    return GridSearchCV(pipeline, grid, cv=cv, error_score=np.nan)


def preprocessor(X, categorical):
    """One-hot categoricals, impute everything, pass the numbers through.

    Parameters
    ----------
    X : pandas.DataFrame
        The dataset's columns (only their names are read).
    categorical : list of str
        The columns to one-hot encode (after most-frequent imputation).

    Returns
    -------
    preprocessor : ColumnTransformer
        Dense output; numeric columns mean-imputed, not scaled.
    """
    categorical = [c for c in X.columns if c in set(categorical)]
    numeric = [c for c in X.columns if c not in set(categorical)]
    one_hot = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [("categorical", one_hot, categorical), ("numeric", SimpleImputer(), numeric)],
        sparse_threshold=0.0,
    )


def realmlp(classify, seed, threads):
    """pytabkit's RealMLP-TD with its tuned defaults, on the CPU.

    Parameters
    ----------
    classify : bool
        ``RealMLP_TD_Classifier`` or ``RealMLP_TD_Regressor``.
    seed : int
        Its ``random_state``.
    threads : int
        Its ``n_threads``.

    Returns
    -------
    model : RealMLP_TD_Classifier or RealMLP_TD_Regressor

    Raises
    ------
    ImportError
        Without pytabkit, saying how to install it.
    """
    try:
        from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor
    except ImportError as error:
        raise ImportError(
            "realmlp-td needs pytabkit: pip install 'sklearn-snn[benchmarks]'"
        ) from error
    kind = RealMLP_TD_Classifier if classify else RealMLP_TD_Regressor
    return kind(device="cpu", n_threads=threads, random_state=seed, verbosity=0)


def make_model(name, task, X, categorical, y, seed, n_iter, quick=False, variants=None, threads=1):
    """An unfitted model: the shared preprocessing, then model ``name``.

    Parameters
    ----------
    name : str
        One of ``MODELS``, ``TUNED``, ``RAW_MODELS`` or a key of ``variants``.
    task : {"binary", "multiclass", "regression"}
        The dataset's task.
    X : pandas.DataFrame
        The dataset's columns (only their names are read).
    categorical : list of str
        The categorical columns.
    y : array-like
        The training folds' targets (whether the selection split can stratify).
    seed : int
        The outer fold's seed: ``random_state`` of the model, of the selection
        split and of the search's draws.
    n_iter : int
        Candidates per search.
    quick : bool, default=False
        The smaller sklearn-snn space.
    variants : dict, optional
        Further sklearn-snn models: name to constructor arguments
        (``label_smoothing`` is passed to classifiers only).
    threads : int, default=1
        Threads of pytabkit's RealMLP-TD.

    Returns
    -------
    model : Pipeline or GridSearchCV
    """
    classify = task != "regression"
    variants = variants or {}

    def pipe(model, scale=False):
        steps = [("preprocess", preprocessor(X, categorical))]
        steps += [("scale", StandardScaler())] if scale else []
        return Pipeline([*steps, ("model", model)])

    def target_scaled(model):  # MLPRegressor and SVR fit badly to unscaled targets
        return TransformedTargetRegressor(model, transformer=StandardScaler())

    def searched(model, space, scale=False):  # scaled inputs go with scaled targets
        candidates = sample_candidates(space, n_iter, seed, defaults_of(model, space))
        prefix = "model__"
        if scale and not classify:
            model, prefix = target_scaled(model), "model__regressor__"
        return search(pipe(model, scale), candidates, selection_split(y, task, seed), prefix)

    snn = SNNClassifier if classify else SNNRegressor
    boost = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
    forest = RandomForestClassifier if classify else RandomForestRegressor
    mlp = MLPClassifier if classify else MLPRegressor
    if name == "sklearn-snn-raw":
        return Pipeline([("model", snn(random_state=seed))])
    if name == "hist-gb-raw":
        return Pipeline([("model", boost(categorical_features="from_dtype", random_state=seed))])
    if name in variants:  # label_smoothing is the classifier's: a regressor goes without
        params = {k: v for k, v in variants[name].items() if classify or k != "label_smoothing"}
        return pipe(snn(random_state=seed, **params))
    if name == SNN:
        return pipe(snn(random_state=seed))
    if name == "sklearn-snn-tuned":
        model = snn(random_state=seed)
        return searched(model, snn_space(model, quick))
    if name == "mlp":
        model = mlp(random_state=seed)
        return pipe(model if classify else target_scaled(model), scale=True)
    if name == "mlp-tuned":
        return searched(mlp(early_stopping=True, max_iter=500, random_state=seed), MLP_SPACE, True)
    if name == "svm":
        return pipe(SVC() if classify else target_scaled(SVR()), scale=True)
    if name == "svm-tuned":
        return searched(SVC() if classify else SVR(), SVM_SPACE, scale=True)
    if name == "random-forest":
        return pipe(forest(random_state=seed, n_jobs=1))
    if name == "random-forest-tuned":
        return searched(forest(random_state=seed, n_jobs=1), FOREST_SPACE)
    if name == "linear":
        return pipe(LogisticRegression(max_iter=2000) if classify else Ridge(), scale=True)
    if name == "hist-gb":
        return pipe(boost(random_state=seed))
    if name == "hist-gb-tuned":
        return searched(boost(random_state=seed), BOOSTING_SPACE)
    if name == REALMLP:  # it scales and clips its inputs itself
        return pipe(realmlp(classify, seed, threads))
    if name == CHANCE:
        return pipe(DummyClassifier() if classify else DummyRegressor())
    raise ValueError(f"Unknown model {name!r}.")


def fitted_model(estimator):
    """The fitted final model inside a search, a pipeline and a target transformer.

    Parameters
    ----------
    estimator : fitted Pipeline or GridSearchCV
        What :func:`make_model` built, fitted.

    Returns
    -------
    model : estimator
        The fitted model itself (its ``n_iter_`` is recorded as ``epochs``).
    """
    if hasattr(estimator, "best_estimator_"):
        estimator = estimator.best_estimator_
    estimator = estimator[-1]
    return getattr(estimator, "regressor_", estimator)


def search_results(estimator):
    """The chosen configuration and every candidate's selection score and seconds.

    Parameters
    ----------
    estimator : fitted estimator
        A search or a plain pipeline.

    Returns
    -------
    best : dict or None
        The chosen configuration (None for an unsearched model).
    candidates : list of dict or None
        ``{"params", "score", "fit_seconds"}`` of every candidate.
    """
    if not hasattr(estimator, "best_params_"):
        return None, None
    results = estimator.cv_results_
    candidates = [
        {
            "params": {k.split("__")[-1]: v for k, v in params.items()},
            "score": float(score),
            "fit_seconds": round(float(seconds), 2),
        }
        for params, score, seconds in zip(
            results["params"], results["mean_test_score"], results["mean_fit_time"], strict=True
        )
    ]
    best = {k.split("__")[-1]: v for k, v in estimator.best_params_.items()}
    return best, candidates
