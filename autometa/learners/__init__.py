"""The registry of learners: estimator, preprocessing, defaults and search space of each.

Examples
--------
>>> from autometa.learners import get_learner
>>> rf = get_learner("RandomForestClassifier")
>>> rf.default_params()["max_features"]
'sqrt'
>>> pipe = rf.make_pipeline({"min_samples_leaf": 3})
"""

from __future__ import annotations

from autometa.learners._preprocessing import TabularPreprocessor, as_frame
from autometa.learners._registry import (
    TASKS,
    Configuration,
    Learner,
    get_learner,
    learner_names,
    learners_for,
)
from autometa.learners._space import Hyperparameter

__all__ = [
    "TASKS",
    "Configuration",
    "Hyperparameter",
    "Learner",
    "TabularPreprocessor",
    "as_frame",
    "get_learner",
    "learner_names",
    "learners_for",
]
