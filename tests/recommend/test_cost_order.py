"""Recommendations and cost: the time budget and the cheaper of tied recommendations first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autometa._exceptions import ParameterError
from autometa.recommend._cost import check_budget, order_by_cost


def _table(scores, learners=None):
    n = len(scores)
    return pd.DataFrame(
        {
            "learner": learners or [f"L{i}" for i in range(n)],
            "score": scores,
            "rank": range(1, n + 1),
        }
    )


def test_among_tied_scores_the_cheaper_comes_first():
    table = _table([0.950, 0.945, 0.90, 0.895])
    out = order_by_cost(table, pd.Series([60.0, 1.0, 45.0, 0.1]), time_budget=None)
    # 0.945 ties with 0.950 (within 0.01) and is 60x cheaper; then 0.950; 0.895 ties 0.90
    assert out["learner"].tolist() == ["L1", "L0", "L3", "L2"]
    assert out["fit_time"].tolist() == [1.0, 60.0, 0.1, 45.0]


def test_small_or_similar_times_do_not_reorder_ties():
    table = _table([0.95, 0.945, 0.94])
    # a fit of under half a minute keeps its place: at 1 and 10 s the cheaper first picks
    # scored lower (benchmarks/cost_ties.py)
    out = order_by_cost(table, pd.Series([25.0, 1.0, 0.01]), time_budget=None)
    assert out["learner"].tolist() == ["L0", "L1", "L2"]
    out = order_by_cost(table, pd.Series([90.0, 60.0, np.nan]), time_budget=None)
    assert out["learner"].tolist() == ["L0", "L1", "L2"]  # not twice as fast


def test_a_clearly_better_recommendation_stays_first_however_slow():
    out = order_by_cost(_table([0.95, 0.80]), pd.Series([300.0, 0.1]), time_budget=None)
    assert out["learner"].tolist() == ["L0", "L1"]


def test_the_budget_drops_what_is_predicted_not_to_fit():
    table = _table([0.95, 0.90, 0.80])
    out = order_by_cost(table, pd.Series([120.0, 10.0, np.nan]), time_budget=60)
    assert out["learner"].tolist() == ["L1", "L2"]  # unknown cost is kept


def test_when_nothing_fits_the_cheapest_is_kept_with_a_warning():
    table = _table([0.95, 0.90])
    with pytest.warns(UserWarning, match="No recommendation is predicted to fit within"):
        out = order_by_cost(table, pd.Series([120.0, 90.0]), time_budget=5)
    assert out["learner"].tolist() == ["L1"]


def test_without_predicted_times_the_order_is_unchanged():
    table = _table([0.9, 0.95, np.nan])
    out = order_by_cost(table, pd.Series([np.nan] * 3), time_budget=None)
    assert out["learner"].tolist() == ["L0", "L1", "L2"]


@pytest.mark.parametrize("bad", [0, -1, "fast", True])
def test_a_bad_budget_is_named(bad):
    with pytest.raises(ParameterError, match="'time_budget' parameter of X must be a number"):
        check_budget(bad, "X")
    assert check_budget(None, "X") is None and check_budget(2, "X") == 2.0


def test_recommend_shows_fit_times_and_respects_a_budget():
    import warnings

    from sklearn.datasets import make_classification

    import autometa

    X, y = make_classification(n_samples=300, n_features=8, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = autometa.recommend(X, y=y, top_k=500)
        assert rec.table["fit_time"].notna().all()
        assert (rec.table["fit_time"] > 0).all()
        budget = float(rec.table["fit_time"].median())
        cheap = autometa.recommend(X, y=y, top_k=500, time_budget=budget)
    assert (cheap.table["fit_time"] <= budget).all()
    assert len(cheap) < len(rec)
    assert f"within {budget:g} s" in cheap.order_text()
    assert "fit_time" in rec.to_frame().columns
