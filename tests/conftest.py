"""Shared fixtures and test-session settings."""

import os

# scikit-learn's array-API estimator check runs only with this set, and it
# must be set before scipy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
