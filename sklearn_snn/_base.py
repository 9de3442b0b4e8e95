"""Estimator machinery shared by the classifier and the regressor."""

import functools
import inspect
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping, ProgressBar
from skorch.helper import predefined_split
from skorch.history import History

from ._canonical import canonical_samples
from ._data import TrainingData, predict_raw
from ._divergence import DivergenceGuard, evaluation_loss
from ._holdout import validation_split
from ._net import TensorBatchNet
from ._network import SelfNormalizingNetwork
from ._persistence import net_state, restore_net
from ._rollback import FitRollback
from ._validation import (
    check_categorical_columns,
    check_finite_outputs,
    check_standardization,
    explain_column_error,
    first_batch_notice,
)
from .theory import selu_parameters

_OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
# What a continued fit (warm_start, partial_fit) can and cannot change.
_ARCHITECTURE = ("n_layers", "n_units", "shape", "dropout", "fixed_point", "standardize")
_OPTIMIZER_SETTINGS = ("optimizer", "learning_rate", "weight_decay")
_SCALER_CHUNK_ROWS = 65536
_NONE = np.array([], dtype=np.intp)  # no column

PARAMETERS_DOC = """n_layers : int, default=4
        Number of hidden SELU layers.

    n_units : int, default=256
        Width of the hidden layers (of the first one when ``shape="conic"``).

    shape : {"rectangular", "conic"}, default="rectangular"
        ``"rectangular"``: every hidden layer has ``n_units`` units.
        ``"conic"``: widths shrink geometrically from ``n_units`` towards the
        number of outputs, and no layer is narrower than the outputs or than
        2 units (a single SELU unit would bound the output on one side; with
        more outputs than ``n_units``, every layer has as many units as
        outputs).

    dropout : float, default=0.0
        Alpha dropout rate after each hidden layer, in ``[0, 1)``. The paper's
        grid uses 0 and 0.05.

    optimizer : {"sgd", "adam", "adamw"}, default="adam"
        Optimizer. ``"sgd"`` is plain stochastic gradient descent, as in the
        paper; Adam needs no learning-rate search to train well.

    learning_rate : float, default=LEARNING_RATE_DEFAULT
        Step size of the optimizer (see :doc:`/accuracy` for how the default
        was chosen).

    weight_decay : float, default=0.0
        L2 penalty (decoupled for ``"adamw"``). Named so because ``alpha`` is
        a SELU constant in this package.

    batch_size : "auto" or int, default="auto"
        Distinct rows per mini-batch; ``"auto"`` uses ``min(64, n)`` for the
        ``n`` distinct training rows, chosen with the accuracy benchmark
        (:doc:`/accuracy`).

    max_iter : int, default=200
        Maximum number of epochs. An epoch is one pass over the distinct
        training rows: a row repeated ``k`` times is one sample of weight
        ``k``, so data with many repeated rows takes fewer optimizer steps per
        epoch than its row count suggests.

    early_stopping : bool, default=True
        Whether to hold out ``validation_fraction`` of the training data and
        stop when the validation loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs. The weights of the epoch with the lowest
        validation loss are restored. The validation loss, unlike accuracy,
        reflects sample and class weights and small improvements.

    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping=True``; in
        ``(0, 1)`` then, and ignored (0 allowed) otherwise.
        When every sample weight is a whole number (no weights, or integer
        ones), repeated rows and weights are split as the rows they stand
        for: of a row repeated (or weighted) 40 times, about 4 copies are
        held out and 36 stay in training, so frequent rows are not taken out
        of training wholesale, and held-out copies usually have twins in
        training. Multiplying all weights by an integer therefore changes
        the split, as repeating every row would. With any non-integer weight
        (e.g. most ``class_weight="balanced"`` weights), or 10**9 rows' worth
        of weight or more, whole distinct rows are held out instead, and
        ``validation_fraction`` is a share of the distinct rows.

    n_iter_no_change : int, default=50
        Epochs without improvement by at least ``tol`` (of the training loss,
        or of the validation loss with early stopping) before training stops.

    tol : float, default=1e-4
        Smallest improvement that counts. ``SNNRegressor``'s loss is the mean
        squared error of the standardized targets (with ``standardize=True``),
        so ``tol`` is a share of the targets' variance, not in their units.

    standardize : bool, default=True
        Whether to learn per-feature standardization in ``fit``.
        Self-normalization assumes inputs of mean 0 and variance 1. Constant
        features are centred and left unscaled.

    device : {"cpu", "cuda", "auto"}, default="cpu"
        Device to train on; ``"auto"`` picks CUDA when available. Predictions
        run where the fitted network lives.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling, dropout and the validation
        split. An int makes training on CPU repeatable bit for bit. torch's
        global random state is left untouched.

    verbose : int, default=0
        0: silent; 1: skorch's per-epoch log; 2: also a progress bar.

    warm_start : bool, default=False
        Whether ``fit`` continues from the previous solution instead of
        starting anew. The network's shape (``n_layers``, ``n_units``,
        ``shape``, ``dropout``, ``fixed_point``), ``standardize`` and the device
        cannot change between such fits (a ``ValueError`` says which did); new
        ``optimizer``, ``learning_rate`` or ``weight_decay`` values start a new
        optimizer on the trained weights. The same holds for ``partial_fit``.

    fixed_point : tuple of (float, float), default=(0.0, 1.0)
        Mean and variance that the activations are driven to; with
        ``standardize=True`` the inputs are given this mean and variance. The SELU
        constants come from :func:`sklearn_snn.theory.selu_parameters` and the
        alpha-dropout correction from
        :func:`sklearn_snn.theory.alpha_dropout_parameters` for this point;
        the default gives the paper's alpha ≈ 1.6733 and lambda ≈ 1.0507."""

