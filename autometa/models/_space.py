"""Distances between datasets in meta-feature space: nearest datasets and out-of-distribution.

:class:`MetaFeatureSpace` is fitted on the meta-features of a knowledge base's datasets
(:class:`~autometa.models.TaskData`). It answers two questions with one distance:

- which knowledge-base datasets are nearest to a new one (the explanations' "looks like
  these datasets"); a dataset passed back in finds itself (or an exact duplicate) first;
- whether the new dataset is out of distribution: its distance to the nearest
  knowledge-base dataset is above :attr:`MetaFeatureSpace.ood_threshold_`.

The distance
------------
Each meta-feature is compressed with ``arcsinh`` (counts and ratios span orders of
magnitude), centred on its median over the knowledge base and divided by its
inter-quartile range (or standard deviation, or 1, when that is zero); there is no
clipping, so values beyond every knowledge-base dataset stay far. The distance between two
datasets is the root mean square of the differences over the meta-features defined on
both (NaN-aware: a meta-feature undefined on either side does not count), each difference
capped at ``cap`` so that one degenerate meta-feature cannot decide alone. Datasets sharing
no defined meta-feature are at infinite distance.

The threshold
-------------
Leave one family out: for each knowledge-base dataset, the distance to the nearest dataset
of *another* family (near-duplicates share a family). ``ood_threshold_`` is the ``level``
quantile (default 0.95) of these distances, so about 5% of the knowledge base's own
datasets would be flagged if each were new. It is computed in :meth:`fit`, so ``autometa
models train`` stores it with the models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from autometa._exceptions import DataError, ParameterError
from autometa.models._base import TaskData, as_frame
from autometa.models._torch_utils import aligned_values, compress, robust_center_scale

__all__ = ["MetaFeatureSpace"]


class MetaFeatureSpace:
    """Nearest knowledge-base datasets and an out-of-distribution threshold.

    Parameters
    ----------
    level : float, default=0.95
        Quantile of the knowledge base's leave-one-family-out nearest distances used as
        the out-of-distribution threshold.
    cap : float, default=10.0
        Largest difference one meta-feature contributes (in inter-quartile ranges of its
        ``arcsinh``).

    Attributes
    ----------
    names_ : list of str
        The meta-features (columns aligned by name on new datasets).
    dataset_ids_ : list of str
        The knowledge-base datasets.
    reference_distances_ : ndarray
        Each knowledge-base dataset's distance to the nearest dataset of another family,
        sorted.
    ood_threshold_ : float
        The ``level`` quantile of ``reference_distances_`` (inf if there is none).

    Examples
    --------
    >>> space = MetaFeatureSpace().fit(data)  # doctest: +SKIP
    >>> space.neighbours(data.metafeatures.iloc[0], k=1)  # doctest: +SKIP
    """

    def __init__(self, *, level: float = 0.95, cap: float = 10.0) -> None:
        self.level = level
        self.cap = cap

    # -- fitting --------------------------------------------------------------------------
    def fit(self, data: TaskData) -> MetaFeatureSpace:
        """Scale on ``data.metafeatures`` and calibrate the threshold leave-one-family-out."""
        if not (isinstance(self.level, (int, float)) and 0 < self.level <= 1):
            raise ParameterError(
                f"The 'level' parameter of MetaFeatureSpace must be a float in (0, 1]. "
                f"Got {self.level!r} instead."
            )
        mf = data.metafeatures
        if mf.shape[1] == 0:
            raise DataError(
                "Cannot compare datasets without meta-features: the meta-feature table has "
                "no column. Extract meta-features first."
            )
        self.names_ = [str(c) for c in mf.columns]
        x = compress(mf.to_numpy(dtype=np.float64))
        self.center_, self.scale_ = robust_center_scale(x)
        self.train_ = (x - self.center_) / self.scale_
        self.dataset_ids_ = [str(d) for d in mf.index]
        self.families_ = [str(data.families.get(d, d)) for d in mf.index]
        self._calibrate()
        return self

    def _calibrate(self) -> None:
        d = self._distances(self.train_)
        fam = np.asarray(self.families_)
        d[fam[:, None] == fam[None, :]] = np.inf
        ref = d.min(axis=1) if d.size else np.array([])
        self.reference_distances_ = np.sort(ref[np.isfinite(ref)])
        self.ood_threshold_ = (
            float(np.quantile(self.reference_distances_, float(self.level)))
            if self.reference_distances_.size
            else float("inf")
        )

    # -- distances ------------------------------------------------------------------------
    def transform(self, metafeatures: pd.DataFrame | pd.Series) -> np.ndarray:
        """The scaled meta-features ``(n_datasets, n_features)``, NaN where undefined."""
        frame = as_frame(metafeatures, "MetaFeatureSpace")
        return (compress(aligned_values(frame, self.names_)) - self.center_) / self.scale_

    def _distances(self, query: np.ndarray) -> np.ndarray:
        out = np.empty((len(query), len(self.train_)))
        for i, q in enumerate(query):  # row by row: memory stays (n_train, n_features)
            diff = np.minimum(np.abs(self.train_ - q), float(self.cap))
            both = ~np.isnan(diff)
            count = both.sum(axis=1)
            total = np.where(both, diff**2, 0.0).sum(axis=1)
            with np.errstate(all="ignore"):
                out[i] = np.where(count > 0, np.sqrt(total / np.maximum(count, 1)), np.inf)
        return out

    def distances(self, metafeatures: pd.DataFrame | pd.Series) -> pd.DataFrame:
        """Distance of each queried dataset (rows) to each knowledge-base dataset (columns)."""
        frame = as_frame(metafeatures, "MetaFeatureSpace.distances")
        return pd.DataFrame(
            self._distances(self.transform(frame)),
            index=frame.index,
            columns=pd.Index(self.dataset_ids_, name="dataset_id"),
        )

    def neighbours(self, metafeatures: pd.Series | pd.DataFrame, k: int = 5) -> pd.DataFrame:
        """The ``k`` knowledge-base datasets nearest to one dataset, nearest first.

        Returns
        -------
        DataFrame
            Columns ``dataset_id`` and ``distance``; ties keep the knowledge base's order.
        """
        dist = self.distances(metafeatures).iloc[0].to_numpy(dtype=np.float64)
        keep = [int(i) for i in np.argsort(dist, kind="stable") if np.isfinite(dist[i])][: int(k)]
        return pd.DataFrame(
            {"dataset_id": [self.dataset_ids_[i] for i in keep], "distance": dist[keep]}
        )

    def ood_distance(self, metafeatures: pd.Series | pd.DataFrame) -> float:
        """The distance from one dataset to its nearest knowledge-base dataset."""
        dist = self.distances(metafeatures).iloc[0].to_numpy(dtype=np.float64)
        return float(dist.min()) if dist.size else float("inf")

    # -- persistence ----------------------------------------------------------------------
    def state(self, prefix: str = "space.") -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON metadata (with the threshold) and named arrays, for :meth:`MetaModel.save`."""
        meta = {
            "names": self.names_,
            "dataset_ids": self.dataset_ids_,
            "families": self.families_,
            "level": float(self.level),
            "cap": float(self.cap),
            "ood_threshold": float(self.ood_threshold_),
            "n_reference": int(self.reference_distances_.size),
        }
        arrays = {
            f"{prefix}center": self.center_.astype(np.float64),
            f"{prefix}scale": self.scale_.astype(np.float64),
            f"{prefix}train": self.train_.astype(np.float64),
            f"{prefix}reference": self.reference_distances_.astype(np.float64),
        }
        return meta, arrays

    @classmethod
    def from_state(
        cls, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], prefix: str = "space."
    ) -> MetaFeatureSpace:
        space = cls(level=float(meta["level"]), cap=float(meta["cap"]))
        space.names_ = list(meta["names"])
        space.dataset_ids_ = list(meta["dataset_ids"])
        space.families_ = list(meta["families"])
        space.center_ = np.asarray(arrays[f"{prefix}center"], dtype=np.float64)
        space.scale_ = np.asarray(arrays[f"{prefix}scale"], dtype=np.float64)
        space.train_ = np.asarray(arrays[f"{prefix}train"], dtype=np.float64).reshape(
            len(space.dataset_ids_), len(space.names_)
        )
        space.reference_distances_ = np.asarray(arrays[f"{prefix}reference"], dtype=np.float64)
        space.ood_threshold_ = float(meta["ood_threshold"])
        return space
