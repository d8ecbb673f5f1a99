"""``import_lcdb``: the Learning Curve Database, on a slice of its real tables."""

from __future__ import annotations

import importlib.util
import json
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import autometa.kb._lcdb as lcdb_module
from autometa._exceptions import DataError, ParameterError
from autometa.cli import main
from autometa.kb import KnowledgeBase, import_lcdb, lcdb_curves, lcdb_fit_times
from autometa.learners import get_learner

FIXTURE = Path(__file__).parents[1] / "fixtures" / "lcdb"
TREES = {
    "sklearn.tree.DecisionTreeClassifier": "DecisionTreeClassifier",
    "sklearn.ensemble.RandomForestClassifier": "RandomForestClassifier",
    "sklearn.ensemble.ExtraTreesClassifier": "ExtraTreesClassifier",
}


@pytest.fixture(scope="module")
def raw():
    return {m: pd.read_csv(FIXTURE / f"database-{m}.csv") for m in ("accuracy", "auc", "logloss")}


@pytest.fixture(scope="module")
def result():
    return import_lcdb(FIXTURE)


def test_trees_map_onto_default_configurations_on_numeric_datasets(result):
    expected = {get_learner(name).default_configuration().config_id for name in TREES.values()}
    assert set(result.configurations["config_id"]) == expected
    assert set(result.configurations["origin"]) == {"default"}
    # credit-g (31) has categorical features, 346 has no qualities: neither is imported
    assert sorted(result.datasets["dataset_id"]) == ["lcdb/54", "lcdb/740"]
    assert set(result.runs["source"]) == {"lcdb"}
    assert set(result.datasets["source"]) == {"lcdb"}


def test_one_run_per_size_is_the_mean_over_seeds(result, raw):
    acc = raw["accuracy"]
    rf = acc.loc[
        (acc["openmlid"] == 740) & (acc["learner"] == "sklearn.ensemble.RandomForestClassifier")
    ]
    config_id = get_learner("RandomForestClassifier").default_configuration().config_id
    runs = result.runs.loc[
        (result.runs["dataset_id"] == "lcdb/740") & (result.runs["config_id"] == config_id)
    ].set_index("n_train_rows")
    assert sorted(runs.index) == sorted(rf["size_train"].unique())
    size = int(rf["size_train"].max())
    group = rf.loc[rf["size_train"] == size]
    run = runs.loc[size]
    assert run["accuracy"] == pytest.approx(group["score_test"].mean())
    assert run["fit_time"] == pytest.approx(group["traintime"].mean())
    assert run["n_rows_used"] == size + int(group["size_test"].iloc[0])
    assert run["n_folds"] == len(group) == 4
    auc = raw["auc"]
    auc_group = auc.loc[
        (auc["openmlid"] == 740)
        & (auc["learner"] == "sklearn.ensemble.RandomForestClassifier")
        & (auc["size_train"] == size)
    ]
    assert run["roc_auc"] == pytest.approx(auc_group["score_test"].mean())
    assert np.isnan(run["balanced_accuracy"])  # LCDB has none
    prov = json.loads(run["provenance"])
    assert prov["lcdb_version"] == "0.1.0"
    assert prov["score"] == "score_test"
    assert prov["outer_seeds"] == [0, 1] and prov["inner_seeds"] == [0, 1]
    assert prov["size_test"] == int(group["size_test"].iloc[0])
    assert prov["std"]["accuracy"] == pytest.approx(group["score_test"].std(), abs=1e-6)


def test_auc_is_missing_on_multiclass_data(result):
    vehicle = result.runs.loc[result.runs["dataset_id"] == "lcdb/54"]
    assert len(vehicle) and vehicle["roc_auc"].isna().all()
    assert vehicle["accuracy"].notna().all() and vehicle["log_loss"].notna().all()


def test_validation_score_can_be_read_instead(raw):
    valid = import_lcdb(FIXTURE, score="valid", metrics=["accuracy"])
    acc = raw["accuracy"]
    dt = acc.loc[
        (acc["openmlid"] == 54)
        & (acc["learner"] == "sklearn.tree.DecisionTreeClassifier")
        & (acc["size_train"] == 16)
    ]
    config_id = get_learner("DecisionTreeClassifier").default_configuration().config_id
    run = valid.runs.loc[
        (valid.runs["dataset_id"] == "lcdb/54")
        & (valid.runs["config_id"] == config_id)
        & (valid.runs["n_train_rows"] == 16)
    ].iloc[0]
    assert run["accuracy"] == pytest.approx(dt["score_valid"].mean())
    assert np.isnan(run["log_loss"])  # not asked for


