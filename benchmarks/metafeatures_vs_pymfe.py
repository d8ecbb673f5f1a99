"""Time ``metafeatures`` against pymfe on the same data and features, side by side.

For each dataset, both libraries compute the features they share (general,
statistical and information-theoretic groups); the script prints a table of times,
the ratio pymfe / ours, and checks that equivalent features agree.

Like with like:

- pymfe gets ``groups=["general", "statistical", "info-theory"]`` and the shared
  ``features`` (its default groups would also precompute a decision tree and
  landmarking folds), ``transform_num=True`` (its default: numeric attributes are
  discretized for the entropies and mutual information, as ours are; with
  ``transform_num=False`` pymfe computes no info-theory feature of a numeric
  attribute) and ``transform_cat=None`` (statistics of numeric attributes only, as
  ours). Its precomputations stay on, except the canonical correlations (a PLS fit
  that none of the requested features uses), skipped through ``fit``'s documented
  precomputed-value keywords.
- A regression target is given to pymfe discretized into Sturges' equal-width bins,
  what ours uses internally for the info-theory features; pymfe would otherwise treat
  every distinct target value as a class.
- Both run with single-threaded BLAS and OpenMP pools: ours limits them itself during
  extraction, and pymfe is run under the same limit (``threadpoolctl``, set up outside
  the timed region), since on a shared machine spinning BLAS threads made pymfe's
  times several times slower and erratic.
- Only extraction is timed (``MFE(...).fit(...).extract()`` and
  ``metafeatures.extract``), not loading; both are warmed up once before timing.
  Each time is the median of up to ``--repeat`` runs (fewer when a tool has spent
  ``--min-time`` seconds on the dataset).
- pymfe is stopped after ``--timeout`` seconds per run and reported as a timeout
  (the ratio is then a lower bound, counted at its lower bound in the median).

Usage::

    python benchmarks/metafeatures_vs_pymfe.py [PMLB_DIR] [--n-datasets 20] [--big]

``PMLB_DIR`` defaults to ``../shared/datasets/pmlb`` relative to the repository; the
datasets are read in place, never copied. ``--big`` also times our default groups on
a 1,000,000 x 100 numeric table.
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import statistics
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from anywhere without an installed package
    sys.path.insert(0, str(REPO))

import metafeatures  # noqa: E402

logger = logging.getLogger("benchmarks.metafeatures_vs_pymfe")

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
    from metafeatures._info_theory import n_bins
    from metafeatures._stats import discretize

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

    limit = _single_thread_limiter()
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "pmlb", nargs="?", type=Path, default=REPO / ".." / "shared" / "datasets" / "pmlb"
    )
    parser.add_argument("--n-datasets", type=int, default=20)
    parser.add_argument("--big", action="store_true", help="also time 1,000,000 x 100")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per tool (median)")
    parser.add_argument("--min-time", type=float, default=2.0,
                        help="stop repeating once a tool spent this many seconds")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds per pymfe run before it is reported as a timeout")  # fmt: skip
    parser.add_argument("--only", nargs="*", default=None, help="dataset names to run")
    parser.add_argument("--no-synthetic", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    index = pd.read_csv(args.pmlb / "index.tsv", sep="\t")
    rows = []
    names = args.only if args.only is not None else pick(index, args.n_datasets)
    datasets: list[tuple[str, pd.DataFrame, pd.Series, str]] = []
    for name in names:
        X, y, task = load(args.pmlb / f"{name}.tsv.gz")
        datasets.append((name, X, y, task))
    rng = np.random.default_rng(0)
    if not args.no_synthetic:
        Xs = pd.DataFrame(rng.normal(size=(100_000, 50)), columns=[f"x{i}" for i in range(50)])
        ys = pd.Series((Xs["x0"] + rng.normal(size=100_000) > 0).astype(int))
        datasets.append(("synthetic_100000x50", Xs, ys, "classification"))
    # warm-up of both (imports, first-call caches), not timed
    Xw, yw, _ = load(args.pmlb / "tae.tsv.gz")
    run_ours(Xw, yw, "classification")
    run_pymfe(*pymfe_inputs(Xw, yw, "classification"))
    for name, X, y, task in datasets:
        t_ours, ours = timed(partial(run_ours, X, y, task), args.repeat, args.min_time)
        inputs = pymfe_inputs(X, y, task)
        try:
            t_pymfe, theirs = timed(
                partial(run_pymfe, *inputs, timeout=args.timeout), args.repeat, args.min_time
            )
            timeout = False
        except PymfeTimeout:
            t_pymfe, theirs, timeout = args.timeout, {}, True
        ok, total, bad = agreement(ours, theirs, task)  # type: ignore[arg-type]
        ratio = t_pymfe / t_ours
        rows.append({"dataset": name, "task": task, "rows": X.shape[0], "features": X.shape[1],
                     "ours_s": t_ours, "pymfe_s": t_pymfe, "ratio": ratio, "timeout": timeout,
                     "agree": f"{ok}/{total}" if not timeout else "-"})  # fmt: skip
        logger.info("%-28s ours %.4fs pymfe %s%.4fs ratio %s%.0f agree %d/%d %s", name, t_ours,
                    ">" if timeout else "", t_pymfe, ">" if timeout else "", ratio, ok, total,
                    "; ".join(bad))  # fmt: skip
    table = pd.DataFrame(rows)
    print(markdown(table))
    print(f"\nmedian time ratio pymfe / ours: {table['ratio'].median():.1f} "
          f"({int(table['timeout'].sum())} pymfe timeouts counted at the timeout)")  # fmt: skip
    if args.big:
        Xb = rng.normal(size=(1_000_000, 100))
        yb = (Xb[:, 0] > 0).astype(int)
        for label, data in (("DataFrame", pd.DataFrame(Xb)), ("ndarray", Xb)):
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                report = metafeatures.extract_report(data, yb)
            total_s = time.perf_counter() - t
            print(f"default groups on 1,000,000 x 100 numeric ({label}): {total_s:.2f}s "
                  f"({', '.join(f'{k} {v:.2f}s' for k, v in report.timings.items())})")  # fmt: skip
    return 0


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


if __name__ == "__main__":
    raise SystemExit(main())
