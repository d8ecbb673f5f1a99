"""Meta-feature extraction time against pymfe, on the same data and features.

The reusable parts of ``benchmarks/metafeatures_vs_pymfe.py`` (see its docstring for the
like-with-like settings); ``autometa bench compare`` runs them on a few datasets.
pymfe is optional (``pip install autometa[bench]``): :func:`pymfe_available`.
"""

from __future__ import annotations

import logging
import math
import signal
import statistics
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import metafeatures

__all__ = [
    "EQUIVALENT",
    "PymfeTimeout",
    "agreement",
    "compare_pymfe",
    "load",
    "markdown",
    "pick",
    "pymfe_available",
    "pymfe_inputs",
    "run_ours",
    "run_pymfe",
    "timed",
]


def pymfe_available() -> bool:
    try:
        import pymfe.mfe  # noqa: F401
    except ImportError:
        return False
    return True


logger = logging.getLogger(__name__)

OUR_GROUPS = ["general", "statistical", "info_theory"]
PYMFE_GROUPS = ["general", "statistical", "info-theory"]
_EMPTY = np.empty(0)  # precomputed canonical correlations: skips a PLS fit nobody uses
PYMFE_FEATURES = [
    "nr_inst", "nr_attr", "nr_num", "nr_cat", "nr_bin", "nr_class", "attr_to_inst",
    "mean", "sd", "skewness", "kurtosis", "cor", "attr_ent", "class_ent", "mut_inf",
    "eq_num_attr", "ns_ratio",
]  # fmt: skip
# pymfe name -> (our name, relative tolerance)
EQUIVALENT = {
    "nr_inst": ("general.n_instances", 1e-9),
    "nr_attr": ("general.n_features", 1e-9),
    "nr_class": ("general.n_classes", 1e-9),
    "attr_to_inst": ("general.dimensionality", 1e-9),
    "class_ent": ("general.class_entropy", 1e-6),
    "mean.mean": ("statistical.mean_mean", 1e-6),
    "sd.mean": ("statistical.sd_mean", 1e-6),
    "sd.max": ("statistical.sd_max", 1e-6),
    "mean.median": ("statistical.mean_median", 1e-6),
}


def load(path: Path) -> tuple[pd.DataFrame, pd.Series, str]:
    frame = pd.read_csv(path, sep="\t")
    y = frame.pop("target")
    task = (
        "regression"
        if "regression" in path.with_suffix("").with_suffix(".yaml").read_text()
        else "classification"
    )
    return frame, y, task


def pick(index: pd.DataFrame, k: int) -> list[str]:
    """``k`` datasets spread evenly over the size range (rows x features)."""
    index = index.assign(cells=index["n_rows"] * index["n_features"]).sort_values("cells")
    pos = np.unique(np.linspace(0, len(index) - 1, k).round().astype(int))
    return list(index.iloc[pos]["name"])


class PymfeTimeout(Exception):
    """pymfe ran longer than the per-dataset timeout."""


def _alarm(signum: int, frame: object) -> None:
    raise PymfeTimeout


def sturges_codes(y: pd.Series) -> np.ndarray:
    """Equal-width Sturges bins of a numeric target (``metafeatures``' own binning)."""
    from metafeatures import discretize, n_bins

    v = y.to_numpy(dtype=np.float64).reshape(-1, 1)
    return discretize(v, n_bins(v.shape[0]))[0][:, 0]


def run_ours(X: pd.DataFrame, y: pd.Series, task: str) -> tuple[float, pd.Series]:
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = metafeatures.extract(X, y, task=task, groups=OUR_GROUPS)
    return time.perf_counter() - t, v


def pymfe_inputs(X: pd.DataFrame, y: pd.Series, task: str) -> tuple[np.ndarray, np.ndarray, list]:
    """What pymfe is given (prepared outside the timed region)."""
    cat_cols = [i for i, c in enumerate(X.columns) if not pd.api.types.is_numeric_dtype(X[c])]
    yy = y.to_numpy() if task == "classification" else sturges_codes(y)
    return X.to_numpy(), yy, cat_cols


_CONTROLLER: list[object] = []


def _single_thread_limiter() -> object:
    """A context limiting BLAS/OpenMP to one thread (controller built once, untimed)."""
    from threadpoolctl import ThreadpoolController

    if not _CONTROLLER:
        import pymfe.mfe  # noqa: F401  (loads scikit-learn's OpenMP runtime too)

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1)  # type: ignore[attr-defined]


