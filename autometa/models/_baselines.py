"""Baseline meta-models without torch: defaults, single best, greedy portfolio, nearest datasets.

Each baseline orders the configurations of the pool; :meth:`MetaModel.rank` returns that
order. The order is realized through :meth:`MetaModel.predict`, whose values are **ordering
scores** for every baseline but :class:`SingleBest`: a decreasing score by position in the
order, ``1 - position / n_configs``, not a calibrated estimate of the normalized score. Only
:class:`SingleBest` predicts a score with a meaning: the mean normalized score of each
configuration on the training datasets. Every baseline keeps that mean in
``mean_score_`` for whoever needs an (uncalibrated, context-free) estimate.

Missing cells of the normalized matrix (configurations never evaluated on a dataset) are
left out of means; when looking for the best-so-far they count as the worst score (0), as
failed runs do. Ties are broken by the pool's configuration order, so every order is
deterministic.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from autometa.models import SingleBest, TaskData
>>> scores = pd.DataFrame([[1.0, 0.0], [0.2, 1.0], [0.9, 0.0]],
...                       index=["a", "b", "c"], columns=["x", "y"])
>>> data = TaskData("classification", "balanced_accuracy",
...                 metafeatures=pd.DataFrame({"f": [0.0, 1.0, 2.0]}, index=scores.index),
...                 configurations=pd.DataFrame({"learner": ["L", "L"], "params": ["{}", "{}"]},
...                                             index=["x", "y"]),
...                 scores=scores, raw=scores, families=pd.Series(["a", "b", "c"], index=scores.index))
>>> SingleBest().fit(data).rank(pd.Series({"f": 0.5}))
['x', 'y']
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from autometa._exceptions import ModelError
from autometa.models._base import MetaModel, Prediction, TaskData, as_frame, check_positive_int

__all__ = ["DefaultsModel", "GreedyPortfolio", "NearestDatasets", "SingleBest"]

logger = logging.getLogger(__name__)

_GAIN_TOL = 1e-12


def _mean_scores(scores: np.ndarray) -> np.ndarray:
    """Mean normalized score of each configuration over the datasets where it has one.

    A configuration never evaluated on any training dataset gets 0 (the worst score), so it
    comes last.
    """
    evaluated = ~np.isnan(scores)
    counts = evaluated.sum(axis=0)
    sums = np.where(evaluated, scores, 0.0).sum(axis=0)
    return np.divide(sums, counts, out=np.zeros(scores.shape[1]), where=counts > 0)


def _sbs_order(mean: np.ndarray) -> np.ndarray:
    """Positions of the configurations by decreasing mean; ties keep the pool order."""
    return np.argsort(-mean, kind="stable")


def _complete(head: list[int], fill: np.ndarray) -> np.ndarray:
    """``head`` followed by the positions of ``fill`` not already in it."""
    seen = set(head)
    return np.array(head + [int(i) for i in fill if int(i) not in seen], dtype=np.int64)


class _OrderBaseline(MetaModel):
    """A baseline whose answer is one order of the pool, the same for every dataset."""

    #: The fitted order does not depend on ``random_state`` (evaluation harnesses run it once
    #: for all seeds).
    deterministic: ClassVar[bool] = True
    #: :meth:`predict` gives ordering scores (see the module docstring).
    predicts_scores: ClassVar[bool] = False

    def __init__(self, *, random_state: int = 0) -> None:
        super().__init__(random_state=random_state)
        self.mean_score_: np.ndarray | None = None
        self.order_: np.ndarray | None = None

    @property
    def order(self) -> list[str]:
        """The configuration ids in the order this baseline tries them."""
        self._check_fitted()
        assert self.config_ids_ is not None and self.order_ is not None
        return [self.config_ids_[i] for i in self.order_]

    def _fit(self, data: TaskData) -> None:
        scores = data.scores.to_numpy(dtype=np.float64)
        self.mean_score_ = _mean_scores(scores)
        self.order_ = self._fit_order(data, scores, _sbs_order(self.mean_score_))

    def _fit_order(self, data: TaskData, scores: np.ndarray, sbs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _ordering_scores(self, order: np.ndarray) -> np.ndarray:
        """``1 - position / n``: decreasing by position in ``order``."""
        n = len(order)
        values = np.empty(n)
        values[order] = 1.0 - np.arange(n) / n
        return values

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        assert self.order_ is not None
        row = self._ordering_scores(self.order_)
        return Prediction(
            mean=self._frame(np.tile(row, (len(metafeatures), 1)), metafeatures.index)
        )

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        assert self.order_ is not None and self.mean_score_ is not None
        return {}, {"order": self.order_, "mean_score": self.mean_score_}

    def _load_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        self.order_ = np.asarray(arrays["order"], dtype=np.int64)
        self.mean_score_ = np.asarray(arrays["mean_score"], dtype=np.float64)


class SingleBest(_OrderBaseline):
    """Single best solver (SBS): configurations by decreasing mean training score.

    The score of a configuration is its normalized score averaged over the training
    datasets (missing cells left out); :meth:`predict` returns that mean for every
    dataset, so it is the one baseline whose predictions estimate normalized scores.

    Parameters
    ----------
    random_state : int, default=0
        Unused (the order is deterministic); kept for the common interface.

    Attributes
    ----------
    mean_score_ : ndarray of shape (n_configs,)
        Mean normalized training score of each configuration, in ``config_ids_`` order.
    order : list of str
        The configuration ids, best mean first; ties keep the pool order.
    """

    name: ClassVar[str] = "sbs"
    predicts_scores: ClassVar[bool] = True

    def _fit_order(self, data: TaskData, scores: np.ndarray, sbs: np.ndarray) -> np.ndarray:
        return sbs

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        assert self.mean_score_ is not None
        values = np.tile(self.mean_score_, (len(metafeatures), 1))
        return Prediction(mean=self._frame(values, metafeatures.index))


class DefaultsModel(_OrderBaseline):
    """scikit-learn's defaults: the default configuration of each learner first.

    The default configurations found in the pool come first, ordered by their mean
    normalized training score; the other configurations follow in single-best order.
    :meth:`predict` returns ordering scores (see the module docstring).

    Parameters
    ----------
    random_state : int, default=0
        Unused; kept for the common interface.

    Attributes
    ----------
    n_defaults_ : int
        How many default configurations the pool holds (those tried first).
    """

    name: ClassVar[str] = "defaults"

    def _fit_order(self, data: TaskData, scores: np.ndarray, sbs: np.ndarray) -> np.ndarray:
        from autometa.learners import get_learner

        defaults: set[str] = set()
        for learner in data.configurations["learner"].unique():
            try:
                defaults.add(get_learner(str(learner)).default_configuration().config_id)
            except Exception:  # a learner unknown to this installation's registry
                logger.warning("learner %r is not in the registry; no default for it", learner)
        ids = list(data.config_ids)
        head = [int(i) for i in sbs if ids[i] in defaults]
        if not head:
            logger.warning(
                "no learner's default configuration is in the pool of %d configurations; "
                "'defaults' falls back to the single-best order",
                len(ids),
            )
        self.n_defaults_ = len(head)
        return _complete(head, sbs)

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = super()._state()
        return {**meta, "n_defaults": self.n_defaults_}, arrays

    def _load_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        super()._load_state(meta, arrays)
        self.n_defaults_ = int(meta["n_defaults"])


class GreedyPortfolio(_OrderBaseline):
    """Greedy portfolio (auto-sklearn 2.0 / TabRepo style).

    Configurations are added one at a time, each minimizing the training datasets' mean
    regret of the best-so-far, ``mean_d (1 - max_{c in portfolio} score[d, c])``. Among
    configurations with the same gain the one first in single-best order is taken. Once no
    configuration lowers that regret (the portfolio covers every dataset), the rest follow
    in single-best order. :meth:`predict` returns ordering scores.

    Parameters
    ----------
    random_state : int, default=0
        Unused; kept for the common interface.

    Attributes
    ----------
    portfolio_size_ : int
        How many configurations the greedy part chose (the rest is single-best order).
    train_regret_ : ndarray of shape (portfolio_size_,)
        Mean training regret of the best-so-far after each greedy step.
    """

    name: ClassVar[str] = "portfolio"

    def _fit_order(self, data: TaskData, scores: np.ndarray, sbs: np.ndarray) -> np.ndarray:
        filled = np.nan_to_num(scores, nan=0.0)[:, sbs]  # columns in SBS order: ties -> SBS
        best = np.zeros(filled.shape[0])
        available = np.ones(filled.shape[1], dtype=bool)
        chosen: list[int] = []
        regrets: list[float] = []
        while available.any():
            gain = np.maximum(filled - best[:, None], 0.0).mean(axis=0)
            gain[~available] = -np.inf
            j = int(np.argmax(gain))  # first maximum: the earliest in SBS order
            if gain[j] <= _GAIN_TOL:
                break
            chosen.append(int(sbs[j]))
            available[j] = False
            best = np.maximum(best, filled[:, j])
            regrets.append(float(1.0 - best.mean()))
        self.portfolio_size_ = len(chosen)
        self.train_regret_ = np.array(regrets)
        return _complete(chosen, sbs)

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = super()._state()
        return {**meta, "portfolio_size": self.portfolio_size_}, {
            **arrays,
            "train_regret": self.train_regret_,
        }

    def _load_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        super()._load_state(meta, arrays)
        self.portfolio_size_ = int(meta["portfolio_size"])
        self.train_regret_ = np.asarray(arrays["train_regret"], dtype=np.float64)


class NearestDatasets(_OrderBaseline):
    """Nearest datasets (auto-sklearn 1.0 style meta-learning warm start).

    Meta-features are min-max scaled with the minimum and maximum of the training
    datasets (features constant or undefined on every training dataset are dropped). The
    distance between two datasets is the NaN-aware L1 distance: the mean absolute
    difference over the features defined on both (the sum over features, as in
    auto-sklearn, divided by their number so that datasets with missing meta-features are
    not favoured). Datasets sharing no defined feature are at infinite distance. The order
    is the best configuration of the nearest training dataset, then of the second nearest,
    and so on, skipping configurations already taken, until ``n_configs`` configurations;
    the rest follow in single-best order. Ties in distance keep the training order; a
    dataset's best configuration is, among its tied best ones, the first in single-best
    order.

    :meth:`predict` returns ordering scores, one row per queried dataset.

    Parameters
    ----------
    n_configs : int, default=25
        How many configurations to take from the nearest datasets.
    random_state : int, default=0
        Unused; kept for the common interface.

    Attributes
    ----------
    features_ : list of str
        The meta-features used (defined and not constant on the training datasets).
    min_, max_ : ndarray of shape (n_features,)
        The scaling of each feature.
    train_ : ndarray of shape (n_train_datasets, n_features)
        The scaled meta-features of the training datasets (NaN where undefined).
    best_ : ndarray of shape (n_train_datasets,)
        Position in ``config_ids_`` of each training dataset's best configuration.
    """

    name: ClassVar[str] = "nearest"

    def __init__(self, *, n_configs: int = 25, random_state: int = 0) -> None:
        super().__init__(random_state=random_state)
        self.n_configs = n_configs

    def _fit_order(self, data: TaskData, scores: np.ndarray, sbs: np.ndarray) -> np.ndarray:
        check_positive_int(self.n_configs, "n_configs", type(self).__name__)
        mf = data.metafeatures.loc[data.scores.index].to_numpy(dtype=np.float64)
        lo = np.where(np.isnan(mf), np.inf, mf).min(axis=0, initial=np.inf)
        hi = np.where(np.isnan(mf), -np.inf, mf).max(axis=0, initial=-np.inf)
        keep = np.isfinite(lo) & np.isfinite(hi) & (hi > lo)
        if not keep.any():
            logger.warning(
                "no meta-feature varies over the %d training datasets; 'nearest' falls back "
                "to the single-best order",
                mf.shape[0],
            )
        self.features_ = [c for c, k in zip(data.metafeatures.columns, keep) if k]
        self.min_, self.max_ = lo[keep], hi[keep]
        self.train_ = self._scale(mf[:, keep])
        # Best configuration of each training dataset; ties -> first in SBS order.
        in_sbs = np.nan_to_num(scores, nan=-np.inf)[:, sbs]
        self.best_ = sbs[np.argmax(in_sbs, axis=1)].astype(np.int64)
        return sbs  # the order for a dataset without usable meta-features

    def _scale(self, values: np.ndarray) -> np.ndarray:
        return (values - self.min_) / (self.max_ - self.min_)

    def distances(self, metafeatures: pd.DataFrame | pd.Series) -> pd.DataFrame:
        """NaN-aware L1 distance of each queried dataset to each training dataset.

        Returns
        -------
        DataFrame
            Index: the queried datasets; columns: the training datasets' positions (their
            ids are in ``train_ids_``).
        """
        self._check_fitted()
        frame = as_frame(metafeatures, f"{type(self).__name__}.distances")
        return pd.DataFrame(
            self._distances(frame), index=frame.index, columns=pd.Index(self.train_ids_)
        )

    def _distances(self, frame: pd.DataFrame) -> np.ndarray:
        query = self._scale(frame.reindex(columns=self.features_).to_numpy(dtype=np.float64))
        diff = np.abs(query[:, None, :] - self.train_[None, :, :])  # (q, n_train, f)
        both = ~np.isnan(diff)
        count = both.sum(axis=2)
        total = np.where(both, diff, 0.0).sum(axis=2)
        return np.divide(total, count, out=np.full(count.shape, np.inf), where=count > 0)

    def _fit(self, data: TaskData) -> None:
        super()._fit(data)
        self.train_ids_ = list(data.scores.index)

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        assert self.order_ is not None
        dist = self._distances(metafeatures)
        n_take = min(self.n_configs, len(self.order_))
        rows = []
        for d in dist:
            head: list[int] = []
            for t in np.argsort(d, kind="stable"):
                if not np.isfinite(d[t]) or len(head) == n_take:
                    break
                if int(self.best_[t]) not in head:
                    head.append(int(self.best_[t]))
            rows.append(self._ordering_scores(_complete(head, self.order_)))
        values = np.array(rows).reshape(len(metafeatures), len(self.order_))
        return Prediction(
            mean=self._frame(values, metafeatures.index),
            extras={"distances": dist},
        )

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = super()._state()
        meta = {
            **meta,
            "n_configs": self.n_configs,
            "features": self.features_,
            "train_ids": self.train_ids_,
        }
        arrays = {
            **arrays,
            "min": self.min_,
            "max": self.max_,
            "train": self.train_,
            "best": self.best_,
        }
        return meta, arrays

    def _load_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        super()._load_state(meta, arrays)
        self.n_configs = int(meta["n_configs"])
        self.features_ = list(meta["features"])
        self.train_ids_ = list(meta["train_ids"])
        self.min_ = np.asarray(arrays["min"], dtype=np.float64)
        self.max_ = np.asarray(arrays["max"], dtype=np.float64)
        self.train_ = np.asarray(arrays["train"], dtype=np.float64).reshape(
            len(self.train_ids_), len(self.features_)
        )
        self.best_ = np.asarray(arrays["best"], dtype=np.int64)
        if len(self.best_) != len(self.train_ids_):
            raise ModelError(
                f"The saved 'nearest' model is inconsistent: {len(self.best_)} best "
                f"configurations for {len(self.train_ids_)} training datasets. Re-save it."
            )


class NearestDatasets50(NearestDatasets):
    """:class:`NearestDatasets` taking 50 configurations from the nearest datasets.

    The stronger nearest-datasets baseline of the benchmarks (every meta-feature, min-max
    scaled, L1; the best configuration of each of the 50 nearest datasets in turn), beside
    auto-sklearn 1.0's 25.
    """

    name: ClassVar[str] = "nearest50"

    def __init__(self, *, n_configs: int = 50, random_state: int = 0) -> None:
        super().__init__(n_configs=n_configs, random_state=random_state)
