"""The ``openml`` group: OpenML's data qualities, with OpenML's names and definitions.

Definitions follow OpenML's quality extractor (Weka conventions), checked against
the qualities OpenML's server reports (see ``tests/metafeatures/test_openml_golden.py``):

* The target counts as a feature: ``NumberOfFeatures`` = features + 1, and the target
  is counted as symbolic (classification) or numeric (regression); it is included in
  ``NumberOfBinaryFeatures``, in the ``*NominalAttDistinctValues`` qualities, in
  ``NumberOfMissingValues`` and ``NumberOfInstancesWithMissingValues``.
* Nominal attributes are ``category``, bool, object and ``str`` columns (what
  ``read_csv`` returns for text): symbolic, with entropies, as the same columns as
  ``category`` (their categories are the observed values). Columns of pandas' explicit
  ``string`` dtype (``dtype="string"``) are ARFF *string* attributes (free text): OpenML
  counts them in ``NumberOfFeatures`` only (not as symbolic, not in entropies). Pass
  OpenML's string attributes as ``dtype="string"`` (and nominal ones as ``category``,
  for their declared values) to reproduce OpenML's values.
* ``*NominalAttDistinctValues`` count the *observed* distinct values (Weka's
  ``distinctCount``); ``NumberOfBinaryFeatures`` counts nominal attributes with two
  *declared* values. ``StdvNominalAttDistinctValues`` is 0 with one nominal attribute.
* Classes are the declared categories of a ``category`` target, so an empty declared
  class gives ``MinorityClassSize`` 0, as in Weka.
* Moments use the sample-corrected estimators (sd with ddof=1, skewness G1, excess
  kurtosis G2) of the numeric attributes, ignoring missing values; a numeric
  (regression) target is included, as OpenML does.
* Quartiles of per-attribute values use the (n + 1) p rule (numpy's ``weibull``).
* Entropies and mutual information are in bits, over nominal features only (target
  excluded), ignoring missing values attribute by attribute; they are undefined
  (NaN) for regression and when there is no nominal feature.
* ``EquivalentNumberOfAtts`` = ClassEntropy / MeanMutualInformation;
  ``MeanNoiseToSignalRatio`` = (MeanAttributeEntropy - MeanMutualInformation) /
  MeanMutualInformation.
* ``AutoCorrelation`` (classification): share of consecutive rows, in the given row
  order, with the same class. For regression OpenML generalizes this to
  ``1 - mean |y[i+1] - y[i]|`` (not scale-free; reproduced exactly).

Except for the counts (full data), the values come from the subsample for data
larger than 100,000 rows, so they are then estimates of OpenML's full-data values.
"""

from __future__ import annotations

import math

import numpy as np

from metafeatures._base import Budget, GroupResult, MetaFeatureGroup
from metafeatures._data import PreparedData
from metafeatures._stats import column_moments, entropy_from_counts, mutual_information

_AGG = ("Max", "Mean", "Min", "Quartile1", "Quartile2", "Quartile3")