ATTRIBUTES_DOC = """n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when they are all strings.

    n_outputs_ : int
        Number of output units of the network.

    n_iter_ : int
        Number of epochs trained since the network was initialized.

    loss_curve_ : list of float
        Sample-weighted training loss of every epoch since the network was
        initialized, averaged over its batches as they were trained on (for
        ``SNNRegressor``, of the standardized targets). An epoch that
        diverged (its weights were then undone) is marked ``"diverged"`` in
        ``history_``; its loss may be NaN or inf.

    best_loss_ : float or None
        Lowest finite training loss; None with ``early_stopping=True``.

    validation_scores_ : list of float or None
        Validation score (accuracy or R²) of each epoch of the latest ``fit``
        with ``early_stopping=True`` (NaN for an epoch whose predictions were
        not finite), else None. Each fit holds out its own validation split,
        so a ``warm_start`` fit starts the list afresh, while ``loss_curve_``
        spans every epoch.

    best_validation_score_ : float or None
        Validation score (accuracy or R²) of the restored epoch, the last one
        that lowered the validation loss by more than ``tol``, with
        ``early_stopping=True`` (of the weights kept instead when that epoch's
        had diverged); else None.

    history_ : skorch.history.History
        skorch's record of the training epochs.

    module_ : SelfNormalizingNetwork
        The trained torch module.

    net_ : skorch.NeuralNet
        The skorch net that trained ``module_``."""


def fill_doc(cls):
    """Insert the shared parameter and attribute descriptions into a docstring.

    The estimators' learning-rate defaults differ; each docstring shows its own.
    """
    learning_rate = inspect.signature(cls.__init__).parameters["learning_rate"].default
    parameters = PARAMETERS_DOC.replace("LEARNING_RATE_DEFAULT", f"{learning_rate:g}")
    cls.__doc__ = cls.__doc__.format(parameters=parameters, attributes=ATTRIBUTES_DOC)
    return cls


