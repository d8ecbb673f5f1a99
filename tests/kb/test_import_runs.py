"""``import_runs``: run tables users already have."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from autometa._exceptions import DataError
from autometa.kb import KnowledgeBase, import_runs

DATASETS = pd.DataFrame(
    {
        "dataset": ["iris", "wine"],
        "task": ["classification"] * 2,
        "NumberOfInstances": [150.0, 178.0],
        "ClassEntropy": [1.585, 1.567],
    }
)


def _runs():
    return pd.DataFrame(
        [
            ("iris", "RandomForestClassifier", None, '{"min_samples_leaf": 2}', "accuracy", 0.95),
            (
                "iris",
                None,
                "sklearn.ensemble.forest.RandomForestClassifier(3)",
                '{"min_samples_leaf": 2, "n_jobs": -1}',
                "accuracy",
                0.93,
            ),
            ("wine", "SVC", None, '{"C": 10.0}', "accuracy", 0.97),
            ("wine", "SVC", None, '{"C": 1e9}', "accuracy", 0.40),  # outside our space
            ("wine", "Ridge", None, "{}", "accuracy", 0.5),  # regression learner
            ("wine", "GaussianNB", None, "{}", "accuracy", 0.9),  # not a learner of ours
            ("iris", "SVC", None, "{not json", "accuracy", 0.9),
        ],
        columns=["dataset", "learner", "flow", "params", "metric", "value"],
    )


def test_rows_are_imported_or_counted_by_reason():
    result = import_runs(_runs(), DATASETS)
    counts = dict(zip(result.unmapped["reason"], result.unmapped["count"]))
    assert counts == {
        "unknown flow": 1,
        "unparsable parameter": 1,
        "value outside our space": 1,
        "dataset task mismatch": 1,
    }
    # a learner name and an OpenML flow name of the same configuration are one run
    iris = result.runs.loc[result.runs["dataset_id"] == "user/iris"]
    assert len(iris) == 1 and iris["accuracy"].iloc[0] == pytest.approx(0.94)
    assert json.loads(iris["provenance"].iloc[0])["n_runs"] == 2
    assert set(result.runs["source"]) == {"import"}


def test_imported_runs_make_a_knowledge_base(tmp_path):
    kb = import_runs(_runs(), DATASETS).to_knowledge_base()
    kb = KnowledgeBase.load(kb.save(tmp_path / "kb"))
    assert kb.metafeatures.loc["user/wine", "NumberOfInstances"] == 178.0
    assert kb.normalized_matrix("accuracy", task="classification").shape == (2, 2)


def test_files_on_disk_are_read(tmp_path):
    _runs().to_csv(tmp_path / "runs.csv", index=False)
    DATASETS.to_parquet(tmp_path / "datasets.parquet")
    result = import_runs(tmp_path / "runs.csv", tmp_path / "datasets.parquet")
    assert len(result.runs) == 2


def test_a_directory_of_datasets_gets_computed_metafeatures(tmp_path):
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    data = tmp_path / "data"
    data.mkdir()
    frame.to_csv(data / "iris.csv", index=False)
    result = import_runs(_runs().iloc[:1], data, groups="general")
    assert list(result.datasets["dataset_id"]) == ["file/iris"]
    assert result.datasets["n_rows"].iloc[0] == 150
    assert result.metafeatures.shape[1] > 0


def test_missing_columns_and_unknown_metrics_are_clear_errors():
    with pytest.raises(DataError, match=r"lacks the column\(s\) \['value'\]"):
        import_runs(_runs().drop(columns="value"), DATASETS)
    with pytest.raises(DataError, match=r"lacks the column\(s\) \['learner or flow'\]"):
        import_runs(_runs().drop(columns=["learner", "flow"]), DATASETS)
    with pytest.raises(DataError, match=r"unknown metric\(s\) \['f1'\]"):
        import_runs(_runs().assign(metric="f1"), DATASETS)
    with pytest.raises(DataError, match="dataset table lacks"):
        import_runs(_runs(), DATASETS.drop(columns="task"))
    with pytest.raises(DataError, match="'task' column of the dataset table"):
        import_runs(_runs(), DATASETS.assign(task="clustering"))


def test_cli_import_runs(tmp_path, capsys):
    from autometa.cli import main

    _runs().to_csv(tmp_path / "runs.csv", index=False)
    DATASETS.to_csv(tmp_path / "datasets.csv", index=False)
    argv = [
        "kb",
        "import-runs",
        str(tmp_path / "runs.csv"),
        "--datasets",
        str(tmp_path / "datasets.csv"),
        "--out",
        str(tmp_path / "kb"),
    ]
    assert main(argv) == 0
    assert "not imported: 4 runs" in capsys.readouterr().out
    assert len(KnowledgeBase.load(tmp_path / "kb")) == 2
