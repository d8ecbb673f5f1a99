"""Evaluating configurations on a dataset: the build protocol of every stored run.

- **Fair comparison**: a dataset is subsampled once (stratified for classification,
  deterministic with ``seed``) and every configuration sees the same CV splits
  (``StratifiedKFold``/``KFold`` with shuffling seeded by ``seed``). Classes with fewer
  members than folds are dropped (listed in each run's provenance); a dataset left with fewer
  than two classes, or fewer than ``2 * folds`` rows, is skipped with its reason.
- **Scores**: :func:`autometa._metrics.protocol_scoring`, the metrics of the metric table.
- **Time limit per fit**: in a process's main thread (loky, multiprocessing, sequential runs)
  a ``SIGALRM`` timer interrupts the fit; the interruption happens when the fit returns to
  Python code, so a fit spending its time in one compiled call (libsvm) is stopped only when
  that call returns. Where signals cannot be used (threads, Dask worker threads) the limit is
  applied after the fact: a fit that took longer is recorded as ``timeout``.
- **Failures are records**: a configuration that fails or times out gives a run with status
  ``failed``/``timeout`` and the reason, never an exception.

Workers call :func:`run_task` and :func:`metafeatures_task`; their results are the named
:class:`RunsResult` and :class:`MetafeaturesResult`.
"""

from __future__ import annotations

import json
import logging
import math
import signal
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from autometa._exceptions import DataError
from autometa._metrics import protocol_scoring
from autometa.kb._datasets import DatasetSpec, load_dataset
from autometa.kb._schema import METRICS, metrics_for
from autometa.learners import Configuration
from metafeatures import stratified_subsample

__all__ = [
    "PROTOCOL_VERSION",
    "MetafeaturesResult",
    "RunsResult",
    "compute_metafeatures",
    "evaluate_configuration",
]

logger = logging.getLogger(__name__)

# Version of the evaluation protocol (subsampling, splits, metrics). Runs of different
# protocols are not comparable; a build cannot be resumed across versions.
PROTOCOL_VERSION = 1
_METRIC_NAMES = tuple(METRICS)


class _FitTimeout(Exception):
    """Raised inside a fit by the SIGALRM timer."""


# --------------------------------------------------------------------------------------------
# Preparing a dataset: subsample, drop tiny classes, splits (identical in every worker).
@dataclass(frozen=True)
class _Prepared:
    X: pd.DataFrame | None
    y: np.ndarray | None
    splits: tuple[tuple[np.ndarray, np.ndarray], ...]
    task: str
    row: dict[str, Any]  # the dataset's row of the ``datasets`` table
    info: dict[str, Any]  # provenance shared by its runs
    skip: str = ""  # why the dataset is skipped, or ""


def _subsample_positions(y: np.ndarray | None, n: int, max_rows: int, folds: int, seed: int):
    """Sorted positions of the protocol's deterministic subsample (stratified when ``y`` is
    given; every class keeps at least ``min(count, folds)`` rows): metafeatures'
    :func:`~metafeatures.stratified_subsample`. Changing it changes every run: bump
    :data:`PROTOCOL_VERSION` with it."""
    return stratified_subsample(n, max_rows, y, min_per_class=folds, random_state=seed)


