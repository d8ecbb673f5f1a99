"""The meta-model interface.

A meta-model is fitted on :class:`TaskData` (one task and one metric of a knowledge base:
the meta-features of the training datasets and their per-dataset normalized performance
matrix) and, for the meta-features of new datasets, predicts the normalized score of each
configuration of the pool. Sequential use goes through :meth:`MetaModel.rank`, which may
take the scores observed so far on the new dataset into account.

Normalized scores: per dataset, 1 for the best configuration of the pool (the oracle) and
0 for the worst; regret = 1 - normalized score.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from autometa._exceptions import DataError, ModelError, NotFittedError, ParameterError

__all__ = ["MetaModel", "Prediction", "TaskData", "MODEL_SCHEMA_VERSION"]

MODEL_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class TaskData:
    """What a meta-model learns from: one task and metric of a knowledge base.

    Attributes
    ----------
    task : str
        ``"classification"`` or ``"regression"``.
    metric : str
        The metric the scores come from (see ``autometa.kb.METRICS``).
    metafeatures : DataFrame
        Index ``dataset_id``; one float column per meta-feature; NaN where undefined.
    configurations : DataFrame
        Index ``config_id``; columns ``learner`` and ``params`` (canonical JSON).
    scores : DataFrame
        Normalized scores, index ``dataset_id`` (same order as ``metafeatures``), columns
        ``config_id`` (same order as ``configurations``); 1 = best of the pool, 0 = worst;
        failed runs count as 0.
    raw : DataFrame
        The metric's raw values in the same layout (NaN for failed runs).
    families : Series
        ``dataset_id`` -> family; near-duplicate datasets share a family.
    """

    task: str
    metric: str
    metafeatures: pd.DataFrame
    configurations: pd.DataFrame
    scores: pd.DataFrame
    raw: pd.DataFrame
    families: pd.Series

    @classmethod
    def from_kb(cls, kb: Any, task: str, metric: str | None = None) -> TaskData:
        """Build the data of ``task`` from a :class:`~autometa.kb.KnowledgeBase`.

        Only datasets with meta-features are kept, and the knowledge base's pool: the
        configurations evaluated on at least half of the task's datasets (see
        :meth:`~autometa.kb.KnowledgeBase.dense_configurations`), compared at each dataset's
        reference size.
        """
        from autometa.kb import DEFAULT_METRIC

        metric = metric or DEFAULT_METRIC[task]
        sub = kb.subset(task=task)
        sub = sub.subset(config_ids=sub.dense_configurations(task))
        scores = sub.normalized_matrix(metric, task=task)
        raw = sub.performance_matrix(metric, task=task)
        mf = sub.metafeatures
        keep = [d for d in scores.index if d in mf.index]
        if not keep:
            raise ModelError(
                f"The knowledge base has no {task} dataset with both runs for metric "
                f"'{metric}' and meta-features; nothing to fit a meta-model on."
            )
        scores = scores.loc[keep]
        configs = sub.configurations.set_index("config_id").loc[list(scores.columns)]
        datasets = sub.datasets.set_index("dataset_id")
        families = datasets.loc[keep, "family"].astype(str)
        return cls(
            task=task,
            metric=metric,
            metafeatures=mf.loc[keep].astype("float64"),
            configurations=configs[["learner", "params"]],
            scores=scores.astype("float64"),
            raw=raw.loc[keep, list(scores.columns)].astype("float64"),
            families=families,
        )

    @property
    def dataset_ids(self) -> list[str]:
        return list(self.scores.index)

    @property
    def config_ids(self) -> list[str]:
        return list(self.scores.columns)

    def without(self, dataset_ids: Sequence[str]) -> TaskData:
        """The same data without ``dataset_ids`` (for leave-out evaluation)."""
        drop = set(dataset_ids)
        keep = [d for d in self.scores.index if d not in drop]
        return TaskData(
            task=self.task,
            metric=self.metric,
            metafeatures=self.metafeatures.loc[keep],
            configurations=self.configurations,
            scores=self.scores.loc[keep],
            raw=self.raw.loc[keep],
            families=self.families.loc[keep],
        )


@dataclass(frozen=True)
class Prediction:
    """Predicted normalized scores: ``mean`` and, where the model has one, ``std``.

    Both are DataFrames with index = the queried datasets (``dataset_id`` or position) and
    columns = ``config_id``.
    """

    mean: pd.DataFrame
    std: pd.DataFrame | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)


class MetaModel(ABC):
    """Base class of meta-models.

    Subclasses set :attr:`name`, implement :meth:`_fit` and :meth:`_predict`, and, to be
    saved, :meth:`_state` / :meth:`_load_state` (JSON metadata plus named numpy/torch
    arrays; never pickles). Adaptive models override :meth:`rank` to use the scores
    observed so far.
    """

    name: ClassVar[str] = "base"

    def __init__(self, *, random_state: int = 0) -> None:
        self.random_state = random_state
        self.task_: str | None = None
        self.metric_: str | None = None
        self.config_ids_: list[str] | None = None
        self.configurations_: pd.DataFrame | None = None

    # -- fitting and prediction --------------------------------------------------------
    def fit(self, data: TaskData) -> MetaModel:
        """Fit on the normalized performance matrix and meta-features of ``data``."""
        if data.scores.shape[0] == 0:
            raise ModelError("Cannot fit a meta-model on zero datasets.")
        self.task_ = data.task
        self.metric_ = data.metric
        self.config_ids_ = list(data.config_ids)
        self.configurations_ = data.configurations
        self._fit(data)
        return self

    @abstractmethod
    def _fit(self, data: TaskData) -> None: ...

    def predict(self, metafeatures: pd.DataFrame | pd.Series) -> Prediction:
        """Predicted normalized score of every configuration for each row of ``metafeatures``."""
        self._check_fitted()
        return self._predict(as_frame(metafeatures, type(self).__name__))

    @abstractmethod
    def _predict(self, metafeatures: pd.DataFrame) -> Prediction: ...

    def rank(
        self,
        metafeatures: pd.Series,
        observed: Mapping[str, float] | None = None,
    ) -> list[str]:
        """Configurations in the order to try them on one new dataset.

        ``observed`` maps configuration ids already evaluated on that dataset to their raw
        metric values (larger = better after orientation by the caller). Static models
        ignore it; the observed configurations are left out of the returned order.
        """
        mean = self.predict(metafeatures).mean.iloc[0]
        order = mean.sort_values(ascending=False, kind="stable").index
        seen = set(observed or ())
        return [c for c in order if c not in seen]

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Save as ``<path>/model.json`` plus ``<path>/arrays.safetensors``-like ``.pt``
        tensors (``torch.save`` of a dict of tensors, loaded with ``weights_only=True``)."""
        import torch

        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta, arrays = self._state()
        header = {
            "format": "autometa-meta-model",
            "schema_version": MODEL_SCHEMA_VERSION,
            "model": self.name,
            "task": self.task_,
            "metric": self.metric_,
            "config_ids": self.config_ids_,
            "configurations": {
                "learner": [str(v) for v in self.configurations_["learner"]],
                "params": [str(v) for v in self.configurations_["params"]],
            },
            "random_state": self.random_state,
            "state": meta,
        }
        tmp_json = path / "model.json.tmp"
        tmp_json.write_text(json.dumps(header, indent=1, sort_keys=True))
        tensors = {k: torch.as_tensor(np.asarray(v)) for k, v in arrays.items()}
        tmp_pt = path / "arrays.pt.tmp"
        torch.save(tensors, tmp_pt)
        tmp_pt.replace(path / "arrays.pt")
        tmp_json.replace(path / "model.json")

    @classmethod
    def load(cls, path: str | Path) -> MetaModel:
        """Load a model saved by :meth:`save` (the right subclass is chosen from the file)."""
        import torch

        from autometa.models._registry import model_class

        path = Path(path)
        meta_path = path / "model.json"
        if not meta_path.is_file():
            raise ModelError(
                f"No meta-model at '{path}': '{meta_path.name}' is missing. "
                "Give a directory written by MetaModel.save or `autometa models train`."
            )
        try:
            header = json.loads(meta_path.read_text())
        except json.JSONDecodeError as exc:
            raise ModelError(f"'{meta_path}' is not valid JSON ({exc}).") from None
        if header.get("format") != "autometa-meta-model":
            raise ModelError(f"'{meta_path}' is not an autometa meta-model file.")
        if header.get("schema_version", 0) > MODEL_SCHEMA_VERSION:
            raise ModelError(
                f"'{path}' was written by a newer autometa (model schema "
                f"{header.get('schema_version')}, this one reads {MODEL_SCHEMA_VERSION}). "
                "Upgrade autometa."
            )
        klass = model_class(header["model"])
        if cls is not MetaModel and not issubclass(klass, cls):
            raise ModelError(f"'{path}' holds a '{header['model']}' model, not a {cls.name!r}.")
        arrays_path = path / "arrays.pt"
        arrays = (
            {k: v.numpy() for k, v in torch.load(arrays_path, weights_only=True).items()}
            if arrays_path.exists()
            else {}
        )
        model = klass.__new__(klass)
        MetaModel.__init__(model, random_state=header.get("random_state", 0))
        model.task_ = header["task"]
        model.metric_ = header["metric"]
        model.config_ids_ = list(header["config_ids"])
        configs = header.get("configurations", {})
        model.configurations_ = pd.DataFrame(
            {"learner": configs.get("learner", []), "params": configs.get("params", [])},
            index=pd.Index(model.config_ids_ if configs else [], name="config_id"),
        )
        model._load_state(header["state"], arrays)
        return model

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise NotImplementedError(f"{type(self).__name__} cannot be saved.")

    def _load_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot be loaded.")

    # -- helpers ------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if self.config_ids_ is None:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet. Call 'fit' with TaskData first."
            )

    def _frame(self, values: np.ndarray, index: Any) -> pd.DataFrame:
        return pd.DataFrame(values, index=index, columns=self.config_ids_)

    def __repr__(self) -> str:
        fitted = f"task={self.task_!r}, metric={self.metric_!r}" if self.task_ else "unfitted"
        return f"{type(self).__name__}({fitted})"


def as_frame(metafeatures: pd.DataFrame | pd.Series, owner: str) -> pd.DataFrame:
    """A one-row frame for a Series; a frame unchanged; a clear error otherwise."""
    if isinstance(metafeatures, pd.Series):
        return metafeatures.to_frame().T
    if isinstance(metafeatures, pd.DataFrame):
        return metafeatures
    raise DataError(
        f"The meta-features given to {owner} must be a pandas Series (one dataset) or "
        f"DataFrame (one row per dataset). Got {type(metafeatures).__name__} instead."
    )


def check_positive_int(value: Any, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be an int >= 1. Got {value!r} instead."
        )
    return int(value)
