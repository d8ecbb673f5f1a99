"""The knowledge base: four tables in memory, a directory of parquet files on disk.

On disk a knowledge base is a directory::

    my_kb/
        manifest.json           format name, schema version, file checksums, build info
        datasets.parquet
        configurations.parquet
        runs.parquet
        metafeatures.parquet    the wide meta-feature table, ``dataset_id`` as a column

:meth:`KnowledgeBase.save` writes into a temporary directory beside the target and renames
it into place, so an interrupted save leaves the previous knowledge base intact.
:meth:`KnowledgeBase.load` checks the format name, the schema version, that every file is
present with the checksum the manifest records, and the columns and dtypes of each table.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import shutil
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa import _atomic
from autometa._exceptions import KnowledgeBaseError, ParameterError
from autometa.kb._schema import (
    COLUMN_DEFAULTS,
    COLUMN_DTYPES,
    DEFAULT_METRIC,
    FORMAT_NAME,
    METRICS,
    RUN_KEY,
    RUN_STATUSES,
    SCHEMA_VERSION,
    TABLE_COLUMNS,
    TABLE_KEYS,
)

__all__ = ["KnowledgeBase", "KnowledgeBaseSummary"]

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
TABLE_FILES = {
    "datasets": "datasets.parquet",
    "configurations": "configurations.parquet",
    "runs": "runs.parquet",
    "metafeatures": "metafeatures.parquet",
}
# Keys of manifest.json written by the store; the build info (``kb.manifest``) holds the rest.
_RESERVED_KEYS = ("format", "schema_version", "saved_with", "saved_at", "files")


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
_MIGRATIONS: dict[int, Any] = {1: _upgrade_v1}
_OLDEST_READABLE = min([SCHEMA_VERSION, *_MIGRATIONS])


def _show(ids: Iterable[Any], limit: int = 5) -> str:
    ids = [str(i) for i in ids]
    shown = ", ".join(repr(i) for i in ids[:limit])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > limit else "")


# -------------------------------------------------------------------------------------------
# table validation
def _empty_table(table: str) -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series([], dtype=COLUMN_DTYPES[table][c]) for c in TABLE_COLUMNS[table]}
    )


def _empty_metafeatures() -> pd.DataFrame:
    return pd.DataFrame(
        index=pd.Index([], dtype="str", name="dataset_id"),
        columns=pd.Index([], dtype="str"),
        dtype="float64",
    )


def _check_table(frame: Any, table: str, where: str) -> pd.DataFrame:
    """``frame`` with exactly the columns of ``table``, in order, cast to their dtypes.

    ``where`` names the origin of the frame in error messages (a file, or an argument).
    """
    if not isinstance(frame, pd.DataFrame):
        raise KnowledgeBaseError(
            f"The {table} table ({where}) must be a pandas DataFrame. "
            f"Got {type(frame).__name__} instead."
        )
    columns = TABLE_COLUMNS[table]
    defaults = COLUMN_DEFAULTS[table]
    unknown = [c for c in frame.columns if c not in columns]
    if unknown:
        raise KnowledgeBaseError(
            f"The {table} table ({where}) has unknown column(s) {_show(unknown)}. "
            f"The allowed columns are: {', '.join(columns)}. Rename or drop the others."
        )
    missing = [c for c in columns if c not in frame.columns and c not in defaults]
    if missing:
        raise KnowledgeBaseError(
            f"The {table} table ({where}) lacks the column(s) {_show(missing)} of schema "
            f"version {SCHEMA_VERSION}. Its columns must be: {', '.join(columns)}."
        )
    out = {}
    n = len(frame)
    for col in columns:
        dtype = COLUMN_DTYPES[table][col]
        if col in frame.columns:
            values = frame[col].reset_index(drop=True)
        else:
            default = defaults[col]
            values = pd.Series([default] * n, dtype=dtype if default is not None else "Int64")
        if dtype == "str" and values.isna().any():
            if col in TABLE_KEYS[table] or col not in defaults:
                raise KnowledgeBaseError(
                    f"The column '{col}' of the {table} table ({where}) has missing values in "
                    f"{int(values.isna().sum())} row(s). Fill them: '{col}' is required."
                )
            values = values.fillna(defaults[col])
        try:
            if dtype == "str" and values.dtype != "str":
                if not (values.map(lambda v: isinstance(v, str)).all()):
                    raise TypeError("not all values are strings")
            if dtype in ("int64", "Int64") and pd.api.types.is_float_dtype(values):
                finite = values.dropna()
                if not (finite == finite.round()).all():
                    raise ValueError("some values are not whole numbers")
            out[col] = values.astype(dtype)
        except (TypeError, ValueError) as exc:
            raise KnowledgeBaseError(
                f"The column '{col}' of the {table} table ({where}) must hold {dtype} values. "
                f"Got dtype {values.dtype} that cannot be cast ({str(exc).splitlines()[0]}). "
                "Fix the values of that column."
            ) from None
    result = pd.DataFrame(out, index=pd.RangeIndex(n))
    keys = list(TABLE_KEYS[table])
    dup = result.duplicated(keys, keep=False)
    if dup.any():
        shown = _show(result.loc[dup, keys].drop_duplicates().astype(str).agg("|".join, axis=1))
        raise KnowledgeBaseError(
            f"The {table} table ({where}) has several rows with the same key "
            f"({', '.join(keys)}): {shown}. Keep one row per key."
        )
    if "task" in result.columns:
        from autometa.learners import TASKS

        bad = sorted(set(result["task"]) - set(TASKS))
        if bad:
            raise KnowledgeBaseError(
                f"The 'task' column of the {table} table ({where}) must hold one of "
                f"{list(TASKS)}. Got {_show(bad)} instead."
            )
    if table == "runs":
        bad = sorted(set(result["status"]) - set(RUN_STATUSES))
        if bad:
            raise KnowledgeBaseError(
                f"The 'status' column of the runs table ({where}) must hold one of "
                f"{list(RUN_STATUSES)}. Got {_show(bad)} instead."
            )
    return result


def _check_metafeatures(frame: Any, where: str) -> pd.DataFrame:
    if frame is None:
        return _empty_metafeatures()
    if not isinstance(frame, pd.DataFrame):
        raise KnowledgeBaseError(
            f"The meta-features ({where}) must be a pandas DataFrame indexed by dataset_id. "
            f"Got {type(frame).__name__} instead."
        )
    if frame.index.has_duplicates:
        raise KnowledgeBaseError(
            f"The meta-features ({where}) have several rows for the dataset(s) "
            f"{_show(frame.index[frame.index.duplicated()].unique())}. Keep one row per dataset."
        )
    if frame.index.hasnans:
        raise KnowledgeBaseError(
            f"The meta-features ({where}) have rows without a dataset_id. "
            "Index the frame by dataset_id."
        )
    bad_names = [c for c in frame.columns if not isinstance(c, str)]
    if bad_names:
        raise KnowledgeBaseError(
            f"The meta-feature names ({where}) must be strings. Got {_show(bad_names)} instead."
        )
    try:
        out = frame.astype("float64")
    except (TypeError, ValueError):
        bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        raise KnowledgeBaseError(
            f"The meta-features ({where}) must be numeric. The column(s) {_show(bad)} "
            "cannot be cast to float; convert them or drop them."
        ) from None
    out.index = pd.Index(frame.index.astype("str"), name="dataset_id")
    out.columns = pd.Index(list(frame.columns), dtype="str")
    return out


def _check_consistency(
    datasets: pd.DataFrame,
    configurations: pd.DataFrame,
    runs: pd.DataFrame,
    metafeatures: pd.DataFrame,
    where: str,
) -> None:
    """Runs reference known datasets and configurations of the same task."""
    missing = sorted(set(runs["dataset_id"]) - set(datasets["dataset_id"]))
    if missing:
        raise KnowledgeBaseError(
            f"Runs ({where}) refer to dataset(s) {_show(missing)} that are not in the "
            "knowledge base. Add them first with add_datasets()."
        )
    missing = sorted(set(runs["config_id"]) - set(configurations["config_id"]))
    if missing:
        raise KnowledgeBaseError(
            f"Runs ({where}) refer to configuration(s) {_show(missing)} that are not in the "
            "knowledge base. Add them first with add_configurations()."
        )
    missing = sorted(set(metafeatures.index) - set(datasets["dataset_id"]))
    if missing:
        raise KnowledgeBaseError(
            f"Meta-features ({where}) are given for dataset(s) {_show(missing)} that are not "
            "in the knowledge base. Add the datasets too."
        )
    if len(runs):
        d_task = datasets.set_index("dataset_id")["task"]
        c_task = configurations.set_index("config_id")["task"]
        mismatch = (
            runs["dataset_id"].map(d_task).to_numpy() != runs["config_id"].map(c_task).to_numpy()
        )
        if mismatch.any():
            row = runs.loc[mismatch].iloc[0]
            raise KnowledgeBaseError(
                f"Runs ({where}) pair datasets and configurations of different tasks, e.g. "
                f"'{row['config_id']}' ({c_task[row['config_id']]}) on '{row['dataset_id']}' "
                f"({d_task[row['dataset_id']]}), in {int(mismatch.sum())} run(s). "
                "A configuration can only run on a dataset of its task."
            )


def _upsert(old: pd.DataFrame, new: pd.DataFrame, keys: Iterable[str]) -> pd.DataFrame:
    """Rows of ``old`` whose key is not in ``new``, then the rows of ``new``."""
    keys = list(keys)
    if len(old) == 0:
        return new.reset_index(drop=True)
    if len(new) == 0:
        return old.reset_index(drop=True)
    clash = pd.MultiIndex.from_frame(old[keys]).isin(pd.MultiIndex.from_frame(new[keys]))
    return pd.concat([old.loc[~clash], new], ignore_index=True)


def _upsert_metafeatures(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``new`` replace those of ``old``; the columns are the union of both."""
    if new.shape[0] == 0 and new.shape[1] == 0:
        return old
    kept = old.loc[~old.index.isin(new.index)]
    if kept.shape[0] == 0 and kept.shape[1] == 0:
        return new
    out = pd.concat([kept, new], axis=0, sort=False).astype("float64")
    out.index.name = "dataset_id"
    return out


