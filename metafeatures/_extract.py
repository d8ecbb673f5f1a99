"""The extraction driver: group selection, timing, warnings and the report."""

from __future__ import annotations

import functools
import logging
import math
import time
import warnings
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metafeatures._base import Budget, MetaFeatureError, MetaFeatureWarning
from metafeatures._data import prepare
from metafeatures._registry import DEFAULT_GROUPS, GROUPS, REGISTRY
from metafeatures._threads import single_native_thread

logger = logging.getLogger(__name__)

# groups that fit scikit-learn estimators (OpenMP, BLAS): always single-threaded
_LEARNER_GROUPS = frozenset({"landmarking", "openml_landmarking"})
# rows x numeric features^2 (the correlation matrix product) below which OpenBLAS
# stays single-threaded anyway, so that the (cheap) limit can be left out
_SINGLE_THREAD_WORK = 100_000

__all__ = [
    "ExtractionReport",
    "describe",
    "extract",
    "extract_report",
    "feature_names",
    "openml_quality_names",
]


@dataclass(frozen=True)
class ExtractionReport:
    """The result of :func:`extract_report`.

    Attributes
    ----------
    values : pandas.Series
        float64 values indexed by the stable names (see :func:`describe`), in the
        order of :func:`feature_names`. NaN where a feature is undefined.
    timings : dict of str to float
        Seconds spent per group (data preparation under ``"_prepare"``).
    skipped : dict of str to str
        Feature (or group) name -> why it is NaN or was not computed.
    task : {'classification', 'regression', 'none'}
        The task the features were computed for ('none' when ``y`` is None).
    """

    values: pd.Series
    timings: dict[str, float]
    skipped: dict[str, str]
    task: str


