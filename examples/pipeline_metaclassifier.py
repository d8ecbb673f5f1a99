"""MetaClassifier inside a scikit-learn Pipeline, cross-validated.

``n_candidates=3``: the three first recommendations are cross-validated inside ``fit`` and
the best is kept (``AUTOMETA_EXAMPLE_CANDIDATES`` sets another number). Uses the shipped default knowledge base and meta-models.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from sklearn.datasets import load_wine
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from autometa import MetaClassifier

X, y = load_wine(return_X_y=True, as_frame=True)
X = X.copy()
X.loc[X.index[::9], "alcohol"] = np.nan  # missing values are handled by the chosen pipeline

# Candidates cross-validated in fit; AUTOMETA_EXAMPLE_CANDIDATES=2 makes a quick run (the
# test suite uses it).
N_CANDIDATES = int(os.environ.get("AUTOMETA_EXAMPLE_CANDIDATES", "3"))
pipe = make_pipeline(
    StandardScaler().set_output(transform="pandas"),
    MetaClassifier(n_candidates=N_CANDIDATES, cv=3),
)
scores = cross_val_score(pipe, X, y, cv=3)
print(f"cross-validated accuracy: {scores.mean():.3f} +/- {scores.std():.3f}")

clf = pipe.fit(X, y)[-1]
print(f"chosen: {clf.best_learner_} {clf.best_params_}")
print(pd.DataFrame(clf.cv_results_)[["recommendation_rank", "learner", "mean_test_score"]])
