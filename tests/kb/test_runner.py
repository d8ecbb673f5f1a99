"""The local runner: dense CV matrix, failures, timeouts, resume after SIGKILL, Dask."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold, cross_val_score

from autometa._exceptions import DataError, KnowledgeBaseError, ParameterError
from autometa.kb import (
    DatasetSpec,
    KnowledgeBase,
    build_knowledge_base,
    discover_datasets,
    refresh_metafeatures,
)
from autometa.kb._runner import compute_metafeatures, evaluate_configuration
from autometa.learners import Configuration, get_learner

CLF = ["LogisticRegression", "SVC", "DecisionTreeClassifier"]
REG = ["Ridge", "DecisionTreeRegressor"]
METRIC_COLUMNS = ["accuracy", "balanced_accuracy", "roc_auc", "log_loss", "r2", "rmse", "mae"]


def _write(path: Path, n: int, kind: str, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["colour"] = rng.choice(["red", "green", "blue"], size=n)
    if kind == "binary":
        frame["y"] = np.where(x[:, 0] + 0.5 * rng.normal(size=n) > 0, "yes", "no")
    elif kind == "multiclass":
        frame["y"] = np.digitize(x[:, 0] + x[:, 1], [-0.5, 0.5]).astype(int)
    else:
        frame["y"] = 3 * x[:, 0] - x[:, 1] + rng.normal(size=n)
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    _write(root / "bin.csv", 150, "binary")
    _write(root / "multi.csv", 300, "multiclass", seed=1)  # subsampled to 200
    _write(root / "reg.csv", 120, "regression", seed=2)
    return root


@pytest.fixture(scope="module")
def small_build(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("kb") / "kb"
    kb = build_knowledge_base(
        discover_datasets(data_dir, target="y"),
        out,
        configs_per_learner=2,
        folds=2,
        max_rows=200,
        learners=CLF + REG,
    )
    return out, kb


def test_small_build_is_a_dense_matrix_with_every_applicable_metric(small_build):
    out, kb = small_build
    assert KnowledgeBase.load(out).runs.shape == kb.runs.shape
    runs = kb.runs.merge(kb.datasets[["dataset_id", "task", "n_classes"]], on="dataset_id")
    runs = runs.merge(kb.configurations[["config_id", "learner"]], on="config_id")
    # dense: every configuration of a task on every dataset of that task, once
    for task, learners in (("classification", CLF), ("regression", REG)):
        ids = set(kb.datasets.loc[kb.datasets["task"] == task, "dataset_id"])
        configs = set(kb.configurations.loc[kb.configurations["task"] == task, "config_id"])
        assert len(configs) == 2 * len(learners)
        part = runs[runs["task"] == task]
        assert set(zip(part["dataset_id"], part["config_id"])) == {
            (d, c) for d in ids for c in configs
        }
        assert len(part) == len(ids) * len(configs)
    assert (runs["status"] == "ok").all() and (runs["n_folds"] == 2).all()
    assert (runs["fit_time"] > 0).all() and (runs["predict_time"] > 0).all()
    clf = runs[runs["task"] == "classification"]
    reg = runs[runs["task"] == "regression"]
    assert clf[["accuracy", "balanced_accuracy"]].notna().all().all()
    assert clf[["r2", "rmse", "mae"]].isna().all().all()
    assert reg[["r2", "rmse", "mae"]].notna().all().all()
    assert reg[["accuracy", "balanced_accuracy", "roc_auc", "log_loss"]].isna().all().all()
    proba = clf[clf["learner"] != "SVC"]
    assert proba[["roc_auc", "log_loss"]].notna().all().all()
    svc = clf[clf["learner"] == "SVC"]  # no predict_proba in scikit-learn 1.9
    assert svc["log_loss"].isna().all()
    assert svc.loc[svc["n_classes"] == 2, "roc_auc"].notna().all()  # decision_function
    assert svc.loc[svc["n_classes"] == 3, "roc_auc"].isna().all()
    # subsampled once, recorded in the provenance
    multi = runs[runs["dataset_id"] == "file/multi"]
    (used,) = {json.loads(p)["n_rows_used"] for p in multi["provenance"]}
    assert 200 - 3 <= used <= 200  # floor of each class's share
    assert kb.datasets.set_index("dataset_id").loc["file/multi", "n_rows"] == 300
    # meta-features of every dataset, and the manifest
    assert set(kb.metafeatures.index) == set(kb.datasets["dataset_id"])
    manifest = kb.manifest
    assert manifest["settings"]["folds"] == 2 and manifest["complete"] is True
    assert {"scikit-learn", "numpy", "pandas", "autometa"} <= set(manifest["versions"])


def test_metrics_equal_scikit_learn_cross_validation_on_the_same_splits(data_dir):
    spec = discover_datasets(data_dir / "bin.csv", target="y")[0]
    config = get_learner("LogisticRegression").default_configuration()
    run = evaluate_configuration(spec, config, folds=3, seed=7)
    X = pd.read_csv(data_dir / "bin.csv").astype({"colour": "category"})
    y = (X.pop("y") == "yes").astype(int)
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=7)
    pipe = config.make_pipeline(random_state=7)
    for metric in ("accuracy", "balanced_accuracy", "roc_auc", "neg_log_loss"):
        expected = cross_val_score(pipe, X, y, cv=cv, scoring=metric).mean()
        got = -run["log_loss"] if metric == "neg_log_loss" else run[metric]
        assert got == pytest.approx(expected, rel=1e-9)


def test_failing_configurations_are_recorded_and_do_not_abort(tmp_path):
    _write(tmp_path / "tiny.csv", 20, "binary")
    kb = build_knowledge_base(
        discover_datasets(tmp_path, target="y"),
        tmp_path / "kb",
        configs_per_learner=6,
        folds=2,
        learners=["KNeighborsClassifier"],
    )
    runs = kb.runs.merge(kb.configurations, on="config_id")
    neighbours = runs["params"].map(lambda p: json.loads(p)["n_neighbors"])
    failed = runs["status"] == "failed"
    assert failed.any() and (~failed).any()
    assert (neighbours[failed] > 10).all()  # more neighbours than the 10 training rows
    assert runs.loc[failed, "error"].str.startswith("ValueError: Expected n_neighbors").all()
    assert runs.loc[failed, ["accuracy", "roc_auc"]].isna().all().all()
    assert (runs.loc[~failed, "status"] == "ok").all()
    assert (runs.loc[~failed, "error"] == "").all()
    assert runs.loc[~failed, "accuracy"].notna().all()


def test_a_fit_over_the_time_limit_is_stopped_and_recorded_as_timeout(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(3000, 20)), columns=[f"f{i}" for i in range(20)])
    frame["y"] = (frame["f0"] + rng.normal(size=3000) > 0).astype(int)
    frame.to_csv(tmp_path / "slow.csv", index=False)
    spec = DatasetSpec("slow", "file/slow", str(tmp_path / "slow.csv"), "classification", "y")
    # takes tens of seconds without a limit: 500 boosting rounds of 128-leaf trees
    slow = Configuration(
        "HistGradientBoostingClassifier",
        {"max_iter": 500, "max_leaf_nodes": 128, "min_samples_leaf": 2, "learning_rate": 0.01},
    )
    start = time.perf_counter()
    run = evaluate_configuration(spec, slow, folds=2, time_limit=0.2)
    assert time.perf_counter() - start < 5
    assert run["status"] == "timeout"
    assert run["error"] == "a fit exceeded the time limit of 0.2 s"
    assert 0.2 <= run["fit_time"] < 1.0  # interrupted, not measured after the fact
    assert np.isnan(run["accuracy"])


def test_timeouts_in_a_build_are_runs_not_errors(data_dir, tmp_path):
    kb = build_knowledge_base(
        discover_datasets(data_dir, target="y", names=["bin"]),
        tmp_path / "kb",
        configs_per_learner=2,
        folds=2,
        learners=["LogisticRegression"],
        time_limit=1e-6,
    )
    assert (kb.runs["status"] == "timeout").all() and len(kb.runs) == 2


def test_small_classes_are_dropped_and_single_class_datasets_skipped(tmp_path):
    frame = pd.DataFrame({"x": np.arange(40.0), "y": ["a"] * 20 + ["b"] * 19 + ["c"]})
    frame.to_csv(tmp_path / "rare.csv", index=False)
    frame.assign(y="a").to_csv(tmp_path / "one.csv", index=False)
    summaries = []
    kb = build_knowledge_base(
        discover_datasets(tmp_path, target="y", task="classification"),
        tmp_path / "kb",
        configs_per_learner=1,
        folds=3,
        learners=["DecisionTreeClassifier"],
        on_summary=summaries.append,
    )
    (run,) = kb.runs.to_dict("records")
    assert run["status"] == "ok" and json.loads(run["provenance"])["dropped_classes"] == ["c"]
    assert kb.datasets["dataset_id"].tolist() == ["file/rare"]
    assert kb.manifest["skipped_datasets"] == {"file/one": "fewer than 2 classes"}
    assert summaries[0].datasets_skipped == {"one": "fewer than 2 classes"}
    with pytest.raises(DataError, match="'file/one' cannot be evaluated: fewer than 2 classes"):
        evaluate_configuration(
            discover_datasets(tmp_path / "one.csv", target="y", task="classification")[0],
            Configuration("DecisionTreeClassifier", {}),
        )


def test_resuming_with_other_settings_names_the_difference(data_dir, small_build):
    out, _ = small_build
    with pytest.raises(KnowledgeBaseError, match="its settings differ .*folds: 2 before, 3 now"):
        build_knowledge_base(
            discover_datasets(data_dir, target="y"),
            out,
            configs_per_learner=2,
            folds=3,
            max_rows=200,
            learners=CLF + REG,
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"folds": 1}, "The 'folds' parameter of build_knowledge_base must be an int >= 2"),
        ({"configs_per_learner": 0}, "'configs_per_learner' parameter .* int >= 1. Got 0"),
        ({"n_jobs": 0}, "The 'n_jobs' parameter .* Got 0 instead"),
        ({"max_rows": 5}, "The 'max_rows' parameter .* int >= 10 or None. Got 5"),
        ({"time_limit": -1}, "The 'time_limit' parameter .* number > 0 or None. Got -1"),
    ],
)
def test_invalid_parameters(data_dir, tmp_path, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        build_knowledge_base(discover_datasets(data_dir, target="y"), tmp_path / "kb", **kwargs)


def test_refresh_metafeatures_recomputes_and_resaves(data_dir, small_build, tmp_path):
    out, kb = small_build
    stripped = tmp_path / "stripped"
    KnowledgeBase(
        datasets=kb.datasets, configurations=kb.configurations, runs=kb.runs, manifest={}
    ).save(stripped)
    assert KnowledgeBase.load(stripped).metafeatures.empty
    refreshed = refresh_metafeatures(stripped, discover_datasets(data_dir / "bin.csv", target="y"))
    with pytest.raises(ParameterError, match="The 'target' parameter must name"):
        refresh_metafeatures(stripped, data_dir)  # plain files need a target
    loaded = KnowledgeBase.load(stripped)
    assert list(loaded.metafeatures.index) == list(refreshed.metafeatures.index) == ["file/bin"]
    pd.testing.assert_series_equal(
        loaded.metafeatures.loc["file/bin"].dropna(),
        kb.metafeatures.loc["file/bin"].dropna(),
        check_names=False,
    )
    assert "metafeatures_refreshed" in loaded.manifest
    assert len(loaded.runs) == len(kb.runs)


def test_refresh_metafeatures_cli(data_dir, small_build, tmp_path):
    from autometa.cli import main

    out, kb = small_build
    stripped = tmp_path / "stripped"
    KnowledgeBase(
        datasets=kb.datasets, configurations=kb.configurations, runs=kb.runs, manifest={}
    ).save(stripped)
    code = main(
        ["kb", "refresh-metafeatures", str(stripped), "--datasets", str(data_dir)]
        + ["--target", "y", "--no-progress"]
    )
    assert code == 0
    loaded = KnowledgeBase.load(stripped)
    spec = discover_datasets(data_dir / "reg.csv", target="y")[0]
    expected = compute_metafeatures(spec).dropna()
    got = loaded.metafeatures.loc["file/reg", expected.index]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy())
    assert set(loaded.metafeatures.index) == set(kb.datasets["dataset_id"])


def _journal(path: Path) -> dict[tuple[str, str], dict]:
    out = {}
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line
        out[(record["dataset_id"], record["config_id"])] = record
    return out


#: A build that changes no file for this long is stuck (the test fails). Long enough for
#: the slowest single step (one dataset's meta-features, or the final save) on a machine
#: busy with other work; a quiet machine never waits for it.
STALL = 240.0


def _footprint(root: Path) -> tuple[int, int]:
    """How much a build has written below ``root``: (files, bytes)."""
    files = size = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            try:
                size += (Path(dirpath) / name).stat().st_size
            except OSError:  # replaced meanwhile
                continue
            files += 1
    return files, size


def _wait_while_it_progresses(process, root: Path, until=lambda: False) -> None:
    """Wait for ``process`` to end, or for ``until()``; fail if it writes nothing below
    ``root`` for :data:`STALL` seconds (a stuck build), whatever the machine's load."""
    last, since, checked = _footprint(root), time.monotonic(), time.monotonic()
    while process.poll() is None and not until():
        time.sleep(0.05)
        if time.monotonic() - checked < 0.5:
            continue
        checked = time.monotonic()
        now = _footprint(root)
        if now != last:
            last, since = now, checked
        elif checked - since > STALL:
            process.kill()
            pytest.fail(f"the build wrote nothing for {STALL:.0f} s: it is stuck")