def _prepare(spec: DatasetSpec, *, folds: int, max_rows: int | None, seed: int) -> _Prepared:
    from sklearn.model_selection import KFold, StratifiedKFold

    try:
        X, y_raw, task = load_dataset(spec)
    except (DataError, OSError) as exc:
        return _Prepared(None, None, (), spec.task, {}, {}, skip=f"unreadable: {exc}")
    n_rows, n_features = X.shape
    n_classes = int(y_raw.nunique()) if task == "classification" else 0
    row = {
        "dataset_id": spec.dataset_id,
        "name": spec.name,
        "source": spec.source,
        "task": task,
        "n_rows": int(n_rows),
        "n_features": int(n_features),
        "n_classes": n_classes,
        "family": spec.family or spec.name,
        "openml_id": spec.openml_id,
    }
    info: dict[str, Any] = {"folds": folds, "seed": seed, "max_rows": max_rows}
    if task == "classification":
        classes, codes = np.unique(y_raw.astype(str).to_numpy(), return_inverse=True)
        y: np.ndarray = codes.astype(np.int64)
    else:
        y = pd.to_numeric(y_raw, errors="coerce").to_numpy(dtype=np.float64)
        if not np.isfinite(y).all():
            return _Prepared(None, None, (), task, row, info, skip="non-numeric regression target")
    if n_features == 0:
        return _Prepared(None, None, (), task, row, info, skip="no features")
    positions = None
    if max_rows is not None and n_rows > max_rows:
        positions = _subsample_positions(
            y if task == "classification" else None, n_rows, max_rows, folds, seed
        )
    if task == "classification":
        if positions is None:
            positions = np.arange(n_rows)
        counts = np.bincount(y[positions], minlength=len(classes))
        small = counts < folds
        if small.any():
            info["dropped_classes"] = [str(c) for c in classes[small & (counts > 0)]]
            positions = positions[~small[y[positions]]]
        if int((counts >= folds).sum()) < 2:
            return _Prepared(None, None, (), task, row, info, skip="fewer than 2 classes")
    if positions is not None:
        X = X.iloc[positions].reset_index(drop=True)
        y = y[positions]
        info["n_rows_used"] = int(len(y))
    if task == "classification":
        y = np.unique(y, return_inverse=True)[1].astype(np.int64)  # contiguous codes
    if len(y) < 2 * folds:
        return _Prepared(None, None, (), task, row, info, skip=f"fewer than {2 * folds} rows")
    if task == "classification":
        cv: Any = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    else:
        cv = KFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = tuple((tr, te) for tr, te in cv.split(np.zeros(len(y)), y))
    return _Prepared(X, y, splits, task, row, info)


_CACHE: dict[tuple, _Prepared] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 2


def _prepared(spec: DatasetSpec, folds: int, max_rows: int | None, seed: int) -> _Prepared:
    """:func:`_prepare` with a small per-process cache (workers reuse loaded datasets)."""
    key = (spec, folds, max_rows, seed)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit
    value = _prepare(spec, folds=folds, max_rows=max_rows, seed=seed)
    with _CACHE_LOCK:
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
    return value


# --------------------------------------------------------------------------------------------
# Evaluating one configuration.
def _signals_usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _on_alarm(signum: int, frame: Any) -> None:  # pragma: no cover - called by the OS
    raise _FitTimeout


class _FitRecorder(threading.local):
    """The fit and score times of the folds of the evaluation running in this thread, so
    that a run that fails or times out part-way still records the folds that ran (scikit-
    learn's ``cross_validate`` returns nothing when a fold raises)."""

    def __init__(self) -> None:
        self.fit_times: list[float] = []
        self.score_times: list[float] = []

    def reset(self) -> None:
        self.fit_times, self.score_times = [], []


_RECORDER = _FitRecorder()


class _TimeLimitedPipeline(Pipeline):
    """A :class:`~sklearn.pipeline.Pipeline` whose ``fit`` stops after ``time_limit``
    seconds (``SIGALRM`` where usable, else checked after the fit) by raising
    :class:`_FitTimeout`, and records its time in :data:`_RECORDER`."""

    def __init__(
        self,
        steps: Any,
        *,
        time_limit: float | None = None,
        transform_input: Any = None,
        memory: Any = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(steps, transform_input=transform_input, memory=memory, verbose=verbose)
        self.time_limit = time_limit

    def fit(self, X: Any, y: Any = None, **params: Any) -> _TimeLimitedPipeline:
        time_limit = self.time_limit
        use_alarm = time_limit is not None and _signals_usable()
        previous = None
        start = time.perf_counter()
        if use_alarm and time_limit is not None:
            previous = signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, float(time_limit))
        try:
            super().fit(X, y, **params)
        except _FitTimeout:
            _RECORDER.fit_times.append(time.perf_counter() - start)
            raise
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
        elapsed = time.perf_counter() - start
        _RECORDER.fit_times.append(elapsed)
        if time_limit is not None and elapsed > time_limit:
            raise _FitTimeout
        return self


