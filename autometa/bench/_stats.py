"""Statistics of method comparisons: Wilcoxon, Friedman, Nemenyi critical difference.

Following Demšar (2006), "Statistical comparisons of classifiers over multiple data sets",
JMLR 7:1-30: methods are ranked on each dataset (1 = best, ties averaged); the Friedman
test asks whether the average ranks differ more than chance; the Nemenyi critical
difference ``CD = q_alpha * sqrt(k (k + 1) / (6 N))`` (``q_alpha`` the studentized range
quantile for ``k`` groups and infinite degrees of freedom, divided by sqrt 2) is the
smallest difference of average ranks that is significant at level ``alpha``.

Examples
--------
>>> from autometa.bench import nemenyi_cd
>>> round(nemenyi_cd(4, 14), 2)  # Demšar (2006), section 3.2.2: k = 4 methods, N = 14
1.25
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from autometa._exceptions import ParameterError

__all__ = [
    "FriedmanResult",
    "average_ranks",
    "friedman",
    "nemenyi_cd",
    "nemenyi_q",
    "plot_cd",
    "wilcoxon_p",
]


def wilcoxon_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired samples ``a`` and ``b``.

    Pairs with a NaN are dropped; NaN when fewer than two pairs differ (no test possible).
    Zero differences are handled with scipy's ``zero_method="wilcox"`` (dropped).
    """
    from scipy.stats import wilcoxon

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    mask = np.isfinite(a) & np.isfinite(b)
    diff = a[mask] - b[mask]
    if np.count_nonzero(diff) < 2:
        return float("nan")
    return float(wilcoxon(a[mask], b[mask]).pvalue)


def average_ranks(values: pd.DataFrame, *, lower_is_better: bool = True) -> pd.Series:
    """Average rank of each column (method) over the rows (datasets); ties averaged.

    Rows with a NaN are dropped (every method must be measured on the same datasets).
    """
    clean = values.dropna(axis=0, how="any")
    if clean.shape[0] == 0 or clean.shape[1] < 2:
        raise ParameterError(
            "Average ranks need at least two methods (columns) and one dataset (row) without "
            f"NaN. Got {clean.shape[1]} method(s) and {clean.shape[0]} complete row(s)."
        )
    ranks = clean.rank(axis=1, ascending=lower_is_better, method="average")
    return ranks.mean(axis=0)


@dataclass(frozen=True)
class FriedmanResult:
    """The Friedman test on ``n_datasets`` datasets and ``n_methods`` methods.

    Attributes
    ----------
    ranks : Series
        Average rank per method (1 = best).
    chi2 : float
        Friedman's statistic, chi-square with ``k - 1`` degrees of freedom.
    p_chi2 : float
    f : float
        Iman and Davenport's F statistic (less conservative), with ``k - 1`` and
        ``(k - 1)(N - 1)`` degrees of freedom.
    p_f : float
    cd : float
        Nemenyi critical difference at ``alpha``.
    alpha : float
    """

    ranks: pd.Series
    n_datasets: int
    n_methods: int
    chi2: float
    p_chi2: float
    f: float
    p_f: float
    cd: float
    alpha: float


