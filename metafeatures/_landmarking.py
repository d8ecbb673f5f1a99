"""The ``landmarking`` group: cross-validated scores of cheap learners.

Computed on at most :data:`MAX_ROWS` rows of the subsample (stratified), with
``min(5, smallest class size)`` stratified folds (5 folds for regression), shuffled
with ``random_state``. Scores: accuracy for classification, R^2 for regression
(mean over folds). The learners run in order and the remaining ones are skipped once
the group's time budget is spent.

Cost
----
Native thread pools run single-threaded during extraction (see
:mod:`metafeatures._threads`): on a busy machine, OpenMP and OpenBLAS threads that
spin while waiting for a core made this group take 1.6 s on a 10,000 x 50 frame
instead of 0.25 s. Two shortcuts give the same values as fitting each learner
separately: the decision stump is the root split of the depth-3 tree (a depth-first
tree splits its root exactly as a depth-1 tree with the same ``random_state``), so
its predictions are read off the fitted depth-3 tree instead of fitting a second
tree; and the design matrix is converted to float32 (the trees' input type) once
instead of once per fit.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

from metafeatures._base import Budget, GroupResult, MetaFeatureGroup
from metafeatures._data import PreparedData
from metafeatures._encode import design_matrix, folds, landmark_rows

MAX_ROWS = 2000


def _clf_learners() -> dict[str, tuple[str, Callable[[], object]]]:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.tree import DecisionTreeClassifier

    return {
        "landmarking.decision_stump": (
            "accuracy of a decision stump (depth-1 tree)",
            lambda: DecisionTreeClassifier(max_depth=1, random_state=0),
        ),
        "landmarking.shallow_tree": (
            "accuracy of a depth-3 decision tree",
            lambda: DecisionTreeClassifier(max_depth=3, random_state=0),
        ),
        "landmarking.one_nn": (
            "accuracy of 1-nearest-neighbour on standardized features",
            lambda: KNeighborsClassifier(n_neighbors=1),
        ),
        "landmarking.naive_bayes": ("accuracy of Gaussian naive Bayes", GaussianNB),
        "landmarking.lda": (
            "accuracy of linear discriminant analysis (shrinkage, lsqr)",
            lambda: LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto"),
        ),
    }


def _reg_learners() -> dict[str, tuple[str, Callable[[], object]]]:
    from sklearn.linear_model import Ridge
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.tree import DecisionTreeRegressor

    return {
        "landmarking.decision_stump": (
            "R^2 of a depth-1 regression tree",
            lambda: DecisionTreeRegressor(max_depth=1, random_state=0),
        ),
        "landmarking.shallow_tree": (
            "R^2 of a depth-3 regression tree",
            lambda: DecisionTreeRegressor(max_depth=3, random_state=0),
        ),
        "landmarking.one_nn": (
            "R^2 of 1-nearest-neighbour regression on standardized features",
            lambda: KNeighborsRegressor(n_neighbors=1),
        ),
        "landmarking.linear": ("R^2 of ridge regression (alpha=1)", lambda: Ridge(alpha=1.0)),
    }


def _score(est: object, x: np.ndarray, y: np.ndarray, task: str) -> float:
    return _score_values(est.predict(x), y, task)  # type: ignore[attr-defined]


_STUMP = "landmarking.decision_stump"
_TREE = "landmarking.shallow_tree"


def _score_values(pred: np.ndarray, y: np.ndarray, task: str) -> float:
    if task == "classification":
        return float(np.mean(pred == y))
    ss = float(((y - y.mean()) ** 2).sum())
    return 1.0 - float(((y - pred) ** 2).sum()) / ss if ss > 0 else math.nan


def _root_split_predict(est: object, x32: np.ndarray, task: str) -> np.ndarray:
    """Predictions of the depth-1 tree that is the root split of a fitted tree.

    Same as ``DecisionTree*(max_depth=1, random_state=same).fit(...).predict(x)``:
    the root node is split identically, and its children hold the same values.
    """
    t = est.tree_  # type: ignore[attr-defined]
    left, right = int(t.children_left[0]), int(t.children_right[0])
    if left < 0:  # the root is a leaf
        nodes = np.zeros(x32.shape[0], dtype=np.intp)
    else:
        go_left = x32[:, int(t.feature[0])] <= t.threshold[0]
        nodes = np.where(go_left, left, right)
    value = t.value[nodes, 0, :]
    if task == "classification":
        return est.classes_.take(np.argmax(value, axis=1), axis=0)  # type: ignore[attr-defined]
    return value[:, 0]


def _stump_and_tree_scores(
    make_tree: Callable[[], object],
    x32: np.ndarray,
    y: np.ndarray,
    splits: list,
    task: str,
    res: GroupResult,
    name: str,
) -> tuple[list[float], list[float]]:
    """Per-fold scores of the decision stump and the depth-3 tree from one fit each."""
    stump: list[float] = []
    tree: list[float] = []
    for tr, te in splits:
        try:
            est = make_tree()
            est.fit(x32[tr], y[tr])  # type: ignore[attr-defined]
            stump.append(_score_values(_root_split_predict(est, x32[te], task), y[te], task))
            tree.append(_score(est, x32[te], y[te], task))
        except (ValueError, np.linalg.LinAlgError) as exc:
            res.notes.append(f"{name}: {exc}")
            stump.append(math.nan)
            tree.append(math.nan)
    return stump, tree


class LandmarkingGroup(MetaFeatureGroup):
    """Cross-validated scores of cheap learners on a small subsample."""

    name = "landmarking"
    description = "cross-validated scores of cheap learners on <= 2000 rows"

    def features(self, task: str) -> dict[str, str]:
        if task == "classification":
            return {k: d for k, (d, _) in _clf_learners().items()}
        if task == "regression":
            return {k: d for k, (d, _) in _reg_learners().items()}
        return {}

    def compute(self, data: PreparedData, budget: Budget) -> GroupResult:
        res = GroupResult()
        if data.task == "none":
            return res
        learners = _clf_learners() if data.task == "classification" else _reg_learners()
        rows = landmark_rows(data, MAX_ROWS)
        assert data.y is not None
        y = data.y[rows]
        if data.task == "classification":
            counts = np.bincount(y.astype(np.int64))
            counts = counts[counts > 0]
            n_splits = int(min(5, counts.min()))
            if counts.size < 2 or n_splits < 2:
                reason = "needs at least 2 classes with at least 2 rows each"
                res.skip(list(learners), reason)
                res.notes.append(f"landmarking skipped: {reason}")
                return res
        else:
            n_splits = min(5, y.size)
            if n_splits < 2 or np.ptp(y) == 0:
                reason = "needs at least 2 rows and a non-constant target"
                res.skip(list(learners), reason)
                res.notes.append(f"landmarking skipped: {reason}")
                return res
        x = design_matrix(data, rows)
        x32 = np.ascontiguousarray(x, dtype=np.float32)  # the trees' own input dtype
        splits = folds(y, data.task, n_splits, data.random_state)
        tree_cache: dict[str, list[float]] = {}
        for name, (_, make) in learners.items():
            if budget.exhausted():
                res.skip([name], "time budget exhausted")
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if name in tree_cache:
                    scores = tree_cache.pop(name)
                elif name == _STUMP and _TREE in learners:
                    stump, tree = _stump_and_tree_scores(
                        learners[_TREE][1], x32, y, splits, data.task, res, name
                    )
                    scores = stump
                    tree_cache[_TREE] = tree
                else:
                    xs = x32 if name == _TREE else x
                    scores = []
                    for tr, te in splits:
                        try:
                            est = make()
                            est.fit(xs[tr], y[tr])  # type: ignore[attr-defined]
                            scores.append(_score(est, xs[te], y[te], data.task))
                        except (ValueError, np.linalg.LinAlgError) as exc:
                            res.notes.append(f"{name}: {exc}")
                            scores.append(math.nan)
            val = float(np.nanmean(scores)) if np.isfinite(scores).any() else math.nan
            res.values[name] = val
            if math.isnan(val):
                res.skipped[name] = "learner failed or score undefined on every fold"
        return res
