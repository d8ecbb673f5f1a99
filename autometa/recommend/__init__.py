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
    compute_metafeatures,
    infer_task,
    recommend,
    recommend_from_metafeatures,
    write_state_snapshots,
)
from autometa.recommend._recommendation import SCORE_SCALE, Recommendation, percentile_words

__all__ = [
    "percentile_words",
    "SCORE_SCALE",
    "Recommendation",
    "compute_metafeatures",
    "infer_task",
    "recommend",
    "recommend_from_metafeatures",
    "write_state_snapshots",
]


# ``autometa.recommend`` is both this package and the function: once the package is
# imported, Python sets the attribute ``autometa.recommend`` to the module, so the module is
# made callable (``autometa.recommend(df, target="y")`` calls :func:`recommend`).
def _make_callable() -> None:
    import inspect
    import sys
    import types

    class _CallableModule(types.ModuleType):
        def __call__(self, *args: object, **kwargs: object) -> Recommendation:
            return recommend(*args, **kwargs)  # type: ignore[arg-type]

    module = sys.modules[__name__]
    module.__class__ = _CallableModule
    module.__signature__ = inspect.signature(recommend)  # type: ignore[attr-defined]


_make_callable()
