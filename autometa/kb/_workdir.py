"""The work directory of a build: its plan, journal and per-dataset files.

``<out>.build/`` holds the state of a build:

``plan.json``
    the settings and the pool's config ids; resuming with other settings is an error naming
    the difference.
``journal.jsonl``
    an append-only journal of finished runs (one JSON object per line, flushed and fsynced
    after each task). On restart a torn last line is ignored; the key
    ``(dataset_id, config_id)`` deduplicates.
``datasets/<id>.json``
    per dataset, its row of the ``datasets`` table, or why it was skipped.
``metafeatures/<id>.json``
    per dataset, its meta-features (the cached result of ``compute_metafeatures``).
``runs/<id>.parquet``
    the runs of each finished dataset, sorted by ``config_id``: compact, deterministic files
    meant to be committed during a long build.
``build.log``
    the log of the build (written by the CLI's handler).

Only the main process writes to it; ``lock`` keeps one build per directory.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa import _atomic
from autometa._exceptions import KnowledgeBaseError

__all__ = ["PLAN_KEYS", "PLAN_VERSION"]

logger = logging.getLogger(__name__)

PLAN_VERSION = 1
# Settings that change the values of runs: resuming with other values is an error.
PLAN_KEYS = (
    "protocol",
    "configs_per_learner",
    "folds",
    "max_rows",
    "seed",
    "time_limit",
    "learners",
)


def _safe_name(dataset_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "__" for c in dataset_id)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(type(value).__name__)


def _clean_record(record: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()
    }


class _WorkDir:
    """The state of a build on disk; only the main process writes to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        for sub in ("datasets", "metafeatures", "runs"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        self.journal_path = path / "journal.jsonl"
        self._journal: Any = None
        self._lock: Any = None

    def lock(self) -> None:
        """Hold ``lock`` in the work directory until :meth:`close`: one build per ``out``."""
        lock_path = self.path / "lock"
        handle = lock_path.open("a+")
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks, no check
            self._lock = handle
            return
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise KnowledgeBaseError(
                f"Another build is running on '{self.path}' (process {holder}). Wait for it to "
                "finish, stop it, or give another --out."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock = handle

    # plan
    def check_plan(self, plan: dict[str, Any]) -> None:
        plan_path = self.path / "plan.json"
        if plan_path.exists():
            old = json.loads(plan_path.read_text())
            old.setdefault("protocol", 1)  # plans written before the key existed
            differences = [
                f"{key}: {old.get(key)!r} before, {plan.get(key)!r} now"
                for key in PLAN_KEYS
                if old.get(key) != plan.get(key)
            ]
            if old.get("assignment") != plan.get("assignment"):
                differences.append("assignment: the configurations planned per dataset differ")
            for key in ("datasets", "configurations"):
                before, now = old.get(key) or [], plan.get(key) or []
                if before != now:
                    added = [x for x in now if x not in set(before)]
                    removed = [x for x in before if x not in set(now)]
                    differences.append(
                        f"{key}: {len(before)} before, {len(now)} now "
                        f"(added {added[:3]}{'...' if len(added) > 3 else ''}, "
                        f"removed {removed[:3]}{'...' if len(removed) > 3 else ''})"
                    )
            if differences:
                shown = "; ".join(differences)
                raise KnowledgeBaseError(
                    f"Cannot resume the build in '{self.path}': its settings differ ({shown}). "
                    "Resume with the same settings, or give another --out (or delete the "
                    "work directory) to start a new build."
                )
            return
        _atomic.write_text(plan_path, json.dumps(plan, indent=1, sort_keys=True))

    # journal
    def read_journal(self) -> dict[tuple[str, str], dict[str, Any]]:
        runs: dict[tuple[str, str], dict[str, Any]] = {}
        for sub in sorted((self.path / "runs").glob("*.parquet")):
            for record in pd.read_parquet(sub).to_dict("records"):
                runs.setdefault((record["dataset_id"], record["config_id"]), record)
        if not self.journal_path.exists():
            return runs
        lines = self.journal_path.read_bytes().split(b"\n")
        torn = 0
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                torn += 1
                if i != len(lines) - 1:
                    logger.warning("Ignoring a malformed line %d of %s.", i + 1, self.journal_path)
                continue
            runs.setdefault((record["dataset_id"], record["config_id"]), record)
        if lines and lines[-1].strip():  # torn last line: cut it so appends start cleanly
            with self.journal_path.open("ab") as fh:
                fh.write(b"\n")
        if torn:
            logger.info("Ignored %d torn journal line(s).", torn)
        return runs

    def append_line(self, value: dict[str, Any]) -> None:
        """Append one JSON object to the journal (flushed and fsynced)."""
        if self._journal is None:
            self._journal = self.journal_path.open("a")
        self._journal.write(json.dumps(value, default=_json_default) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def write_json_file(self, path: Path, value: dict[str, Any]) -> None:
        _atomic.write_text(path, json.dumps(value, indent=1, sort_keys=True, default=_json_default))

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        if self._journal is None:
            self._journal = self.journal_path.open("a")
        for record in records:
            self._journal.write(json.dumps(_clean_record(record), default=_json_default) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    # per-dataset files
    def _item(self, kind: str, dataset_id: str, suffix: str = ".json") -> Path:
        return self.path / kind / f"{_safe_name(dataset_id)}{suffix}"

    def read_json(self, kind: str, dataset_id: str) -> dict[str, Any] | None:
        path = self._item(kind, dataset_id)
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            return None

    def write_json(self, kind: str, dataset_id: str, value: dict[str, Any]) -> None:
        text = json.dumps(value, indent=1, sort_keys=True, default=_json_default)
        path = self._item(kind, dataset_id)
        path.parent.mkdir(exist_ok=True)
        _atomic.write_text(path, text)

    def has_runs_file(self, dataset_id: str) -> bool:
        return self._item("runs", dataset_id, ".parquet").exists()

    def write_runs(self, dataset_id: str, frame: pd.DataFrame) -> None:
        """``runs/<id>.parquet``, replaced atomically (:func:`autometa._atomic.write_file`):
        a kill leaves the previous file or the new one, never a part."""
        path = self._item("runs", dataset_id, ".parquet")
        _atomic.write_file(path, lambda tmp: frame.to_parquet(tmp, index=False))