class BaseSNN(BaseEstimator):
    """Base class of the SNN estimators; not for direct use."""

    # Rows per batch for batch_size="auto": four times the steps per epoch of
    # 256 rows raised the benchmark scores of the regressor (Adam 3e-4) and, with
    # Adam 1e-4, of the classifier (docs/accuracy.md).
    _auto_batch_size = 64

    _parameter_constraints = {
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "n_units": [Interval(Integral, 1, None, closed="left")],
        "shape": [StrOptions({"rectangular", "conic"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "standardize": ["boolean"],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "fixed_point": [tuple, list],
    }

    def __init__(
        self,
        *,
        n_layers=4,
        n_units=256,
        shape="rectangular",
        dropout=0.0,
        optimizer="adam",
        learning_rate=3e-4,
        weight_decay=0.0,
        batch_size="auto",
        max_iter=200,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=50,
        tol=1e-4,
        standardize=True,
        device="cpu",
        random_state=None,
        verbose=0,
        warm_start=False,
        fixed_point=(0.0, 1.0),
    ):
        self.n_layers = n_layers
        self.n_units = n_units
        self.shape = shape
        self.dropout = dropout
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.standardize = standardize
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.fixed_point = fixed_point

    # Subclasses define: _criterion(), _score_raw(y, raw, weight),
    # _fit_targets(y, X, incremental, classes) -> encoded y for the loss,
    # _fit_target_transform(target, indices, weights) -> (scaled target, unscaled columns).

    @property
    def history_(self):
        """skorch's record of the training epochs.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn_snn import SNNClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SNNClassifier(n_layers=1, n_units=8, max_iter=3, random_state=0).fit(X, y)
        >>> len(clf.history_)
        3
        """
        check_is_fitted(self)
        return self.net_.history

    @property
    def module_(self):
        """The trained :class:`~sklearn_snn.SelfNormalizingNetwork`.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn_snn import SNNClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SNNClassifier(n_layers=1, n_units=8, max_iter=3, random_state=0).fit(X, y)
        >>> clf.module_.output.out_features
        3
        """
        check_is_fitted(self)
        return self.net_.module_

    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        """Fit or continue fitting; on any error the estimator stays as it was."""
        continuing = hasattr(self, "net_") and (incremental or self.warm_start)
        rollback = FitRollback(self, continuing)
        try:
            messages = self._fit_unguarded(X, y, sample_weight, incremental, classes, continuing)
        except BaseException:
            rollback.restore(self)
            raise
        # Warned after the fit is kept: warnings turned into errors must not undo it.
        for message, category in messages:
            warnings.warn(message, category, stacklevel=4)
        return self

    def _fit_unguarded(self, X, y, sample_weight, incremental, classes, continuing):
        first_call = not continuing
        if continuing:
            self._check_continuation()
        else:
            self._selu_constants()  # fails early on a fixed point without SELU constants
        X, y = self._validate_data_and_targets(X, y, reset=first_call)
        target = self._fit_targets(y, first_call=first_call, classes=classes)
        sample_weight = self._training_weights(sample_weight, X, y)
        indices, weights = canonical_samples(X, target, sample_weight)
        if len(indices) == 0:
            raise ValueError("All sample weights are zero: there is nothing to train on.")
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        notices = []
        if first_call:
            self._input_mean, self._input_scale, unscaled = self._standardization(
                X, indices, weights
            )
            target, unscaled_targets = self._fit_target_transform(target, indices, weights)
            notice = incremental and first_batch_notice(unscaled, unscaled_targets, len(indices))
            notices += [(notice, UserWarning)] if notice else []
        else:
            target = self._transform_target(target)

        train, valid = self._split(indices, weights, target, seed, incremental)
        device = self._training_device()
        train_data, valid_data = (
            None
            if part is None
            else TrainingData(
                X,
                target,
                _full_weights(X.shape[0], *part),
                part[0],
                self._input_mean,
                self._input_scale,
                device,
            )
            for part in (train, valid)
        )
        if first_call:
            self.net_ = self._build_net(X.shape[1], seed, device)
        prior_loss = self._prior_loss(train_data.y.cpu().numpy(), weights_of(train_data))
        self._configure_epochs(train_data, valid_data, incremental, prior_loss)

        epochs = 1 if incremental else self.max_iter
        epochs_before = len(self.net_.history)
        self.net_.partial_fit(train_data, epochs=epochs)
        # After early stopping has restored its best epoch: that epoch's
        # weights, or the last update's, may be broken too.
        guard = dict(self.net_.callbacks_)["divergence_guard"]
        recovered = guard.check_final_weights(self.net_, train_data)
        messages = self._record_fit_attributes(
            epochs_before, epochs, incremental, prior_loss, recovered
        )
        if recovered and self.best_validation_score_ is not None:
            # The epoch early stopping chose was replaced: score what is kept.
            self.best_validation_score_ = float(self.net_.validation_score(valid_data))
        return notices + messages

    def _check_continuation(self):
        """Refuse what a continued fit cannot honour; apply new optimizer settings."""
        params = self.get_params()
        config = self._net_config
        fitted = {"standardize": self.standardize, **config}  # older models lack it
        changed = [
            f"{name}={params[name]!r} (fitted with {fitted[name]!r})"
            for name in _ARCHITECTURE
            if _as_tuple(params[name]) != _as_tuple(fitted[name])
        ]
        device = self._training_device()
        if torch.device(device).type != torch.device(self.net_.device).type:
            changed.append(f"device={self.device!r} (fitted on {self.net_.device!r})")
        if changed:
            raise ValueError(
                "warm_start and partial_fit continue the fitted network, so these "
                f"parameters cannot change: {', '.join(changed)}. Restore them, or fit "
                "a new network (warm_start=False and fit)."
            )
        settings = {name: params[name] for name in _OPTIMIZER_SETTINGS}
        if all(settings[name] == config[name] for name in settings):
            return
        net = self.net_
        for name in [k for k in vars(net) if k.startswith("optimizer__")]:
            delattr(net, name)
        net.optimizer = _OPTIMIZERS[settings["optimizer"]]
        net.lr = settings["learning_rate"]
        net.optimizer__weight_decay = settings["weight_decay"]
        for key, value in _fused_optimizer_options(settings["optimizer"], str(net.device)):
            setattr(net, f"optimizer__{key}", value)
        net.initialize_optimizer()
        self._net_config = {**config, **settings}

    def _validate_data_and_targets(self, X, y, reset):
        check_categorical_columns(X)
        try:
            return validate_data(
                self,
                X,
                y,
                reset=reset,
                accept_sparse=["csr", "csc"],
                dtype=(np.float64, np.float32),
                multi_output=True,
                y_numeric=self._y_numeric,
            )
        except ValueError as error:
            explain_column_error(X, error)

    def _training_weights(self, sample_weight, X, y):
        return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)

    def _standardization(self, X, indices, weights):
        """Per-feature ``(mean, scale, unscaled)`` that map inputs to the fixed point.

        Inputs are standardized, then given the fixed point's mean and variance:
        ``(x - mean) / scale`` equals ``sqrt(var) * z + mean_fp`` for the
        standardized ``z``. ``unscaled`` lists the features too constant to
        scale (see ``standardization_statistics``).
        """
        n_features = X.shape[1]
        if not self.standardize:
            return np.zeros(n_features), np.ones(n_features), _NONE
        mean, scale, unscaled = standardization_statistics(X, indices, weights, "Feature(s)")
        fixed_mean, fixed_var = self.fixed_point
        scale = scale / np.sqrt(fixed_var)
        return mean - fixed_mean * scale, scale, unscaled

    def _split(self, indices, weights, target, seed, incremental):
        """Training and validation ``(rows, weights)`` (validation None without early stopping)."""
        if incremental or not self.early_stopping:
            return (indices, weights), None
        if self.validation_fraction == 0:
            raise ValueError(
                "validation_fraction=0.0 holds out nothing, but early_stopping=True needs "
                "validation data: pass a validation_fraction in (0, 1), or "
                "early_stopping=False."
            )
        if len(indices) < 2:
            raise ValueError(
                "early_stopping=True needs at least 2 distinct samples to hold out "
                f"a validation set, got {len(indices)} sample."
            )
        return validation_split(
            indices, weights, target, self.validation_fraction, seed, self._stratify
        )

    def _stratify(self, target, units):
        """Labels of the distinct samples to stratify the validation split by, or None."""
        return None

    def _training_device(self):
        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                "device='cuda' was requested but torch finds no CUDA device; "
                "use device='cpu' or device='auto'."
            )
        return self.device

    def _build_net(self, n_features, seed, device, config=None):
        """A fresh skorch net; ``config`` (saved in ``_net_config``) fixes the architecture."""
        if config is None:
            config = {
                name: self.get_params()[name]
                for name in (
                    "n_layers",
                    "n_units",
                    "shape",
                    "dropout",
                    "fixed_point",
                    "optimizer",
                    "learning_rate",
                    "weight_decay",
                    "standardize",
                )
            }
        self._net_config = config
        generator = torch.Generator().manual_seed(seed)
        alpha, lambda_ = selu_parameters(*config["fixed_point"])
        module = SelfNormalizingNetwork(
            n_features,
            self._n_outputs,
            n_layers=config["n_layers"],
            n_units=config["n_units"],
            shape=config["shape"],
            dropout=config["dropout"],
            alpha=alpha,
            lambda_=lambda_,
            fixed_point=tuple(config["fixed_point"]),
            generator=generator,
        )
        net = TensorBatchNet(
            module,
            self._criterion(),
            seed=seed + 1,
            scorer=self._score_raw,
            optimizer=_OPTIMIZERS[config["optimizer"]],
            lr=config["learning_rate"],
            optimizer__weight_decay=config["weight_decay"],
            **{
                f"optimizer__{key}": value
                for key, value in _fused_optimizer_options(config["optimizer"], device)
            },
            batch_size=1,
            max_epochs=self.max_iter,
            train_split=None,
            device=device,
            verbose=self.verbose,
        )
        return net.initialize()

    def _selu_constants(self):
        fixed_point = tuple(self.fixed_point)
        if len(fixed_point) != 2 or not all(isinstance(v, Real) for v in fixed_point):
            raise ValueError(
                f"fixed_point must be a pair (mean, var) of numbers, got {self.fixed_point!r}."
            )
        try:
            return selu_parameters(*fixed_point)
        except ValueError as error:
            raise ValueError(f"fixed_point={self.fixed_point!r} has no SELU: {error}") from None

    def _starting_loss(self, train_data):
        """Loss of the network as this fit starts, on up to 1,024 training rows.

        On a few rows a freshly initialized network can start far above the loss
        of predicting the prior, and a continued fit on new data (shifted
        targets, changed labels) far above its previous loss; the divergence
        guard must not mistake either for divergence. Non-finite values count
        as zero.
        """
        loss = evaluation_loss(self.net_, train_data)
        return loss if np.isfinite(loss) else 0.0

    def _configure_epochs(self, train_data, valid_data, incremental, prior_loss):
        batch_size = self.batch_size
        if batch_size == "auto":
            batch_size = min(self._auto_batch_size, len(train_data))
        batch_size = min(batch_size, len(train_data))
        stopper = None
        if not incremental:
            # With a validation split: stop on its loss and restore the best epoch.
            stopper = EarlyStopping(
                monitor="valid_loss" if self.early_stopping else "train_loss",
                patience=self.n_iter_no_change,
                threshold=self.tol,
                threshold_mode="abs",
                load_best=self.early_stopping,
            )
        progress_bar = None
        if self.verbose >= 2:
            n_batches = -(-len(train_data) // batch_size)
            if valid_data is not None:
                n_batches += -(-len(valid_data) // batch_size)
            progress_bar = ProgressBar(batches_per_epoch=n_batches)
        net = self.net_
        net.batch_size = batch_size
        net.train_split = predefined_split(valid_data) if valid_data is not None else None
        net.verbose = self.verbose
        # The guard runs first: early stopping must not end training on a
        # diverged epoch before the guard has restored sound weights.
        baseline = max(prior_loss, self._starting_loss(train_data), 1.0)
        net.callbacks = [("divergence_guard", DivergenceGuard(baseline))] + [
            (name, callback)
            for name, callback in (("stopper", stopper), ("progress_bar", progress_bar))
            if callback is not None
        ]
        net.initialize_callbacks()

    def _record_fit_attributes(self, epochs_before, epochs, incremental, prior_loss, recovered):
        """Set the fitted attributes; return the warnings to issue as ``(message, category)``."""
        messages = []
        history = self.net_.history
        # An epoch is finished when its training loss and, with a validation
        # split, its validation loss and score are recorded.
        keys = ["train_loss"]
        if self.net_.train_split is not None:
            keys += ["valid_loss", "valid_score"]
        interrupted = len(history) > epochs_before and not all(k in history[-1] for k in keys)
        if interrupted:
            unfinished = history.pop()  # the epoch that did not finish
            if unfinished.get("diverged") and len(history) > epochs_before:
                history.record("diverged", True)  # the guard's mark stays with this fit
        this_fit = History(history[epochs_before:])
        self.n_iter_ = len(history)
        self.loss_curve_ = [float(v) for v in history[:, "train_loss"]] if history else []
        self.validation_scores_ = self.best_validation_score_ = None
        self.best_loss_ = min(filter(np.isfinite, self.loss_curve_), default=None)
        callbacks = dict(self.net_.callbacks_)
        stopper, guard = callbacks.get("stopper"), callbacks["divergence_guard"]
        if self.early_stopping and not incremental and this_fit:
            self.validation_scores_ = [float(v) for v in this_fit[:, "valid_score"]]
            # The epoch whose weights early stopping kept: the last one that
            # lowered the validation loss by more than tol.
            epoch_numbers = list(this_fit[:, "epoch"])
            best_epoch = (
                epoch_numbers.index(stopper.best_epoch_)
                if stopper.best_epoch_ in epoch_numbers
                else int(np.argmin(this_fit[:, "valid_loss"]))
            )
            self.best_validation_score_ = self.validation_scores_[best_epoch]
            self.best_loss_ = None
        stopped = stopper is not None and stopper.misses_ >= stopper.patience
        if interrupted or (len(this_fit) < epochs and not stopped):
            messages.append(
                (
                    f"Training was interrupted after {len(this_fit)} of {epochs} epochs; "
                    + (
                        "the weights reached had diverged, so the estimator keeps those "
                        "the best epoch began with."
                        if recovered
                        else "the estimator keeps the weights reached so far."
                    ),
                    UserWarning,
                )
            )
        elif stopper is not None and len(this_fit) == epochs and not stopped:
            monitored = "validation" if self.early_stopping else "training"
            if epochs > stopper.patience:
                reason = (
                    f"the {monitored} loss fell by more than tol={self.tol:g} within "
                    f"the last {stopper.patience} epochs"
                )
            else:
                reason = (
                    f"max_iter={epochs} epochs are not more than "
                    f"n_iter_no_change={stopper.patience}, so the {monitored} loss "
                    "could not be seen to stall"
                )
            kept = " The best epoch's weights are kept." if self.early_stopping else ""
            messages.append(
                (
                    f"Maximum iterations ({epochs}) reached and the optimization "
                    f"hasn't converged yet: {reason}.{kept} Raise max_iter to train longer.",
                    ConvergenceWarning,
                )
            )
        if guard.recoveries_:
            messages.append(
                (
                    f"Training diverged {len(guard.recoveries_)} time(s); the best weights were "
                    f"restored and the learning rate lowered from {guard.recoveries_[0][1]:.3g} "
                    f"to {guard.recoveries_[-1][2]:.3g}. Pass a smaller learning_rate.",
                    ConvergenceWarning,
                )
            )
        if not incremental and this_fit and self.loss_curve_[-1] >= prior_loss > 0:
            messages.append(
                (
                    f"The training loss ({self.loss_curve_[-1]:.4g}) is no better than that of "
                    f"predicting the prior ({prior_loss:.4g}): the network learned nothing. "
                    "Try another learning_rate or more epochs.",
                    ConvergenceWarning,
                )
            )
        return messages

    def _predict_raw(self, X):
        check_is_fitted(self)
        check_categorical_columns(X)
        try:
            X_checked = validate_data(
                self, X, reset=False, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32)
            )
        except ValueError as error:
            explain_column_error(X, error)
        raw = predict_raw(self.net_.module_, X_checked, self._input_mean, self._input_scale)
        check_finite_outputs(raw)
        return raw

    def __getstate__(self):
        # The net is stored as plain numpy arrays and lists, which skops can
        # save without trusting torch, and which load on a machine without CUDA.
        state = dict(super().__getstate__())
        net = state.pop("net_", None)
        if net is not None:
            state["_net_state"] = net_state(net)
        return state

    def __setstate__(self, state):
        saved = state.pop("_net_state", None)
        super().__setstate__(state)
        if saved is not None:
            device = saved["device"]
            if device.startswith("cuda") and not torch.cuda.is_available():
                device = "cpu"
            net = self._build_net(self.n_features_in_, saved["seed"] - 1, device, self._net_config)
            self.net_ = restore_net(net, saved)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


@functools.cache
def _fused_optimizer_options(optimizer, device):
    """``(("fused", True),)`` where torch has a fused kernel for the optimizer.

    Fused Adam and AdamW update all parameters in one kernel, several times
    faster than the per-tensor loop on CPU; torch < 2.4 has no CPU version.
    """
    if optimizer == "sgd":
        return ()
    parameter = torch.zeros(2, device=device, requires_grad=True)
    parameter.grad = torch.zeros_like(parameter)
    try:
        _OPTIMIZERS[optimizer]([parameter], fused=True).step()
    except (RuntimeError, TypeError, ValueError):
        return ()
    return (("fused", True),)


def _full_weights(n_rows, rows, weights):
    """Weights of all ``n_rows`` rows of the data: ``weights`` at ``rows``, 0 elsewhere."""
    full = np.zeros(n_rows)
    full[rows] = weights
    return full


def weights_of(data):
    """Float64 sample weights of a :class:`TrainingData`, on the host."""
    return data.weight.cpu().numpy().astype(np.float64)


def standardization_statistics(data, indices, weights, what):
    """Weighted ``(mean, scale, unscaled)`` of ``data[indices]`` for standardizing.

    ``unscaled`` lists the columns StandardScaler left at scale 1 because their
    variance is zero or at rounding level (a column of variance exactly 1 also
    has scale 1, but is scaled). ``what`` names the columns in the error for
    statistics that overflow.
    """
    scaler = _weighted_scaler(data, indices, weights)
    check_standardization(scaler.mean_, scaler.scale_, what)
    unscaled = np.flatnonzero((scaler.scale_ == 1.0) & (np.sqrt(scaler.var_) != 1.0))
    return scaler.mean_, scaler.scale_, unscaled


def _weighted_scaler(data, indices, weights):
    """Weighted StandardScaler fitted on ``data[indices]`` in canonical order."""
    import scipy.sparse as sp

    scaler = StandardScaler(with_mean=not sp.issparse(data))
    weights = weights / np.mean(weights)  # only ratios matter; 1e20 loses the scale
    for start in range(0, len(indices), _SCALER_CHUNK_ROWS):
        rows = indices[start : start + _SCALER_CHUNK_ROWS]
        scaler.partial_fit(data[rows], sample_weight=weights[start : start + len(rows)])
    if scaler.mean_ is None:
        raise AssertionError("StandardScaler did not compute means")
    return scaler


def _as_tuple(value):
    """Lists and tuples compare equal as parameter values (``fixed_point``)."""
    return tuple(value) if isinstance(value, (list, tuple)) else value
