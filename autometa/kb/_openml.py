"""Importing OpenML runs into a knowledge base, through openml-python.

Suite (or task list) -> tasks -> datasets (OpenML's qualities as meta-features, or the
downloaded data) -> evaluations of one measure -> their setups -> configurations of the
learner registry (:mod:`autometa.kb._flows`) -> runs.

* Scores keep their provenance (run, task, flow, setup ids, the OpenML measure); scores of
  different sources are comparable only after per-dataset normalization
  (:meth:`KnowledgeBase.normalized_matrix`). OpenML's ``area_under_roc_curve`` of a
  multiclass task is weighted by class frequency (Weka), ours is a macro average.
* openml-python caches tasks, datasets and qualities; a ledger (JSON lines) of our own keeps
  every finished task, so an interrupted import resumes where it stopped.
* Server errors are retried with exponential backoff (on top of openml-python's own
  ``connection_n_retries``); an unreachable server raises :class:`OpenMLUnavailableError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from autometa._exceptions import OpenMLUnavailableError, ParameterError
from autometa._metrics import openml_measures
from autometa.kb._flows import (
    FlowComponent,
    ParameterSetting,
    Unmappable,
    final_step_settings,
    map_flow,
    map_parameters,
)
from autometa.kb._import_runs import ImportResult, _Collector
from autometa.kb._ledger import Ledger
from autometa.learners import Configuration, Learner

__all__ = ["OPENML_MEASURES", "import_openml"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: OpenML evaluation measures -> (our metric, the task it applies to); from the metric table.
OPENML_MEASURES: dict[str, tuple[str, str]] = openml_measures()

_TASK_TYPES = {1: "classification", 2: "regression"}  # openml.tasks.TaskType values
_SETUP_BATCH = 100  # setup ids per request (URL length)

UNREACHABLE_HELP = (
    "Check the connection and run the same command again: the tasks already imported are "
    "kept in the ledger next to --out. Without a network, import the runs you have with "
    "'autometa kb import-runs FILE', or point --cache-dir to a populated openml cache."
)


def _is_connection_error(exc: BaseException) -> bool:
    import requests

    return isinstance(
        exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError)
    )


def _call(
    fn: Callable[[], T], what: str, *, retries: int, backoff: float, sleep: Callable[[float], None]
) -> T:
    """``fn()`` with retries and exponential backoff on server errors."""
    import openml

    for attempt in range(retries + 1):
        try:
            return fn()
        except openml.exceptions.OpenMLServerNoResult as exc:
            raise ParameterError(
                f"OpenML found nothing while {what} ({exc.message}). Check the id or alias."
            ) from None
        except openml.exceptions.OpenMLNotAuthorizedError:
            raise
        except openml.exceptions.OpenMLServerError as exc:
            if attempt == retries:
                raise
            delay = backoff * 2**attempt
            logger.warning("OpenML server error while %s (%s); retrying in %.1fs", what, exc, delay)
            sleep(delay)
        except Exception as exc:
            if _is_connection_error(exc):
                server = openml.config.server
                first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                raise OpenMLUnavailableError(
                    f"OpenML's server {server} is unreachable ({first}). {UNREACHABLE_HELP}"
                ) from None
            raise
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.contextmanager
def _openml_config(cache_dir: str | Path | None, server: str | None) -> Iterator[None]:
    import openml

    old_root, old_server = openml.config._root_cache_directory, openml.config.server
    try:
        if cache_dir is not None:
            openml.config.set_root_cache_directory(Path(cache_dir).expanduser())
        if server is not None:
            openml.config.server = server
        yield
    finally:
        openml.config.set_root_cache_directory(old_root)
        openml.config.server = old_server


def _resolve_flows(flows: Sequence[int | str] | None) -> tuple[list[int] | None, set[str]]:
    """Flow ids (filtered by the server) and names (learner or OpenML flow names)."""
    if not flows:
        return None, set()
    ids = [int(f) for f in flows if isinstance(f, int) or str(f).isdigit()]
    names = {str(f) for f in flows if not (isinstance(f, int) or str(f).isdigit())}
    return (ids or None), names


def _measure(metric: str) -> tuple[str, str, str]:
    if metric in OPENML_MEASURES:
        ours, task = OPENML_MEASURES[metric]
        return metric, ours, task
    for measure, (ours, task) in OPENML_MEASURES.items():
        if metric == ours:
            return measure, ours, task
    raise ParameterError(
        f"The 'metric' parameter of import_openml must be an OpenML measure of "
        f"{list(OPENML_MEASURES)} (or our name of one: "
        f"{[m for m, _ in OPENML_MEASURES.values()]}). Got {metric!r} instead."
    )


def import_openml(
    *,
    suite: int | str | None = None,
    tasks: Sequence[int] | None = None,
    flows: Sequence[int | str] | None = None,
    metric: str = "predictive_accuracy",
    max_runs_per_task: int | None = None,
    with_data: bool = False,
    cache_dir: str | Path | None = None,
    ledger: str | Path | None = None,
    server: str | None = None,
    retries: int = 3,
    backoff: float = 2.0,
    progress: Callable[[int, int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ImportResult:
    """Import the runs of OpenML tasks whose flows map onto the learner registry.

    Parameters
    ----------
    suite : int or str, optional
        A benchmark suite (id or alias, e.g. ``"OpenML-CC18"``, ``99``).
    tasks : sequence of int, optional
        Task ids (instead of, or besides, ``suite``).
    flows : sequence of int or str, optional
        Keep only these flows: OpenML flow ids (filtered by the server), OpenML flow names
        or learner names of the registry. Default: every flow that maps.
    metric : str, default="predictive_accuracy"
        An OpenML measure of :data:`OPENML_MEASURES` (or our name of one).
    max_runs_per_task : int, optional
        At most this many mappable runs per task (in the server's order).
    with_data : bool, default=False
        Download each dataset and compute every meta-feature group; otherwise OpenML's
        qualities give the ``openml`` group's meta-features (same names) without download.
    cache_dir : path, optional
        Root of openml-python's cache (default: openml-python's configured one).
    ledger : path, optional
        JSON-lines file of finished tasks; an interrupted import resumes from it.
    server : str, optional
        OpenML API URL (default: openml-python's configured server).
    retries, backoff : int, float
        Retries of a request after a server error, waiting ``backoff * 2**attempt`` s.
    progress : callable, optional
        Called as ``progress(done, total, task_id)`` after each task.
    sleep : callable
        Used for the backoff (tests pass a no-op).

    Returns
    -------
    ImportResult
        The tables (``source="openml"``, configurations of origin ``openml``) and the runs
        that could not be mapped, counted by reason.

    Raises
    ------
    OpenMLUnavailableError
        If OpenML's server cannot be reached.
    ParameterError
        For an unknown metric, no tasks, or a negative ``max_runs_per_task``.
    """
    measure, ours, measure_task = _measure(metric)
    if suite is None and not tasks:
        raise ParameterError(
            "import_openml needs a suite or task ids. Got neither; pass suite=99 "
            "(or an alias such as 'OpenML-CC18') or tasks=[...]."
        )
    if max_runs_per_task is not None and max_runs_per_task < 1:
        raise ParameterError(
            "The 'max_runs_per_task' parameter of import_openml must be an int >= 1 or None. "
            f"Got {max_runs_per_task!r} instead."
        )
    flow_ids, flow_names = _resolve_flows(flows)
    options = {
        "measure": measure,
        "flows": sorted(map(str, flows or [])),
        "max_runs_per_task": max_runs_per_task,
        "with_data": with_data,
    }
    key = hashlib.sha1(json.dumps(options, sort_keys=True).encode()).hexdigest()[:12]
    book = Ledger(Path(ledger) if ledger is not None else None, key, "task_id")
    collector = _Collector(source="openml", origin="openml")

    import openml

    with _openml_config(cache_dir, server):
        kw: dict[str, Any] = {"retries": retries, "backoff": backoff, "sleep": sleep}
        task_ids = list(dict.fromkeys(int(t) for t in (tasks or [])))
        if suite is not None:
            s = _call(lambda: openml.study.get_suite(suite), f"getting suite {suite}", **kw)
            task_ids = list(dict.fromkeys([*(s.tasks or []), *task_ids]))
        finished = book.done()
        for i, tid in enumerate(task_ids):
            chunk = finished.get(tid)
            if chunk is None:
                chunk = _import_task(
                    tid,
                    measure,
                    ours,
                    measure_task,
                    flow_ids,
                    flow_names,
                    max_runs_per_task,
                    with_data,
                    kw,
                )
                book.record(chunk)
            else:
                logger.info("task %d: taken from the ledger", tid)
            _ingest(collector, chunk)
            if progress is not None:
                progress(i + 1, len(task_ids), tid)
        info = {
            "source": "openml",
            "server": openml.config.server,
            "suite": suite,
            "tasks": task_ids,
            **options,
            "metric": ours,
        }
    return collector.result(info)


def _ingest(collector: _Collector, chunk: dict[str, Any]) -> None:
    for reason, count in chunk["skipped"].items():
        collector.skip(reason, chunk["examples"].get(reason, ""), count)
    if chunk.get("dataset") is None:
        return
    collector.add_dataset(chunk["dataset"], chunk["metafeatures"])
    for r in chunk["runs"]:
        collector.add_run(
            chunk["dataset"]["dataset_id"],
            Configuration(r["learner"], r["params"]),
            r["metric"],
            r["value"],
            n_folds=r["n_folds"],
            provenance=r["provenance"],
        )


def _dataset_row(dataset: Any, task_kind: str, qualities: dict[str, float]) -> dict[str, Any]:
    def q(name: str) -> float:
        v = qualities.get(name, math.nan)
        return float(v) if v is not None else math.nan

    n_rows, n_feat, n_cls = q("NumberOfInstances"), q("NumberOfFeatures"), q("NumberOfClasses")
    return {
        "dataset_id": f"openml/{dataset.dataset_id}",
        "name": str(dataset.name),
        "source": "openml",
        "task": task_kind,
        "n_rows": int(n_rows) if not math.isnan(n_rows) else 0,
        "n_features": int(n_feat) - 1 if not math.isnan(n_feat) else 0,  # OpenML counts y
        "n_classes": (int(n_cls) if not math.isnan(n_cls) else 0)
        if task_kind == "classification"
        else 0,
        "family": str(dataset.name),
        "openml_id": int(dataset.dataset_id),
    }


def _metafeatures(dataset: Any, task: Any, task_kind: str, with_data: bool) -> dict[str, float]:
    import metafeatures

    if with_data:
        X, y, _, _ = dataset.get_data(target=task.target_name, dataset_format="dataframe")
        values = metafeatures.extract(X, y, task=task_kind, groups="all")
        return {str(k): float(v) for k, v in values.items()}
    names = set(metafeatures.openml_quality_names())
    return {
        k: float(v) if v is not None else math.nan
        for k, v in (dataset.qualities or {}).items()
        if k in names
    }


def _import_task(
    tid: int,
    measure: str,
    ours: str,
    measure_task: str,
    flow_ids: list[int] | None,
    flow_names: set[str],
    max_runs: int | None,
    with_data: bool,
    kw: dict[str, Any],
) -> dict[str, Any]:
    """Everything one task contributes, as a JSON-serializable chunk for the ledger."""
    import openml

    chunk: dict[str, Any] = {"task_id": tid, "skipped": {}, "examples": {}, "runs": []}

    def skip(reason: str, detail: str, count: int = 1) -> None:
        chunk["skipped"][reason] = chunk["skipped"].get(reason, 0) + count
        chunk["examples"].setdefault(reason, detail)

    task = _call(
        lambda: openml.tasks.get_task(
            tid,
            download_splits=False,
            download_data=False,
            download_qualities=True,
            download_features_meta_data=True,
        ),
        f"getting task {tid}",
        **kw,
    )
    type_id = int(getattr(task.task_type_id, "value", task.task_type_id))  # type: ignore[arg-type]
    task_kind = _TASK_TYPES.get(type_id)
    evals = _call(
        lambda: openml.evaluations.list_evaluations(  # type: ignore[call-overload]
            function=measure,
            tasks=[tid],
            flows=flow_ids,
            size=None,
            output_format="dataframe",
        ),
        f"listing the evaluations of task {tid}",
        **kw,
    )
    n_evals = len(evals)
    if task_kind is None:
        skip("unsupported task type", f"task {tid}: {task.task_type}", max(n_evals, 1))
        return {**chunk, "dataset": None}
    dataset = _call(
        lambda: openml.datasets.get_dataset(
            task.dataset_id,
            download_data=with_data,
            download_qualities=True,
            download_features_meta_data=True,
        ),
        f"getting dataset {task.dataset_id}",
        **kw,
    )
    qualities = dict(dataset.qualities or {})
    chunk["dataset"] = _dataset_row(dataset, task_kind, qualities)
    chunk["metafeatures"] = _metafeatures(dataset, task, task_kind, with_data)
    if n_evals == 0:
        return chunk
    if measure_task != task_kind:
        skip("metric not available", f"{measure} on {task_kind} task {tid}", n_evals)
        return chunk
    est = task.estimation_procedure.get("parameters") or {}
    n_folds = int(est.get("number_folds") or 1) * int(est.get("number_repeats") or 1)

    # 1. map flow names (no request), keep the runs that may map, up to max_runs
    flows: dict[str, tuple[Learner, FlowComponent] | Unmappable] = {}
    candidates: list[tuple[Any, Learner, FlowComponent]] = []
    for row in evals.itertuples(index=False):
        name = str(row.flow_name)
        if name not in flows:
            try:
                flows[name] = map_flow(name)
            except Unmappable as exc:
                flows[name] = exc
        mapped = flows[name]
        if isinstance(mapped, Unmappable):
            skip(mapped.reason, f"run {row.run_id}: {mapped.detail}")
            continue
        learner, component = mapped
        if flow_names and not ({learner.name, name, _base(name)} & flow_names):
            continue  # not asked for: filtered, not unmapped
        if learner.task != task_kind:
            skip("dataset task mismatch", f"run {row.run_id}: {learner.name} on {task_kind}")
            continue
        if row.value is None or (isinstance(row.value, float) and math.isnan(row.value)):
            skip("metric not available", f"run {row.run_id}: no {measure}")
            continue
        if max_runs is not None and len(candidates) >= max_runs:
            skip("beyond max runs per task", f"task {tid}: limit {max_runs}")
            continue
        candidates.append((row, learner, component))

    # 2. their setups, in batches
    setup_ids = sorted({int(row.setup_id) for row, _, _ in candidates})
    setups: dict[int, Any] = {}
    for start in range(0, len(setup_ids), _SETUP_BATCH):
        batch = setup_ids[start : start + _SETUP_BATCH]
        setups.update(
            _call(
                lambda b=batch: openml.setups.list_setups(setup=b, output_format="object"),  # type: ignore[misc]
                f"listing setups of task {tid}",
                **kw,
            )
        )

    # 3. map parameters
    configs: dict[int, Configuration | Unmappable] = {}
    for row, learner, component in candidates:
        sid = int(row.setup_id)
        if sid not in configs:
            configs[sid] = _setup_configuration(setups.get(sid), learner, component)
        config = configs[sid]
        if isinstance(config, Unmappable):
            skip(config.reason, f"run {row.run_id}: {config.detail}")
            continue
        chunk["runs"].append(
            {
                "learner": config.learner,
                "params": dict(config.params),
                "metric": ours,
                "value": float(row.value),
                "n_folds": n_folds,
                "provenance": {
                    "run_id": int(row.run_id),
                    "task_id": tid,
                    "flow_id": int(row.flow_id),
                    "flow_name": str(row.flow_name),
                    "setup_id": sid,
                    "data_id": int(row.data_id),
                    "evaluation_measure": measure,
                    "estimation_procedure": task.estimation_procedure.get("type"),
                    "upload_time": str(row.upload_time),
                },
            }
        )
    logger.info("task %d: %d of %d runs imported", tid, len(chunk["runs"]), n_evals)
    return chunk


def _base(name: str) -> str:
    from autometa.kb._flows import _strip_version

    return _strip_version(name)


def _setup_configuration(
    setup: Any, learner: Learner, component: FlowComponent
) -> Configuration | Unmappable:
    if setup is None:
        return Unmappable("missing setup", "the server returned no such setup")
    settings = [
        ParameterSetting(
            flow_name=p.flow_name,
            parameter_name=p.parameter_name,
            value=p.value,
            default_value=p.default_value,
            flow_id=p.flow_id,
        )
        for p in (setup.parameters or {}).values()
    ]
    try:
        return map_parameters(learner, final_step_settings(settings, component))
    except Unmappable as exc:
        return exc
