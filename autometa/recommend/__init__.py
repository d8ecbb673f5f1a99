"""Recommendations: meta-features -> meta-model -> a ranked, explained :class:`Recommendation`.

Examples
--------
>>> import autometa
>>> from sklearn.datasets import load_breast_cancer
>>> df = load_breast_cancer(as_frame=True).frame
>>> rec = autometa.recommend(df, target="target", top_k=5)  # doctest: +SKIP
>>> print(rec.explain())  # doctest: +SKIP
"""

from __future__ import annotations

from autometa.recommend._recommend import (
    infer_task,
    recommend,
    recommend_from_metafeatures,
)
from autometa.recommend._recommendation import SCORE_SCALE, Recommendation

__all__ = [
    "SCORE_SCALE",
    "Recommendation",
    "infer_task",
    "recommend",
    "recommend_from_metafeatures",
]
