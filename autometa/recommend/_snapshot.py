"""A snapshot of what ``recommend`` derives from the knowledge base the models were trained on.

``autometa models train`` writes ``<models>/<task>/kb_state.npz`` beside the models: the
task's dense matrix (:class:`~autometa.models.TaskData`: meta-features, normalized and raw
scores, configurations, families), every dataset's name and every configuration of the task,
and the SHA-256 of the knowledge base's files it came from. With the shipped models and the
shipped knowledge base, ``recommend`` reads the snapshot instead of loading the knowledge
base's 80,000 runs and deriving the matrix again (the largest part of a cold start). A
snapshot whose checksum differs from the knowledge base's files, or that cannot be read, is
ignored (logged): the state is then derived from the knowledge base as before, so a stale
snapshot costs time, never a wrong answer.

The file is a NumPy ``.npz`` (read with ``allow_pickle=False``): numbers as float64 arrays,
ids and names as unicode arrays, and a JSON header.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa._atomic import write_file

__all__ = ["STATE_FILE", "kb_files_sha256", "load_kb_state", "save_kb_state"]

logger = logging.getLogger(__name__)

STATE_FILE = "kb_state.npz"
STATE_FORMAT = "autometa-kb-state"
STATE_SCHEMA_VERSION = 1
_KB_FILES = ("configurations.parquet", "datasets.parquet", "metafeatures.parquet", "runs.parquet")


def kb_files_sha256(kb_dir: str | Path) -> str | None:
    """One SHA-256 over the table files of a knowledge-base directory; None if one is missing.

    The tables, not the manifest (which records when and how it was written): equal tables
    give equal checksums. About 10 ms for the default knowledge base.
    """
    h = hashlib.sha256()
    for name in _KB_FILES:
        path = Path(kb_dir) / name
        if not path.is_file():
            return None
        h.update(name.encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def _strings(values: Any) -> np.ndarray:
    return np.array([str(v) for v in values], dtype=np.str_)


def save_kb_state(
    path: str | Path,
    *,
    data: Any,
    names: pd.Series,
    configurations: pd.DataFrame,
    kb_sha256: str,
) -> None:
    """Write the snapshot of ``data`` (TaskData), ``names`` (dataset_id -> name) and
    ``configurations`` (index config_id; learner, params) atomically to ``path``."""
    header = {
        "format": STATE_FORMAT,
        "schema_version": STATE_SCHEMA_VERSION,
        "task": data.task,
        "metric": data.metric,
        "kb_sha256": kb_sha256,
    }
    arrays = {
        "header": np.array(json.dumps(header)),
        "dataset_ids": _strings(data.scores.index),
        "config_ids": _strings(data.scores.columns),
        "scores": data.scores.to_numpy(dtype=np.float64),
        "raw": data.raw.loc[data.scores.index, data.scores.columns].to_numpy(dtype=np.float64),
        "metafeature_names": _strings(data.metafeatures.columns),
        "metafeatures": data.metafeatures.loc[data.scores.index].to_numpy(dtype=np.float64),
        "families": _strings(data.families.loc[data.scores.index]),
        "pool_learners": _strings(data.configurations.loc[data.scores.columns, "learner"]),
        "pool_params": _strings(data.configurations.loc[data.scores.columns, "params"]),
        "name_ids": _strings(names.index),
        "names": _strings(names),
        "all_config_ids": _strings(configurations.index),
        "all_learners": _strings(configurations["learner"]),
        "all_params": _strings(configurations["params"]),
    }

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)

    write_file(Path(path), write)


def load_kb_state(
    path: str | Path, kb_sha256: str | None, task: str, metric: str
) -> tuple[Any, pd.Series, pd.DataFrame] | None:
    """``(TaskData, names, configurations)`` from the snapshot at ``path``, or None when it is
    missing, unreadable, of another task or metric, or of other knowledge-base files than
    those whose checksum is ``kb_sha256`` (None: of whichever knowledge base it records, as
    for a models directory used without a knowledge base)."""
    from autometa.models import TaskData

    path = Path(path)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            keys = ("format", "schema_version", "task", "metric", "kb_sha256")
            found = tuple(header.get(k) for k in keys)
            wanted = (STATE_FORMAT, STATE_SCHEMA_VERSION, task, metric, kb_sha256 or found[-1])
            if found != wanted:
                logger.info("the snapshot %s does not match (%s); deriving the state", path, found)
                return None
            a = {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        logger.info("the snapshot %s cannot be read (%s); deriving the state", path, exc)
        return None
    ids = pd.Index(a["dataset_ids"].tolist(), name="dataset_id")
    cols = pd.Index(a["config_ids"].tolist(), name="config_id")
    data = TaskData(
        task=task,
        metric=metric,
        metafeatures=pd.DataFrame(
            a["metafeatures"], index=ids, columns=pd.Index(a["metafeature_names"].tolist())
        ),
        configurations=pd.DataFrame(
            {"learner": a["pool_learners"].tolist(), "params": a["pool_params"].tolist()},
            index=cols,
        ),
        scores=pd.DataFrame(a["scores"], index=ids, columns=cols),
        raw=pd.DataFrame(a["raw"], index=ids, columns=cols),
        families=pd.Series(a["families"].tolist(), index=ids, name="family"),
    )
    names = pd.Series(
        a["names"].tolist(), index=pd.Index(a["name_ids"].tolist(), name="dataset_id"), name="name"
    )
    configurations = pd.DataFrame(
        {"learner": a["all_learners"].tolist(), "params": a["all_params"].tolist()},
        index=pd.Index(a["all_config_ids"].tolist(), name="config_id"),
    )
    return data, names, configurations
