"""A knowledge base on disk: a directory of parquet files and a manifest.

::

    my_kb/
        manifest.json           format name, schema version, file checksums, build info
        datasets.parquet
        configurations.parquet
        runs.parquet
        metafeatures.parquet    the wide meta-feature table, ``dataset_id`` as a column

:func:`write_tables` writes into a temporary directory beside the target and renames it into
place (:mod:`autometa._atomic`), so an interrupted save leaves the previous knowledge base
intact. :func:`read_tables` reads the manifest with :func:`read_manifest` (the path checks,
then :func:`autometa._atomic.read_json_header`: format name, schema version; then the
listed files and checksums), checks every file against its checksum and upgrades older
schema versions (:data:`MIGRATIONS`).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from autometa import _atomic
from autometa._exceptions import KnowledgeBaseError
from autometa.kb._schema import FORMAT_NAME, RUN_KEY, SCHEMA_VERSION

__all__ = [
    "MANIFEST_FILE",
    "MIGRATIONS",
    "RESERVED_KEYS",
    "TABLE_FILES",
    "dir_size",
    "is_complete_kb",
    "is_knowledge_base_dir",
    "read_manifest",
    "read_tables",
    "write_tables",
]

MANIFEST_FILE = "manifest.json"
TABLE_FILES = {
    "datasets": "datasets.parquet",
    "configurations": "configurations.parquet",
    "runs": "runs.parquet",
    "metafeatures": "metafeatures.parquet",
}
# Keys of manifest.json written by the store; the build info (``kb.manifest``) holds the rest.
RESERVED_KEYS = ("format", "schema_version", "saved_with", "saved_at", "files")


def _upgrade_v1(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Schema 1 -> 2: runs gain ``n_rows_used`` and ``n_train_rows``; retired values renamed.

    ``n_rows_used`` comes from the run's provenance (the runner recorded it when it
    subsampled), else the dataset's ``n_rows``; ``n_train_rows`` is its share of a K-fold
    training split. Configurations holding a retired hyperparameter value (``friedman_mse``)
    get the canonical value and its config id; runs follow them, and where two old
    configurations become one the first run of each key is kept (the values were equivalent).
    """
    from autometa.learners import Configuration

    runs = tables["runs"].copy()
    rows = tables["datasets"].set_index("dataset_id")["n_rows"]

    def used(provenance: Any) -> Any:
        try:
            value = json.loads(provenance).get("n_rows_used")
        except (TypeError, ValueError, AttributeError):
            value = None
        return value

    n_used = pd.Series([used(p) for p in runs["provenance"]], index=runs.index, dtype="Float64")
    n_used = n_used.fillna(runs["dataset_id"].map(rows).astype("Float64"))
    folds = runs["n_folds"].astype("Float64")
    train = (n_used * (folds - 1) / folds).where(folds >= 2)
    runs["n_rows_used"] = n_used.round().astype("Int64")
    runs["n_train_rows"] = train.round().astype("Int64")

    configs = tables["configurations"].copy()
    renamed: dict[str, str] = {}
    for i, row in configs.iterrows():
        try:
            canonical = Configuration.from_json(row["learner"], row["params"])
        except Exception:  # an unknown learner or value: left as it is
            continue
        if canonical.config_id != row["config_id"]:
            renamed[row["config_id"]] = canonical.config_id
            configs.loc[i, ["config_id", "params"]] = [canonical.config_id, canonical.params_json]
    if renamed:
        configs = configs.drop_duplicates("config_id", keep="first")
        runs["config_id"] = runs["config_id"].replace(renamed)
        runs = runs.drop_duplicates(list(RUN_KEY), keep="first")
    return {**tables, "configurations": configs, "runs": runs.reset_index(drop=True)}


# Migrations of older schema versions: ``{version: function(tables) -> tables of version+1}``.
MIGRATIONS: dict[int, Any] = {1: _upgrade_v1}
_OLDEST_READABLE = min([SCHEMA_VERSION, *MIGRATIONS])


#: How to get a good knowledge base back (the end of every error about a damaged one).
_FIX = "Rebuild the knowledge base ('autometa kb build'), or restore it from a copy."


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False)


def is_knowledge_base_dir(path: Path) -> bool:
    """Whether ``path`` holds a manifest autometa wrote (any schema version)."""
    return _atomic.has_format(path / MANIFEST_FILE, FORMAT_NAME)


def is_complete_kb(path: Path) -> bool:
    """Whether ``path`` holds a readable manifest and every file with its checksum."""
    try:
        manifest = read_manifest(path)
        return all(
            _atomic.sha256_file(path / TABLE_FILES[t]) == manifest["files"][t]["sha256"]
            for t in TABLE_FILES
        )
    except (KnowledgeBaseError, OSError):
        return False


