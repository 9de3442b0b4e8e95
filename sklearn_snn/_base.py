"""BaseSNN: the parameters, ``fit`` as a recipe of stages, continued fits, prediction."""

import functools
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn import get_config
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, _num_samples, check_is_fitted

from .nn.inference import InferenceCopy, predict_raw, prediction_rows
from .nn.input_shaping import shape_inputs
from .training.callbacks import fit_callbacks
from .training.checks import (
    check_finite_outputs,
    check_fixed_point,
    first_batch_notice,
    unstable_fixed_point_notice,
)
from .training.continuation import check_continuation, net_config
from .training.device import training_device
from .training.duplicates import canonical_samples
from .training.encoding import source_columns, validate_and_encode
from .training.holdout import validation_split
from .training.net import OPTIMIZERS, build_net
from .training.report import fit_report
from .training.rollback import FitRollback
from .training.samples import TrainingData, full_weights, weights_of
from .training.schedule import SCHEDULES
from .training.splines import fit_splines
from .training.standardization import NO_COLUMNS, input_scaling
from .training.state import (
    draw_seed,
    loaded_estimator_state,
    restore_net,
    saved_estimator_state,
)


def _row_blocks(X, step):
    """``X`` in blocks of ``step`` rows (or whole, where short or not array-like)."""
    try:
        n_rows = _num_samples(X)
    except TypeError:  # validation explains what is wrong with it
        return [X]
    if n_rows <= step:
        return [X]
    if sp.issparse(X) and X.format != "csr":  # COO, DIA, BSR: no row slices
        X = X.tocsr()
    rows = X.iloc if hasattr(X, "iloc") else X
    return (rows[start : start + step] for start in range(0, n_rows, step))


def revalidated(partial_fit):
    """Validate the parameters on every call of ``partial_fit``, not only the first.

    scikit-learn's ``_fit_context`` (which this decorator wraps) validates a
    fitted estimator's ``partial_fit`` parameters no more: ``set_params`` may
    have changed them since. The global ``skip_parameter_validation`` setting
    is honoured.
    """

    @functools.wraps(partial_fit)
    def checked(self, *args, **kwargs):
        if hasattr(self, "net_") and not get_config()["skip_parameter_validation"]:
            self._validate_params()
        return partial_fit(self, *args, **kwargs)

    return checked