def test_everything_else_is_counted_by_reason(result, raw):
    acc = raw["accuracy"]
    described = {740, 54, 31}
    in_registry = acc["learner"].isin([*TREES, "SVC_rbf"])
    expected = {
        "learner not in registry": int((~in_registry).sum()),
        "dataset without qualities": int((in_registry & ~acc["openmlid"].isin(described)).sum()),
        "preprocessing differs": int(
            (
                acc["openmlid"].isin(described)
                & ((acc["learner"] == "SVC_rbf") | (acc["openmlid"] == 31))
                & in_registry
            ).sum()
        ),
    }
    assert dict(zip(result.unmapped["reason"], result.unmapped["count"])) == expected
    imported = int(result.runs["n_folds"].sum())
    assert imported + result.n_unmapped == len(acc)  # nothing dropped silently
    assert "SVC_rbf" in result.report() or "BernoulliNB" in result.report()


def test_any_preprocessing_imports_trees_on_categorical_data():
    loose = import_lcdb(FIXTURE, same_preprocessing=False)
    assert "lcdb/31" in set(loose.datasets["dataset_id"])
    counts = dict(zip(loose.unmapped["reason"], loose.unmapped["count"]))
    assert "SVC_rbf" in loose.unmapped.set_index("reason").loc["preprocessing differs", "example"]
    assert (
        counts["preprocessing differs"]
        < dict(
            zip(import_lcdb(FIXTURE).unmapped["reason"], import_lcdb(FIXTURE).unmapped["count"])
        )["preprocessing differs"]
    )


def test_metafeatures_are_openml_qualities_under_our_names(result):
    import metafeatures

    mf = result.metafeatures
    assert set(mf.columns) <= set(metafeatures.openml_quality_names())
    assert {"NumberOfInstances", "ClassEntropy", "MeanMutualInformation"} <= set(mf.columns)
    assert mf.loc["lcdb/740", "NumberOfInstances"] == 1000
    assert mf.loc["lcdb/54", "NumberOfClasses"] == 4
    # derived: 100 * MajorityClassSize / NumberOfInstances
    assert mf.loc["lcdb/740", "MajorityClassPercentage"] == pytest.approx(100 * 560 / 1000)
    row = result.datasets.set_index("dataset_id").loc["lcdb/740"]
    assert (row["n_rows"], row["n_features"], row["n_classes"], row["openml_id"]) == (
        1000,
        10,
        2,
        740,
    )


def test_the_tarball_gives_the_same_import(tmp_path, result):
    tarball = tmp_path / "lcdb-0.1.0.tar.gz"
    with tarfile.open(tarball, "w:gz") as tf:
        for f in FIXTURE.iterdir():
            if f.suffix == ".csv":
                tf.add(f, arcname=f"lcdb-0.1.0/lcdb/{f.name}")
        tf.add(FIXTURE / "PKG-INFO", arcname="lcdb-0.1.0/PKG-INFO")
    again = import_lcdb(tarball)
    pd.testing.assert_frame_equal(again.runs, result.runs)
    pd.testing.assert_frame_equal(again.metafeatures, result.metafeatures)


def test_max_rows_per_curve_keeps_the_largest_size(result):
    thin = import_lcdb(FIXTURE, max_rows_per_curve=3)
    per_curve = thin.runs.groupby(["dataset_id", "config_id"])
    assert per_curve.size().max() == 3
    full_largest = result.runs.groupby(["dataset_id", "config_id"])["n_train_rows"].max()
    pd.testing.assert_series_equal(per_curve["n_train_rows"].max(), full_largest)
    counts = dict(zip(thin.unmapped["reason"], thin.unmapped["count"]))
    dropped = int(result.runs["n_folds"].sum() - thin.runs["n_folds"].sum())
    assert counts["beyond max runs per curve"] == dropped


def test_a_ledger_resumes_without_reading_again(tmp_path, monkeypatch, result):
    ledger = tmp_path / "ledger.jsonl"
    first = import_lcdb(FIXTURE, ledger=ledger)

    def no_reading(*args, **kwargs):
        raise AssertionError("read a table the ledger holds")

    monkeypatch.setattr(lcdb_module, "_aggregate_table", no_reading)
    second = import_lcdb(FIXTURE, ledger=ledger)
    pd.testing.assert_frame_equal(second.runs, first.runs)
    pd.testing.assert_frame_equal(second.unmapped, first.unmapped)


