"""What the meta-learned estimators share: input validation, recommendation, delegation."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils import column_or_1d
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from autometa._deprecation import renamed_attribute, renamed_in_state
from autometa._exceptions import DataError
from autometa._metrics import METRICS
from autometa._validation import check_features, check_target

__all__ = ["MetaEstimatorMixin", "METRIC_SCORING"]

logger = logging.getLogger(__name__)

#: The scikit-learn scorer of each knowledge-base metric (the default ``scoring``).
METRIC_SCORING = {m.name: m.scorer for m in METRICS.values()}


def _estimator_has(attr: str) -> Callable[[Any], bool]:
    """``available_if`` check: the fitted estimator has ``attr`` (True before fitting, when
    the learner is not chosen yet; calling the method then raises NotFittedError)."""

    def check(self: Any) -> bool:
        if hasattr(self, "estimator_"):
            getattr(self.estimator_, attr)
            return True
        return bool(self._prefit_has(attr))

    return check


@contextlib.contextmanager
def _as_data_error() -> Iterator[None]:
    """scikit-learn's input ValueErrors as :class:`~autometa.DataError` (same message)."""
    try:
        yield
    except DataError:
        raise
    except ValueError as exc:
        raise DataError(str(exc)) from None


class MetaEstimatorMixin(BaseEstimator):
    """Input validation, meta-features, recommendation and delegation to ``estimator_``.

    Subclasses set ``_task`` and call :meth:`_fit_prepare` in ``fit``.
    """

    _task: ClassVar[str] = "classification"

    meta_features_ = renamed_attribute("meta_features_", "metafeatures_")

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(renamed_in_state(state, "meta_features_", "metafeatures_"))

    def _prefit_has(self, attr: str) -> bool:
        """Whether ``attr`` may be available after ``fit`` (the learner is not chosen yet)."""
        return True

    # -- input --------------------------------------------------------------------------------
    @staticmethod
    def _as_input(X: Any) -> Any:
        """Object arrays become DataFrames so numeric columns stay numeric."""
        if isinstance(X, np.ndarray) and X.dtype == object:
            frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
            return frame.infer_objects()
        return X

    def _check_X(self, X: Any, *, reset: bool) -> Any:
        """autometa's checks (:mod:`autometa._validation`), then scikit-learn's (their
        ValueErrors, e.g. a feature count other than in ``fit``, become DataErrors with
        scikit-learn's message)."""
        X = check_features(X, type(self).__name__)
        with _as_data_error():
            if isinstance(X, pd.DataFrame):
                validate_data(self, X, reset=reset, skip_check_array=True)
                return X
            X = validate_data(
                self, X, reset=reset, dtype=None, ensure_all_finite="allow-nan", accept_sparse=False
            )
        return self._as_input(X)

    def _check_Xy(self, X: Any, y: Any) -> tuple[Any, Any]:
        regression = self._task == "regression"
        owner = type(self).__name__
        X = check_features(X, owner)
        check_target(y, owner, n_rows=int(X.shape[0]), task=self._task, allow_missing=False)
        with _as_data_error():
            if isinstance(X, pd.DataFrame):
                validate_data(self, X, reset=True, skip_check_array=True)
                y = column_or_1d(y, warn=True)
                check_consistent_length(X, y)
                if regression:
                    y = check_array(y, ensure_2d=False, dtype="numeric", input_name="y")
            else:
                X, y = validate_data(
                    self,
                    X,
                    y,
                    reset=True,
                    dtype=None,
                    ensure_all_finite="allow-nan",
                    accept_sparse=False,
                    y_numeric=regression,
                )
                X = self._as_input(X)
        if not regression:
            try:
                check_classification_targets(y)
            except ValueError as exc:
                raise DataError(
                    f"{exc} {owner} needs class labels in y; for a numeric quantity use "
                    "MetaRegressor (or a regressor)."
                ) from None
            classes = np.unique(y)
            if classes.size < 2:
                raise DataError(
                    f"{owner} needs at least 2 classes in y. Got one class "
                    f"({classes.tolist()[0]!r}) instead; pass data with at least two classes."
                )
        return X, y

    # -- meta-learning ------------------------------------------------------------------------
    def _metafeatures(self, X: Any, y: Any, random_state: int | None) -> pd.Series:
        from autometa.recommend import compute_metafeatures
        from metafeatures import MetaFeatureWarning

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MetaFeatureWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            mf = compute_metafeatures(X, y, self._task, random_state or 0)
        for w in caught:
            if issubclass(w.category, MetaFeatureWarning):
                logger.info("meta-features: %s", w.message)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return mf

    def _recommend(
        self,
        X: Any,
        y: Any,
        *,
        top_k: int,
        learners: Any,
        metric: Any,
        kb: Any,
        model: Any,
        random_state: int | None,
        time_budget: float | None = None,
    ) -> Any:
        from autometa.recommend import recommend_from_metafeatures

        mf = self._metafeatures(X, y, random_state)
        self.metafeatures_ = mf
        return recommend_from_metafeatures(
            mf,
            task=self._task,
            metric=metric,
            top_k=top_k,
            learners=learners,
            kb=kb,
            model=model,
            random_state=0 if random_state is None else random_state,
            n_rows=int(X.shape[0]),
            n_features=int(X.shape[1]),
            owner=type(self).__name__,
            stacklevel=4,
            time_budget=time_budget,
        )

    # -- delegation ---------------------------------------------------------------------------
    @available_if(_estimator_has("predict"))
    def predict(self, X: Any) -> np.ndarray:
        """Predict with the chosen pipeline ``estimator_``."""
        check_is_fitted(self)
        return self.estimator_.predict(self._check_X(X, reset=False))

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities from ``estimator_`` (when the chosen learner has them)."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(self._check_X(X, reset=False))

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log class probabilities from ``estimator_`` (when the chosen learner has them)."""
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(self._check_X(X, reset=False))

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        """Decision function of ``estimator_`` (when the chosen learner has one)."""
        check_is_fitted(self)
        return self.estimator_.decision_function(self._check_X(X, reset=False))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags
