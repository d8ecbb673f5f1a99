from __future__ import annotations

import json

from autometa.cli import main


def test_kb_info_prints_summary_and_build_info(kb_factory, tmp_path, capsys):
    kb_factory(tasks=("classification", "regression"), failed=1).save(tmp_path / "kb")
    assert main(["kb", "info", str(tmp_path / "kb")]) == 0
    out = capsys.readouterr().out
    assert f"knowledge base   {tmp_path / 'kb'}" in out
    assert "datasets         6: classification 3, regression 3" in out
    assert "runs             24: failed 2, ok 22" in out
    assert "command        make_kb (test fixture)" in out  # the manifest's build info
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
