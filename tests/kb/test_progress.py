"""Library code owns no handlers and no bars: a build reports progress through a callback,
and the CLI draws the bar and writes the log file."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autometa import ParameterError
from autometa.cli import main
from autometa.kb import ProgressEvent, build_knowledge_base, discover_datasets


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    for name, n, seed in (("one.csv", 60, 0), ("two.csv", 80, 1)):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(n, 2))
        frame = pd.DataFrame(x, columns=["a", "b"])
        frame["y"] = np.where(x[:, 0] > 0, "yes", "no")
        frame.to_csv(root / name, index=False)
    return root


def _handlers() -> list[list[logging.Handler]]:
    names = ["", "autometa", "autometa.kb", "autometa.kb._runner"]
    return [list(logging.getLogger(n).handlers) for n in names]


def test_a_build_reports_progress_through_the_callback_only(data_dir, tmp_path) -> None:
    before = _handlers()
    events: list[ProgressEvent] = []

    def progress(event: ProgressEvent) -> None:
        assert _handlers() == before  # no handler added while the build runs
        events.append(event)

    kb = build_knowledge_base(
        discover_datasets(data_dir, target="y"),
        tmp_path / "kb",
        configs_per_learner=2,
        folds=2,
        learners=["LogisticRegression", "DecisionTreeClassifier"],
        chunk_size=1,
        progress=progress,
    )
    assert _handlers() == before
    assert not (tmp_path / "kb.build" / "build.log").exists()  # the CLI's, not the library's
    assert events[0] == ProgressEvent(0, len(kb.runs), "run")
    done = [e.done for e in events]
    assert done == sorted(done) and done[-1] == len(kb.runs) == 8
    assert {e.total for e in events} == {8} and {e.unit for e in events} == {"run"}
    assert {e.item for e in events[1:]} == {"file/one", "file/two"}


def test_a_resumed_build_starts_its_count_at_the_runs_done(data_dir, tmp_path) -> None:
    kwargs = dict(configs_per_learner=2, folds=2, learners=["LogisticRegression"])
    specs = discover_datasets(data_dir, target="y")
    build_knowledge_base(specs[:1], tmp_path / "kb", **kwargs)
    events: list[ProgressEvent] = []
    build_knowledge_base(specs[:1], tmp_path / "kb", progress=events.append, **kwargs)
    assert events == [ProgressEvent(2, 2, "run")]  # nothing left to do


def test_progress_flag_is_deprecated_and_bad_values_are_refused(data_dir, tmp_path) -> None:
    specs = discover_datasets(data_dir / "one.csv", target="y")
    with pytest.warns(FutureWarning, match="progress=True of build_knowledge_base is deprec"):
        build_knowledge_base(
            specs, tmp_path / "a", configs_per_learner=1, folds=2, learners=["Ridge"], progress=True
        )
    with pytest.raises(ParameterError, match="'progress' parameter of build_knowledge_base must"):
        build_knowledge_base(specs, tmp_path / "b", configs_per_learner=1, progress="bar")
    with pytest.warns(FutureWarning, match="'log_file' parameter of build_knowledge_base is dep"):
        build_knowledge_base(
            specs,
            tmp_path / "c",
            configs_per_learner=1,
            folds=2,
            learners=["Ridge"],
            log_file=tmp_path / "old.log",
        )
    assert "Build of" in (tmp_path / "old.log").read_text()


def test_the_cli_writes_the_build_log_and_draws_the_bar(data_dir, tmp_path, capsys) -> None:
    before = _handlers()
    out = tmp_path / "kb"
    code = main(
        ["kb", "build", "--datasets", str(data_dir), "--target", "y", "--out", str(out)]
        + ["--configs-per-learner", "1", "--folds", "2", "--learners", "LogisticRegression"]
    )
    assert code == 0
    assert _handlers() == before
    log = (tmp_path / "kb.build" / "build.log").read_text()
    assert "Build of" in log and "Finished file/one." in log
    err = capsys.readouterr().err
    assert "2/2" in err  # the bar reached its total


def test_the_cli_validates_before_writing_anything(data_dir, tmp_path, capsys) -> None:
    code = main(
        ["kb", "build", "--datasets", str(data_dir), "--target", "y"]
        + ["--out", str(tmp_path / "kb"), "--folds", "1"]
    )
    assert code == 1
    assert "'folds' parameter of build_knowledge_base must be" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