# -------------------------------------------------------------------------------------------
# summary
@dataclass(frozen=True)
class KnowledgeBaseSummary:
    """Counts describing a knowledge base; ``str()`` is what ``autometa kb info`` prints.

    Attributes
    ----------
    n_datasets, n_configurations, n_runs, n_metafeatures : int
    datasets_per_task, datasets_per_source : dict of str to int
    configurations_per_learner : dict of str to int
    runs_per_status, runs_per_source : dict of str to int
    density : dict of str to float
        Per task, the share of (dataset, configuration) cells of that task with at least one
        ``ok`` run: 1.0 is a dense knowledge base.
    path : str or None
        Where the knowledge base was loaded from.
    size_on_disk : int or None
        Bytes of its files, when loaded from disk.
    saved : dict
        When loaded from disk: ``saved_at`` (ISO date) and ``saved_with`` (versions).
    manifest : dict
        The build info (command, versions, dates, time taken, ...).
    """

    n_datasets: int
    n_configurations: int
    n_runs: int
    n_metafeatures: int
    datasets_per_task: dict[str, int]
    datasets_per_source: dict[str, int]
    configurations_per_learner: dict[str, int]
    runs_per_status: dict[str, int]
    runs_per_source: dict[str, int]
    density: dict[str, float]
    path: str | None = None
    size_on_disk: int | None = None
    saved: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable dict of every field."""
        return {
            "n_datasets": self.n_datasets,
            "n_configurations": self.n_configurations,
            "n_runs": self.n_runs,
            "n_metafeatures": self.n_metafeatures,
            "datasets_per_task": dict(self.datasets_per_task),
            "datasets_per_source": dict(self.datasets_per_source),
            "configurations_per_learner": dict(self.configurations_per_learner),
            "runs_per_status": dict(self.runs_per_status),
            "runs_per_source": dict(self.runs_per_source),
            "density": dict(self.density),
            "path": self.path,
            "size_on_disk": self.size_on_disk,
            "saved": dict(self.saved),
            "manifest": dict(self.manifest),
        }

    def __str__(self) -> str:
        def counts(d: Mapping[str, Any]) -> str:
            return ", ".join(f"{k} {v}" for k, v in d.items()) or "-"

        lines = []
        if self.path is not None:
            size = "" if self.size_on_disk is None else f" ({_human_size(self.size_on_disk)})"
            lines.append(f"knowledge base   {self.path}{size}")
        if self.saved:
            versions = ", ".join(
                f"{k} {v}" for k, v in dict(self.saved.get("saved_with") or {}).items()
            )
            lines.append(f"saved            {self.saved.get('saved_at', '?')} ({versions})")
        lines += [
            f"datasets         {self.n_datasets}: {counts(self.datasets_per_task)}",
            f"  by source      {counts(self.datasets_per_source)}",
            f"configurations   {self.n_configurations}",
        ]
        lines += [f"  {k:<28} {v}" for k, v in self.configurations_per_learner.items()]
        lines += [
            f"runs             {self.n_runs}: {counts(self.runs_per_status)}",
            f"  by source      {counts(self.runs_per_source)}",
            "density          "
            + (", ".join(f"{k} {v:.1%}" for k, v in self.density.items()) or "-"),
            f"meta-features    {self.n_metafeatures}",
        ]
        build = {k: v for k, v in self.manifest.items() if k not in _RESERVED_KEYS}
        if build:
            lines.append("build")
            for key, value in build.items():
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                lines.append(f"  {key:<14} {text}")
        return "\n".join(lines)


def _human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


# -------------------------------------------------------------------------------------------
# disk helpers
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False)


def _is_knowledge_base_dir(path: Path) -> bool:
    try:
        manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT_NAME


def _is_complete_kb(path: Path) -> bool:
    """Whether ``path`` holds a readable manifest and every file with its checksum."""
    try:
        manifest = _read_manifest(path)
        return all(
            _sha256(path / TABLE_FILES[t]) == manifest["files"][t]["sha256"] for t in TABLE_FILES
        )
    except (KnowledgeBaseError, OSError):
        return False


def _read_manifest(path: Path) -> dict[str, Any]:
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
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KnowledgeBaseError(
            f"'{manifest_path}' is not valid JSON ({exc}). The knowledge base is damaged: "
            "restore it or rebuild it."
        ) from None
    fmt = manifest.get("format") if isinstance(manifest, dict) else None
    if fmt != FORMAT_NAME:
        raise KnowledgeBaseError(
            f"'{manifest_path}' is not an autometa knowledge-base manifest: its format is "
            f"{fmt!r}, expected '{FORMAT_NAME}'. Give the directory of a knowledge base "
            "written by autometa."
        )
    version = manifest.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise KnowledgeBaseError(
            f"'{manifest_path}' has no valid schema_version (got {version!r}, expected an "
            "int). The knowledge base is damaged: restore it or rebuild it."
        )
    if version > SCHEMA_VERSION:
        saved_with = manifest.get("saved_with", {}).get("autometa", "a newer version")
        raise KnowledgeBaseError(
            f"The knowledge base at '{path}' has schema version {version} (written by "
            f"autometa {saved_with}); this autometa reads schema versions up to "
            f"{SCHEMA_VERSION}. Upgrade autometa: pip install --upgrade autometa."
        )
    if version < _OLDEST_READABLE:
        raise KnowledgeBaseError(
            f"The knowledge base at '{path}' has schema version {version}, older than any "
            f"this autometa can read ({_OLDEST_READABLE} to {SCHEMA_VERSION}). Rebuild it "
            "with 'autometa kb build', or load it with the autometa version that wrote it."
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or any(
        not isinstance(files.get(t), dict) or "sha256" not in files[t] for t in TABLE_FILES
    ):
        raise KnowledgeBaseError(
            f"'{manifest_path}' must list the files {', '.join(TABLE_FILES.values())} with "
            "their sha256 under 'files'. The manifest is damaged: restore or rebuild the "
            "knowledge base."
        )
    return manifest


# -------------------------------------------------------------------------------------------
class KnowledgeBase:
    """Datasets, configurations and the runs of configurations on datasets.

    Parameters
    ----------
    datasets, configurations, runs : DataFrame, optional
        The tables, with the columns documented in :mod:`autometa.kb._schema`. Optional
        columns (``openml_id``; the metrics, times, ``error`` and ``provenance`` of runs) may
        be left out. Omitted tables are empty.
    metafeatures : DataFrame, optional
        Index ``dataset_id``, one float column per meta-feature.
    manifest : dict, optional
        Build info (``command``, ``versions``, dates, ``time_taken``, ``build``, ...); it must
        be JSON-serializable and is saved in ``manifest.json``.

    Notes
    -----
    ``len(kb)`` is the number of runs. The tables are validated on construction and on every
    ``add_*``: unknown or missing columns, uncastable values, duplicate keys, unknown
    statuses or tasks, and runs referring to absent datasets or configurations are errors.

    Examples
    --------
    >>> from autometa.kb import KnowledgeBase
    >>> kb = KnowledgeBase()
    >>> len(kb)
    0
    """

    def __init__(
        self,
        datasets: pd.DataFrame | None = None,
        configurations: pd.DataFrame | None = None,
        runs: pd.DataFrame | None = None,
        metafeatures: pd.DataFrame | None = None,
        manifest: Mapping[str, Any] | None = None,
    ) -> None:
        where = "given to KnowledgeBase()"
        self._datasets = (
            _empty_table("datasets")
            if datasets is None
            else _check_table(datasets, "datasets", where)
        )
        self._configurations = (
            _empty_table("configurations")
            if configurations is None
            else _check_table(configurations, "configurations", where)
        )
        self._runs = _empty_table("runs") if runs is None else _check_table(runs, "runs", where)
        self._metafeatures = _check_metafeatures(metafeatures, where)
        _check_consistency(
            self._datasets, self._configurations, self._runs, self._metafeatures, where
        )
        self._manifest = self._check_manifest(manifest)
        self._path: Path | None = None
        self._size_on_disk: int | None = None
        self._saved: dict[str, Any] = {}

    @staticmethod
    def _check_manifest(manifest: Mapping[str, Any] | None) -> dict[str, Any]:
        if manifest is None:
            return {}
        if not isinstance(manifest, Mapping):
            raise KnowledgeBaseError(
                f"The 'manifest' parameter of KnowledgeBase must be a dict or None. "
                f"Got {type(manifest).__name__} instead."
            )
        reserved = [k for k in manifest if k in _RESERVED_KEYS]
        if reserved:
            raise KnowledgeBaseError(
                f"The manifest may not set the key(s) {_show(reserved)}: the store writes "
                f"them. Reserved keys are {list(_RESERVED_KEYS)}; put build info elsewhere."
            )
        try:
            return json.loads(json.dumps(dict(manifest)))
        except (TypeError, ValueError) as exc:
            raise KnowledgeBaseError(
                f"The manifest must be JSON-serializable ({exc}). Convert its values to "
                "str, numbers, lists or dicts."
            ) from None

    # -- the tables ---------------------------------------------------------------------
    @property
    def datasets(self) -> pd.DataFrame:
        """One row per dataset (see :mod:`autometa.kb._schema`)."""
        return self._datasets.copy(deep=False)

    @property
    def configurations(self) -> pd.DataFrame:
        """One row per configuration."""
        return self._configurations.copy(deep=False)

    @property
    def runs(self) -> pd.DataFrame:
        """One row per run: a configuration evaluated on a dataset by one source."""
        return self._runs.copy(deep=False)

    @property
    def metafeatures(self) -> pd.DataFrame:
        """Index ``dataset_id``, one float column per meta-feature."""
        return self._metafeatures.copy(deep=False)

    @property
    def manifest(self) -> dict[str, Any]:
        """The build info: command, versions, dates, time taken, free-form ``build`` dict."""
        return json.loads(json.dumps(self._manifest))

    @property
    def path(self) -> Path | None:
        """The directory this knowledge base was loaded from or last saved to, if any."""
        return self._path

    @property
    def tasks(self) -> list[str]:
        """The tasks of the datasets, sorted."""
        return sorted(set(self._datasets["task"]))

    def __len__(self) -> int:
        """The number of runs."""
        return len(self._runs)

    def __repr__(self) -> str:
        where = f", path='{self._path}'" if self._path is not None else ""
        return (
            f"KnowledgeBase(datasets={len(self._datasets)}, "
            f"configurations={len(self._configurations)}, runs={len(self._runs)}, "
            f"metafeatures={self._metafeatures.shape[1]}{where})"
        )

    def _replace(self, **tables: Any) -> KnowledgeBase:
        """A new knowledge base with some tables replaced (already validated)."""
        new = KnowledgeBase.__new__(KnowledgeBase)
        new._datasets = tables.get("datasets", self._datasets).reset_index(drop=True)
        new._configurations = tables.get("configurations", self._configurations).reset_index(
            drop=True
        )
        new._runs = tables.get("runs", self._runs).reset_index(drop=True)
        new._metafeatures = tables.get("metafeatures", self._metafeatures)
        new._manifest = tables.get("manifest", self._manifest)
        new._path = None
        new._size_on_disk = None
        new._saved = {}
        return new

    # -- adding -------------------------------------------------------------------------
    def add_datasets(
        self, frame: pd.DataFrame, metafeatures: pd.DataFrame | None = None
    ) -> KnowledgeBase:
        """Add datasets, replacing those with the same ``dataset_id``.

        Parameters
        ----------
        frame : DataFrame
            Rows of the datasets table.
        metafeatures : DataFrame, optional
            Index ``dataset_id``; each row replaces the stored row of that dataset, and new
            meta-feature columns are added (NaN for the other datasets).

        Returns
        -------
        self
        """
        where = "given to add_datasets()"
        new = _check_table(frame, "datasets", where)
        mf = _check_metafeatures(metafeatures, where)
        datasets = _upsert(self._datasets, new, TABLE_KEYS["datasets"])
        mf_all = _upsert_metafeatures(self._metafeatures, mf)
        _check_consistency(datasets, self._configurations, self._runs, mf_all, where)
        self._datasets, self._metafeatures = datasets, mf_all
        return self

    def add_configurations(
        self, configs: Iterable[Any] | pd.DataFrame, origin: str = "default"
    ) -> KnowledgeBase:
        """Add configurations; those whose ``config_id`` is already stored are skipped.

        A ``config_id`` is a hash of the learner and its parameters, so an id already
        stored is the same configuration: the first recorded ``origin`` is kept.

        Parameters
        ----------
        configs : iterable of Configuration, or DataFrame
            :class:`autometa.learners.Configuration` objects, or rows of the configurations
            table.
        origin : str, default="default"
            The ``origin`` of configurations given as objects (``default``, ``sobol``,
            ``openml``, ``optuna``, ``search``, ``import``).

        Returns
        -------
        self
        """
        from autometa.learners import Configuration

        where = "given to add_configurations()"
        if isinstance(configs, pd.DataFrame):
            frame = configs
        else:
            if isinstance(configs, Configuration):
                configs = [configs]
            rows = []
            for c in configs:
                if not isinstance(c, Configuration):
                    raise KnowledgeBaseError(
                        "The 'configs' parameter of add_configurations must be an iterable of "
                        f"Configuration or a DataFrame. Got an item of type {type(c).__name__} "
                        "instead."
                    )
                rows.append(
                    {
                        "config_id": c.config_id,
                        "learner": c.learner,
                        "task": c.task,
                        "params": c.params_json,
                        "origin": origin,
                    }
                )
            frame = pd.DataFrame(rows, columns=list(TABLE_COLUMNS["configurations"]))
        new = _check_table(frame, "configurations", where)
        new = new.loc[~new["config_id"].isin(self._configurations["config_id"])]
        if len(new):
            self._configurations = pd.concat([self._configurations, new], ignore_index=True)
        return self

    def add_runs(self, frame: pd.DataFrame) -> KnowledgeBase:
        """Add runs, replacing those with the same key ``(dataset_id, config_id, source)``.

        Metric columns left out are NaN. The datasets and configurations the runs refer to
        must already be in the knowledge base.

        Returns
        -------
        self
        """
        where = "given to add_runs()"
        new = _check_table(frame, "runs", where)
        _check_consistency(self._datasets, self._configurations, new, _empty_metafeatures(), where)
        self._runs = _upsert(self._runs, new, RUN_KEY)
        return self

    # Deprecated shims. The lazy imports of ``autometa.optuna._history`` below are the one
    # allowed import against the data flow (kb -> optuna); they go with these methods.
    def add_study(self, study: Any, X: Any, y: Any, **kwargs: Any) -> KnowledgeBase:
        """Deprecated: use :func:`autometa.optuna.add_study` ``(kb, study, X, y, ...)``.

        .. deprecated:: 0.2
            Adding a study lives with the Optuna integration; this method will be removed
            in autometa 0.3.
        """
        warnings.warn(
            "KnowledgeBase.add_study is deprecated and will be removed in autometa 0.3. "
            "Use autometa.optuna.add_study(kb, study, X, y, ...) instead.",
            FutureWarning,
            stacklevel=2,
        )
        from autometa.optuna._history import add_study  # the allowed exception (see above)

        return add_study(self, study, X, y, **kwargs)

    def add_search(self, search_cv: Any, X: Any, y: Any, **kwargs: Any) -> KnowledgeBase:
        """Deprecated: use :func:`autometa.optuna.add_search` ``(kb, search_cv, X, y, ...)``.

        .. deprecated:: 0.2
            Adding a search lives with the Optuna integration; this method will be removed
            in autometa 0.3.
        """
        warnings.warn(
            "KnowledgeBase.add_search is deprecated and will be removed in autometa 0.3. "
            "Use autometa.optuna.add_search(kb, search_cv, X, y, ...) instead.",
            FutureWarning,
            stacklevel=2,
        )
        from autometa.optuna._history import add_search  # the allowed exception (see above)

        return add_search(self, search_cv, X, y, **kwargs)

    # -- combining ------------------------------------------------------------------------
    def merge(self, other: KnowledgeBase) -> KnowledgeBase:
        """The union of two knowledge bases, as a new one.

        On a clash of keys, ``other`` wins: its datasets, its runs (same ``dataset_id``,
        ``config_id``, ``source``) and its meta-feature rows replace those of ``self``.
        Configurations are identified by content, so those of ``self`` are kept. The
        meta-feature columns are the union of both. The manifest records both build infos
        under ``merged_from``.
        """
        if not isinstance(other, KnowledgeBase):
            raise KnowledgeBaseError(
                f"The 'other' parameter of KnowledgeBase.merge must be a KnowledgeBase. "
                f"Got {type(other).__name__} instead."
            )
        datasets = _upsert(self._datasets, other._datasets, TABLE_KEYS["datasets"])
        other_new = other._configurations.loc[
            ~other._configurations["config_id"].isin(self._configurations["config_id"])
        ]
        configurations = pd.concat([self._configurations, other_new], ignore_index=True)
        runs = _upsert(self._runs, other._runs, RUN_KEY)
        mf = _upsert_metafeatures(self._metafeatures, other._metafeatures)
        _check_consistency(datasets, configurations, runs, mf, "after merge()")
        manifest = {"merged_from": [self._manifest, other._manifest]}
        return self._replace(
            datasets=datasets,
            configurations=configurations,
            runs=runs,
            metafeatures=mf,
            manifest=manifest,
        )

    def subset(
        self,
        dataset_ids: Iterable[str] | None = None,
        *,
        task: str | None = None,
        learners: Iterable[str] | None = None,
        config_ids: Iterable[str] | None = None,
    ) -> KnowledgeBase:
        """A new knowledge base restricted to some datasets, a task, learners or configurations.

        Parameters
        ----------
        dataset_ids : iterable of str, optional
            Datasets to keep; each must be in the knowledge base.
        task : {"classification", "regression"}, optional
            Keep the datasets and configurations of this task.
        learners : iterable of str, optional
            Keep the configurations of these learners (registry names).
        config_ids : iterable of str, optional
            Keep these configurations (ids unknown to the knowledge base are ignored).

        Returns
        -------
        KnowledgeBase
            Runs are those between the kept datasets and configurations.
        """
        datasets, configurations = self._datasets, self._configurations
        if dataset_ids is not None:
            if isinstance(dataset_ids, str):
                dataset_ids = [dataset_ids]
            ids = list(dict.fromkeys(dataset_ids))
            unknown = [i for i in ids if i not in set(datasets["dataset_id"])]
            if unknown:
                raise KnowledgeBaseError(
                    f"Unknown dataset(s) {_show(unknown)} given to subset(). Pass ids of "
                    "kb.datasets['dataset_id']."
                )
            datasets = datasets.loc[datasets["dataset_id"].isin(ids)]
        if task is not None:
            self._check_task(task, "subset")
            datasets = datasets.loc[datasets["task"] == task]
            configurations = configurations.loc[configurations["task"] == task]
        if learners is not None:
            from autometa.learners import get_learner

            names = [learners] if isinstance(learners, str) else list(learners)
            for name in names:
                get_learner(name)  # a clear error for an unknown learner
            configurations = configurations.loc[configurations["learner"].isin(names)]
        if config_ids is not None:
            keep_ids = [config_ids] if isinstance(config_ids, str) else list(config_ids)
            configurations = configurations.loc[configurations["config_id"].isin(keep_ids)]
        runs = self._runs.loc[
            self._runs["dataset_id"].isin(datasets["dataset_id"])
            & self._runs["config_id"].isin(configurations["config_id"])
        ]
        mf = self._metafeatures.loc[self._metafeatures.index.isin(datasets["dataset_id"])]
        return self._replace(
            datasets=datasets, configurations=configurations, runs=runs, metafeatures=mf
        )

    # -- configurations ---------------------------------------------------------------------
    def configuration(self, config_id: str) -> Any:
        """The :class:`autometa.learners.Configuration` with this ``config_id``."""
        from autometa.learners import Configuration

        rows = self._configurations.loc[self._configurations["config_id"] == config_id]
        if len(rows) == 0:
            raise KnowledgeBaseError(
                f"Unknown configuration {config_id!r}: it is not in the knowledge base "
                f"({len(self._configurations)} configurations). Pass an id of "
                "kb.configurations['config_id']."
            )
        row = rows.iloc[0]
        return Configuration.from_json(row["learner"], row["params"])

    # -- matrices ---------------------------------------------------------------------------
    @staticmethod
    def _check_task(task: str, method: str) -> None:
        from autometa.learners import TASKS

        if task not in TASKS:
            raise ParameterError(
                f"The 'task' parameter of KnowledgeBase.{method} must be one of "
                f"{list(TASKS)} or None. Got {task!r} instead."
            )

    def _resolve_metric(self, metric: str | None, task: str | None, method: str) -> tuple[str, str]:
        if task is not None:
            self._check_task(task, method)
        if metric is not None:
            if metric not in METRICS:
                raise ParameterError(
                    f"The 'metric' parameter of KnowledgeBase.{method} must be one of "
                    f"{list(METRICS)} or None. Got {metric!r} instead."
                )
            m_task = METRICS[metric].task
            if task is not None and task != m_task:
                raise ParameterError(
                    f"The metric '{metric}' is a {m_task} metric; it cannot score the task "
                    f"'{task}'. Pass a metric of {task} or task={m_task!r}."
                )
            return metric, m_task
        if task is None:
            tasks = self.tasks
            if len(tasks) != 1:
                held = "both tasks" if len(tasks) > 1 else "no datasets"
                raise ParameterError(
                    f"KnowledgeBase.{method} needs the 'task' parameter when 'metric' is None "
                    f"and the knowledge base holds {held}. Pass task='classification' or "
                    "task='regression', or a metric."
                )
            task = tasks[0]
        return DEFAULT_METRIC[task], task

    def performance_matrix(
        self,
        metric: str | None = None,
        *,
        task: str | None = None,
        sources: Iterable[str] | None = None,
        status: str | Iterable[str] | None = "ok",
        fill_failed: float | None = None,
        n_rows: str | int | None = "reference",
    ) -> pd.DataFrame:
        """Scores of every configuration on every dataset of a task.

        Parameters
        ----------
        metric : str, optional
            A name of :data:`METRICS`; default :data:`DEFAULT_METRIC` of ``task``.
        task : {"classification", "regression"}, optional
            Needed when ``metric`` is None and the knowledge base holds both tasks.
        sources : iterable of str, optional
            Use only the runs of these sources (default: all).
        status : str, iterable of str or None, default="ok"
            Use only the runs with these statuses; None uses all.
        fill_failed : float, optional
            Value of the cells that have no usable run but a ``failed`` or ``timeout`` one;
            NaN by default.
        n_rows : "reference", "largest", int or None, default="reference"
            The data size compared, per dataset (see :meth:`runs_at_size`): its reference
            size (the size most of its runs were measured at: the 1,000-row dense protocol
            in the default knowledge base), its largest, or an exact ``n_rows_used``. None
            averages every size.

        Returns
        -------
        DataFrame
            Index ``dataset_id`` (every dataset of the task), columns ``config_id`` (every
            configuration of the task), values the mean of ``metric`` over the selected runs
            (all sources); NaN where there is none.
        """
        metric, task = self._resolve_metric(metric, task, "performance_matrix")
        runs = self._task_runs(task, sources, n_rows)
        usable = runs
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            bad = [s for s in statuses if s not in RUN_STATUSES]
            if bad:
                raise ParameterError(
                    "The 'status' parameter of KnowledgeBase.performance_matrix must be a "
                    f"status of {list(RUN_STATUSES)}, a list of them, or None. Got "
                    f"{_show(bad)} instead."
                )
            usable = runs.loc[runs["status"].isin(statuses)]
        matrix = self._pivot(usable, metric, task)
        if fill_failed is not None:
            failed = self._failed_cells(runs, matrix)
            matrix = matrix.mask(failed, float(fill_failed))
        return matrix

    def normalized_matrix(
        self,
        metric: str | None = None,
        *,
        task: str | None = None,
        sources: Iterable[str] | None = None,
        fill_failed: str | float | None = "worst",
        n_rows: str | int | None = "reference",
    ) -> pd.DataFrame:
        """Per-dataset min-max normalized scores: 1 = the dataset's best configuration.

        Each row of :meth:`performance_matrix` (``ok`` runs, mean over sources) is scaled so
        that the best configuration of that dataset scores 1 and the worst 0, oriented by
        :attr:`Metric.greater_is_better` (for ``log_loss``, ``rmse`` and ``mae`` the lowest
        value scores 1). Scores of different datasets, and of sources with different fold
        schemes, are comparable only after this. A dataset whose configurations all tie
        scores 1 everywhere (each is the best). The regret of a configuration is
        ``1 - score``.

        Parameters
        ----------
        metric, task, sources, n_rows
            As in :meth:`performance_matrix`.
        fill_failed : "worst", float or None, default="worst"
            Cells with a ``failed`` or ``timeout`` run and no ``ok`` one: ``"worst"`` gives
            0, a float gives that value, None leaves NaN. Cells never evaluated stay NaN.

        Returns
        -------
        DataFrame
            Same shape as :meth:`performance_matrix`, values in [0, 1] or NaN.
        """
        if isinstance(fill_failed, str) and fill_failed != "worst":
            raise ParameterError(
                "The 'fill_failed' parameter of KnowledgeBase.normalized_matrix must be "
                f"'worst', a float or None. Got {fill_failed!r} instead."
            )
        metric, task = self._resolve_metric(metric, task, "normalized_matrix")
        raw = self.performance_matrix(metric, task=task, sources=sources, n_rows=n_rows)
        values = raw if METRICS[metric].greater_is_better else -raw
        lo = values.min(axis=1)
        hi = values.max(axis=1)
        span = hi - lo
        scaled = values.sub(lo, axis=0).div(span.where(span > 0), axis=0)
        ties = (span == 0).to_numpy()
        if ties.any():
            scaled.loc[ties] = (
                values.loc[ties].notna().astype("float64").where(values.loc[ties].notna())
            )
        if fill_failed is not None:
            fill = 0.0 if fill_failed == "worst" else float(fill_failed)
            failed = self._failed_cells(self._task_runs(task, sources, n_rows), scaled)
            scaled = scaled.mask(failed, fill)
        return scaled

    def _task_runs(
        self, task: str, sources: Iterable[str] | None, n_rows: str | int | None = "reference"
    ) -> pd.DataFrame:
        ids = self._datasets.loc[self._datasets["task"] == task, "dataset_id"]
        runs = self._runs.loc[self._runs["dataset_id"].isin(ids)]
        if sources is not None:
            sources = [sources] if isinstance(sources, str) else list(sources)
            runs = runs.loc[runs["source"].isin(sources)]
        return self.runs_at_size(runs, n_rows)

    @staticmethod
    def runs_at_size(runs: pd.DataFrame, n_rows: str | int | None = "reference") -> pd.DataFrame:
        """The runs of one data size per dataset.

        Parameters
        ----------
        runs : DataFrame
            Rows of the ``runs`` table.
        n_rows : "reference", "largest", int or None, default="reference"
            ``"reference"``: per dataset, the ``n_rows_used`` most of its runs share (ties:
            the larger, e.g. the full size of a learning curve whose sizes all hold the same
            runs), i.e. the size its configurations are compared at; ``"largest"``:
            per dataset, its largest size; an int: runs with exactly that ``n_rows_used``;
            None: every run. Runs of unknown size form one size of their own.
        """
        if n_rows is None or len(runs) == 0:
            return runs
        size = runs["n_rows_used"].astype("Float64").fillna(-1.0).astype("float64")
        if isinstance(n_rows, int | np.integer) and not isinstance(n_rows, bool):
            return runs.loc[size == float(n_rows)]
        if n_rows not in ("reference", "largest"):
            raise ParameterError(
                "The 'n_rows' parameter must be 'reference', 'largest', an int or None. "
                f"Got {n_rows!r} instead."
            )
        frame = pd.DataFrame({"dataset_id": runs["dataset_id"].to_numpy(), "size": size})
        if n_rows == "largest":
            chosen = frame.groupby("dataset_id")["size"].max()
        else:
            counts = frame.groupby(["dataset_id", "size"]).size().rename("n").reset_index()
            counts = counts.sort_values(["dataset_id", "n", "size"], ascending=[True, False, False])
            chosen = counts.drop_duplicates("dataset_id").set_index("dataset_id")["size"]
        return runs.loc[(size == frame["dataset_id"].map(chosen).to_numpy()).to_numpy()]

    def dense_configurations(self, task: str, min_coverage: float = 0.5) -> list[str]:
        """Configurations of ``task`` evaluated on at least ``min_coverage`` of its datasets.

        At each dataset's reference size (see :meth:`runs_at_size`), counting failed runs.
        These are the knowledge base's pool; configurations measured on a few datasets only
        (per-dataset searches, imported studies) are knowledge too, but sparse.
        """
        self._check_task(task, "dense_configurations")
        runs = self._task_runs(task, None)
        n_datasets = int((self._datasets["task"] == task).sum())
        if n_datasets == 0:
            return []
        coverage = runs.groupby("config_id")["dataset_id"].nunique() / n_datasets
        ids = set(coverage.index[coverage >= min_coverage])
        task_configs = self._configurations.loc[self._configurations["task"] == task]
        return [c for c in task_configs["config_id"] if c in ids]

    def _pivot(self, runs: pd.DataFrame, metric: str, task: str) -> pd.DataFrame:
        index = pd.Index(
            self._datasets.loc[self._datasets["task"] == task, "dataset_id"], name="dataset_id"
        )
        columns = pd.Index(
            self._configurations.loc[self._configurations["task"] == task, "config_id"],
            name="config_id",
        )
        means = runs.groupby(["dataset_id", "config_id"])[metric].mean()
        matrix = means.unstack("config_id") if len(means) else pd.DataFrame()
        matrix = matrix.reindex(index=index, columns=columns).astype("float64")
        matrix.columns.name = "config_id"
        return matrix

    @staticmethod
    def _failed_cells(runs: pd.DataFrame, matrix: pd.DataFrame) -> pd.DataFrame:
        """Cells of ``matrix`` that are NaN and have a failed or timeout run."""
        bad = runs.loc[runs["status"] != "ok", ["dataset_id", "config_id"]].drop_duplicates()
        mask = pd.DataFrame(False, index=matrix.index, columns=matrix.columns)
        if len(bad):
            rows = matrix.index.get_indexer(bad["dataset_id"])
            cols = matrix.columns.get_indexer(bad["config_id"])
            keep = (rows >= 0) & (cols >= 0)
            arr = mask.to_numpy(copy=True)
            arr[rows[keep], cols[keep]] = True
            mask = pd.DataFrame(arr, index=matrix.index, columns=matrix.columns)
        return mask & matrix.isna()

    # -- summary ------------------------------------------------------------------------------
    def summary(self) -> KnowledgeBaseSummary:
        """Counts of datasets, configurations, runs, density and meta-features."""

        def counts(series: pd.Series) -> dict[str, int]:
            return {str(k): int(v) for k, v in series.value_counts().sort_index().items()}

        density = {}
        for task in self.tasks:
            n_d = int((self._datasets["task"] == task).sum())
            n_c = int((self._configurations["task"] == task).sum())
            ok = self._task_runs(task, None)
            ok = ok.loc[ok["status"] == "ok", ["dataset_id", "config_id"]].drop_duplicates()
            density[task] = len(ok) / (n_d * n_c) if n_d * n_c else 0.0
        return KnowledgeBaseSummary(
            n_datasets=len(self._datasets),
            n_configurations=len(self._configurations),
            n_runs=len(self._runs),
            n_metafeatures=int(self._metafeatures.shape[1]),
            datasets_per_task=counts(self._datasets["task"]),
            datasets_per_source=counts(self._datasets["source"]),
            configurations_per_learner=counts(self._configurations["learner"]),
            runs_per_status=counts(self._runs["status"]),
            runs_per_source=counts(self._runs["source"]),
            density=density,
            path=None if self._path is None else str(self._path),
            size_on_disk=self._size_on_disk,
            saved=dict(self._saved),
            manifest=self.manifest,
        )

    # -- disk ------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the knowledge base to the directory ``path``, atomically.

        The files are written into a temporary directory beside ``path`` which then
        replaces ``path`` (see :mod:`autometa._atomic`): after a crash at any step,
        ``path`` holds the previous or the new knowledge base, or, when the process was
        killed between the two renames, nothing, with both versions complete beside it;
        :meth:`load` then recovers the new one. ``path`` may be absent, an empty
        directory, or a knowledge base (which is replaced); any other existing path is
        refused.

        Returns
        -------
        Path
            The directory written.
        """
        from autometa import __version__

        target = Path(path)
        foreign = _atomic.foreign_target(target, _is_knowledge_base_dir)
        if foreign == "file":
            raise KnowledgeBaseError(
                f"Cannot save the knowledge base to '{target}': it is a file. "
                "Give a directory path that is new, empty or a knowledge base."
            )
        if foreign == "directory":
            raise KnowledgeBaseError(
                f"Cannot save the knowledge base to '{target}': it is a non-empty "
                "directory that is not a knowledge base, and saving would replace it. "
                "Give a new or empty directory."
            )
        tmp = _atomic.temp_dir_for(target)
        try:
            files: dict[str, dict[str, Any]] = {}
            tables = {
                "datasets": self._datasets,
                "configurations": self._configurations,
                "runs": self._runs,
                "metafeatures": self._metafeatures.reset_index(),
            }
            for table, frame in tables.items():
                file = tmp / TABLE_FILES[table]
                _write_table(frame, file)
                files[table] = {
                    "path": TABLE_FILES[table],
                    "sha256": _sha256(file),
                    "rows": len(frame),
                }
            manifest = {
                "format": FORMAT_NAME,
                "schema_version": SCHEMA_VERSION,
                "saved_with": {"autometa": __version__, "pandas": pd.__version__},
                "saved_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "files": files,
                **self._manifest,
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
        self._path = target
        self._size_on_disk = _dir_size(target)
        self._saved = {k: manifest[k] for k in ("saved_at", "saved_with")}
        logger.info("saved %r to %s", self, target)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KnowledgeBase:
        """Read a knowledge base written by :meth:`save`.

        Raises
        ------
        KnowledgeBaseError
            If ``path`` does not exist, is a file or another directory; if the manifest is
            foreign or of a newer schema version; if a file is missing, altered (checksum)
            or lacks columns; or if the tables are inconsistent. The message names the file,
            the problem and the fix.
        """
        path = Path(path)
        _atomic.recover(path, _is_complete_kb, "knowledge base")
        manifest = _read_manifest(path)
        tables: dict[str, pd.DataFrame] = {}
        for table, name in TABLE_FILES.items():
            file = path / name
            if not file.is_file():
                raise KnowledgeBaseError(
                    f"The knowledge base at '{path}' is incomplete: the file '{name}' listed "
                    f"in {MANIFEST_FILE} is missing. Restore it, or rebuild the knowledge base."
                )
            expected = manifest["files"][table]["sha256"]
            actual = _sha256(file)
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
            tables = _MIGRATIONS[version](tables)
            version += 1
        mf = tables["metafeatures"]
        if "dataset_id" not in mf.columns:
            raise KnowledgeBaseError(
                f"The file '{path / TABLE_FILES['metafeatures']}' lacks the column "
                "'dataset_id'. Restore it, or rebuild the knowledge base."
            )
        mf = mf.set_index("dataset_id")
        kb = cls.__new__(cls)
        kb._datasets = _check_table(
            tables["datasets"], "datasets", f"file '{path / TABLE_FILES['datasets']}'"
        )
        kb._configurations = _check_table(
            tables["configurations"],
            "configurations",
            f"file '{path / TABLE_FILES['configurations']}'",
        )
        kb._runs = _check_table(tables["runs"], "runs", f"file '{path / TABLE_FILES['runs']}'")
        kb._metafeatures = _check_metafeatures(mf, f"file '{path / TABLE_FILES['metafeatures']}'")
        _check_consistency(
            kb._datasets, kb._configurations, kb._runs, kb._metafeatures, f"in '{path}'"
        )
        kb._manifest = {k: v for k, v in manifest.items() if k not in _RESERVED_KEYS}
        kb._path = path
        kb._size_on_disk = _dir_size(path)
        kb._saved = {k: manifest[k] for k in ("saved_at", "saved_with") if k in manifest}
        logger.info("loaded %r", kb)
        return kb

    @classmethod
    def default(cls) -> KnowledgeBase:
        """The knowledge base shipped with autometa (``autometa/data/default_kb``).

        Raises
        ------
        KnowledgeBaseError
            If this installation ships none.
        """
        from importlib import resources

        resource = resources.files("autometa") / "data" / "default_kb"
        if not resource.joinpath(MANIFEST_FILE).is_file():
            raise KnowledgeBaseError(
                "No default knowledge base is shipped with this installation of autometa "
                "(autometa/data/default_kb/manifest.json is absent). Build one with "
                "'autometa kb build' and pass its path, or reinstall autometa."
            )
        with resources.as_file(resource) as directory:
            return cls.load(directory)


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())
