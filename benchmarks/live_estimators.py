"""Live benchmark: MetaClassifier / MetaRegressor against scikit-learn defaults, trained for real.

On datasets outside the meta-model's training data, each method is fitted on a 75% split
and scored on the held-out 25%. Outside the training data means one of:

- ``--leave-family-out``: PMLB datasets of the knowledge base, half of each task; for each,
  the ranker (``--ranker``, default ``maml``) is fitted on the knowledge base *without the
  dataset's family* and the estimators recommend from that knowledge base;
- by default: PMLB datasets whose family is absent from the knowledge base;
- ``--data``: the datasets given by path.

Methods:

- ``autometa zero-shot``: ``MetaClassifier()`` / ``MetaRegressor()``;
- ``autometa n_candidates=5``: the best of the first five recommendations by 3-fold CV;
- scikit-learn defaults: RandomForest, HistGradientBoosting, LogisticRegression / Ridge,
  each behind the registry's preprocessing (the same one the recommendations use).

Scores: balanced accuracy (classification), R^2 (regression). Printed as a markdown table
with the average rank (1 = best) and fit time per method.

Usage::

    python benchmarks/live_estimators.py --leave-family-out --n-datasets 16
    python benchmarks/live_estimators.py --n-datasets 12             # PMLB, default models
    python benchmarks/live_estimators.py --data a.csv b.tsv.gz --target target
    python benchmarks/live_estimators.py --kb KB_DIR --model MODELS_DIR
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.model_selection import train_test_split

PMLB = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "pmlb"


def _datasets(args: argparse.Namespace, kb_families: set[str]) -> list[tuple[str, Path, str]]:
    if args.data:
        return [(Path(p).name, Path(p), args.target) for p in args.data]
    index = pd.read_csv(PMLB / "index.tsv", sep="\t")
    in_kb = index["family"].astype(str).isin(kb_families)
    index = index[in_kb] if args.leave_family_out else index[~in_kb]
    index = index[(index["n_rows"] <= args.max_rows) & (index["n_rows"] >= 100)]
    # one dataset per family, half of each task
    index = index.sample(frac=1.0, random_state=0).drop_duplicates("family")
    per_task = max(1, args.n_datasets // 2)
    chosen = pd.concat([g.head(per_task) for _, g in index.groupby("task")])
    return [(r["name"], PMLB / f"{r['name']}.tsv.gz", "target") for _, r in chosen.iterrows()]


def _held_out_model(kb: object, name: str, task: str, ranker: str) -> tuple[object, object]:
    """The knowledge base without ``name``'s family, and ``ranker`` fitted on it."""
    from autometa.models import TaskData, model_class

    datasets = kb.datasets
    dense = kb.subset(kb.dense_datasets()).datasets  # LCDB's names may repeat PMLB's
    family = dense.loc[dense["name"] == name, "family"].iloc[0]
    keep = datasets.loc[datasets["family"] != family, "dataset_id"]
    sub = kb.subset(list(keep))
    return sub, model_class(ranker)(random_state=0).fit(TaskData.from_kb(sub, task))


def _methods(task: str, kb: object, model: object) -> dict[str, object]:
    from autometa import MetaClassifier, MetaRegressor
    from autometa.learners import get_learner

    meta = MetaClassifier if task == "classification" else MetaRegressor
    names = (
        ("RandomForestClassifier", "HistGradientBoostingClassifier", "LogisticRegression")
        if task == "classification"
        else ("RandomForestRegressor", "HistGradientBoostingRegressor", "Ridge")
    )
    methods: dict[str, object] = {
        "autometa zero-shot": meta(kb=kb, model=model),
        "autometa n_candidates=5": meta(kb=kb, model=model, n_candidates=5, cv=3),
    }
    for n in names:
        methods[f"sklearn {n}"] = get_learner(n).make_pipeline(random_state=0)
    return methods


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="*", default=None)
    parser.add_argument("--target", default="target")
    parser.add_argument("--kb", default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--n-datasets", type=int, default=12)
    parser.add_argument("--max-rows", type=int, default=5000)
    parser.add_argument("--leave-family-out", action="store_true")
    parser.add_argument("--ranker", default="maml")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    from autometa._io import read_table, split_target
    from autometa.kb import KnowledgeBase
    from autometa.recommend import infer_task

    kb = KnowledgeBase.load(args.kb) if args.kb else KnowledgeBase.default()
    families = set(kb.subset(kb.dense_datasets()).datasets["family"].astype(str))
    rows = []
    for name, path, target in _datasets(args, families):
        X, y = split_target(read_table(path), target)
        task = infer_task(y)
        strat = y if task == "classification" and y.value_counts().min() >= 2 else None
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=strat)
        meta_kb, meta_model = args.kb, args.model
        if args.leave_family_out:
            meta_kb, meta_model = _held_out_model(kb, name, task, args.ranker)
        for method, est in _methods(task, meta_kb, meta_model).items():
            t0 = time.perf_counter()
            try:
                est.fit(Xtr, ytr)
                fit_time = time.perf_counter() - t0
                pred = est.predict(Xte)
                score = (
                    balanced_accuracy_score(yte, pred)
                    if task == "classification"
                    else r2_score(yte, pred)
                )
            except Exception as exc:  # a failed method scores NaN, the benchmark goes on
                print(f"{name} {method}: {type(exc).__name__}: {exc}")
                fit_time, score = time.perf_counter() - t0, np.nan
            chosen = getattr(est, "best_learner_", "")
            rows.append(
                {
                    "dataset": name,
                    "task": task,
                    "method": method,
                    "score": score,
                    "fit_time": fit_time,
                    "chosen": chosen,
                }
            )
            print(f"{name:30s} {method:28s} {score:.4f} {fit_time:7.2f}s {chosen}", flush=True)
    res = pd.DataFrame(rows)
    res["rank"] = res.groupby("dataset")["score"].rank(ascending=False, method="average")
    summary = res.groupby(["task", "method"]).agg(
        score=("score", "mean"),
        rank=("rank", "mean"),
        fit_time=("fit_time", "mean"),
        datasets=("dataset", "nunique"),
    )
    print()
    print("| task | method | mean score | average rank | mean fit time (s) | datasets |")
    print("|---|---|---|---|---|---|")
    for (task, method), r in summary.iterrows():
        print(
            f"| {task} | {method} | {r['score']:.3f} | {r['rank']:.2f} | "
            f"{r['fit_time']:.2f} | {int(r['datasets'])} |"
        )
    res.to_csv("live_estimators.csv", index=False)


if __name__ == "__main__":
    main()
