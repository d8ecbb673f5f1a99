"""LCDB merged into a knowledge base as a second source (``autometa kb import-lcdb``): the
meta-models learn from the same dense matrix and rank as before; the cost model learns from
LCDB's training times, read from the knowledge base or from LCDB's files, once."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autometa.cli import main
from autometa.kb import KnowledgeBase, import_lcdb
from autometa.models import CostModel, Explainer, OODScorer, TaskData, model_class, model_names

from ._synthetic import make_raw_samples

FIXTURE = Path(__file__).parents[1] / "fixtures" / "lcdb"
#: Small settings for whichever model takes them (as in the conformance suite).
SMALL = {"epochs": 6, "meta_epochs": 3, "n_members": 2, "episodes": 10, "hidden": 16}
TREES = ("DecisionTreeClassifier", "RandomForestClassifier", "ExtraTreesClassifier")


@pytest.fixture(scope="module")
def lcdb() -> KnowledgeBase:
    return import_lcdb(FIXTURE).to_knowledge_base()


@pytest.fixture
def kbs(kb_factory, lcdb) -> tuple[KnowledgeBase, KnowledgeBase]:
    """A dense knowledge base of both tasks, and the same with the LCDB slice merged in."""
    base = kb_factory(
        tasks=("classification", "regression"),
        n_datasets=8,
        configs_per_learner=3,
        n_metafeatures=4,
        seed=2,
    )
    return base, base.merge(lcdb)


def test_the_meta_models_learn_from_the_same_data(kbs):
    base, merged = kbs
    for task in ("classification", "regression"):
        before, after = TaskData.from_kb(base, task), TaskData.from_kb(merged, task)
        for field in ("metafeatures", "configurations", "scores", "raw"):
            pd.testing.assert_frame_equal(getattr(after, field), getattr(before, field))
        pd.testing.assert_series_equal(after.families, before.families)
    assert not [d for d in after.dataset_ids if d.startswith("lcdb/")]


@pytest.mark.parametrize("name", model_names())
def test_every_meta_model_ranks_as_before(name, kbs, lcdb):
    base, merged = kbs
    accepted = inspect.signature(model_class(name).__init__).parameters
    params = {k: v for k, v in SMALL.items() if k in accepted}
    if "samples" in accepted:  # a model of the raw data (the set encoder): synthetic samples
        params["samples"] = make_raw_samples(
            TaskData.from_kb(base, "classification"), extra_ids=["new/a", "new/b"]
        )
    fitted = [
        model_class(name)(**params, random_state=0).fit(TaskData.from_kb(kb, "classification"))
        for kb in (base, merged)
    ]
    # two new datasets near training ones, carrying LCDB's qualities too (ignored: no
    # dataset of the dense matrix has them)
    query = base.metafeatures.loc[base.dense_datasets("classification")[:2]] + 0.1
    query = query.join(
        pd.DataFrame(
            np.repeat(lcdb.metafeatures.loc[["lcdb/740"]].to_numpy(), 2, axis=0),
            index=query.index,
            columns=lcdb.metafeatures.columns,
        )
    )
    query.index = pd.Index(["new/a", "new/b"], name="dataset_id")
    before, after = (m.predict(query) for m in fitted)
    pd.testing.assert_frame_equal(after.mean, before.mean)
    for i in range(len(query)):
        assert fitted[1].rank(query.iloc[i]) == fitted[0].rank(query.iloc[i])
    if isinstance(fitted[0], OODScorer):
        assert fitted[1].ood_threshold_ == fitted[0].ood_threshold_
        np.testing.assert_array_equal(
            fitted[1].reference_distances_, fitted[0].reference_distances_
        )
    if isinstance(fitted[0], Explainer):
        pd.testing.assert_frame_equal(
            fitted[1].neighbours(query.iloc[0]), fitted[0].neighbours(query.iloc[0])
        )


def test_the_cost_model_learns_lcdb_times_from_the_knowledge_base(kbs, lcdb):
    base, merged = kbs
    table = CostModel.training_table(merged)
    from_lcdb = table.loc[table["source"] == "lcdb"]
    assert len(from_lcdb) == len(lcdb.runs)  # every imported run has a time and a size
    assert len(table) == len(CostModel.training_table(base)) + len(lcdb.runs)
    # the times LCDB's files give for the same learners, datasets and sizes
    files = CostModel.lcdb_training_table(FIXTURE)
    key = ["dataset_id", "learner", "params", "n_train"]
    same = from_lcdb.merge(files, on=key, suffixes=("", "_files"))
    assert len(same) == len(from_lcdb)
    np.testing.assert_allclose(same["fit_time"], same["fit_time_files"])
    np.testing.assert_array_equal(same["n_features"], same["n_features_files"])
    cost = CostModel().fit(merged)
    assert cost.n_runs_["RandomForestClassifier"] == int(
        (from_lcdb["learner"] == "RandomForestClassifier").sum()
    )  # the dense knowledge base has no forest: what it knows of forests is LCDB's
    fit = cost.predict([("RandomForestClassifier", "{}")], n_rows=1e5, n_features=10, n_classes=2)
    assert np.isfinite(fit["fit_time"]).all()


def test_lcdb_files_add_only_what_the_knowledge_base_lacks(kbs, lcdb):
    _, merged = kbs
    table = CostModel.training_table(merged)
    both = CostModel.training_table(merged, lcdb=FIXTURE)
    files = CostModel.lcdb_training_table(FIXTURE)
    added = both.loc[both["source"] == CostModel.LCDB_FILES]
    key = ["dataset_id", "learner", "params", "n_train"]
    assert not both.duplicated(key).any()
    assert len(both) == len(table) + len(added)
    # LCDB's files add SVC (not imported: LCDB did not scale) and the trees on credit-g
    # (categorical features: not imported), nothing the knowledge base holds
    assert set(added["learner"]) == {"SVC", *TREES}
    assert set(added.loc[added["learner"] != "SVC", "dataset_id"]) == {"lcdb/31"}
    assert len(added) == len(files) - len(lcdb.runs)


def test_models_train_counts_lcdb_times_once(kbs, tmp_path, capsys):
    _, merged = kbs
    merged.save(tmp_path / "kb")
    args = ["models", "train", "--kb", str(tmp_path / "kb"), "--models", "sbs"]
    assert main([*args, "--out", str(tmp_path / "m1")]) == 0
    out = capsys.readouterr().out
    n_kb = int((merged.runs["source"] == "lcdb").sum())
    assert f"cost model      {n_kb} LCDB training times from the knowledge base" in out
    assert "LCDB's files" not in out
    assert main([*args, "--out", str(tmp_path / "m2"), "--cost-lcdb", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    added = len(CostModel.lcdb_training_table(FIXTURE)) - n_kb
    assert f"cost model      {added} LCDB training times from LCDB's files" in out
    assert CostModel.load(tmp_path / "m2" / "cost").n_runs_["SVC"] > 0
