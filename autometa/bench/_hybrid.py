"""Hybrid meta-models: the greedy portfolio's first picks, then another model's order.

A candidate for the shipped default (issue 14): the portfolio's first ``k0``
configurations cover the training datasets best on average, and the model that follows
(the surrogate, the ``maml`` ranker, nearest datasets) orders the rest for the dataset at
hand. An adaptive model that follows (``maml``) adapts to the portfolio's observed trials.

The hybrid lives in the benchmark package while it is a candidate; to ship it as a
default it would be registered in ``autometa/models/_registry.py``.

Examples
--------
>>> from autometa.bench import hybrid_method
>>> hybrid_method("portfolio3+sbs").name
'portfolio3+sbs'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from autometa._exceptions import ModelError, ParameterError
from autometa._validation import check_positive_int
from autometa.models import MetaModel, Prediction, TaskData

__all__ = ["HYBRID_PATTERN", "PortfolioHybrid", "hybrid_method", "is_hybrid_name"]

#: ``portfolio<k0>+<model>``: e.g. ``portfolio3+maml``.
HYBRID_PATTERN = re.compile(r"^portfolio(\d+)\+([A-Za-z0-9_]+)$")


def is_hybrid_name(name: str) -> bool:
    return HYBRID_PATTERN.match(name) is not None


class PortfolioHybrid(MetaModel):
    """The greedy portfolio's first ``k0`` configurations, then ``inner``'s order.

    Parameters
    ----------
    inner : str, default="maml"
        A registered meta-model (``autometa.models.model_names()``) fitted on the same data.
    k0 : int, default=3
        How many of the portfolio's configurations come first.
    random_state : int, default=0
        Passed to the inner model.

    Attributes
    ----------
    portfolio_ : GreedyPortfolio
    inner_ : MetaModel
    """

    name: ClassVar[str] = "hybrid"

    def __init__(self, *, inner: str = "maml", k0: int = 3, random_state: int = 0) -> None:
        super().__init__(random_state=random_state)
        self.inner = inner
        self.k0 = k0

    @classmethod
    def from_fitted(cls, inner: MetaModel, data: TaskData, *, k0: int) -> PortfolioHybrid:
        """A hybrid around an ``inner`` model already fitted on ``data`` (not refitted)."""
        hybrid = cls(inner=type(inner).name, k0=k0, random_state=inner.random_state)
        hybrid.inner_ = inner
        MetaModel.fit(hybrid, data)  # fits only the portfolio (see _fit)
        return hybrid

    def _fit(self, data: TaskData) -> None:
        from autometa.models import GreedyPortfolio, model_class

        check_positive_int(self.k0, "k0", type(self).__name__)
        self.portfolio_ = GreedyPortfolio()
        self.portfolio_.fit(data)
        if getattr(self, "inner_", None) is None:
            self.inner_ = model_class(self.inner)(random_state=self.random_state).fit(data)
        self.head_ = list(self.portfolio_.order[: self.k0])

    def _combine(self, head: list[str], rest: list[str]) -> list[str]:
        taken = set(head)
        return head + [c for c in rest if c not in taken]

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        assert self.config_ids_ is not None
        inner = self.inner_.predict(metafeatures).mean
        n = len(self.config_ids_)
        rows = []
        for i in range(len(metafeatures)):
            rest = list(inner.iloc[i].sort_values(ascending=False, kind="stable").index)
            order = self._combine(self.head_, rest)
            values = pd.Series(1.0 - np.arange(n) / n, index=order)
            rows.append(values.reindex(self.config_ids_).to_numpy())
        return Prediction(
            mean=self._frame(np.array(rows), metafeatures.index),
            extras={"ordering_scores": True},
        )

    def rank(
        self, metafeatures: pd.Series, observed: Mapping[str, float] | None = None
    ) -> list[str]:
        """The portfolio's first ``k0`` not yet observed, then the inner model's order.

        An adaptive inner model is given the observations so far (the portfolio's trials).
        """
        self._check_fitted()
        seen = set(observed or ())
        head = [c for c in self.head_ if c not in seen]
        return self._combine(head, self.inner_.rank(metafeatures, dict(observed or {})))

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise ModelError(
            "A PortfolioHybrid is a benchmark candidate and cannot be saved; save its "
            "portfolio_ and inner_ models instead."
        )


class _HybridFactory:
    """``make(seed)`` of a hybrid (picklable, for joblib)."""

    def __init__(self, inner: str, k0: int) -> None:
        self.inner, self.k0 = inner, k0

    def __call__(self, seed: int) -> PortfolioHybrid:
        return PortfolioHybrid(inner=self.inner, k0=self.k0, random_state=seed)


def hybrid_method(name: str, *, fit_once: bool = False) -> Any:
    """The benchmark :class:`~autometa.bench.Method` of ``portfolio<k0>+<model>``.

    Raises
    ------
    ParameterError
        When the name does not have that form or the model is not registered.
    """
    from autometa.bench._lodo import Method
    from autometa.models import model_class, model_names

    match = HYBRID_PATTERN.match(name)
    if match is None:
        raise ParameterError(
            f"A hybrid method is named 'portfolio<k0>+<model>', e.g. 'portfolio3+maml'. Got "
            f"{name!r} instead."
        )
    k0, inner = int(match.group(1)), match.group(2)
    if k0 < 1:
        raise ParameterError(f"The k0 of the hybrid method {name!r} must be >= 1. Got 0.")
    if inner not in model_names():
        raise ParameterError(
            f"Unknown meta-model '{inner}' in the hybrid method {name!r}. Known meta-models "
            f"are: {', '.join(model_names())}."
        )
    deterministic = fit_once or bool(getattr(model_class(inner), "deterministic", False))
    return Method(name, _HybridFactory(inner, k0), deterministic=deterministic)
