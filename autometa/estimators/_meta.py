"""``MetaClassifier`` and ``MetaRegressor``: pick a learner and its hyperparameters in ``fit``."""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin, RegressorMixin, clone
from sklearn.metrics import get_scorer_names

from autometa._exceptions import DataError
from autometa._validation import (
    POSITIVE_INT,
    POSITIVE_NUMBER_OR_NONE,
    SEED,
    NamesAmong,
    StrOptions,
    validate_params,
)
from autometa.estimators._base import METRIC_SCORING, MetaEstimatorMixin

__all__ = ["MetaClassifier", "MetaRegressor"]

logger = logging.getLogger(__name__)

_PARAMS_DOC = """
    Parameters
    ----------
    top_k : int, default=10
        How many configurations the recommendation holds (``recommendation_``).
    n_candidates : int, default=1
        1: zero-shot, the first recommendation is fitted. More: the first ``n_candidates``
        recommendations are cross-validated and the best is fitted.
    cv : int, cross-validation generator or iterable, default=5
        The cross-validation of the candidates (as in ``cross_validate``).
    scoring : str, callable or None, default=None
        The score of the candidates; None uses the recommendation's metric
        (``balanced_accuracy`` / ``r2`` by default).
    time_budget : float or None, default=None
        Seconds: only configurations predicted to fit on all the data within it are
        recommended (the cost model's prediction for one single-threaded fit), and the
        candidates' cross-validation starts no new candidate once it is spent (at least one
        is always evaluated). None: no limit.
    learners : list of str or None, default=None
        Restrict to these registry learners.
    metric : str or None, default=None
        The knowledge-base metric of the recommendation; None: the meta-model's.
    kb : KnowledgeBase, path or None, default=None
        A knowledge base instead of the shipped default (see :func:`autometa.recommend`).
        Prefer a path: clones then share the cached state.
    model : MetaModel, path or None, default=None
        A meta-model instead of the shipped default.
    random_state : int or None, default=0
        Seed of the meta-features and of the chosen pipeline.
"""

_ATTRS_DOC = """
    Attributes
    ----------
    recommendation_ : Recommendation
        The recommendation for the training data (``.explain()``, ``.to_frame()``).
    metafeatures_ : Series
        The training data's meta-features (``meta_features_``, its old name, is
        deprecated: it warns and will be removed in autometa 0.3).
    best_learner_ : str
        The registry name of the chosen learner.
    best_params_ : dict
        Its hyperparameters.
    estimator_ : Pipeline
        The chosen pipeline (preprocessing + model), fitted on all the data.
    cv_results_ : dict of ndarray
        Only with ``n_candidates > 1``, as in scikit-learn's searches (``pd.DataFrame(
        cv_results_)`` for a table): one entry per evaluated candidate, in recommendation
        order: ``params`` (dicts), ``learner``, ``config_id``, ``recommendation_rank``,
        ``mean_fit_time``, ``std_fit_time``, ``split<k>_test_score``, ``mean_test_score``,
        ``std_test_score`` and ``rank_test_score`` (1 = the best mean test score).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Names of the features seen in ``fit`` (only when they are all strings).
"""


