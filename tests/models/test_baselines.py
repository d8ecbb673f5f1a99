"""The baseline meta-models: each order matches its definition; save/load; errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autometa._exceptions import ModelError, NotFittedError, ParameterError
from autometa.learners import get_learner
from autometa.models import (
    DefaultsModel,
    GreedyPortfolio,
    MetaModel,
    NearestDatasets,
    NearestDatasets50,
    SingleBest,
    TaskData,
    model_class,
)
from models._synthetic import make_task_data

BASELINES = (DefaultsModel, SingleBest, GreedyPortfolio, NearestDatasets, NearestDatasets50)


def hand_data(scores: list[list[float]], mf: list[list[float]] | None = None) -> TaskData:
    """A TaskData over a hand-made normalized matrix (datasets d0.., configs c0..)."""
    frame = pd.DataFrame(scores)
    frame.index = pd.Index([f"d{i}" for i in range(frame.shape[0])], name="dataset_id")
    frame.columns = pd.Index([f"c{j}" for j in range(frame.shape[1])], name="config_id")
    if mf is None:
        mf = [[float(i)] for i in range(frame.shape[0])]
    meta = pd.DataFrame(mf, index=frame.index).add_prefix("general.f")
    return TaskData(
        task="classification",
        metric="balanced_accuracy",
        metafeatures=meta.astype("float64"),
        configurations=pd.DataFrame(
            {"learner": "LogisticRegression", "params": "{}"}, index=frame.columns
        ),
        scores=frame.astype("float64"),
        raw=frame.astype("float64"),
        families=pd.Series(list(frame.index), index=frame.index),
    )


# 3 datasets x 4 configurations. Means: c0 1.3/3, c1 1.0/3, c2 2.1/3, c3 1.7/3.
HAND = [
    [1.0, 0.0, 0.5, 0.8],
    [0.0, 1.0, 0.6, 0.7],
    [0.3, 0.0, 1.0, 0.2],
]


def test_single_best_orders_by_mean_training_score() -> None:
    model = SingleBest().fit(hand_data(HAND))
    # c2 (0.70) > c3 (0.57) > c0 (0.43) > c1 (0.33)
    assert model.rank(pd.Series({"general.f0": 0.0})) == ["c2", "c3", "c0", "c1"]


def test_single_best_predicts_the_mean_training_score() -> None:
    data = make_task_data(n_datasets=12)
    pred = SingleBest().fit(data).predict(data.metafeatures.iloc[:3])
    expected = data.scores.mean(axis=0).to_numpy()
    np.testing.assert_allclose(pred.mean.to_numpy(), np.tile(expected, (3, 1)))
    assert list(pred.mean.columns) == data.config_ids


def test_single_best_skips_missing_cells_in_the_mean() -> None:
    # c0 is missing on d1, where every configuration is bad: its mean over d0, d2 is 0.75.
    data = hand_data([[1.0, 0.6], [np.nan, 0.0], [0.5, 1.0]])
    model = SingleBest().fit(data)
    np.testing.assert_allclose(model.mean_score_, [0.75, 1.6 / 3])
    assert model.order == ["c0", "c1"]


def test_greedy_portfolio_minimizes_mean_regret_of_the_best_so_far() -> None:
    model = GreedyPortfolio().fit(hand_data(HAND))
    # Step 1: c2 has the best mean (best-so-far 0.5, 0.6, 1.0).
    # Step 2: gains c0 (0.5+0+0)/3, c1 (0+0.4+0)/3, c3 (0.3+0.1+0)/3 -> c0 (1.0, 0.6, 1.0).
    # Step 3: gains c1 0.4/3, c3 0.1/3 -> c1; every dataset is covered (regret 0).
    # Tail: c3 by single-best order.
    assert model.order == ["c2", "c0", "c1", "c3"]
    assert model.portfolio_size_ == 3
    np.testing.assert_allclose(model.train_regret_, [0.3, 0.4 / 3, 0.0], atol=1e-12)


def test_greedy_portfolio_breaks_ties_and_fills_the_tail_by_single_best_order() -> None:
    # c1 and c2 give the same gain after c0; c2 has the better mean (ties -> SBS order);
    # c3 never helps and comes last, c1 before it as the better mean.
    data = hand_data([[1.0, 0.0, 0.0, 0.5], [0.0, 1.0, 1.0, 0.0], [0.6, 0.0, 0.5, 0.0]])
    model = GreedyPortfolio().fit(data)
    sbs = SingleBest().fit(data).order
    assert sbs[:2] == ["c0", "c2"]
    assert model.order == ["c0", "c2", "c1", "c3"]


def test_greedy_portfolio_matches_a_naive_greedy_on_synthetic_data() -> None:
    data = make_task_data(n_datasets=15, configs_per_learner=3)
    model = GreedyPortfolio().fit(data)
    scores = data.scores.to_numpy()
    best = np.zeros(scores.shape[0])
    for step in range(model.portfolio_size_):
        chosen = data.config_ids.index(model.order[step])
        regrets = [1 - np.maximum(best, scores[:, j]).mean() for j in range(scores.shape[1])]
        assert 1 - np.maximum(best, scores[:, chosen]).mean() == pytest.approx(min(regrets))
        best = np.maximum(best, scores[:, chosen])
    assert best.min() == pytest.approx(1.0)  # the portfolio covers every dataset
    assert sorted(model.order) == sorted(data.config_ids)


def test_defaults_first_by_mean_score_then_single_best_order() -> None:
    data = make_task_data(n_datasets=12)
    defaults = {
        get_learner(lrn).default_configuration().config_id
        for lrn in data.configurations["learner"].unique()
    }
    assert defaults <= set(data.config_ids)
    model = DefaultsModel().fit(data)
    order = model.order
    mean = data.scores.mean(axis=0)
    head = order[: len(defaults)]
    assert set(head) == defaults
    assert list(mean[head]) == sorted(mean[head], reverse=True)
    sbs_rest = [c for c in SingleBest().fit(data).order if c not in defaults]
    assert order[len(defaults) :] == sbs_rest
    assert model.n_defaults_ == len(defaults)


def test_defaults_without_any_default_in_the_pool_is_single_best(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = hand_data(HAND)  # params "{}" are not LogisticRegression's complete defaults
    with caplog.at_level("WARNING"):
        model = DefaultsModel().fit(data)
    assert model.order == SingleBest().fit(data).order
    assert "no learner's default configuration is in the pool" in caplog.text


def test_nearest_takes_the_best_configuration_of_each_nearest_dataset_in_turn() -> None:
    # Meta-feature 0, 1, 10; query 0.9: nearest d1 (best c1), then d0 (c0), then d2 (c2).
    data = hand_data(HAND, mf=[[0.0], [1.0], [10.0]])
    model = NearestDatasets(n_configs=2).fit(data)
    assert model.rank(pd.Series({"general.f0": 0.9})) == ["c1", "c0", "c2", "c3"]
    # With all three neighbours: c1, c0, c2, then c3 by single-best order.
    model = NearestDatasets(n_configs=3).fit(data)
    assert model.rank(pd.Series({"general.f0": 9.0})) == ["c2", "c1", "c0", "c3"]


def test_nearest_deduplicates_the_neighbours_best_configurations() -> None:
    # d0 and d1 share their best configuration c0; the second pick is d2's best, c2.
    data = hand_data([[1.0, 0.5, 0.0], [1.0, 0.0, 0.2], [0.0, 0.1, 1.0]], mf=[[0], [1], [2]])
    assert NearestDatasets(n_configs=2).fit(data).rank(pd.Series({"general.f0": 0.0}))[:2] == [
        "c0",
        "c2",
    ]


def test_nearest_picks_the_closest_datasets_best_first_on_synthetic_data() -> None:
    data = make_task_data(n_datasets=20)
    model = NearestDatasets().fit(data)
    for i in (0, 7, 13):
        row = data.metafeatures.iloc[i]
        best = data.scores.iloc[i].idxmax()
        assert model.rank(row)[0] == best


def test_nearest_uses_min_max_scaling_of_the_training_datasets() -> None:
    # Feature 0 spans 0..1000, feature 1 spans 0..1; unscaled, feature 0 would decide.
    data = hand_data(HAND, mf=[[0.0, 0.0], [1000.0, 1.0], [600.0, 0.0]])
    model = NearestDatasets(n_configs=1).fit(data)
    # Scaled query (0.7, 0.9): L1 mean to d0 0.8, to d1 0.2, to d2 ~0.5 -> d1's best, c1.
    assert model.rank(pd.Series({"general.f0": 700.0, "general.f1": 0.9}))[0] == "c1"
    np.testing.assert_allclose(model.min_, [0.0, 0.0])
    np.testing.assert_allclose(model.max_, [1000.0, 1.0])


def test_nearest_ignores_meta_features_missing_on_either_side() -> None:
    data = hand_data(HAND, mf=[[0.0, 0.0], [1.0, np.nan], [2.0, 1.0]])
    model = NearestDatasets(n_configs=1).fit(data)
    dist = model.distances(pd.Series({"general.f0": 1.0, "general.f1": np.nan}))
    # Only feature 0 is shared: scaled distances 0.5, 0, 0.5.
    np.testing.assert_allclose(dist.to_numpy(), [[0.5, 0.0, 0.5]])
    # Query with nothing in common with the training datasets: single-best order.
    no_overlap = pd.Series({"general.other": 3.0})
    assert model.rank(no_overlap) == SingleBest().fit(data).order


@pytest.mark.parametrize("klass", BASELINES)
def test_save_load_round_trip_gives_the_same_ranking(klass: type[MetaModel], tmp_path) -> None:
    data = make_task_data(n_datasets=16)
    model = klass().fit(data)
    model.save(tmp_path / "m")
    loaded = MetaModel.load(tmp_path / "m")
    assert type(loaded) is klass
    for i in range(4):
        row = data.metafeatures.iloc[i]
        assert loaded.rank(row) == model.rank(row)
        assert loaded.rank(row, {model.rank(row)[0]: 0.5}) == model.rank(row)[1:]
    pd.testing.assert_frame_equal(
        loaded.predict(data.metafeatures).mean, model.predict(data.metafeatures).mean
    )


def test_nearest_round_trip_keeps_its_parameter(tmp_path) -> None:
    model = NearestDatasets(n_configs=3).fit(make_task_data(n_datasets=10))
    model.save(tmp_path / "m")
    assert NearestDatasets.load(tmp_path / "m").n_configs == 3


def test_loading_a_baseline_as_another_class_is_an_error(tmp_path) -> None:
    SingleBest().fit(make_task_data(n_datasets=6)).save(tmp_path / "m")
    with pytest.raises(ModelError, match="holds a 'sbs' model, not a 'nearest'"):
        NearestDatasets.load(tmp_path / "m")


@pytest.mark.parametrize("name", ["defaults", "sbs", "portfolio", "nearest"])
def test_baselines_are_registered(name: str) -> None:
    klass = model_class(name)
    assert klass.name == name
    assert klass in BASELINES


@pytest.mark.parametrize("klass", BASELINES)
def test_rank_leaves_out_observed_and_returns_every_other_configuration(klass) -> None:
    data = make_task_data(n_datasets=10)
    model = klass().fit(data)
    row = data.metafeatures.iloc[0]
    full = model.rank(row)
    assert sorted(full) == sorted(data.config_ids)
    observed = {full[0]: 0.7, full[3]: 0.1}
    assert model.rank(row, observed) == [c for c in full if c not in observed]


@pytest.mark.parametrize("klass", BASELINES)
def test_unfitted_baseline_is_an_error(klass) -> None:
    with pytest.raises(NotFittedError, match=f"This {klass.__name__} is not fitted yet"):
        klass().predict(pd.Series({"general.f0": 0.0}))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_nearest_n_configs_must_be_a_positive_int(bad) -> None:
    with pytest.raises(
        ParameterError,
        match=r"The 'n_configs' parameter of NearestDatasets must be an int >= 1\. Got",
    ):
        NearestDatasets(n_configs=bad).fit(hand_data(HAND))


def test_nearest50_takes_the_best_of_the_50_nearest_datasets():
    assert NearestDatasets50().n_configs == 50
    assert model_class("nearest50") is NearestDatasets50
