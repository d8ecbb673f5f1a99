from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autometa import KnowledgeBaseError, ParameterError, _atomic
from autometa.kb import (
    DEFAULT_METRIC,
    METRICS,
    SCHEMA_VERSION,
    TABLE_COLUMNS,
    KnowledgeBase,
    KnowledgeBaseSummary,
    _disk,
)
from autometa.kb._schema import COLUMN_DTYPES
from autometa.learners import Configuration, get_learner

TABLES = ("datasets", "configurations", "runs", "metafeatures")


def assert_same_kb(a: KnowledgeBase, b: KnowledgeBase) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_exact=True)
    assert a.manifest == b.manifest


# -------------------------------------------------------------------------------------------
# a hand-made knowledge base with known values
CLS = [c.config_id for c in get_learner("LogisticRegression").pool(4)]
REG = get_learner("Ridge").pool(2)


def _datasets(ids: list[str], task: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dataset_id": ids,
            "name": ids,
            "source": "user",
            "task": task,
            "n_rows": 100,
            "n_features": 4,
            "n_classes": 2 if task == "classification" else 0,
            "family": ids,
        }
    )


def _run(d: str, c: str, source: str = "runner", status: str = "ok", **metrics: float) -> dict:
    return {
        "dataset_id": d,
        "config_id": c,
        **metrics,
        "n_folds": 5,
        "status": status,
        "error": "" if status == "ok" else "MemoryError",
        "source": source,
    }


# balanced accuracy and log loss of 4 configurations on d1, d2; c3 failed on d1.
BA = {
    ("d1", CLS[0], "runner"): 0.8,
    ("d1", CLS[0], "openml"): 0.6,
    ("d1", CLS[1], "runner"): 0.9,
    ("d1", CLS[2], "runner"): 0.75,
    ("d2", CLS[0], "runner"): 0.5,
    ("d2", CLS[1], "runner"): 0.5,
    ("d2", CLS[2], "runner"): 0.5,
    ("d2", CLS[3], "runner"): 0.5,
}
LOGLOSS = {
    ("d1", CLS[0], "runner"): 0.3,
    ("d1", CLS[0], "openml"): 0.3,
    ("d1", CLS[1], "runner"): 0.1,
    ("d1", CLS[2], "runner"): 0.5,
    ("d2", CLS[0], "runner"): 0.2,
    ("d2", CLS[1], "runner"): 0.4,
    ("d2", CLS[2], "runner"): 0.6,
    ("d2", CLS[3], "runner"): 0.2,
}


@pytest.fixture
def hand_kb() -> KnowledgeBase:
    kb = KnowledgeBase()
    kb.add_datasets(
        pd.concat([_datasets(["d1", "d2"], "classification"), _datasets(["r1"], "regression")]),
        metafeatures=pd.DataFrame(
            {"a": [1.0, 2.0, 3.0]}, index=pd.Index(["d1", "d2", "r1"], name="dataset_id")
        ),
    )
    kb.add_configurations(get_learner("LogisticRegression").pool(4), origin="sobol")
    kb.add_configurations(REG)
    rows = [
        _run(d, c, s, balanced_accuracy=v, log_loss=LOGLOSS[(d, c, s)])
        for (d, c, s), v in BA.items()
    ]
    rows.append(_run("d1", CLS[3], status="failed"))
    rows += [_run("r1", REG[0].config_id, r2=0.4), _run("r1", REG[1].config_id, r2=0.6)]
    kb.add_runs(pd.DataFrame(rows))
    return kb


def expected_normalized(values: dict, greater_is_better: bool) -> dict:
    """Per dataset min-max scaling from the definition, with plain Python."""
    means: dict[tuple[str, str], list[float]] = {}
    for (d, c, _), v in values.items():
        means.setdefault((d, c), []).append(v)
    cell = {k: sum(v) / len(v) for k, v in means.items()}
    out = {}
    for d in {d for d, _ in cell}:
        row = {c: v for (dd, c), v in cell.items() if dd == d}
        best = max(row.values()) if greater_is_better else min(row.values())
        worst = min(row.values()) if greater_is_better else max(row.values())
        for c, v in row.items():
            out[(d, c)] = 1.0 if best == worst else (v - worst) / (best - worst)
    return out


