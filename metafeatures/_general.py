"""The ``general`` group: counts, ratios, missing values, class balance or target."""

from __future__ import annotations

import math

import numpy as np

from metafeatures._base import Budget, GroupResult, MetaFeatureGroup
from metafeatures._data import PreparedData
from metafeatures._stats import column_moments, entropy_from_counts

_COMMON = {
    "general.n_instances": "number of rows (full data)",
    "general.log_n_instances": "natural log of n_instances",
    "general.n_features": "number of features (target excluded)",
    "general.log_n_features": "natural log of n_features",
    "general.n_numeric_features": "numeric features (datetime included)",
    "general.n_categorical_features": "categorical features (category, bool, object, string)",
    "general.n_binary_features": "features with exactly two distinct values (subsample; "
    "declared categories for category dtype)",
    "general.n_datetime_features": "datetime or timedelta features",
    "general.numeric_share": "n_numeric_features / n_features",
    "general.categorical_share": "n_categorical_features / n_features",
    "general.dimensionality": "n_features / n_instances",
    "general.log_dimensionality": "natural log of dimensionality",
    "general.n_missing_values": "missing feature values (full data)",
    "general.missing_value_share": "n_missing_values / (n_instances * n_features)",
    "general.n_rows_with_missing": "rows with at least one missing feature value (full data)",
    "general.rows_with_missing_share": "n_rows_with_missing / n_instances",
    "general.n_constant_features": "features with at most one distinct value (subsample)",
    "general.n_all_missing_features": "features whose values are all missing (full data)",
    "general.categorical_cardinality_max": "largest number of categories of a categorical feature",
    "general.categorical_cardinality_mean": "mean number of categories of categorical features",
}
_CLASSIFICATION = {
    "general.n_classes": "number of classes present",
    "general.class_entropy": "entropy of the class distribution in bits (full data)",
    "general.class_entropy_normalized": "class_entropy / log2(n_classes)",
    "general.majority_class_share": "share of the largest class",
    "general.minority_class_share": "share of the smallest class",
    "general.imbalance_ratio": "size of the largest class / size of the smallest class",
}
_REGRESSION = {
    "general.target_mean": "mean of the target (full data)",
    "general.target_sd": "standard deviation of the target (ddof=1)",
    "general.target_min": "minimum of the target",
    "general.target_max": "maximum of the target",
    "general.target_skewness": "sample skewness G1 of the target",
    "general.target_kurtosis": "sample excess kurtosis G2 of the target",
    "general.target_unique_share": "distinct target values / non-missing target values",
}


_HEAD_ROWS = 256


def _binary_and_constant(data: PreparedData) -> tuple[int, int]:
    num = data.num
    n_bin = n_const = 0
    if num.shape[1]:
        with np.errstate(invalid="ignore"):
            lo = np.nanmin(num, axis=0) if num.shape[0] else np.full(num.shape[1], np.nan)
            hi = np.nanmax(num, axis=0) if num.shape[0] else np.full(num.shape[1], np.nan)
        cand = np.flatnonzero(hi > lo)
        # a value of the first rows other than the column's min and max rules the column
        # out: check those rows first, then the remaining candidates on all rows
        for block in (num[:_HEAD_ROWS], num):
            if not cand.size:
                break
            part = block[:, cand]
            keep = (np.isnan(part) | (part == lo[cand]) | (part == hi[cand])).all(axis=0)
            cand = cand[keep]
        n_bin += int(cand.size)
        n_const += int((~(hi > lo)).sum())
    cat = data.cat
    for j in range(cat.shape[1]):
        c = cat[:, j]
        distinct = np.unique(c[c >= 0]).size
        if data.cat_levels[j] == 2:
            n_bin += 1
        if distinct <= 1:
            n_const += 1
    return n_bin, n_const


class GeneralGroup(MetaFeatureGroup):
    """Counts, ratios and logs; class balance (classification) or target statistics."""

    name = "general"
    description = "counts, ratios, missing values, class balance or target statistics"

    def features(self, task: str) -> dict[str, str]:
        out = dict(_COMMON)
        if task == "classification":
            out.update(_CLASSIFICATION)
        elif task == "regression":
            out.update(_REGRESSION)
        return out

    def compute(self, data: PreparedData, budget: Budget) -> GroupResult:
        res = GroupResult()
        v = res.values
        n, p = data.n_rows, data.n_features
        n_num = int(data.is_numeric.sum())
        n_bin, n_const = _binary_and_constant(data)
        n_missing = int(data.missing_per_column.sum())
        v["general.n_instances"] = float(n)
        v["general.log_n_instances"] = math.log(n)
        v["general.n_features"] = float(p)
        v["general.log_n_features"] = math.log(p)
        v["general.n_numeric_features"] = float(n_num)
        v["general.n_categorical_features"] = float(p - n_num)
        v["general.n_binary_features"] = float(n_bin)
        v["general.n_datetime_features"] = float(data.is_datetime.sum())
        v["general.numeric_share"] = n_num / p
        v["general.categorical_share"] = (p - n_num) / p
        v["general.dimensionality"] = p / n
        v["general.log_dimensionality"] = math.log(p / n)
        v["general.n_missing_values"] = float(n_missing)
        v["general.missing_value_share"] = n_missing / (n * p)
        v["general.n_rows_with_missing"] = float(data.rows_with_missing)
        v["general.rows_with_missing_share"] = data.rows_with_missing / n
        v["general.n_constant_features"] = float(n_const)
        v["general.n_all_missing_features"] = float((data.missing_per_column == n).sum())
        levels = data.cat_levels
        v["general.categorical_cardinality_max"] = float(levels.max()) if levels.size else 0.0
        v["general.categorical_cardinality_mean"] = (
            float(levels.mean()) if levels.size else math.nan
        )
        if not levels.size:
            res.skipped["general.categorical_cardinality_mean"] = "no categorical features"
        if data.task == "classification":
            assert data.class_counts is not None
            counts = data.class_counts[data.class_counts > 0]
            total = counts.sum()
            k = counts.size
            h = float(entropy_from_counts(counts))
            v["general.n_classes"] = float(k)
            v["general.class_entropy"] = h
            v["general.class_entropy_normalized"] = h / math.log2(k) if k > 1 else math.nan
            v["general.majority_class_share"] = counts.max() / total
            v["general.minority_class_share"] = counts.min() / total
            v["general.imbalance_ratio"] = counts.max() / counts.min()
            if k < 2:
                res.notes.append("the target has a single class")
                res.skipped["general.class_entropy_normalized"] = "single class"
        elif data.task == "regression":
            assert data.y_full is not None
            yv = data.y_full[~np.isnan(data.y_full)]
            mom = column_moments(yv.reshape(-1, 1))
            v["general.target_mean"] = float(mom["mean"][0])
            v["general.target_sd"] = float(mom["sd"][0])
            v["general.target_min"] = float(yv.min())
            v["general.target_max"] = float(yv.max())
            v["general.target_skewness"] = float(mom["skew"][0])
            v["general.target_kurtosis"] = float(mom["kurt"][0])
            v["general.target_unique_share"] = np.unique(yv).size / yv.size
            for k2 in ("general.target_skewness", "general.target_kurtosis"):
                if math.isnan(v[k2]):
                    res.skipped[k2] = "constant target or too few values"
                    res.notes.append(f"{k2} is undefined (constant target or too few values)")
        return res