def read_manifest(path: Path) -> dict[str, Any]:
    if not path.exists():
        copies = _atomic.stranded(path)
        if copies:
            raise KnowledgeBaseError(
                f"No knowledge base at '{path}': the path does not exist, but an interrupted "
                f"save left {len(copies)} copy(ies) beside it that could not be recovered "
                f"automatically: {', '.join(str(c) for c in copies)}. Check them and rename "
                "a complete one (with manifest.json) to the path."
            )
        raise KnowledgeBaseError(
            f"No knowledge base at '{path}': the path does not exist. "
            "Check the path, or build one with 'autometa kb build'."
        )
    if not path.is_dir():
        hint = f" Give its directory '{path.parent}' instead." if path.name == MANIFEST_FILE else ""
        raise KnowledgeBaseError(
            f"'{path}' is a file, not a knowledge base: a knowledge base is a directory "
            f"holding {MANIFEST_FILE} and parquet files.{hint}"
        )
    manifest_path = path / MANIFEST_FILE
    if not manifest_path.is_file():
        raise KnowledgeBaseError(
            f"'{path}' is not a knowledge base: it holds no {MANIFEST_FILE}. Give the "
            "directory written by KnowledgeBase.save() or 'autometa kb build'."
        )
    manifest = _atomic.read_json_header(
        manifest_path,
        format=FORMAT_NAME,
        reads=SCHEMA_VERSION,
        oldest=_OLDEST_READABLE,
        error=KnowledgeBaseError,
        what="an autometa knowledge-base manifest",
        fix=_FIX,
    )
    files = manifest.get("files")
    if not isinstance(files, dict) or any(
        not isinstance(files.get(t), dict) or "sha256" not in files[t] for t in TABLE_FILES
    ):
        raise KnowledgeBaseError(
            f"'{manifest_path}' must list the files {', '.join(TABLE_FILES.values())} with "
            f"their sha256 under 'files': the manifest is damaged. {_FIX}"
        )
    return manifest


def dir_size(path: Path) -> int:
    """Bytes of the files of a directory (not recursive)."""
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())


def write_tables(
    tables: dict[str, pd.DataFrame], build_info: dict[str, Any], target: Path
) -> dict[str, Any]:
    """Write the four tables (``metafeatures`` with ``dataset_id`` as a column) and the
    manifest into ``target``, atomically; return the manifest written."""
    from autometa import __version__

    tmp = _atomic.temp_dir_for(target)
    try:
        files: dict[str, dict[str, Any]] = {}
        for table, frame in tables.items():
            file = tmp / TABLE_FILES[table]
            _write_table(frame, file)
            files[table] = {
                "path": TABLE_FILES[table],
                "sha256": _atomic.sha256_file(file),
                "rows": len(frame),
            }
        manifest = {
            "format": FORMAT_NAME,
            "schema_version": SCHEMA_VERSION,
            "saved_with": {"autometa": __version__, "pandas": pd.__version__},
            "saved_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "files": files,
            **build_info,
        }
        with open(tmp / MANIFEST_FILE, "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2, sort_keys=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _atomic.replace_dir(tmp, target)
    return manifest


def read_tables(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The tables (upgraded to :data:`SCHEMA_VERSION`, not yet validated) and the manifest of
    the knowledge base at ``path``; an interrupted save is recovered first."""
    _atomic.recover(path, is_complete_kb, "knowledge base")
    manifest = read_manifest(path)
    tables: dict[str, pd.DataFrame] = {}
    for table, name in TABLE_FILES.items():
        file = path / name
        if not file.is_file():
            raise KnowledgeBaseError(
                f"The knowledge base at '{path}' is incomplete: the file '{name}' listed "
                f"in {MANIFEST_FILE} is missing. Restore it, or rebuild the knowledge base."
            )
        expected = manifest["files"][table]["sha256"]
        actual = _atomic.sha256_file(file)
        if actual != expected:
            raise KnowledgeBaseError(
                f"The file '{file}' is corrupted or was changed after saving: its sha256 "
                f"is {actual[:12]}..., {MANIFEST_FILE} records {str(expected)[:12]}.... "
                "Restore it, or rebuild the knowledge base."
            )
        try:
            tables[table] = pd.read_parquet(file)
        except Exception as exc:  # pyarrow errors of many kinds
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise KnowledgeBaseError(
                f"Cannot read '{file}' as parquet ({type(exc).__name__}: {first}). "
                "Restore it, or rebuild the knowledge base."
            ) from None
    version = manifest["schema_version"]
    while version < SCHEMA_VERSION:
        tables = MIGRATIONS[version](tables)
        version += 1
    return tables, manifest