_DESCRIPTIONS: dict[str, str] = {
    "AutoCorrelation": "share of consecutive rows with the same class (regression: 1 - mean "
    "absolute change of the target / its range)",
    "ClassEntropy": "entropy of the class distribution, bits",
    "Dimensionality": "NumberOfFeatures / NumberOfInstances",
    "EquivalentNumberOfAtts": "ClassEntropy / MeanMutualInformation",
    "MajorityClassPercentage": "percentage of rows in the largest class",
    "MajorityClassSize": "rows in the largest class",
    "MaxNominalAttDistinctValues": "most distinct values of a nominal attribute (target included)",
    "MeanNoiseToSignalRatio": "(MeanAttributeEntropy - MeanMutualInformation) / "
    "MeanMutualInformation",
    "MeanNominalAttDistinctValues": "mean distinct values of nominal attributes (target included)",
    "MinNominalAttDistinctValues": "fewest distinct values of a nominal attribute",
    "MinorityClassPercentage": "percentage of rows in the smallest (declared) class",
    "MinorityClassSize": "rows in the smallest (declared) class",
    "NumberOfBinaryFeatures": "nominal attributes with two values (target included)",
    "NumberOfClasses": "declared classes (0 for regression)",
    "NumberOfFeatures": "attributes including the target",
    "NumberOfInstances": "number of rows (instances)",
    "NumberOfInstancesWithMissingValues": "rows with a missing value (target included)",
    "NumberOfMissingValues": "missing values (target included)",
    "NumberOfNumericFeatures": "numeric attributes (target included)",
    "NumberOfSymbolicFeatures": "nominal attributes (target included)",
    "PercentageOfBinaryFeatures": "100 * NumberOfBinaryFeatures / NumberOfFeatures",
    "PercentageOfInstancesWithMissingValues": "100 * NumberOfInstancesWithMissingValues / "
    "NumberOfInstances",
    "PercentageOfMissingValues": "100 * NumberOfMissingValues / (NumberOfInstances * "
    "NumberOfFeatures)",
    "PercentageOfNumericFeatures": "100 * NumberOfNumericFeatures / NumberOfFeatures",
    "PercentageOfSymbolicFeatures": "100 * NumberOfSymbolicFeatures / NumberOfFeatures",
    "StdvNominalAttDistinctValues": "standard deviation (ddof=1) of the distinct values of "
    "nominal attributes",
}
_NUMERIC_STATS = {
    "Means": "means",
    "StdDev": "standard deviations (ddof=1)",
    "Skewness": "skewness (G1)",
    "Kurtosis": "excess kurtosis (G2)",
}
for _stat, _doc in _NUMERIC_STATS.items():
    for _agg in _AGG:
        _DESCRIPTIONS[f"{_agg}{_stat}OfNumericAtts"] = f"{_agg} of the {_doc} of numeric attributes"
for _stat, _doc in {
    "AttributeEntropy": "entropies (bits) of nominal attributes",
    "MutualInformation": "mutual information (bits) of nominal attributes with the class",
}.items():
    for _agg in _AGG:
        _DESCRIPTIONS[f"{_agg}{_stat}"] = f"{_agg} of the {_doc}"

_CLASS_ONLY = {
    "ClassEntropy",
    "EquivalentNumberOfAtts",
    "MajorityClassPercentage",
    "MajorityClassSize",
    "MeanNoiseToSignalRatio",
    "MinorityClassPercentage",
    "MinorityClassSize",
    *(f"{a}{s}" for a in _AGG for s in ("AttributeEntropy", "MutualInformation")),
}


def weibull_quartiles(v: np.ndarray) -> tuple[float, float, float]:
    """Quartiles with the (n + 1) p rule, as OpenML's extractor computes them."""
    q = np.quantile(v, [0.25, 0.5, 0.75], method="weibull")
    return float(q[0]), float(q[1]), float(q[2])


def _aggregate(prefix: str, suffix: str, v: np.ndarray) -> dict[str, float]:
    v = v[np.isfinite(v)]
    names = [f"{a}{prefix}{suffix}" for a in _AGG]
    if v.size == 0:
        return dict.fromkeys(names, math.nan)
    q1, q2, q3 = weibull_quartiles(v)
    return dict(zip(names, (float(v.max()), float(v.mean()), float(v.min()), q1, q2, q3)))


