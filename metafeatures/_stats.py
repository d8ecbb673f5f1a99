"""Vectorized, NaN-aware helpers shared by the groups."""

from __future__ import annotations

import math

import numpy as np

SUMMARIES = ("min", "q1", "median", "q3", "max", "mean", "sd")
SUMMARY_DOC = {
    "min": "minimum",
    "q1": "first quartile",
    "median": "median",
    "q3": "third quartile",
    "max": "maximum",
    "mean": "mean",
    "sd": "standard deviation (ddof=1)",
}


def summarize(prefix: str, values: np.ndarray) -> dict[str, float]:
    """Summaries (:data:`SUMMARIES`) of the finite entries of ``values``."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {f"{prefix}_{s}": math.nan for s in SUMMARIES}
    q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75])
    return {
        f"{prefix}_min": float(v.min()),
        f"{prefix}_q1": float(q1),
        f"{prefix}_median": float(med),
        f"{prefix}_q3": float(q3),
        f"{prefix}_max": float(v.max()),
        f"{prefix}_mean": float(v.mean()),
        f"{prefix}_sd": float(v.std(ddof=1)) if v.size > 1 else math.nan,
    }


def column_moments(x: np.ndarray) -> dict[str, np.ndarray]:
    """Per-column count, mean, sd (ddof=1), skewness G1 and excess kurtosis G2.

    The sample-corrected estimators are those of pandas, Excel and Weka (and so of
    OpenML's qualities). Undefined values (too few values, zero variance) are NaN.
    """
    mask = ~np.isnan(x)
    n = mask.sum(axis=0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(mask, x, 0.0).sum(axis=0) / n
        d = np.where(mask, x - mean, 0.0)
        d2 = d * d
        m2 = d2.sum(axis=0) / n
        m3 = (d2 * d).sum(axis=0) / n
        m4 = (d2 * d2).sum(axis=0) / n
        sd = np.sqrt(m2 * n / (n - 1))
        sd[n < 2] = np.nan
        # relative tolerance: constant columns have m2 ~ 0 up to rounding
        scale = np.maximum(np.abs(mean), 1.0)
        const = m2 <= (1e-14 * scale) ** 2
        g1 = m3 / m2**1.5
        skew = np.sqrt(n * (n - 1)) / (n - 2) * g1
        skew[(n < 3) | const] = np.nan
        g2 = m4 / m2**2 - 3.0
        kurt = (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * g2 + 6.0)
        kurt[(n < 4) | const] = np.nan
    mean[n < 1] = np.nan
    return {"n": n, "mean": mean, "sd": sd, "skew": skew, "kurt": kurt, "const": const}


def entropy_from_counts(counts: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy in bits of count vectors along ``axis`` (0 log 0 = 0)."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = counts / total
        terms = np.where(p > 0, -p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    out = terms.sum(axis=axis)
    return np.where(np.squeeze(total, axis=axis) > 0, out, np.nan)


def discretize(x: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Equal-width binning of each column into ``n_bins`` bins (-1 for missing).

    Returns the codes (int32, same shape as ``x``) and the number of bins per column
    (1 for constant or all-missing columns).
    """
    with np.errstate(invalid="ignore"):
        lo = np.nanmin(x, axis=0) if x.shape[0] else np.zeros(x.shape[1])
        hi = np.nanmax(x, axis=0) if x.shape[0] else np.zeros(x.shape[1])
    width = hi - lo
    ok = np.isfinite(width) & (width > 0)
    safe = np.where(ok, width, 1.0)
    with np.errstate(invalid="ignore"):
        codes = np.floor((x - np.where(ok, lo, 0.0)) / safe * n_bins)
    codes = np.clip(codes, 0, n_bins - 1)
    codes = np.where(ok, codes, 0.0)
    codes = np.where(np.isnan(x), -1, codes).astype(np.int32)
    levels = np.where(ok, n_bins, 1).astype(np.int64)
    return codes, levels


def code_entropies(codes: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Entropy (bits) of each code column, ignoring -1 (missing)."""
    out = np.full(codes.shape[1], np.nan)
    for j in range(codes.shape[1]):
        c = codes[:, j]
        c = c[c >= 0]
        if c.size:
            out[j] = entropy_from_counts(np.bincount(c, minlength=int(levels[j])))
    return out


def mutual_information(
    codes: np.ndarray, levels: np.ndarray, y: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mutual information (bits) of each code column with ``y`` and their entropies.

    Rows where the attribute is missing are dropped for that attribute (Weka's
    convention), so the attribute entropy returned here is computed on the same rows
    as the mutual information.
    """
    p = codes.shape[1]
    mi = np.full(p, np.nan)
    for j in range(p):
        c = codes[:, j]
        ok = c >= 0
        if not ok.any():
            continue
        k = int(levels[j])
        joint = np.bincount(c[ok].astype(np.int64) * n_classes + y[ok], minlength=k * n_classes)
        joint = joint.reshape(k, n_classes).astype(np.float64)
        hx = entropy_from_counts(joint.sum(axis=1))
        hy = entropy_from_counts(joint.sum(axis=0))
        hxy = entropy_from_counts(joint.ravel())
        mi[j] = max(hx + hy - hxy, 0.0)
    return mi, code_entropies(codes, levels)
