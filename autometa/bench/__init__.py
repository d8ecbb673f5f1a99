"""Benchmarks of meta-models: leave-one-family-out evaluation by table look-up, statistics
of comparisons (Wilcoxon, Friedman, Nemenyi) and ``autometa bench compare``.

Examples
--------
>>> from autometa.bench import run_lodo, DEFAULT_KS
>>> DEFAULT_KS
(1, 3, 5, 10, 25, 50)
"""

from __future__ import annotations

from autometa.bench._compare import run_compare, settings_for
from autometa.bench._hybrid import PortfolioHybrid, hybrid_method
from autometa.bench._live import LiveDataset, live_methods, pmlb_dir, run_live
from autometa.bench._lodo import (
    DEFAULT_KS,
    DEFAULT_METHODS,
    LodoResult,
    Method,
    make_methods,
    run_lodo,
)
from autometa.bench._stats import (
    FriedmanResult,
    average_ranks,
    friedman,
    nemenyi_cd,
    nemenyi_q,
    plot_cd,
    wilcoxon_p,
)

__all__ = [
    "run_compare",
    "settings_for",
    "DEFAULT_KS",
    "DEFAULT_METHODS",
    "FriedmanResult",
    "LiveDataset",
    "LodoResult",
    "Method",
    "PortfolioHybrid",
    "average_ranks",
    "friedman",
    "hybrid_method",
    "live_methods",
    "make_methods",
    "nemenyi_cd",
    "nemenyi_q",
    "plot_cd",
    "pmlb_dir",
    "run_live",
    "run_lodo",
    "wilcoxon_p",
]