def _run_record(dataset_id: str, config_id: str, **values: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"dataset_id": dataset_id, "config_id": config_id}
    for name in _METRIC_NAMES:
        record[name] = values.get(name, math.nan)
    record.update(
        fit_time=values.get("fit_time", math.nan),
        predict_time=values.get("predict_time", math.nan),
        n_folds=int(values.get("n_folds", 0)),
        n_rows_used=values.get("n_rows_used"),
        n_train_rows=values.get("n_train_rows"),
        status=values.get("status", "ok"),
        error=values.get("error", ""),
        source=values.get("source", "runner"),
        provenance=values.get("provenance", "{}"),
    )
    return record


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")[:500]


def _evaluate(prep: _Prepared, config: Configuration, time_limit: float | None) -> dict:
    """Cross-validate ``config`` on the prepared dataset; a row of the ``runs`` table.

    :func:`sklearn.model_selection.cross_validate` on the dataset's fixed splits with the
    protocol's scoring (:func:`autometa._metrics.protocol_scoring`), sequentially in this
    thread. ``error_score="raise"``: the first failing fold ends the evaluation, which is
    recorded as ``failed`` (or ``timeout``) with its reason, never raised.
    """
    from joblib import parallel_config
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import cross_validate

    if prep.X is None or prep.y is None:
        raise DataError(f"The dataset '{prep.row.get('dataset_id')}' is skipped: {prep.skip}.")
    n_classes = int(prep.y.max()) + 1 if prep.task == "classification" else 0
    pipe = config.make_pipeline(random_state=prep.info["seed"])
    estimator = _TimeLimitedPipeline(pipe.steps, time_limit=time_limit)
    score = protocol_scoring(prep.task, n_classes)

    def timed_score(fitted: Any, X: Any, y: Any) -> dict[str, float]:
        start = time.perf_counter()
        values = score(fitted, X, y)
        _RECORDER.score_times.append(time.perf_counter() - start)
        return values

    status, error = "ok", ""
    results: dict[str, Any] = {}
    n_warnings: Counter[str] = Counter()
    _RECORDER.reset()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with parallel_config(backend="sequential"):
                results = cross_validate(
                    estimator,
                    prep.X,
                    prep.y,
                    cv=list(prep.splits),
                    scoring=timed_score,
                    error_score="raise",
                )
        except _FitTimeout:
            status, error = "timeout", f"a fit exceeded the time limit of {time_limit:g} s"
        except Exception as exc:  # any failure of a configuration is recorded, never raised
            status, error = "failed", _first_line(exc)
    fit_times, score_times = list(_RECORDER.fit_times), list(_RECORDER.score_times)
    _RECORDER.reset()
    for w in caught:
        kind = "convergence" if issubclass(w.category, ConvergenceWarning) else "other"
        n_warnings[kind] += 1
    provenance = dict(prep.info)
    if n_warnings:
        provenance["warnings"] = dict(sorted(n_warnings.items()))
    values: dict[str, Any] = {}
    if status == "ok":
        for name in metrics_for(prep.task):
            column = np.asarray(results[f"test_{name}"], dtype=np.float64)
            values[name] = float(np.mean(column)) if np.isfinite(column).any() else math.nan
            if np.isfinite(column).any() and not np.isfinite(column).all():
                values[name] = float(np.nanmean(column))
                provenance.setdefault("nan_folds", {})[name] = int((~np.isfinite(column)).sum())
    return _run_record(
        prep.row["dataset_id"],
        config.config_id,
        **values,
        fit_time=float(np.mean(fit_times)) if fit_times else math.nan,
        predict_time=float(np.mean(score_times)) if score_times else math.nan,
        n_folds=len(prep.splits),
        n_rows_used=len(prep.y),
        n_train_rows=round(float(np.mean([len(train) for train, _ in prep.splits]))),
        status=status,
        error=error,
        provenance=json.dumps(provenance, sort_keys=True, separators=(",", ":")),
    )


