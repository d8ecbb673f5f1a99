"""Coverage of the shown score intervals, before and after calibration (issue 14, item 8).

Leave-one-group-out on the dense matrix of ``--kb``: the families of each task are dealt at
random (seed 0) into ``--groups`` groups (near-duplicates always stay together, as in
``benchmarks/meta_models.py --groups``); for each group, the model (``random_state=0``,
default hyperparameters) is fitted on the other groups and predicts the held-out datasets.

- **before**: the interval shown today without a calibration, ``mean +/- z * std``
  clipped to [0, 1], with the normal ``z`` of the nominal level (1.96 for 95%);
- **after**: the calibration :meth:`MetaModel.calibrate_intervals` fits, computed on the
  training groups only (its own ``--folds`` groups of families held out in turn inside
  them: the same code path as ``autometa models train``), then measured on the held-out
  group: nested, the held-out families never enter their own calibration.

Coverage is the share of (held-out dataset, configuration) cells whose true normalized score
lies inside the interval: over all cells, over the ``top 10`` configurations each held-out
dataset is predicted best (what ``recommend`` shows), and as the mean over held-out
families (each family weighs 1). ``width`` is the mean width of the clipped interval;
``unsure`` the share of top-10 cells whose interval is wider than 0.5 (``recommend``'s
``unsure`` flag). ``fit-time estimate`` is the cross-validated coverage the calibration
itself reports (stored in the model and shown to users), averaged over the outer folds.

Each fold's predictions and inner residuals are cached under ``--cache`` (a killed run
resumes); the analysis reruns from the cache in seconds.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/interval_coverage.py \\
        --kb autometa/data/default_kb --models maml,surrogate \\
        --out benchmarks/results/interval_coverage

Writes ``<out>/interval_coverage.md`` (tables) and ``<out>/folds.csv`` (one row per task,
model, nominal level and held-out group).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from autometa.kb import KnowledgeBase
from autometa.models import TaskData, model_class
from autometa.models._intervals import (
    TOP,
    Residuals,
    calibration_from_residuals,
    family_folds,
    interval_bounds,
    out_of_family_residuals,
)

logger = logging.getLogger("interval_coverage")

NOMINALS = (0.5, 0.8, 0.95)
UNSURE_WIDTH = 0.5
_COUNTS = {"fitted": 0, "cached": 0}


def _fold(args: argparse.Namespace, data: TaskData, name: str, group: int) -> dict[str, Any] | None:
    """The held-out group's cells and the inner residuals of the training groups (cached;
    None for a fold not cached yet with ``--cached-only``)."""
    cache = Path(args.cache) / f"{data.task}-{name}-g{args.groups}-f{args.folds}-{group}.npz"
    if cache.is_file():
        _COUNTS["cached"] += 1
        with np.load(cache) as z:
            return {k: z[k] for k in z.files}
    if args.cached_only:
        return None
    _COUNTS["fitted"] += 1
    start = time.perf_counter()
    groups = family_folds(data.families, args.groups, 0)
    ids = np.asarray(data.dataset_ids)
    train = data.without(list(ids[groups == group]))
    test = data.without(list(ids[groups != group]))
    model = model_class(name)(random_state=0).fit(train)
    pred = model.predict(test.metafeatures)
    inner = out_of_family_residuals(
        model.unfitted_copy, train, folds=args.folds, random_state=0, top=TOP
    )
    mean = pred.mean[test.config_ids].to_numpy(dtype=float)
    out = {
        "mean": mean,
        "std": pred.std[test.config_ids].to_numpy(dtype=float),
        "y": test.scores.to_numpy(dtype=float),
        "family": test.families.to_numpy(dtype=str),
        "n_train": np.array([len(train.dataset_ids), int(train.families.nunique())]),
        **{f"inner_{k}": getattr(inner, k) for k in ("mean", "std", "y", "group", "top")},
    }
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, **out)
    logger.info(
        "%s %s group %d: %d held-out datasets, %.0f s",
        data.task,
        name,
        group,
        mean.shape[0],
        time.perf_counter() - start,
    )
    return out


def _evaluate(cells: dict[str, Any], nominal: float, folds: int) -> list[dict[str, Any]]:
    inner = Residuals(*(cells[f"inner_{k}"] for k in ("mean", "std", "y", "group", "top")))
    n_datasets, n_families = (int(v) for v in cells["n_train"])
    cal = calibration_from_residuals(
        inner, nominal=nominal, folds=folds, n_datasets=n_datasets, n_families=n_families
    )
    mean, std, y = cells["mean"], cells["std"], cells["y"]
    order = np.argsort(-mean, axis=1, kind="stable")
    top = np.zeros_like(mean, dtype=bool)
    np.put_along_axis(top, order[:, :TOP], True, axis=1)
    ok = np.isfinite(y)
    families = np.repeat(cells["family"][:, None], mean.shape[1], axis=1)
    z = float(stats.norm.ppf(0.5 + nominal / 2))
    rows = []
    for method, low_high in (
        ("before", _raw(mean, std, z)),
        ("after", interval_bounds(mean, std, cal)),
    ):
        low, high = low_high
        inside = (y >= low - 1e-12) & (y <= high + 1e-12)
        width = high - low
        fam = pd.Series(inside[ok]).groupby(families[ok]).mean()
        rows.append(
            {
                "method": method,
                "cells": int(ok.sum()),
                "inside": int(inside[ok].sum()),
                "top_cells": int((ok & top).sum()),
                "top_inside": int(inside[ok & top].sum()),
                "width_sum": float(width[ok].sum()),
                "top_width_sum": float(width[ok & top].sum()),
                "top_unsure": int((width[ok & top] > UNSURE_WIDTH).sum()),
                "family_coverage_sum": float(fam.sum()),
                "families": int(fam.size),
                "multiplier": cal.multiplier if method == "after" else z,
                "floor": cal.floor if method == "after" else 0.0,
                "fit_time_estimate": cal.coverage if method == "after" else np.nan,
                "fit_time_estimate_top": cal.coverage_top if method == "after" else np.nan,
            }
        )
    return rows


def _raw(mean: np.ndarray, std: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """``mean +/- z * std`` clipped to [0, 1] (the uncalibrated interval at level z)."""
    return np.clip(mean - z * std, 0, 1), np.clip(mean + z * std, 0, 1)


def run(args: argparse.Namespace) -> pd.DataFrame:
    kb = KnowledgeBase.load(args.kb)
    rows = []
    for task in args.tasks or kb.tasks:
        data = TaskData.from_kb(kb, task)
        for name in args.models:
            for group in range(args.groups):
                cells = _fold(args, data, name, group)
                if cells is None:
                    continue
                for nominal in NOMINALS:
                    for row in _evaluate(cells, nominal, args.folds):
                        rows.append(
                            {"task": task, "model": name, "nominal": nominal, "group": group, **row}
                        )
    return pd.DataFrame(rows)


def summary(folds: pd.DataFrame) -> pd.DataFrame:
    keys = ["task", "model", "nominal", "method"]
    g = folds.groupby(keys, sort=False)
    s = g[
        [
            "cells",
            "inside",
            "top_cells",
            "top_inside",
            "width_sum",
            "top_width_sum",
            "top_unsure",
            "family_coverage_sum",
            "families",
        ]
    ].sum()
    out = pd.DataFrame(
        {
            "coverage": s["inside"] / s["cells"],
            "top10": s["top_inside"] / s["top_cells"],
            "family_mean": s["family_coverage_sum"] / s["families"],
            "width": s["width_sum"] / s["cells"],
            "top10_width": s["top_width_sum"] / s["top_cells"],
            "top10_unsure": s["top_unsure"] / s["top_cells"],
            "fit_time_estimate": g["fit_time_estimate"].mean(),
            "fit_time_estimate_top10": g["fit_time_estimate_top"].mean(),
            "multiplier": g["multiplier"].mean(),
            "floor": g["floor"].mean(),
        }
    )
    return out.reset_index()


def _per_group(folds: pd.DataFrame) -> pd.DataFrame:
    f = folds[folds["nominal"] == 0.95].assign(
        coverage=lambda d: d["inside"] / d["cells"],
        top10=lambda d: d["top_inside"] / d["top_cells"],
    )
    wide = f.pivot_table(
        index=["task", "model", "group"], columns="method", values=["coverage", "top10"]
    )
    wide.columns = [f"{value} {method}" for value, method in wide.columns]
    datasets = f[f["method"] == "after"].set_index(["task", "model", "group"])["cells"]
    return wide.assign(cells=datasets).reset_index()


def _md(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in frame.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if isinstance(v, float):
                cells.append("" if not np.isfinite(v) else f"{v:.3f}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default="autometa/data/default_kb")
    parser.add_argument("--models", default="maml", type=lambda s: s.split(","))
    parser.add_argument("--tasks", default=None, type=lambda s: s.split(","))
    parser.add_argument("--groups", type=int, default=10, help="outer groups of families")
    parser.add_argument("--folds", type=int, default=5, help="inner calibration folds")
    parser.add_argument("--cache", default="/tmp/autometa-interval-coverage")
    parser.add_argument("--out", default="benchmarks/results/interval_coverage")
    parser.add_argument(
        "--cached-only", action="store_true", help="analyse the folds cached so far, fit nothing"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    folds = run(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    folds.to_csv(out / "folds.csv", index=False, float_format="%.6g")
    table = summary(folds)
    text = [
        "# Interval coverage, leave-one-group-of-families-out",
        "",
        f"Command: `python benchmarks/interval_coverage.py {' '.join(sys.argv[1:])}`",
        f"({args.groups} outer groups of families, {args.folds} inner calibration groups; "
        f"{_COUNTS['fitted']} folds fitted in this run, in {time.perf_counter() - start:.0f} s; "
        f"{_COUNTS['cached']} read from the cache).",
        "",
        "Outer groups evaluated: "
        + ", ".join(
            f"{t} {m} {n}"
            for (t, m), n in folds.groupby(["task", "model"], sort=False)["group"].nunique().items()
        )
        + f" of {args.groups}.",
        "",
        _md(table),
        "",
        "Per held-out group, nominal 95% (coverage over all cells, then the top 10):",
        "",
        _md(_per_group(folds)),
        "",
    ]
    (out / "interval_coverage.md").write_text("\n".join(text))
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
