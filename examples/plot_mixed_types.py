"""
A raw table with categories and missing values
==============================================

Real tables mix numbers, categories and gaps. ``SNNClassifier`` takes such a
pandas DataFrame as it comes: columns of ``category``, ``object``, ``string``
or ``bool`` dtype are encoded inside the estimator (one-hot, or target
encoding for many categories), and missing numbers are imputed with an
indicator column. ``HistGradientBoostingClassifier`` does the same for
``category`` columns, so the text columns below are pandas categories, and
there is no preprocessing code for either of them. ``RandomForestClassifier``
takes missing numbers but not categories, so it gets the one encoder it needs.
The example needs pandas (``pip install pandas``) beside the ``[plot]`` extra.
"""

# %%
# A customer table
# ----------------
# Churn depends on the contract type, the payment method, the region and on
# how tenure and monthly charges interact; a fifth of the charges and some
# payment methods are missing.
import time

import numpy as np
import pandas as pd
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

from sklearn_snn import SNNClassifier

rng = np.random.default_rng(0)
n = 1200
contract = rng.choice(["monthly", "yearly", "two-year"], n, p=[0.5, 0.3, 0.2])
payment = rng.choice(["card", "transfer", "check", None], n, p=[0.4, 0.3, 0.2, 0.1])
region = rng.choice([f"region {i:02d}" for i in range(60)], n)
tenure = rng.gamma(2.0, 12.0, n)
charges = rng.normal(70, 20, n)
region_effect = dict(zip(sorted(set(region)), rng.normal(0, 1, 60), strict=True))
logit = (
    1.5 * (contract == "monthly")
    - 1.0 * (contract == "two-year")
    + 0.8 * (payment == "check")
    - 0.05 * tenure
    + 0.03 * (charges - 70) * (tenure < 12)
    + np.array([region_effect[r] for r in region])
)
churn = rng.random(n) < 1 / (1 + np.exp(-logit))
table = pd.DataFrame(
    {
        "tenure": tenure,
        "monthly_charges": np.where(rng.random(n) < 0.2, np.nan, charges),
        "contract": pd.Categorical(contract),
        "payment": pd.Categorical(payment),
        "region": pd.Categorical(region),
        "paperless": rng.random(n) < 0.6,
    }
)
table.head()

# %%
# Three models, straight on the table
# -----------------------------------
# The same 3-fold cross-validation for each; accuracy and fit time.
encode_text = make_column_transformer(
    (
        OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
        make_column_selector(dtype_exclude="number"),
    ),
    remainder="passthrough",
)
models = {
    "sklearn-snn": SNNClassifier(random_state=0),
    "HistGradientBoosting": HistGradientBoostingClassifier(
        categorical_features="from_dtype", random_state=0
    ),
    "RandomForest (+ encoder)": make_pipeline(encode_text, RandomForestClassifier(random_state=0)),
}
for name, model in models.items():
    start = time.perf_counter()
    scores = cross_validate(model, table, churn, cv=3)
    print(
        f"{name:26s} accuracy {scores['test_score'].mean():.3f} "
        f"± {scores['test_score'].std():.3f}   {time.perf_counter() - start:5.1f} s"
    )

# %%
# What the estimator learned about the columns
# --------------------------------------------
# The fitted encoder is scikit-learn's own ColumnTransformer: one-hot for the
# contract, payment and paperless columns (a missing payment is a category of
# its own), target encoding for the 60 regions, and the mean plus a missing
# indicator for the charges.
snn = SNNClassifier(random_state=0).fit(table, churn)
print(snn.feature_names_in_)
print(snn._column_encoder)
new_customer = table.head(1).assign(payment=None, region="unseen")
print(
    "churn probability of a customer from an unseen region:", snn.predict_proba(new_customer)[0, 1]
)