def test_a_build_that_writes_nothing_is_reported_stuck(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "STALL", 1.0)
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with pytest.raises(pytest.fail.Exception, match="wrote nothing for 1 s: it is stuck"):
            _wait_while_it_progresses(process, tmp_path)
    finally:
        process.kill()
        process.wait()


@contextlib.contextmanager
def _build(command: list[str], log: Path) -> Iterator[subprocess.Popen]:
    """The build ``command`` in its own process group, its stderr in ``log``; the group
    (with the loky workers a killed build leaves behind) is killed on the way out."""
    with log.open("w") as stderr:
        process = subprocess.Popen(
            command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        yield process
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


@pytest.mark.slow
def test_a_killed_build_resumes_with_nothing_lost_or_duplicated(data_dir, tmp_path):
    out = tmp_path / "kb"
    journal = tmp_path / "kb.build" / "journal.jsonl"
    command = [sys.executable, "-m", "autometa.cli", "kb", "build", "--datasets", str(data_dir)]
    command += ["--target", "y", "--out", str(out), "--configs-per-learner", "4", "--folds", "2"]
    command += ["--learners", "MLPClassifier,MLPRegressor,LogisticRegression,Ridge"]
    command += ["--chunk-size", "1", "--n-jobs", "2", "--no-progress"]
    n_planned = 2 * 8 + 1 * 8  # 2 classification datasets, 1 regression, 8 configs per task
    # No time limits: on a loaded machine a build may take minutes. A build that stops
    # writing (journal, per-dataset files, log, the final save) for STALL seconds fails.
    first_log, resumed_log = tmp_path / "first.log", tmp_path / "resumed.log"
    with _build(command, first_log) as process:
        _wait_while_it_progresses(
            process, tmp_path, until=lambda: journal.exists() and len(_journal(journal)) >= 3
        )
        assert process.poll() is None, first_log.read_text()[-2000:]
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    before = _journal(journal)
    assert 3 <= len(before) < n_planned
    with _build(command, resumed_log) as resumed:
        _wait_while_it_progresses(resumed, tmp_path)
        returncode = resumed.wait()
    stderr = resumed_log.read_text()
    assert returncode == 0, stderr[-2000:]
    assert f"({n_planned - len(before)} evaluated in this session)" in stderr
    runs = KnowledgeBase.load(out).runs
    assert len(runs) == n_planned
    assert not runs.duplicated(["dataset_id", "config_id"]).any()
    plan = json.loads((tmp_path / "kb.build" / "plan.json").read_text())
    assert set(runs["config_id"]) == set(plan["configurations"])
    by_key = runs.set_index(["dataset_id", "config_id"])
    for key, record in before.items():
        row = by_key.loc[key]
        assert row["fit_time"] == pytest.approx(record["fit_time"], rel=0, abs=0)
        for metric in METRIC_COLUMNS:
            if record[metric] is None:
                assert np.isnan(row[metric])
            else:
                assert row[metric] == record[metric]


@pytest.mark.slow
def test_dask_cluster_gives_the_same_runs_as_loky(data_dir, small_build, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    _, kb = small_build
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        dask_kb = build_knowledge_base(
            discover_datasets(data_dir, target="y"),
            tmp_path / "kb",
            configs_per_learner=2,
            folds=2,
            max_rows=200,
            learners=CLF + REG,
            backend="dask",
            scheduler=cluster.scheduler_address,
        )
    columns = ["dataset_id", "config_id", *METRIC_COLUMNS, "n_folds", "status"]
    pd.testing.assert_frame_equal(dask_kb.runs[columns], kb.runs[columns])
