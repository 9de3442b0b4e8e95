"""Self-normalizing neural network classifier."""

import copy
from numbers import Real

import numpy as np
from scipy.special import log_expit, log_softmax
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _num_samples, column_or_1d

from ._base import BaseSNN, revalidated
from ._docstrings import fill_doc
from .nn.losses import classification_loss
from .training.class_weight import as_class_weight, balanced_per_class, class_sample_weight
from .training.labels import (
    check_known_labels,
    check_same_classes,
    class_strata,
    encode_labels,
    fit_labels,
    n_outputs,
    prior_loss,
)
from .training.standardization import NO_COLUMNS
from .training.temperature import calibrate_temperature, fold_temperature


@fill_doc
class SNNClassifier(ClassifierMixin, BaseSNN):
    """Self-normalizing neural network classifier.

    A feed-forward network of SELU units with LeCun-normal initialization and
    alpha dropout (Klambauer et al., 2017), trained through skorch with the
    cross-entropy loss. Binary, multiclass and multilabel targets.

    Parameters
    ----------
    {parameters}

    class_weight : dict, list of dict, "balanced" or None, default=None
        Weights of the classes in the loss, multiplied into ``sample_weight``:
        a dict ``{{label: weight}}`` (classes it leaves out weigh 1; as in
        scikit-learn, keys for labels the data lack are allowed only when it
        gives every class a weight), or for
        multilabel targets a list of one dict ``{{0: weight, 1: weight}}`` per
        label, whose weights multiply. ``"balanced"`` weights each class
        inversely to its frequency in ``fit``'s data, counted with
        ``sample_weight`` (a weight of 2 counts as two rows); for multilabel
        targets, each label's 0 and 1 that way. ``partial_fit`` takes dicts
        only. Unlike a whole-number ``sample_weight``, a class weight is no
        count of copies: early stopping holds out each row whole. With class
        weights, ``predict_proba`` gives the probabilities of the reweighted
        classes (as scikit-learn's ``LogisticRegression`` does), not the
        data's.

    label_smoothing : float, default=0.1
        Share of each target's probability spread evenly over the classes
        (for binary and multilabel targets, towards 1/2), in ``[0, 1)``. The
        probabilities are then calibrated after training: one temperature
        dividing the logits is fitted by log loss on the validation split
        (on the training rows without ``early_stopping``) and folded into
        the output layer (``temperature_``). For one network it changes no
        prediction; an ensemble's members' logits are each divided by it
        before their probabilities are averaged, which may change the class
        of a row on which they disagree.
        ``partial_fit`` trains with the smoothing and keeps the temperature
        of the latest ``fit`` (1.0 if there was none). The labels of a
        multilabel target share the temperature. On data classified with
        near certainty the probabilities stay somewhat under-confident (see
        the hyperparameter guide); 0.0 is the paper's cross-entropy.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    temperature_ : float
        Temperature that the latest ``fit`` divided the trained logits by,
        folded into the output layer's weights (1.0 without
        ``label_smoothing``). A continued fit (``warm_start``,
        ``partial_fit``) first takes it out again and trains the network's
        own logits; ``fit`` then fits a new one, ``partial_fit`` folds the
        same one back in.

    {attributes}

    See Also
    --------
    SNNRegressor : The regressor counterpart.
    sklearn.neural_network.MLPClassifier : Multi-layer perceptron classifier.

    References
    ----------
    G. Klambauer, T. Unterthiner, A. Mayr and S. Hochreiter, "Self-Normalizing
    Neural Networks", NeurIPS 2017, arXiv:1706.02515.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_snn import SNNClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SNNClassifier(random_state=0).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> clf.score(X, y) > 0.9
    True
    """

    _parameter_constraints = {
        **BaseSNN._parameter_constraints,
        "class_weight": [dict, list, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }
    _y_numeric = False

    def __init__(
        self,
        *,
        n_layers=4,
        n_units=128,
        shape="rectangular",
        dropout=0.0,
        n_ensemble=4,
        optimizer="adam",
        learning_rate=1e-3,
        learning_rate_schedule="constant",
        weight_decay=0.0,
        batch_size="auto",
        max_iter=200,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=20,
        tol=1e-4,
        standardize="smooth_clip",
        spline_knots=None,
        device="cpu",
        random_state=None,
        verbose=0,
        warm_start=False,
        fixed_point=(0.0, 1.0),
        categorical_features="from_dtype",
        class_weight=None,
        label_smoothing=0.1,
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
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a binary indicator matrix for multilabel
            classification.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the loss. A whole-number
            weight ``k`` counts as ``k`` copies of the row, which early
            stopping's hold-out splits as rows: weights that all share an
            integer factor (all 2, say) hold out copies whose twins stay in
            training, so the validation scores are in-sample. Divide such
            a factor out.

        Returns
        -------
        self : SNNClassifier
            The fitted classifier.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn_snn import SNNClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SNNClassifier(n_layers=2, n_units=16, random_state=0).fit(X, y)
        >>> clf.classes_
        array([0, 1, 2])
        """
        return self._fit(X, y, sample_weight, partial=False)

    @revalidated
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train the network for one epoch on ``X`` and ``y``.

        The first call initializes the network, the standardization and the
        encoding of categorical columns, which later calls keep. A feature
        constant in the first batch is centred and left unscaled, with a
        ``UserWarning`` naming it: give the first call a batch in which every
        feature varies. A category the first batch lacks is read as unknown
        (with a ``UserWarning`` when a later batch brings it), unless a pandas
        ``category`` dtype declares it (up to 50 categories).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All classes that can ever occur; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the loss.

        Returns
        -------
        self : SNNClassifier
            The updated classifier.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn_snn import SNNClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SNNClassifier(n_layers=2, n_units=16, random_state=0)
        >>> for _ in range(3):
        ...     clf = clf.partial_fit(X, y, classes=[0, 1, 2])
        >>> clf.n_iter_
        3
        """
        if not hasattr(self, "net_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit, "
                "listing every class that can occur."
            )
        if isinstance(self.class_weight, str):
            raise ValueError(
                f"class_weight={self.class_weight!r} is not supported by partial_fit: the "
                "class frequencies of one batch are not those of the data. Compute the "
                "weights on all the data with sklearn.utils.class_weight."
                "compute_class_weight and pass them as a dict."
            )
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def predict_proba(self, X):
        """Class probabilities of the samples in ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class (of each label for multilabel targets).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn_snn import SNNClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SNNClassifier(n_layers=2, n_units=16, random_state=0).fit(X, y)
        >>> clf.predict_proba(X[:2]).sum(axis=1).round(6)
        array([1., 1.])
        """
        return np.exp(self._log_proba(self._predict_raw(X)))

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities of the samples in ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``np.log(predict_proba(X))``, computed from the logits so that it
            stays finite where a probability rounds to 0.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn_snn import SNNClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SNNClassifier(n_layers=2, n_units=16, random_state=0).fit(X, y)
        >>> clf.predict_log_proba(X[:2]).shape
        (2, 3)
        """
        return self._log_proba(self._predict_raw(X))

    def _log_proba(self, raw):
        if self._label_binarizer.y_type_ == "multiclass":
            return log_softmax(raw, axis=1)
        if self._label_binarizer.y_type_ == "binary":
            return np.hstack([log_expit(-raw), log_expit(raw)])
        return log_expit(raw)

    def decision_function(self, X):
        """Raw network outputs (logits) of the samples in ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Logit of the positive class for binary targets, else one logit
            per class (or label). With ``n_ensemble > 1``, those of the
            members' mean probabilities: their logits for binary and
            multilabel targets, their logarithms for multiclass targets.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn_snn import SNNClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SNNClassifier(n_layers=2, n_units=16, random_state=0).fit(X, y)
        >>> clf.decision_function(X[:2]).shape
        (2, 3)
        """
        raw = self._predict_raw(X)
        return raw[:, 0] if self._label_binarizer.y_type_ == "binary" else raw

    def predict(self, X):
        """Predicted class labels of the samples in ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn_snn import SNNClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SNNClassifier(n_layers=2, n_units=16, random_state=0).fit(X, y)
        >>> clf.predict(X[:3])
        array([0, 0, 0])
        """
        proba = self.predict_proba(X)
        if self._label_binarizer.y_type_ == "binary":
            proba = proba[:, 1:]
        return self._label_binarizer.inverse_transform(proba)

    def _encode_targets(self, y, *, reset, classes):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            self._label_binarizer = fit_labels(y, classes, type(self).__name__)
            self.classes_ = self._label_binarizer.classes_
            self._n_outputs = self.n_outputs_ = n_outputs(self._label_binarizer)
        elif classes is not None:
            check_same_classes(self._label_binarizer, classes, y)
        if classes is not None or not reset:
            check_known_labels(self._label_binarizer, y, reset)
        return encode_labels(self._label_binarizer, y)

    def _class_factor(self, y, sample_weight):
        if self.class_weight is None:
            return None
        multilabel = self._label_binarizer.y_type_ == "multilabel-indicator"
        return class_sample_weight(
            self.class_weight, y, self.classes_, sample_weight, multilabel=multilabel
        )

    def _keep_class_weights(self, y, sample_weight):
        # "balanced" depends on the data: the diagnostics weigh a batch as the
        # fit's training data did, not by the batch's own balance.
        self._balanced_class_weight = None
        if isinstance(self.class_weight, str):
            multilabel = self._label_binarizer.y_type_ == "multilabel-indicator"
            self._balanced_class_weight = balanced_per_class(
                y, self.classes_, sample_weight, multilabel=multilabel
            )

    def _loss_weight(self, X, y):
        fitted = getattr(self, "_balanced_class_weight", None)  # None: saved before it existed
        if not (isinstance(self.class_weight, str) and fitted is not None):
            return super()._loss_weight(X, y)
        multilabel = self._label_binarizer.y_type_ == "multilabel-indicator"
        spec = as_class_weight(fitted, self.classes_, multilabel=multilabel)
        ones = np.ones(_num_samples(X))
        return class_sample_weight(spec, y, self.classes_, ones, multilabel=multilabel)

    def _fit_target_scaling(self, target, indices, weights):
        return NO_COLUMNS  # labels are not scaled

    def _scale_targets(self, target):
        return target

    def _stratify(self, target, units):
        return class_strata(self._label_binarizer, target, units, self.validation_fraction)

    def _prior_loss(self, target, weight):
        return prior_loss(self._label_binarizer, target, weight, self.label_smoothing)

    def _criterion(self):
        return classification_loss(self._label_binarizer.y_type_, self.label_smoothing)

    def _uncalibrate(self):
        # A continued fit trains the network's own logits, not the calibrated ones.
        temperature = getattr(self, "temperature_", 1.0)  # absent: saved before it existed
        fold_temperature(self.net_.module_, 1.0 / temperature)
        return temperature

    def _trained_module(self):
        temperature = getattr(self, "temperature_", 1.0)
        if temperature == 1.0:
            return self.module_
        module = copy.deepcopy(self.module_)  # the fitted model stays calibrated
        fold_temperature(module, 1.0 / temperature)  # as a continued fit takes it out
        return module

    def _calibrate(self, data, kept):
        if data is None:  # partial_fit holds nothing out: keep the latest fit's temperature
            self.temperature_ = 1.0 if kept is None else kept
            fold_temperature(self.net_.module_, self.temperature_)
        elif self.label_smoothing > 0:
            kind = self._label_binarizer.y_type_
            self.temperature_ = calibrate_temperature(self.net_, data, kind)
        else:
            self.temperature_ = 1.0

    def _output_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "sigmoid"

    def _score_raw(self, target, raw, weight):
        if self._label_binarizer.y_type_ == "multiclass":
            predicted = raw.argmax(axis=1)
        else:
            predicted = (raw > 0).astype(target.dtype)
        return accuracy_score(target, predicted, sample_weight=weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
