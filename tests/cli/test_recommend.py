"""``autometa recommend``: output formats, reasons and one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer

from autometa.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from recommend._tiny import tiny_kb

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    kb_dir = tiny_kb().save(root / "kb")
    df = load_breast_cancer(as_frame=True).frame.iloc[:200]
    df.to_csv(root / "bc.csv", index=False)
    df.to_csv(root / "bc.tsv.gz", sep="\t", index=False)
    df.to_parquet(root / "bc.parquet")
    (root / "bad.parquet").write_bytes(b"not a parquet file")
    return root, kb_dir


@pytest.mark.parametrize("name", ["bc.csv", "bc.tsv.gz", "bc.parquet"])
def test_table_with_reasons(files, capsys, name):
    root, kb_dir = files
    code = main(
        ["recommend", str(root / name), "--target", "target", "--kb", str(kb_dir), "--top-k", "3"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "3 recommendations" in out and "rank" in out and "nearest datasets:" in out
    assert out.count("Classifier") + out.count("LogisticRegression") + out.count("SVC") >= 3


def test_json_and_csv(files, capsys):
    root, kb_dir = files
    assert (
        main(
            [
                "recommend",
                str(root / "bc.csv"),
                "--target",
                "target",
                "--kb",
                str(kb_dir),
                "--format",
                "json",
                "--top-k",
                "2",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert len(data["recommendations"]) == 2 and data["task"] == "classification"
    assert (
        main(
            [
                "recommend",
                str(root / "bc.csv"),
                "--target",
                "target",
                "--kb",
                str(kb_dir),
                "--format",
                "csv",
                "--top-k",
                "2",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("rank,learner,params,score") and len(lines) == 3


def test_explain(files, capsys):
    root, kb_dir = files
    assert (
        main(
            [
                "recommend",
                str(root / "bc.csv"),
                "--target",
                "target",
                "--kb",
                str(kb_dir),
                "--explain",
            ]
        )
        == 0
    )
    assert "Nearest datasets of the knowledge base" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.csv", "--target", "target"], "No such file"),
        (["bc.csv", "--target", "nope"], "Target column 'nope' not found. The columns are:"),
        (["bad.parquet", "--target", "target"], "Cannot read"),
        (
            ["bc.csv", "--target", "target", "--top-k", "0"],
            "The 'top_k' parameter of recommend must be an int >= 1",
        ),
        (
            ["bc.csv", "--target", "target", "--metric", "r2"],
            "The 'metric' parameter of recommend must be one of",
        ),
    ],
)
def test_errors_are_one_line_with_nonzero_exit(files, capsys, args, message):
    root, kb_dir = files
    args = [str(root / args[0]), *args[1:], "--kb", str(kb_dir)]
    assert main(["recommend", *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("autometa: error:") and message in err and "\n" not in err
