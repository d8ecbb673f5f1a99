"""The metric table (:mod:`autometa._metrics`): one definition read by every part."""

from __future__ import annotations

import math

import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.svm import LinearSVC

import autometa.kb as kb
from autometa._metrics import (
    METRICS,
    metric_for_scorer,
    metrics_for,
    openml_measures,
    protocol_scoring,
)
from autometa.estimators import METRIC_SCORING


def _fitted(task: str):
    if task == "classification":
        X, y = load_iris(return_X_y=True)
        est = LogisticRegression(max_iter=500).fit(X[::2], y[::2])
        return est, X[1::2], y[1::2]
    X, y = load_diabetes(return_X_y=True)
    return LinearRegression().fit(X[::2], y[::2]), X[1::2], y[1::2]


@pytest.mark.parametrize("name", list(METRICS))
def test_the_tables_scorer_measures_what_the_runner_stores(name) -> None:
    # The scikit-learn scorer named in the table (used by the estimators, tune and searches)
    # times the sign gives the value the runner stores for the metric.
    metric = METRICS[name]
    est, X, y = _fitted(metric.task)
    stored = protocol_scoring(metric.task, n_classes=3)(est, X, y)[name]
    assert metric.sign * get_scorer(metric.scorer)(est, X, y) == pytest.approx(stored, rel=1e-12)
    low, high = metric.bounds
    assert low <= stored <= high


def test_every_part_reads_the_one_table() -> None:
    assert kb.METRICS is METRICS
    assert METRIC_SCORING == {m.name: m.scorer for m in METRICS.values()}
    assert kb.OPENML_MEASURES == openml_measures()
    for measure, (name, task) in kb.OPENML_MEASURES.items():
        assert METRICS[name].openml_measure == measure and METRICS[name].task == task
    # add_search recognizes scorers with metric_for_scorer; tune reads .scorer and .sign
    for m in METRICS.values():
        for scorer in (m.scorer, *m.scorer_aliases):
            assert metric_for_scorer(scorer) == (m.name, m.sign)
    assert metric_for_scorer("f1") is None


def test_protocol_scoring_covers_the_tasks_metrics() -> None:
    for task in ("classification", "regression"):
        est, X, y = _fitted(task)
        values = protocol_scoring(task, n_classes=3)(est, X, y)
        assert list(values) == metrics_for(task)
        assert all(math.isfinite(v) for v in values.values())
    with pytest.raises(ValueError, match="'task' parameter must be 'classification' or"):
        protocol_scoring("ranking")


def test_probability_metrics_without_probabilities() -> None:
    X, y = load_iris(return_X_y=True)
    binary = y < 2
    X2, y2 = X[binary], y[binary]
    svc = LinearSVC().fit(X2[::2], y2[::2])
    values = protocol_scoring("classification", n_classes=2)(svc, X2[1::2], y2[1::2])
    assert math.isnan(values["log_loss"])  # no probabilities
    # binary ROC AUC falls back to the decision function, as the alias scorer "roc_auc" does
    assert "roc_auc" in METRICS["roc_auc"].scorer_aliases
    expected = get_scorer("roc_auc")(svc, X2[1::2], y2[1::2])
    assert values["roc_auc"] == pytest.approx(expected, rel=1e-12)
    multi = protocol_scoring("classification", n_classes=3)(LinearSVC().fit(X, y), X, y)
    assert math.isnan(multi["roc_auc"]) and math.isnan(multi["log_loss"])


def test_roc_auc_is_nan_on_a_fold_that_lacks_a_class() -> None:
    est, X, y = _fitted("classification")
    keep = y != 2
    values = protocol_scoring("classification", n_classes=3)(est, X[keep], y[keep])
    assert math.isnan(values["roc_auc"])
    assert math.isfinite(values["log_loss"]) and values["accuracy"] > 0.5
