"""The ledger of a resumable import: finished units as JSON lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["Ledger"]


class Ledger:
    """Finished units of an import (OpenML tasks, LCDB tables), one JSON line each.

    Each line carries ``key`` (a hash of the import's options): lines of an import with other
    options are ignored, as is a line cut short by an interruption. ``path=None`` keeps
    nothing.
    """

    def __init__(self, path: Path | None, key: str, field: str) -> None:
        self.path = path
        self.key = key
        self.field = field  # the entry's id: "task_id", "metric", ...

    def done(self) -> dict[Any, dict[str, Any]]:
        """``{entry[field]: entry}`` of the finished units of this import."""
        if self.path is None or not self.path.exists():
            return {}
        out: dict[Any, dict[str, Any]] = {}
        with self.path.open(encoding="utf8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except ValueError:  # a line cut short by an interruption
                    continue
                if entry.get("key") == self.key:
                    out[entry[self.field]] = entry
        return out

    def record(self, entry: dict[str, Any]) -> None:
        """Append a finished unit (it must hold ``field``)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf8") as fh:
            fh.write(json.dumps({"key": self.key, **entry}, allow_nan=True) + "\n")
            fh.flush()
