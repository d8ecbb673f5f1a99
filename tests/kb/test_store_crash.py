"""A save killed at each step leaves the old or the new knowledge base at its path.

Each case runs the save in a forked child process that is killed (``os._exit``, so no
``except`` or ``finally`` runs, as with SIGKILL) when it reaches one step; then the parent loads the
path. ``CRASH_STEPS`` is the table of steps and what the path must hold afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

from autometa import KnowledgeBaseError
from autometa.kb import KnowledgeBase

pytestmark = pytest.mark.skipif(os.name != "posix", reason="kills a child process")


def _datasets(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dataset_id": ids,
            "name": ids,
            "source": "user",
            "task": "classification",
            "n_rows": 100,
            "n_features": 4,
            "n_classes": 2,
            "family": ids,
        }
    )


OLD = ["old-a"]
NEW = ["new-a", "new-b"]

#: (step killed at, with a previous version at the path?, what the path holds afterwards)
CRASH_STEPS = [
    ("write_table:1", True, "old"),  # during the first table file
    ("write_table:3", True, "old"),  # half of the tables written
    ("fsync_file:1", True, "old"),  # every file and the manifest written, not yet synced
    ("replace:1", True, "old"),  # before the old version is moved aside
    ("replace:2", True, "new"),  # between the two renames: recovered by load
    ("rmtree:1", True, "new"),  # after the renames, before the old copy is deleted
    ("none", True, "new"),  # not killed
    ("write_table:2", False, "missing"),  # first save, killed while writing
    ("replace:1", False, "new"),  # first save, killed before its only rename: recovered
]


def _save_and_kill(step: str, path: Path, ids: list[str]) -> None:
    """In a forked child: save, and die at ``step`` without running any handler."""
    from autometa import _atomic
    from autometa.kb import _disk

    name, _, nth = step.partition(":")
    calls = {"n": 0}

    def killer(real):
        def wrapped(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == int(nth):
                os._exit(9)
            return real(*args, **kwargs)

        return wrapped

    if name == "write_table":
        _disk._write_table = killer(_disk._write_table)
    elif name == "fsync_file":
        _atomic.fsync_file = killer(_atomic.fsync_file)
    elif name == "replace":
        _atomic.os.replace = killer(os.replace)
    elif name == "rmtree":
        _atomic.shutil.rmtree = killer(shutil.rmtree)
    KnowledgeBase(datasets=_datasets(ids)).save(path)


def _run_killed(step: str, path: Path, ids: list[str]) -> int:
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            _save_and_kill(step, path, ids)
        except BaseException:
            code = 1
        os._exit(code)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"the save killed at {step} hung")


@pytest.mark.parametrize(("step", "previous", "expected"), CRASH_STEPS)
def test_killed_save_leaves_old_or_new(tmp_path, step, previous, expected):
    path = tmp_path / "kb"
    if previous:
        KnowledgeBase(datasets=_datasets(OLD)).save(path)
    assert _run_killed(step, path, NEW) == (0 if step == "none" else 9)
    if expected == "missing":
        with pytest.raises(KnowledgeBaseError, match="the path does not exist"):
            KnowledgeBase.load(path)
        return
    with (
        pytest.warns(UserWarning, match="recovered")
        if step == "replace:2" or (step == "replace:1" and not previous)
        else _no_warning()
    ):
        kb = KnowledgeBase.load(path)
    assert list(kb.datasets["dataset_id"]) == (OLD if expected == "old" else NEW)


class _no_warning:
    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("error", UserWarning)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


def test_stranded_copy_that_cannot_be_recovered_is_named(tmp_path):
    path = tmp_path / "kb"
    (tmp_path / ".kb.tmp-0123456789ab").mkdir()  # an incomplete copy: no manifest
    with pytest.raises(KnowledgeBaseError, match=r"interrupted save left 1 copy\(ies\).*tmp-"):
        KnowledgeBase.load(path)


def test_save_failure_restores_the_old_version(tmp_path, monkeypatch):
    from autometa import _atomic

    path = tmp_path / "kb"
    KnowledgeBase(datasets=_datasets(OLD)).save(path)
    real = os.replace
    calls = {"n": 0}

    def failing(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(_atomic.os, "replace", failing)
    with pytest.raises(OSError, match="disk full"):
        KnowledgeBase(datasets=_datasets(NEW)).save(path)
    monkeypatch.setattr(_atomic.os, "replace", real)
    assert list(KnowledgeBase.load(path).datasets["dataset_id"]) == OLD
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kb.")]
