"""Cost in recommendations: predicted fit time, a time budget, cheaper first among ties.

The cost model (:class:`autometa.models.CostModel`) comes with the meta-models (``cost`` in
``models.json``, fitted by ``autometa models train``); for a knowledge base given by the user
it is fitted on that knowledge base's runs on the fly (a second or so) and cached with it.
"""

from __future__ import annotations

import logging
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa._exceptions import ModelError, ParameterError
from autometa._resources import cached, kb_fingerprint, tree_stamp

__all__ = [
    "MIN_SECONDS",
    "TIE_TOLERANCE",
    "check_budget",
    "cost_model_for",
    "has_cost_model",
    "order_by_cost",
]

logger = logging.getLogger(__name__)

#: Two recommendations whose predicted scores differ by less than this tie.
TIE_TOLERANCE = 0.01
#: A tie goes to the cheaper configuration only when the better-scored one is predicted to
#: take longer than this many seconds and at least twice as long (the cost model's precision).
#: Against never breaking ties by cost, 1 s changed the first pick on 11 of 47 datasets and
#: scored lower on 9 of them, higher on none (small boosting runs underfit large data,
#: which the 1,000-row scores do not show); 10 s changed 2, both lower; 30 s changed none
#: (``benchmarks/cost_ties.py``). So only fits of half a minute or more give way.
MIN_SECONDS = 30.0


def check_budget(value: Any, owner: str) -> float | None:
    """``time_budget``: a number of seconds > 0, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ParameterError(
            f"The 'time_budget' parameter of {owner} must be a number of seconds > 0 or None. "
            f"Got {value!r} instead."
        )
    return float(value)


def has_cost_model(models_dir: str | Path) -> bool:
    """Whether a models directory holds a cost model (``<models_dir>/cost/cost.json``)."""
    return (Path(models_dir) / "cost" / "cost.json").is_file()


def cost_model_for(models_dir: str | Path | None, kb: Any, kb_key: str | None = None) -> Any:
    """The cost model of a models directory, else one fitted on ``kb``; None if neither.

    A missing or unreadable cost model is logged, never an error: recommendations then carry
    no predicted fit time. Both are cached (:mod:`autometa._resources`): the loaded one by its
    files, the fitted one by the knowledge base's content (``kb_key``, default its
    fingerprint).
    """
    from autometa.models import CostModel

    if models_dir is not None:
        path = (Path(models_dir) / "cost").resolve()
        if has_cost_model(models_dir):
            try:
                return cached("cost-model", (tree_stamp(path),), lambda: CostModel.load(path))
            except ModelError as exc:
                logger.warning("The cost model at %s cannot be read: %s", path, exc)
    if kb is None:
        return None

    def fit() -> Any:
        try:
            return CostModel().fit(kb)
        except ModelError as exc:
            logger.info("No cost model for this knowledge base: %s", exc)
            return None

    key = kb_fingerprint(kb) if kb_key is None else kb_key
    return cached("cost-model-fitted", (key,), fit)


def order_by_cost(
    table: pd.DataFrame,
    fit_time: pd.Series,
    *,
    time_budget: float | None,
    tolerance: float = TIE_TOLERANCE,
    owner: str = "recommend",
) -> pd.DataFrame:
    """``table`` (best first, with ``score``) filtered by the budget, cheaper first among ties.

    Rows predicted to take longer than ``time_budget`` to fit are dropped (if every row is,
    the cheapest is kept, with a warning). Then, repeatedly, the best-scored remaining row
    comes next, unless a row whose score is within ``tolerance`` of it is predicted to fit
    at least twice as fast and the best-scored one to take more than :data:`MIN_SECONDS`:
    then the fastest of those tied comes next (a row without a predicted time counts as the
    slowest). Rows without
    a score come last, in their order; without any predicted time the order is unchanged.
    """
    table = table.assign(fit_time=fit_time.to_numpy(dtype=np.float64))
    if time_budget is not None:
        known = table["fit_time"].notna()
        fits = ~known | (table["fit_time"] <= time_budget)
        if not fits.any():
            cheapest = table.loc[known, "fit_time"].idxmin()
            warnings.warn(
                f"No recommendation is predicted to fit within the time budget of "
                f"{time_budget:g} s; the cheapest ({table.loc[cheapest, 'learner']}, predicted "
                f"{table.loc[cheapest, 'fit_time']:.3g} s) is kept. Raise 'time_budget' of "
                f"{owner}, or subsample the data.",
                UserWarning,
                stacklevel=3,
            )
            fits = table.index == cheapest
        table = table.loc[fits]
    score = table["score"].to_numpy(dtype=np.float64)
    cost = table["fit_time"].to_numpy(dtype=np.float64)
    if not np.isfinite(score).any() or not np.isfinite(cost).any():
        return table.reset_index(drop=True)
    cost = np.where(np.isfinite(cost), cost, math.inf)  # no prediction: the slowest
    left = np.isfinite(score)  # rows still to place; those without a score come last
    order: list[int] = []
    while left.any():
        top = int(np.argmax(np.where(left, score, -math.inf)))  # first of the best
        tied = np.flatnonzero(left & (score >= score[top] - tolerance))
        pick = int(tied[np.argmin(cost[tied])])  # the fastest, the first among equals
        if not cost[top] > max(MIN_SECONDS, 2.0 * cost[pick]):
            pick = top
        order.append(pick)
        left[pick] = False
    order += np.flatnonzero(~np.isfinite(score)).tolist()
    return table.iloc[order].reset_index(drop=True)
