"""The task inference rule: classification or regression, from the target alone.

This is the project's one definition. ``metafeatures.extract(task=None)`` uses it, and
autometa (``recommend``, ``warm_start``, ``MetaSampler``, the knowledge base, the CLI)
re-exports it from ``autometa._task``, which adds the warning naming the entry point's
``task`` parameter. It lives here because ``metafeatures`` is a stand-alone package that
must not import autometa, while autometa may import ``metafeatures``.

The rule
--------
1. A boolean, categorical, string or object target (any non-numeric dtype) is
   **classification**.
2. A numeric target is **classification** when its non-missing values are all finite
   whole numbers (``1``, ``2.0``) with at most :data:`MAX_CLASSES` (20) distinct values,
   and **regression** otherwise (including a target with no non-missing value).

A numeric target inferred as classification with more than two distinct values is
*ambiguous* (ratings 1-9 or counts 0-12 may be quantities): callers warn about it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MAX_CLASSES", "infer_task", "is_ambiguous", "task_summary"]

#: A numeric target with at most this many distinct whole values is classification.
MAX_CLASSES = 20


def _numeric(values: np.ndarray) -> tuple[str, int]:
    """``(task, n_distinct)`` of the non-missing values of a real-valued target."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return "regression", 0
    n_unique = int(np.unique(values).size)
    whole = bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))
    return ("classification" if whole and n_unique <= MAX_CLASSES else "regression"), n_unique


def task_summary(y: Any) -> tuple[str, int]:
    """``(task, n_distinct)``: the task of ``y`` and, for a numeric target, its number of
    distinct non-missing values (0 for a non-numeric target).

    ``y`` is a Series, a one-column DataFrame or anything :func:`numpy.asarray` reads
    (flattened). numpy booleans and real numbers are read without a pandas round trip.
    """
    if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
        y = y.iloc[:, 0]
    if not isinstance(y, pd.Series):
        arr = np.asarray(y)
        if arr.dtype.kind == "b":
            return "classification", 0
        if arr.dtype.kind in "iu":
            return _numeric(arr.ravel())
        if arr.dtype.kind == "f":
            arr = arr.ravel()
            return _numeric(arr[~np.isnan(arr)])
        y = pd.Series(arr.ravel())
    dtype = y.dtype
    if (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or not pd.api.types.is_numeric_dtype(dtype)
    ):
        return "classification", 0
    if not (pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)):
        return "regression", 0  # complex numbers
    return _numeric(y.dropna().to_numpy(dtype=np.float64))


def infer_task(y: Any) -> str:
    """``"classification"`` or ``"regression"`` from the target ``y`` (see the module doc).

    Examples
    --------
    >>> from metafeatures import infer_task
    >>> infer_task([0, 1, 2, 3])
    'classification'
    >>> infer_task([0.5, 1.2, 3.3, 0.1])
    'regression'
    >>> infer_task(list(range(100)))
    'regression'
    """
    return task_summary(y)[0]


def is_ambiguous(y: Any) -> bool:
    """Whether ``y`` is numeric, inferred as classification, with more than 2 classes."""
    task, n_unique = task_summary(y)
    return task == "classification" and n_unique > 2
