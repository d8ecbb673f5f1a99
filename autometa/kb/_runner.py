"""The local runner: evaluates a pool of configurations on datasets with cross-validation.

Every configuration of the pool (per learner: the default plus quasi-random samples of its
space) is evaluated on every dataset of its task, giving a dense ``runs`` table.

How it works
------------
- **Work directory** ``<out>.build/`` holds the state of a build:

  ``plan.json``
      the settings and the pool's config ids; resuming with other settings is an error
      naming the difference.
  ``journal.jsonl``
      an append-only journal of finished runs (one JSON object per line, flushed and
      fsynced after each task). On restart a torn last line is ignored; the key
      ``(dataset_id, config_id)`` deduplicates.
  ``datasets/<id>.json``
      per dataset, its row of the ``datasets`` table, or why it was skipped.
  ``metafeatures/<id>.json``
      per dataset, its meta-features (the cached result of :func:`compute_metafeatures`).
  ``runs/<id>.parquet``
      the runs of each finished dataset, sorted by ``config_id``: compact, deterministic
      files meant to be committed during a long build.
  ``build.log``
      the log of the build.

- **Parallelism**: tasks ``(dataset, chunk of configurations)`` go through
  :class:`joblib.Parallel` with ``return_as="generator_unordered"``, so any joblib backend
  works (``loky`` by default; ``dask`` for a Dask cluster). Workers read each dataset from
  its path themselves and keep the last ones in a per-process cache. Fits are
  single-threaded (``n_jobs=1`` in the registry, ``threadpoolctl`` limits in workers). The
  main process is the only writer.
- **Fair comparison**: a dataset is subsampled once (stratified for classification,
  deterministic with ``seed``) and every configuration sees the same CV splits
  (``StratifiedKFold``/``KFold`` with shuffling seeded by ``seed``). Classes with fewer
  members than folds are dropped (listed in each run's provenance); a dataset left with fewer
  than two classes, or fewer than ``2 * folds`` rows, is skipped with its reason.
- **Time limit per fit**: in a process's main thread (loky, multiprocessing, sequential runs)
  a ``SIGALRM`` timer interrupts the fit; the interruption happens when the fit returns to
  Python code, so a fit spending its time in one compiled call (libsvm) is stopped only when
  that call returns. Where signals cannot be used (threads, Dask worker threads) the limit is
  applied after the fact: a fit that took longer is recorded as ``timeout``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import logging
import math
import os
import platform
import signal
import sys
import threading
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
from autometa._metrics import protocol_scoring
from autometa.kb._datasets import DatasetSpec, discover_datasets, load_dataset
from autometa.kb._schema import DATASET_COLUMNS, METRICS, RUN_COLUMNS, metrics_for
from autometa.learners import Configuration, learners_for

if TYPE_CHECKING:
    from autometa.kb._store import KnowledgeBase

__all__ = [
    "BuildSummary",
    "build_knowledge_base",
    "compute_metafeatures",
    "evaluate_configuration",
    "refresh_metafeatures",
]

logger = logging.getLogger(__name__)

PLAN_VERSION = 1
# Version of the evaluation protocol (subsampling, splits, metrics). Runs of different
# protocols are not comparable; a build cannot be resumed across versions.
PROTOCOL_VERSION = 1
# Settings that change the values of runs: resuming with other values is an error.
_PLAN_KEYS = (
    "protocol",
    "configs_per_learner",
    "folds",
    "max_rows",
    "seed",
    "time_limit",
    "learners",
)
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
    """Sorted positions of a deterministic subsample (stratified when ``y`` is given).

    Each class keeps ``floor(count * max_rows / n)`` rows (at least ``min(count, folds)``),
    so a stratified subsample has between ``max_rows - n_classes`` and about ``max_rows``
    rows. Changing this changes every run: bump :data:`PROTOCOL_VERSION` with it.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    if y is None:
        return np.sort(order[:max_rows])
    keys = y[order]
    counts = np.bincount(keys)
    take = np.floor(counts * (max_rows / n)).astype(np.int64)
    take = np.maximum(take, np.minimum(counts, folds))  # keep small classes usable
    by_class = order[np.argsort(keys, kind="stable")]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.sort(np.concatenate([by_class[s : s + t] for s, t in zip(starts, take)]))


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


