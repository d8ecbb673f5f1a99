"""Live, leave-family-out, on every shared dataset with more than 2,000 rows (issue 10).

Every PMLB dataset of the knowledge base with more than ``--min-rows`` rows (45 with the
default 2,000) is cut to at most ``--max-rows`` rows (20,000; drawn at random, stratified for
classification), split 75/25, and each method is fitted on the 75% and scored on the 25%
(balanced accuracy / R^2). For each dataset the ranker (``maml``) is fitted on the knowledge
base *without the dataset's family* and ``MetaClassifier`` / ``MetaRegressor`` recommend from
that reduced knowledge base (:func:`autometa.bench.run_live`). Methods (``--methods``):

- ``autometa zero-shot``: ``MetaClassifier()`` / ``MetaRegressor()`` defaults;
- ``sklearn RF``, ``sklearn HGB``, ``sklearn LR`` / ``sklearn Ridge``: scikit-learn's
  defaults behind the registry's preprocessing;
- ``flaml LGBM`` and ``flaml RF``: FLAML's zero-shot ``flaml.default`` estimators (needs
  ``pip install -e .[bench]``).

Reported per task: mean score, average rank (1 = best), wins/losses and the two-sided
Wilcoxon signed-rank p of the zero-shot estimator against each method, mean fit wall time.

Each finished dataset is saved in ``--parts`` (one CSV each), so a rerun resumes; run
``--shard K/N`` in N processes, then ``--report``::

    OMP_NUM_THREADS=1 python benchmarks/live_large.py --shard 0/2 &
    OMP_NUM_THREADS=1 python benchmarks/live_large.py --shard 1/2
    python benchmarks/live_large.py --report
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from autometa.bench import LiveDataset, pmlb_dir, run_live, wilcoxon_p
from autometa.kb import KnowledgeBase

PMLB = pmlb_dir() or Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "pmlb"
METHODS = (
    "autometa zero-shot",
    "sklearn RF",
    "sklearn HGB",
    "sklearn LR",
    "sklearn Ridge",
    "flaml LGBM",
    "flaml RF",
)
REFERENCE = "autometa zero-shot"
logger = logging.getLogger("live_large")


def summarize(res: pd.DataFrame) -> str:
    lines = []
    for task, block in res.groupby("task", sort=True):
        table = block.pivot_table(index="dataset", columns="method", values="score", dropna=False)
        seconds = block.groupby("method")["fit_seconds"].mean()
        failed = table.isna().sum()
        # a method that failed on a dataset ranks last there
        ranks = table.rank(axis=1, ascending=False, na_option="bottom").mean()
        lines += [
            f"### {task} ({len(table)} datasets)",
            "",
            f"| method | mean score | average rank | `{REFERENCE}` wins/losses | Wilcoxon p "
            "| failed | mean fit s |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for method in ranks.sort_values().index:
            a, b = table[REFERENCE].to_numpy(), table[method].to_numpy()
            if method == REFERENCE:
                versus = "—", "—"
            else:
                ok = np.isfinite(a) & np.isfinite(b)
                wins, losses = int((a[ok] > b[ok]).sum()), int((a[ok] < b[ok]).sum())
                versus = f"{wins}/{losses}", f"{wilcoxon_p(a[ok], b[ok]):.3g}"
            lines.append(
                f"| `{method}` | {table[method].mean():.4f} | {ranks[method]:.2f} | "
                f"{versus[0]} | {versus[1]} | {failed[method]} | {seconds[method]:.1f} |"
            )
        lines += [
            "",
            "Mean score over the datasets where the method did not fail; a failure ranks last; "
            "wins/losses and Wilcoxon over the datasets where both ran.",
            "",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=None, help="knowledge base (default: the shipped one)")
    parser.add_argument("--min-rows", type=int, default=2000)
    parser.add_argument("--max-rows", type=int, default=20_000)
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--out", default="benchmarks/results/live_large/live_large")
    parser.add_argument("--parts", default=None, help="default: <out>_parts")
    parser.add_argument("--shard", default="0/1", help="K/N: every N-th dataset from the K-th")
    parser.add_argument("--report", action="store_true", help="only write the tables")
    args = parser.parse_args(argv)
    shard, n_shards = (int(v) for v in args.shard.split("/"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("autometa").setLevel(logging.WARNING)
    logging.getLogger("autometa.bench._live").setLevel(logging.INFO)

    kb = KnowledgeBase.load(args.kb) if args.kb else KnowledgeBase.default()
    dense = kb.subset(kb.dense_datasets()).datasets
    index = pd.read_csv(PMLB / "index.tsv", sep="\t")
    index = index[index["name"].isin(set(dense["name"])) & (index["n_rows"] > args.min_rows)]
    index = index.sort_values(["task", "name"]).reset_index(drop=True)
    parts = Path(args.parts or args.out + "_parts")
    parts.mkdir(parents=True, exist_ok=True)
    for position, r in index.iterrows():
        part = parts / f"{r['name']}.csv"
        if args.report or position % n_shards != shard or part.is_file():
            continue
        path = PMLB / f"{r['name']}.tsv.gz"
        ds = LiveDataset(r["name"], path, "target", str(r["family"]), r["task"])
        task_methods = [
            m
            for m in args.methods
            if not m.endswith("LR" if r["task"] == "regression" else "Ridge")
        ]
        res = run_live(kb, [ds], methods=task_methods, max_rows=args.max_rows)
        res.to_csv(part.with_suffix(".tmp"), index=False)
        part.with_suffix(".tmp").replace(part)
    done = [parts / f"{n}.csv" for n in index["name"] if (parts / f"{n}.csv").is_file()]
    if len(done) < len(index):
        logger.info("%d of %d datasets are finished: no tables yet", len(done), len(index))
        return 0
    res = pd.concat([pd.read_csv(p) for p in done], ignore_index=True)
    out = Path(args.out)
    res.to_csv(out.with_suffix(".csv"), index=False)
    text = "\n".join(
        [
            "# Live, leave-family-out, datasets above 2,000 rows",
            "",
            f"Command: `python benchmarks/live_large.py --min-rows {args.min_rows} --max-rows "
            f"{args.max_rows}` (in shards: `--shard K/N`, then `--report`)",
            "",
            summarize(res),
        ]
    )
    out.with_suffix(".md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
