"""What knowledge base v2 buys: the same methods fitted on v1 and on v2, judged on v2's matrix.

For each task and each family of near-duplicate datasets, every method is fitted twice
without that family -- once on the v1 knowledge base (its 64 classification / 95 regression
configurations, normalized within that pool), once on v2 (pool v2: 256 per task) -- and
each fitted model proposes k trials for the held-out datasets. All proposals are looked up
in v2's dense matrix (v1's pool is a subset of v2's, same configuration ids), so both are
judged against the same best configuration: regret after k trials = 1 - the best of the
first k normalized v2 scores, and the raw metric of the best of the first k. Only datasets
present in both knowledge bases are held out; everything else (the model classes, their
hyperparameters, the held-out query's meta-features, from v2) is the same for both.

Usage::

    python benchmarks/kb_versions.py --v1 kb-build/v1_kb --v2 kb-build/v2/default_kb \\
        --methods sbs portfolio nearest50 maml --out benchmarks/results/kb_versions

Writes ``<out>/kb_versions.md`` and ``<out>/kb_versions.csv.gz`` (per dataset, method, version
and k).
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from autometa.bench import make_methods
from autometa.bench._stats import wilcoxon_p
from autometa.kb import METRICS, KnowledgeBase
from autometa.models import MetaModel, TaskData

KS = (1, 3, 5, 10)


def _is_adaptive(model: MetaModel) -> bool:
    return type(model).rank is not MetaModel.rank


def _propose(model: MetaModel, mf: pd.Series, raw: pd.Series, k: int) -> list[str]:
    """The first ``k`` configuration ids ``model`` tries; an adaptive model sees the raw
    values (larger is better) of its earlier trials."""
    if not _is_adaptive(model):
        return list(model.rank(mf)[:k])
    observed: dict[str, float] = {}
    for _ in range(k):
        first = model.rank(mf, dict(observed))[0]
        observed[first] = float(raw.get(first, np.nan))
    return list(observed)


def _family(
    family: str,
    data: dict[str, TaskData],
    held: list[str],
    v2: TaskData,
    method_names: list[str],
    sign: float,
) -> list[dict[str, Any]]:
    rows = []
    for version, d in data.items():
        train = d.without([x for x in d.dataset_ids if d.families.loc[x] == family])
        for method in make_methods(method_names, fit_once=True):
            t0 = time.perf_counter()
            model = method.make(0).fit(train) if method.make is not None else None
            seconds = time.perf_counter() - t0
            for ds in held:
                raw = sign * v2.raw.loc[ds]
                if model is None:
                    rng = np.random.default_rng(zlib.crc32(ds.encode()))
                    chosen = list(rng.permutation(d.config_ids)[: max(KS)])
                else:
                    chosen = _propose(model, v2.metafeatures.loc[ds], raw, max(KS))
                score = v2.scores.loc[ds, chosen].fillna(0.0).to_numpy()
                value = sign * raw[chosen].to_numpy()
                for k in KS:
                    best = int(np.argmax(score[:k]))
                    rows.append(
                        {
                            "task": v2.task,
                            "method": method.name,
                            "version": version,
                            "dataset_id": ds,
                            "family": family,
                            "k": k,
                            "regret": 1.0 - float(score[:k].max()),
                            "metric": float(value[best]),
                            "fit_seconds": seconds,
                        }
                    )
    return rows


def run(args: argparse.Namespace) -> pd.DataFrame:
    kb1, kb2 = KnowledgeBase.load(args.v1), KnowledgeBase.load(args.v2)
    rows: list[dict[str, Any]] = []
    for task in args.tasks:
        d1, d2 = TaskData.from_kb(kb1, task), TaskData.from_kb(kb2, task)
        missing = set(d1.config_ids) - set(d2.config_ids)
        if missing:
            sys.exit(f"{len(missing)} v1 configurations are not in v2's pool: not comparable")
        common = [x for x in d2.dataset_ids if x in set(d1.dataset_ids)]
        sign = 1.0 if METRICS[d2.metric].greater_is_better else -1.0
        families = sorted(d2.families.loc[common].unique())
        print(f"{task}: {len(common)} datasets, {len(families)} families", flush=True)
        jobs = Parallel(n_jobs=args.n_jobs, verbose=5)(
            delayed(_family)(
                f,
                {"v1": d1, "v2": d2},
                [x for x in common if d2.families.loc[x] == f],
                d2,
                args.methods,
                sign,
            )
            for f in families
        )
        rows += [r for job in jobs for r in job]
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame) -> str:
    lines = []
    for task, t in frame.groupby("task"):
        metric = "balanced_accuracy" if task == "classification" else "r2"
        n = t["dataset_id"].nunique()
        lines += [
            f"### {task} ({n} held-out datasets, {t['family'].nunique()} families)",
            "",
            f"| method | k | regret v1 | regret v2 | {metric} v1 | {metric} v2 "
            "| v2 better / worse | p (Wilcoxon) |",
            "|---|---:|---:|---:|---:|---:|---|---:|",
        ]
        for (method, k), g in t.groupby(["method", "k"], sort=False):
            p = g.pivot_table(index="dataset_id", columns="version", values=["regret", "metric"])
            r1, r2 = p[("regret", "v1")].to_numpy(), p[("regret", "v2")].to_numpy()
            m1, m2 = p[("metric", "v1")], p[("metric", "v2")]
            lines.append(
                f"| `{method}` | {k} | {r1.mean():.4f} | {r2.mean():.4f} | {m1.mean():.4f} | "
                f"{m2.mean():.4f} | {(r2 < r1).sum()} / {(r2 > r1).sum()} | "
                f"{wilcoxon_p(r1, r2):.2g} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--v1", default="kb-build/v1_kb")
    parser.add_argument("--v2", default="kb-build/v2/default_kb")
    parser.add_argument("--tasks", nargs="+", default=["classification", "regression"])
    parser.add_argument("--methods", nargs="+", default=["sbs", "portfolio", "nearest50"])
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/kb_versions")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    frame = run(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "kb_versions.csv.gz", index=False)
    text = (
        f"Command: `python benchmarks/kb_versions.py {' '.join(sys.argv[1:])}` "
        f"({time.perf_counter() - t0:.0f} s)\n\nRegret and metric of the best of the first "
        "k trials, both versions judged on v2's dense matrix; mean over held-out datasets; "
        "p: two-sided Wilcoxon signed-rank on the per-dataset regrets.\n\n" + summary(frame)
    )
    (out / "kb_versions.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