def _resolve_groups(groups: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(groups, str):
        if groups == "default":
            return DEFAULT_GROUPS
        if groups == "all":
            return GROUPS
        groups = [groups]
    try:
        names = list(groups)
    except TypeError:
        names = [groups]  # type: ignore[list-item]
    out: list[str] = []
    for g in names:
        if g in ("default", "all"):
            out.extend(DEFAULT_GROUPS if g == "default" else GROUPS)
        elif g not in REGISTRY:
            raise MetaFeatureError(
                f"The 'groups' parameter of extract must be 'default', 'all', one of "
                f"{list(GROUPS)} or a list of them. Got unknown group {g!r} instead."
            )
        else:
            out.append(g)
    if not out:
        raise MetaFeatureError(
            "The 'groups' parameter of extract must name at least one group. Got an empty "
            "list instead; pass 'default'."
        )
    return tuple(dict.fromkeys(out))


@functools.cache
def _group_names(group: str, task: str) -> tuple[str, ...]:
    """The stable names of one group for a task (cached: they never change)."""
    return tuple(REGISTRY[group].features(task))


@functools.cache
def _group_name_set(group: str, task: str) -> frozenset[str]:
    return frozenset(_group_names(group, task))


@functools.cache
def _names_index(groups: tuple[str, ...], task: str) -> pd.Index:
    """The output index of :func:`extract_report` for resolved ``groups`` and a task."""
    names = [n for g in groups for n in _group_names(g, task)]
    return pd.Index(list(dict.fromkeys(names)))


def _check_task(task: str | None) -> None:
    if task is not None and task not in ("auto", "classification", "regression", "none"):
        raise MetaFeatureError(
            f"The 'task' parameter must be one of 'classification', 'regression', 'none' "
            f"or None ('auto' is the same). Got {task!r} instead."
        )


def feature_names(
    groups: str | Sequence[str] = "default", task: str | None = "classification"
) -> list[str]:
    """The stable names :func:`extract` returns for ``groups`` and ``task``.

    Parameters
    ----------
    groups : str or list of str, default="default"
        As in :func:`extract`.
    task : {'classification', 'regression', 'none'} or None, default='classification'
        None (or ``'auto'``, the same): the names of a classification target.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import metafeatures
    >>> "general.n_instances" in metafeatures.feature_names("general")
    True
    """
    _check_task(task)
    t = "classification" if task in (None, "auto") else str(task)
    out: list[str] = []
    for g in _resolve_groups(groups):
        out.extend(REGISTRY[g].features(t))
    return out


def describe(groups: str | Sequence[str] = "all") -> pd.DataFrame:
    """A table of every stable name: ``name``, ``group``, ``tasks``, ``description``.

    Examples
    --------
    >>> import metafeatures
    >>> table = metafeatures.describe()
    >>> list(table.columns)
    ['name', 'group', 'tasks', 'description']
    """
    rows: dict[str, dict[str, str]] = {}
    for g in _resolve_groups(groups):
        for task in ("classification", "regression", "none"):
            for name, doc in REGISTRY[g].features(task).items():
                row = rows.setdefault(
                    name, {"name": name, "group": g, "tasks": "", "description": doc}
                )
                row["tasks"] = f"{row['tasks']},{task}".strip(",")
    return pd.DataFrame(list(rows.values()), columns=["name", "group", "tasks", "description"])


def openml_quality_names() -> list[str]:
    """OpenML quality names implemented by the ``openml`` and ``openml_landmarking`` groups.

    A quality fetched from OpenML's server under one of these names can be used in
    place of our extraction (see the module docstrings for definitions and the
    approximations of the Weka landmarkers).
    """
    names: list[str] = []
    for g in ("openml", "openml_landmarking"):
        names.extend(REGISTRY[g].features("classification"))
    return names


def extract_report(
    X: object,
    y: object = None,
    *,
    task: str | None = None,
    groups: str | Sequence[str] = "default",
    random_state: int = 0,
    time_budget: float | None = None,
) -> ExtractionReport:
    """Compute meta-features with per-group timings and the reasons for NaNs.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        Numeric, bool, categorical, object/string, nullable and datetime columns are
        accepted; missing values anywhere.
    y : array-like of shape (n_samples,), default=None
        The target. None gives only the unsupervised features (task 'none').
    task : {'classification', 'regression'} or None, default=None
        None (or ``'auto'``, the same) infers it from ``y`` (:func:`infer_task`):
        categorical, bool, string or integer targets with at most 20 distinct values are
        classification; other numeric targets are regression.
    groups : str or list of str, default='default'
        'default' (:data:`DEFAULT_GROUPS`), 'all' (:data:`GROUPS`), a group name or
        a list of names.
    random_state : int, default=0
        Seed of the subsampling and cross-validation. Same input and seed give
        identical output.
    time_budget : float, default=None
        Seconds per group; a group that runs out skips its remaining steps (NaN,
        listed in ``skipped``). None: no limit.

    Returns
    -------
    ExtractionReport

    Raises
    ------
    MetaFeatureError
        (a ``ValueError``) for invalid input: empty X, target length mismatch,
        all-missing target, unknown group or task.

    Warns
    -----
    MetaFeatureWarning
        When degenerate data make some features NaN (constant columns, single class,
        ...).
    """
    group_names = _resolve_groups(groups)
    if time_budget is not None and not (isinstance(time_budget, (int, float)) and time_budget > 0):
        raise MetaFeatureError(
            f"The 'time_budget' parameter of extract must be a number > 0 or None. Got "
            f"{time_budget!r} instead."
        )
    t0 = time.perf_counter()
    data = prepare(X, y, task=task, random_state=random_state)
    timings: dict[str, float] = {"_prepare": time.perf_counter() - t0}
    values: dict[str, float] = {}
    skipped: dict[str, str] = {}
    notes: list[tuple[str, list[str]]] = []
    with_sklearn = any(g in _LEARNER_GROUPS for g in group_names)
    n_num = int(data.num.shape[1])
    limit = with_sklearn or data.n_sub * n_num * n_num >= _SINGLE_THREAD_WORK
    threads = single_native_thread(with_sklearn=with_sklearn) if limit else nullcontext()
    with threads, warnings.catch_warnings(), np.errstate(all="ignore"):
        # numpy's all-NaN/empty-slice RuntimeWarnings: NaN results are reported
        # through ``skipped`` and MetaFeatureWarning instead
        warnings.simplefilter("ignore", RuntimeWarning)
        for g in group_names:
            group = REGISTRY[g]
            budget = Budget(time_budget)
            result = group.compute(data, budget)
            timings[g] = budget.elapsed()
            got = result.values
            names = _group_names(g, data.task)
            for name in names:
                val = got.get(name, math.nan)
                val = float(val) if val is not None else math.nan
                if not math.isfinite(val):
                    val = math.nan
                    if name not in result.skipped:
                        result.skipped[name] = "undefined for this data"
                values[name] = val
            if result.skipped:
                name_set = _group_name_set(g, data.task)
                skipped.update({k: v for k, v in result.skipped.items() if k in name_set})
            if result.notes:
                notes.append((g, result.notes))
            logger.debug("metafeatures group %s: %.3fs", g, timings[g])
    for g, group_notes in notes:
        warnings.warn(
            f"metafeatures group {g!r}: "
            + "; ".join(dict.fromkeys(group_notes))
            + ". The affected meta-features are NaN.",
            MetaFeatureWarning,
            stacklevel=2,
        )
    index = _names_index(group_names, data.task)
    if len(index) == len(values):
        series = pd.Series(
            np.fromiter(values.values(), dtype=np.float64, count=len(values)),
            index=index,
            name="value",
        )
    else:  # a name shared by two groups (none today): keep dict semantics
        series = pd.Series(values, dtype=np.float64, name="value")
    return ExtractionReport(values=series, timings=timings, skipped=skipped, task=data.task)


def extract(
    X: object,
    y: object = None,
    *,
    task: str | None = None,
    groups: str | Sequence[str] = "default",
    random_state: int = 0,
    time_budget: float | None = None,
) -> pd.Series:
    """Compute meta-features of a dataset: ``extract_report(...).values``.

    See :func:`extract_report` for the parameters.

    Examples
    --------
    >>> import numpy as np, metafeatures
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3)); y = (X[:, 0] > 0).astype(int)
    >>> mf = metafeatures.extract(X, y, groups="general")
    >>> mf["general.n_instances"]
    100.0
    """
    return extract_report(
        X, y, task=task, groups=groups, random_state=random_state, time_budget=time_budget
    ).values
