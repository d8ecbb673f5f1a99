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


def _linear_quantiles(v: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """Quantiles of sorted ``v`` with numpy's default ('linear') rule, without its overhead."""
    n = v.size
    out = []
    for q in qs:
        h = (n - 1) * q
        lo = math.floor(h)
        hi = min(lo + 1, n - 1)
        t = h - lo
        a, b = float(v[lo]), float(v[hi])
        # numpy's _lerp: exact at both ends
        out.append(b - (b - a) * (1.0 - t) if t >= 0.5 else a + (b - a) * t)
    return out


def mean_sd(v: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation (ddof=1; NaN below 2 values) of a non-empty 1-d array.

    The same arithmetic as ``v.mean()`` and ``v.std(ddof=1)``, without their overhead.
    """
    n = v.size
    mean = float(np.add.reduce(v)) / n
    if n < 2:
        return mean, math.nan
    d = v - mean
    return mean, math.sqrt(float(np.add.reduce(d * d)) / (n - 1))


def summarize(prefix: str, values: np.ndarray) -> dict[str, float]:
    """Summaries (:data:`SUMMARIES`) of the finite entries of ``values``."""
    v = np.asarray(values, dtype=np.float64)
    v = np.sort(v[np.isfinite(v)])
    if v.size == 0:
        return {f"{prefix}_{s}": math.nan for s in SUMMARIES}
    q1, med, q3 = _linear_quantiles(v, (0.25, 0.5, 0.75))
    mean, sd = mean_sd(v)
    return {
        f"{prefix}_min": float(v[0]),
        f"{prefix}_q1": q1,
        f"{prefix}_median": med,
        f"{prefix}_q3": q3,
        f"{prefix}_max": float(v[-1]),
        f"{prefix}_mean": mean,
        f"{prefix}_sd": sd,
    }


def column_moments(x: np.ndarray, *, keep_deviations: bool = False) -> dict[str, np.ndarray]:
    """Per-column count, mean, sd (ddof=1), skewness G1 and excess kurtosis G2.

    The sample-corrected estimators are those of pandas, Excel and Weka (and so of
    OpenML's qualities). Undefined values (too few values, zero variance) are NaN.
    With ``keep_deviations``, the result also holds ``"d"``: ``x - mean`` with 0
    for missing values (the caller may modify it).
    """
    nan = np.isnan(x)
    has_nan = bool(nan.any())
    if has_nan:
        n = (x.shape[0] - nan.sum(axis=0)).astype(np.float64)
    else:  # no masking needed: same values, fewer passes
        n = np.full(x.shape[1], float(x.shape[0]))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (np.where(nan, 0.0, x) if has_nan else x).sum(axis=0) / n
        d = x - mean
        if has_nan:
            d[nan] = 0.0
        d2 = d * d
        m2 = d2.sum(axis=0) / n
        # sums of products without the product arrays
        m3 = np.einsum("ij,ij->j", d2, d) / n
        m4 = np.einsum("ij,ij->j", d2, d2) / n
        del d2
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
    out = {"n": n, "mean": mean, "sd": sd, "skew": skew, "kurt": kurt, "const": const}
    if keep_deviations:
        out["d"] = d
    return out


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
    # floor((x - lo) / width * n_bins), clipped to the bins, in place (one temporary)
    with np.errstate(invalid="ignore"):
        t = x - np.where(ok, lo, 0.0)
        t /= safe
        t *= n_bins
        np.floor(t, out=t)
        np.clip(t, 0, n_bins - 1, out=t)
    if not ok.all():
        t[:, ~ok] = 0.0
    t[np.isnan(x)] = -1.0  # missing (the only NaN left in t)
    codes = t.astype(np.int32)
    del t
    levels = np.where(ok, n_bins, 1).astype(np.int64)
    return codes, levels


def _segment_entropies(counts: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Entropy (bits) of each segment ``counts[starts[i]:starts[i + 1]]`` (NaN if empty)."""
    counts = np.asarray(counts, dtype=np.float64)
    totals = np.add.reduceat(counts, starts)
    sizes = np.diff(np.append(starts, counts.size))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = counts / np.repeat(totals, sizes)
        terms = np.where(p > 0, -p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    out = np.add.reduceat(terms, starts)
    return np.where(totals > 0, out, np.nan)


def _joint_counts(
    codes: np.ndarray, levels: np.ndarray, y: np.ndarray | None, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Counts of (attribute level, class) pairs of every column in one ``bincount``.

    Column ``j`` owns ``levels[j] * n_classes`` consecutive cells (level-major) starting
    at ``offsets[j]``; rows where the attribute is missing (code -1) are not counted.
    Returns the flat counts and the offsets.
    """
    p = codes.shape[1]
    sizes = levels.astype(np.int64) * n_classes
    offsets = np.zeros(p, dtype=np.int64)
    np.cumsum(sizes[:-1], out=offsets[1:])
    total = int(sizes.sum())
    idx = codes.astype(np.intp)  # bincount's own index type: no second conversion
    idx *= n_classes
    if y is not None:
        idx += y.astype(np.intp)[:, None]
    idx += offsets.astype(np.intp)[None, :]
    valid = codes >= 0
    flat = idx[valid] if not valid.all() else idx.ravel(order="K")
    return np.bincount(flat, minlength=total), offsets


def code_entropies(codes: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Entropy (bits) of each code column, ignoring -1 (missing)."""
    if codes.shape[1] == 0:
        return np.empty(0)
    counts, offsets = _joint_counts(codes, levels, None, 1)
    return _segment_entropies(counts, offsets)


def mutual_information(
    codes: np.ndarray, levels: np.ndarray, y: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mutual information (bits) of each code column with ``y`` and their entropies.

    Rows where the attribute is missing are dropped for that attribute (Weka's
    convention), so the attribute entropy returned here is computed on the same rows
    as the mutual information. All columns are counted in one vectorized pass.
    """
    p = codes.shape[1]
    if p == 0:
        return np.empty(0), np.empty(0)
    k = int(n_classes)
    joint, offsets = _joint_counts(codes, levels, y, k)
    hxy = _segment_entropies(joint, offsets)
    by_level = joint.reshape(-1, k)  # one row per (column, level)
    level_starts = offsets // k
    hx = _segment_entropies(by_level.sum(axis=1), level_starts)
    class_counts = np.add.reduceat(by_level, level_starts, axis=0)  # (p, k)
    hy = _segment_entropies(class_counts.ravel(), np.arange(p, dtype=np.int64) * k)
    mi = np.maximum(hx + hy - hxy, 0.0)
    return mi, hx
