"""The metrics: one record per metric, the single definition every part reads.

Each :class:`Metric` carries its name in the knowledge base, its task, its direction, the
scikit-learn scorer that measures it (the default ``scoring`` of the estimators, the scorer
of ``autometa tune``, the name searches are recognized by), the OpenML evaluation measure it
is imported from (if any) and the range of its values. The knowledge base stores one column
per metric (:data:`METRICS`, in this order); the runner scores every run with
:func:`protocol_scoring`.

Examples
--------
>>> from autometa._metrics import METRICS, metric_for_scorer
>>> METRICS["rmse"].scorer
'neg_root_mean_squared_error'
>>> metric_for_scorer("neg_log_loss")
('log_loss', -1.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_METRIC",
    "METRICS",
    "Metric",
    "metric_for_scorer",
    "metrics_for",
    "openml_measures",
    "protocol_scoring",
]

_INF = math.inf


@dataclass(frozen=True)
class Metric:
    """A metric stored for every run. ``greater_is_better`` orients normalization.

    Attributes
    ----------
    name : str
        The column of the ``runs`` table.
    task : {"classification", "regression"}
    greater_is_better : bool
    needs_proba : bool
        Measured on predicted probabilities (NaN for learners without them).
    description : str
    scorer : str
        The scikit-learn scorer (:func:`sklearn.metrics.get_scorer`) that measures it;
        for smaller-is-better metrics its value is the negated metric.
    scorer_aliases : tuple of str
        Other scorer names that measure the same (``"roc_auc"`` for ``"roc_auc_ovr"``).
    openml_measure : str or None
        The OpenML evaluation measure imported as this metric.
    bounds : (float, float)
        The lowest and highest value the metric can take (``inf`` when unbounded).
    """

    name: str
    task: str
    greater_is_better: bool
    needs_proba: bool = False
    description: str = ""
    scorer: str = ""
    scorer_aliases: tuple[str, ...] = ()
    openml_measure: str | None = None
    bounds: tuple[float, float] = (-_INF, _INF)

    @property
    def sign(self) -> float:
        """+1 or -1: the scorer's value times ``sign`` is the metric's value."""
        return 1.0 if self.greater_is_better else -1.0


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "accuracy",
            "classification",
            True,
            description="share of correct predictions",
            scorer="accuracy",
            openml_measure="predictive_accuracy",
            bounds=(0.0, 1.0),
        ),
        Metric(
            "balanced_accuracy",
            "classification",
            True,
            description="mean recall per class",
            scorer="balanced_accuracy",
            openml_measure="unweighted_recall",  # mean recall per class
            bounds=(0.0, 1.0),
        ),
        Metric(
            "roc_auc",
            "classification",
            True,
            needs_proba=True,
            description="area under the ROC curve (one-vs-rest, macro, for multiclass)",
            scorer="roc_auc_ovr",
            scorer_aliases=("roc_auc",),
            openml_measure="area_under_roc_curve",
            bounds=(0.0, 1.0),
        ),
        Metric(
            "log_loss",
            "classification",
            False,
            needs_proba=True,
            description="cross-entropy",
            scorer="neg_log_loss",
            bounds=(0.0, _INF),
        ),
        Metric(
            "r2",
            "regression",
            True,
            description="coefficient of determination",
            scorer="r2",
            bounds=(-_INF, 1.0),
        ),
        Metric(
            "rmse",
            "regression",
            False,
            description="root mean squared error",
            scorer="neg_root_mean_squared_error",
            openml_measure="root_mean_squared_error",
            bounds=(0.0, _INF),
        ),
        Metric(
            "mae",
            "regression",
            False,
            description="mean absolute error",
            scorer="neg_mean_absolute_error",
            openml_measure="mean_absolute_error",
            bounds=(0.0, _INF),
        ),
    )
}

DEFAULT_METRIC = {"classification": "balanced_accuracy", "regression": "r2"}


def metrics_for(task: str) -> list[str]:
    """Names of the metrics stored for ``task``."""
    return [m.name for m in METRICS.values() if m.task == task]


def metric_for_scorer(scorer: str) -> tuple[str, float] | None:
    """``(metric name, sign)`` of a scikit-learn scorer name, or None if it is no metric's.

    The scorer's value times ``sign`` is the metric's value.
    """
    for m in METRICS.values():
        if scorer == m.scorer or scorer in m.scorer_aliases:
            return m.name, m.sign
    return None


def openml_measures() -> dict[str, tuple[str, str]]:
    """``{OpenML evaluation measure: (metric name, task)}`` of the metrics imported from OpenML."""
    return {
        m.openml_measure: (m.name, m.task) for m in METRICS.values() if m.openml_measure is not None
    }


# --------------------------------------------------------------------------------------------
# The runner's scoring: the evaluation protocol of every stored run.
def _full_proba(estimator: Any, X: Any, n_classes: int) -> np.ndarray:
    """``predict_proba`` with one column per class code ``0..n_classes-1`` (zeros for classes
    the fit did not see)."""
    raw = estimator.predict_proba(X)
    proba = np.zeros((len(raw), n_classes))
    proba[:, np.asarray(estimator.classes_, dtype=np.int64)] = raw
    return proba


def _roc_auc(estimator: Any, X: Any, y: np.ndarray, proba: np.ndarray | None, n: int) -> float:
    """One-vs-rest macro ROC AUC on the probabilities (binary without them: on the decision
    function); NaN when the fold lacks a class or the learner gives no scores."""
    from sklearn.metrics import roc_auc_score

    present = np.unique(y)
    if proba is not None:
        if n == 2:
            return float(roc_auc_score(y, proba[:, 1])) if len(present) == 2 else math.nan
        if len(present) == n:
            labels = np.arange(n)
            return float(roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=labels))
        return math.nan
    if n == 2 and len(present) == 2 and hasattr(estimator, "decision_function"):
        return float(roc_auc_score(y, estimator.decision_function(X)))
    return math.nan


def _log_loss(estimator: Any, X: Any, y: np.ndarray, proba: np.ndarray | None, n: int) -> float:
    from sklearn.metrics import log_loss

    return math.nan if proba is None else float(log_loss(y, proba, labels=np.arange(n)))


def _score_functions() -> dict[str, Callable[..., float]]:
    """The function of each metric: ``f(y_true, y_pred)``, or for probability metrics
    ``f(estimator, X, y_true, proba, n_classes)``."""
    from sklearn import metrics as skm

    return {
        "accuracy": skm.accuracy_score,
        "balanced_accuracy": skm.balanced_accuracy_score,
        "roc_auc": _roc_auc,
        "log_loss": _log_loss,
        "r2": skm.r2_score,
        "rmse": skm.root_mean_squared_error,
        "mae": skm.mean_absolute_error,
    }


def protocol_scoring(task: str, n_classes: int = 0) -> Callable[[Any, Any, Any], dict[str, float]]:
    """The runner's scoring of a fitted estimator on a test fold: ``f(estimator, X, y)`` ->
    ``{metric: value}`` for every metric of ``task`` in :data:`METRICS`.

    A multi-metric ``scoring`` for :func:`sklearn.model_selection.cross_validate` that
    predicts once (and asks for probabilities once), with the protocol's choices explicit:
    class labels are the codes ``0..n_classes-1``; probability metrics are NaN, not an
    error, for learners without ``predict_proba`` (the ROC AUC of a binary task then uses
    ``decision_function``); ROC AUC is NaN on a fold that lacks a class; values are the
    metric's own (``rmse``, not its negation). Changing this changes every stored run.
    """
    if task not in ("classification", "regression"):
        raise ValueError(
            f"The 'task' parameter must be 'classification' or 'regression'. Got {task!r}."
        )
    functions = _score_functions()
    names = metrics_for(task)

    def score(estimator: Any, X: Any, y: Any) -> dict[str, float]:
        pred = estimator.predict(X)
        proba = None
        if task == "classification" and hasattr(estimator, "predict_proba"):
            proba = _full_proba(estimator, X, n_classes)
        out: dict[str, float] = {}
        for name in names:
            if METRICS[name].needs_proba:
                out[name] = functions[name](estimator, X, y, proba, n_classes)
            else:
                out[name] = float(functions[name](y, pred))
        return out

    return score
