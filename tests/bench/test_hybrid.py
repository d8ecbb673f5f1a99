"""Hybrid methods (portfolio first, then a model) and significance in the harness."""

from __future__ import annotations

import pandas as pd
import pytest
from models._synthetic import make_task_data

from autometa._exceptions import ParameterError
from autometa.bench import PortfolioHybrid, hybrid_method, make_methods, run_lodo
from autometa.models import GreedyPortfolio, NearestDatasets


def test_hybrid_takes_the_portfolio_head_then_the_inner_order() -> None:
    data = make_task_data(n_datasets=20)
    hybrid = PortfolioHybrid(inner="nearest", k0=2).fit(data)
    portfolio = GreedyPortfolio().fit(data)
    nearest = NearestDatasets().fit(data)
    mf = data.metafeatures.iloc[0]
    order = hybrid.rank(mf)
    head = portfolio.order[:2]
    assert order[:2] == head
    assert order[2:] == [c for c in nearest.rank(mf) if c not in head]
    assert sorted(order) == sorted(data.config_ids)
    # once the head is observed, the inner model orders the rest
    observed = {c: 0.5 for c in head}
    assert hybrid.rank(mf, observed) == nearest.rank(mf, observed)
    # predict agrees with rank (ordering scores)
    pred = hybrid.predict(mf).mean.iloc[0]
    assert list(pred.sort_values(ascending=False, kind="stable").index) == order


def test_hybrid_in_the_harness_matches_its_parts() -> None:
    data = make_task_data(n_datasets=12)
    result = run_lodo(
        data, methods=["portfolio", "nearest", "portfolio2+nearest"], seeds=1, k_max=6
    )
    curves = result.curves.set_index(["method", "dataset_id", "k"])["regret"]
    # the first two trials are the portfolio's, so is the regret after them
    for d in data.dataset_ids:
        assert curves[("portfolio2+nearest", d, 2)] == pytest.approx(curves[("portfolio", d, 2)])
    assert "portfolio2+nearest" in result.methods


def test_hybrid_names_are_checked() -> None:
    assert make_methods(["portfolio3+sbs"])[0].deterministic
    with pytest.raises(ParameterError, match="Unknown meta-model 'nope'"):
        hybrid_method("portfolio3+nope")
    with pytest.raises(ParameterError, match="portfolio<k0>"):
        hybrid_method("portfolio+sbs")
    with pytest.raises(ParameterError, match="Unknown method 'portfolioX'"):
        make_methods(["portfolioX"])


def test_significance_against_the_reference() -> None:
    data = make_task_data(n_datasets=16)
    result = run_lodo(data, methods=["random", "sbs", "nearest"], seeds=2, k_max=5)
    assert result.reference() == "sbs"
    sig = result.significance(ks=(1, 5))
    assert set(sig.index.get_level_values("method")) == {"random", "nearest"}
    wide = result.per_dataset(1, "classification")
    diff = (wide["random"] - wide["sbs"]).mean()
    assert sig.loc[("classification", "random"), "diff@1"] == pytest.approx(diff)
    wins = int((wide["random"] < wide["sbs"]).sum())
    assert sig.loc[("classification", "random"), "wins@1"] == wins
    assert 0.0 <= sig.loc[("classification", "random"), "p@1"] <= 1.0
    md = result.to_markdown(ks=(1, 5))
    assert "Against `sbs`" in md and "| `random` |" in md
    with pytest.raises(ParameterError, match="'reference'"):
        result.significance("maml")
    assert isinstance(wide, pd.DataFrame)