def evaluate_configuration(
    spec: DatasetSpec,
    config: Configuration,
    *,
    folds: int = 5,
    max_rows: int | None = None,
    seed: int = 0,
    time_limit: float | None = None,
) -> dict[str, Any]:
    """Cross-validate one configuration on one dataset; a row of the ``runs`` table.

    Failures and timeouts are returned as runs with ``status`` ``failed``/``timeout``
    and the reason in ``error``, never raised.

    Raises
    ------
    DataError
        If the dataset is skipped (unreadable, too few rows, fewer than 2 classes).
    """
    prep = _prepared(spec, folds, max_rows, seed)
    if prep.skip:
        raise DataError(f"The dataset '{spec.dataset_id}' cannot be evaluated: {prep.skip}.")
    return _evaluate(prep, config, time_limit)


@dataclass(frozen=True)
class RunsResult:
    """What a worker returns for a chunk of configurations on one dataset."""

    dataset_id: str
    row: dict[str, Any]  # the dataset's row of the ``datasets`` table ({} if unreadable)
    records: list[dict[str, Any]]  # rows of the ``runs`` table
    skip: str = ""  # why the dataset is skipped, or ""


@dataclass(frozen=True)
class MetafeaturesResult:
    """What a worker returns for the meta-features of one dataset."""

    dataset_id: str
    values: dict[str, float | None]  # None where not finite
    error: str = ""  # why the extraction failed, or ""


@dataclass(frozen=True)
class _Task:
    spec: DatasetSpec
    configs: tuple[tuple[str, str], ...]  # (learner, params_json)
    folds: int
    max_rows: int | None
    seed: int
    time_limit: float | None


def run_task(task: _Task) -> RunsResult:
    """Worker side: the runs of a chunk of configurations on one dataset."""
    from joblib import parallel_config
    from threadpoolctl import threadpool_limits

    # Sequential inner joblib calls (ColumnTransformer, ...): on a Dask worker they would
    # otherwise be sent back to the cluster and wait for the busy worker threads forever.
    with threadpool_limits(limits=1), parallel_config(backend="sequential"):
        prep = _prepared(task.spec, task.folds, task.max_rows, task.seed)
        if prep.skip:
            return RunsResult(task.spec.dataset_id, prep.row, [], prep.skip)
        configs = [Configuration.from_json(learner, params) for learner, params in task.configs]
        records = [_evaluate(prep, c, task.time_limit) for c in configs if c.task == prep.task]
    return RunsResult(task.spec.dataset_id, prep.row, records)


# --------------------------------------------------------------------------------------------
# Meta-features: one cached step per dataset.
def compute_metafeatures(spec: DatasetSpec, *, random_state: int = 0) -> pd.Series:
    """The meta-features of a dataset, computed on its full data.

    This is the one function the runner and ``autometa kb refresh-metafeatures`` call, so
    that meta-features can be recomputed alone when :mod:`metafeatures` improves.

    Returns
    -------
    Series
        Float meta-features named by :mod:`metafeatures`; empty if the package is missing.
    """
    try:
        import metafeatures
    except ImportError:  # pragma: no cover - the package ships with autometa
        logger.warning("The metafeatures package cannot be imported; no meta-features stored.")
        return pd.Series(dtype=np.float64)
    from joblib import parallel_config
    from threadpoolctl import threadpool_limits

    X, y, task = load_dataset(spec)
    with (
        threadpool_limits(limits=1),
        parallel_config(backend="sequential"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        values = metafeatures.extract(X, y, task=task, random_state=random_state)
    return pd.Series(values, dtype=np.float64)


def metafeatures_task(spec: DatasetSpec, seed: int) -> MetafeaturesResult:
    """Worker side: the meta-features of one dataset; a failure is returned, not raised."""
    try:
        series = compute_metafeatures(spec, random_state=seed)
    except Exception as exc:  # a failing extraction must not stop a build
        return MetafeaturesResult(spec.dataset_id, {}, _first_line(exc))
    values = {str(k): (None if not np.isfinite(v) else float(v)) for k, v in series.items()}
    return MetafeaturesResult(spec.dataset_id, values)