# -------------------------------------------------------------------------------------------
# save / load
def test_round_trip_preserves_every_table_and_dtype(kb_factory, tmp_path):
    kb = kb_factory(tasks=("classification", "regression"), sources=("runner", "openml"), failed=3)
    kb.save(tmp_path / "kb")
    loaded = KnowledgeBase.load(tmp_path / "kb")
    assert_same_kb(kb, loaded)
    for table in ("datasets", "configurations", "runs"):
        assert list(loaded.__getattribute__(table).columns) == list(TABLE_COLUMNS[table])
        dtypes = {c: str(t) for c, t in getattr(loaded, table).dtypes.items()}
        assert dtypes == COLUMN_DTYPES[table]
    assert loaded.metafeatures.index.name == "dataset_id"
    assert (loaded.metafeatures.dtypes == "float64").all()
    assert loaded.path == tmp_path / "kb"
    assert len(loaded) == len(kb) == 2 * 3 * 4 * 2


def test_round_trip_of_empty_kb(tmp_path):
    KnowledgeBase().save(tmp_path / "empty")
    loaded = KnowledgeBase.load(tmp_path / "empty")
    assert_same_kb(KnowledgeBase(), loaded)
    assert len(loaded) == 0


def test_save_replaces_a_knowledge_base_but_refuses_other_paths(kb_factory, tmp_path):
    kb_factory(n_datasets=2).save(tmp_path / "kb")
    new = kb_factory(n_datasets=3)
    new.save(tmp_path / "kb")
    assert_same_kb(new, KnowledgeBase.load(tmp_path / "kb"))
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"x")
    with pytest.raises(KnowledgeBaseError, match="non-empty directory that is not a knowledge"):
        new.save(other)
    assert (other / "cat.jpg").exists()
    with pytest.raises(KnowledgeBaseError, match="it is a file"):
        new.save(other / "cat.jpg")


