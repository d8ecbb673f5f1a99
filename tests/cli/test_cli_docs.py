"""The command line documents itself and the README documents the command line (issue 12,
findings 13 and 14)."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autometa.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
#: Owned by the tune issue (findings 7-9); its options are checked there.
NOT_HERE = {"tune"}


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command path, parser) of every leaf command."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for action in subs:
        for name, sub in action.choices.items():
            yield from _commands(sub, (*path, name))


COMMANDS = [(p, sp) for p, sp in _commands(build_parser()) if p[0] not in NOT_HERE]


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_option_has_help(path, parser):
    missing = [
        a.option_strings or a.dest
        for a in parser._actions
        if not isinstance(a, argparse._HelpAction) and not a.help
    ]
    assert not missing, f"autometa {' '.join(path)}: options without help: {missing}"


def test_recommend_metric_lists_its_choices(capsys):
    with pytest.raises(SystemExit):
        main(["recommend", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "classification: accuracy, balanced_accuracy, roc_auc, log_loss" in text
    assert "regression: r2, rmse, mae" in text
    with pytest.raises(SystemExit):
        main(["recommend", "x.csv", "--target", "y", "--metric", "f1"])
    assert "invalid choice: 'f1'" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["kb", "build"], ["kb", "refresh-metafeatures"]])
def test_kb_build_shows_its_defaults(command, capsys):
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 0)" in text  # --seed
    assert "(default: None)" not in text
    if command[1] == "build":
        assert "--folds K cross-validation folds (default: 5)" in text
        assert "(default: 2000)" in text and "(default: 8)" in text


def _command_table() -> str:
    start = README.index("## Command line")
    return README[start : README.index("\n## ", start + 5)]


@pytest.mark.parametrize("path", [p for p, _ in _commands(build_parser())], ids=" ".join)
def test_readme_command_table_lists_every_command(path):
    assert f"`autometa {' '.join(path)}" in _command_table()


# -- 14. the README's main job and CI ----------------------------------------------------
def _main_job() -> str:
    start = README.index("## Main job")
    block = re.search(r"```bash\n(.*?)\n```", README[start:], re.S)
    assert block is not None
    return block.group(1).strip()


def test_ci_runs_the_readme_main_job_and_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert _main_job() in ci.splitlines()
    assert "python -m pytest -q" in ci.splitlines()
    assert "```bash\npython -m pytest -q\n```" in README


def test_readme_states_the_test_run_duration():
    tests = README[README.index("## Tests") :]
    assert re.search(r"about \d+ minutes on 2 busy cores", tests)


@pytest.mark.slow
def test_readme_main_job_leaves_the_current_directory_clean(tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        ["bash", "-c", _main_job()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "10 recommendations for" in result.stdout
    assert list(tmp_path.iterdir()) == []
