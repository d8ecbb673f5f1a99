from __future__ import annotations

import json

from autometa.cli import main
from autometa.kb import KnowledgeBase


def test_kb_info_prints_summary_and_build_info(kb_factory, tmp_path, capsys):
    kb_factory(tasks=("classification", "regression"), failed=1).save(tmp_path / "kb")
    assert main(["kb", "info", str(tmp_path / "kb")]) == 0
    out = capsys.readouterr().out
    assert f"knowledge base   {tmp_path / 'kb'}" in out
    assert "datasets         6: classification 3, regression 3" in out
    assert "runs             24: failed 2, ok 22" in out
    assert "  command  make_kb (test fixture)" in out  # the manifest's build info
    assert "saved            " in out and "autometa 0.1.0" in out


def test_kb_info_json(kb_factory, tmp_path, capsys):
    kb_factory(n_datasets=2).save(tmp_path / "kb")
    assert main(["kb", "info", str(tmp_path / "kb"), "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["n_datasets"] == 2 and info["n_runs"] == 8
    assert info["density"] == {"classification": 1.0}
    assert info["manifest"]["command"] == "make_kb (test fixture)"
    assert info["size_on_disk"] > 0


def test_kb_info_missing_path(tmp_path, capsys):
    assert main(["kb", "info", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("autometa: error: No knowledge base at")
    assert len(err.strip().splitlines()) == 1


def test_kb_info_without_shipped_default(tmp_path, monkeypatch, capsys):
    from importlib import resources

    monkeypatch.setattr(resources, "files", lambda package: tmp_path)
    assert main(["kb", "info"]) == 1
    assert "No default knowledge base is shipped" in capsys.readouterr().err


def test_kb_info_text_is_readable(kb_factory, tmp_path, capsys):
    """Issue 12: nested build info pretty, long lists shortened, columns aligned."""
    kb = kb_factory(tasks=("classification", "regression"))
    names = ",".join(f"dataset_{i}" for i in range(120))
    manifest = dict(kb.manifest)
    manifest["merged_from"] = [
        {"command": f"autometa kb build --names {names} --folds 3", "settings": {"folds": 3}},
        {
            "command": "autometa kb build --folds 5",
            "settings": {"learners": [f"L{i}" for i in range(20)]},
        },
    ]
    KnowledgeBase(
        datasets=kb.datasets,
        configurations=kb.configurations,
        runs=kb.runs,
        metafeatures=kb.metafeatures,
        manifest=manifest,
    ).save(tmp_path / "kb")
    assert main(["kb", "info", str(tmp_path / "kb")]) == 0
    out = capsys.readouterr().out
    assert '[{"command"' not in out  # no raw JSON
    assert "dataset_0,dataset_1,dataset_2,...(117 more) --folds 3" in out
    assert "dataset_119" not in out
    assert "... (14 more)" in out  # a long list of learners
    assert max(len(line) for line in out.splitlines()) <= 100
    learner_lines = [
        ln
        for ln in out.splitlines()
        if ln.startswith("  ")
        and ln.split()[0]
        in ("LogisticRegression", "DecisionTreeClassifier", "Ridge", "DecisionTreeRegressor")
    ]
    assert len(learner_lines) == 4
    assert len({ln.rstrip().rindex(" ") for ln in learner_lines}) == 1  # counts aligned
    assert main(["kb", "info", str(tmp_path / "kb"), "--format", "json"]) == 0
    assert names in capsys.readouterr().out  # json keeps everything
