"""The :class:`KnowledgeBase`: four validated tables in memory, saved as a directory.

The parts it is made of: the table schemas (:mod:`autometa.kb._schema`), their validation
(:mod:`autometa.kb._tables`), the files on disk (:mod:`autometa.kb._disk`), the summary
(:mod:`autometa.kb._summary`) and per-dataset normalization (:mod:`autometa.kb._normalize`).

:meth:`KnowledgeBase.save` writes into a temporary directory beside the target and renames
it into place, so an interrupted save leaves the previous knowledge base intact.
:meth:`KnowledgeBase.load` checks the format name, the schema version, that every file is
present with the checksum the manifest records, and the columns and dtypes of each table.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from autometa import _atomic
from autometa._exceptions import KnowledgeBaseError, ParameterError
from autometa._task import check_task
from autometa.kb._disk import (
    MANIFEST_FILE,
    RESERVED_KEYS,
    TABLE_FILES,
    dir_size,
    is_knowledge_base_dir,
    read_tables,
    write_tables,
)
from autometa.kb._normalize import normalize_rows
from autometa.kb._schema import (
    DEFAULT_METRIC,
    METRICS,
    RUN_KEY,
    RUN_STATUSES,
    SIDE_SOURCES,
    TABLE_COLUMNS,
    TABLE_KEYS,
)
from autometa.kb._summary import KnowledgeBaseSummary
from autometa.kb._tables import (
    check_consistency,
    check_metafeatures,
    check_table,
    empty_metafeatures,
    empty_table,
    show,
    upsert,
    upsert_metafeatures,
)

__all__ = ["KnowledgeBase", "KnowledgeBaseSummary"]

logger = logging.getLogger(__name__)


#: The share of a task's datasets a configuration must be evaluated on to be in the pool.
POOL_COVERAGE = 0.5


class _Apart(NamedTuple):
    """What the dense matrix leaves out (see :meth:`KnowledgeBase._kept_apart`)."""

    tasks: set[str]
    datasets: set[str]
    configurations: set[str]


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
            empty_table("datasets")
            if datasets is None
            else check_table(datasets, "datasets", where)
        )
        self._configurations = (
            empty_table("configurations")
            if configurations is None
            else check_table(configurations, "configurations", where)
        )
        self._runs = empty_table("runs") if runs is None else check_table(runs, "runs", where)
        self._metafeatures = check_metafeatures(metafeatures, where)
        check_consistency(
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
        reserved = [k for k in manifest if k in RESERVED_KEYS]
        if reserved:
            raise KnowledgeBaseError(
                f"The manifest may not set the key(s) {show(reserved)}: the store writes "
                f"them. Reserved keys are {list(RESERVED_KEYS)}; put build info elsewhere."
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
        new = check_table(frame, "datasets", where)
        mf = check_metafeatures(metafeatures, where)
        datasets = upsert(self._datasets, new, TABLE_KEYS["datasets"])
        mf_all = upsert_metafeatures(self._metafeatures, mf)
        check_consistency(datasets, self._configurations, self._runs, mf_all, where)
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
        new = check_table(frame, "configurations", where)
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
        new = check_table(frame, "runs", where)
        check_consistency(self._datasets, self._configurations, new, empty_metafeatures(), where)
        self._runs = upsert(self._runs, new, RUN_KEY)
        return self

    # Deprecated shims. The lazy imports of ``autometa.optuna`` below are the one
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
        from autometa.optuna import add_study  # the allowed exception (see above)

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
        from autometa.optuna import add_search  # the allowed exception (see above)

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
        datasets = upsert(self._datasets, other._datasets, TABLE_KEYS["datasets"])
        other_new = other._configurations.loc[
            ~other._configurations["config_id"].isin(self._configurations["config_id"])
        ]
        configurations = pd.concat([self._configurations, other_new], ignore_index=True)
        runs = upsert(self._runs, other._runs, RUN_KEY)
        mf = upsert_metafeatures(self._metafeatures, other._metafeatures)
        check_consistency(datasets, configurations, runs, mf, "after merge()")
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
            known = set(datasets["dataset_id"].unique())
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise KnowledgeBaseError(
                    f"Unknown dataset(s) {show(unknown)} given to subset(). Pass ids of "
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
        task = check_task(task, f"KnowledgeBase.{method}")
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
        task : {"classification", "regression"} or None, default=None
            None (or ``"auto"``, the same): the task of ``metric``, or else the knowledge
            base's only task; needed when ``metric`` is None and it holds both tasks.
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
                    f"{show(bad)} instead."
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
        scaled = normalize_rows(raw, METRICS[metric].greater_is_better)
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

    # -- the dense matrix ------------------------------------------------------------------
    def _kept_apart(self) -> _Apart:
        """What the dense matrix leaves out, in the tasks with runs of :data:`SIDE_SOURCES`
        and of other sources: the side sources' runs, and the datasets and configurations
        only they measured."""
        side = self._runs["source"].isin(SIDE_SOURCES).to_numpy()
        if not side.any():
            return _Apart(set(), set(), set())
        task_of = self._datasets.set_index("dataset_id")["task"]
        config_task = self._configurations.set_index("config_id")["task"]
        ids = self._runs[["dataset_id", "config_id"]]  # not the whole rows: faster
        side_runs, other = ids.loc[side], ids.loc[~side]

        def values(column: pd.Series) -> set[str]:
            return set(column.unique())  # unique first: iterating arrow strings is slow

        side_ds, other_ds = values(side_runs["dataset_id"]), values(other["dataset_id"])
        tasks = {task_of[d] for d in side_ds} & {task_of[d] for d in other_ds}
        only = side_ds - other_ds
        only_configs = values(side_runs["config_id"]) - values(other["config_id"])
        return _Apart(
            tasks=tasks,
            datasets={d for d in only if task_of[d] in tasks},
            configurations={c for c in only_configs if config_task[c] in tasks},
        )

    def _dense_ids(self, task: str | None, apart: _Apart) -> list[str]:
        datasets = self._datasets
        if task is not None:
            datasets = datasets.loc[datasets["task"] == task]
        return [d for d in datasets["dataset_id"] if d not in apart.datasets]

    def _dense_runs(
        self, task: str, apart: _Apart, columns: list[str] | None = None
    ) -> pd.DataFrame:
        """The runs of ``task`` in its dense matrix (every size), with ``columns`` only."""
        runs = self._runs if columns is None else self._runs[columns]
        runs = runs.loc[runs["dataset_id"].isin(self._dense_ids(task, apart))]
        if task in apart.tasks:
            runs = runs.loc[~runs["source"].isin(SIDE_SOURCES)]
        return runs

    def _pool(self, task: str, min_coverage: float, apart: _Apart) -> list[str]:
        n_datasets = len(self._dense_ids(task, apart))
        if n_datasets == 0:
            return []
        columns = ["dataset_id", "config_id", "source", "n_rows_used"]
        runs = self.runs_at_size(self._dense_runs(task, apart, columns))
        coverage = runs.groupby("config_id")["dataset_id"].nunique() / n_datasets
        ids = set(coverage.index[coverage >= min_coverage])
        task_configs = self._configurations.loc[self._configurations["task"] == task]
        return [c for c in task_configs["config_id"] if c in ids]

    def dense_datasets(self, task: str | None = None) -> list[str]:
        """The datasets of the dense matrix of ``task`` (default: of every task).

        Every dataset of the task but those whose runs all come from :data:`SIDE_SOURCES`
        (LCDB's learning curves) while the task has runs of other sources: such a dataset
        is a second source's, described by OpenML's qualities only, with a few default
        configurations measured. Without side-source runs, every dataset of the task.
        """
        if task is not None:
            self._check_task(task, "dense_datasets")
        return self._dense_ids(task, self._kept_apart())

    def dense_configurations(self, task: str, min_coverage: float = POOL_COVERAGE) -> list[str]:
        """Configurations of ``task`` evaluated on at least ``min_coverage`` of its datasets.

        The datasets of the dense matrix (:meth:`dense_datasets`) at each one's reference size
        (see :meth:`runs_at_size`), counting failed runs. These are the knowledge base's pool;
        configurations measured on a few datasets only (per-dataset searches, imported
        studies) are knowledge too, but sparse.
        """
        self._check_task(task, "dense_configurations")
        return self._pool(task, min_coverage, self._kept_apart())

    def dense(self, task: str, min_coverage: float = POOL_COVERAGE) -> KnowledgeBase:
        """The dense matrix of ``task``: what the methods that compare configurations across
        datasets are fitted and evaluated on (:meth:`autometa.models.TaskData.from_kb`).

        A new knowledge base holding the datasets of :meth:`dense_datasets`, the pool
        (:meth:`dense_configurations` with ``min_coverage``), their runs at every size
        except those of :data:`SIDE_SOURCES` (its matrices compare each dataset at its
        reference size), and their meta-features. When datasets are kept apart, the
        meta-feature columns are those a dataset outside them defines (LCDB brings OpenML
        qualities the others lack). A knowledge base without side-source runs gives the same
        as ``kb.subset(task=task, config_ids=kb.dense_configurations(task))``, and merging
        LCDB into one changes none of its dense matrices (unless a meta-feature was
        undefined on all of its datasets: that column is dropped).

        Examples
        --------
        >>> from autometa.kb import KnowledgeBase
        >>> kb = KnowledgeBase.default()  # doctest: +SKIP
        >>> kb.dense("classification").normalized_matrix().shape  # doctest: +SKIP
        (111, 64)
        """
        self._check_task(task, "dense")
        apart = self._kept_apart()
        pool = self._pool(task, min_coverage, apart)
        sub = self.subset(self._dense_ids(task, apart), task=task, config_ids=pool)
        runs, mf = sub._runs, sub._metafeatures
        if task in apart.tasks:
            runs = runs.loc[~runs["source"].isin(SIDE_SOURCES)]
        if apart.datasets:  # the columns a dataset outside the second sources defines
            all_mf = self._metafeatures
            mf = mf.loc[:, all_mf.loc[~all_mf.index.isin(apart.datasets)].notna().any(axis=0)]
        return sub._replace(runs=runs, metafeatures=mf)

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

        density, dense_shape = {}, {}
        apart = self._kept_apart()
        for task in self.tasks:
            # the dense matrix's cells: its datasets x the task's configurations but those
            # only a side source measured
            n_d = len(self._dense_ids(task, apart))
            configs = self._configurations.loc[self._configurations["task"] == task, "config_id"]
            n_c = int((~configs.isin(apart.configurations)).sum())
            ok = self.runs_at_size(self._dense_runs(task, apart))
            ok = ok.loc[ok["status"] == "ok", ["dataset_id", "config_id"]].drop_duplicates()
            density[task] = len(ok) / (n_d * n_c) if n_d * n_c else 0.0
            dense_shape[task] = (n_d, len(self._pool(task, POOL_COVERAGE, apart)))
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
            dense_shape=dense_shape,
            side_sources=self._side_summary(apart),
            path=None if self._path is None else str(self._path),
            size_on_disk=self._size_on_disk,
            saved=dict(self._saved),
            manifest=self.manifest,
        )

    def _side_summary(self, apart: _Apart) -> dict[str, dict[str, Any]]:
        """Per side source present: its datasets, configurations, runs, tasks, training
        sizes and whether it is kept apart from the dense matrix."""
        out: dict[str, dict[str, Any]] = {}
        task_of = self._datasets.set_index("dataset_id")["task"]
        for source in SIDE_SOURCES:
            runs = self._runs.loc[self._runs["source"] == source]
            if not len(runs):
                continue
            sizes = runs["n_train_rows"].dropna()
            tasks = sorted(set(task_of.reindex(runs["dataset_id"].unique())))
            out[source] = {
                "datasets": int(runs["dataset_id"].nunique()),
                "configurations": int(runs["config_id"].nunique()),
                "runs": len(runs),
                "tasks": tasks,
                "n_train_rows": [int(sizes.min()), int(sizes.max())] if len(sizes) else None,
                "kept_apart": bool(set(tasks) & apart.tasks),
            }
        return out

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
        target = Path(path)
        foreign = _atomic.foreign_target(target, is_knowledge_base_dir)
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
        tables = {
            "datasets": self._datasets,
            "configurations": self._configurations,
            "runs": self._runs,
            "metafeatures": self._metafeatures.reset_index(),
        }
        manifest = write_tables(tables, self._manifest, target)
        self._path = target
        self._size_on_disk = dir_size(target)
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
        tables, manifest = read_tables(path)
        mf = tables["metafeatures"]
        if "dataset_id" not in mf.columns:
            raise KnowledgeBaseError(
                f"The file '{path / TABLE_FILES['metafeatures']}' lacks the column "
                "'dataset_id'. Restore it, or rebuild the knowledge base."
            )
        mf = mf.set_index("dataset_id")
        kb = cls.__new__(cls)
        kb._datasets = check_table(
            tables["datasets"], "datasets", f"file '{path / TABLE_FILES['datasets']}'"
        )
        kb._configurations = check_table(
            tables["configurations"],
            "configurations",
            f"file '{path / TABLE_FILES['configurations']}'",
        )
        kb._runs = check_table(tables["runs"], "runs", f"file '{path / TABLE_FILES['runs']}'")
        kb._metafeatures = check_metafeatures(mf, f"file '{path / TABLE_FILES['metafeatures']}'")
        check_consistency(
            kb._datasets, kb._configurations, kb._runs, kb._metafeatures, f"in '{path}'"
        )
        kb._manifest = {k: v for k, v in manifest.items() if k not in RESERVED_KEYS}
        kb._path = path
        kb._size_on_disk = dir_size(path)
        kb._saved = {k: manifest[k] for k in ("saved_at", "saved_with") if k in manifest}
        logger.info("loaded %r", kb)
        return kb

    @classmethod
    def default(cls) -> KnowledgeBase:
        """The knowledge base shipped with autometa (``autometa/data/default_kb``, found with
        :func:`autometa._resources.package_data` like the shipped models).

        Raises
        ------
        KnowledgeBaseError
            If this installation ships none.
        """
        from autometa._resources import package_data

        directory = package_data("default_kb")
        if not (directory / MANIFEST_FILE).is_file():
            raise KnowledgeBaseError(
                "No default knowledge base is shipped with this installation of autometa "
                f"('{directory / MANIFEST_FILE}' is absent). Build one with "
                "'autometa kb build' and pass its path, or reinstall autometa."
            )
        return cls.load(directory)
