"""How well the cost model predicts fit time on data larger than it was fitted on.

Leave-family-out: the families of near-duplicate datasets are split into K groups; the cost
model is fitted on every run (all sizes) of the other groups and predicts the fit time of the
held-out datasets' runs at their largest size (the knowledge base v2's second size, up to
20,000 rows). Reported: median |log10(predicted / measured)| (0.3 = within a factor of 2),
overall and per learner, beside a baseline that scales each learner's median time at the
reference size linearly with the rows.

    python benchmarks/cost_model.py [--kb KB] [--groups 5]
    python benchmarks/cost_model.py --proxy     # v1 knowledge bases (one size only): fitted
                                                # on runs below 400 training rows, tested on
                                                # runs above 600
    python benchmarks/cost_model.py --lcdb      # LCDB's measured times (default
                                                # configurations) on held-out LCDB datasets
                                                # above 20,000 training rows, the cost model
                                                # fitted without LCDB, with the knowledge
                                                # base's LCDB import, with LCDB's files
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from autometa.kb import KnowledgeBase
from autometa.models._cost import CostModel, median_log10_error


def _split(table: pd.DataFrame, proxy: bool) -> tuple[pd.Series, pd.Series]:
    """(training runs mask, test runs mask) before the family split."""
    if proxy:
        return table["n_train"] < 400, table["n_train"] >= 600
    largest = table.groupby("dataset_id")["n_train"].transform("max")
    counts = table.groupby(["dataset_id", "n_train"])["n_train"].transform("size")
    reference = (
        table.assign(c=counts).sort_values("c", ascending=False).groupby("dataset_id")["n_train"]
    ).first()
    larger = table["n_train"] > table["dataset_id"].map(reference) * 1.5
    return pd.Series(True, index=table.index), larger & (table["n_train"] == largest)


def _lcdb(kb: KnowledgeBase, groups: int, seed: int, min_rows: int = 20_000) -> None:
    """Held-out LCDB datasets above ``min_rows`` training rows (every learner LCDB shares with
    the registry), predicted by cost models fitted on the knowledge base's own runs and: no
    LCDB; the knowledge base's LCDB import (the tree learners' defaults on numeric datasets,
    ``autometa kb import-lcdb``; imported here when ``kb`` holds none); LCDB's files (every
    shared learner, every described dataset: ``models train --cost-lcdb``)."""
    from autometa.kb import import_lcdb

    if not (kb.runs["source"] == "lcdb").any():
        kb = kb.merge(import_lcdb().to_knowledge_base())
    table = CostModel.training_table(kb)
    own = (table["source"] == "lcdb").to_numpy()
    base, imported = table.loc[~own], table.loc[own]
    lc = CostModel.lcdb_training_table()
    ids = np.array(sorted(lc["dataset_id"].unique()))
    group = dict(zip(ids, np.random.default_rng(seed).permutation(len(ids)) % groups))
    rows = []
    for g in range(groups):
        held = lc["dataset_id"].map(group) == g
        test = lc.loc[held & (lc["n_train"] >= min_rows)]
        if len(test) == 0:
            continue
        held_ids = set(lc.loc[held, "dataset_id"])
        models = {
            "without": CostModel().fit_table(base),
            "kb": CostModel().fit_table(
                pd.concat([base, imported.loc[~imported["dataset_id"].isin(held_ids)]])
            ),
            "files": CostModel().fit_table(pd.concat([base, lc.loc[~held]], ignore_index=True)),
        }
        for (_, n, d, c), part in test.groupby(
            ["dataset_id", "n_train", "n_features", "n_classes"]
        ):
            query = part[["learner", "params"]]
            frame = {
                "learner": part["learner"].to_numpy(),
                "measured": part["fit_time"].to_numpy(),
                "n_train": n,
                "dataset_id": part["dataset_id"].to_numpy(),
            }
            for name, model in models.items():
                pred = model.predict(query, n_rows=n, n_features=d, n_classes=c)
                frame[name] = pred["fit_time"].to_numpy()
            rows.append(pd.DataFrame(frame))
    res = pd.concat(rows, ignore_index=True)
    n_imported = imported["dataset_id"].nunique()
    print(
        f"{len(res)} held-out LCDB measurements of {res['dataset_id'].nunique()} datasets at "
        f"{min_rows:,}+ training rows (median {int(res['n_train'].median()):,}, largest "
        f"{int(res['n_train'].max()):,}); the knowledge base's LCDB import: {len(imported)} "
        f"runs of {n_imported} datasets\n"
    )
    print(
        "| learner | runs | without LCDB | with the KB's LCDB import | with LCDB's files |\n"
        "|---|---:|---:|---:|---:|"
    )

    def line(label: str, part: pd.DataFrame) -> str:
        errors = [median_log10_error(part[k], part.measured) for k in ("without", "kb", "files")]
        return f"| {label} | {len(part)} | " + " | ".join(f"{e:.2f}" for e in errors) + " |"

    for learner, part in sorted(res.groupby("learner")):
        print(line(str(learner), part))
    trees = res["learner"].isin(set(imported["learner"]))
    print(line("the three imported tree learners", res.loc[trees]))
    print(line("**all**", res))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=None, help="knowledge base (default: the shipped one)")
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--proxy", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lcdb", action="store_true")
    args = parser.parse_args()
    kb = KnowledgeBase.load(args.kb) if args.kb else KnowledgeBase.default()
    if args.lcdb:
        return _lcdb(kb, args.groups, args.seed)
    table = CostModel.training_table(kb)
    table["family"] = table["dataset_id"].map(kb.datasets.set_index("dataset_id")["family"])
    train_mask, test_mask = _split(table, args.proxy)
    if not test_mask.any():
        raise SystemExit(
            "No dataset has runs at a larger size than its reference size; use --proxy."
        )
    families = np.array(sorted(table["family"].unique()))
    rng = np.random.default_rng(args.seed)
    group = dict(zip(families, rng.permutation(len(families)) % args.groups))
    results = []
    for g in range(args.groups):
        held = table["family"].map(group) == g
        train = table.loc[train_mask & ~held]
        test = table.loc[test_mask & held]
        if len(test) == 0:
            continue
        model = CostModel().fit_table(train)
        ref = train.groupby("learner").apply(
            lambda p: float(np.median(p["fit_time"] / p["n_train"])), include_groups=False
        )
        for (_, n, d, c), part in test.groupby(
            ["dataset_id", "n_train", "n_features", "n_classes"]
        ):
            pred = model.predict(part[["learner", "params"]], n_rows=n, n_features=d, n_classes=c)
            results.append(
                pd.DataFrame(
                    {
                        "learner": part["learner"].to_numpy(),
                        "measured": part["fit_time"].to_numpy(),
                        "cost_model": pred["fit_time"].to_numpy(),
                        "linear_baseline": part["learner"].map(ref).to_numpy() * n,
                        "n_train": n,
                    }
                )
            )
    res = pd.concat(results, ignore_index=True)
    print(
        f"{len(res)} held-out runs on {res['n_train'].nunique()} sizes "
        f"(median {int(res['n_train'].median())} training rows)\n"
    )
    print("| learner | runs | cost model | linear baseline |\n|---|---:|---:|---:|")
    for learner, part in sorted(res.groupby("learner")):
        print(
            f"| {learner} | {len(part)} | {median_log10_error(part.cost_model, part.measured):.2f}"
            f" | {median_log10_error(part.linear_baseline, part.measured):.2f} |"
        )
    print(
        f"| **all** | {len(res)} | **{median_log10_error(res.cost_model, res.measured):.2f}** | "
        f"{median_log10_error(res.linear_baseline, res.measured):.2f} |"
    )


if __name__ == "__main__":
    main()
