"""The leave-one-family-out harness: no leakage, look-up regret, random search, table, CLI."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from math import comb
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from models._synthetic import make_task_data

from autometa._exceptions import ModelError, ParameterError
from autometa.bench import LodoResult, Method, make_methods, run_lodo
from autometa.cli import main
from autometa.models import MetaModel, Prediction, SingleBest, TaskData

BASELINES = ["defaults", "sbs", "portfolio", "nearest"]


def hand_data(scores: list[list[float]], *, metric: str = "balanced_accuracy") -> TaskData:
    """One family per dataset; raw values = normalized scores (or 1 - score for rmse)."""
    frame = pd.DataFrame(scores)
    frame.index = pd.Index([f"d{i}" for i in range(frame.shape[0])], name="dataset_id")
    frame.columns = pd.Index([f"c{j}" for j in range(frame.shape[1])], name="config_id")
    raw = frame if metric != "rmse" else 1.0 - frame
    return TaskData(
        task="classification" if metric != "rmse" else "regression",
        metric=metric,
        metafeatures=pd.DataFrame(
            {"general.f0": np.arange(frame.shape[0], dtype=float)}, index=frame.index
        ),
        configurations=pd.DataFrame({"learner": "L", "params": "{}"}, index=frame.columns),
        scores=frame.astype("float64"),
        raw=raw.astype("float64"),
        families=pd.Series([f"fam-{i}" for i in frame.index], index=frame.index),
    )


class Recorder(SingleBest):
    """A single best that records the datasets of every fit."""

    fitted_on: ClassVar[list[set[str]]] = []

    def _fit(self, data: TaskData) -> None:
        Recorder.fitted_on.append(set(data.dataset_ids))
        super()._fit(data)


class PoolOrder(MetaModel):
    """An adaptive model: tries the pool in order, recording what it was shown."""

    name: ClassVar[str] = "pool-order"
    calls: ClassVar[list[dict[str, float]]] = []

    def _fit(self, data: TaskData) -> None:
        pass

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        n = len(self.config_ids_ or [])
        return Prediction(self._frame(np.tile(-np.arange(n), (len(metafeatures), 1)), None))

    def rank(self, metafeatures: pd.Series, observed: Mapping[str, float] | None = None):
        PoolOrder.calls.append(dict(observed or {}))
        return super().rank(metafeatures, observed)


class CountingSBS(SingleBest):
    calls: ClassVar[int] = 0

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        CountingSBS.calls += 1
        return super()._predict(metafeatures)


def test_held_out_family_never_reaches_fit() -> None:
    data = make_task_data(n_datasets=12)
    Recorder.fitted_on.clear()
    run_lodo(data, methods=[Method("rec", lambda seed: Recorder(), deterministic=True)], seeds=2)
    families = data.families
    assert len(Recorder.fitted_on) == families.nunique()  # deterministic: one fit per family
    held_out_sets = [set(families.index[families == f]) for f in sorted(set(families))]
    for held, fitted in zip(held_out_sets, Recorder.fitted_on):
        assert held.isdisjoint(fitted)
        assert held | fitted == set(data.dataset_ids)


@pytest.mark.parametrize("method", ["random", *BASELINES])
def test_regret_is_non_increasing_and_zero_after_the_whole_pool(method: str) -> None:
    data = make_task_data(n_datasets=8, configs_per_learner=2)
    n = len(data.config_ids)
    result = run_lodo(data, methods=[method], seeds=2, k_max=n + 3)
    curves = result.curves.sort_values(["dataset_id", "seed", "k"])
    for _, curve in curves.groupby(["dataset_id", "seed"]):
        regret = curve["regret"].to_numpy()
        assert np.all(np.diff(regret) <= 0)
        assert np.all(regret[n - 1 :] == 0)
        assert np.all((regret >= 0) & (regret <= 1))


def test_regret_is_the_look_up_of_the_models_choices() -> None:
    data = make_task_data(n_datasets=10)
    result = run_lodo(data, methods=["sbs"], seeds=1, k_max=3)
    at1 = result.curves.loc[result.curves["k"] == 1].set_index("dataset_id")["regret"]
    for d in data.dataset_ids:
        train = data.scores.loc[data.families != data.families[d]]
        first = train.mean(axis=0).idxmax()  # the single best without d's family
        assert at1[d] == pytest.approx(1 - data.scores.loc[d, first])


def test_random_search_matches_the_expected_regret_in_closed_form() -> None:
    scores = [[1.0, 0.0, 0.3, 0.5, 0.8], [0.2, 1.0, 0.0, 0.6, 0.4], [0.0, 0.9, 1.0, 0.1, 0.7]]
    data = hand_data(scores)
    n_seeds = 400
    result = run_lodo(data, methods=["random"], seeds=n_seeds, k_max=5)
    mc = result.curves.groupby(["dataset_id", "k"])["regret"].agg(["mean", "std"])
    n = 5
    for i, row in enumerate(scores):
        s = np.sort(row)  # ascending; P(max of k draws = s[j]) = C(j, k-1) / C(n, k)
        for k in range(1, n + 1):
            expected = 1 - sum(s[j] * comb(j, k - 1) / comb(n, k) for j in range(n))
            got = mc.loc[(f"d{i}", k)]
            assert got["mean"] == pytest.approx(
                expected, abs=4 * got["std"] / np.sqrt(n_seeds) + 1e-9
            )


def test_random_search_depends_on_the_seed_and_baselines_do_not() -> None:
    data = make_task_data(n_datasets=8)
    curves = run_lodo(data, methods=["random", "portfolio"], seeds=3, k_max=5).curves
    wide = curves.pivot_table(index=["method", "dataset_id", "k"], columns="seed", values="regret")
    assert (wide.loc["portfolio"].nunique(axis=1) == 1).all()
    assert (wide.loc["random"].nunique(axis=1) > 1).any()
    # every method has one row per (dataset, seed, k)
    assert curves.groupby("method").size().nunique() == 1


def test_fit_once_fits_seeded_models_once_per_family_and_keeps_random_seeded(monkeypatch) -> None:
    from autometa import models

    monkeypatch.setitem(models._registry._MODELS, "pool-order", f"{__name__}:PoolOrder")
    data = make_task_data(n_datasets=8)
    methods = make_methods(["random", "pool-order"], fit_once=True)
    result = run_lodo(data, methods=methods, seeds=3, k_max=5)
    fits = result.timings.loc[result.timings["method"] == "pool-order"]
    assert len(fits) == data.families.nunique()
    wide = result.curves.pivot_table(
        index=["method", "dataset_id", "k"], columns="seed", values="regret"
    )
    assert (wide.loc["pool-order"].nunique(axis=1) == 1).all()
    assert (wide.loc["random"].nunique(axis=1) > 1).any()


def test_static_models_are_asked_once_per_held_out_dataset() -> None:
    data = make_task_data(n_datasets=6)
    CountingSBS.calls = 0
    run_lodo(data, methods=[Method("c", lambda s: CountingSBS(), deterministic=True)], k_max=20)
    assert CountingSBS.calls == 6


def test_adaptive_models_see_the_oriented_raw_values_of_the_trials_so_far() -> None:
    # rmse: smaller is better, so the harness passes -rmse (larger = better).
    data = hand_data([[1.0, 0.2, 0.5], [0.0, 1.0, 0.4]], metric="rmse")
    PoolOrder.calls.clear()
    run_lodo(data, methods=[Method("pool", lambda s: PoolOrder(), deterministic=True)], k_max=3)
    assert len(PoolOrder.calls) == 2 * 3
    # held-out d0 (first family): trials c0, c1, c2 in pool order
    assert PoolOrder.calls[0] == {}
    assert PoolOrder.calls[1] == {"c0": pytest.approx(-(1 - 1.0))}
    assert PoolOrder.calls[2] == {"c0": pytest.approx(0.0), "c1": pytest.approx(-(1 - 0.2))}


def test_table_reports_closed_gap_as_ratio_of_mean_regrets_and_average_ranks() -> None:
    data = make_task_data(n_datasets=16)
    methods = ["random", *BASELINES]
    result = run_lodo(data, methods=methods, seeds=2, k_max=10)
    table = result.table(ks=(1, 5, 10))
    assert list(table.index.get_level_values("method")) == methods
    first = result.curves.loc[result.curves["k"] == 1].groupby("method")["regret"].mean()
    for m in methods:
        gap = (first["sbs"] - first[m]) / first["sbs"]
        assert table.loc[("classification", m), "closed_gap"] == pytest.approx(gap)
        assert table.loc[("classification", m), "regret@1"] == pytest.approx(first[m])
    assert table.loc[("classification", "sbs"), "closed_gap"] == 0
    n = len(methods)
    for k in (1, 5, 10):
        assert table[f"rank@{k}"].sum() == pytest.approx(n * (n + 1) / 2)
    assert (table["n_datasets"] == 16).all()
    # standard error over datasets of the seed-averaged regret
    per_dataset = (
        result.curves.loc[(result.curves["k"] == 5) & (result.curves["method"] == "random")]
        .groupby("dataset_id")["regret"]
        .mean()
    )
    se = per_dataset.std(ddof=1) / np.sqrt(len(per_dataset))
    assert table.loc[("classification", "random"), "se@5"] == pytest.approx(se)


def test_both_tasks_are_reported_separately_and_pooled(tmp_path) -> None:
    datas = [make_task_data(n_datasets=6), make_task_data(n_datasets=8, task="regression")]
    result = run_lodo(datas, methods=["random", "sbs"], seeds=2, k_max=5)
    table = result.table(ks=(1, 5))
    assert set(table.index.get_level_values("task")) == {"classification", "regression", "all"}
    assert table.loc[("all", "sbs"), "n_datasets"] == 14
    md = result.to_markdown(ks=(1, 5))
    assert "### regression (8 datasets, r2, 2 seeds)" in md
    assert "| `sbs` |" in md
    png = result.plot(tmp_path / "curves.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_table_leaves_out_ks_beyond_k_max() -> None:
    result = run_lodo(make_task_data(n_datasets=6), methods=["sbs"], seeds=1, k_max=7)
    assert [c for c in result.table().columns if c.startswith("regret@")] == [
        "regret@1",
        "regret@3",
        "regret@5",
    ]


@pytest.mark.slow
def test_parallel_families_give_the_same_result() -> None:
    data = make_task_data(n_datasets=10)
    one = run_lodo(data, methods=["random", "nearest"], seeds=2, k_max=10)
    two = run_lodo(data, methods=["random", "nearest"], seeds=2, k_max=10, n_jobs=2)
    pd.testing.assert_frame_equal(one.curves, two.curves)


def test_unregistered_default_methods_are_skipped_with_a_warning(monkeypatch) -> None:
    from autometa.models import _registry

    baselines = {k: v for k, v in _registry._MODELS.items() if k in BASELINES}
    monkeypatch.setattr(_registry, "_MODELS", baselines)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        methods = make_methods()
    messages = [str(w.message) for w in caught]
    for name in ("surrogate", "prototypes", "maml"):
        assert any(f"The meta-model '{name}' is not registered" in m for m in messages)
    assert [m.name for m in methods] == ["random", *BASELINES]
    assert all(m.deterministic for m in methods[1:])


# -- the command line --------------------------------------------------------------------
def test_cli_writes_the_table_the_csv_and_the_plot(kb_factory, tmp_path, capsys) -> None:
    kb = kb_factory(tasks=("classification", "regression"), n_datasets=4, configs_per_learner=3)
    kb.save(tmp_path / "kb")
    out = tmp_path / "out"
    argv = ["bench", "lodo", "--kb", str(tmp_path / "kb"), "--methods", "random,sbs,portfolio"]
    argv += ["--seeds", "2", "--k-max", "5", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "### classification (4 datasets, balanced_accuracy, 2 seeds)" in printed
    assert "### regression (4 datasets, r2, 2 seeds)" in printed
    assert (out / "lodo.md").read_text().startswith("## Leave-one-family-out")
    table = pd.read_csv(out / "lodo.csv", index_col=["task", "method"])
    assert set(table.index.get_level_values("method")) == {"random", "sbs", "portfolio"}
    assert (out / "lodo.png").read_bytes()[:4] == b"\x89PNG"
    curves = pd.read_csv(out / "lodo_curves.csv.gz")
    assert len(curves) == 3 * 8 * 2 * 5  # methods x datasets x seeds x k


def test_cli_metric_selects_its_task(kb_factory, tmp_path, capsys) -> None:
    kb = kb_factory(tasks=("classification", "regression"), n_datasets=4)
    kb.save(tmp_path / "kb")
    argv = ["bench", "lodo", "--kb", str(tmp_path / "kb"), "--metric", "rmse", "--methods"]
    argv += ["sbs", "--seeds", "1", "--k-max", "2", "--out", str(tmp_path), "--no-progress"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "### regression (4 datasets, rmse, 1 seeds)" in printed
    assert "classification" not in printed


def test_cli_reports_errors(kb_factory, tmp_path, capsys) -> None:
    kb_factory(n_datasets=4).save(tmp_path / "kb")
    base = ["bench", "lodo", "--kb", str(tmp_path / "kb"), "--out", str(tmp_path), "--no-progress"]
    assert main([*base, "--methods", "sbs,nope"]) == 1
    assert "Unknown method 'nope'" in capsys.readouterr().err
    assert main([*base, "--methods", " , "]) == 1
    assert "The '--methods' option must list methods" in capsys.readouterr().err
    assert main([*base, "--k-max", "0"]) == 1
    assert "The 'k_max' parameter of run_lodo must be an int >= 1. Got 0" in (
        capsys.readouterr().err
    )


# -- errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"methods": ["sbs", "nope"]}, r"Unknown method 'nope' in the 'methods' parameter"),
        ({"methods": []}, r"must name at least one method\. Got an empty list"),
        ({"methods": ["sbs", "sbs"]}, r"must not repeat a method\. Got \['sbs'\]"),
        ({"k_max": 0}, r"The 'k_max' parameter of run_lodo must be an int >= 1\. Got 0"),
        ({"seeds": 0}, r"The 'seeds' parameter of run_lodo must be an int >= 1\. Got 0"),
        ({"n_jobs": 0}, r"The 'n_jobs' parameter of run_lodo must be a non-zero int\. Got 0"),
    ],
)
def test_parameter_errors(kwargs: dict[str, Any], match: str) -> None:
    kwargs = {"methods": ["sbs"], **kwargs}
    with pytest.raises(ParameterError, match=match):
        run_lodo(make_task_data(n_datasets=4), **kwargs)


def test_datasets_mostly_never_evaluated_are_left_out_with_a_warning() -> None:
    data = hand_data([[1.0, 0.0, 0.5], [0.0, 1.0, np.nan], [np.nan, np.nan, 1.0], [0.2, 1.0, 0.0]])
    Recorder.fitted_on.clear()
    rec = Method("rec", lambda seed: Recorder(), deterministic=True)
    with pytest.warns(UserWarning, match=r"1 classification dataset\(s\) have fewer than 50% .*d2"):
        result = run_lodo(data, methods=[rec], seeds=1, k_max=3)
    assert set(result.curves["dataset_id"]) == {"d0", "d1", "d3"}
    assert all("d2" not in fitted for fitted in Recorder.fitted_on)


@pytest.mark.parametrize("bad", [-0.1, 1.5, "half"])
def test_min_coverage_must_be_a_share(bad) -> None:
    with pytest.raises(ParameterError, match="The 'min_coverage' parameter of run_lodo must be"):
        run_lodo(make_task_data(n_datasets=4), methods=["sbs"], min_coverage=bad)


def test_data_of_the_wrong_type_is_an_error() -> None:
    with pytest.raises(ParameterError, match="must be a KnowledgeBase, a TaskData or a list"):
        run_lodo({"not": "data"}, methods=["sbs"])


def test_knowledge_base_errors(kb_factory) -> None:
    kb = kb_factory(n_datasets=4)
    with pytest.raises(ParameterError, match="The 'metric' parameter of run_lodo must be one"):
        run_lodo(kb, methods=["sbs"], metric="f1")
    with pytest.raises(ParameterError, match="The knowledge base has no regression dataset"):
        run_lodo(kb, methods=["sbs"], tasks=["regression"])
    with pytest.raises(ParameterError, match="The 'tasks' parameter of run_lodo must hold"):
        run_lodo(kb, methods=["sbs"], tasks=["ranking"])


def test_a_single_family_is_an_error_or_skipped(kb_factory) -> None:
    data = make_task_data(n_datasets=2)  # one family
    with pytest.raises(ParameterError, match="needs classification datasets of at least two"):
        run_lodo(data, methods=["sbs"])
    kb = kb_factory(tasks=("classification", "regression"), n_datasets=2)
    with pytest.raises(ParameterError, match="needs datasets of at least two families in some"):
        with pytest.warns(UserWarning, match="task is skipped"):
            run_lodo(kb, methods=["sbs"])


def test_table_ks_errors() -> None:
    result = run_lodo(make_task_data(n_datasets=4), methods=["sbs"], seeds=1, k_max=5)
    assert isinstance(result, LodoResult)
    with pytest.raises(ParameterError, match=r"must be a non-empty list of ints >= 1\. Got \[0\]"):
        result.table(ks=(0, 1))
    with pytest.raises(ParameterError, match=r"must hold a k <= k_max=5 .*Got \[10, 20\]"):
        result.table(ks=(10, 20))


class BadAdaptive(PoolOrder):
    def rank(self, metafeatures: pd.Series, observed: Mapping[str, float] | None = None):
        return ["c0"]  # again and again


class BadStatic(SingleBest):
    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        pred = super()._predict(metafeatures)
        return Prediction(pred.mean.rename(columns={"c0": "unknown"}))


def test_models_returning_configurations_outside_the_pool_are_errors() -> None:
    data = hand_data([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ModelError, match="rank must return configuration ids of the pool not"):
        run_lodo(data, methods=[Method("bad", lambda s: BadAdaptive())], seeds=1, k_max=2)
    with pytest.raises(ModelError, match="rank must return distinct configuration ids of the"):
        run_lodo(data, methods=[Method("bad", lambda s: BadStatic())], seeds=1, k_max=2)
