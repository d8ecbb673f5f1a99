"""Finding and reading the datasets a knowledge base is built from.

Three layouts are understood by :func:`discover_datasets`:

- a **PMLB-style directory** holding ``index.tsv`` (columns ``name``, ``task``, and optionally
  ``n_rows``, ``n_features``, ``family``, ``openml_dataset_id``) and, per dataset,
  ``NAME.tsv.gz`` (a ``target`` column) with ``NAME.yaml`` (task and feature types);
- an **index file** of that format anywhere (paths are resolved next to it);
- a **directory of CSV/TSV/parquet files** (or one such file) whose target column is named
  by ``target``; the task is given or inferred from the target.

Every dataset becomes a :class:`DatasetSpec`; :func:`load_dataset` reads it into ``X``
(categorical features as pandas ``category`` dtype) and ``y``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from autometa._exceptions import DataError, ParameterError
from autometa._io import TABLE_SUFFIXES, read_table, split_target
from autometa._task import TASKS, check_task, infer_task

__all__ = ["DatasetSpec", "discover_datasets", "infer_task", "load_dataset"]

logger = logging.getLogger(__name__)

# Feature types of PMLB's yaml files read as categorical; binary and ordinal stay numeric.
_CATEGORICAL_TYPES = frozenset({"categorical", "nominal"})
_COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip", ".zst")


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset is and how to read it; small and picklable (sent to workers).

    Attributes
    ----------
    name : str
        The dataset's name (file name without suffixes).
    dataset_id : str
        Key in the knowledge base: ``"pmlb/NAME"`` or ``"file/NAME"``.
    path : str
        Absolute path of the table.
    task : {"classification", "regression"}
    target : str
        Name of the target column.
    family : str
        Near-duplicates share it (held out together in evaluation); the name by default.
    openml_id : int or None
        OpenML dataset id, when known.
    categorical : tuple of str
        Features read as categorical (from the yaml, or every non-numeric column of a file).
    source : str
        ``"pmlb"`` or ``"file"``.
    """

    name: str
    dataset_id: str
    path: str
    task: str
    target: str = "target"
    family: str = ""
    openml_id: int | None = None
    categorical: tuple[str, ...] = ()
    source: str = "file"


