"""Crash-safe replacement of a directory, and recovery after a crash.

A directory artifact (a knowledge base, a meta-model) is saved as:

1. write every file into ``.<name>.tmp-<random>`` beside the target, fsync the files
   and the directory;
2. rename the current target (if any) to ``.<name>.old-<random>``;
3. rename the temporary directory to the target, fsync the parent;
4. delete the old copy.

POSIX has no atomic exchange of two directories, so a process killed between steps 2
and 3 leaves no directory at the target: the new version is complete in ``.tmp-*`` and
the old one in ``.old-*``. :func:`recover` (called by the loaders when the target is
missing) renames the newest *complete* stranded copy back into place: the temporary copy
if it is complete (the renames only start once it is), else the old one. A copy that
cannot be recovered is named in the loader's error. After a kill at any other step the
target holds the old version (steps 1-2) or the new one (after 3).

A single file (an index such as ``models.json``) is written with :func:`write_text`:
into ``.<name>.tmp-<random>`` beside it, fsynced, then renamed over it (atomic on POSIX).

JSON headers (``model.json``, ``models.json``, ``cost.json``, a knowledge base's manifest)
are read with :func:`read_json_header`, which checks the ``format`` and the
``schema_version`` (an int the reader reads) and names the file, the problem and the fix in
its error; :func:`has_format` only tells whether autometa wrote a file.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "foreign_target",
    "fsync_dir",
    "fsync_file",
    "has_format",
    "read_json_header",
    "recover",
    "replace_dir",
    "sha256_file",
    "stranded",
    "temp_dir_for",
    "write_file",
    "write_text",
]

logger = logging.getLogger(__name__)


def foreign_target(path: Path, ours: Callable[[Path], bool]) -> str | None:
    """Why replacing ``path`` would lose someone's files: ``"file"`` (it is a file),
    ``"directory"`` (a non-empty directory ``ours`` does not recognise), or None (absent,
    empty, or written by autometa). Callers word the error for their artifact."""
    if not path.exists():
        return None
    if not path.is_dir():
        return "file"
    if any(path.iterdir()) and not ours(path):
        return "directory"
    return None


def fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def temp_dir_for(target: Path) -> Path:
    """A new, empty ``.<name>.tmp-<random>`` directory beside ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    return tmp


def replace_dir(tmp: Path, target: Path) -> None:
    """Put the complete directory ``tmp`` at ``target`` (steps 2-4 of the module doc).

    On an exception (not a kill) the previous ``target`` is restored and ``tmp`` removed.
    """
    for file in tmp.iterdir():
        if file.is_file():
            fsync_file(file)
    fsync_dir(tmp)
    old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:12]}"
    try:
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not target.exists():
            os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def stranded(target: Path) -> list[Path]:
    """Copies left beside ``target`` by interrupted saves: ``.tmp-*`` first, newest first
    within each kind."""
    parent = target.parent
    if not parent.is_dir():
        return []
    out: list[Path] = []
    for kind in ("tmp", "old"):
        found = [p for p in parent.glob(f".{target.name}.{kind}-*") if p.is_dir()]
        found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        out += found
    return out


def recover(target: Path, is_complete: Callable[[Path], bool], what: str) -> list[Path]:
    """If ``target`` is missing, move the newest complete stranded copy into place.

    Returns the stranded copies left (empty when ``target`` exists or was recovered and
    nothing else was stranded); the caller names them in its error when ``target`` is
    still missing. Warns when a copy is recovered.
    """
    if target.exists():
        return []
    copies = stranded(target)
    for copy in copies:
        if not is_complete(copy):
            continue
        try:
            os.replace(copy, target)
        except OSError as exc:
            logger.warning("cannot recover %s from %s: %s", what, copy, exc)
            return copies
        fsync_dir(target.parent)
        warnings.warn(
            f"The {what} at '{target}' was missing: a save was interrupted. It was recovered "
            f"from the complete copy '{copy.name}' that the save left beside it.",
            UserWarning,
            stacklevel=3,
        )
        return [c for c in copies if c != copy]
    return copies


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), the checksum artifact headers record."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_text(path: Path, text: str) -> None:
    """Replace the file ``path`` with ``text`` (UTF-8) atomically: a reader sees the old
    file or the new one, never a part; a crash leaves at most a ``.tmp-*`` file beside it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:12]}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def read_json_header(
    path: Path,
    *,
    format: str,
    reads: int,
    error: type[Exception],
    what: str,
    fix: str,
    required: tuple[str, ...] = (),
    oldest: int = 1,
) -> dict[str, Any]:
    """The JSON object in ``path``, checked: valid JSON, ``"format": format``, an int
    ``schema_version`` from ``oldest`` to ``reads`` and the ``required`` keys.

    The one reader of autometa's JSON headers (a knowledge base's ``manifest.json``, a
    meta-model's ``model.json``, a models directory's ``models.json``, ``cost.json``), so
    that every artifact treats its schema version alike: missing or not an int is damage;
    newer than ``reads`` asks to upgrade autometa; older than ``oldest`` (no migration
    reads it) says so. ``error`` is raised (e.g. :class:`~autometa.ModelError`) with a
    message naming the file and the problem; ``what`` names the artifact ("an autometa
    meta-model file") and ``fix`` says how to get a good one ("Retrain the model ...").
    A missing file raises ``FileNotFoundError``: callers word that case themselves.
    """
    path = Path(path)
    try:
        header = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(
            f"'{path}' is not valid JSON ({exc}): the file is damaged or truncated. {fix}"
        ) from None
    found = header.get("format") if isinstance(header, dict) else None
    if not isinstance(header, dict) or found != format:
        raise error(f"'{path}' is not {what} (its format is {found!r}, not {format!r}). {fix}")
    version = header.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise error(
            f"'{path}' has no valid schema_version (got {version!r}, expected an int): the "
            f"file is damaged. {fix}"
        )
    if version > reads:
        saved_with = header.get("saved_with")
        by = saved_with.get("autometa") if isinstance(saved_with, dict) else None
        raise error(
            f"'{path}' was written by a newer autometa{f' ({by})' if by else ''}: it has "
            f"schema version {version}, this autometa reads schema versions up to {reads}. "
            "Upgrade autometa: pip install --upgrade autometa."
        )
    if version < oldest:
        raise error(
            f"'{path}' has schema version {version}, older than any this autometa reads "
            f"({oldest} to {reads}). {fix} Or read it with the autometa version that wrote it."
        )
    missing = [k for k in required if k not in header]
    if missing:
        raise error(
            f"'{path}' lacks {', '.join(repr(k) for k in missing)}: the file is damaged. {fix}"
        )
    return header


def has_format(path: Path, format: str) -> bool:
    """Whether ``path`` is a JSON object with ``"format": format`` (any schema version):
    whether autometa wrote the artifact it heads, e.g. before replacing a directory."""
    try:
        header = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(header, dict) and header.get("format") == format


def write_file(path: Path, write: Callable[[Path], None]) -> None:
    """Replace the file ``path`` atomically with what ``write(tmp)`` writes (any format,
    e.g. ``frame.to_parquet``): as :func:`write_text`, into ``.<name>.tmp-<random>`` beside
    it, fsynced, then renamed over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:12]}"
    try:
        write(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