class _MetaSearch(MetaEstimatorMixin):
    #: scikit-learn style constraints, checked at the start of ``fit``; ``metric`` and
    #: ``learners`` depend on the task (see :meth:`_constraints`).
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "top_k": POSITIVE_INT,
        "n_candidates": POSITIVE_INT,
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "time_budget": POSITIVE_NUMBER_OR_NONE,
        "kb": "no_validation",  # checked where it is loaded (path, KnowledgeBase or None)
        "model": "no_validation",  # likewise (path, MetaModel or None)
        "random_state": SEED,
    }

    @classmethod
    def _constraints(cls) -> dict[str, Any]:
        from autometa.kb import metrics_for
        from autometa.learners import learner_names

        return {
            **cls._parameter_constraints,
            "metric": [StrOptions(set(metrics_for(cls._task))), None],
            "learners": [NamesAmong(learner_names(cls._task), f"{cls._task} learner"), None],
        }

    def __init__(
        self,
        *,
        top_k: int = 10,
        n_candidates: int = 1,
        cv: Any = 5,
        scoring: Any = None,
        time_budget: float | None = None,
        learners: Any = None,
        metric: str | None = None,
        kb: Any = None,
        model: Any = None,
        random_state: int | None = 0,
    ) -> None:
        self.top_k = top_k
        self.n_candidates = n_candidates
        self.cv = cv
        self.scoring = scoring
        self.time_budget = time_budget
        self.learners = learners
        self.metric = metric
        self.kb = kb
        self.model = model
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> Any:
        """Compute the meta-features, recommend, choose a pipeline and fit it.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric, categorical, string and missing values are fine.
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        validate_params(self._constraints(), self.get_params(deep=False), type(self).__name__)
        top_k, n_candidates = int(self.top_k), int(self.n_candidates)
        budget = None if self.time_budget is None else float(self.time_budget)
        seed = None if self.random_state is None else int(self.random_state)
        X, y = self._check_Xy(X, y)

        rec = self._recommend(
            X,
            y,
            top_k=max(top_k, n_candidates),
            learners=self.learners,
            metric=self.metric,
            kb=self.kb,
            model=self.model,
            random_state=seed,
            time_budget=budget,
        )
        self.recommendation_ = rec
        choice = 0
        if n_candidates > 1 and len(rec) > 1:
            choice = self._select(X, y, rec, n_candidates, budget, seed)
        self.estimator_, choice = self._fit_choice(X, y, rec, choice, seed)
        config = rec[choice]
        self.best_learner_ = config.learner
        self.best_params_ = dict(config.params)
        if self._task == "classification":
            self.classes_ = self.estimator_.classes_
        return self

    def _fit_choice(self, X: Any, y: Any, rec: Any, choice: int, seed: int | None) -> Any:
        """Fit recommendation ``choice``; if it cannot be fitted on this data or cannot
        predict after (e.g. a nearest-neighbours model with more neighbours than rows), the
        next ones in order, with a warning. Returns the fitted pipeline and its position."""
        owner = type(self).__name__
        order = [choice] + [i for i in range(len(rec)) if i != choice]
        first: Exception | None = None
        for i in order:
            try:
                fitted = clone(rec.pipeline(i, random_state=seed)).fit(X, y)
                # some models fail only when they predict (k-neighbours with k > rows)
                fitted.predict(X.iloc[:1] if isinstance(X, pd.DataFrame) else X[:1])
                return fitted, i
            except ValueError as exc:
                first = first or exc
                warnings.warn(
                    f"{owner} could not fit recommendation {i + 1} ({rec[i].learner}) on this "
                    f"data ({exc}); trying the next one.",
                    UserWarning,
                    stacklevel=3,
                )
        raise DataError(
            f"{owner} could not fit any of its {len(rec)} recommended pipelines on this data "
            f"({X.shape[0]} rows). The first failed with: {first}. Pass more rows (or "
            "top_k larger, or learners= that suit the data)."
        ) from first

    def _select(
        self, X: Any, y: Any, rec: Any, n_candidates: int, budget: float | None, seed: int | None
    ) -> int:
        from sklearn.model_selection import cross_validate

        scoring = self.scoring if self.scoring is not None else METRIC_SCORING[rec.metric]
        rows: list[dict[str, Any]] = []
        start = time.perf_counter()
        for i in range(min(n_candidates, len(rec))):
            if rows and budget is not None and time.perf_counter() - start >= budget:
                logger.info("time budget spent after %d candidate(s)", len(rows))
                break
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # fit failures -> NaN scores
                    res = cross_validate(
                        rec.pipeline(i, random_state=seed),
                        X,
                        y,
                        cv=self.cv,
                        scoring=scoring,
                        error_score=np.nan,
                    )
            except ValueError as exc:  # the data cannot be split (e.g. too few per class)
                warnings.warn(
                    f"{type(self).__name__} cannot cross-validate the candidates ({exc}); "
                    "the first recommendation is used (zero-shot).",
                    UserWarning,
                    stacklevel=3,
                )
                return 0
            scores = np.asarray(res["test_score"], dtype=float)
            finite = scores[np.isfinite(scores)]
            row = rec.table.iloc[i]
            rows.append(
                {
                    "recommendation_rank": int(row["rank"]),
                    "learner": row["learner"],
                    "params": dict(row["params"]),
                    "config_id": row["config_id"],
                    "mean_test_score": float(finite.mean()) if finite.size else np.nan,
                    "std_test_score": float(finite.std()) if finite.size else np.nan,
                    "mean_fit_time": float(np.mean(res["fit_time"])),
                    "std_fit_time": float(np.std(res["fit_time"])),
                    "splits": scores,
                }
            )
        self.cv_results_ = _cv_results(rows)
        means = self.cv_results_["mean_test_score"]
        if not np.isfinite(means).any():
            warnings.warn(
                f"Every candidate of {type(self).__name__} failed in cross-validation; the "
                "first recommendation is used.",
                UserWarning,
                stacklevel=3,
            )
            return 0
        return int(np.nanargmax(means))


def _cv_results(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """``cv_results_`` as scikit-learn's searches have it: a dict of arrays, one entry per
    candidate (``pd.DataFrame(cv_results_)`` makes a table of it)."""
    n_splits = max((len(r["splits"]) for r in rows), default=0)
    means = np.array([r["mean_test_score"] for r in rows], dtype=float)
    # scikit-learn's rank_test_score: 1 = best mean score; failed candidates rank last
    order = np.argsort(-np.nan_to_num(means, nan=-np.inf), kind="stable")
    rank = np.empty(len(rows), dtype=np.int32)
    rank[order] = np.arange(1, len(rows) + 1)
    params = np.empty(len(rows), dtype=object)
    params[:] = [r["params"] for r in rows]
    out: dict[str, np.ndarray] = {
        "params": params,
        "learner": np.array([r["learner"] for r in rows], dtype=object),
        "config_id": np.array([r["config_id"] for r in rows], dtype=object),
        "recommendation_rank": np.array([r["recommendation_rank"] for r in rows], dtype=np.int32),
        "mean_fit_time": np.array([r["mean_fit_time"] for r in rows], dtype=float),
        "std_fit_time": np.array([r["std_fit_time"] for r in rows], dtype=float),
    }
    for k in range(n_splits):
        out[f"split{k}_test_score"] = np.array(
            [r["splits"][k] if k < len(r["splits"]) else np.nan for r in rows], dtype=float
        )
    out["mean_test_score"] = means
    out["std_test_score"] = np.array([r["std_test_score"] for r in rows], dtype=float)
    out["rank_test_score"] = rank
    return out


class MetaClassifier(ClassifierMixin, _MetaSearch):
    __doc__ = (
        """A classifier that chooses its learner and hyperparameters from the data.

    In ``fit``: the meta-features of the training data, a recommendation from the
    meta-model (:func:`autometa.recommend`), then either the first recommendation
    (zero-shot, ``n_candidates=1``) or the best of the first ``n_candidates`` by
    cross-validation; the chosen pipeline (preprocessing + model, raw DataFrames welcome)
    is fitted on all the data as ``estimator_``. ``predict``, ``predict_proba``,
    ``decision_function`` and ``score`` go to it where the chosen learner has them.
"""
        + _PARAMS_DOC
        + _ATTRS_DOC
        + """    classes_ : ndarray
        The class labels.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from autometa import MetaClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> clf = MetaClassifier(n_candidates=3).fit(X, y)  # doctest: +SKIP
    >>> clf.best_learner_  # doctest: +SKIP
    'HistGradientBoostingClassifier'
    """
    )

    _task = "classification"


class MetaRegressor(RegressorMixin, _MetaSearch):
    __doc__ = (
        """A regressor that chooses its learner and hyperparameters from the data.

    As :class:`MetaClassifier`, for regression.
"""
        + _PARAMS_DOC
        + _ATTRS_DOC
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from autometa import MetaRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> reg = MetaRegressor().fit(X, y)  # doctest: +SKIP
    >>> reg.score(X, y)  # doctest: +SKIP
    """
    )

    _task = "regression"
