"""Ties broken by predicted fit time: does the zero-shot pick gain or lose by it?

    OMP_NUM_THREADS=1 python benchmarks/cost_ties.py [--seconds 1 10 30 inf]

``recommend`` orders by the predicted score, except that among scores within
``TIE_TOLERANCE`` (0.01) of the best remaining one, a configuration predicted to fit at least
twice as fast goes first when the better-scored one is predicted to take more than
``MIN_SECONDS`` (:func:`autometa.recommend._cost.order_by_cost`). This compares the zero-shot
estimators' held-out scores with ``MIN_SECONDS`` set to each of ``--seconds`` (``inf``: ties
never broken by cost) on

- the 45 shared datasets above 2,000 rows of ``benchmarks/live_large.py`` (at most 20,000
  rows, the same draws and 75/25 splits as ``autometa.bench.run_live``; ``maml`` fitted on
  the shipped knowledge base without the dataset's family), and
- the two synthetic sets of ``benchmarks/scale.py`` (200,000 x 50 classification, 100,000 x 20
  regression; the shipped models), where a tie broken by cost matters most.

Only distinct picks are fitted (one fit per configuration and dataset). Per setting: mean
score, wins/losses and the two-sided Wilcoxon p against the first setting (1 s, the default
before this benchmark moved it to 30 s), mean fit seconds. Results in ``benchmarks/results/cost_ties/``.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.model_selection import train_test_split

import autometa.recommend._cost as cost
from autometa import MetaClassifier, MetaRegressor, recommend
from autometa._io import read_table, split_target
from autometa.bench import pmlb_dir, wilcoxon_p
from autometa.bench._live import _held_out, _live_split
from autometa.kb import KnowledgeBase

PMLB = pmlb_dir() or Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "pmlb"
OUT = Path("benchmarks/results/cost_ties")


def _splits(kb: KnowledgeBase, min_rows: int, max_rows: int):
    """(name, task, family, Xtr, Xte, ytr, yte) of every dataset, as run_live draws them."""
    dense = kb.subset(kb.dense_datasets()).datasets
    index = pd.read_csv(PMLB / "index.tsv", sep="\t")
    index = index[index["name"].isin(set(dense["name"])) & (index["n_rows"] > min_rows)]
    for _, r in index.sort_values(["task", "name"]).iterrows():
        X, y = split_target(read_table(PMLB / f"{r['name']}.tsv.gz"), "target")
        split = _live_split(X, y, r["task"], max_rows, seed=0)
        yield r["name"], r["task"], str(r["family"]), *split
    X, y = make_classification(n_samples=200_000, n_features=50, random_state=0)
    split = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    yield "make_classification(200000, 50)", "classification", None, *split
    X, y = make_regression(n_samples=100_000, n_features=20, noise=10, random_state=0)
    split = train_test_split(X, y, test_size=0.25, random_state=0)
    yield "make_regression(100000, 20)", "regression", None, *split


def run(seconds: list[float], min_rows: int, max_rows: int) -> pd.DataFrame:
    kb = KnowledgeBase.default()
    rows, models = [], {}
    for name, task, family, Xtr, Xte, ytr, yte in _splits(kb, min_rows, max_rows):
        clf = task == "classification"
        meta = MetaClassifier if clf else MetaRegressor
        if family is None:  # synthetic: not in the knowledge base, the shipped models
            kwargs = {}
        else:
            if (family, task) not in models:
                models[(family, task)] = _held_out(kb, family, task, "maml")
            sub_kb, model = models[(family, task)]
            kwargs = {"kb": sub_kb, "model": model}
        fitted: dict[str, tuple[float, float, str]] = {}  # config_id -> score, seconds, learner
        for limit in seconds:
            cost.MIN_SECONDS = limit
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                first = recommend(Xtr, y=ytr, task=task, top_k=1, **kwargs).table.iloc[0]
                if first["config_id"] not in fitted:
                    start = time.perf_counter()
                    est = meta(**kwargs).fit(Xtr, ytr)
                    took = time.perf_counter() - start
                    picked = est.recommendation_.table.iloc[0]["config_id"]
                    assert picked == first["config_id"], (name, limit, picked, first)
                    pred = est.predict(Xte)
                    score = balanced_accuracy_score(yte, pred) if clf else r2_score(yte, pred)
                    fitted[first["config_id"]] = (float(score), took, est.best_learner_)
            score, took, learner = fitted[first["config_id"]]
            rows.append(
                {
                    "dataset": name,
                    "task": task,
                    "n_train": len(ytr),
                    "min_seconds": limit,
                    "config_id": first["config_id"],
                    "learner": learner,
                    "predicted_fit_seconds": float(first["fit_time"]),
                    "score": score,
                    "fit_seconds": took,
                }
            )
            print(f"{name:32s} {limit:>5g} {learner:32s} {score:.4f} {took:6.1f} s", flush=True)
    return pd.DataFrame(rows)


def summarize(res: pd.DataFrame) -> str:
    lines = []
    for (task, synthetic), block in res.groupby(
        ["task", res["dataset"].str.startswith("make_")], sort=True
    ):
        table = block.pivot(index="dataset", columns="min_seconds", values="score")
        took = block.pivot(index="dataset", columns="min_seconds", values="fit_seconds")
        picks = block.pivot(index="dataset", columns="min_seconds", values="config_id")
        base = table.columns[0]
        what = "synthetic" if synthetic else "PMLB, above 2,000 rows"
        lines += [
            f"### {task}, {what} ({len(table)} datasets)",
            "",
            "| MIN_SECONDS | mean score | picks changed | wins/losses vs "
            f"{base:g} | Wilcoxon p | mean fit s |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for limit in table.columns:
            a, b = table[limit].to_numpy(), table[base].to_numpy()
            changed = int((picks[limit] != picks[base]).sum())
            p = wilcoxon_p(a, b) if limit != base and changed else math.nan
            lines.append(
                f"| {limit:g} | {np.mean(a):.4f} | {changed} | {int((a > b).sum())}/"
                f"{int((a < b).sum())} | {p:.3g} | {took[limit].mean():.1f} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=[1.0, 10.0, 30.0, math.inf])
    parser.add_argument("--min-rows", type=int, default=2000)
    parser.add_argument("--max-rows", type=int, default=20_000)
    args = parser.parse_args()
    res = run(args.seconds, args.min_rows, args.max_rows)
    OUT.mkdir(parents=True, exist_ok=True)
    res.to_csv(OUT / "cost_ties.csv", index=False)
    text = "# Ties broken by predicted fit time\n\nCommand: `python benchmarks/cost_ties.py`\n\n"
    (OUT / "cost_ties.md").write_text(text + summarize(res))
    print(summarize(res))


if __name__ == "__main__":
    main()
