"""Self-normalizing neural network regressor."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils.validation import column_or_1d
from torch import nn

from ._base import BaseSNN, revalidated
from ._docstrings import fill_doc
from .training.checks import check_finite_outputs
from .training.standardization import NO_COLUMNS, standardization_statistics

# Targets whose values lie within this many units in the last place of their
# largest magnitude are constant up to rounding (0.1 + 0.2 beside 0.3: one).
_ROUNDING_ULPS = 16


@fill_doc
class SNNRegressor(RegressorMixin, BaseSNN):
    """Self-normalizing neural network regressor.

    A feed-forward network of SELU units with LeCun-normal initialization and
    alpha dropout (Klambauer et al., 2017), trained through skorch with the
    squared error. Single and multi-output targets. With ``standardize`` (``True``
    or ``"smooth_clip"``) the targets are standardized for training as well, and predictions come
    back in the original units. A target that was constant in every training
    row (of every fit so far, for continued fits) is predicted as that value;
    with ``standardize``, one constant up to rounding as its weighted mean:
    one whose spread is too small beside its mean for the standardization
    (below about ``n * eps * |mean|``) and whose values lie within 16 units
    in the last place of each other (0.1 + 0.2 beside 0.3). A target of such
    a small spread that varies by more (1e14 + 5 * x) is scaled by its own
    spread and learned.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    SNNClassifier : The classifier counterpart.
    sklearn.neural_network.MLPRegressor : Multi-layer perceptron regressor.

    References
    ----------
    G. Klambauer, T. Unterthiner, A. Mayr and S. Hochreiter, "Self-Normalizing
    Neural Networks", NeurIPS 2017, arXiv:1706.02515.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_snn import SNNRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> reg = SNNRegressor(n_layers=2, n_units=32, random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> reg.score(X, y) > 0.9
    True
    """

    _y_numeric = True

    def __init__(
        self,
        *,
        n_layers=4,
        n_units=128,
        shape="rectangular",
        dropout=0.0,
        n_ensemble=4,
        optimizer="adam",
        learning_rate=3e-3,
        learning_rate_schedule="constant",
        weight_decay=0.0,
        batch_size="auto",
        max_iter=200,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=20,
        tol=1e-4,
        standardize="smooth_clip",
        spline_knots="auto",
        device="cpu",
        random_state=None,
        verbose=0,
        warm_start=False,
        fixed_point=(0.0, 1.0),
        categorical_features="from_dtype",
    ):
        super().__init__(
            n_layers=n_layers,
            n_units=n_units,
            shape=shape,
            dropout=dropout,
            n_ensemble=n_ensemble,
            optimizer=optimizer,
            learning_rate=learning_rate,
            learning_rate_schedule=learning_rate_schedule,
            weight_decay=weight_decay,
            batch_size=batch_size,
            max_iter=max_iter,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            standardize=standardize,
            spline_knots=spline_knots,
            device=device,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            fixed_point=fixed_point,
            categorical_features=categorical_features,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the loss. A whole-number
            weight ``k`` counts as ``k`` copies of the row, which early
            stopping's hold-out splits as rows: weights that all share an
            integer factor (all 2, say) hold out copies whose twins stay in
            training, so the validation scores are in-sample. Divide such
            a factor out.

        Returns
        -------
        self : SNNRegressor
            The fitted regressor.

        Examples
        --------
        >>> from sklearn.datasets import make_regression
        >>> from sklearn_snn import SNNRegressor
        >>> X, y = make_regression(n_samples=100, n_features=4, random_state=0)
        >>> reg = SNNRegressor(n_layers=2, n_units=16, random_state=0).fit(X, y)
        >>> reg.n_outputs_
        1
        """
        return self._fit(X, y, sample_weight, partial=False)

    @revalidated
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train the network for one epoch on ``X`` and ``y``.

        The first call initializes the network, the standardization of
        inputs and targets, the encoding of categorical columns and the
        spline knots (``spline_knots``), which later calls keep. A column
        constant in the first batch is centred and left unscaled, with a
        ``UserWarning`` naming it: give the first call a batch in which every
        column varies. A category the first batch lacks is read as unknown
        (with a ``UserWarning`` when a later batch brings it), unless a pandas
        ``category`` dtype declares it (up to 50 categories).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the loss.

        Returns
        -------
        self : SNNRegressor
            The updated regressor.

        Examples
        --------
        >>> from sklearn.datasets import make_regression
        >>> from sklearn_snn import SNNRegressor
        >>> X, y = make_regression(n_samples=100, n_features=4, random_state=0)
        >>> reg = SNNRegressor(n_layers=2, n_units=16, random_state=0)
        >>> reg = reg.partial_fit(X, y).partial_fit(X, y)
        >>> reg.n_iter_
        2
        """
        return self._fit(X, y, sample_weight, partial=True)

    def predict(self, X):
        """Predicted targets of the samples in ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions in the units of the training targets, as float64.

        Examples
        --------
        >>> from sklearn.datasets import make_regression
        >>> from sklearn_snn import SNNRegressor
        >>> X, y = make_regression(n_samples=100, n_features=4, random_state=0)
        >>> reg = SNNRegressor(n_layers=2, n_units=16, random_state=0).fit(X, y)
        >>> reg.predict(X[:2]).dtype
        dtype('float64')
        """
        raw = self._predict_raw(X)  # checks that the model is fitted
        prediction = self._in_target_units(raw)
        check_finite_outputs(prediction, "predictions")
        return prediction.ravel() if self._target_1d else prediction

    def _encode_targets(self, y, *, reset, classes):
        if sp.issparse(y):
            raise ValueError(
                f"{type(self).__name__} takes dense targets, got a sparse matrix; pass y.toarray()."
            )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if reset:
            self._target_1d = y.ndim == 1
            self._n_outputs = self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        elif (y.ndim == 1) != self._target_1d or (y.ndim == 2 and y.shape[1] != self.n_outputs_):
            raise ValueError(
                f"y has {1 if y.ndim == 1 else y.shape[1]} target(s); the first fit "
                f"had {self.n_outputs_}."
            )
        return y.reshape(len(y), -1).astype(np.float64)

    def _fit_target_scaling(self, target, indices, weights):
        if not self.standardize:
            self._target_mean = np.zeros(target.shape[1])
            self._target_scale = np.ones(target.shape[1])
            return NO_COLUMNS
        self._target_mean, self._target_scale, unscaled = standardization_statistics(
            target, indices, weights, "Target(s)"
        )
        # StandardScaler leaves a column unscaled whose spread is small beside its
        # mean (below about n * eps * |mean|: 11 for 500 rows near 1e14). Only one
        # constant up to rounding is predicted as its mean (_note_targets); one
        # that varies by more is scaled by its own spread, so its signal is learned.
        rows = target[np.ix_(indices, unscaled)]
        varies = np.ptp(rows, axis=0) > _ROUNDING_ULPS * np.spacing(np.max(np.abs(rows), axis=0))
        if varies.any():
            columns = unscaled[varies]
            share = weights / weights.sum()
            centred = rows[:, varies] - self._target_mean[columns]
            spread = np.sqrt(share @ centred**2)
            self._target_scale = self._target_scale.copy()
            self._target_scale[columns] = spread
        return unscaled[~varies]

    def _scale_targets(self, target):
        return (target - self._target_mean) / self._target_scale

    def _note_targets(self, target, indices, *, reset, unscaled=NO_COLUMNS):
        # A target constant in every row of positive weight seen so far is
        # predicted as that value exactly; the network's residual output would
        # add an error of its own scale (about 0.01, whatever the target's).
        # So is one constant up to rounding, which the scaling leaves unscaled:
        # as its weighted mean. A continued fit keeps it while its rows stay as
        # close to that value as the first fit's did (twice their distance).
        rows = target[indices]
        if reset:
            constant = np.all(rows == rows[:1], axis=0)
            rounding = np.zeros(len(constant), dtype=bool)
            rounding[unscaled] = True
            value = np.where(constant, rows[0], self._target_mean)
            self._constant_targets = np.where(constant | rounding, value, np.nan)
            spread = np.max(np.abs(rows - self._constant_targets), axis=0)
            self._constant_spread = np.where(constant | rounding, spread, np.nan)
            return
        kept = getattr(self, "_constant_targets", None)  # absent: saved before it
        if kept is None:
            return
        spread = getattr(self, "_constant_spread", np.zeros_like(kept))  # absent: exact only
        within = np.all(np.abs(rows - kept) <= 2.0 * spread, axis=0)
        self._constant_targets = np.where(within, kept, np.nan)
        self._constant_spread = np.where(within, spread, np.nan)

    def _output_scaling(self):
        """``(mean, scale)`` that map the network's raw outputs to predictions.

        Internal API of :mod:`sklearn_snn.onnx`: the targets' scaling, with
        scale 0 and the value itself for a target that was constant in
        training.
        """
        constant = getattr(self, "_constant_targets", None)
        if constant is None:
            return self._target_mean, self._target_scale
        known = ~np.isnan(constant)
        return (
            np.where(known, constant, self._target_mean),
            np.where(known, 0.0, self._target_scale),
        )

    def _stratify(self, target, units):
        return None

    def _prior_loss(self, target, weight):
        weight = weight / weight.sum()
        mean = weight @ target
        return float(np.mean(weight @ (target - mean) ** 2))

    def _criterion(self):
        return nn.MSELoss(reduction="none")

    def _output_activation(self):
        return "identity"

    def _score_raw(self, target, raw, weight):
        if len(target) < 2:  # R² is undefined; early stopping reads the loss anyway
            return float("nan")
        # In the targets' units, of what predict would answer (constant targets
        # as their value), as score computes it.
        truth = np.asarray(target, dtype=np.float64) * self._target_scale + self._target_mean
        prediction = self._in_target_units(np.asarray(raw, dtype=np.float64))
        return r2_score(truth, prediction, sample_weight=weight)

    def _in_target_units(self, raw):
        """The network's raw outputs as predictions (:meth:`_output_scaling`)."""
        mean, scale = self._output_scaling()
        return raw * scale + mean

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