def friedman(
    values: pd.DataFrame | None = None,
    *,
    ranks: pd.Series | None = None,
    n_datasets: int | None = None,
    lower_is_better: bool = True,
    alpha: float = 0.05,
) -> FriedmanResult:
    """Friedman test and Nemenyi critical difference (Demšar 2006, section 3.2.2).

    Give either ``values`` (rows = datasets, columns = methods; lower is better unless
    ``lower_is_better=False``) or the average ``ranks`` and ``n_datasets``.
    """
    from scipy.stats import chi2 as chi2_dist
    from scipy.stats import f as f_dist

    if values is not None:
        n = int(values.dropna(axis=0, how="any").shape[0])
        ranks = average_ranks(values, lower_is_better=lower_is_better)
    elif ranks is None or n_datasets is None:
        raise ParameterError(
            "friedman needs either 'values' (datasets x methods) or both 'ranks' and 'n_datasets'."
        )
    else:
        n = int(n_datasets)
    k = len(ranks)
    if k < 2 or n < 2:
        raise ParameterError(
            f"The Friedman test needs at least two methods and two datasets. Got {k} "
            f"method(s) and {n} dataset(s)."
        )
    r = ranks.to_numpy(dtype=np.float64)
    chi2 = 12.0 * n / (k * (k + 1)) * (float(np.sum(r**2)) - k * (k + 1) ** 2 / 4.0)
    denom = n * (k - 1) - chi2
    f = (n - 1) * chi2 / denom if denom > 0 else float("inf")
    p_f = float(f_dist.sf(f, k - 1, (k - 1) * (n - 1))) if np.isfinite(f) else 0.0
    return FriedmanResult(
        ranks=ranks,
        n_datasets=n,
        n_methods=k,
        chi2=float(chi2),
        p_chi2=float(chi2_dist.sf(chi2, k - 1)),
        f=float(f),
        p_f=p_f,
        cd=nemenyi_cd(k, n, alpha),
        alpha=alpha,
    )


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """The Nemenyi test's ``q_alpha`` for ``k`` methods: the studentized range quantile
    (infinite degrees of freedom) divided by sqrt 2 (Demšar 2006, table 5a)."""
    from scipy.stats import studentized_range

    if k < 2:
        raise ParameterError(f"The Nemenyi test needs k >= 2 methods. Got {k} instead.")
    if not 0.0 < alpha < 1.0:
        raise ParameterError(f"The 'alpha' level must be in (0, 1). Got {alpha!r} instead.")
    return float(studentized_range.ppf(1.0 - alpha, k, np.inf) / np.sqrt(2.0))


def nemenyi_cd(k: int, n_datasets: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of average ranks: ``q_alpha sqrt(k (k + 1) / (6 N))``."""
    if n_datasets < 1:
        raise ParameterError(f"The critical difference needs N >= 1 datasets. Got {n_datasets}.")
    return nemenyi_q(k, alpha) * float(np.sqrt(k * (k + 1) / (6.0 * n_datasets)))


def _cliques(ranks: pd.Series, cd: float) -> list[tuple[int, int]]:
    """Maximal runs (first, last position in rank order) whose ranks differ by < cd."""
    r = ranks.to_numpy()
    spans: list[tuple[int, int]] = []
    for i in range(len(r)):
        j = i
        while j + 1 < len(r) and r[j + 1] - r[i] < cd:
            j += 1
        if j > i and not any(a <= i and j <= b for a, b in spans):
            spans.append((i, j))
    return spans


def plot_cd(result: FriedmanResult, ax: Any, title: str = "") -> None:
    """Draw a critical-difference diagram (Demšar 2006, figure 1) on a matplotlib axis.

    Methods sit on a rank axis (best on the left); a bar joins methods whose average
    ranks differ by less than the critical difference (not significantly different).
    """
    ranks = result.ranks.sort_values()
    k = len(ranks)
    lo, hi = 1.0, float(k)
    a = ax
    a.set_xlim(lo - 0.3, hi + 0.3)
    n_half = (k + 1) // 2
    a.set_ylim(-(n_half + 2.5), 1.8)
    a.axhline(0, color="black", lw=1)
    for t in range(1, k + 1):
        a.plot([t, t], [0, 0.15], color="black", lw=1)
        a.text(t, 0.3, str(t), ha="center", va="bottom", fontsize=8)
    a.plot([lo, lo + result.cd], [1.3, 1.3], color="black", lw=2)
    a.text(lo + result.cd / 2, 1.4, f"CD = {result.cd:.2f}", ha="center", va="bottom", fontsize=8)
    for i, (name, r) in enumerate(ranks.items()):
        left = i < n_half
        level = -(i + 1.0) if left else -(k - i) * 1.0
        x_text = lo - 0.25 if left else hi + 0.25
        a.plot([r, r, x_text], [0, level, level], color="tab:gray", lw=0.8)
        a.text(
            x_text,
            level,
            f"{name} ({r:.2f})",
            ha="right" if left else "left",
            va="center",
            fontsize=8,
        )
    for depth, (i, j) in enumerate(_cliques(ranks, result.cd)):
        y = -0.35 - 0.22 * depth
        a.plot([ranks.iloc[i] - 0.03, ranks.iloc[j] + 0.03], [y, y], color="black", lw=3)
    a.set_axis_off()
    if title:
        a.set_title(title, fontsize=9)
