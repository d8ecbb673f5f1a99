"""The knowledge-base state snapshot beside the shipped models (issue 15, a fast start):
``recommend`` reads it instead of deriving the state from the default knowledge base, and
answers exactly as without it; a stale or damaged snapshot is ignored."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

import autometa.recommend._recommend as R
from autometa._resources import CACHE
from autometa.kb import KnowledgeBase
from autometa.models import TaskData
from autometa.recommend import recommend
from autometa.recommend._snapshot import (
    STATE_FILE,
    kb_files_sha256,
    load_kb_state,
    save_kb_state,
)

TASKS = {"classification": "balanced_accuracy", "regression": "r2"}


def _same_state(a: R._KBState, b: R._KBState) -> None:
    for field in ("metafeatures", "scores", "raw", "configurations"):
        pd.testing.assert_frame_equal(getattr(a.data, field), getattr(b.data, field))
    pd.testing.assert_series_equal(a.data.families, b.data.families, check_names=False)
    pd.testing.assert_series_equal(a.names, b.names, check_names=False)
    pd.testing.assert_frame_equal(a.configurations, b.configurations)


@pytest.mark.parametrize("task", list(TASKS))
def test_the_shipped_snapshot_is_the_state_of_the_shipped_knowledge_base(task):
    """Fails when the knowledge base is shipped again without `autometa models train`
    writing the snapshot (recommend would then derive the state: right, but slow)."""
    CACHE.clear()
    snap = R._shipped_state(task, TASKS[task])
    assert snap is not None, "autometa/data/models/<task>/kb_state.npz is missing or stale"
    _same_state(snap, R._build_state(KnowledgeBase.default(), task, TASKS[task], "derived"))


def _both_ways(monkeypatch, X, y) -> tuple:
    CACHE.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = recommend(X, y=y, top_k=8)
        CACHE.clear()
        with monkeypatch.context() as m:
            m.setattr(R, "_shipped_state", lambda task, metric: None)
            slow = recommend(X, y=y, top_k=8)
    CACHE.clear()
    return fast, slow


@pytest.mark.parametrize("load", [load_breast_cancer, load_diabetes])
def test_recommendations_are_the_same_with_and_without_the_snapshot(monkeypatch, load):
    X, y = load(return_X_y=True, as_frame=True)
    fast, slow = _both_ways(monkeypatch, X, y)
    pd.testing.assert_frame_equal(fast.table, slow.table)
    pd.testing.assert_frame_equal(fast.neighbours, slow.neighbours)
    assert fast.explain() == slow.explain()


def test_with_the_snapshot_the_knowledge_base_is_not_loaded(monkeypatch):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    CACHE.clear()
    loads = []
    original = KnowledgeBase.load.__func__
    monkeypatch.setattr(
        KnowledgeBase,
        "load",
        classmethod(lambda cls, *a, **k: loads.append(a) or original(cls, *a, **k)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recommend(X, y=y, top_k=3)
    assert loads == []
    CACHE.clear()
    monkeypatch.setattr(R, "_shipped_state", lambda task, metric: None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recommend(X, y=y, top_k=3)
    assert len(loads) == 1  # the fallback derives it from the knowledge base
    CACHE.clear()


@pytest.fixture
def saved(tiny_kb, tmp_path):
    kb_dir = tiny_kb.save(tmp_path / "kb")
    data = TaskData.from_kb(tiny_kb, "classification")
    names, configs = R._names_and_configs(tiny_kb, "classification")
    path = tmp_path / "models" / "classification" / STATE_FILE
    sha = kb_files_sha256(kb_dir)
    save_kb_state(path, data=data, names=names, configurations=configs, kb_sha256=sha)
    return path, sha, data, kb_dir


def test_a_snapshot_round_trips(saved):
    path, sha, data, _ = saved
    loaded, names, configs = load_kb_state(path, sha, "classification", data.metric)
    for field in ("metafeatures", "scores", "raw", "configurations"):
        pd.testing.assert_frame_equal(getattr(loaded, field), getattr(data, field))
    assert len(names) == 6 and len(configs) == len(data.configurations)


def test_a_stale_or_damaged_snapshot_is_ignored(saved, tiny_kb):
    path, sha, data, kb_dir = saved
    assert load_kb_state(path, sha, "classification", data.metric) is not None
    assert load_kb_state(path, "0" * 64, "classification", data.metric) is None  # other KB
    assert load_kb_state(path, sha, "regression", "r2") is None  # other task
    assert load_kb_state(path, sha, "classification", "accuracy") is None  # other metric
    assert load_kb_state(path.with_name("absent.npz"), sha, "classification", data.metric) is None
    path.write_bytes(path.read_bytes()[:200])  # truncated
    assert load_kb_state(path, sha, "classification", data.metric) is None
    # a knowledge base whose runs changed has another checksum
    grown = tiny_kb.subset(tiny_kb.datasets["dataset_id"][:-1])
    assert kb_files_sha256(grown.save(kb_dir.parent / "kb2")) != sha
    assert kb_files_sha256(kb_dir.parent / "nothing") is None


def test_a_models_directory_without_kb_answers_from_its_own_knowledge_base(tiny_kb, tmp_path):
    """``recommend(model=DIR)`` without ``kb``: the nearest datasets, what won there and the
    raw metric on them are those of the knowledge base the models were trained on (from the
    directory's snapshot), as with ``kb=`` that knowledge base; they were the default
    knowledge base's, whose datasets the models never saw. A directory without a snapshot
    falls back to the default knowledge base."""
    from autometa.cli import main

    kb_dir = tiny_kb.save(tmp_path / "kb")
    models = tmp_path / "models"
    train = ["models", "train", "--kb", str(kb_dir), "--out", str(models), "--models", "nearest"]
    assert main(train) == 0
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X, y = X.iloc[:150], y.iloc[:150]
    CACHE.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        own = recommend(X, y=y, model=models, top_k=4)
        given = recommend(X, y=y, model=models, kb=kb_dir, top_k=4)
        (models / "classification" / STATE_FILE).unlink()
        CACHE.clear()
        fallback = recommend(X, y=y, model=models, top_k=4)
    CACHE.clear()
    shown = [c for c in own.table.columns if c != "fit_time"]  # no sizes in tiny_kb's runs
    pd.testing.assert_frame_equal(own.table[shown], given.table[shown])
    pd.testing.assert_frame_equal(own.neighbours, given.neighbours)
    assert set(own.neighbours["dataset_id"]) <= set(tiny_kb.datasets["dataset_id"])
    assert not set(fallback.neighbours["dataset_id"]) & set(tiny_kb.datasets["dataset_id"])
