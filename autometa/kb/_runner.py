"""The local runner: evaluates a pool of configurations on datasets with cross-validation.

Every configuration of the pool (per learner: the default plus quasi-random samples of its
space) is evaluated on every dataset of its task, giving a dense ``runs`` table.

The parts: the settings (:class:`~autometa.kb._settings.BuildSettings`, one frozen object),
the work directory that makes a build resumable (:mod:`autometa.kb._workdir`), the
evaluation protocol (:mod:`autometa.kb._evaluation`) and, here, the build loop.

- **Parallelism**: tasks ``(dataset, chunk of configurations)`` go through
  :class:`joblib.Parallel` with ``return_as="generator_unordered"``, so any joblib backend
  works (``loky`` by default; ``dask`` for a Dask cluster). Workers read each dataset from
  its path themselves and keep the last ones in a per-process cache. Fits are
  single-threaded (``n_jobs=1`` in the registry, ``threadpoolctl`` limits in workers). The
  main process is the only writer.
- **Resumable**: finished runs are journaled in ``<out>.build/``; the same call after a crash
  or a kill continues, losing no finished run and duplicating none.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import logging
import math
import platform
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from autometa._exceptions import DataError, KnowledgeBaseError, ParameterError
from autometa._logging import log_to_file
from autometa.kb._datasets import DatasetSpec, discover_datasets, load_dataset
from autometa.kb._evaluation import (
    _METRIC_NAMES,
    PROTOCOL_VERSION,
    MetafeaturesResult,
    RunsResult,
    _evaluate,
    _first_line,
    _prepared,
    _Task,
    compute_metafeatures,
    evaluate_configuration,
    metafeatures_task,
    run_task,
)
from autometa.kb._progress import ProgressCallback, ProgressEvent, check_progress
from autometa.kb._schema import DATASET_COLUMNS, RUN_COLUMNS
from autometa.kb._settings import BuildSettings, chunks
from autometa.kb._workdir import PLAN_VERSION, _clean_record, _WorkDir
from autometa.learners import Configuration

if TYPE_CHECKING:
    from autometa.kb._store import KnowledgeBase

__all__ = [
    "BuildSettings",
    "BuildSummary",
    "build_knowledge_base",
    "compute_metafeatures",
    "evaluate_configuration",
    "refresh_metafeatures",
]

# Names other modules (kb/_search.py, kb-build/build_v2.py) import from here.
_REEXPORTED = (_WorkDir, _evaluate, _first_line, _prepared, PROTOCOL_VERSION)

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Tables and the knowledge base.
def _runs_frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(records), columns=list(RUN_COLUMNS))
    for name in (*_METRIC_NAMES, "fit_time", "predict_time"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    frame["n_folds"] = frame["n_folds"].astype("int64")
    for name in ("n_rows_used", "n_train_rows"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").round().astype("Int64")
    for name in ("dataset_id", "config_id", "status", "error", "source", "provenance"):
        frame[name] = frame[name].fillna("").astype(str)
    return frame.sort_values(["dataset_id", "config_id"], kind="stable").reset_index(drop=True)


def _datasets_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(DATASET_COLUMNS))
    for name in ("n_rows", "n_features", "n_classes"):
        frame[name] = frame[name].astype("int64")
    frame["openml_id"] = frame["openml_id"].astype("Int64")
    return frame.sort_values("dataset_id").reset_index(drop=True)


def _metafeatures_frame(values: dict[str, dict[str, float | None]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(values, orient="index", dtype="float64")
    frame.index.name = "dataset_id"
    return frame.sort_index().sort_index(axis=1)


def _configurations_frame(configs: Sequence[Configuration]) -> pd.DataFrame:
    rows = [
        {
            "config_id": c.config_id,
            "learner": c.learner,
            "task": c.task,
            "params": c.params_json,
            "origin": "default" if dict(c.params) == _default_params(c.learner) else "sobol",
        }
        for c in configs
    ]
    return pd.DataFrame(rows, columns=["config_id", "learner", "task", "params", "origin"])


def _default_params(learner: str) -> dict[str, Any]:
    from autometa.learners import get_learner

    return dict(get_learner(learner).default_configuration().params)


def _make_kb(
    configs: Sequence[Configuration],
    dataset_rows: list[dict[str, Any]],
    runs: list[dict[str, Any]],
    metafeatures: dict[str, dict[str, float | None]],
    manifest: dict[str, Any],
) -> KnowledgeBase:
    from autometa.kb._store import KnowledgeBase

    return KnowledgeBase(
        datasets=_datasets_frame(dataset_rows),
        configurations=_configurations_frame(configs),
        runs=_runs_frame(runs),
        metafeatures=_metafeatures_frame(metafeatures) if metafeatures else None,
        manifest=manifest,
    )


def _versions() -> dict[str, str]:
    import sklearn

    import autometa

    out = {
        "autometa": autometa.__version__,
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }
    try:
        import torch

        out["torch"] = torch.__version__
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return out


@dataclass(frozen=True)
class BuildSummary:
    """What a build did: counts, the skipped datasets and why, time and throughput."""

    datasets_done: int
    datasets_skipped: dict[str, str]
    runs_ok: int
    runs_failed: int
    runs_timeout: int
    runs_new: int
    wall_time: float
    fits_per_second: float

    def format(self) -> str:
        lines = [
            f"datasets: {self.datasets_done} done, {len(self.datasets_skipped)} skipped",
            f"runs: {self.runs_ok} ok, {self.runs_failed} failed, {self.runs_timeout} timeout "
            f"({self.runs_new} evaluated in this session)",
            f"wall time: {self.wall_time:.1f} s, {self.fits_per_second:.2f} fits/s",
        ]
        lines += [f"  skipped {name}: {why}" for name, why in sorted(self.datasets_skipped.items())]
        return "\n".join(lines)


def _dask_client(scheduler: str | None) -> Any:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ParameterError(
            "The 'dask' backend needs dask.distributed, which is not installed. "
            'Install it with: pip install "autometa[dask]".'
        ) from None
    if scheduler:
        return Client(scheduler)
    return Client(LocalCluster(processes=True, threads_per_worker=1, dashboard_address=None))


def build_knowledge_base(
    datasets: str | Path | Sequence[DatasetSpec],
    out: str | Path,
    *,
    configs_per_learner: int = 8,
    folds: int = 5,
    max_rows: int | None = 2000,
    n_jobs: int = 1,
    backend: str | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    learners: Sequence[str] | None = None,
    progress: ProgressCallback | bool | None = None,
    chunk_size: int = 4,
    scheduler: str | None = None,
    log_file: str | Path | None = None,
    command: str | None = None,
    save_every: float = 60.0,
    on_summary: Callable[[BuildSummary], None] | None = None,
    configurations: Sequence[Configuration] | Mapping[str, Sequence[Configuration]] | None = None,
) -> KnowledgeBase:
    """Evaluate a pool of configurations on every dataset and save a knowledge base.

    Resumable: the state lives in ``<out>.build/``; run the same call again after a crash or
    a kill and it continues, losing no finished run and duplicating none.

    Parameters
    ----------
    datasets : path or sequence of DatasetSpec
        Where the datasets are (see :func:`~autometa.kb.discover_datasets`), or specs.
    out : path
        Where the knowledge base is saved (rewritten atomically as datasets finish).
    configs_per_learner : int, default=8
        Pool size per learner: the default configuration plus Sobol samples.
    folds : int, default=5
        K of the K-fold cross-validation.
    max_rows : int or None, default=2000
        Larger datasets are subsampled once (stratified for classification) to this size.
    n_jobs : int, default=1
        Parallel workers (joblib's ``n_jobs``).
    backend : str, optional
        joblib backend: ``"loky"`` (default), ``"multiprocessing"``, ``"threading"``,
        ``"dask"`` (a :class:`dask.distributed.Client` on ``scheduler`` or a local cluster),
        or any registered backend.
    time_limit : float, optional
        Seconds per fit; longer fits give runs with status ``timeout``.
    seed : int, default=0
        Seed of the pool, the subsampling and the CV splits.
    learners : sequence of str, optional
        Learner names (default: every learner of the datasets' tasks).
    progress : callable, optional
        Called as ``progress(event)`` with a :class:`~autometa.kb.ProgressEvent` (runs done
        and in all) when the work is planned and after each finished chunk; the CLI draws a
        bar from it. (``True``, which drew a bar, is deprecated and draws nothing.)
    chunk_size : int, default=4
        Configurations per parallel task.
    scheduler : str, optional
        Address of a Dask scheduler (``backend="dask"``).
    log_file : path, optional
        Deprecated: the build logs to the ``autometa.kb`` loggers and adds no handler; add a
        :class:`logging.FileHandler` yourself (``autometa kb build`` writes
        ``<out>.build/build.log``). Given, it is still written, with a FutureWarning.
    command : str, optional
        The command line, recorded in the manifest.
    save_every : float, default=60
        Minimum seconds between two saves of the partial knowledge base.
    on_summary : callable, optional
        Called with the :class:`BuildSummary` at the end.
    configurations : sequence of Configuration, or mapping, optional
        An explicit pool instead of ``configs_per_learner`` quasi-random ones per learner:
        every configuration of a dataset's task is evaluated on it; a mapping
        ``{dataset_id: configurations}`` gives each dataset its own list (datasets absent
        from it get none).

    Returns
    -------
    KnowledgeBase
    """
    settings = BuildSettings(
        configs_per_learner=configs_per_learner,
        folds=folds,
        max_rows=max_rows,
        n_jobs=n_jobs,
        backend=backend,
        time_limit=time_limit,
        seed=seed,
        learners=tuple(learners) if learners is not None else None,
        chunk_size=chunk_size,
        scheduler=scheduler,
        save_every=save_every,
    )
    specs = discover_datasets(datasets) if isinstance(datasets, str | Path) else list(datasets)
    if not specs:
        raise DataError("No dataset to build a knowledge base from. Check --datasets and filters.")
    out = Path(out)
    _check_out(out)
    workdir = _WorkDir(out.with_name(out.name + ".build"))
    try:
        workdir.lock()
    except BaseException:
        workdir.close()
        raise
    callback = check_progress(progress, "build_knowledge_base")
    with contextlib.ExitStack() as stack:
        stack.callback(workdir.close)
        if log_file is not None:
            stack.enter_context(_deprecated_log_file(Path(log_file)))
        return _Build(specs, out, workdir, settings, configurations, command).run(
            progress=callback, on_summary=on_summary
        )


@contextlib.contextmanager
def _deprecated_log_file(path: Path) -> Iterator[None]:
    """The old ``log_file`` parameter: an INFO file handler on the package logger."""
    warnings.warn(
        "The 'log_file' parameter of build_knowledge_base is deprecated and will be removed "
        "in autometa 0.3: add a logging.FileHandler to the 'autometa' logger instead.",
        FutureWarning,
        stacklevel=4,
    )
    with log_to_file(path):
        yield


def _check_out(out: Path) -> None:
    """Refuse, before any work, an ``out`` that saving the knowledge base would refuse."""
    from autometa._atomic import foreign_target
    from autometa.kb._disk import is_knowledge_base_dir

    foreign = foreign_target(out, is_knowledge_base_dir)
    if foreign is not None:
        kind = (
            "a file" if foreign == "file" else "a non-empty directory that is not a knowledge base"
        )
        raise KnowledgeBaseError(
            f"Cannot build into '{out}': it is {kind}, and the build would have to replace it. "
            "Give a new or empty directory, or the path of a knowledge base to rebuild."
        )


def _resolve_task(spec: DatasetSpec) -> DatasetSpec:
    """A plain file given without a task gets the task inferred from its target."""
    if spec.task != "auto":
        return spec
    try:
        task = load_dataset(spec)[2]
    except DataError:
        return spec  # unreadable: skipped later with the reason
    return dataclasses.replace(spec, task=task)


class _Build:
    """One run of a build: the plan, the state read back from the work directory, the work
    list, the results as they arrive, and the knowledge base saved from them."""

    def __init__(
        self,
        specs: list[DatasetSpec],
        out: Path,
        workdir: _WorkDir,
        settings: BuildSettings,
        configurations: Sequence[Configuration] | Mapping[str, Sequence[Configuration]] | None,
        command: str | None,
    ) -> None:
        self.started = time.time()
        self.out, self.workdir, self.settings = out, workdir, settings
        self.specs = [_resolve_task(s) for s in specs]
        self.spec_by_id = {s.dataset_id: s for s in self.specs}
        tasks_of_data = {s.task for s in self.specs if s.task != "auto"} or {"classification"}
        self.per_dataset: dict[str, list[Configuration]] | None = None
        if configurations is None:
            configs = settings.pool(tasks_of_data)
        elif isinstance(configurations, Mapping):
            self.per_dataset = {str(d): list(cs) for d, cs in configurations.items()}
            configs = list(
                {c.config_id: c for cs in self.per_dataset.values() for c in cs}.values()
            )
        else:
            configs = list({c.config_id: c for c in configurations}.values())
        self.configs = configs
        self.by_task: dict[str, list[Configuration]] = {}
        for c in configs:
            self.by_task.setdefault(c.task, []).append(c)
        self.plan_settings = settings.plan_settings(
            PROTOCOL_VERSION, configs, explicit_pool=configurations is not None
        )
        self.manifest_base = {
            "command": command or " ".join(sys.argv),
            "versions": _versions(),
            "settings": self.plan_settings,
            "started": _dt.datetime.fromtimestamp(self.started, _dt.timezone.utc).isoformat(),
            "source": "runner",
        }
        # the state: finished runs, dataset rows, skipped datasets, meta-features
        self.runs: dict[tuple[str, str], dict[str, Any]] = {}
        self.dataset_rows: dict[str, dict[str, Any]] = {}
        self.skipped: dict[str, str] = {}
        self.mf_values: dict[str, dict[str, float | None]] = {}
        self.new_runs = 0

    # -- plan and state ------------------------------------------------------------------
    def check_plan(self) -> None:
        plan = {
            "plan_version": PLAN_VERSION,
            **self.plan_settings,
            "datasets": [s.dataset_id for s in self.specs],
            "configurations": [c.config_id for c in self.configs],
        }
        if self.per_dataset is not None:
            plan["assignment"] = {
                d: [c.config_id for c in cs] for d, cs in sorted(self.per_dataset.items())
            }
        self.workdir.check_plan(plan)
        logger.info(
            "Build of %s: %d datasets, %d configurations, settings %s.",
            self.out, len(self.specs), len(self.configs), self.plan_settings,
        )  # fmt: skip

    def read_state(self) -> None:
        self.runs = self.workdir.read_journal()
        for spec in self.specs:
            state = self.workdir.read_json("datasets", spec.dataset_id)
            if state is not None:
                if state.get("skip"):
                    self.skipped[spec.dataset_id] = state["skip"]
                else:
                    self.dataset_rows[spec.dataset_id] = state["row"]
            mf = self.workdir.read_json("metafeatures", spec.dataset_id)
            if mf is not None:
                self.mf_values[spec.dataset_id] = mf["values"]

    def planned(self, spec: DatasetSpec) -> list[Configuration]:
        if self.per_dataset is not None:
            return [c for c in self.per_dataset.get(spec.dataset_id, []) if c.task == spec.task]
        return self.by_task.get(spec.task, [])

    def work_list(self) -> tuple[list[DatasetSpec | _Task], int]:
        """Meta-feature specs and run tasks, dataset by dataset (so that worker caches hit),
        and the number of runs the build has when they are done."""
        s = self.settings
        work: list[DatasetSpec | _Task] = []
        total = len(self.runs)
        for spec in self.specs:
            if spec.dataset_id in self.skipped:
                continue
            if spec.dataset_id not in self.mf_values:
                work.append(spec)
            todo = [
                c for c in self.planned(spec) if (spec.dataset_id, c.config_id) not in self.runs
            ]
            total += len(todo)
            for chunk in chunks(todo, s.chunk_size):
                configs = tuple((c.learner, c.params_json) for c in chunk)
                work.append(_Task(spec, configs, s.folds, s.max_rows, s.seed, s.time_limit))
        return work, total

    def dataset_complete(self, dataset_id: str) -> bool:
        if dataset_id not in self.dataset_rows:
            return False
        spec = self.spec_by_id[dataset_id]
        return all((dataset_id, c.config_id) in self.runs for c in self.planned(spec))

    def compact(self, dataset_id: str) -> None:
        if self.workdir.has_runs_file(dataset_id):
            return
        ids = {c.config_id for c in self.planned(self.spec_by_id[dataset_id])}
        records = [r for (d, c), r in self.runs.items() if d == dataset_id and c in ids]
        self.workdir.write_runs(dataset_id, _runs_frame(records))

    def current_kb(self, final: bool) -> KnowledgeBase:
        ids = [s.dataset_id for s in self.specs if s.dataset_id in self.dataset_rows]
        keep = set(ids)
        wanted = {(d, c.config_id) for d in keep for c in self.planned(self.spec_by_id[d])}
        records = [r for key, r in self.runs.items() if key in wanted]
        ended = time.time()
        manifest = {
            **self.manifest_base,
            "ended": _dt.datetime.fromtimestamp(ended, _dt.timezone.utc).isoformat(),
            "wall_time": round(ended - self.started, 3),
            "complete": final,
            "skipped_datasets": dict(sorted(self.skipped.items())),
        }
        return _make_kb(
            self.configs,
            [self.dataset_rows[d] for d in ids],
            records,
            {d: v for d, v in self.mf_values.items() if d in keep},
            manifest,
        )

    # -- results -------------------------------------------------------------------------
    def on_metafeatures(self, result: MetafeaturesResult) -> None:
        if result.error:
            logger.warning("Meta-features of %s failed: %s", result.dataset_id, result.error)
        self.workdir.write_json(
            "metafeatures", result.dataset_id, {"values": result.values, "error": result.error}
        )
        self.mf_values[result.dataset_id] = result.values

    def on_runs(self, result: RunsResult) -> list[dict[str, Any]]:
        """Record a worker's runs; return those new to the build."""
        dataset_id = result.dataset_id
        if result.skip:
            if dataset_id not in self.skipped:
                self.skipped[dataset_id] = result.skip
                logger.warning("Skipping %s: %s", dataset_id, result.skip)
                self.workdir.write_json("datasets", dataset_id, {"skip": result.skip})
            return []
        if dataset_id not in self.dataset_rows:
            self.dataset_rows[dataset_id] = result.row
            self.workdir.write_json("datasets", dataset_id, {"row": result.row})
        fresh = [r for r in result.records if (r["dataset_id"], r["config_id"]) not in self.runs]
        self.workdir.append(fresh)
        for r in fresh:
            self.runs[(r["dataset_id"], r["config_id"])] = _clean_record(r)
            if r["status"] != "ok":
                logger.info(
                    "%s on %s: %s (%s)", r["config_id"], dataset_id, r["status"], r["error"]
                )
        self.new_runs += len(fresh)
        return fresh

    def summary(self) -> BuildSummary:
        statuses = Counter(
            r["status"] for key, r in self.runs.items() if key[0] in self.dataset_rows
        )
        wall = time.time() - self.started
        return BuildSummary(
            datasets_done=sum(self.dataset_complete(d) for d in self.dataset_rows),
            datasets_skipped={self.spec_by_id[d].name: why for d, why in self.skipped.items()},
            runs_ok=statuses.get("ok", 0),
            runs_failed=statuses.get("failed", 0),
            runs_timeout=statuses.get("timeout", 0),
            runs_new=self.new_runs,
            wall_time=wall,
            fits_per_second=self.new_runs * self.settings.folds / wall if wall > 0 else math.nan,
        )

    # -- the loop ------------------------------------------------------------------------
    def run(
        self,
        *,
        progress: ProgressCallback | None,
        on_summary: Callable[[BuildSummary], None] | None,
    ) -> KnowledgeBase:
        self.check_plan()
        self.read_state()
        done_before = len(self.runs)
        work, total = self.work_list()
        last_save = time.monotonic()
        done = done_before
        if progress is not None:
            progress(ProgressEvent(done, total, "run"))
        for result in self._results(work):
            if isinstance(result, MetafeaturesResult):
                self.on_metafeatures(result)
                continue
            fresh = self.on_runs(result)
            if fresh and progress is not None:
                done += len(fresh)
                progress(ProgressEvent(done, total, "run", result.dataset_id))
            if self.dataset_complete(result.dataset_id):
                self.compact(result.dataset_id)
                logger.info("Finished %s.", result.dataset_id)
                if time.monotonic() - last_save >= self.settings.save_every:
                    self.current_kb(final=False).save(self.out)
                    last_save = time.monotonic()
        for dataset_id in self.dataset_rows:
            if self.dataset_complete(dataset_id):
                self.compact(dataset_id)
        kb = self.current_kb(final=True)
        kb.save(self.out)
        summary = self.summary()
        for line in summary.format().splitlines():
            logger.info(line)
        if on_summary is not None:
            on_summary(summary)
        return kb

    def _results(
        self, work: list[DatasetSpec | _Task]
    ) -> Iterator[RunsResult | MetafeaturesResult]:
        """The workers' results, in the order they finish (joblib, any backend)."""
        from joblib import Parallel, delayed, parallel_config

        if not work:
            return
        s = self.settings
        client = None
        context: Any
        if s.backend == "dask":
            client = _dask_client(s.scheduler)
            context = parallel_config(backend="dask")
        else:
            context = parallel_config(backend=s.backend) if s.backend else parallel_config()
        try:
            with context:
                parallel = Parallel(
                    n_jobs=s.n_jobs, return_as="generator_unordered", pre_dispatch="2*n_jobs"
                )
                calls = (
                    delayed(run_task)(item)
                    if isinstance(item, _Task)
                    else delayed(metafeatures_task)(item, s.seed)
                    for item in work
                )
                yield from parallel(calls)
        finally:
            if client is not None:
                client.close()


def refresh_metafeatures(
    kb_path: str | Path,
    datasets: str | Path | Sequence[DatasetSpec],
    *,
    n_jobs: int = 1,
    seed: int = 0,
    progress: ProgressCallback | bool | None = None,
) -> KnowledgeBase:
    """Recompute the meta-features of the datasets of a saved knowledge base and re-save it.

    Only datasets already in the knowledge base are recomputed; their specs come from
    ``datasets`` (matched by ``dataset_id``). The build's cache, when present, is updated too.
    ``progress`` is called as in :func:`build_knowledge_base`, counting datasets.
    """
    from joblib import Parallel, delayed

    from autometa.kb._store import KnowledgeBase

    callback = check_progress(progress, "refresh_metafeatures")
    kb_path = Path(kb_path)
    kb = KnowledgeBase.load(kb_path)
    specs = discover_datasets(datasets) if isinstance(datasets, str | Path) else list(datasets)
    present = set(kb.datasets["dataset_id"])
    chosen = [s for s in specs if s.dataset_id in present]
    missing = present - {s.dataset_id for s in chosen}
    if missing:
        logger.warning(
            "%d datasets of the knowledge base are not in the given datasets and keep their "
            "meta-features: %s", len(missing), sorted(missing)[:10],
        )  # fmt: skip
    workdir_path = kb_path.with_name(kb_path.name + ".build")
    workdir = _WorkDir(workdir_path) if workdir_path.exists() else None
    values: dict[str, dict[str, float | None]] = {}
    if callback is not None:
        callback(ProgressEvent(0, len(chosen), "dataset"))
    for result in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(metafeatures_task)(s, seed) for s in chosen
    ):
        dataset_id, mf, error = result.dataset_id, result.values, result.error
        if error:
            logger.warning("Meta-features of %s failed: %s", dataset_id, error)
        values[dataset_id] = mf
        if workdir is not None:
            workdir.write_json("metafeatures", dataset_id, {"values": mf, "error": error})
        if callback is not None:
            callback(ProgressEvent(len(values), len(chosen), "dataset", dataset_id))
    old = kb.metafeatures
    new = _metafeatures_frame(values) if values else pd.DataFrame()
    kept = old.loc[[d for d in old.index if d not in values]] if len(old) else old
    merged = pd.concat([kept, new]).sort_index().sort_index(axis=1)
    merged.index.name = "dataset_id"
    manifest = dict(kb.manifest)
    manifest["metafeatures_refreshed"] = _dt.datetime.now(_dt.timezone.utc).isoformat()
    refreshed = KnowledgeBase(
        datasets=kb.datasets,
        configurations=kb.configurations,
        runs=kb.runs,
        metafeatures=merged,
        manifest=manifest,
    )
    refreshed.save(kb_path)
    return refreshed