def test_importing_twice_into_a_knowledge_base_changes_nothing(result):
    kb = result.to_knowledge_base()
    twice = kb.merge(import_lcdb(FIXTURE).to_knowledge_base())
    assert len(twice.runs) == len(kb.runs) == len(result.runs)
    largest = KnowledgeBase.runs_at_size(twice.runs, "largest")
    assert len(largest) == 6  # 2 datasets x 3 configurations, one size each


def test_errors_name_the_problem_and_the_fix(tmp_path, monkeypatch):
    with pytest.raises(ParameterError, match="LCDB has no metric 'balanced_accuracy'"):
        import_lcdb(FIXTURE, metrics=["balanced_accuracy"])
    with pytest.raises(ParameterError, match="'score' parameter must be 'test' or 'valid'"):
        import_lcdb(FIXTURE, score="train")
    with pytest.raises(ParameterError, match="'max_rows_per_curve' parameter must be an int"):
        import_lcdb(FIXTURE, max_rows_per_curve=0)
    with pytest.raises(DataError, match="does not exist"):
        import_lcdb(tmp_path / "nowhere")
    with pytest.raises(DataError, match="No LCDB datasets.csv"):
        import_lcdb(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(DataError, match="neither a directory nor a tar archive"):
        import_lcdb(tmp_path / "file.txt")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataError, match="pip install lcdb==0.1.0"):
        import_lcdb()


def test_curves_and_fit_times_cover_every_learner(raw):
    curves = lcdb_curves(FIXTURE)
    assert set(curves["learner"]) == set(raw["accuracy"]["learner"])
    svc = curves.loc[curves["learner"] == "SVC_rbf", "autometa_learner"]
    assert set(svc) == {"SVC"}
    assert (
        curves.loc[curves["learner"] == "sklearn.naive_bayes.BernoulliNB"]["autometa_learner"]
        .isna()
        .all()
    )
    times = lcdb_fit_times(FIXTURE)
    assert set(times["openml_id"]) == {740, 54, 31}  # 346 has no sizes
    assert list(times.columns) == [
        "learner",
        "autometa_learner",
        "openml_id",
        "n_train_rows",
        "n_features",
        "n_features_binarized",
        "n_classes",
        "fit_time",
        "n_seeds",
    ]
    credit = times.loc[times["openml_id"] == 31].iloc[0]
    assert credit["n_features"] == 20 and credit["n_features_binarized"] > 20


def test_cli_imports_and_merges(tmp_path, capsys):
    out = tmp_path / "lcdb_kb"
    code = main(["kb", "import-lcdb", "--path", str(FIXTURE), "--out", str(out)])
    assert code == 0
    assert "preprocessing differs" in capsys.readouterr().out
    kb = KnowledgeBase.load(out)
    assert set(kb.runs["source"]) == {"lcdb"}
    assert (tmp_path / "lcdb_kb.import" / "ledger.jsonl").is_file()
    merged = tmp_path / "merged"
    code = main(
        [
            "kb",
            "import-lcdb",
            "--path",
            str(FIXTURE),
            "--out",
            str(merged),
            "--merge",
            str(out),
            "--metrics",
            "accuracy",
            "--datasets",
            "54",
        ]
    )
    assert code == 0
    assert len(KnowledgeBase.load(merged).runs) == len(kb.runs)


def test_missing_scores_are_counted_not_averaged(tmp_path, raw):
    for f in FIXTURE.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    acc = raw["accuracy"].copy()
    rf = (acc["openmlid"] == 54) & (acc["learner"] == "sklearn.ensemble.RandomForestClassifier")
    gone = rf & (acc["size_train"] == 16) & (acc["outer_seed"] == 0)
    acc.loc[gone, "score_test"] = np.nan
    acc.to_csv(tmp_path / "database-accuracy.csv", index=False)
    result = import_lcdb(tmp_path, metrics=["accuracy"])
    counts = dict(zip(result.unmapped["reason"], result.unmapped["count"]))
    assert counts["metric not available"] == int(gone.sum()) == 2
    config_id = get_learner("RandomForestClassifier").default_configuration().config_id
    run = result.runs.loc[
        (result.runs["dataset_id"] == "lcdb/54")
        & (result.runs["config_id"] == config_id)
        & (result.runs["n_train_rows"] == 16)
    ].iloc[0]
    assert run["n_folds"] == 2
    assert run["accuracy"] == pytest.approx(
        acc.loc[rf & (acc["size_train"] == 16)]["score_test"].mean()
    )


