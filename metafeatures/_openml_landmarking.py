"""The ``openml_landmarking`` group: approximations of OpenML's Weka landmarkers.

OpenML runs Weka learners in 10-fold cross-validation and reports, per learner, the
error rate, Cohen's kappa and the class-weighted one-vs-rest area under the ROC
curve. Weka is not available here, so each learner is approximated by its closest
scikit-learn counterpart (the values are therefore *approximate*, typically within a
few points of OpenML's):

==========================  ===========================================================
OpenML learner              scikit-learn stand-in
==========================  ===========================================================
DecisionStump               ``DecisionTreeClassifier(max_depth=1)``
NaiveBayes                  ``GaussianNB`` (nominal attributes one-hot encoded)
kNN1N                       ``KNeighborsClassifier(1)`` on [0, 1]-scaled attributes
REPTreeDepth{1,2,3}         ``DecisionTreeClassifier(max_depth=d, criterion="entropy")``
RandomTreeDepth{1,2,3}      the same with ``max_features="log2"`` (random attributes)
J48.{00001,0001,001}        ``DecisionTreeClassifier(criterion="entropy",
                            min_samples_leaf=2)`` (Weka's pruning confidence has no
                            scikit-learn equivalent, so the three are equal)
==========================  ===========================================================

Computed on at most :data:`MAX_ROWS` rows of the subsample (stratified), with
``min(10, smallest class)`` stratified folds; classification only.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

from metafeatures._base import Budget, GroupResult, MetaFeatureGroup
from metafeatures._data import PreparedData
from metafeatures._encode import design_matrix, folds, landmark_rows

MAX_ROWS = 5000


def _learners() -> dict[str, tuple[str, Callable[[], object], str]]:
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.tree import DecisionTreeClassifier

    def tree(**kw: object) -> Callable[[], object]:
        return lambda: DecisionTreeClassifier(random_state=0, **kw)

    out: dict[str, tuple[str, Callable[[], object], str]] = {
        "DecisionStump": ("Weka DecisionStump", tree(max_depth=1), "standard"),
        "NaiveBayes": ("Weka NaiveBayes", GaussianNB, "standard"),
        "kNN1N": ("Weka IBk with k=1", lambda: KNeighborsClassifier(1), "range"),
    }
    for d in (1, 2, 3):
        out[f"REPTreeDepth{d}"] = (
            f"Weka REPTree of depth {d}",
            tree(max_depth=d, criterion="entropy"),
            "standard",
        )
        out[f"RandomTreeDepth{d}"] = (
            f"Weka RandomTree of depth {d}",
            tree(max_depth=d, criterion="entropy", max_features="log2"),
            "standard",
        )
    for c in ("00001", "0001", "001"):
        out[f"J48.{c}."] = (
            f"Weka J48 with confidence 0.{c}",
            tree(criterion="entropy", min_samples_leaf=2),
            "standard",
        )
    return out


def _name(key: str, metric: str) -> str:
    return f"{key}{metric}"


def _metrics(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import cohen_kappa_score, roc_auc_score

    pred = classes[np.argmax(proba, axis=1)]
    out = {"ErrRate": float(np.mean(pred != y)), "Kappa": math.nan, "AUC": math.nan}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out["Kappa"] = float(cohen_kappa_score(y, pred))
        try:
            if classes.size == 2:
                out["AUC"] = float(roc_auc_score(y == classes[1], proba[:, 1]))
            else:
                p = proba / np.clip(proba.sum(axis=1, keepdims=True), 1e-12, None)
                out["AUC"] = float(
                    roc_auc_score(y, p, multi_class="ovr", average="weighted", labels=classes)
                )
        except ValueError:
            pass
    return out


class OpenMLLandmarkingGroup(MetaFeatureGroup):
    """OpenML's landmarker qualities, approximated with scikit-learn learners."""

    name = "openml_landmarking"
    description = "approximations of OpenML's Weka landmarkers (10-fold CV)"
    prefixed = False

    def features(self, task: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, (doc, _, _) in _learners().items():
            out[_name(key, "AUC")] = f"approximate weighted AUC of {doc} (10-fold CV)"
            out[_name(key, "ErrRate")] = f"approximate error rate of {doc} (10-fold CV)"
            out[_name(key, "Kappa")] = f"approximate Cohen's kappa of {doc} (10-fold CV)"
        return out

    def compute(self, data: PreparedData, budget: Budget) -> GroupResult:
        res = GroupResult()
        names = list(self.features(data.task))
        if data.task != "classification":
            res.skip(names, "OpenML computes landmarkers for classification only")
            return res
        rows = landmark_rows(data, MAX_ROWS)
        assert data.y is not None
        y = data.y[rows].astype(np.int64)
        counts = np.bincount(y)
        present = counts[counts > 0]
        n_splits = int(min(10, present.min()))
        if present.size < 2 or n_splits < 2:
            reason = "needs at least 2 classes with at least 2 rows each"
            res.skip(names, reason)
            res.notes.append(f"openml_landmarking skipped: {reason}")
            return res
        classes = np.flatnonzero(counts)
        splits = folds(y, "classification", n_splits, data.random_state)
        mats = {s: design_matrix(data, rows, scale=s) for s in ("standard", "range")}
        for key, (_, make, scale) in _learners().items():
            keys = [_name(key, m) for m in ("AUC", "ErrRate", "Kappa")]
            if budget.exhausted():
                res.skip(keys, "time budget exhausted")
                continue
            x = mats[scale]
            proba = np.zeros((y.size, classes.size))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for tr, te in splits:
                    est = make()
                    est.fit(x[tr], y[tr])  # type: ignore[attr-defined]
                    p = est.predict_proba(x[te])  # type: ignore[attr-defined]
                    cols = np.searchsorted(classes, est.classes_)  # type: ignore[attr-defined]
                    proba[np.ix_(te, cols)] = p
            for metric, val in _metrics(y, proba, classes).items():
                res.values[_name(key, metric)] = val
        return res
