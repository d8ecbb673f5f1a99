"""The tables of a knowledge base in memory: validation, and adding rows by key.

Every frame that enters a :class:`~autometa.kb.KnowledgeBase` (constructor, ``add_*``, a file
read from disk) passes :func:`check_table` / :func:`check_metafeatures`, and the four tables
together pass :func:`check_consistency`. The columns, dtypes and keys are those of
:mod:`autometa.kb._schema`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from autometa._exceptions import KnowledgeBaseError
from autometa.kb._schema import (
    COLUMN_DEFAULTS,
    COLUMN_DTYPES,
    RUN_STATUSES,
    SCHEMA_VERSION,
    TABLE_COLUMNS,
    TABLE_KEYS,
)

__all__ = [
    "check_consistency",
    "check_metafeatures",
    "check_table",
    "empty_metafeatures",
    "empty_table",
    "show",
    "upsert",
    "upsert_metafeatures",
]


def show(ids: Iterable[Any], limit: int = 5) -> str:
    ids = [str(i) for i in ids]
    shown = ", ".join(repr(i) for i in ids[:limit])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > limit else "")


def empty_table(table: str) -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series([], dtype=COLUMN_DTYPES[table][c]) for c in TABLE_COLUMNS[table]}
    )


def empty_metafeatures() -> pd.DataFrame:
    return pd.DataFrame(
        index=pd.Index([], dtype="str", name="dataset_id"),
        columns=pd.Index([], dtype="str"),
        dtype="float64",
    )


def check_table(frame: Any, table: str, where: str) -> pd.DataFrame:
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
            f"The {table} table ({where}) has unknown column(s) {show(unknown)}. "
            f"The allowed columns are: {', '.join(columns)}. Rename or drop the others."
        )
    missing = [c for c in columns if c not in frame.columns and c not in defaults]
    if missing:
        raise KnowledgeBaseError(
            f"The {table} table ({where}) lacks the column(s) {show(missing)} of schema "
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
        shown = show(result.loc[dup, keys].drop_duplicates().astype(str).agg("|".join, axis=1))
        raise KnowledgeBaseError(
            f"The {table} table ({where}) has several rows with the same key "
            f"({', '.join(keys)}): {shown}. Keep one row per key."
        )
    if "task" in result.columns:
        from autometa.learners import TASKS

        bad = sorted(set(result["task"].unique()) - set(TASKS))
        if bad:
            raise KnowledgeBaseError(
                f"The 'task' column of the {table} table ({where}) must hold one of "
                f"{list(TASKS)}. Got {show(bad)} instead."
            )
    if table == "runs":
        bad = sorted(set(result["status"].unique()) - set(RUN_STATUSES))
        if bad:
            raise KnowledgeBaseError(
                f"The 'status' column of the runs table ({where}) must hold one of "
                f"{list(RUN_STATUSES)}. Got {show(bad)} instead."
            )
    return result


def check_metafeatures(frame: Any, where: str) -> pd.DataFrame:
    if frame is None:
        return empty_metafeatures()
    if not isinstance(frame, pd.DataFrame):
        raise KnowledgeBaseError(
            f"The meta-features ({where}) must be a pandas DataFrame indexed by dataset_id. "
            f"Got {type(frame).__name__} instead."
        )
    if frame.index.has_duplicates:
        raise KnowledgeBaseError(
            f"The meta-features ({where}) have several rows for the dataset(s) "
            f"{show(frame.index[frame.index.duplicated()].unique())}. Keep one row per dataset."
        )
    if frame.index.hasnans:
        raise KnowledgeBaseError(
            f"The meta-features ({where}) have rows without a dataset_id. "
            "Index the frame by dataset_id."
        )
    bad_names = [c for c in frame.columns if not isinstance(c, str)]
    if bad_names:
        raise KnowledgeBaseError(
            f"The meta-feature names ({where}) must be strings. Got {show(bad_names)} instead."
        )
    try:
        out = frame.astype("float64")
    except (TypeError, ValueError):
        bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        raise KnowledgeBaseError(
            f"The meta-features ({where}) must be numeric. The column(s) {show(bad)} "
            "cannot be cast to float; convert them or drop them."
        ) from None
    out.index = pd.Index(frame.index.astype("str"), name="dataset_id")
    out.columns = pd.Index(list(frame.columns), dtype="str")
    return out


def _unknown(ids: Any, known: Any) -> list[str]:
    """The distinct values of ``ids`` not in ``known``, sorted. Deduplicated first: a runs
    table has tens of thousands of rows, and iterating Arrow-backed strings is slow."""
    known_set = set(pd.Series(known).unique().tolist())
    return sorted(v for v in pd.Series(ids).unique().tolist() if v not in known_set)


def check_consistency(
    datasets: pd.DataFrame,
    configurations: pd.DataFrame,
    runs: pd.DataFrame,
    metafeatures: pd.DataFrame,
    where: str,
) -> None:
    """Runs reference known datasets and configurations of the same task."""
    missing = _unknown(runs["dataset_id"], datasets["dataset_id"])
    if missing:
        raise KnowledgeBaseError(
            f"Runs ({where}) refer to dataset(s) {show(missing)} that are not in the "
            "knowledge base. Add them first with add_datasets()."
        )
    missing = _unknown(runs["config_id"], configurations["config_id"])
    if missing:
        raise KnowledgeBaseError(
            f"Runs ({where}) refer to configuration(s) {show(missing)} that are not in the "
            "knowledge base. Add them first with add_configurations()."
        )
    missing = _unknown(metafeatures.index, datasets["dataset_id"])
    if missing:
        raise KnowledgeBaseError(
            f"Meta-features ({where}) are given for dataset(s) {show(missing)} that are not "
            "in the knowledge base. Add the datasets too."
        )
    if len(runs):
        d_task = datasets.set_index("dataset_id")["task"]
        c_task = configurations.set_index("config_id")["task"]
        # every id is known (checked above); positions are faster than map() on strings
        mismatch = (
            d_task.to_numpy()[d_task.index.get_indexer(runs["dataset_id"])]
            != c_task.to_numpy()[c_task.index.get_indexer(runs["config_id"])]
        )
        if mismatch.any():
            row = runs.loc[mismatch].iloc[0]
            raise KnowledgeBaseError(
                f"Runs ({where}) pair datasets and configurations of different tasks, e.g. "
                f"'{row['config_id']}' ({c_task[row['config_id']]}) on '{row['dataset_id']}' "
                f"({d_task[row['dataset_id']]}), in {int(mismatch.sum())} run(s). "
                "A configuration can only run on a dataset of its task."
            )


def upsert(old: pd.DataFrame, new: pd.DataFrame, keys: Iterable[str]) -> pd.DataFrame:
    """Rows of ``old`` whose key is not in ``new``, then the rows of ``new``."""
    keys = list(keys)
    if len(old) == 0:
        return new.reset_index(drop=True)
    if len(new) == 0:
        return old.reset_index(drop=True)
    clash = pd.MultiIndex.from_frame(old[keys]).isin(pd.MultiIndex.from_frame(new[keys]))
    return pd.concat([old.loc[~clash], new], ignore_index=True)


def upsert_metafeatures(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``new`` replace those of ``old``; the columns are the union of both."""
    if new.shape[0] == 0 and new.shape[1] == 0:
        return old
    kept = old.loc[~old.index.isin(new.index)]
    if kept.shape[0] == 0 and kept.shape[1] == 0:
        return new
    out = pd.concat([kept, new], axis=0, sort=False).astype("float64")
    out.index.name = "dataset_id"
    return out
