"""Caches of recommendations: keyed by content, never answered from a stale state."""

from __future__ import annotations

import pandas as pd
import pytest

from autometa._resources import (
    Cache,
    cached,
    frames_fingerprint,
    kb_fingerprint,
    package_data,
    tree_stamp,
)
from autometa.models import MetaModel, SingleBest, TaskData, load_default_model
from autometa.recommend import recommend_from_metafeatures
from recommend._tiny import tiny_kb

TASK = "classification"


def _fresh_kb():
    """A copy of the tiny knowledge base's classification part (a new object to change)."""
    return tiny_kb().subset(task=TASK)


def test_add_runs_keeping_the_shapes_changes_the_recommendation() -> None:
    """The old cache was keyed by table shapes: after add_runs that replaces values in
    place (same rows), recommend returned the old order. Keyed by content, it does not."""
    kb = _fresh_kb()
    mf = kb.metafeatures.iloc[0]
    before = recommend_from_metafeatures(mf, task=TASK, kb=kb, top_k=3)
    top = before.table["config_id"].iloc[0]
    runs = kb.runs
    metric = before.metric
    # the former first choice becomes the worst configuration on every dataset
    lowest = runs.groupby("dataset_id")[metric].transform("min")
    changed = runs.loc[runs["config_id"] == top].copy()
    changed[metric] = lowest[changed.index] - 0.2
    shapes = (len(kb), kb.datasets.shape, kb.configurations.shape, kb.metafeatures.shape)
    kb.add_runs(changed)
    assert (len(kb), kb.datasets.shape, kb.configurations.shape, kb.metafeatures.shape) == shapes
    after = recommend_from_metafeatures(mf, task=TASK, kb=kb, top_k=len(kb.configurations))
    assert after.table["config_id"].iloc[0] != top
    assert after.table["config_id"].iloc[-1] == top


def test_equal_knowledge_bases_share_a_fingerprint_and_changes_give_another() -> None:
    a, b = _fresh_kb(), _fresh_kb()
    assert a is not b and kb_fingerprint(a) == kb_fingerprint(b)
    runs = a.runs.head(1).copy()
    runs["balanced_accuracy"] = runs["balanced_accuracy"] + 1e-6
    a.add_runs(runs)
    assert kb_fingerprint(a) != kb_fingerprint(b)


def test_frames_fingerprint_sees_values_labels_and_dtypes() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0]}, index=["a", "b"])
    base = frames_fingerprint(frame)
    assert frames_fingerprint(frame.copy()) == base
    assert frames_fingerprint(frame.assign(x=[1.0, 2.5])) != base
    assert frames_fingerprint(frame.rename(index={"b": "c"})) != base
    assert frames_fingerprint(frame.rename(columns={"x": "y"})) != base
    assert frames_fingerprint(frame.astype("float32")) != base


def test_the_cache_builds_once_per_key_and_drops_the_least_recent() -> None:
    cache = Cache(maxsize=2)
    calls = []

    def build(v):
        calls.append(v)
        return v

    assert cache.get("a", lambda: build(1)) == 1
    assert cache.get("a", lambda: build(2)) == 1
    cache.get("b", lambda: build(3))
    cache.get("a", lambda: build(4))  # "a" is now the most recent
    cache.get("c", lambda: build(5))  # drops "b"
    assert cache.get("b", lambda: build(6)) == 6
    assert calls == [1, 3, 5, 6]
    with pytest.raises(RuntimeError):
        cache.get("d", lambda: (_ for _ in ()).throw(RuntimeError("no")))
    assert cache.get("d", lambda: build(7)) == 7  # a failure is not cached


def test_a_model_directory_rewritten_in_place_is_loaded_again(tmp_path) -> None:
    from models._synthetic import make_task_data

    data = make_task_data(n_datasets=6, configs_per_learner=1)
    root = tmp_path / "models"
    SingleBest().fit(data).save(root / TASK / "sbs")
    index = {
        "format": "autometa-models",
        "schema_version": 1,
        "tasks": {
            TASK: {"ranker": "sbs", "metric": data.metric, "models": {"sbs": "classification/sbs"}}
        },
    }
    import json

    (root / "models.json").write_text(json.dumps(index))
    first = load_default_model(TASK, "ranker", root)
    assert load_default_model(TASK, "ranker", root) is first  # cached
    flipped = TaskData(**{**data.__dict__, "scores": 1.0 - data.scores})
    SingleBest().fit(flipped).save(root / TASK / "sbs")
    second = load_default_model(TASK, "ranker", root)
    assert isinstance(second, MetaModel) and second is not first
    assert second.rank(data.metafeatures.iloc[0]) == list(
        reversed(first.rank(data.metafeatures.iloc[0]))
    )


def test_tree_stamp_and_package_data(tmp_path) -> None:
    assert package_data("models").parts[-2:] == ("data", "models")
    (tmp_path / "f").write_text("1")
    before = tree_stamp(tmp_path)
    (tmp_path / "f").write_text("22")
    assert tree_stamp(tmp_path) != before
    assert tree_stamp(tmp_path / "missing")[1] is None
    assert cached("test-kind", (tree_stamp(tmp_path),), lambda: 1) == 1
