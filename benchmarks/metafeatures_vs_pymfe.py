"""Time ``metafeatures`` against pymfe on the same data and features, side by side.

For each dataset, both libraries compute the features they share (general,
statistical and information-theoretic groups); the script prints a table of times,
the ratio pymfe / ours, and checks that equivalent features agree.

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
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from anywhere without an installed package
    sys.path.insert(0, str(REPO))

import metafeatures  # noqa: E402

logger = logging.getLogger("benchmarks.metafeatures_vs_pymfe")

OUR_GROUPS = ["general", "statistical", "info_theory"]
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


def run_ours(X: pd.DataFrame, y: pd.Series, task: str) -> tuple[float, pd.Series]:
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = metafeatures.extract(X, y, task=task, groups=OUR_GROUPS)
    return time.perf_counter() - t, v


def run_pymfe(X: pd.DataFrame, y: pd.Series, task: str) -> tuple[float, dict[str, float]]:
    from pymfe.mfe import MFE

    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mfe = MFE(features=PYMFE_FEATURES, summary=["mean", "sd", "min", "max", "median"],
                  random_state=0, suppress_warnings=True)  # fmt: skip
        cat_cols = [i for i, c in enumerate(X.columns) if not pd.api.types.is_numeric_dtype(X[c])]
        yy = y.to_numpy() if task == "classification" else y.to_numpy(dtype=float)
        mfe.fit(X.to_numpy(), yy, cat_cols=cat_cols or None, transform_num=False,
                transform_cat=None)  # fmt: skip
        names, values = mfe.extract()
    return time.perf_counter() - t, dict(zip(names, values))


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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    index = pd.read_csv(args.pmlb / "index.tsv", sep="\t")
    rows = []
    datasets: list[tuple[str, pd.DataFrame, pd.Series, str]] = []
    for name in pick(index, args.n_datasets):
        X, y, task = load(args.pmlb / f"{name}.tsv.gz")
        datasets.append((name, X, y, task))
    rng = np.random.default_rng(0)
    Xs = pd.DataFrame(rng.normal(size=(100_000, 50)), columns=[f"x{i}" for i in range(50)])
    ys = pd.Series((Xs["x0"] + rng.normal(size=100_000) > 0).astype(int))
    datasets.append(("synthetic_100000x50", Xs, ys, "classification"))
    run_ours(*datasets[0][1:])  # warm-up (imports)
    for name, X, y, task in datasets:
        t_ours, ours = run_ours(X, y, task)
        t_pymfe, theirs = run_pymfe(X, y, task)
        ok, total, bad = agreement(ours, theirs, task)
        rows.append({"dataset": name, "task": task, "rows": X.shape[0], "features": X.shape[1],
                     "ours_s": t_ours, "pymfe_s": t_pymfe, "ratio": t_pymfe / t_ours,
                     "agree": f"{ok}/{total}"})  # fmt: skip
        logger.info("%-28s ours %.3fs pymfe %.3fs ratio %.0f agree %d/%d %s", name, t_ours,
                    t_pymfe, t_pymfe / t_ours, ok, total, "; ".join(bad))  # fmt: skip
    table = pd.DataFrame(rows)
    print(table.to_markdown(index=False, floatfmt=".3f") if _has_tabulate() else table)
    print(f"\nmedian time ratio pymfe / ours: {table['ratio'].median():.1f}")
    if args.big:
        Xb = rng.normal(size=(1_000_000, 100))
        yb = (Xb[:, 0] > 0).astype(int)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = metafeatures.extract_report(Xb, yb)
        total_s = time.perf_counter() - t
        print(f"default groups on 1,000,000 x 100 numeric: {total_s:.2f}s "
              f"({', '.join(f'{k} {v:.2f}s' for k, v in report.timings.items())})")  # fmt: skip
    return 0


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