def _stem(path: Path) -> str:
    name = path.name
    for suffix in _COMPRESSIONS:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    for suffix in (*TABLE_SUFFIXES, ".tab"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _is_table(path: Path) -> bool:
    return path.is_file() and _stem(path) != path.name and not path.name.startswith(".")


def _yaml_categorical(path: Path) -> tuple[str, ...]:
    import yaml

    if not path.exists():
        return ()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open() as fh:
        meta = yaml.load(fh, Loader=loader) or {}
    return tuple(
        str(f["name"])
        for f in meta.get("features") or []
        if isinstance(f, dict) and str(f.get("type", "")).lower() in _CATEGORICAL_TYPES
    )


def _from_index(index_path: Path) -> list[DatasetSpec]:
    index = pd.read_csv(index_path, sep="\t", dtype={"name": str})
    missing = {"name", "task"} - set(index.columns)
    if missing:
        raise DataError(
            f"The index file '{index_path}' must have the columns 'name' and 'task'. "
            f"Missing: {sorted(missing)}. Give a PMLB-style index.tsv."
        )
    root = index_path.parent
    specs = []
    for row in index.to_dict("records"):
        name = str(row["name"])
        path = root / f"{name}.tsv.gz"
        if not path.exists():
            candidates = sorted(p for p in root.glob(f"{name}.*") if _is_table(p))
            path = candidates[0] if candidates else path
        openml_id = row.get("openml_dataset_id")
        family = row.get("family")
        specs.append(
            DatasetSpec(
                name=name,
                dataset_id=f"pmlb/{name}",
                path=str(path.resolve()),
                task=str(row["task"]),
                target="target",
                family=str(family) if isinstance(family, str) and family else name,
                openml_id=None if openml_id is None or pd.isna(openml_id) else int(openml_id),
                categorical=_yaml_categorical(root / f"{name}.yaml"),
                source="pmlb",
            )
        )
    return specs


def _from_files(paths: list[Path], target: str | None, task: str | None) -> list[DatasetSpec]:
    if target is None:
        raise ParameterError(
            "The 'target' parameter must name the target column when the datasets are plain "
            "CSV/TSV/parquet files. Got None instead. Pass --target NAME."
        )
    specs = []
    for path in paths:
        specs.append(
            DatasetSpec(
                name=_stem(path),
                dataset_id=f"file/{_stem(path)}",
                path=str(path.resolve()),
                task=task or "auto",
                target=target,
                family=_stem(path),
                source="file",
            )
        )
    return specs


def _looks_like_index(path: Path) -> bool:
    if path.name == "index.tsv":
        return True
    if _stem(path) == path.name:
        return False
    try:
        header = pd.read_csv(path, sep="\t", nrows=0).columns
    except Exception:  # not a readable TSV: a data file of another format
        return False
    return {"name", "task"} <= set(header) and "target" not in header


def discover_datasets(
    source: str | Path,
    *,
    target: str | None = None,
    task: str | None = None,
    names: Sequence[str] | None = None,
    max_datasets: int | None = None,
) -> list[DatasetSpec]:
    """The datasets found at ``source``, filtered and in a deterministic order.

    Parameters
    ----------
    source : str or Path
        A directory with an ``index.tsv`` (PMLB layout), an index file, a directory of
        CSV/TSV/parquet files, or one such file.
    target : str, optional
        Target column of plain files (required for them; PMLB tables use ``target``).
    task : {"classification", "regression"} or None, default=None
        Keep only datasets of this task; for plain files, their task. None (or ``"auto"``,
        the same): every dataset, the task of plain files inferred from their target.
    names : sequence of str, optional
        Keep only these dataset names (or ids), in the order of the source.
    max_datasets : int, optional
        Keep at most this many (the first ones after filtering).

    Returns
    -------
    list of DatasetSpec

    Examples
    --------
    >>> specs = discover_datasets("../shared/datasets/pmlb", task="regression")  # doctest: +SKIP
    """
    task = check_task(task, "discover_datasets")
    if max_datasets is not None and (not isinstance(max_datasets, int) or max_datasets < 1):
        raise ParameterError(
            f"The 'max_datasets' parameter must be an int >= 1 or None. Got {max_datasets!r} "
            "instead."
        )
    path = Path(source)
    if not path.exists():
        raise DataError(
            f"No such file or directory: '{path}'. Give a directory of datasets (with an "
            "index.tsv, or CSV/TSV/parquet files) or an index file."
        )
    if path.is_dir():
        if (path / "index.tsv").exists():
            specs = _from_index(path / "index.tsv")
        else:
            files = sorted(p for p in path.iterdir() if _is_table(p))
            if not files:
                raise DataError(
                    f"The directory '{path}' holds no index.tsv and no CSV/TSV/parquet file. "
                    "Give a directory of datasets."
                )
            specs = _from_files(files, target, task)
    elif _looks_like_index(path):
        specs = _from_index(path)
    else:
        specs = _from_files([path], target, task)

    if names is not None:
        wanted = {str(n) for n in names}
        unknown = wanted - {s.name for s in specs} - {s.dataset_id for s in specs}
        if unknown:
            raise DataError(
                f"Unknown dataset names: {sorted(unknown)}. They are not in '{path}'. "
                "Check the names (see the index)."
            )
        specs = [s for s in specs if s.name in wanted or s.dataset_id in wanted]
    if task is not None:
        specs = [s for s in specs if s.task in (task, "auto")]
    seen: set[str] = set()
    for spec in specs:
        if spec.dataset_id in seen:
            raise DataError(
                f"Two datasets have the id '{spec.dataset_id}'. Rename one of the files."
            )
        seen.add(spec.dataset_id)
    if max_datasets is not None:
        specs = specs[:max_datasets]
    return specs


def load_dataset(spec: DatasetSpec) -> tuple[pd.DataFrame, pd.Series, str]:
    """Read a dataset: features, target and task.

    Categorical features (from the yaml for PMLB, every non-numeric column for files)
    get the pandas ``category`` dtype; rows with a missing target are dropped.

    Returns
    -------
    X : DataFrame
    y : Series
    task : {"classification", "regression"}
        The spec's task, or the one inferred from ``y`` for files given without a task.

    Raises
    ------
    DataError
        If the file cannot be read or has no such target column.
    """
    frame = read_table(spec.path)
    X, y = split_target(frame, spec.target)
    keep = y.notna().to_numpy()
    if not keep.all():
        X, y = X.loc[keep], y.loc[keep]
    X = X.reset_index(drop=True)
    y = y.reset_index(drop=True).rename("target")
    categorical = set(spec.categorical)
    if spec.source != "pmlb":
        categorical |= {
            c
            for c in X.columns
            if not pd.api.types.is_numeric_dtype(X[c].dtype)
            and not pd.api.types.is_bool_dtype(X[c].dtype)
        }
    conversions = {c: "category" for c in X.columns if c in categorical}
    if conversions:
        X = X.astype(conversions)
    task = (
        spec.task
        if spec.task in TASKS
        else infer_task(y, owner=f"The knowledge base (dataset '{spec.name}')", stacklevel=2)
    )
    return X, y, task
