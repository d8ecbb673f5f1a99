"""A tiny knowledge base with *real* meta-features, for recommendation and estimator tests.

Eight small synthetic datasets per task; their meta-features come from
``metafeatures.extract`` (so a new dataset's meta-features line up with them); every learner
of the registry has two configurations (its default and one Sobol point); the scores are
structured (each learner's quality depends on the size and the number of features, plus
noise) so that different datasets get different recommendations. Built once per test
session (about a second per task).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification, make_regression

from autometa.kb import KnowledgeBase, metrics_for
from autometa.learners import learners_for

TASKS = ("classification", "regression")


def numeric_frame() -> pd.DataFrame:
    """90 rows of a two-class problem: four numeric features ``a``-``d`` and the target ``y``."""
    X, y = make_classification(n_samples=90, n_features=4, n_informative=2, random_state=3)
    df = pd.DataFrame(X, columns=list("abcd"))
    df["y"] = y
    return df


def _datasets(task: str, seed: int) -> list[tuple[str, pd.DataFrame, pd.Series]]:
    rng = np.random.default_rng(seed)
    out = []
    for i, (n, f) in enumerate([(40, 2), (60, 4), (80, 3), (100, 8), (120, 5), (60, 12)] * 1):
        if task == "classification":
            X, y = make_classification(
                n_samples=n,
                n_features=f,
                n_informative=min(2, f),
                n_redundant=0,
                n_classes=2,
                random_state=seed + i,
            )
        else:
            X, y = make_regression(n_samples=n, n_features=f, noise=5.0, random_state=seed + i)
        frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(f)])
        if i % 2:
            frame["cat"] = pd.Series(rng.choice(["a", "b", "c"], size=n), dtype="category")
        out.append((f"tiny/{task}-{i}", frame, pd.Series(y)))
    return out


@functools.cache
def tiny_kb(seed: int = 0) -> KnowledgeBase:
    """The tiny knowledge base (both tasks); cached, do not modify it."""
    import metafeatures

    rng = np.random.default_rng(seed)
    kb = KnowledgeBase(manifest={"command": "tests/recommend/_tiny.py"})
    for task in TASKS:
        data = _datasets(task, seed)
        ids = [d for d, _, _ in data]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mf = pd.DataFrame(
                [metafeatures.extract(X, y, task=task) for _, X, y in data],
                index=pd.Index(ids, name="dataset_id"),
            )
        kb.add_datasets(
            pd.DataFrame(
                {
                    "dataset_id": ids,
                    "name": [d.split("/")[1] for d in ids],
                    "source": "user",
                    "task": task,
                    "n_rows": [len(X) for _, X, _ in data],
                    "n_features": [X.shape[1] for _, X, _ in data],
                    "n_classes": 2 if task == "classification" else 0,
                    "family": ids,
                    "openml_id": pd.array([None] * len(ids), dtype="Int64"),
                }
            ),
            metafeatures=mf,
        )
        configs = [c for lrn in learners_for(task) for c in lrn.pool(2, seed=seed)]
        kb.add_configurations(configs, origin="sobol")
        learners = sorted({c.learner for c in configs})
        weight = rng.normal(size=(len(learners), 2))
        rows = []
        for (d, X, _), size in zip(data, np.linspace(-1, 1, len(data))):
            width = (X.shape[1] - 5) / 5
            for j, c in enumerate(configs):
                w = weight[learners.index(c.learner)]
                value = 0.7 + 0.1 * (w[0] * size + w[1] * width) + 0.02 * j / len(configs)
                value += float(rng.normal(scale=0.01))
                row = {m: np.nan for m in metrics_for(task)}
                main = "balanced_accuracy" if task == "classification" else "r2"
                row[main] = float(np.clip(value, 0.0, 1.0))
                rows.append(
                    {
                        "dataset_id": d,
                        "config_id": c.config_id,
                        **row,
                        "n_folds": 3,
                        "status": "ok",
                        "source": "runner",
                    }
                )
        kb.add_runs(pd.DataFrame(rows))
    return kb


@functools.cache
def tiny_model(task: str = "classification", seed: int = 0):
    """A NearestDatasets meta-model fitted on :func:`tiny_kb` for ``task``."""
    from autometa.models import NearestDatasets, TaskData

    return NearestDatasets(n_configs=10).fit(TaskData.from_kb(tiny_kb(seed), task))
