"""How learner rankings change with data size, on LCDB's learning curves.

Question: for the default learners LCDB and autometa both hold, is the best learner at
1,024 training rows (LCDB's anchor nearest 1,000) still the best at the dataset's full
size? And does a size-aware choice fitted on LCDB do better?

Data: ``autometa.kb.lcdb_curves`` (test accuracy, mean over LCDB's seed pairs) of the
learners LCDB ran that have a registry learner of the same estimator class
(:data:`autometa.kb.LCDB_LEARNERS`), *as LCDB ran them* (no scaling; see
``autometa/kb/_lcdb.py``). Datasets: those with OpenML qualities in LCDB's
``datasets.csv``, a full training size above 1,024 rows, and a curve of every learner
reaching both 1,024 rows and the full size. ``--learners trees`` restricts to the three
tree learners the importer maps onto the knowledge base.

Methods, each choosing one learner per held-out dataset (leave-one-family-out: datasets
whose names share the first token, e.g. all ``fri_c*``, are held out together):

- ``best at 1024``: the learner with the best accuracy at 1,024 rows on the dataset
  (needs a 1,024-row probe of every learner);
- ``single best``: the learner with the best mean accuracy at full size on the training
  datasets (zero-shot);
- ``size-aware zero-shot``: per learner, a ridge regression (standardized inputs) of the learner's
  the learner's accuracy minus the mean over learners (at every anchor >= 1,024 rows of the
  training datasets) on log2 of the training size and OpenML qualities; picks the best predicted
  at the held-out dataset's full size;
- ``size-aware from 1024``: per learner, a ridge regression of the gain from 1,024 rows
  to a larger anchor on log2(size / 1,024), the accuracy at 1,024 rows, the curve's
  slopes (1,024 vs 512 and vs 256 rows) and the same qualities; picks the highest
  accuracy at 1,024 plus predicted gain at full size.

Reported at full size: mean accuracy regret (best learner's accuracy minus the chosen
one's), the share of datasets where the choice is the best, and the Wilcoxon signed-rank
p-value of the per-dataset regrets against the two baselines.

Usage::

    python benchmarks/lcdb_scaling.py                    # installed lcdb
    python benchmarks/lcdb_scaling.py --path /tmp/lcdb/lcdb-0.1.0.tar.gz --learners trees
    python benchmarks/lcdb_scaling.py --cache /tmp/lcdb_curves.parquet   # read LCDB once
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr, wilcoxon
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from autometa.kb import LCDB_LEARNERS, lcdb_curves
from autometa.kb._lcdb import _Files, _qualities

PROBE = 1024
QUALITIES = [
    "NumberOfInstances",
    "NumberOfFeatures",
    "NumberOfClasses",
    "ClassEntropy",
    "MajorityClassPercentage",
    "PercentageOfSymbolicFeatures",
    "Dimensionality",
    "MeanMutualInformation",
    "NaiveBayesErrRate",
]
SHORT = {k: k.rsplit(".", 1)[-1] for k in LCDB_LEARNERS}


def family(name: str) -> str:
    return re.split(r"[_\-.]", str(name).lower())[0]


def load(
    path: str | None, learners: list[str], cache: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if cache and Path(cache).exists():
        curves = pd.read_parquet(cache)
    else:
        curves = lcdb_curves(path, metric="accuracy", learners=list(LCDB_LEARNERS))
        if cache:
            curves.to_parquet(cache)
    curves = curves.loc[curves["learner"].isin(learners)]
    q = _qualities(_Files(path))
    return curves, q


def prepare(curves: pd.DataFrame, q: pd.DataFrame, learners: list[str]):
    acc = curves.pivot_table(
        index=["openml_id", "n_train_rows"], columns="learner", values="score"
    ).reindex(columns=learners)
    full = curves.groupby("openml_id")["n_train_rows"].max()
    ids = []
    for lid, size in full.items():
        if lid not in q.index or size <= PROBE:
            continue
        try:
            a_probe = acc.loc[(lid, PROBE)]
            a_full = acc.loc[(lid, size)]
            acc.loc[(lid, 256)]
            acc.loc[(lid, 512)]
        except KeyError:
            continue
        if a_probe.notna().all() and a_full.notna().all():
            ids.append(int(lid))
    meta = q.loc[ids, QUALITIES].astype(float).copy()
    for c in ("NumberOfInstances", "NumberOfFeatures", "NumberOfClasses", "Dimensionality"):
        meta[c] = np.log2(meta[c])
    meta = meta.fillna(meta.median())
    fam = q.loc[ids, "Name"].map(family)
    return acc, full.loc[ids], meta, fam


def examples(acc, meta, ids, learners, cache):
    """Training rows of both size-aware models, from the curves of ``ids`` (per dataset
    rows are built once and kept in ``cache``)."""
    zs, ex = [], []
    for lid in ids:
        if lid not in cache:
            cache[lid] = dataset_examples(acc.loc[lid], meta.loc[lid], learners)
        zs.extend(cache[lid][0])
        ex.extend(cache[lid][1])
    return pd.DataFrame(zs), pd.DataFrame(ex)


def dataset_examples(curve, meta_row, learners):
    zs, ex = [], []
    sizes = [s for s in curve.index if s >= PROBE and curve.loc[s].notna().all()]
    for s in sizes:
        row = curve.loc[s]
        for learner in learners:
            zs.append(
                {
                    "learner": learner,
                    "log_size": np.log2(s),
                    **meta_row.to_dict(),
                    "y": row[learner] - row.mean(),
                }
            )
            if s > PROBE:
                ex.append(
                    {
                        "learner": learner,
                        **probe_features(curve, learner, s, meta_row),
                        "y": row[learner] - curve.loc[PROBE, learner],
                    }
                )
    return zs, ex


def probe_features(curve, learner, size, meta_row):
    a = curve.loc[PROBE, learner]
    return {
        "log_ratio": np.log2(size / PROBE),
        "acc_probe": a,
        "slope_512": a - curve.loc[512, learner],
        "slope_256": a - curve.loc[256, learner],
        **meta_row.to_dict(),
    }


def pvalue(r: pd.Series, regrets: dict[str, pd.Series], m: str, other: str) -> str:
    """Wilcoxon signed-rank p-value of the paired per-dataset regrets."""
    if other == m:
        return "-"
    if np.allclose(r - regrets[other], 0):
        return "1"
    return f"{wilcoxon(r, regrets[other]).pvalue:.3g}"


def regression() -> Pipeline:
    return make_pipeline(StandardScaler(), Ridge(alpha=1.0))


def run(path: str | None, learner_set: str, cache: str | None) -> None:
    t0 = time.time()
    if learner_set == "trees":
        learners = [k for k, (_, why) in LCDB_LEARNERS.items() if why is None]
    else:
        learners = list(LCDB_LEARNERS)
    curves, q = load(path, learners, cache)
    acc, full, meta, fam = prepare(curves, q, learners)
    ids = list(full.index)
    print(f"learners: {[SHORT[x] for x in learners]}")
    print(f"datasets: {len(ids)} (full size > {PROBE} rows, every learner at both sizes)")
    print(f"full training sizes: median {int(full.median())}, max {int(full.max())}")

    at_probe = pd.DataFrame({lid: acc.loc[(lid, PROBE)] for lid in ids}).T
    at_full = pd.DataFrame({lid: acc.loc[(lid, full[lid])] for lid in ids}).T
    best_full = at_full.max(axis=1)
    same = (at_probe.idxmax(axis=1) == at_full.idxmax(axis=1)).mean()
    rho = np.nanmean(
        [spearmanr(at_probe.loc[i], at_full.loc[i]).statistic for i in ids]  # type: ignore[attr-defined]
    )
    print(f"best at {PROBE} rows is best at full size on {same:.0%} of datasets")
    print(f"mean Spearman correlation of the learner rankings at {PROBE} and full: {rho:.3f}")
    print("best learner at full size (count):")
    print(at_full.idxmax(axis=1).map(SHORT).value_counts().to_string())
    print("best learner at 1024 rows (count):")
    print(at_probe.idxmax(axis=1).map(SHORT).value_counts().to_string())

    choices: dict[str, dict[int, str]] = {
        "best at 1024": {},
        "single best": {},
        "size-aware zero-shot": {},
        "size-aware from 1024": {},
    }
    cache: dict[int, tuple[list, list]] = {}
    for f in sorted(set(fam)):
        test = [i for i in ids if fam[i] == f]
        train = [i for i in ids if fam[i] != f]
        sbs = at_full.loc[train].mean().idxmax()
        zs, ex = examples(acc, meta, train, learners, cache)
        zs_pred = {}
        ex_pred = {}
        for learner in learners:
            z = zs.loc[zs["learner"] == learner].drop(columns=["learner"])
            e = ex.loc[ex["learner"] == learner].drop(columns=["learner"])
            zm = regression().fit(z.drop(columns="y"), z["y"])
            em = regression().fit(e.drop(columns="y"), e["y"])
            zx = pd.DataFrame(
                [{"log_size": np.log2(full[i]), **meta.loc[i].to_dict()} for i in test]
            )[z.drop(columns="y").columns]
            ez = pd.DataFrame(
                [probe_features(acc.loc[i], learner, full[i], meta.loc[i]) for i in test]
            )[e.drop(columns="y").columns]
            zs_pred[learner] = zm.predict(zx)
            ex_pred[learner] = at_probe.loc[test, learner].to_numpy() + em.predict(ez)
        zs_frame = pd.DataFrame(zs_pred, index=test)
        ex_frame = pd.DataFrame(ex_pred, index=test)
        for i in test:
            choices["best at 1024"][i] = at_probe.loc[i].idxmax()
            choices["single best"][i] = sbs
            choices["size-aware zero-shot"][i] = zs_frame.loc[i].idxmax()
            choices["size-aware from 1024"][i] = ex_frame.loc[i].idxmax()

    regrets = {
        m: pd.Series({i: best_full[i] - at_full.loc[i, c[i]] for i in ids})
        for m, c in choices.items()
    }
    print()
    print(
        "| method | mean regret (accuracy) | best chosen | p vs best at 1024 | p vs single best |"
    )
    print("|---|---:|---:|---:|---:|")
    for m, r in regrets.items():
        hits = np.mean([r[i] <= 1e-12 for i in ids])
        p1, p2 = pvalue(r, regrets, m, "best at 1024"), pvalue(r, regrets, m, "single best")
        print(f"| {m} | {r.mean():.4f} | {hits:.0%} | {p1} | {p2} |")
    print(f"\n({time.time() - t0:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--path", default=None, help="LCDB sdist or directory")
    parser.add_argument("--learners", choices=("registry", "trees"), default="registry")
    parser.add_argument("--cache", default=None, help="parquet file caching the curves")
    args = parser.parse_args()
    run(args.path, args.learners, args.cache)


if __name__ == "__main__":
    main()
