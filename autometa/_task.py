"""The task inference rule: classification or regression, from the target alone.

Every entry point (``recommend``, ``warm_start``, ``MetaSampler``, the knowledge-base
builder for files without a declared task, the CLI) infers the task here. The rule itself
is defined once, in :mod:`metafeatures` (``metafeatures.infer_task``, which
``metafeatures.extract(task=None)`` uses): ``metafeatures`` is a stand-alone package
that must not import autometa, so autometa re-uses its definition rather than the other
way round. This module adds what only autometa's entry points need: the warning that names
the entry point and its ``task`` parameter.

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

The ``task`` parameter
----------------------
Every public function that can infer the task takes ``task=None`` to mean "infer it"
(the convention of most of the API: :func:`autometa.optuna.warm_start`,
:class:`~autometa.optuna.MetaSampler`, :func:`~autometa.optuna.add_study`,
:func:`~autometa.kb.discover_datasets`, the knowledge base's matrices) and accepts
``"auto"`` as the same (what :func:`metafeatures.extract` and the command line say).
:func:`check_task` reads the parameter.
"""

from __future__ import annotations

import warnings
from typing import Any

from autometa._exceptions import ParameterError, TaskInferenceWarning
from metafeatures import MAX_CLASSES, is_ambiguous, task_summary

__all__ = ["MAX_CLASSES", "TASKS", "check_task", "infer_task", "is_ambiguous"]

#: The tasks (re-exported as :data:`autometa.learners.TASKS`).
TASKS: tuple[str, ...] = ("classification", "regression")


def check_task(task: Any, owner: str) -> str | None:
    """The ``task`` parameter of ``owner``: ``"classification"``, ``"regression"``, or None
    for "infer it" (given as None or ``"auto"``); anything else is a
    :class:`~autometa.ParameterError`.

    Examples
    --------
    >>> check_task("auto", "recommend") is None
    True
    >>> check_task("regression", "recommend")
    'regression'
    """
    if task is None or (isinstance(task, str) and task == "auto"):
        return None
    if not isinstance(task, str) or task not in TASKS:
        raise ParameterError(
            f"The 'task' parameter of {owner} must be one of {list(TASKS)} or None (infer "
            f"it; 'auto' is the same). Got {task!r} instead."
        )
    return task


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
    task, n_unique = task_summary(y)

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
