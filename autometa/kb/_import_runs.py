"""Importing run tables users already have, and the result type shared with the OpenML importer.

A run table has one row per evaluation: ``dataset``, ``learner`` (a registry name) or
``flow`` (an OpenML flow name, mapped by :mod:`autometa.kb._flows`), ``params`` (JSON of
scikit-learn parameter values), ``metric`` (a name of :data:`~autometa.kb.METRICS`) and
``value``; optionally ``n_folds`` and ``fit_time``. The datasets come from a table
(``dataset``, ``task`` and meta-feature columns) or from a directory of data files whose
meta-features are computed.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa._exceptions import DataError
from autometa._io import TABLE_SUFFIXES, read_table, split_target
from autometa.kb._flows import REASONS, Unmappable, map_flow, map_parameters
from autometa.kb._schema import METRICS, TABLE_COLUMNS
from autometa.learners import TASKS, Configuration, get_learner

__all__ = ["ImportResult", "import_runs"]

logger = logging.getLogger(__name__)

UNMAPPED_COLUMNS = ("reason", "count", "example")


@dataclass(frozen=True)
class ImportResult:
    """Tables of imported knowledge, and what could not be imported.

    Attributes
    ----------
    datasets, configurations, runs : DataFrame
        Rows of the knowledge-base tables (see :mod:`autometa.kb._schema`).
    metafeatures : DataFrame
        Index ``dataset_id``, one float column per meta-feature.
    unmapped : DataFrame
        Columns ``reason`` (one of :data:`autometa.kb._flows.REASONS`), ``count`` (runs)
        and ``example`` (one instance, for diagnosis). Nothing is dropped silently.
    info : dict
        What was imported and how (JSON-serializable; stored in the manifest).
    """

    datasets: pd.DataFrame
    configurations: pd.DataFrame
    runs: pd.DataFrame
    metafeatures: pd.DataFrame
    unmapped: pd.DataFrame
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_unmapped(self) -> int:
        return int(self.unmapped["count"].sum()) if len(self.unmapped) else 0

    def to_knowledge_base(self) -> Any:
        """A :class:`~autometa.kb.KnowledgeBase` of the imported tables; the manifest holds
        ``info`` and the unmapped counts under ``import``."""
        from autometa.kb import KnowledgeBase

        manifest = {
            "import": {
                **dict(self.info),
                "unmapped": {
                    str(r.reason): int(r.count) for r in self.unmapped.itertuples(index=False)
                },
            }
        }
        return KnowledgeBase(
            datasets=self.datasets,
            configurations=self.configurations,
            runs=self.runs,
            metafeatures=self.metafeatures,
            manifest=manifest,
        )

    def report(self) -> str:
        """A short human-readable account: imported counts, then unmapped runs by reason."""
        lines = [
            f"imported {len(self.runs)} runs of {len(self.configurations)} configurations "
            f"on {len(self.datasets)} datasets"
        ]
        if len(self.unmapped):
            lines.append(f"not imported: {self.n_unmapped} runs")
            for r in self.unmapped.itertuples(index=False):
                lines.append(f"  {r.reason}: {r.count} (e.g. {r.example})")
        return "\n".join(lines)


class _Collector:
    """Accumulates datasets, configurations, runs and skips; builds an :class:`ImportResult`.

    Several runs of one configuration on one dataset (re-uploads, several tasks of a
    dataset) become one row: the mean of their values, all of them listed in provenance.
    """

    def __init__(self, *, source: str, origin: str) -> None:
        self.source = source
        self.origin = origin
        self.datasets: dict[str, dict[str, Any]] = {}
        self.metafeatures: dict[str, dict[str, float]] = {}
        self.configs: dict[str, Configuration] = {}
        self.runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.skipped: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def add_dataset(self, row: Mapping[str, Any], metafeatures: Mapping[str, float]) -> None:
        self.datasets[row["dataset_id"]] = dict(row)
        self.metafeatures[row["dataset_id"]] = dict(metafeatures)

    def add_run(
        self,
        dataset_id: str,
        config: Configuration,
        metric: str,
        value: float,
        *,
        n_folds: int = 1,
        fit_time: float = float("nan"),
        provenance: Mapping[str, Any] | None = None,
    ) -> None:
        self.configs[config.config_id] = config
        self.runs.setdefault((dataset_id, config.config_id), []).append(
            {
                "metric": metric,
                "value": float(value),
                "n_folds": int(n_folds),
                "fit_time": float(fit_time),
                "provenance": dict(provenance or {}),
            }
        )

    def skip(self, reason: str, detail: str = "", count: int = 1) -> None:
        self.skipped[reason] += count
        self.examples.setdefault(reason, detail)

    def result(self, info: Mapping[str, Any]) -> ImportResult:
        datasets = pd.DataFrame(list(self.datasets.values()), columns=TABLE_COLUMNS["datasets"])
        mf = pd.DataFrame.from_dict(self.metafeatures, orient="index", dtype="float64")
        mf = mf.reindex(list(self.datasets))
        mf.index = pd.Index(mf.index.astype(str), name="dataset_id")
        configs = pd.DataFrame(
            [
                {
                    "config_id": c.config_id,
                    "learner": c.learner,
                    "task": c.task,
                    "params": c.params_json,
                    "origin": self.origin,
                }
                for c in self.configs.values()
            ],
            columns=TABLE_COLUMNS["configurations"],
        )
        rows = []
        for (dataset_id, config_id), entries in self.runs.items():
            row: dict[str, Any] = {"dataset_id": dataset_id, "config_id": config_id}
            for metric in {e["metric"] for e in entries}:
                row[metric] = float(np.mean([e["value"] for e in entries if e["metric"] == metric]))
            times = [e["fit_time"] for e in entries if not np.isnan(e["fit_time"])]
            row.update(
                fit_time=float(np.mean(times)) if times else float("nan"),
                n_folds=max(e["n_folds"] for e in entries),
                status="ok",
                error="",
                source=self.source,
                provenance=json.dumps(
                    {
                        "n_runs": len(entries),
                        "aggregation": "mean",
                        "runs": [
                            dict(e["provenance"], metric=e["metric"], value=e["value"])
                            for e in entries
                        ],
                    },
                    sort_keys=True,
                ),
            )
            rows.append(row)
        runs = pd.DataFrame(rows, columns=TABLE_COLUMNS["runs"])
        unmapped = pd.DataFrame(
            [
                {"reason": r, "count": int(self.skipped[r]), "example": self.examples.get(r, "")}
                for r in REASONS
                if self.skipped[r]
            ],
            columns=list(UNMAPPED_COLUMNS),
        )
        return ImportResult(datasets, configs, runs, mf, unmapped, dict(info))


# -- import-runs -------------------------------------------------------------------------------
_REQUIRED = ("dataset", "params", "metric", "value")


def _as_frame(table: pd.DataFrame | str | Path, what: str) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    return read_table(table)


def _datasets_from_table(frame: pd.DataFrame, collector: _Collector) -> dict[str, str]:
    missing = [c for c in ("dataset", "task") if c not in frame.columns]
    if missing:
        raise DataError(
            f"The dataset table lacks the column(s) {missing}. It needs 'dataset', 'task' "
            "(classification or regression) and one column per meta-feature; optional: "
            "n_rows, n_features, n_classes, family, openml_id."
        )
    bad = sorted(set(frame["task"].astype(str)) - set(TASKS))
    if bad:
        raise DataError(
            f"The 'task' column of the dataset table must hold one of {list(TASKS)}. "
            f"Got {bad} instead."
        )
    described = {"dataset", "task", "n_rows", "n_features", "n_classes", "family", "openml_id"}
    mf_columns = [c for c in frame.columns if c not in described]
    ids = {}
    for rec in frame.to_dict(orient="records"):
        name = str(rec["dataset"])
        dataset_id = f"user/{name}"
        ids[name] = dataset_id
        row = {
            "dataset_id": dataset_id,
            "name": name,
            "source": "user",
            "task": str(rec["task"]),
            "n_rows": int(rec.get("n_rows", 0) or 0),
            "n_features": int(rec.get("n_features", 0) or 0),
            "n_classes": int(rec.get("n_classes", 0) or 0),
            "family": str(rec.get("family") or name),
            "openml_id": rec.get("openml_id"),
        }
        mf = {str(c): float(pd.to_numeric(rec[c], errors="coerce")) for c in mf_columns}
        collector.add_dataset(row, mf)
    return ids


def _datasets_from_directory(
    directory: Path, target: str, collector: _Collector, groups: str | list[str]
) -> dict[str, str]:
    import metafeatures

    files = sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and any(s in TABLE_SUFFIXES for s in (x.lower() for x in p.suffixes))
    )
    if not files:
        raise DataError(
            f"No CSV, TSV or parquet file in '{directory}'. Give a directory of dataset files "
            "or a dataset table."
        )
    ids = {}
    for path in files:
        name = path.name.split(".")[0]
        X, y = split_target(read_table(path), target)
        report = metafeatures.extract_report(X, y, groups=groups)
        task = report.task
        if task not in TASKS:
            raise DataError(f"Cannot tell the task of '{path}' from its target '{target}'.")
        dataset_id = f"file/{name}"
        ids[name] = dataset_id
        n_classes = int(pd.Series(y).nunique()) if task == "classification" else 0
        collector.add_dataset(
            {
                "dataset_id": dataset_id,
                "name": name,
                "source": "file",
                "task": task,
                "n_rows": int(X.shape[0]),
                "n_features": int(X.shape[1]),
                "n_classes": n_classes,
                "family": name,
                "openml_id": None,
            },
            report.values.to_dict(),
        )
    return ids


def import_runs(
    runs: pd.DataFrame | str | Path,
    datasets: pd.DataFrame | str | Path,
    *,
    target: str = "target",
    groups: str | list[str] = "default",
) -> ImportResult:
    """Import a table of runs (see the module docstring) into knowledge-base tables.

    Parameters
    ----------
    runs : DataFrame or path
        The run table (CSV, TSV or parquet).
    datasets : DataFrame or path
        A dataset table (``dataset``, ``task``, meta-feature columns), or a directory of
        dataset files (each with a ``target`` column) whose meta-features are computed.
    target : str, default="target"
        The target column of the dataset files.
    groups : str or list of str, default="default"
        Meta-feature groups computed for dataset files.

    Returns
    -------
    ImportResult
        Rows that cannot be used are counted in ``unmapped`` by reason.

    Raises
    ------
    DataError
        If a table lacks required columns or names an unknown metric.
    """
    frame = _as_frame(runs, "run table")
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if "learner" not in frame.columns and "flow" not in frame.columns:
        missing.append("learner or flow")
    if missing:
        raise DataError(
            f"The run table lacks the column(s) {missing}. It needs: dataset, learner (a "
            "registry name) or flow (an OpenML flow name), params (JSON), metric, value."
        )
    unknown_metrics = sorted(set(frame["metric"].astype(str)) - set(METRICS))
    if unknown_metrics:
        raise DataError(
            f"The run table has unknown metric(s) {unknown_metrics}. Allowed metrics are "
            f"{list(METRICS)}; rename or drop those rows."
        )
    collector = _Collector(source="import", origin="import")
    if isinstance(datasets, (str, Path)) and Path(datasets).is_dir():
        ids = _datasets_from_directory(Path(datasets), target, collector, groups)
    else:
        ids = _datasets_from_table(_as_frame(datasets, "dataset table"), collector)
    tasks = {d["dataset_id"]: d["task"] for d in collector.datasets.values()}
    for i, rec in enumerate(frame.to_dict(orient="records")):
        try:
            _import_row(rec, ids, tasks, collector, row_number=i)
        except Unmappable as exc:
            collector.skip(exc.reason, f"row {i}: {exc.detail}")
    # datasets without runs are kept: their meta-features still describe the data
    return collector.result({"source": "import", "n_rows": int(len(frame))})


def _import_row(
    rec: Mapping[str, Any],
    ids: Mapping[str, str],
    tasks: Mapping[str, str],
    collector: _Collector,
    row_number: int,
) -> None:
    name = str(rec["dataset"])
    if name not in ids:
        raise Unmappable("dataset task mismatch", f"dataset {name!r} is not in the dataset table")
    dataset_id = ids[name]
    learner_name = rec.get("learner")
    if isinstance(learner_name, str) and learner_name:
        try:
            learner = get_learner(learner_name)
        except ValueError:
            raise Unmappable("unknown flow", f"learner {learner_name!r}") from None
    else:
        learner, _ = map_flow(str(rec.get("flow", "")))
    try:
        params = json.loads(rec["params"]) if isinstance(rec["params"], str) else {}
    except ValueError:
        raise Unmappable("unparsable parameter", f"params {rec['params']!r}") from None
    if not isinstance(params, dict):
        raise Unmappable("unparsable parameter", f"params {rec['params']!r} is not an object")
    config = map_parameters(learner, params, encoded=False)
    metric = str(rec["metric"])
    if learner.task != tasks[dataset_id] or METRICS[metric].task != learner.task:
        raise Unmappable(
            "dataset task mismatch",
            f"{learner.name} ({learner.task}) with {metric} on {name} ({tasks[dataset_id]})",
        )
    value = pd.to_numeric(rec["value"], errors="coerce")
    if pd.isna(value):
        raise Unmappable("metric not available", f"value {rec['value']!r}")
    n_folds = rec.get("n_folds")
    fit_time = rec.get("fit_time")
    collector.add_run(
        dataset_id,
        config,
        metric,
        float(value),
        n_folds=int(n_folds) if n_folds is not None and not pd.isna(n_folds) else 1,
        fit_time=float(fit_time) if fit_time is not None and not pd.isna(fit_time) else np.nan,
        provenance={
            "row": row_number,
            **({"flow": rec["flow"]} if isinstance(rec.get("flow"), str) else {}),
        },
    )
