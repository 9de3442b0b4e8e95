"""The skorch side of training: from checked samples to a trained net.

``BaseSNN.fit`` runs these stages in order:

1. :mod:`~sklearn_snn.training.checks`: input errors that name the column.
2. :mod:`~sklearn_snn.training.class_weight`: class weights as sample weights.
3. :mod:`~sklearn_snn.training.duplicates`: repeated rows merged, canonical order.
4. :mod:`~sklearn_snn.training.standardization`: weighted scaling of inputs and targets.
5. :mod:`~sklearn_snn.training.holdout`: the validation split of early stopping.
6. :mod:`~sklearn_snn.training.samples`: tensors on the device, mini-batches.
7. :mod:`~sklearn_snn.training.net`: the skorch net, sole owner of the optimizer
   (with :mod:`~sklearn_snn.training.ensemble`: how ensemble members share a loss).
8. :mod:`~sklearn_snn.training.callbacks`: divergence guard, schedule
   (:mod:`~sklearn_snn.training.schedule`), best-epoch selection
   (:mod:`~sklearn_snn.training.best_epoch`), early stopping, progress bar.
9. :mod:`~sklearn_snn.training.temperature`: calibration after label smoothing.
10. :mod:`~sklearn_snn.training.report`: fitted attributes and warnings.

Before them, :mod:`~sklearn_snn.training.encoding` turns a table's categories
and missing values into numbers, with the weighted means of
:mod:`~sklearn_snn.training.weighted_means`; around them,
:mod:`~sklearn_snn.training.continuation` says what a continued
fit may change, :mod:`~sklearn_snn.training.rollback` undoes a fit that fails and
:mod:`~sklearn_snn.training.state` owns the seeds, the generators and the saved
state of a net.
"""
