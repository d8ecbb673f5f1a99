"""LCDB merged into a knowledge base as a second source (``autometa kb import-lcdb``): the
meta-models learn from the same dense matrix and rank as before."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autometa.kb import KnowledgeBase, import_lcdb
from autometa.models import Explainer, OODScorer, TaskData, model_class, model_names

FIXTURE = Path(__file__).parents[1] / "fixtures" / "lcdb"
#: Small settings for whichever model takes them (as in the conformance suite).
SMALL = {"epochs": 6, "meta_epochs": 3, "n_members": 2, "episodes": 10, "hidden": 16}


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
