"""Runner throughput: fits per second of ``build_knowledge_base`` with 1 and 2 workers.

Usage::

    python benchmarks/runner_throughput.py [--configs-per-learner 2] [--folds 3]
        [--max-rows 1000] [--workers 1,2]

Builds a knowledge base from scratch (in a temporary directory) on six shared PMLB datasets
of varied size, once per worker count, and prints a markdown table of wall time, runs,
fits per second and mean seconds per (dataset, configuration).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from autometa.kb import build_knowledge_base, discover_datasets

PMLB = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "pmlb"
DATASETS = [
    "iris",  # 150 x 4, 3 classes
    "1089_USCrime",  # 47 x 13, regression
    "breast_cancer_wisconsin",  # 569 x 30, 2 classes
    "1028_SWD",  # 1000 x 10, regression
    "churn",  # 5000 x 20, 2 classes (subsampled)
    "227_cpu_small",  # 8192 x 12, regression (subsampled)
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs-per-learner", type=int, default=2)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--max-rows", type=int, default=1000)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    specs = discover_datasets(PMLB, names=DATASETS)
    print("| workers | runs | fits | wall (s) | fits/s | s per (dataset, config) |")
    print("|---|---|---|---|---|---|")
    for workers in [int(w) for w in args.workers.split(",")]:
        summaries = []
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            build_knowledge_base(
                specs,
                Path(tmp) / "kb",
                configs_per_learner=args.configs_per_learner,
                folds=args.folds,
                max_rows=args.max_rows,
                n_jobs=workers,
                on_summary=summaries.append,
            )
            wall = time.perf_counter() - start
        runs = summaries[0].runs_new
        fits = runs * args.folds
        print(
            f"| {workers} | {runs} | {fits} | {wall:.1f} | {fits / wall:.2f} "
            f"| {wall * workers / runs:.3f} |"
        )


if __name__ == "__main__":
    main()
