"""``autometa recommend``: output formats, reasons and one-line errors."""

from __future__ import annotations

import json

import pytest

from autometa.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.mark.parametrize("name", ["bc.csv", "bc.tsv.gz", "bc.parquet"])
def test_table_with_reasons(files, capsys, name):
    root, kb_dir, _ = files
    code = main(
        ["recommend", str(root / name), "--target", "target", "--kb", str(kb_dir), "--top-k", "3"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "3 recommendations" in out and "rank" in out and "nearest datasets:" in out
    assert out.count("Classifier") + out.count("LogisticRegression") + out.count("SVC") >= 3


def test_json_and_csv(files, capsys):
    root, kb_dir, _ = files
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
    root, kb_dir, _ = files
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
    root, kb_dir, _ = files
    args = [str(root / args[0]), *args[1:], "--kb", str(kb_dir)]
    assert main(["recommend", *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("autometa: error:") and message in err and "\n" not in err
