"""
Quickstart: an SNN beside RandomForest, SVC and MLP
===================================================

Choose the depth of an :class:`~sklearn_snn.SNNClassifier` by grid search,
then compare it in 5-fold cross-validation with the usual baselines on the
breast-cancer data bundled with scikit-learn.
"""

# %%
import time

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_snn import SNNClassifier

X, y = load_breast_cancer(return_X_y=True)
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)

# %%
# Grid search over depth. SNNClassifier standardizes its inputs itself, and by
# default trains an ensemble of four SNNs as one batched network, stopping on a
# held-out tenth of the data and keeping the best epoch.
search = GridSearchCV(
    SNNClassifier(random_state=0),
    {"n_layers": [4, 8, 16]},
    cv=cv,
    n_jobs=2,
)
search.fit(X, y)
for depth, score in zip(
    search.cv_results_["param_n_layers"], search.cv_results_["mean_test_score"], strict=True
):
    print(f"n_layers={depth:<2d}  mean CV accuracy {score:.5f}")
print(f"best depth: {search.best_params_['n_layers']}\n")

# %%
# The tuned SNN beside the baselines, on the same folds.
models = {
    "SNNClassifier": search.best_estimator_,
    "RandomForest": RandomForestClassifier(n_estimators=300, random_state=0),
    "SVC (RBF)": make_pipeline(StandardScaler(), SVC()),
    "MLPClassifier": make_pipeline(StandardScaler(), MLPClassifier(max_iter=500, random_state=0)),
}
print(f"{'model':<15} {'accuracy':>10} {'std':>8} {'fit time [s]':>13}")
for name, model in models.items():
    start = time.perf_counter()
    result = cross_validate(model, X, y, cv=cv, n_jobs=2)
    scores = result["test_score"]
    print(
        f"{name:<15} {scores.mean():>10.4f} {scores.std():>8.4f} "
        f"{np.mean(result['fit_time']):>13.2f}"
    )
