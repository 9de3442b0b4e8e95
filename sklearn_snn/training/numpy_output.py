"""scikit-learn transformers inside the estimators answer with numpy arrays.

A caller's ``sklearn.set_config(transform_output="pandas")`` (or ``"polars"``)
makes every scikit-learn transformer return DataFrames, also the imputer,
encoders and spline bases the estimators use internally, whose outputs are
indexed as arrays. Their calls run under the default output instead; the
estimators' own outputs are not transforms and do not follow that setting.
"""

import functools

from sklearn import config_context


def numpy_output(function):
    """Run ``function`` with scikit-learn's default (numpy) transform output.

    Parameters
    ----------
    function : callable
        A function that calls scikit-learn transformers.

    Returns
    -------
    wrapped : callable
        ``function`` under ``config_context(transform_output="default")``.

    Examples
    --------
    >>> import numpy as np, sklearn
    >>> from sklearn.impute import SimpleImputer
    >>> from sklearn_snn.training.numpy_output import numpy_output
    >>> impute = numpy_output(lambda X: SimpleImputer().fit_transform(X))
    >>> with sklearn.config_context(transform_output="pandas"):
    ...     type(impute(np.array([[1.0], [np.nan]]))).__name__
    'ndarray'
    """

    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        with config_context(transform_output="default"):
            return function(*args, **kwargs)

    return wrapped
