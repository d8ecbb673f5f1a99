"""scikit-learn estimators that choose their learner and hyperparameters from the data.

Examples
--------
>>> from autometa.estimators import MetaClassifier
>>> clf = MetaClassifier(n_candidates=3)
>>> clf.get_params()["n_candidates"]
3
"""

from __future__ import annotations

from autometa.estimators._base import METRIC_SCORING
from autometa.estimators._meta import MetaClassifier, MetaEstimatorMixin, MetaRegressor

__all__ = ["METRIC_SCORING", "MetaClassifier", "MetaEstimatorMixin", "MetaRegressor"]
