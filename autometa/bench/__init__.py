"""Benchmarks of meta-models: leave-one-family-out evaluation by table look-up.

Examples
--------
>>> from autometa.bench import run_lodo, DEFAULT_KS
>>> DEFAULT_KS
(1, 5, 10, 25, 50)
"""

from __future__ import annotations

from autometa.bench._lodo import (
    DEFAULT_KS,
    DEFAULT_METHODS,
    LodoResult,
    Method,
    make_methods,
    run_lodo,
)

__all__ = ["DEFAULT_KS", "DEFAULT_METHODS", "LodoResult", "Method", "make_methods", "run_lodo"]
