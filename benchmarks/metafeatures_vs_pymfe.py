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
from autometa.bench._pymfe import (  # noqa: E402  (the reusable parts)
    PymfeTimeout,
    agreement,
    load,
    markdown,
    pick,
    pymfe_inputs,
    run_ours,
    run_pymfe,
    timed,
)

logger = logging.getLogger("benchmarks.metafeatures_vs_pymfe")


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


if __name__ == "__main__":
    raise SystemExit(main())
