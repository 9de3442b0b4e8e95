"""Parameter and attribute descriptions shared by the estimators' docstrings.

Each estimator's docstring holds ``{parameters}`` and ``{attributes}``
placeholders that :func:`fill_doc` fills, as imbalanced-learn's
``Substitution`` does.
"""

import inspect

PARAMETERS_DOC = """n_layers : int, default=4
        Number of hidden SELU layers.

    n_units : int, default=128
        Width of the hidden layers (of the first one when ``shape="conic"``),
        in each member of the ensemble.

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

    n_ensemble : int, default=4
        Number of networks trained together as an ensemble (1 for a single
        network, the paper's configuration): each member has
        its own initial weights and dropout masks and sees the same
        mini-batches, and learns as it would alone (the loss is the sum of
        the members' losses; ``loss_curve_`` records their mean). Predictions
        average the members' probabilities (classifier) or outputs
        (regressor); the validation loss and scores that early stopping
        watches are those of this averaged prediction. The members' layers
        are stacked into batched matrix products, so one pass trains them all;
        the arithmetic still grows with the number of members.

    optimizer : {"sgd", "adam", "adamw"}, default="adam"
        Optimizer. ``"sgd"`` is plain stochastic gradient descent, as in the
        paper; Adam needs no learning-rate search to train well.

    learning_rate : float, default=LEARNING_RATE_DEFAULT
        Step size of the optimizer (see :doc:`/accuracy` for how the default
        was chosen).

    learning_rate_schedule : {"constant", "one_cycle"}, default="constant"
        ``"constant"``: ``learning_rate`` throughout (the paper's
        configuration). ``"one_cycle"``: every call to ``fit`` (also a
        ``warm_start`` one, which starts a new cycle) spans ``max_iter``
        epochs with torch's one-cycle policy: a warm-up over the first 10% of
        the batches from ``learning_rate / 25`` to ``learning_rate``, then a
        cosine decay to almost 0. ``max_iter`` is then the planned budget
        (reaching it is no ``ConvergenceWarning``), and with
        ``early_stopping`` the weights kept are those of the last epoch whose
        validation loss is within ``tol`` of the lowest. ``partial_fit``
        trains at ``learning_rate``. The divergence guard scales the whole
        schedule when it lowers the learning rate.

    weight_decay : float, default=0.0
        L2 penalty (decoupled for ``"adamw"``). Named so because ``alpha`` is
        a SELU constant in this package.

    batch_size : "auto" or int, default="auto"
        Distinct rows per mini-batch; ``"auto"`` uses ``min(256, n)`` for the
        ``n`` distinct training rows, chosen with the accuracy benchmark
        (:doc:`/accuracy`). Repeated rows are merged before batching (see
        :mod:`sklearn_snn.training.duplicates`).

    max_iter : int, default=200
        Maximum number of epochs, each one pass over the distinct training
        rows (see :mod:`sklearn_snn.training.duplicates`).

    early_stopping : bool, default=True
        Whether to hold out ``validation_fraction`` of the training data and
        stop when the validation loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs. The weights of the epoch with the lowest
        validation loss are restored. The validation loss, unlike accuracy,
        reflects sample and class weights and small improvements.

    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping=True``; in
        ``(0, 1)`` then, and ignored (0 allowed) otherwise. For the classifier
        the split is stratified by class, except for multilabel targets, where
        a class has fewer than 2 rows, or where the split is too small to
        hold every class on both sides. How repeated and
        weighted rows are split is described in
        :mod:`sklearn_snn.training.duplicates`.

    n_iter_no_change : int, default=20
        Epochs without improvement by at least ``tol`` (of the training loss,
        or of the validation loss with early stopping) before training stops.

    tol : float, default=1e-4
        Smallest improvement that counts. ``SNNRegressor``'s loss is the mean
        squared error of the standardized targets (unless ``standardize=False``),
        so ``tol`` is a share of the targets' variance, not in their units.

    standardize : bool or "smooth_clip", default="smooth_clip"
        How the inputs are shaped, learned in ``fit``. ``True``: per-feature
        standardization (the paper's configuration; self-normalization
        assumes inputs of mean 0 and variance 1). ``"smooth_clip"``: the same,
        then every standardized column passes through
        ``x / sqrt(1 + (x / 3)^2)`` (the identity near 0, never beyond ±3),
        except columns whose training values are 0 and 1, both present (one-hot
        and indicator columns; a column constant at 0 or 1 is a constant
        feature), which are left as they are (a value beyond 0 and
        1 at prediction time is clamped to them); heavy tails, rare
        one-hot categories and test rows far outside the training range
        then cannot drive the network far from its fixed point. ``False``:
        the inputs as given. Constant features are centred and left
        unscaled.

    spline_knots : int, "auto" or None, default=SPLINE_KNOTS_DEFAULT
        Cubic B-spline features of the columns (as
        :class:`~sklearn.preprocessing.SplineTransformer` makes them), joined
        to the columns before they are standardized. An int: each column of
        the encoded data with at least 3 distinct training values (numeric
        columns, imputed ones and target-encoded categories; not one-hot or
        missing-value indicators) gets the basis on that many knots at its
        training quantiles (coinciding ones merged: ``spline_knots + 2``
        columns at most), constant beyond the training range. ``"auto"``: 10
        knots where at most 16 columns qualify, none for wider data (where
        they did not pay, and would multiply the first layer's work). None:
        no spline features (the paper's configuration). They help a network
        learn smooth functions of single columns in regression (see
        :doc:`/accuracy`); on small classification datasets with many
        columns they overfitted, hence the classifier's default. The bases
        are learned by the first fit (or first ``partial_fit`` batch) and
        kept by continued fits. On sparse input the basis columns are sparse
        too, but hold a few non-zero values in every row.

    device : {"cpu", "cuda", "auto"}, default="cpu"
        Device to train on; ``"auto"`` picks CUDA when available (a continued
        fit, ``partial_fit`` or ``warm_start``, trains where the network
        lives). Predictions run where the fitted network lives.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling, dropout and the validation
        split. An int makes training on CPU repeatable bit for bit. torch's
        global random state is left untouched.

    verbose : int, default=0
        0: silent; 1: skorch's per-epoch log; 2: also a progress bar.

    warm_start : bool, default=False
        Whether ``fit`` continues from the previous solution instead of
        starting anew. The network's shape (``n_layers``, ``n_units``,
        ``shape``, ``dropout``, ``n_ensemble``, ``fixed_point``),
        ``standardize``, ``spline_knots`` and the device cannot change between
        such fits (a
        ``ValueError`` says which did); new
        ``optimizer``, ``learning_rate`` or ``weight_decay`` values start a new
        optimizer on the trained weights. The same holds for ``partial_fit``.
        A step size that the divergence guard lowered stays lowered in fits
        that continue with the same ``learning_rate``.

    fixed_point : array-like of (float, float), default=(0.0, 1.0)
        Mean and variance that the activations are driven to; with
        ``standardize`` the inputs are given this mean and variance before
        any clipping (the smooth clipping then keeps them within
        ``3 * sqrt(variance)`` of the mean and shrinks their variance: to
        about 0.78 of it for a Gaussian column). The SELU
        constants come from :func:`sklearn_snn.theory.selu_parameters` and the
        alpha-dropout correction from
        :func:`sklearn_snn.theory.alpha_dropout_parameters` for this point;
        the default gives the paper's alpha ≈ 1.6733 and lambda ≈ 1.0507.
        ``fit`` warns about a point that does not attract the activations
        (:func:`sklearn_snn.theory.is_stable_fixed_point`).

    categorical_features : "from_dtype", array-like of int, str or bool, or None, \
            default="from_dtype"
        Columns to encode as categories, with HistGradientBoosting's
        conventions: ``"from_dtype"`` takes a DataFrame's ``category``,
        ``object``, ``string`` and ``bool`` columns (pandas, with numpy or
        pyarrow dtypes; polars' ``Categorical``, ``Enum``, ``String`` and
        ``Boolean`` columns, read through ``to_pandas``, which needs pyarrow;
        none for arrays); or
        column indices, column names, a boolean mask, or None. Categorical
        columns are one-hot encoded (up to 50 categories; unknown ones at
        predict time counted as rare, missing values a category of their
        own) or, with more categories, target encoded. Rare categories are
        grouped as one: those seen fewer than 5 times (on fewer than 100
        rows, in fewer than 5% of them; a category seen once is always rare).
        Missing values (NaN, ``pd.NA``) of numeric columns are imputed with
        the training mean, plus an indicator column for each feature that had
        missing values in ``fit``. The encoding is learned by the first fit and
        kept by continued fits, which refuse a ``categorical_features`` that
        selects other columns and warn about categories it never saw (they
        are read as unknown). The first ``partial_fit`` batch groups no
        category as rare and gives every category a pandas ``category``
        dtype declares its column, seen in the batch or not (a column of more
        than 50 categories is target encoded from the batch alone); see
        :mod:`sklearn_snn.training.encoding`."""

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
        diverged (its weights were then undone) has ``"diverged": True`` in
        ``history_`` (every other epoch False); its loss may be NaN or inf.

    best_loss_ : float or None
        Lowest finite training loss in ``loss_curve_``; None after a ``fit``
        with ``early_stopping=True``, which selects on the validation loss
        (``partial_fit`` holds out no validation data and sets it).

    validation_scores_ : list of float or None
        Validation score (accuracy or R²) of each epoch of the latest ``fit``
        with ``early_stopping=True`` (NaN for an epoch whose predictions were
        not finite), else None (so after ``partial_fit``). Each fit holds out
        its own validation split, so a ``warm_start`` fit starts the list
        afresh, while ``loss_curve_`` spans every epoch.

    best_validation_score_ : float or None
        Validation score (accuracy or R²) of the restored epoch, the last one
        that lowered the validation loss by more than ``tol``, with
        ``early_stopping=True`` (of the weights kept instead when that epoch's
        had diverged); else None.

    history_ : skorch.history.History
        skorch's record of the training epochs.

    module_ : SelfNormalizingNetwork
        The trained torch module; with ``n_ensemble > 1`` a
        ``sklearn_snn.nn.ensemble.SelfNormalizingEnsemble`` of the
        members.

    net_ : skorch.NeuralNet
        The skorch net that trained ``module_``."""


def fill_doc(cls):
    """Insert the shared parameter and attribute descriptions into a docstring.

    The estimators' ``learning_rate`` and ``spline_knots`` defaults differ;
    each docstring shows its own.

    Parameters
    ----------
    cls : type
        Estimator class whose docstring has the placeholders.

    Returns
    -------
    cls : type
        The same class.
    """
    defaults = inspect.signature(cls.__init__).parameters
    learning_rate = defaults["learning_rate"].default
    parameters = PARAMETERS_DOC.replace("LEARNING_RATE_DEFAULT", f"{learning_rate:g}")
    spline_knots = defaults["spline_knots"].default
    parameters = parameters.replace("SPLINE_KNOTS_DEFAULT", repr(spline_knots).replace("'", '"'))
    cls.__doc__ = cls.__doc__.format(parameters=parameters, attributes=ATTRIBUTES_DOC)
    return cls
