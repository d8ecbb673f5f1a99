"""Schema 2: runs at several data sizes, v1 knowledge bases upgraded on load; per-dataset
searches; explicit pools, the build lock and the --out check of the runner."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autometa._exceptions import DataError, KnowledgeBaseError, ParameterError
from autometa.kb import (
    SCHEMA_VERSION,
    KnowledgeBase,
    build_knowledge_base,
    discover_datasets,
    search_configurations,
)
from autometa.kb._runner import _WorkDir
from autometa.kb._search import load_searches
from autometa.learners import Configuration, get_learner


def _write(path: Path, n: int, seed: int, kind: str = "binary") -> Path:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    if kind == "binary":
        frame["y"] = np.where(x[:, 0] + 0.5 * rng.normal(size=n) > 0, "yes", "no")
    else:
        frame["y"] = 3 * x[:, 0] - x[:, 1] + rng.normal(size=n)
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    _write(root / "small.csv", 90, 0)
    _write(root / "large.csv", 400, 1)
    _write(root / "reg.csv", 80, 2, kind="regression")
    return root


def _specs(data_dir: Path, task: str | None = "classification"):
    return discover_datasets(data_dir, target="y", task=task)


# -- schema 2 ---------------------------------------------------------------------------
def _two_sizes_kb() -> KnowledgeBase:
    configs = [Configuration("DecisionTreeClassifier", {"max_depth": d}) for d in (2, 4)]
    datasets = pd.DataFrame(
        {
            "dataset_id": ["d/a"],
            "name": ["a"],
            "source": ["user"],
            "task": ["classification"],
            "n_rows": [5000],
            "n_features": [3],
            "n_classes": [2],
            "family": ["a"],
        }
    )
    configurations = pd.DataFrame(
        {
            "config_id": [c.config_id for c in configs],
            "learner": [c.learner for c in configs],
            "task": "classification",
            "params": [c.params_json for c in configs],
            "origin": "sobol",
        }
    )
    rows = []
    # at 1,000 rows the shallow tree wins; at 5,000 the deep one; one size has more runs
    for size, scores in ((1000, (0.9, 0.7)), (5000, (0.6, 0.8))):
        for c, score in zip(configs, scores):
            rows.append(
                {
                    "dataset_id": "d/a",
                    "config_id": c.config_id,
                    "balanced_accuracy": score,
                    "n_folds": 3,
                    "n_rows_used": size,
                    "n_train_rows": size * 2 // 3,
                    "status": "ok",
                    "source": "runner",
                }
            )
    rows.append({**rows[0], "source": "hpo"})  # a second source at 1,000 rows
    return KnowledgeBase(datasets, configurations, pd.DataFrame(rows))


def test_one_configuration_can_have_runs_at_several_sizes():
    kb = _two_sizes_kb()
    assert len(kb.runs) == 5
    sizes = sorted(kb.runs["n_rows_used"].unique())
    assert sizes == [1000, 5000]


def test_matrices_compare_configurations_at_one_size_per_dataset():
    kb = _two_sizes_kb()
    ids = list(kb.configurations["config_id"])
    reference = kb.performance_matrix(task="classification")
    assert reference.loc["d/a", ids].tolist() == [0.9, 0.7]  # the size most runs share
    largest = kb.performance_matrix(task="classification", n_rows="largest")
    assert largest.loc["d/a", ids].tolist() == [0.6, 0.8]
    assert kb.normalized_matrix(task="classification", n_rows=5000).loc["d/a", ids].tolist() == [
        0.0,
        1.0,
    ]
    mixed = kb.performance_matrix(task="classification", n_rows=None)
    assert mixed.loc["d/a", ids[1]] == pytest.approx(0.75)
    with pytest.raises(ParameterError, match="'n_rows' parameter must be 'reference'"):
        kb.performance_matrix(task="classification", n_rows="smallest")


def test_a_learning_curve_is_compared_at_its_full_size():
    kb = _two_sizes_kb()
    runs = kb.runs.loc[kb.runs["source"] == "runner"]  # two runs at each size: a tie
    kept = KnowledgeBase.runs_at_size(runs, "reference")
    assert set(kept["n_rows_used"]) == {5000}


def test_dense_configurations_leave_out_configurations_of_few_datasets(tmp_path, kb_factory):
    kb = kb_factory(n_datasets=4, configs_per_learner=2)
    pool = kb.dense_configurations("classification")
    assert sorted(pool) == sorted(kb.configurations["config_id"])
    extra = Configuration("DecisionTreeClassifier", {"max_depth": 3})
    kb.add_configurations([extra])
    one = kb.runs.iloc[[0]].assign(config_id=extra.config_id)
    kb.add_runs(one)  # measured on one dataset of four: knowledge, but not the pool
    assert extra.config_id not in kb.dense_configurations("classification")
    assert extra.config_id in kb.dense_configurations("classification", min_coverage=0.25)


def _as_v1(kb: KnowledgeBase, path: Path) -> None:
    """Save ``kb`` as a schema-1 knowledge base (without the v2 columns)."""
    from autometa._atomic import sha256_file as _sha256

    kb.save(path)
    runs = pd.read_parquet(path / "runs.parquet").drop(columns=["n_rows_used", "n_train_rows"])
    runs.to_parquet(path / "runs.parquet", index=False)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["schema_version"] = 1
    manifest["files"]["runs"]["sha256"] = _sha256(path / "runs.parquet")
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_a_v1_knowledge_base_is_upgraded_on_load(tmp_path, kb_factory):
    kb = kb_factory(n_datasets=2, configs_per_learner=2)
    runs = kb.runs
    runs["provenance"] = [json.dumps({"n_rows_used": 40})] + ["{}"] * (len(runs) - 1)
    kb = KnowledgeBase(kb.datasets, kb.configurations, runs, kb.metafeatures, kb.manifest)
    _as_v1(kb, tmp_path / "v1")
    loaded = KnowledgeBase.load(tmp_path / "v1")
    n_rows = loaded.runs["dataset_id"].map(loaded.datasets.set_index("dataset_id")["n_rows"])
    expected = n_rows.copy()
    expected.iloc[0] = 40  # recorded by the runner when it subsampled
    assert loaded.runs["n_rows_used"].tolist() == expected.tolist()
    folds = loaded.runs["n_folds"]
    assert loaded.runs["n_train_rows"].tolist() == list(
        (expected * (folds - 1) / folds).round().astype(int)
    )
    loaded.save(tmp_path / "v2")
    manifest = json.loads((tmp_path / "v2" / "manifest.json").read_text())
    assert manifest["schema_version"] == SCHEMA_VERSION == 2


def test_a_v1_friedman_mse_configuration_becomes_its_squared_error_twin(tmp_path):
    params = {"max_depth": 4, "criterion": "squared_error"}
    canonical = Configuration("DecisionTreeRegressor", params)
    old_json = json.dumps(
        {**dict(canonical.params), "criterion": "friedman_mse"}, sort_keys=True
    ).replace(" ", "")
    old_id = "DecisionTreeRegressor-0123456789"
    kb = KnowledgeBase(
        pd.DataFrame(
            {
                "dataset_id": ["d/r"],
                "name": ["r"],
                "source": ["user"],
                "task": ["regression"],
                "n_rows": [100],
                "n_features": [2],
                "n_classes": [0],
                "family": ["r"],
            }
        ),
        pd.DataFrame(
            {
                "config_id": [old_id, canonical.config_id],
                "learner": "DecisionTreeRegressor",
                "task": "regression",
                "params": [old_json, canonical.params_json],
                "origin": "sobol",
            }
        ),
        pd.DataFrame(
            {
                "dataset_id": "d/r",
                "config_id": [old_id, canonical.config_id],
                "r2": [0.5, 0.5],
                "n_folds": 3,
                "status": "ok",
                "source": "runner",
            }
        ),
    )
    _as_v1(kb, tmp_path / "v1")
    loaded = KnowledgeBase.load(tmp_path / "v1")
    assert loaded.configurations["config_id"].tolist() == [canonical.config_id]
    assert loaded.runs["config_id"].tolist() == [canonical.config_id]


def test_friedman_mse_is_read_as_squared_error_and_never_warns():
    config = Configuration("RandomForestRegressor", {"criterion": "friedman_mse"})
    assert config.params["criterion"] == "squared_error"
    assert config == Configuration("RandomForestRegressor", {})
    assert (
        "friedman_mse" not in get_learner("ExtraTreesRegressor").optuna_space()["criterion"].choices
    )
    X = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) % 3})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config.make_pipeline().fit(X, np.arange(20.0))


# -- the runner ---------------------------------------------------------------------------
def test_runs_of_a_build_record_the_rows_used(data_dir, tmp_path):
    kb = build_knowledge_base(
        _specs(data_dir),
        tmp_path / "kb",
        configs_per_learner=1,
        folds=2,
        max_rows=100,
        learners=["DecisionTreeClassifier"],
    )
    runs = kb.runs.set_index("dataset_id")
    used = runs["n_rows_used"]
    assert 98 <= used["file/large"] <= 100  # subsampled, stratified (floor per class)
    assert used["file/large"] == json.loads(runs.loc["file/large", "provenance"])["n_rows_used"]
    assert used["file/small"] == 90
    assert kb.runs.set_index("dataset_id")["n_train_rows"]["file/small"] == 45


def test_an_explicit_pool_per_dataset(data_dir, tmp_path):
    a = Configuration("DecisionTreeClassifier", {"max_depth": 2})
    b = Configuration("LogisticRegression", {"C": 0.5})
    kb = build_knowledge_base(
        _specs(data_dir),
        tmp_path / "kb",
        folds=2,
        configurations={"file/small": [a, b], "file/large": [b]},
    )
    pairs = set(zip(kb.runs["dataset_id"], kb.runs["config_id"]))
    assert pairs == {
        ("file/small", a.config_id),
        ("file/small", b.config_id),
        ("file/large", b.config_id),
    }
    with pytest.raises(KnowledgeBaseError, match="assignment"):
        build_knowledge_base(
            _specs(data_dir), tmp_path / "kb", folds=2, configurations={"file/small": [a]}
        )


def test_a_second_build_on_the_same_out_is_refused_while_one_runs(data_dir, tmp_path):
    held = _WorkDir(tmp_path / "kb.build")
    held.lock()
    try:
        with pytest.raises(KnowledgeBaseError, match="Another build is running on"):
            build_knowledge_base(_specs(data_dir), tmp_path / "kb", configs_per_learner=1)
    finally:
        held.close()
    assert not (tmp_path / "kb").exists()


def test_an_out_that_cannot_be_saved_to_is_refused_before_any_work(data_dir, tmp_path):
    out = tmp_path / "notes"
    out.mkdir()
    (out / "mine.txt").write_text("not a knowledge base")
    with pytest.raises(KnowledgeBaseError, match="non-empty directory that is not a knowledge"):
        build_knowledge_base(_specs(data_dir), out, configs_per_learner=1)
    assert not (tmp_path / "notes.build").exists()
    assert (out / "mine.txt").read_text() == "not a knowledge base"


# -- per-dataset searches ----------------------------------------------------------------
def test_searches_store_every_trial_and_resume_without_refitting(data_dir, tmp_path):
    specs = _specs(data_dir, task=None)
    prior_config = Configuration("Ridge", {"alpha": 10.0})
    calls = []
    result = search_configurations(
        specs,
        tmp_path / "hpo",
        n_trials=3,
        folds=2,
        max_rows=100,
        learners=["DecisionTreeClassifier", "Ridge"],
        prior={("file/reg", "Ridge"): [(prior_config.params_json, 0.7)]},
        on_progress=lambda done, total: calls.append((done, total)),
    )
    runs = result.runs
    assert set(runs["source"]) == {"hpo"}
    assert calls[-1] == (3, 3)  # two classification datasets x 1 learner, one regression
    per = runs.groupby("dataset_id")["config_id"].nunique()
    assert (per >= 2).all() and (per <= 4).all()  # the default, then up to 3 new trials
    ridge = runs.loc[runs["dataset_id"] == "file/reg", "config_id"]
    assert prior_config.config_id not in set(ridge)  # a prior run is not refitted
    assert Configuration("Ridge", {}).config_id in set(ridge)  # the default is tried first
    assert set(runs["config_id"]) <= set(result.configurations["config_id"])
    again = search_configurations(
        specs,
        tmp_path / "hpo",
        n_trials=3,
        folds=2,
        max_rows=100,
        learners=["DecisionTreeClassifier", "Ridge"],
        on_progress=lambda *a: pytest.fail("a finished search ran again"),
    )
    assert len(again.runs) == len(runs)
    (tmp_path / "hpo" / "journal.jsonl").unlink()  # a fresh checkout: committed files only
    assert len(load_searches(tmp_path / "hpo").runs) == len(runs)
    with pytest.raises(DataError, match="settings differ"):
        search_configurations(specs, tmp_path / "hpo", n_trials=5, folds=2, max_rows=100)
