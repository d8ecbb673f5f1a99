"""LCDB merged into a knowledge base as a second source: ``recommend`` says the same (order,
scores, nearest datasets, out-of-distribution threshold) and never shows an LCDB dataset,
which has OpenML's qualities only, as a nearest dataset."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from autometa.cli import main
from autometa.kb import KnowledgeBase, import_lcdb
from autometa.models import TaskData, default_models_dir, model_class
from autometa.recommend import recommend, recommend_from_metafeatures

FIXTURE = Path(__file__).parents[1] / "fixtures" / "lcdb"


def _same(after, before, *, fit_time: bool = True) -> None:
    """Two recommendations say the same (the predicted fit times too, if ``fit_time``)."""
    drop = [] if fit_time else ["fit_time"]
    pd.testing.assert_frame_equal(after.table.drop(columns=drop), before.table.drop(columns=drop))
    pd.testing.assert_frame_equal(after.neighbours, before.neighbours)
    pd.testing.assert_frame_equal(after.drivers, before.drivers)
    assert (after.ood_score, after.ood_threshold, after.is_ood) == (
        before.ood_score,
        before.ood_threshold,
        before.is_ood,
    )
    if before.learner_probabilities is None:
        assert after.learner_probabilities is None
    else:
        pd.testing.assert_series_equal(after.learner_probabilities, before.learner_probabilities)
    assert not after.neighbours["dataset_id"].str.startswith("lcdb/").any()


@pytest.fixture(scope="module")
def lcdb() -> KnowledgeBase:
    return import_lcdb(FIXTURE).to_knowledge_base()


def test_recommend_says_the_same_with_lcdb_merged(kb_factory, lcdb):
    made = kb_factory(n_datasets=8, configs_per_learner=3, n_metafeatures=3, seed=3)
    # meta-features named as qualities LCDB's datasets have, so that they could be neighbours
    names = ["NumberOfInstances", "NumberOfFeatures", "ClassEntropy"]
    base = KnowledgeBase(
        datasets=made.datasets,
        configurations=made.configurations,
        runs=made.runs,
        metafeatures=made.metafeatures.set_axis(names, axis=1),
        manifest=made.manifest,
    )
    merged = base.merge(lcdb)
    queries = [base.metafeatures.iloc[0] + 0.05, lcdb.metafeatures.loc["lcdb/740"]]
    fitted = {
        id(kb): model_class("prototypes")(episodes=10, hidden=16, random_state=0).fit(
            TaskData.from_kb(kb, "classification")
        )
        for kb in (base, merged)
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # out of distribution
        for mf in queries:
            # a nearest-datasets ranker fitted on the fly (and the cost model: LCDB's fit
            # times are the cost model's to learn, so the predicted times may differ)
            before, after = (
                recommend_from_metafeatures(mf, task="classification", kb=kb, top_k=4)
                for kb in (base, merged)
            )
            _same(after, before, fit_time=False)
            # a fitted explainer's nearest datasets and threshold
            before, after = (
                recommend_from_metafeatures(
                    mf, task="classification", kb=kb, model=fitted[id(kb)], top_k=4
                )
                for kb in (base, merged)
            )
            _same(after, before, fit_time=False)
    # the LCDB query is far from every dataset of the dense matrix, though an LCDB dataset
    # has exactly its qualities
    assert after.is_ood


def test_the_default_merged_with_lcdb_loads_and_recommends_as_before(tmp_path, capsys):
    """What kb-build/merge_lcdb.sh ships: the default knowledge base with LCDB merged."""
    out = tmp_path / "default_lcdb"
    code = main(["kb", "import-lcdb", "--path", str(FIXTURE), "--merge-default", "--out", str(out)])
    assert code == 0
    assert main(["kb", "import-lcdb", "--path", str(FIXTURE), "--out", str(tmp_path / "lc")]) == 0
    merged, default = KnowledgeBase.load(out), KnowledgeBase.default()
    sliced = KnowledgeBase.load(tmp_path / "lc")
    # the default may already hold LCDB (v2 ships with it): the merge adds what it lacks
    ids = set(default.datasets["dataset_id"]) | set(sliced.datasets["dataset_id"])
    assert set(merged.datasets["dataset_id"]) == ids
    capsys.readouterr()
    assert main(["kb", "info", str(out)]) == 0
    info = " ".join(capsys.readouterr().out.split())
    pmlb = int((default.datasets["source"] == "pmlb").sum())
    n_lcdb = int((merged.datasets["source"] == "lcdb").sum())
    assert f"by source lcdb {n_lcdb}, pmlb {pmlb}" in info
    assert f"second source lcdb: {n_lcdb} classification datasets" in info
    assert "kept apart from the dense matrix" in info
    df = load_breast_cancer(as_frame=True).frame.iloc[:150]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for model in (default_models_dir(), None):  # the shipped models, or on the fly
            before, after = (
                recommend(df, target="target", kb=kb, model=model, top_k=5)
                for kb in (default, merged)
            )
            _same(after, before, fit_time=model is not None)
    csv = tmp_path / "bc.csv"
    df.to_csv(csv, index=False)
    assert main(["recommend", str(csv), "--target", "target", "--kb", str(out)]) == 0
    assert "nearest datasets:" in capsys.readouterr().out