def run_pymfe(
    Xa: np.ndarray, yy: np.ndarray, cat_cols: list, timeout: float | None = None
) -> tuple[float, dict[str, float]]:
    from pymfe.mfe import MFE

    limit: Any = _single_thread_limiter()
    if timeout:
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        limit.__enter__()
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mfe = MFE(groups=PYMFE_GROUPS, features=PYMFE_FEATURES,
                      summary=["mean", "sd", "min", "max", "median"], random_state=0,
                      suppress_warnings=True)  # fmt: skip
            mfe.fit(Xa, yy, cat_cols=cat_cols or None, transform_num=True, transform_cat=None,
                    can_cors=_EMPTY, can_cor_eigvals=_EMPTY)  # fmt: skip
            names, values = mfe.extract()
        elapsed = time.perf_counter() - t
    finally:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
        limit.__exit__(None, None, None)
    return elapsed, dict(zip(names, values))


def timed(fn, repeat: int, min_time: float) -> tuple[float, object]:
    """Median time of up to ``repeat`` calls of ``fn`` (stops after ``min_time`` s)."""
    times, out, spent = [], None, 0.0
    for _ in range(repeat):
        t, out = fn()
        times.append(t)
        spent += t
        if spent >= min_time:
            break
    return statistics.median(times), out


def agreement(ours: pd.Series, theirs: dict[str, float], task: str) -> tuple[int, int, list[str]]:
    ok = total = 0
    bad: list[str] = []
    for p_name, (o_name, rtol) in EQUIVALENT.items():
        if o_name not in ours.index or p_name not in theirs:
            continue
        a, b = float(ours[o_name]), float(theirs[p_name])
        if math.isnan(a) and math.isnan(b):
            continue
        total += 1
        if math.isclose(a, b, rel_tol=rtol, abs_tol=1e-9):
            ok += 1
        else:
            bad.append(f"{p_name}: pymfe={b:.6g} ours={a:.6g}")
    return ok, total, bad


def markdown(table: pd.DataFrame) -> str:
    """The README table: times in seconds, ratios, '>' for pymfe timeouts."""
    lines = [
        "| dataset | task | rows x features | ours (s) | pymfe (s) | ratio | agree |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in table.itertuples():
        gt = ">" if r.timeout else ""
        lines.append(
            f"| {r.dataset} | {r.task} | {r.rows:,} x {r.features} | {r.ours_s:.4f} | "
            f"{gt}{r.pymfe_s:.3f} | {gt}{r.ratio:.0f} | {r.agree} |"
        )
    return "\n".join(lines)


def compare_pymfe(
    pmlb: Path, names: list[str], *, repeat: int = 3, min_time: float = 1.0, timeout: float = 60.0
) -> pd.DataFrame:
    """Time both libraries on the PMLB datasets ``names`` (after one untimed warm-up each)
    and check the equivalent features agree; one row per dataset (see :func:`markdown`)."""
    from functools import partial

    rows = []
    warm = names[0]
    Xw, yw, tw = load(pmlb / f"{warm}.tsv.gz")
    run_ours(Xw, yw, tw)
    run_pymfe(*pymfe_inputs(Xw, yw, tw))
    for name in names:
        X, y, task = load(pmlb / f"{name}.tsv.gz")
        t_ours, ours = timed(partial(run_ours, X, y, task), repeat, min_time)
        inputs = pymfe_inputs(X, y, task)
        try:
            t_pymfe, theirs = timed(partial(run_pymfe, *inputs, timeout=timeout), repeat, min_time)
            is_timeout = False
        except PymfeTimeout:
            t_pymfe, theirs, is_timeout = timeout, {}, True
        ok, total, _ = agreement(ours, theirs, task)  # type: ignore[arg-type]
        rows.append(
            {
                "dataset": name,
                "task": task,
                "rows": X.shape[0],
                "features": X.shape[1],
                "ours_s": t_ours,
                "pymfe_s": t_pymfe,
                "ratio": t_pymfe / t_ours,
                "timeout": is_timeout,
                "agree": f"{ok}/{total}" if not is_timeout else "-",
            }
        )
    return pd.DataFrame(rows)