def test_save_is_atomic(kb_factory, tmp_path, monkeypatch):
    old = kb_factory(n_datasets=2)
    old.save(tmp_path / "kb")
    calls = []

    def failing_write(frame, path):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        frame.to_parquet(path, index=False)

    monkeypatch.setattr(_disk, "_write_table", failing_write)
    with pytest.raises(OSError, match="disk full"):
        kb_factory(n_datasets=4).save(tmp_path / "kb")
    assert len(calls) == 3
    assert_same_kb(old, KnowledgeBase.load(tmp_path / "kb"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb"]  # no temp dir left behind


def test_failed_first_save_leaves_nothing(kb_factory, tmp_path, monkeypatch):
    def failing_write(frame, path):
        raise OSError("disk full")

    monkeypatch.setattr(_disk, "_write_table", failing_write)
    with pytest.raises(OSError, match="disk full"):
        kb_factory().save(tmp_path / "kb")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def saved(kb_factory, tmp_path) -> Path:
    path = tmp_path / "kb"
    kb_factory(n_datasets=2).save(path)
    return path


def _edit_manifest(path: Path, **changes) -> None:
    manifest = json.loads((path / "manifest.json").read_text())
    manifest.update(changes)
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_load_errors_for_paths(tmp_path, saved):
    with pytest.raises(KnowledgeBaseError, match="No knowledge base at .*does not exist"):
        KnowledgeBase.load(tmp_path / "nope")
    with pytest.raises(KnowledgeBaseError, match=r"is a file.*Give its directory"):
        KnowledgeBase.load(saved / "manifest.json")
    (tmp_path / "other").mkdir()
    with pytest.raises(KnowledgeBaseError, match="is not a knowledge base: it holds no manifest"):
        KnowledgeBase.load(tmp_path / "other")


def test_load_error_invalid_json(saved):
    (saved / "manifest.json").write_text("{not json")
    with pytest.raises(KnowledgeBaseError, match="manifest.json' is not valid JSON"):
        KnowledgeBase.load(saved)


def test_load_error_foreign_json(saved):
    (saved / "manifest.json").write_text(json.dumps({"name": "my-package", "version": "1.0"}))
    with pytest.raises(KnowledgeBaseError, match="not an autometa knowledge-base manifest"):
        KnowledgeBase.load(saved)


def test_load_error_newer_schema(saved):
    _edit_manifest(saved, schema_version=SCHEMA_VERSION + 1)
    with pytest.raises(
        KnowledgeBaseError, match=rf"schema version {SCHEMA_VERSION + 1}.*Upgrade autometa"
    ):
        KnowledgeBase.load(saved)


def test_load_error_older_schema(saved):
    _edit_manifest(saved, schema_version=0)
    with pytest.raises(KnowledgeBaseError, match="schema version 0, older than any.*Rebuild"):
        KnowledgeBase.load(saved)


def test_load_error_bad_schema_version(saved):
    _edit_manifest(saved, schema_version="one")
    with pytest.raises(KnowledgeBaseError, match="no valid schema_version"):
        KnowledgeBase.load(saved)


def test_load_error_missing_file(saved):
    (saved / "runs.parquet").unlink()
    with pytest.raises(KnowledgeBaseError, match="incomplete: the file 'runs.parquet'.*missing"):
        KnowledgeBase.load(saved)


def test_load_error_checksum_mismatch(saved):
    runs = pd.read_parquet(saved / "runs.parquet")
    runs.loc[0, "balanced_accuracy"] = 1.0
    runs.to_parquet(saved / "runs.parquet", index=False)
    with pytest.raises(KnowledgeBaseError, match=r"runs.parquet' is corrupted or was changed"):
        KnowledgeBase.load(saved)


def _rewrite(saved: Path, table: str, frame: pd.DataFrame) -> None:
    """Replace a table file and fix its checksum, as a foreign writer would."""
    file = saved / f"{table}.parquet"
    frame.to_parquet(file, index=False)
    manifest = json.loads((saved / "manifest.json").read_text())
    manifest["files"][table]["sha256"] = _atomic.sha256_file(file)
    (saved / "manifest.json").write_text(json.dumps(manifest))


def test_load_error_missing_column(saved):
    _rewrite(saved, "datasets", pd.read_parquet(saved / "datasets.parquet").drop(columns="task"))
    with pytest.raises(
        KnowledgeBaseError, match=r"datasets table \(file '.*kb/datasets.parquet'\) lacks.*'task'"
    ):
        KnowledgeBase.load(saved)


def test_load_error_wrong_dtype(saved):
    datasets = pd.read_parquet(saved / "datasets.parquet")
    datasets["n_rows"] = "many"
    _rewrite(saved, "datasets", datasets)
    with pytest.raises(KnowledgeBaseError, match="'n_rows' of the datasets table.*int64"):
        KnowledgeBase.load(saved)


def test_load_error_damaged_parquet(saved):
    (saved / "configurations.parquet").write_bytes(b"garbage")
    _rewrite_checksum_only(saved, "configurations")
    with pytest.raises(
        KnowledgeBaseError, match="Cannot read .*configurations.parquet' as parquet"
    ):
        KnowledgeBase.load(saved)


def _rewrite_checksum_only(saved: Path, table: str) -> None:
    manifest = json.loads((saved / "manifest.json").read_text())
    manifest["files"][table]["sha256"] = _atomic.sha256_file(saved / f"{table}.parquet")
    (saved / "manifest.json").write_text(json.dumps(manifest))


def test_default_kb(tmp_path, monkeypatch, kb_factory):
    from importlib import resources

    monkeypatch.setattr(resources, "files", lambda package: tmp_path)
    with pytest.raises(KnowledgeBaseError, match="No default knowledge base is shipped"):
        KnowledgeBase.default()
    kb = kb_factory()
    kb.save(tmp_path / "data" / "default_kb")
    assert_same_kb(kb, KnowledgeBase.default())


# -------------------------------------------------------------------------------------------
# validation of tables
def test_constructor_validates_tables(hand_kb):
    runs = hand_kb.runs
    with pytest.raises(KnowledgeBaseError, match="unknown column.*'balanced_acc'"):
        KnowledgeBase(runs=runs.rename(columns={"balanced_accuracy": "balanced_acc"}))
    with pytest.raises(KnowledgeBaseError, match="configurations table .* lacks .*'learner'"):
        KnowledgeBase(configurations=hand_kb.configurations.drop(columns="learner"))
    bad = hand_kb.datasets
    bad.loc[0, "task"] = "clustering"
    with pytest.raises(KnowledgeBaseError, match="'task' column .* Got 'clustering' instead"):
        KnowledgeBase(datasets=bad)
    dup = pd.concat([hand_kb.datasets, hand_kb.datasets.iloc[:1]])
    with pytest.raises(KnowledgeBaseError, match="several rows with the same key.*'d1'"):
        KnowledgeBase(datasets=dup)
    with pytest.raises(KnowledgeBaseError, match="refer to dataset.*'d1'.*add_datasets"):
        KnowledgeBase(configurations=hand_kb.configurations, runs=runs)
    with pytest.raises(KnowledgeBaseError, match="must be JSON-serializable"):
        KnowledgeBase(manifest={"when": object()})
    with pytest.raises(KnowledgeBaseError, match="may not set the key.*'files'"):
        KnowledgeBase(manifest={"files": []})
    with pytest.raises(KnowledgeBaseError, match="whole numbers"):
        KnowledgeBase(datasets=hand_kb.datasets.assign(n_rows=1.5))


def test_add_runs_validates(hand_kb):
    run = _run("d1", CLS[0], status="crashed")
    with pytest.raises(KnowledgeBaseError, match=r"'status' column .* Got 'crashed' instead"):
        hand_kb.add_runs(pd.DataFrame([run]))
    with pytest.raises(KnowledgeBaseError, match=r"configuration\(s\) 'Ridge-x'.*add_config"):
        hand_kb.add_runs(pd.DataFrame([_run("d1", "Ridge-x")]))
    with pytest.raises(KnowledgeBaseError, match=r"dataset\(s\) 'd9', 'd8'|'d8', 'd9'"):
        hand_kb.add_runs(pd.DataFrame([_run("d9", CLS[0]), _run("d8", CLS[0])]))
    with pytest.raises(KnowledgeBaseError, match="different tasks.*Ridge"):
        hand_kb.add_runs(pd.DataFrame([_run("d1", REG[0].config_id)]))
    with pytest.raises(KnowledgeBaseError, match="'dataset_id' of the runs table .* missing"):
        hand_kb.add_runs(pd.DataFrame([_run(None, CLS[0])]))


def test_add_runs_upserts_by_run_key(hand_kb):
    n = len(hand_kb)
    hand_kb.add_runs(pd.DataFrame([_run("d1", CLS[1], "runner", balanced_accuracy=0.1)]))
    assert len(hand_kb) == n
    runs = hand_kb.runs
    row = runs[(runs.dataset_id == "d1") & (runs.config_id == CLS[1])]
    assert row["balanced_accuracy"].tolist() == [0.1]
    # metric columns left out are NaN
    assert math.isnan(row["roc_auc"].iloc[0]) and math.isnan(row["log_loss"].iloc[0])
    hand_kb.add_runs(pd.DataFrame([_run("d1", CLS[1], "optuna", balanced_accuracy=0.3)]))
    assert len(hand_kb) == n + 1
    matrix = hand_kb.performance_matrix(task="classification")
    assert matrix.loc["d1", CLS[1]] == pytest.approx(0.2)


def test_add_datasets_upserts_with_metafeatures(hand_kb):
    new = _datasets(["d2", "d3"], "classification").assign(n_rows=[7, 8])
    mf = pd.DataFrame({"b": [5.0, 6.0]}, index=pd.Index(["d2", "d3"], name="dataset_id"))
    hand_kb.add_datasets(new, metafeatures=mf)
    ds = hand_kb.datasets.set_index("dataset_id")
    assert ds.loc[["d1", "d2", "d3"], "n_rows"].tolist() == [100, 7, 8]
    assert len(ds) == 4
    got = hand_kb.metafeatures
    assert list(got.columns) == ["a", "b"]
    assert got.loc["d1", "a"] == 1.0 and math.isnan(got.loc["d1", "b"])
    assert math.isnan(got.loc["d2", "a"]) and got.loc["d2", "b"] == 5.0  # the row is replaced
    with pytest.raises(KnowledgeBaseError, match=r"Meta-features .* dataset\(s\) 'zz'"):
        hand_kb.add_datasets(new, metafeatures=pd.DataFrame({"a": [1.0]}, index=["zz"]))
    with pytest.raises(KnowledgeBaseError, match=r"must be numeric.*'s'"):
        hand_kb.add_datasets(new, metafeatures=pd.DataFrame({"s": ["x", "y"]}, index=new.name))


def test_add_configurations_dedups_and_round_trips(hand_kb):
    n = len(hand_kb.configurations)
    pool = get_learner("LogisticRegression").pool(5)
    hand_kb.add_configurations(pool, origin="optuna")
    confs = hand_kb.configurations.set_index("config_id")
    assert len(confs) == n + 1
    assert confs.loc[CLS[0], "origin"] == "sobol"  # the first recorded origin is kept
    assert confs.loc[pool[4].config_id, "origin"] == "optuna"
    assert hand_kb.configuration(pool[4].config_id) == pool[4]
    other = KnowledgeBase().add_configurations(hand_kb.configurations)
    pd.testing.assert_frame_equal(other.configurations, hand_kb.configurations)
    with pytest.raises(KnowledgeBaseError, match="item of type str"):
        hand_kb.add_configurations(["LogisticRegression"])
    with pytest.raises(KnowledgeBaseError, match="Unknown configuration 'nope'"):
        hand_kb.configuration("nope")


# -------------------------------------------------------------------------------------------
# matrices
def test_performance_matrix_values(hand_kb):
    matrix = hand_kb.performance_matrix(task="classification")
    assert matrix.index.tolist() == ["d1", "d2"]
    assert matrix.columns.tolist() == CLS
    for d in ("d1", "d2"):
        for c in CLS:
            values = [v for (dd, cc, _), v in BA.items() if (dd, cc) == (d, c)]
            if values:
                assert matrix.loc[d, c] == pytest.approx(sum(values) / len(values))
            else:
                assert math.isnan(matrix.loc[d, c])  # failed run
    assert hand_kb.performance_matrix(task="classification", sources=["openml"]).loc[
        "d1", CLS[0]
    ] == pytest.approx(0.6)
    filled = hand_kb.performance_matrix("balanced_accuracy", fill_failed=0.0)
    assert filled.loc["d1", CLS[3]] == 0.0
    reg = hand_kb.performance_matrix(task="regression")
    assert reg.loc["r1"].tolist() == [0.4, 0.6]


def test_default_metric_and_metric_errors(hand_kb):
    assert DEFAULT_METRIC == {"classification": "balanced_accuracy", "regression": "r2"}
    with pytest.raises(ParameterError, match="needs the 'task' parameter.*both tasks"):
        hand_kb.performance_matrix()
    with pytest.raises(ParameterError, match="'metric' parameter.*Got 'f1' instead"):
        hand_kb.performance_matrix("f1")
    with pytest.raises(ParameterError, match="'r2' is a regression metric"):
        hand_kb.normalized_matrix("r2", task="classification")
    with pytest.raises(ParameterError, match="'task' parameter .* Got 'ranking' instead"):
        hand_kb.performance_matrix(task="ranking")
    with pytest.raises(ParameterError, match="'status' parameter.*Got 'done' instead"):
        hand_kb.performance_matrix(task="regression", status="done")
    with pytest.raises(ParameterError, match="'fill_failed' parameter.*Got 'best' instead"):
        hand_kb.normalized_matrix(task="regression", fill_failed="best")
    only_reg = hand_kb.subset(task="regression")
    pd.testing.assert_frame_equal(only_reg.performance_matrix(), only_reg.performance_matrix("r2"))
    # task None (or "auto", the same): the metric's task, else the only task
    pd.testing.assert_frame_equal(
        only_reg.performance_matrix(task="auto"), only_reg.performance_matrix("r2")
    )
    pd.testing.assert_frame_equal(
        hand_kb.normalized_matrix("r2", task="auto"), hand_kb.normalized_matrix("r2")
    )
    with pytest.raises(ParameterError, match="needs the 'task' parameter.*both tasks"):
        hand_kb.performance_matrix(task="auto")


@pytest.mark.parametrize(("metric", "values"), [("balanced_accuracy", BA), ("log_loss", LOGLOSS)])
def test_normalized_matrix_values(hand_kb, metric, values):
    expected = expected_normalized(values, METRICS[metric].greater_is_better)
    got = hand_kb.normalized_matrix(metric)
    for (d, c), v in expected.items():
        assert got.loc[d, c] == pytest.approx(v)
    assert got.loc["d1", CLS[3]] == 0.0  # the failed run scores as the worst
    assert math.isnan(hand_kb.normalized_matrix(metric, fill_failed=None).loc["d1", CLS[3]])


def test_normalized_matrix_orientation_and_ties(hand_kb):
    ll = hand_kb.normalized_matrix("log_loss")
    assert ll.loc["d1", CLS[1]] == 1.0  # lowest log loss is the best
    assert ll.loc["d1", CLS[2]] == 0.0
    assert ll.loc["d2"].tolist() == pytest.approx([1.0, 0.5, 0.0, 1.0])  # 0.2, 0.4, 0.6, 0.2
    ba = hand_kb.normalized_matrix(task="classification")
    assert ba.loc["d2"].tolist() == [1.0, 1.0, 1.0, 1.0]  # all tie: each is the best


# -------------------------------------------------------------------------------------------
# merge, subset, summary
def test_merge_other_wins_and_unions(hand_kb):
    other = KnowledgeBase()
    other.add_datasets(
        _datasets(["d1", "d5"], "classification").assign(n_rows=[1, 2]),
        metafeatures=pd.DataFrame(
            {"z": [9.0, 8.0]}, index=pd.Index(["d1", "d5"], name="dataset_id")
        ),
    )
    other.add_configurations(get_learner("LogisticRegression").pool(2), origin="openml")
    other.add_runs(
        pd.DataFrame([_run("d1", CLS[0], "runner", balanced_accuracy=0.0), _run("d5", CLS[1])])
    )
    merged = hand_kb.merge(other)
    assert len(merged) == len(hand_kb) + 1
    assert merged.performance_matrix(task="classification").loc["d1", CLS[0]] == pytest.approx(
        (0.0 + 0.6) / 2
    )
    ds = merged.datasets.set_index("dataset_id")
    assert ds.loc["d1", "n_rows"] == 1 and ds.loc["d2", "n_rows"] == 100
    assert sorted(ds.index) == ["d1", "d2", "d5", "r1"]
    assert merged.configurations.set_index("config_id").loc[CLS[0], "origin"] == "sobol"
    assert sorted(merged.metafeatures.columns) == ["a", "z"]
    assert merged.metafeatures.loc["d1", "z"] == 9.0 and merged.metafeatures.loc["d2", "a"] == 2.0
    assert len(hand_kb) == 11  # merge returns a new knowledge base
    with pytest.raises(KnowledgeBaseError, match="must be a KnowledgeBase"):
        hand_kb.merge(hand_kb.runs)


def test_subset(hand_kb):
    sub = hand_kb.subset(["d1"])
    assert sub.datasets["dataset_id"].tolist() == ["d1"]
    assert set(sub.runs["dataset_id"]) == {"d1"}
    assert sub.metafeatures.index.tolist() == ["d1"]
    assert len(sub.configurations) == len(hand_kb.configurations)
    reg = hand_kb.subset(task="regression")
    assert set(reg.configurations["learner"]) == {"Ridge"} and len(reg) == 2
    none = hand_kb.subset(learners=["SVC"])
    assert len(none) == 0 and len(none.configurations) == 0 and len(none.datasets) == 3
    with pytest.raises(KnowledgeBaseError, match="Unknown dataset.*'d7'"):
        hand_kb.subset(["d1", "d7"])
    with pytest.raises(ParameterError, match="Unknown learner 'Nope'"):
        hand_kb.subset(learners=["Nope"])


def test_tables_returned_are_copies(hand_kb):
    runs = hand_kb.runs
    runs.loc[:, "balanced_accuracy"] = np.nan
    assert hand_kb.runs["balanced_accuracy"].notna().any()


def test_summary_counts(hand_kb, tmp_path):
    s = hand_kb.summary()
    assert isinstance(s, KnowledgeBaseSummary)
    assert (s.n_datasets, s.n_configurations, s.n_runs, s.n_metafeatures) == (3, 6, 11, 1)
    assert s.datasets_per_task == {"classification": 2, "regression": 1}
    assert s.configurations_per_learner == {"LogisticRegression": 4, "Ridge": 2}
    assert s.runs_per_status == {"failed": 1, "ok": 10}
    assert s.runs_per_source == {"openml": 1, "runner": 10}
    assert s.density == {"classification": pytest.approx(7 / 8), "regression": 1.0}
    assert s.size_on_disk is None
    text = str(s)
    assert "runs             11: failed 1, ok 10" in text
    assert "classification 87.5%" in text
    assert repr(hand_kb) == "KnowledgeBase(datasets=3, configurations=6, runs=11, metafeatures=1)"
    hand_kb.save(tmp_path / "kb")
    on_disk = KnowledgeBase.load(tmp_path / "kb").summary()
    assert on_disk.size_on_disk == sum(f.stat().st_size for f in (tmp_path / "kb").iterdir())
    assert on_disk.saved["saved_with"]["autometa"]
    json.dumps(on_disk.to_dict())  # serializable for `kb info --format json`


def test_configuration_objects_match_the_registry(hand_kb):
    for config_id in hand_kb.configurations["config_id"]:
        conf = hand_kb.configuration(config_id)
        assert isinstance(conf, Configuration) and conf.config_id == config_id