# -- LCDB as a second source, kept apart from the dense matrix ----------------------------------
def _same_kb(a: KnowledgeBase, b: KnowledgeBase) -> None:
    for table in ("datasets", "configurations", "runs", "metafeatures"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))


def test_merged_lcdb_stays_out_of_the_dense_matrix(kb_factory, result):
    base = kb_factory(tasks=("classification", "regression"), n_datasets=4)
    merged = base.merge(result.to_knowledge_base())
    assert merged.dense_datasets() == base.dense_datasets()
    for task in ("classification", "regression"):
        assert merged.dense_datasets(task) == base.dense_datasets(task)
        assert merged.dense_configurations(task) == base.dense_configurations(task)
        _same_kb(merged.dense(task), base.dense(task))
        pd.testing.assert_frame_equal(
            merged.dense(task).normalized_matrix(task=task),
            base.dense(task).normalized_matrix(task=task),
        )
    # ... and stays in the knowledge base: its runs, datasets and qualities
    assert len(merged.runs.query("source == 'lcdb'")) == len(result.runs)
    assert {"lcdb/54", "lcdb/740"} <= set(merged.datasets["dataset_id"])
    assert "ClassEntropy" in merged.metafeatures.columns
    assert "ClassEntropy" not in merged.dense("classification").metafeatures.columns


def test_an_lcdb_import_alone_is_its_own_dense_matrix(result):
    kb = result.to_knowledge_base()
    assert kb.dense_datasets("classification") == ["lcdb/54", "lcdb/740"]
    dense = kb.dense("classification")
    assert dense.normalized_matrix("accuracy").shape == (2, 3)
    assert list(dense.metafeatures.columns) == list(kb.metafeatures.columns)
    summary = kb.summary()
    assert summary.side_sources["lcdb"]["kept_apart"] is False
    assert summary.density == {"classification": 1.0}


def test_kb_info_shows_both_sources(kb_factory, result, tmp_path, capsys):
    base = kb_factory(n_datasets=4)
    merged = base.merge(result.to_knowledge_base())
    s, before = merged.summary(), base.summary()
    assert s.density == before.density  # of the dense matrix, LCDB's datasets apart
    assert s.dense_shape == before.dense_shape == {"classification": (4, 4)}
    sizes = result.runs["n_train_rows"]
    assert s.side_sources == {
        "lcdb": {
            "datasets": 2,
            "configurations": 3,
            "runs": len(result.runs),
            "tasks": ["classification"],
            "n_train_rows": [int(sizes.min()), int(sizes.max())],
            "kept_apart": True,
        }
    }
    merged.save(tmp_path / "kb")
    assert main(["kb", "info", str(tmp_path / "kb")]) == 0
    out = capsys.readouterr().out
    assert "  by source      lcdb 2, user 4" in out
    assert "dense matrix     classification 4 datasets x 4 configurations" in out
    assert (
        f"second source lcdb: 2 classification datasets, 3 configurations, {len(result.runs)} "
        f"runs at 16 to {int(sizes.max()):,} training rows; kept apart from the dense matrix"
    ) in " ".join(out.split())
    assert max(len(line) for line in out.splitlines()) <= 100
    assert main(["kb", "info", str(tmp_path / "kb"), "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["side_sources"]["lcdb"]["kept_apart"] is True
    assert info["dense_shape"] == {"classification": [4, 4]}


@pytest.mark.slow
def test_the_merge_script_merges_lcdb_in_place(kb_factory, tmp_path):
    """kb-build/merge_lcdb.sh, which ships LCDB in the default knowledge base."""
    import os
    import subprocess
    import sys

    script = Path(__file__).parents[2] / "kb-build" / "merge_lcdb.sh"
    base = kb_factory(n_datasets=4)
    base.save(tmp_path / "kb")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for _ in range(2):  # a second run replaces LCDB's runs by the same ones
        done = subprocess.run(
            ["bash", str(script), str(tmp_path / "kb"), str(FIXTURE)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        merged = KnowledgeBase.load(tmp_path / "kb")
        assert len(merged.runs) == len(base.runs) + len(import_lcdb(FIXTURE).runs)
    assert "kept apart from the dense matrix" in " ".join(done.stdout.split())
    assert "(budget 30 MB)" in done.stdout
    _same_kb(merged.dense("classification"), base.dense("classification"))
    assert list((tmp_path).iterdir()) == [tmp_path / "kb"]  # no ledger or copy left beside it
