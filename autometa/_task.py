"""The task inference rule: classification or regression, from the target alone.

This is the one definition every entry point uses (``recommend``, ``warm_start``,
``MetaSampler``, the knowledge-base builder for files without a declared task, the CLI).
``metafeatures`` (which must not import autometa) keeps a copy of the same rule for
``extract(task="auto")``; a test checks that both agree.

The rule
--------
1. A boolean, categorical, string or object target (any non-numeric dtype) is
   **classification**.
2. A numeric target is **classification** when its non-missing values are all finite
   whole numbers (``1``, ``2.0``) with at most :data:`MAX_CLASSES` (20) distinct values,
   and **regression** otherwise (including a target with no non-missing value).

A numeric target inferred as classification with more than two distinct values is
*ambiguous* (ratings 1-9 or counts 0-12 may be quantities): the caller is warned with a
:class:`~autometa.TaskInferenceWarning` naming the task inferred and the ``task=``
parameter that decides it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from autometa._exceptions import TaskInferenceWarning

__all__ = ["MAX_CLASSES", "infer_task", "is_ambiguous"]

#: A numeric target with at most this many distinct whole values is classification.
MAX_CLASSES = 20


def _as_series(y: Any) -> pd.Series:
    if isinstance(y, pd.Series):
        return y
    if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
        return y.iloc[:, 0]
    return pd.Series(np.asarray(y, dtype=None).ravel())


def _numeric_summary(s: pd.Series) -> tuple[str, int] | None:
    """``(task, n_distinct)`` of a numeric non-boolean target, None for other dtypes."""
    dtype = s.dtype
    if (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or not pd.api.types.is_numeric_dtype(dtype)
    ):
        return None
    if not (pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)):
        return "regression", 0  # complex numbers
    values = s.dropna().to_numpy(dtype=np.float64)
    if values.size == 0:
        return "regression", 0
    n_unique = int(np.unique(values).size)
    whole = bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))
    if whole and n_unique <= MAX_CLASSES:
        return "classification", n_unique
    return "regression", n_unique


def is_ambiguous(y: Any) -> bool:
    """Whether ``y`` is numeric, inferred as classification, with more than 2 classes."""
    summary = _numeric_summary(_as_series(y))
    return summary is not None and summary[0] == "classification" and summary[1] > 2


def infer_task(
    y: Any, *, owner: str | None = None, parameter: str = "task", stacklevel: int = 2
) -> str:
    """``"classification"`` or ``"regression"`` from the target ``y`` (see the module doc).

    Parameters
    ----------
    y : array-like or Series
        The target.
    owner : str, optional
        The entry point inferring the task. When given and the target is ambiguous, a
        :class:`~autometa.TaskInferenceWarning` names the task inferred and the parameter
        ``parameter`` of ``owner`` that sets it.
    parameter : str, default="task"
        How the task is set at ``owner`` (``"--task"`` for the CLI).
    stacklevel : int, default=2
        Passed to :func:`warnings.warn`.

    Examples
    --------
    >>> from autometa.recommend import infer_task
    >>> infer_task([0, 1, 1, 0, 1, 0])
    'classification'
    >>> infer_task([0.5, 1.2, 3.3, 0.1])
    'regression'
    >>> infer_task(list(range(100)))
    'regression'
    """
    s = _as_series(y)
    summary = _numeric_summary(s)
    if summary is None:
        return "classification"
    task, n_unique = summary

    def setting(value: str) -> str:
        return f"{parameter} {value}" if parameter.startswith("-") else f"{parameter}={value!r}"

    if owner is not None and task == "classification" and n_unique > 2:
        warnings.warn(
            f"{owner} inferred task='classification' from the target: its {n_unique} distinct "
            f"values are all whole numbers (at most {MAX_CLASSES} distinct whole numbers are "
            f"read as classes). If the target is a quantity (a count, a rating, a score), "
            f"pass {setting('regression')}; pass {setting('classification')} to confirm and "
            "silence this warning.",
            TaskInferenceWarning,
            stacklevel=stacklevel + 1,
        )
    return task