class BaseSNN(BaseEstimator, metaclass=ABCMeta):
    """Base class of the SNN estimators; not for direct use.

    ``fit`` and ``partial_fit`` run :meth:`_fit`: prepare the samples, build
    or continue the net and train it, report the fitted attributes. The
    subclasses define the target-specific hooks (the abstract methods).
    """

    # Rows per batch for batch_size="auto": part of the default recipe (Adam 1e-3,
    # 4 members, patience 20), chosen with the accuracy benchmark (docs/accuracy.md).
    _auto_batch_size = 256

    _parameter_constraints = {
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "n_units": [Interval(Integral, 1, None, closed="left")],
        "shape": [StrOptions({"rectangular", "conic"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "n_ensemble": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions(set(SCHEDULES))],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "standardize": ["boolean", StrOptions({"smooth_clip"})],
        "spline_knots": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"}), None],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "fixed_point": ["array-like"],
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
    }

    @abstractmethod
    def __init__(
        self,
        *,
        n_layers,
        n_units,
        shape,
        dropout,
        n_ensemble,
        optimizer,
        learning_rate,
        learning_rate_schedule,
        weight_decay,
        batch_size,
        max_iter,
        early_stopping,
        validation_fraction,
        n_iter_no_change,
        tol,
        standardize,
        spline_knots,
        device,
        random_state,
        verbose,
        warm_start,
        fixed_point,
        categorical_features,
    ):
        self.n_layers = n_layers
        self.n_units = n_units
        self.shape = shape
        self.dropout = dropout
        self.n_ensemble = n_ensemble
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.standardize = standardize
        self.spline_knots = spline_knots
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.fixed_point = fixed_point
        self.categorical_features = categorical_features

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

        With ``n_ensemble > 1``, the members'
        ``sklearn_snn.nn.ensemble.SelfNormalizingEnsemble``.

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

    def _fit(self, X, y, sample_weight, *, partial, classes=None):
        """Fit, or continue fitting: prepare -> train -> report.

        ``partial`` marks a ``partial_fit`` call: one epoch, no hold-out and
        no stopping rule. A fit with ``reset`` builds a new network; otherwise
        it continues the fitted one. On any error the estimator stays as it was.
        """
        reset = not (hasattr(self, "net_") and (partial or self.warm_start))
        # Training needs autograd, also inside the caller's torch.inference_mode
        # (as inside torch.no_grad): the snapshot and the restore too.
        with torch.inference_mode(False), FitRollback(self, continuing=not reset):
            check_fixed_point(self.fixed_point) if reset else self._check_continuation()
            train_data, valid_data, seed, device, notices = self._prepare_samples(
                X, y, sample_weight, partial=partial, classes=classes, reset=reset
            )
            unstable = reset and unstable_fixed_point_notice(self.fixed_point)
            notices += [(unstable, UserWarning)] if unstable else []
            if reset:
                self.net_ = self._build_net(train_data.X.shape[1], seed, device)
            kept = None if reset else self._uncalibrate()
            prior_loss = self._prior_loss(train_data.y.cpu().numpy(), weights_of(train_data))
            epochs = 1 if partial else self.max_iter
            epochs_before = len(self.net_.history)
            recovered = self._train(train_data, valid_data, epochs, partial, prior_loss)
            held_out = valid_data if valid_data is not None else train_data
            self._calibrate(None if partial else held_out, kept)
            attributes, messages = fit_report(
                self.net_,
                epochs_before=epochs_before,
                epochs=epochs,
                partial=partial,
                tol=self.tol,
                prior_loss=prior_loss,
                recovered=recovered,
                train_data=train_data,
                valid_data=valid_data,
            )
            for name, value in attributes.items():
                setattr(self, name, value)
            self.net_.module_.eval()  # dropout belongs to training only
            self._inference = InferenceCopy(self.net_.module_)
        # Warned after the fit is kept: warnings turned into errors must not undo it.
        for message, category in notices + messages:
            # The caller's line: partial_fit has one more frame (revalidated).
            warnings.warn(message, category, stacklevel=5 if partial else 4)
        return self

    def _prepare_samples(self, X, y, sample_weight, *, partial, classes, reset):
        """Checked, merged, standardized and split samples on the training device.

        Returns ``(train_data, valid_data, seed, device, notices)``;
        ``valid_data`` is None without early stopping, ``notices`` are
        warnings to issue once the fit is kept.
        """
        notices = []
        X, y = self._validate(
            X, y, reset=reset, sample_weight=sample_weight, partial=partial, notices=notices
        )
        target = self._encode_targets(y, reset=reset, classes=classes)
        copies, factor = self._weights(sample_weight, X, y)
        self._keep_class_weights(y, copies)
        # Sample weights count copies of rows, which the hold-out splits as
        # rows; class weights only weigh the loss (a class of weight 0 is left out).
        kept = copies if factor is None else np.where(factor > 0, copies, 0.0)
        indices, units = canonical_samples(X, target, kept)
        weights = units if factor is None else units * factor[indices]
        if len(indices) == 0:
            if not np.any(copies > 0):
                cause = "All sample weights are zero"
            elif factor is not None and not np.any(factor > 0):
                cause = "class_weight gives every class of the data zero weight"
            else:
                cause = "sample_weight and class_weight together give every row zero weight"
            raise ValueError(f"{cause}: there is nothing to train on.")
        seed = draw_seed(self.random_state)
        if reset:
            self._splines = fit_splines(X, indices, weights, self.spline_knots)
        X = self._with_splines(X)
        if reset:
            self._input_mean, self._input_scale, unscaled, self._input_clip = input_scaling(
                X, indices, weights, standardize=self.standardize, fixed_point=self.fixed_point
            )
            unscaled_targets = self._fit_target_scaling(target, indices, weights)
            zero_one = NO_COLUMNS if self._input_clip is None else self._input_clip[3]
            notice = partial and first_batch_notice(
                self._input_columns(unscaled),
                unscaled_targets,
                len(indices),
                self._input_columns(zero_one),
            )
            notices += [(notice, UserWarning)] if notice else []
        self._note_targets(
            target, indices, reset=reset, unscaled=unscaled_targets if reset else NO_COLUMNS
        )
        target = self._scale_targets(target)
        parts = ((indices, weights), None)
        if self.early_stopping and not partial:
            fraction = self.validation_fraction
            parts = validation_split(indices, units, target, fraction, seed, self._stratify)
            if factor is not None:
                parts = tuple((rows, part * factor[rows]) for rows, part in parts)
        # A continued fit trains where the network lives (check_continuation).
        device = training_device(self.device) if reset else self.net_.device
        scaling = (self._input_mean, self._input_scale, device, self._clip())
        train_data, valid_data = (
            part and TrainingData(X, target, full_weights(len(target), *part), part[0], *scaling)
            for part in parts
        )
        return train_data, valid_data, seed, device, notices

    def _input_columns(self, encoded):
        """Names (else positions) of the input columns behind encoded columns.

        Columns the encoding or the spline features make are left out: they
        are no column the caller passed.
        """
        source = source_columns(getattr(self, "_column_encoder", None), self.n_features_in_)
        columns = source[encoded[encoded < len(source)]]
        columns = columns[columns >= 0]
        names = getattr(self, "feature_names_in_", None)
        return columns if names is None else [names[column] for column in columns]

    def _train(self, train_data, valid_data, epochs, partial, prior_loss):
        """Train ``net_``; return whether the final divergence check replaced its weights."""
        net = self.net_
        batch_size = self._auto_batch_size if self.batch_size == "auto" else self.batch_size
        stopping = None if partial else ("validation" if self.early_stopping else "training")
        batch_size = min(batch_size, len(train_data))
        # partial_fit trains one epoch per call: no span to schedule over.
        schedule = "constant" if partial else self.learning_rate_schedule
        net.reset_step_size()
        net.use_criterion(self._criterion())
        callbacks = fit_callbacks(
            net,
            train_data,
            prior_loss=prior_loss,
            early_stopping=stopping,
            patience=self.n_iter_no_change,
            tol=self.tol,
            verbose=self.verbose,
            schedule=schedule,
            total_steps=epochs * -(-len(train_data) // batch_size),
        )
        net.configure_fit(
            batch_size=batch_size,
            valid_data=valid_data,
            callbacks=callbacks,
            verbose=self.verbose,
        )
        net.partial_fit(train_data, epochs=epochs)
        # After early stopping has restored its best epoch: that epoch's
        # weights, or the last update's, may be broken too.
        return dict(net.callbacks_)["divergence_guard"].check_final_weights(net, train_data)

    def _check_continuation(self):
        """Refuse what a continued fit cannot honour; apply new optimizer settings."""
        settings = check_continuation(self.get_params(), self._net_config, self.net_.device)
        if settings is not None:
            # A step size the divergence guard lowered stays lowered unless
            # learning_rate itself changed.
            same_rate = settings["learning_rate"] == self._net_config["learning_rate"]
            learning_rate = self.net_.lr if same_rate else settings["learning_rate"]
            self.net_.set_optimizer(settings["optimizer"], learning_rate, settings["weight_decay"])
            self._net_config = {**self._net_config, **settings}

    def _build_net(self, n_features, seed, device, config=None):
        """A fresh skorch net; ``config`` (saved in ``_net_config``) fixes the architecture."""
        if config is None:
            config = net_config(self.get_params())
        self._net_config = config
        return build_net(
            config,
            n_features,
            self._n_outputs,
            criterion=self._criterion(),
            scorer=self._score_raw,
            seed=seed,
            device=device,
            max_epochs=self.max_iter,
            verbose=self.verbose,
            output_activation=self._output_activation(),
        )

    def _validate(
        self, X, y="no_validation", *, reset, sample_weight=None, partial=False, notices=None
    ):
        """``X`` (and ``y``) checked and encoded; errors name the column at fault."""
        return validate_and_encode(
            self, X, y, reset=reset, sample_weight=sample_weight, partial=partial, notices=notices
        )

    def _predict_raw(self, X):
        check_is_fitted(self)
        module = self._inference.module()
        scaling = (self._input_mean, self._input_scale, self._clip())
        categorical = getattr(self, "_categorical", None)
        blocks = [X]
        if categorical is not None and categorical.any():
            # Encoded (one-hot) columns of all rows at once would take memory
            # in proportion to the rows: encoded block by block instead.
            blocks = _row_blocks(X, prediction_rows(module, np.size(self._input_mean)))
        # No warnings.catch_warnings here: its filters are the process's, and
        # threads predicting at once would leave them changed.
        outputs = []
        for block in blocks:
            try:
                encoded = self._validate(block, reset=False)
            except (ValueError, TypeError):
                if block is not X:  # the message (counts, shapes) of the whole input
                    self._validate(X, reset=False)
                raise
            outputs.append(predict_raw(module, encoded, *scaling, features=self._with_splines))
        raw = np.concatenate(outputs)
        check_finite_outputs(raw)
        return raw

    def _prepare_input(self, X):
        """``X`` as the network sees it: checked, dense, standardized float64.

        Internal API of :mod:`sklearn_snn.diagnostics`.
        """
        check_is_fitted(self)
        X = self._with_splines(self._validate(X, reset=False))
        X = X.toarray() if sp.issparse(X) else X
        return shape_inputs(X, self._input_mean, self._input_scale, self._clip())

    def _with_splines(self, X):
        """Encoded ``X`` joined by the spline bases learned in ``fit``, if any."""
        splines = getattr(self, "_splines", None)  # models saved before them lack them
        return X if splines is None else splines.transform(X)

    def _trained_module(self):
        """The network whose outputs the training loss sees.

        Internal API of :mod:`sklearn_snn.diagnostics`; the classifier's
        ``module_`` also holds the calibration, which training does not see.
        """
        return self.module_

    def _clip(self):
        """The clipping of the inputs learned in ``fit``, or None."""
        return getattr(self, "_input_clip", None)  # models saved before it lack it

    def _prepare_targets(self, X, y):
        """``(target, weight)`` of ``(X, y)`` as the training loss sees them.

        Internal API of :mod:`sklearn_snn.diagnostics`: the targets encoded
        (and scaled) for the loss, the class weights as sample weights.
        """
        X, y = self._validate(X, y, reset=False)
        target = self._scale_targets(self._encode_targets(y, reset=False, classes=None))
        return np.asarray(target), self._loss_weight(X, y)

    def _keep_class_weights(self, y, sample_weight):
        """Keep what class weights the fit's own data gave, for :meth:`_loss_weight`."""

    def _loss_weight(self, X, y):
        """Weights by which the training loss weighs the rows ``(X, y)``."""
        return self._sample_weight(None, X, y)

    def _sample_weight(self, sample_weight, X, y):
        """Float64 sample weights of the training rows (class weights multiplied in)."""
        copies, factor = self._weights(sample_weight, X, y)
        return copies if factor is None else copies * factor

    def _weights(self, sample_weight, X, y):
        """``(copies, factor)``: checked sample weights, and class weights or None."""
        copies = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        return copies, self._class_factor(y, copies)

    def _class_factor(self, y, sample_weight):
        """Each row's class weight, by which the loss weighs it; None for no class weights."""
        return None

    def _uncalibrate(self):
        """Before a continued fit: undo the calibration; return what ``_calibrate`` keeps."""

    def _calibrate(self, data, kept):
        """After training: calibrate on ``data`` (held-out if any; None for ``partial_fit``).

        ``kept`` is what :meth:`_uncalibrate` returned for a continued fit, else None.
        """

    @abstractmethod
    def _encode_targets(self, y, *, reset, classes):
        """Targets encoded for the loss; with ``reset``, learn the encoding."""

    def _note_targets(self, target, indices, *, reset, unscaled=NO_COLUMNS):
        """Keep track of the targets of every fit (rows ``indices``); nothing by default.

        ``unscaled`` are the target columns a first fit's scaling left
        unscaled (:meth:`_fit_target_scaling`).
        """

    @abstractmethod
    def _fit_target_scaling(self, target, indices, weights):
        """Learn the targets' scaling; return the columns left unscaled."""

    @abstractmethod
    def _scale_targets(self, target):
        """Targets scaled as the network learns them."""

    @abstractmethod
    def _stratify(self, target, units):
        """Labels of the distinct samples to stratify the validation split by, or None."""

    @abstractmethod
    def _prior_loss(self, target, weight):
        """Loss of predicting the prior (class frequencies or the mean target)."""

    @abstractmethod
    def _criterion(self):
        """The per-sample loss, a torch module with ``reduction="none"``."""

    @abstractmethod
    def _output_activation(self):
        """``"identity"``, ``"softmax"`` or ``"sigmoid"``: raw outputs to predictions."""

    @abstractmethod
    def _score_raw(self, target, raw, weight):
        """Validation score (accuracy or R²) of raw outputs."""

    def __getstate__(self):
        return saved_estimator_state(super().__getstate__())

    def __setstate__(self, state):
        state, saved = loaded_estimator_state(state, self._parameter_constraints)
        super().__setstate__(state)
        if saved is not None:
            device = saved["device"]
            if device.startswith("cuda") and not torch.cuda.is_available():
                device = "cpu"
            net = self._build_net(len(self._input_mean), saved["seed"], device, self._net_config)
            self.net_ = restore_net(net, saved)
            self._inference = InferenceCopy(self.net_.module_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True
        return tags