class OpenMLGroup(MetaFeatureGroup):
    """OpenML's simple, statistical and information-theoretic data qualities."""

    name = "openml"
    description = "OpenML's data qualities (OpenML names, unprefixed)"
    prefixed = False

    def features(self, task: str) -> dict[str, str]:
        return dict(sorted(_DESCRIPTIONS.items()))

    def compute(self, data: PreparedData, budget: Budget) -> GroupResult:
        res = GroupResult()
        v = res.values
        n = data.n_rows
        has_target = data.task != "none"
        is_clf = data.task == "classification"
        nominal = ~data.is_numeric & ~data.is_string
        nominal_cat = nominal[~data.is_numeric]  # nominal among the categorical columns
        n_num = int(data.is_numeric.sum()) + (data.task == "regression")
        n_sym = int(nominal.sum()) + is_clf
        n_feat = data.n_features + has_target
        declared = data.cat_levels[nominal_cat].astype(np.float64)
        cat = data.cat[:, nominal_cat]
        distinct = np.array(
            [np.unique(cat[:, j][cat[:, j] >= 0]).size for j in range(cat.shape[1])],
            dtype=np.float64,
        )
        if is_clf:
            assert data.class_counts is not None
            declared = np.append(declared, float(data.class_counts.size))
            distinct = np.append(distinct, float((data.class_counts > 0).sum()))
        n_missing = int(data.missing_per_column.sum()) + data.target_missing
        v["NumberOfInstances"] = float(n)
        v["NumberOfFeatures"] = float(n_feat)
        v["NumberOfClasses"] = float(data.class_counts.size) if is_clf else 0.0  # type: ignore[union-attr]
        v["NumberOfNumericFeatures"] = float(n_num)
        v["NumberOfSymbolicFeatures"] = float(n_sym)
        v["NumberOfBinaryFeatures"] = float((declared == 2).sum())
        v["NumberOfMissingValues"] = float(n_missing)
        v["NumberOfInstancesWithMissingValues"] = float(data.rows_with_any_missing)
        v["PercentageOfNumericFeatures"] = 100.0 * n_num / n_feat
        v["PercentageOfSymbolicFeatures"] = 100.0 * n_sym / n_feat
        v["PercentageOfBinaryFeatures"] = 100.0 * v["NumberOfBinaryFeatures"] / n_feat
        v["PercentageOfMissingValues"] = 100.0 * n_missing / (n * n_feat)
        v["PercentageOfInstancesWithMissingValues"] = 100.0 * data.rows_with_any_missing / n
        v["Dimensionality"] = n_feat / n
        v["AutoCorrelation"] = data.autocorrelation
        if distinct.size:
            v["MaxNominalAttDistinctValues"] = float(distinct.max())
            v["MinNominalAttDistinctValues"] = float(distinct.min())
            v["MeanNominalAttDistinctValues"] = float(distinct.mean())
            v["StdvNominalAttDistinctValues"] = (
                float(distinct.std(ddof=1)) if distinct.size > 1 else 0.0
            )
        num = data.num
        if data.task == "regression":
            assert data.y is not None
            num = np.column_stack([num, data.y])
        mom = column_moments(num) if num.shape[1] else None
        for stat, key in (("Means", "mean"), ("StdDev", "sd"), ("Skewness", "skew"),
                          ("Kurtosis", "kurt")):  # fmt: skip
            vals = mom[key] if mom is not None else np.empty(0)
            v.update(_aggregate(stat, "OfNumericAtts", vals))
        if is_clf:
            self._class_qualities(data, res, nominal_cat)
        for name in self.features(data.task):
            if name not in v:
                v[name] = math.nan
            if math.isnan(v[name]) and name not in res.skipped:
                if name in _CLASS_ONLY and not is_clf:
                    res.skipped[name] = "defined for classification only"
                elif "OfNumericAtts" in name:
                    res.skipped[name] = "no numeric attribute with defined values"
                elif "Nominal" in name or "Entropy" in name or "Mutual" in name:
                    res.skipped[name] = "no (or too few) nominal attributes"
                else:
                    res.skipped[name] = "undefined for this data"
        return res

    @staticmethod
    def _class_qualities(data: PreparedData, res: GroupResult, nominal_cat: np.ndarray) -> None:
        v = res.values
        assert data.class_counts is not None and data.y is not None
        counts = data.class_counts
        total = counts.sum()
        v["ClassEntropy"] = float(entropy_from_counts(counts))
        v["MajorityClassSize"] = float(counts.max())
        v["MinorityClassSize"] = float(counts.min())
        v["MajorityClassPercentage"] = 100.0 * counts.max() / total
        v["MinorityClassPercentage"] = 100.0 * counts.min() / total
        if not nominal_cat.any():
            return
        mi, hx = mutual_information(
            data.cat[:, nominal_cat],
            np.maximum(data.cat_levels[nominal_cat], 1),
            data.y.astype(np.int64),
            counts.size,
        )
        v.update(_aggregate("", "AttributeEntropy", hx))
        v.update(_aggregate("", "MutualInformation", mi))
        mean_mi = v["MeanMutualInformation"]
        if mean_mi > 0:
            v["EquivalentNumberOfAtts"] = v["ClassEntropy"] / mean_mi
            v["MeanNoiseToSignalRatio"] = (v["MeanAttributeEntropy"] - mean_mi) / mean_mi
