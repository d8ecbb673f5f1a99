"""Shared fixtures: a tiny in-memory knowledge base factory (``make_kb``), synthetic
meta-learning data (``task_data``), tiny meta-models and the CLI's files.

The tests run with one thread per native thread pool (OpenMP, BLAS): the fits in tests
are tiny, and several threads per process only add spin-waiting, which on a loaded
2-core machine makes a 0.05 s HistGradientBoosting fit take seconds.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

threadpool_limits(1)

from autometa.kb import KnowledgeBase, metrics_for  # noqa: E402
from autometa.learners import learners_for  # noqa: E402

_LEARNERS = {
    "classification": ("LogisticRegression", "DecisionTreeClassifier"),
    "regression": ("Ridge", "DecisionTreeRegressor"),
}


def make_kb(
    *,
    tasks: Sequence[str] = ("classification",),
    n_datasets: int = 3,
    configs_per_learner: int = 2,
    sources: Sequence[str] = ("runner",),
    n_metafeatures: int = 3,
    failed: int = 0,
    seed: int = 0,
) -> KnowledgeBase:
    """A small dense knowledge base with random (seeded) metric values.

    For each task: ``n_datasets`` datasets ``"test/<task>-<i>"``, ``configs_per_learner``
    configurations of two learners, one run per (dataset, configuration, source), the first
    ``failed`` runs of each task marked ``failed``.
    """
    rng = np.random.default_rng(seed)
    kb = KnowledgeBase(manifest={"command": "make_kb (test fixture)", "build": {"seed": seed}})
    for task in tasks:
        ids = [f"test/{task}-{i}" for i in range(n_datasets)]
        datasets = pd.DataFrame(
            {
                "dataset_id": ids,
                "name": [i.split("/")[1] for i in ids],
                "source": "user",
                "task": task,
                "n_rows": rng.integers(50, 500, n_datasets),
                "n_features": rng.integers(2, 20, n_datasets),
                "n_classes": 2 if task == "classification" else 0,
                "family": [f"fam{i // 2}" for i in range(n_datasets)],
                "openml_id": pd.array([None] * n_datasets, dtype="Int64"),
            }
        )
        mf = pd.DataFrame(
            rng.normal(size=(n_datasets, n_metafeatures)),
            index=pd.Index(ids, name="dataset_id"),
            columns=[f"general.f{j}" for j in range(n_metafeatures)],
        )
        kb.add_datasets(datasets, metafeatures=mf)
        configs = [
            c
            for lrn in learners_for(task)
            if lrn.name in _LEARNERS[task]
            for c in lrn.pool(configs_per_learner, seed=seed)
        ]
        kb.add_configurations(configs, origin="sobol")
        rows = []
        for d in ids:
            for c in configs:
                for s in sources:
                    row = {m: float(rng.uniform(0.1, 1.0)) for m in metrics_for(task)}
                    rows.append(
                        {
                            "dataset_id": d,
                            "config_id": c.config_id,
                            **row,
                            "fit_time": float(rng.uniform(0.01, 1)),
                            "predict_time": float(rng.uniform(0.001, 0.1)),
                            "n_folds": 5,
                            "status": "ok",
                            "error": "",
                            "source": s,
                            "provenance": '{"seed": 0}',
                        }
                    )
        runs = pd.DataFrame(rows)
        if failed:
            metric_cols = metrics_for(task)
            runs.loc[: failed - 1, metric_cols] = np.nan
            runs.loc[: failed - 1, "status"] = "failed"
            runs.loc[: failed - 1, "error"] = "ValueError: boom"
        kb.add_runs(runs)
    return kb


@pytest.fixture
def kb_factory() -> Callable[..., KnowledgeBase]:
    """The :func:`make_kb` factory: ``kb_factory(tasks=..., n_datasets=..., ...)``."""
    return make_kb


@pytest.fixture
def tiny_kb() -> KnowledgeBase:
    """Both tasks, 3 datasets and 4 configurations each, one source, dense."""
    return make_kb(tasks=("classification", "regression"))


# -- synthetic meta-learning data (see tests/models/_synthetic.py) --------------------------
@pytest.fixture(scope="session")
def task_data():
    """A small synthetic ``TaskData`` (12 datasets, 4 configurations per learner) whose
    meta-features decide which configurations do well. Read-only for the tests."""
    from models._synthetic import make_task_data

    return make_task_data(n_datasets=12, configs_per_learner=4)


# -- a tiny knowledge base and meta-models for the estimator and drop-in tests -------------
# (built from small generated datasets, see tests/recommend/_tiny.py)
@pytest.fixture(scope="session")
def kb():
    from recommend._tiny import tiny_kb

    return tiny_kb()


@pytest.fixture(scope="session")
def clf_model():
    from recommend._tiny import tiny_model

    return tiny_model("classification")


@pytest.fixture(scope="session")
def reg_model():
    from recommend._tiny import tiny_model

    return tiny_model("regression")


# -- files for the command-line tests (tests/cli) ----------------------------------------
@pytest.fixture(scope="session")
def files(tmp_path_factory):
    """``(root, kb_dir, models)``: in ``root``, the first 150 rows of breast_cancer as
    ``bc.csv``, ``bc.tsv.gz`` and ``bc.parquet``, an unreadable ``bad.parquet``, the tiny
    knowledge base saved in ``kb_dir`` and a models directory ``models`` holding a
    NearestDatasets ranker for classification fitted on it. Read-only for the tests."""
    import json

    from recommend._tiny import tiny_kb
    from sklearn.datasets import load_breast_cancer

    from autometa.models import NearestDatasets, TaskData

    root = tmp_path_factory.mktemp("cli")
    kb = tiny_kb()
    kb_dir = kb.save(root / "kb")
    df = load_breast_cancer(as_frame=True).frame.iloc[:150]
    df.to_csv(root / "bc.csv", index=False)
    df.to_csv(root / "bc.tsv.gz", sep="\t", index=False)
    df.to_parquet(root / "bc.parquet")
    (root / "bad.parquet").write_bytes(b"not a parquet file")
    models = root / "models"
    model = NearestDatasets(n_configs=5).fit(TaskData.from_kb(kb, "classification"))
    model.save(models / "classification" / "nearest")
    index = {
        "format": "autometa-models",
        "schema_version": 1,
        "tasks": {
            "classification": {
                "ranker": "nearest",
                "metric": "balanced_accuracy",
                "models": {"nearest": "classification/nearest"},
            }
        },
    }
    (models / "models.json").write_text(json.dumps(index))
    return root, kb_dir, models
