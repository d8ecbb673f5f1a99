"""The ``statistical`` group: moments, correlations, PCA and outliers of numeric features.

Computed on the subsample (see :mod:`metafeatures._data`). Correlations and PCA use at
most :data:`MAX_CORR_FEATURES` numeric features (a deterministic random selection
when there are more), with missing values replaced by the column mean.
"""

from __future__ import annotations

import functools

import numpy as np

from metafeatures._base import Budget, GroupResult, MetaFeatureGroup
from metafeatures._data import PreparedData
from metafeatures._stats import SUMMARIES, SUMMARY_DOC, column_moments, mean_sd, summarize

MAX_CORR_FEATURES = 300
_ONE_HOT_MAX_CLASSES = 64

_MOMENTS = {
    "mean": "means",
    "sd": "standard deviations (ddof=1)",
    "skewness": "sample skewness G1",
    "kurtosis": "sample excess kurtosis G2",
}
_OTHER = {
    "statistical.abs_correlation_mean": "mean absolute Pearson correlation between pairs of "
    "numeric features",
    "statistical.abs_correlation_max": "largest absolute correlation between two numeric features",
    "statistical.abs_correlation_sd": "standard deviation of the pairwise absolute correlations",
    "statistical.pca_components_95": "principal components (of the standardized numeric "
    "features) needed for 95% of the variance",
    "statistical.pca_components_95_share": "pca_components_95 / number of numeric features used",
    "statistical.pca_first_component_share": "variance share of the first principal component",
    "statistical.outlier_share": "share of non-missing numeric values more than 3 standard "
    "deviations from their column mean",
}
_TARGET = {
    "statistical.target_correlation_mean": "mean association of numeric features with the "
    "target: correlation ratio eta (classification) or absolute Pearson correlation "
    "(regression)",
    "statistical.target_correlation_max": "largest such association",
}


@functools.lru_cache(maxsize=64)
def _upper_triangle(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the strict upper triangle of a p x p matrix (cached)."""
    iu = np.triu_indices(p, k=1)
    for a in iu:
        a.flags.writeable = False
    return iu


@functools.cache
def _names(task: str) -> tuple[str, ...]:
    return tuple(StatisticalGroup().features(task))


class StatisticalGroup(MetaFeatureGroup):
    """Summaries of per-feature moments; correlations; PCA; outliers."""

    name = "statistical"
    description = "moments, correlations, PCA and outliers of numeric features"

    def features(self, task: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for m, doc in _MOMENTS.items():
            for s in SUMMARIES:
                out[f"statistical.{m}_{s}"] = f"{SUMMARY_DOC[s]} of the per-feature {doc}"
        out.update(_OTHER)
        if task in ("classification", "regression"):
            out.update(_TARGET)
        return out

    def compute(self, data: PreparedData, budget: Budget) -> GroupResult:
        res = GroupResult()
        names = list(_names(data.task))
        x = data.num
        if x.shape[1] == 0:
            res.skip(names, "no numeric features")
            return res
        mom = column_moments(x, keep_deviations=True)
        dev = mom.pop("d")
        res.values.update(summarize("statistical.mean", mom["mean"]))
        res.values.update(summarize("statistical.sd", mom["sd"]))
        res.values.update(summarize("statistical.skewness", mom["skew"]))
        res.values.update(summarize("statistical.kurtosis", mom["kurt"]))
        usable = ~mom["const"] & (mom["n"] >= 2) & np.isfinite(mom["sd"])
        if (~usable).any():
            res.notes.append(
                f"{int((~usable).sum())} numeric feature(s) are constant or nearly all "
                "missing; they are left out of the moments, correlations and PCA"
            )
        idx = np.flatnonzero(usable)
        for k in _MOMENTS:
            for s in SUMMARIES:
                name = f"statistical.{k}_{s}"
                if np.isnan(res.values[name]):
                    res.skipped[name] = "undefined: too few usable numeric features"
        if idx.size == 0:
            res.skip([n for n in names if n not in res.values], "no usable numeric feature")
            return res
        if idx.size > MAX_CORR_FEATURES:
            rng = np.random.default_rng(data.random_state)
            idx = np.sort(rng.choice(idx, MAX_CORR_FEATURES, replace=False))
        sub_mom = {k: v[idx] for k, v in mom.items()}
        # standardized, missing -> 0 (the mean): deviations / sd
        z = dev if idx.size == dev.shape[1] else dev[:, idx]
        z /= sub_mom["sd"]
        del dev
        n = z.shape[0]
        v = res.values
        v["statistical.outlier_share"] = float(
            np.count_nonzero(np.abs(z) > 3) / max(int(sub_mom["n"].sum()), 1)
        )
        gram = z.T @ z
        sq_norms = np.diag(gram).copy()  # sum of squares of each standardized column
        corr = gram / max(n - 1, 1)
        np.fill_diagonal(corr, 1.0)
        p = idx.size
        if p >= 2:
            a = np.abs(corr[_upper_triangle(p)])
            mean, sd = mean_sd(a)
            v["statistical.abs_correlation_mean"] = mean
            v["statistical.abs_correlation_max"] = float(a.max())
            v["statistical.abs_correlation_sd"] = sd
        else:
            res.skip(
                [
                    "statistical.abs_correlation_mean",
                    "statistical.abs_correlation_max",
                    "statistical.abs_correlation_sd",
                ],
                "fewer than two usable numeric features",
            )
        eig = np.clip(np.linalg.eigvalsh(corr)[::-1], 0.0, None)
        share = eig / eig.sum()
        k95 = int(np.searchsorted(np.cumsum(share), 0.95 - 1e-12) + 1)
        v["statistical.pca_components_95"] = float(min(k95, p))
        v["statistical.pca_components_95_share"] = min(k95, p) / p
        v["statistical.pca_first_component_share"] = float(share[0])
        if data.task in ("classification", "regression"):
            assoc = self._target_association(z, data, sq_norms)
            v["statistical.target_correlation_mean"] = float(np.mean(assoc))
            v["statistical.target_correlation_max"] = float(np.max(assoc))
        return res

    @staticmethod
    def _target_association(z: np.ndarray, data: PreparedData, sq_norms: np.ndarray) -> np.ndarray:
        assert data.y is not None
        n = z.shape[0]
        if data.task == "regression":
            y = data.y
            sd = y.std(ddof=1) if n > 1 else 0.0
            if not sd > 0:
                return np.full(z.shape[1], np.nan)
            yz = (y - y.mean()) / sd
            return np.abs(yz @ z) / max(n - 1, 1)
        y = data.y.astype(np.int64)
        k = int(y.max()) + 1
        counts = np.bincount(y, minlength=k).astype(np.float64)
        if k <= _ONE_HOT_MAX_CLASSES:  # per-class sums as one small matrix product
            onehot = np.zeros((k, y.size))
            onehot[y, np.arange(y.size)] = 1.0
            sums = onehot @ z
        else:
            order = np.argsort(y, kind="stable")
            present = np.flatnonzero(counts > 0)
            starts = np.concatenate([[0], np.cumsum(counts[present])[:-1]]).astype(np.int64)
            sums = np.zeros((k, z.shape[1]))
            sums[present] = np.add.reduceat(z[order], starts, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / counts[:, None]
            between = (counts[:, None] * np.nan_to_num(means) ** 2).sum(axis=0)
            return np.sqrt(np.clip(between / sq_norms, 0.0, 1.0))
