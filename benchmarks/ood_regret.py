"""The out-of-distribution signal against the regret of the first pick (issue 14, item 7).

For every dataset of the knowledge base's dense matrix, leave-one-family-out: the
meta-feature space of the shipped explainer (``MetaFeatureSpace``: the scaled, NaN-aware
distance ``recommend`` reports) is fitted on the *other* families and the dataset's distance
to its nearest knowledge-base dataset is measured, as ``recommend`` measures a user's data.
Beside it, the regret of ``maml``'s first pick on that dataset, from the leave-one-family-out
table of ``autometa bench lodo`` (``--curves``, seeds averaged). The threshold drawn is the
shipped explainer's (``prototypes``), set so that about 5% of the knowledge base's datasets
lie beyond it when compared with the other families.

    python benchmarks/ood_regret.py [--kb KB] \\
        [--curves benchmarks/results/kb_v2_preview/lodo_{task}/lodo_curves.csv.gz] \\
        [--out benchmarks/results/ood_regret]

Writes ``<out>/ood_regret.png`` (one panel per task), ``ood_regret.csv`` and
``ood_regret.md``: the share flagged, the mean first-pick regret of flagged and other
datasets (two-sided Mann-Whitney p) and the Spearman correlation of distance and regret.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from autometa.kb import KnowledgeBase
from autometa.models import TaskData, load_default_model
from autometa.models._space import MetaFeatureSpace

TASKS = ("classification", "regression")


def held_out_distances(data: TaskData) -> pd.Series:
    """Each dataset's distance to the nearest dataset of the other families, in a space
    fitted without its family."""
    families = data.families.astype(str)
    out = {}
    for family in families.unique():
        held = list(families.index[families == family])
        space = MetaFeatureSpace().fit(data.without(held))
        for d in held:
            out[d] = space.ood_distance(data.metafeatures.loc[d])
    return pd.Series(out, name="distance")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=None, help="knowledge base (default: the shipped one)")
    parser.add_argument(
        "--curves",
        default="benchmarks/results/kb_v2_preview/lodo_{task}/lodo_curves.csv.gz",
        help="leave-one-family-out curves with a 'maml' method; {task} is replaced",
    )
    parser.add_argument("--method", default="maml")
    parser.add_argument("--out", default="benchmarks/results/ood_regret")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import mannwhitneyu, spearmanr

    kb = KnowledgeBase.load(args.kb) if args.kb else KnowledgeBase.default()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(TASKS), figsize=(11, 4.2))
    rows, lines = [], ["# OOD distance against the first pick's regret", ""]
    lines += [
        "| task | datasets | flagged | first-pick regret, flagged | others | Mann-Whitney p "
        "| Spearman (p) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for ax, task in zip(axes, TASKS):
        data = TaskData.from_kb(kb, task)
        distance = held_out_distances(data)
        curves = pd.read_csv(args.curves.format(task=task))
        first = curves[(curves["method"] == args.method) & (curves["k"] == 1)]
        regret = first.groupby("dataset_id")["regret"].mean().rename("regret")
        frame = pd.concat([distance, regret], axis=1, join="inner")
        threshold = load_default_model(task, "explainer").ood_threshold_
        frame["flagged"] = frame["distance"] > threshold
        frame["task"] = task
        rows.append(frame.rename_axis("dataset_id").reset_index())
        flagged, others = frame.loc[frame["flagged"], "regret"], frame.loc[~frame["flagged"]]
        others = others["regret"]
        p_mw = mannwhitneyu(flagged, others).pvalue if len(flagged) and len(others) else np.nan
        rho, p_rho = spearmanr(frame["distance"], frame["regret"])
        lines.append(
            f"| {task} | {len(frame)} | {int(frame['flagged'].sum())} "
            f"({frame['flagged'].mean():.1%}) | {flagged.mean():.3f} | {others.mean():.3f} "
            f"| {p_mw:.2g} | {rho:+.2f} ({p_rho:.2g}) |"
        )
        ax.scatter(
            frame["distance"], frame["regret"], s=14, c=np.where(frame["flagged"], "C3", "C0")
        )
        ax.axvline(threshold, color="C3", ls="--", lw=1, label=f"threshold {threshold:.3g}")
        ax.set_xscale("log")
        ax.set_xlabel("distance to the nearest dataset of another family")
        ax.set_ylabel(f"regret of {args.method}'s first pick")
        ax.set_title(f"{task} ({len(frame)} datasets)")
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "ood_regret.png", dpi=110)
    pd.concat(rows, ignore_index=True).to_csv(out / "ood_regret.csv", index=False)
    text = "\n".join(lines) + "\n"
    (out / "ood_regret.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
