"""The default meta-models shipped in ``autometa/data/models``.

Layout (written by ``autometa models train``)::

    models/
      models.json                       # the index, see below
      classification/<model_name>/      # MetaModel.save directories
      classification/kb_state.npz       # what recommend derives from the knowledge base
      regression/<model_name>/          # (autometa/recommend/_snapshot.py)
      regression/kb_state.npz

``models.json``::

    {"format": "autometa-models", "schema_version": 1, "created": "...", "command": "...",
     "versions": {...}, "kb": {"path": "...", "manifest_sha256": "..."},
     "tasks": {"classification": {"ranker": "portfolio", "explainer": "prototypes",
                                  "adaptive": "maml",
                                  "metric": "balanced_accuracy",
                                  "models": {"maml": "classification/maml", ...},
                                  "sha256": {"maml": "<sha256 of its model.json>", ...}},
               "regression": {...}}}

``ranker`` is the model that orders configurations (the best one measured by the
leave-one-family-out harness); ``explainer`` is the prototype model that gives nearest
datasets and the out-of-distribution threshold; ``adaptive`` is the model that adapts to the
trials observed on a new dataset (used by :class:`autometa.optuna.MetaSampler`).
``sha256`` (written since model schema 2) chains the checksums: the index records each
``model.json``'s, which records its ``arrays.npz``'s (``arrays.pt`` before model schema 3);
loading checks both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autometa._atomic import read_json_header, sha256_file
from autometa._exceptions import ModelError, ParameterError
from autometa._resources import cached, package_data, tree_stamp
from autometa.models._base import MODEL_FILE, MetaModel

__all__ = [
    "MODELS_INDEX_FORMAT",
    "MODELS_INDEX_SCHEMA_VERSION",
    "ROLES",
    "default_models_dir",
    "load_models_index",
    "load_default_model",
]

ROLES = ("ranker", "explainer", "adaptive")
INDEX_NAME = "models.json"
MODELS_INDEX_FORMAT = "autometa-models"
#: The schema version of ``models.json`` (written by ``autometa models train``).
MODELS_INDEX_SCHEMA_VERSION = 1


def default_models_dir() -> Path:
    """Where the shipped models live inside the installed package."""
    return package_data("models")


def load_models_index(path: str | Path | None = None) -> dict[str, Any]:
    """Read ``models.json`` of a models directory (default: the shipped one)."""
    root = Path(path) if path is not None else default_models_dir()
    index = root / INDEX_NAME
    if not index.is_file():
        where = "shipped with this installation" if path is None else f"at '{root}'"
        raise ModelError(
            f"No trained meta-models {where} ('{INDEX_NAME}' is missing). "
            "Train them with `autometa models train --out DIR` and pass that directory."
        )
    return read_json_header(
        index,
        format=MODELS_INDEX_FORMAT,
        reads=MODELS_INDEX_SCHEMA_VERSION,
        error=ModelError,
        what="an autometa models index",
        fix="Retrain the models (`autometa models train --out DIR`) or restore the directory.",
    )


def load_default_model(
    task: str, role: str = "ranker", path: str | Path | None = None
) -> MetaModel:
    """The model playing ``role`` for ``task`` in a models directory (default: shipped)."""
    if role not in ROLES:
        raise ParameterError(
            f"The 'role' parameter must be one of {list(ROLES)}. Got {role!r} instead."
        )
    root = (Path(path) if path is not None else default_models_dir()).resolve()
    # cached while the directory's files are unchanged (autometa._resources)
    return cached("meta-model", (tree_stamp(root), task, role), lambda: _load(root, task, role))


def _load(root: Path, task: str, role: str) -> MetaModel:
    index = load_models_index(root)
    entry = index.get("tasks", {}).get(task)
    if entry is None or role not in entry:
        raise ModelError(f"The models at '{root}' have no {role} for task '{task}'.")
    name = entry[role]
    try:
        rel = entry["models"][name]
    except (KeyError, TypeError):
        raise ModelError(
            f"'{Path(root) / INDEX_NAME}' names {name!r} as the {role} of {task} but does not "
            "list its directory under 'models': the index is damaged. Retrain the models "
            "(`autometa models train`)."
        ) from None
    directory = Path(root) / rel
    expected = (entry.get("sha256") or {}).get(name)
    if expected is not None and (directory / MODEL_FILE).is_file():
        actual = sha256_file(directory / MODEL_FILE)
        if actual != expected:
            raise ModelError(
                f"The file '{directory / MODEL_FILE}' does not match the models index: its "
                f"sha256 is {actual[:12]}..., '{INDEX_NAME}' records {str(expected)[:12]}.... "
                "It was changed or replaced after training; retrain the models or restore it."
            )
    return MetaModel.load(directory)