def _timed_fit(pipe: Any, X: pd.DataFrame, y: np.ndarray, time_limit: float | None) -> float:
    use_alarm = time_limit is not None and _signals_usable()
    previous = None
    start = time.perf_counter()
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, float(time_limit))
    try:
        pipe.fit(X, y)
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - start
    if time_limit is not None and elapsed > time_limit:
        raise _FitTimeout
    return elapsed


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
    from sklearn.exceptions import ConvergenceWarning

    assert prep.X is not None and prep.y is not None  # callers check prep.skip
    n_classes = int(prep.y.max()) + 1 if prep.task == "classification" else 0
    score = protocol_scoring(prep.task, n_classes)
    fold_values: list[dict[str, float]] = []
    fit_times: list[float] = []
    predict_times: list[float] = []
    status, error = "ok", ""
    n_warnings = Counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for train, test in prep.splits:
                pipe = config.make_pipeline(random_state=prep.info["seed"])
                fit_start = time.perf_counter()
                try:
                    fit_times.append(
                        _timed_fit(pipe, prep.X.iloc[train], prep.y[train], time_limit)
                    )
                except _FitTimeout:
                    fit_times.append(time.perf_counter() - fit_start)
                    raise
                start = time.perf_counter()
                fold_values.append(score(pipe, prep.X.iloc[test], prep.y[test]))
                predict_times.append(time.perf_counter() - start)
        except _FitTimeout:
            status, error = "timeout", f"a fit exceeded the time limit of {time_limit:g} s"
        except Exception as exc:  # any failure of a configuration is recorded, never raised
            status, error = "failed", _first_line(exc)
    for w in caught:
        kind = "convergence" if issubclass(w.category, ConvergenceWarning) else "other"
        n_warnings[kind] += 1
    provenance = dict(prep.info)
    if n_warnings:
        provenance["warnings"] = dict(sorted(n_warnings.items()))
    values: dict[str, Any] = {}
    if status == "ok":
        for name in metrics_for(prep.task):
            column = np.array([f.get(name, math.nan) for f in fold_values], dtype=np.float64)
            values[name] = float(np.mean(column)) if np.isfinite(column).any() else math.nan
            if np.isfinite(column).any() and not np.isfinite(column).all():
                values[name] = float(np.nanmean(column))
                provenance.setdefault("nan_folds", {})[name] = int((~np.isfinite(column)).sum())
    return _run_record(
        prep.row["dataset_id"],
        config.config_id,
        **values,
        fit_time=float(np.mean(fit_times)) if fit_times else math.nan,
        predict_time=float(np.mean(predict_times)) if predict_times else math.nan,
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
class _Task:
    spec: DatasetSpec
    configs: tuple[tuple[str, str], ...]  # (learner, params_json)
    folds: int
    max_rows: int | None
    seed: int
    time_limit: float | None


def _run_task(task: _Task) -> tuple[str, dict[str, Any], list[dict[str, Any]], str]:
    """Worker side: ``(dataset_id, dataset row, run records, skip reason)``."""
    from joblib import parallel_config
    from threadpoolctl import threadpool_limits

    # Sequential inner joblib calls (ColumnTransformer, ...): on a Dask worker they would
    # otherwise be sent back to the cluster and wait for the busy worker threads forever.
    with threadpool_limits(limits=1), parallel_config(backend="sequential"):
        prep = _prepared(task.spec, task.folds, task.max_rows, task.seed)
        if prep.skip:
            return task.spec.dataset_id, prep.row, [], prep.skip
        configs = [Configuration.from_json(learner, params) for learner, params in task.configs]
        records = [_evaluate(prep, c, task.time_limit) for c in configs if c.task == prep.task]
    return task.spec.dataset_id, prep.row, records, ""


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


def _metafeatures_task(spec: DatasetSpec, seed: int) -> tuple[str, dict[str, float | None], str]:
    try:
        series = compute_metafeatures(spec, random_state=seed)
    except Exception as exc:  # a failing extraction must not stop a build
        return spec.dataset_id, {}, _first_line(exc)
    values = {str(k): (None if not np.isfinite(v) else float(v)) for k, v in series.items()}
    return spec.dataset_id, values, ""


# --------------------------------------------------------------------------------------------
# The work directory.
def _safe_name(dataset_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "__" for c in dataset_id)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(type(value).__name__)


def _clean_record(record: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()
    }


class _WorkDir:
    """The state of a build on disk; only the main process writes to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        for sub in ("datasets", "metafeatures", "runs"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        self.journal_path = path / "journal.jsonl"
        self._journal: Any = None
        self._lock: Any = None

    def lock(self) -> None:
        """Hold ``lock`` in the work directory until :meth:`close`: one build per ``out``."""
        lock_path = self.path / "lock"
        handle = lock_path.open("a+")
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks, no check
            self._lock = handle
            return
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise KnowledgeBaseError(
                f"Another build is running on '{self.path}' (process {holder}). Wait for it to "
                "finish, stop it, or give another --out."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock = handle

    # plan
    def check_plan(self, plan: dict[str, Any]) -> None:
        plan_path = self.path / "plan.json"
        if plan_path.exists():
            old = json.loads(plan_path.read_text())
            old.setdefault("protocol", 1)  # plans written before the key existed
            differences = [
                f"{key}: {old.get(key)!r} before, {plan.get(key)!r} now"
                for key in _PLAN_KEYS
                if old.get(key) != plan.get(key)
            ]
            if old.get("assignment") != plan.get("assignment"):
                differences.append("assignment: the configurations planned per dataset differ")
            for key in ("datasets", "configurations"):
                before, now = old.get(key) or [], plan.get(key) or []
                if before != now:
                    added = [x for x in now if x not in set(before)]
                    removed = [x for x in before if x not in set(now)]
                    differences.append(
                        f"{key}: {len(before)} before, {len(now)} now "
                        f"(added {added[:3]}{'...' if len(added) > 3 else ''}, "
                        f"removed {removed[:3]}{'...' if len(removed) > 3 else ''})"
                    )
            if differences:
                shown = "; ".join(differences)
                raise KnowledgeBaseError(
                    f"Cannot resume the build in '{self.path}': its settings differ ({shown}). "
                    "Resume with the same settings, or give another --out (or delete the "
                    "work directory) to start a new build."
                )
            return
        _write_atomic(plan_path, json.dumps(plan, indent=1, sort_keys=True))

    # journal
    def read_journal(self) -> dict[tuple[str, str], dict[str, Any]]:
        runs: dict[tuple[str, str], dict[str, Any]] = {}
        for sub in sorted((self.path / "runs").glob("*.parquet")):
            for record in pd.read_parquet(sub).to_dict("records"):
                runs.setdefault((record["dataset_id"], record["config_id"]), record)
        if not self.journal_path.exists():
            return runs
        lines = self.journal_path.read_bytes().split(b"\n")
        torn = 0
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                torn += 1
                if i != len(lines) - 1:
                    logger.warning("Ignoring a malformed line %d of %s.", i + 1, self.journal_path)
                continue
            runs.setdefault((record["dataset_id"], record["config_id"]), record)
        if lines and lines[-1].strip():  # torn last line: cut it so appends start cleanly
            with self.journal_path.open("ab") as fh:
                fh.write(b"\n")
        if torn:
            logger.info("Ignored %d torn journal line(s).", torn)
        return runs

    def append_line(self, value: dict[str, Any]) -> None:
        """Append one JSON object to the journal (flushed and fsynced)."""
        if self._journal is None:
            self._journal = self.journal_path.open("a")
        self._journal.write(json.dumps(value, default=_json_default) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def write_json_file(self, path: Path, value: dict[str, Any]) -> None:
        _write_atomic(path, json.dumps(value, indent=1, sort_keys=True, default=_json_default))

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        if self._journal is None:
            self._journal = self.journal_path.open("a")
        for record in records:
            self._journal.write(json.dumps(_clean_record(record), default=_json_default) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    # per-dataset files
    def _item(self, kind: str, dataset_id: str, suffix: str = ".json") -> Path:
        return self.path / kind / f"{_safe_name(dataset_id)}{suffix}"

    def read_json(self, kind: str, dataset_id: str) -> dict[str, Any] | None:
        path = self._item(kind, dataset_id)
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            return None

    def write_json(self, kind: str, dataset_id: str, value: dict[str, Any]) -> None:
        text = json.dumps(value, indent=1, sort_keys=True, default=_json_default)
        path = self._item(kind, dataset_id)
        path.parent.mkdir(exist_ok=True)
        _write_atomic(path, text)

    def has_runs_file(self, dataset_id: str) -> bool:
        return self._item("runs", dataset_id, ".parquet").exists()

    def write_runs(self, dataset_id: str, frame: pd.DataFrame) -> None:
        path = self._item("runs", dataset_id, ".parquet")
        tmp = path.with_name(f".{path.name}.tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)


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


# --------------------------------------------------------------------------------------------
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


def _check_int(name: str, value: Any, low: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        extra = " or None" if allow_none else ""
        raise ParameterError(
            f"The '{name}' parameter of build_knowledge_base must be an int >= {low}{extra}. "
            f"Got {value!r} instead."
        )


def _pool(learners: Sequence[str] | None, tasks: set[str], size: int, seed: int):
    from autometa.learners import get_learner

    chosen = (
        [get_learner(n) for n in learners]
        if learners
        else [lr for task in sorted(tasks) for lr in learners_for(task)]
    )
    configs: list[Configuration] = []
    for learner in chosen:
        configs.extend(learner.pool(size, seed=seed))
    return configs


def _chunks(items: Sequence[Any], size: int) -> Iterator[tuple[Any, ...]]:
    for start in range(0, len(items), size):
        yield tuple(items[start : start + size])


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
    progress: bool = False,
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
    progress : bool, default=False
        Show a progress bar with ETA on stderr.
    chunk_size : int, default=4
        Configurations per parallel task.
    scheduler : str, optional
        Address of a Dask scheduler (``backend="dask"``).
    log_file : path, optional
        Log file (default ``<out>.build/build.log``).
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
    _check_int("configs_per_learner", configs_per_learner, 1)
    _check_int("folds", folds, 2)
    _check_int("max_rows", max_rows, 10, allow_none=True)
    _check_int("n_jobs", n_jobs, -1)
    _check_int("chunk_size", chunk_size, 1)
    if n_jobs == 0:
        raise ParameterError(
            "The 'n_jobs' parameter of build_knowledge_base must be an int >= 1 or -1. "
            "Got 0 instead."
        )
    if time_limit is not None and not (isinstance(time_limit, int | float) and time_limit > 0):
        raise ParameterError(
            "The 'time_limit' parameter of build_knowledge_base must be a number > 0 or None. "
            f"Got {time_limit!r} instead."
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
    handler = logging.FileHandler(log_file or workdir.path / "build.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    pkg_logger = logging.getLogger("autometa")
    old_level = pkg_logger.level
    pkg_logger.addHandler(handler)
    if pkg_logger.getEffectiveLevel() > logging.INFO:
        pkg_logger.setLevel(logging.INFO)
    try:
        return _build(
            specs, out, workdir, configs_per_learner=configs_per_learner, folds=folds,
            max_rows=max_rows, n_jobs=n_jobs, backend=backend, time_limit=time_limit,
            seed=seed, learners=learners, progress=progress, chunk_size=chunk_size,
            scheduler=scheduler, command=command, save_every=save_every, on_summary=on_summary,
            configurations=configurations,
        )  # fmt: skip
    finally:
        workdir.close()
        pkg_logger.removeHandler(handler)
        pkg_logger.setLevel(old_level)
        handler.close()


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


def _build(
    specs: list[DatasetSpec],
    out: Path,
    workdir: _WorkDir,
    *,
    configs_per_learner: int,
    folds: int,
    max_rows: int | None,
    n_jobs: int,
    backend: str | None,
    time_limit: float | None,
    seed: int,
    learners: Sequence[str] | None,
    progress: bool,
    chunk_size: int,
    scheduler: str | None,
    command: str | None,
    save_every: float,
    on_summary: Callable[[BuildSummary], None] | None,
    configurations: Sequence[Configuration] | Mapping[str, Sequence[Configuration]] | None,
) -> KnowledgeBase:
    from joblib import Parallel, delayed, parallel_config

    started = time.time()
    specs = [_resolve_task(s) for s in specs]
    tasks_of_data = {s.task for s in specs if s.task != "auto"} or {"classification"}
    per_dataset: dict[str, list[Configuration]] | None = None
    if configurations is None:
        configs = _pool(learners, tasks_of_data, configs_per_learner, seed)
    elif isinstance(configurations, Mapping):
        per_dataset = {str(d): list(cs) for d, cs in configurations.items()}
        configs = list({c.config_id: c for cs in per_dataset.values() for c in cs}.values())
    else:
        configs = list({c.config_id: c for c in configurations}.values())
    by_task: dict[str, list[Configuration]] = {}
    for c in configs:
        by_task.setdefault(c.task, []).append(c)
    settings = {
        "protocol": PROTOCOL_VERSION,
        "configs_per_learner": configs_per_learner if configurations is None else None,
        "folds": folds,
        "max_rows": max_rows,
        "seed": seed,
        "time_limit": time_limit,
        "learners": sorted({c.learner for c in configs}),
    }
    plan = {
        "plan_version": PLAN_VERSION,
        **settings,
        "datasets": [s.dataset_id for s in specs],
        "configurations": [c.config_id for c in configs],
    }
    if per_dataset is not None:
        plan["assignment"] = {d: [c.config_id for c in cs] for d, cs in sorted(per_dataset.items())}
    workdir.check_plan(plan)
    logger.info(
        "Build of %s: %d datasets, %d configurations, settings %s.",
        out, len(specs), len(configs), settings,
    )  # fmt: skip

    runs = workdir.read_journal()
    done_before = len(runs)
    dataset_rows: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    mf_values: dict[str, dict[str, float | None]] = {}
    for spec in specs:
        state = workdir.read_json("datasets", spec.dataset_id)
        if state is not None:
            if state.get("skip"):
                skipped[spec.dataset_id] = state["skip"]
            else:
                dataset_rows[spec.dataset_id] = state["row"]
        mf = workdir.read_json("metafeatures", spec.dataset_id)
        if mf is not None:
            mf_values[spec.dataset_id] = mf["values"]

    def planned(spec: DatasetSpec) -> list[Configuration]:
        if per_dataset is not None:
            return [c for c in per_dataset.get(spec.dataset_id, []) if c.task == spec.task]
        return by_task.get(spec.task, [])

    # The work list: dataset by dataset, so that worker caches hit.
    work: list[Any] = []
    total = done_before
    for spec in specs:
        if spec.dataset_id in skipped:
            continue
        if spec.dataset_id not in mf_values:
            work.append(("mf", spec))
        todo = [c for c in planned(spec) if (spec.dataset_id, c.config_id) not in runs]
        total += len(todo)
        for chunk in _chunks(todo, chunk_size):
            work.append(
                (
                    "runs",
                    _Task(
                        spec,
                        tuple((c.learner, c.params_json) for c in chunk),
                        folds,
                        max_rows,
                        seed,
                        time_limit,
                    ),
                )
            )

    spec_by_id = {s.dataset_id: s for s in specs}

    def dataset_complete(dataset_id: str) -> bool:
        if dataset_id not in dataset_rows:
            return False
        spec = spec_by_id[dataset_id]
        return all((dataset_id, c.config_id) in runs for c in planned(spec))

    def compact(dataset_id: str) -> None:
        if workdir.has_runs_file(dataset_id):
            return
        ids = {c.config_id for c in planned(spec_by_id[dataset_id])}
        records = [r for (d, c), r in runs.items() if d == dataset_id and c in ids]
        workdir.write_runs(dataset_id, _runs_frame(records))

    manifest_base = {
        "command": command or " ".join(sys.argv),
        "versions": _versions(),
        "settings": settings,
        "started": _dt.datetime.fromtimestamp(started, _dt.timezone.utc).isoformat(),
        "source": "runner",
    }

    def current_kb(final: bool) -> KnowledgeBase:
        ids = [s.dataset_id for s in specs if s.dataset_id in dataset_rows]
        keep = set(ids)
        wanted = {(d, c.config_id) for d in keep for c in planned(spec_by_id[d])}
        records = [r for key, r in runs.items() if key in wanted]
        ended = time.time()
        manifest = {
            **manifest_base,
            "ended": _dt.datetime.fromtimestamp(ended, _dt.timezone.utc).isoformat(),
            "wall_time": round(ended - started, 3),
            "complete": final,
            "skipped_datasets": dict(sorted(skipped.items())),
        }
        return _make_kb(
            configs,
            [dataset_rows[d] for d in ids],
            records,
            {d: v for d, v in mf_values.items() if d in keep},
            manifest,
        )

    last_save = time.monotonic()
    new_runs = 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=done_before, unit="run", file=sys.stderr, smoothing=0.05)
    try:
        if work:
            client = None
            context: Any
            if backend == "dask":
                client = _dask_client(scheduler)
                context = parallel_config(backend="dask")
            else:
                context = parallel_config(backend=backend) if backend else parallel_config()
            try:
                with context:
                    parallel = Parallel(
                        n_jobs=n_jobs, return_as="generator_unordered", pre_dispatch="2*n_jobs"
                    )
                    calls = (
                        delayed(_metafeatures_task)(item, seed)
                        if kind == "mf"
                        else delayed(_run_task)(item)
                        for kind, item in work
                    )
                    for result in parallel(calls):
                        if len(result) == 3:  # meta-features
                            dataset_id, values, error = result
                            if error:
                                logger.warning("Meta-features of %s failed: %s", dataset_id, error)
                            workdir.write_json(
                                "metafeatures", dataset_id, {"values": values, "error": error}
                            )
                            mf_values[dataset_id] = values
                            continue
                        dataset_id, row, records, skip = result
                        if skip:
                            if dataset_id not in skipped:
                                skipped[dataset_id] = skip
                                logger.warning("Skipping %s: %s", dataset_id, skip)
                                workdir.write_json("datasets", dataset_id, {"skip": skip})
                            continue
                        if dataset_id not in dataset_rows:
                            dataset_rows[dataset_id] = row
                            workdir.write_json("datasets", dataset_id, {"row": row})
                        fresh = [
                            r for r in records if (r["dataset_id"], r["config_id"]) not in runs
                        ]
                        workdir.append(fresh)
                        for r in fresh:
                            runs[(r["dataset_id"], r["config_id"])] = _clean_record(r)
                            if r["status"] != "ok":
                                logger.info(
                                    "%s on %s: %s (%s)",
                                    r["config_id"], dataset_id, r["status"], r["error"],
                                )  # fmt: skip
                        new_runs += len(fresh)
                        if bar is not None:
                            bar.update(len(fresh))
                        if dataset_complete(dataset_id):
                            compact(dataset_id)
                            logger.info("Finished %s.", dataset_id)
                            if time.monotonic() - last_save >= save_every:
                                current_kb(final=False).save(out)
                                last_save = time.monotonic()
            finally:
                if client is not None:
                    client.close()
        for dataset_id in dataset_rows:
            if dataset_complete(dataset_id):
                compact(dataset_id)
    finally:
        if bar is not None:
            bar.close()

    kb = current_kb(final=True)
    kb.save(out)
    statuses = Counter(r["status"] for key, r in runs.items() if key[0] in dataset_rows)
    wall = time.time() - started
    summary = BuildSummary(
        datasets_done=sum(dataset_complete(d) for d in dataset_rows),
        datasets_skipped={spec_by_id[d].name: why for d, why in skipped.items()},
        runs_ok=statuses.get("ok", 0),
        runs_failed=statuses.get("failed", 0),
        runs_timeout=statuses.get("timeout", 0),
        runs_new=new_runs,
        wall_time=wall,
        fits_per_second=new_runs * folds / wall if wall > 0 else math.nan,
    )
    for line in summary.format().splitlines():
        logger.info(line)
    if on_summary is not None:
        on_summary(summary)
    return kb


def refresh_metafeatures(
    kb_path: str | Path,
    datasets: str | Path | Sequence[DatasetSpec],
    *,
    n_jobs: int = 1,
    seed: int = 0,
    progress: bool = False,
) -> KnowledgeBase:
    """Recompute the meta-features of the datasets of a saved knowledge base and re-save it.

    Only datasets already in the knowledge base are recomputed; their specs come from
    ``datasets`` (matched by ``dataset_id``). The build's cache, when present, is updated too.
    """
    from joblib import Parallel, delayed

    from autometa.kb._store import KnowledgeBase

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
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(chosen), unit="dataset", file=sys.stderr)
    for dataset_id, mf, error in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(_metafeatures_task)(s, seed) for s in chosen
    ):
        if error:
            logger.warning("Meta-features of %s failed: %s", dataset_id, error)
        values[dataset_id] = mf
        if workdir is not None:
            workdir.write_json("metafeatures", dataset_id, {"values": mf, "error": error})
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
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
