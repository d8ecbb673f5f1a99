"""The ``info_theory`` group: entropies and mutual information, in bits.

Categorical features use their categories; numeric features are discretized into
equal-width bins, ``ceil(log2(n) + 1)`` of them (Sturges' rule, n = subsample rows);
a regression target is discretized the same way. Missing values are left out,
attribute by attribute. Computed on the subsample.
"""

from __future__ import annotations

import math

import numpy as np

from metafeatures._base import Budget, GroupResult, MetaFeatureGroup
from metafeatures._data import PreparedData
from metafeatures._stats import (
    SUMMARIES,
    SUMMARY_DOC,
    code_entropies,
    discretize,
    entropy_from_counts,
    mutual_information,
    summarize,
)

_SUPERVISED = {
    "info_theory.target_entropy": "entropy of the class (or of the discretized regression target)",
    "info_theory.equivalent_n_attributes": "target_entropy / mutual_information_mean: how "
    "many attributes of average informativeness would determine the target",
    "info_theory.noise_signal_ratio": "(attribute_entropy_mean - mutual_information_mean) / "
    "mutual_information_mean",
    "info_theory.joint_entropy_mean": "mean joint entropy of an attribute and the target",
}


def n_bins(n: int) -> int:
    """Sturges' rule."""
    return max(2, math.ceil(math.log2(max(n, 1)) + 1))


def all_codes(data: PreparedData) -> tuple[np.ndarray, np.ndarray]:
    """Codes of every feature (categorical, then discretized numeric) and their levels."""
    num_codes, num_levels = discretize(data.num, n_bins(data.n_sub))
    codes = np.concatenate([data.cat, num_codes], axis=1) if data.cat.shape[1] else num_codes
    levels = np.concatenate([np.maximum(data.cat_levels, 1), num_levels])
    return codes, levels


class InfoTheoryGroup(MetaFeatureGroup):
    """Attribute entropies, mutual information with the target, ENA and noise-signal."""

    name = "info_theory"
    description = "entropies and mutual information with the target (bits)"

    def features(self, task: str) -> dict[str, str]:
        out = {
            f"info_theory.attribute_entropy_{s}": f"{SUMMARY_DOC[s]} of the attribute entropies"
            for s in SUMMARIES
        }
        if task in ("classification", "regression"):
            out.update(
                {
                    f"info_theory.mutual_information_{s}": f"{SUMMARY_DOC[s]} of the mutual "
                    "information of each attribute with the target"
                    for s in SUMMARIES
                }
            )
            out.update(_SUPERVISED)
        return out

    def compute(self, data: PreparedData, budget: Budget) -> GroupResult:
        res = GroupResult()
        v = res.values
        codes, levels = all_codes(data)
        if data.task == "none":
            v.update(summarize("info_theory.attribute_entropy", code_entropies(codes, levels)))
            return res
        assert data.y is not None
        if data.task == "classification":
            y = data.y.astype(np.int64)
            k = int(y.max()) + 1
        else:
            yc, yl = discretize(data.y.reshape(-1, 1), n_bins(data.n_sub))
            y = yc[:, 0].astype(np.int64)
            k = int(yl[0])
        hy = float(entropy_from_counts(np.bincount(y, minlength=k)))
        mi, hx = mutual_information(codes, levels, y, k)
        v.update(summarize("info_theory.attribute_entropy", hx))
        v.update(summarize("info_theory.mutual_information", mi))
        v["info_theory.target_entropy"] = hy
        with np.errstate(invalid="ignore"):
            v["info_theory.joint_entropy_mean"] = float(np.nanmean(hx + hy - mi))
        mean_mi = v["info_theory.mutual_information_mean"]
        mean_hx = v["info_theory.attribute_entropy_mean"]
        if mean_mi > 0:
            v["info_theory.equivalent_n_attributes"] = hy / mean_mi
            v["info_theory.noise_signal_ratio"] = (mean_hx - mean_mi) / mean_mi
        else:
            reason = "mean mutual information is zero or undefined"
            res.skip(
                ["info_theory.equivalent_n_attributes", "info_theory.noise_signal_ratio"],
                reason,
            )
            res.notes.append(reason)
        return res
