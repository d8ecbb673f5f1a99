"""The meta-learning methods side by side, leave-one-family-out (issue 14, items 2 to 4).

Every method runs through the harness's public :func:`autometa.bench.run_lodo` on the same
folds (each family of near-duplicates held out in turn, everything fitted on the rest),
by table look-up in the dense matrix of ``--kb``:

- baselines: ``sbs``, ``portfolio``, ``nearest`` (auto-sklearn's 25), ``nearest50``
  (every meta-feature, 50 configurations);
- ``prior``: the surrogate's zero-shot order (no adaptation; the same network as below);
- ``maml``: the shipped ranker's method -- MAML (CAVIA) meta-trained on *random*
  supports, adaptive, expected improvement;
- ``maml-search``: the same, meta-trained on supports drawn like a search's first trials
  (``MAMLSurrogate(support="search")``: Gumbel-top-k of the ranker's zero-shot scores);
- ``reptile``: Reptile meta-training of the shared network (``ReptileSurrogate``) on the
  same search-like supports, same adaptation and acquisition;
- ``similarity``: the nearest-datasets order in the learned embedding
  (``SimilarityModel``).

The four surrogate-based methods share, within a fold, one ordinary training of the
network (same seed, data and hyperparameters; cached on disk under ``--cache``), then each
does its own meta-training; ``meta_seconds`` is the time of that meta-training alone.
Results are cached per (task, method) so that a killed run resumes; the trained networks
per fold too.

Out of distribution: in each fold the learned similarity's ``ood_score`` and the
prototype model's (``PrototypeModel.ood_score``, i.e. the hand-made
``MetaFeatureSpace`` distance as a percentile of the training datasets' own) are recorded
for each held-out dataset, and compared with the regret of the first pick of ``prior``
(does a high score flag the datasets the knowledge base serves badly?). Synthetic datasets
built to be unlike the knowledge base (pure-noise features; 2,000 classes) are scored too,
with the maml model's raw and clipped predictions on them.

Usage::

    nice -n 5 python benchmarks/meta_models.py --kb autometa/data/default_kb \\
        --out benchmarks/results/meta_models

Writes ``<out>/meta_models.md`` (tables), ``<out>/curves.csv.gz`` and ``<out>/ood.csv``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from autometa.bench import LodoResult, Method, make_methods, run_lodo
from autometa.kb import KnowledgeBase
from autometa.models import TaskData

logger = logging.getLogger("meta_models")

BASELINES = ("sbs", "portfolio", "nearest", "nearest50")
TORCH = ("prior", "maml", "maml-search", "reptile", "similarity")
REFERENCES = ("nearest50", "maml")  # the Wilcoxon references: nearest-style and shipped
KS = (1, 3, 5, 10)

# Side channels filled by the models during run_lodo (n_jobs=1: same process).
_OOD_RECORDS: list[dict[str, Any]] = []
_META_SECONDS: list[dict[str, Any]] = []
_STATE: dict[str, Any] = {"cache": None, "method": None, "task": None}


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _cached_base(klass: type) -> type:
    """A subclass of a surrogate class whose ordinary training is cached per fold."""

    class Cached(klass):  # type: ignore[misc, valid-type]
        def fit(self, data: TaskData) -> Any:
            self._fold_ids = sorted(data.dataset_ids)
            return super().fit(data)

        def _train(self, net, x_mf, x_cfg, y, gen, *, epochs):
            import torch

            base = {
                "arch": self._arch(),
                "epochs": epochs,
                "lr": float(self.learning_rate),
                "wd": float(self.weight_decay),
                "tau": float(self.temperature),
                "mse": float(self.mse_weight),
                "bootstrap": bool(self.bootstrap),
                "batch": int(self.batch_size),
            }
            key = _key(self._fold_ids, int(self.random_state), base)
            path = Path(_STATE["cache"]) / f"base-{key}.pt"
            if path.is_file():
                net.load_state_dict(torch.load(path, weights_only=True))
                net.eval()
            else:
                super()._train(net, x_mf, x_cfg, y, gen, epochs=epochs)
                tmp = path.with_suffix(".tmp")
                torch.save(net.state_dict(), tmp)
                tmp.replace(path)
            # the same randomness for meta-training whether the base was cached or not
            gen.manual_seed(int(self.random_state) + 1)
            torch.manual_seed(int(self.random_state) + 1)

        def _meta_train(self, x_mf, x_cfg, y, gen):
            t0 = time.perf_counter()
            super()._meta_train(x_mf, x_cfg, y, gen)
            _META_SECONDS.append(
                {
                    "task": _STATE["task"],
                    "method": _STATE["method"],
                    "n_train": len(self._fold_ids),
                    "meta_seconds": time.perf_counter() - t0,
                }
            )

    Cached.__name__ = klass.__name__
    return Cached


def _recording_similarity() -> type:
    from autometa.models._prototypes import PrototypeModel  # noqa: F401  (documents the link)
    from autometa.models._similarity import SimilarityModel
    from autometa.models._space import MetaFeatureSpace

    class Recording(SimilarityModel):
        def fit(self, data: TaskData) -> Any:
            # the real families (not the fold groups): same-family pairs are near-duplicates
            data = dataclasses.replace(data, families=_STATE["families"].loc[data.dataset_ids])
            super().fit(data)
            # PrototypeModel.ood_score is this space's distance as a percentile of the
            # training datasets' own (see PrototypeModel.ood_score); fitted the same way.
            self._space = MetaFeatureSpace().fit(data)
            self._recorded: set[str] = set()
            return self

        def rank(self, metafeatures, observed=None):
            name = str(metafeatures.name)
            if name not in self._recorded:
                self._recorded.add(name)
                frame = metafeatures.to_frame().T
                d = self._space.ood_distance(frame)
                ref = self._space.reference_distances_
                _OOD_RECORDS.append(
                    {
                        "task": _STATE["task"],
                        "dataset_id": name,
                        "similarity_ood": self.ood_score(frame),
                        "similarity_distance": self.ood_distance(frame),
                        "space_ood": float(np.searchsorted(ref, d - 1e-9, side="right") / len(ref)),
                        "space_distance": d,
                    }
                )
            return super().rank(metafeatures, observed)

    Recording.__name__ = "SimilarityModel"
    return Recording


def family_groups(families: pd.Series, n_groups: int) -> pd.Series:
    """Families dealt at random (seed 0) into ``n_groups`` groups: the folds of a
    leave-one-group-out in which near-duplicates always stay together."""
    names = sorted(families.astype(str).unique())
    order = np.random.default_rng(0).permutation(len(names))
    group = {names[i]: f"group{j % n_groups}" for j, i in enumerate(order)}
    return families.astype(str).map(group)


def make_method(name: str, args: argparse.Namespace) -> Method:
    from autometa.models._maml import MAMLSurrogate
    from autometa.models._reptile import ReptileSurrogate

    if name in BASELINES:
        return make_methods([name])[0]
    common = {"epochs": args.epochs, "n_members": args.members, "meta_epochs": args.meta_epochs}
    maml = _cached_base(MAMLSurrogate)
    if name == "prior":
        kwargs: dict[str, Any] = {**common, "acquisition": "prior", "meta_epochs": 0}
        return Method(name, _Factory(maml, kwargs))
    if name == "maml":
        return Method(name, _Factory(maml, {**common, "support": "random"}))
    if name == "maml-search":
        return Method(name, _Factory(maml, {**common, "support": "search"}))
    if name == "reptile":
        return Method(name, _Factory(_cached_base(ReptileSurrogate), dict(common)))
    if name == "similarity":
        return Method(name, _Factory(_recording_similarity(), {"epochs": args.sim_epochs}))
    raise SystemExit(f"Unknown method {name!r}. Known: {', '.join(BASELINES + TORCH)}.")


class _Factory:
    def __init__(self, klass: type, kwargs: dict[str, Any]) -> None:
        self.klass, self.kwargs = klass, kwargs

    def __call__(self, seed: int) -> Any:
        return self.klass(**self.kwargs, random_state=seed)


# ------------------------------------------------------------------------------------------
def run_all(args: argparse.Namespace) -> tuple[LodoResult, pd.DataFrame, pd.DataFrame]:
    kb = KnowledgeBase.load(args.kb)
    out = Path(args.out)
    cache = out / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    _STATE["cache"] = str(cache)
    curves, timings, ood, meta = [], [], [], []
    metrics = {}
    for task in args.tasks:
        data = TaskData.from_kb(kb, task)
        if args.max_families:
            fams = sorted(data.families.unique())[: args.max_families]
            data = data.without(list(data.families.index[~data.families.isin(fams)]))
        _STATE["families"] = data.families.copy()
        if args.groups:
            data = dataclasses.replace(data, families=family_groups(data.families, args.groups))
        metrics[task] = data.metric
        for name in args.methods:
            tag = _key(
                args.groups,
                args.kb,
                task,
                name,
                args.epochs,
                args.members,
                args.meta_epochs,
                args.sim_epochs,
                args.seeds,
                args.k_max,
                args.max_families,
            )
            files = {k: cache / f"{task}-{name}-{tag}-{k}.csv.gz" for k in ("c", "t", "o", "m")}
            if files["c"].is_file():
                logger.info("%s %s: cached", task, name)
            else:
                logger.info("%s %s: running", task, name)
                _STATE.update(task=task, method=name)
                _OOD_RECORDS.clear()
                _META_SECONDS.clear()
                t0 = time.perf_counter()
                res = run_lodo(
                    data, methods=[make_method(name, args)], seeds=args.seeds, k_max=args.k_max
                )
                logger.info("%s %s: %.0f s", task, name, time.perf_counter() - t0)
                pd.DataFrame(_OOD_RECORDS).to_csv(files["o"], index=False)
                pd.DataFrame(_META_SECONDS).to_csv(files["m"], index=False)
                res.timings.to_csv(files["t"], index=False)
                res.curves.to_csv(files["c"], index=False)  # last: marks the pair as done
            curves.append(pd.read_csv(files["c"], dtype={"dataset_id": str, "family": str}))
            timings.append(pd.read_csv(files["t"]))
            for key, sink in (("o", ood), ("m", meta)):
                try:
                    sink.append(pd.read_csv(files[key]))
                except pd.errors.EmptyDataError:
                    pass
    result = LodoResult(
        curves=pd.concat(curves, ignore_index=True),
        timings=pd.concat(timings, ignore_index=True),
        methods=tuple(args.methods),
        metrics=metrics,
        seeds=tuple(range(args.seeds)),
        k_max=args.k_max,
    )
    ood_frame = pd.concat(ood, ignore_index=True) if ood else pd.DataFrame()
    meta_frame = pd.concat(meta, ignore_index=True) if meta else pd.DataFrame()
    return result, ood_frame, meta_frame


# ------------------------------------------------------------------------------------------
def wilcoxon_table(result: LodoResult, ks: tuple[int, ...]) -> pd.DataFrame:
    """Per task (and pooled), method, reference and k: mean difference and Wilcoxon p."""
    c = result.curves
    per = c.groupby(["task", "method", "dataset_id", "k"])["regret"].mean().unstack("method")
    rows = []
    blocks = [(t, per.xs(t, level="task")) for t in result.tasks]
    if len(blocks) > 1:
        blocks.append(("all", per.droplevel("task")))
    for block, frame in blocks:
        for ref in REFERENCES:
            if ref not in frame:
                continue
            for method in result.methods:
                if method == ref or method not in frame:
                    continue
                for k in ks:
                    sub = frame.xs(k, level="k")[[method, ref]].dropna()
                    diff = sub[method] - sub[ref]
                    p = np.nan
                    if (diff != 0).any():
                        p = float(stats.wilcoxon(sub[method], sub[ref]).pvalue)
                    rows.append(
                        {
                            "task": block,
                            "reference": ref,
                            "method": method,
                            "k": k,
                            "diff": float(diff.mean()),
                            "wins": int((diff < 0).sum()),
                            "losses": int((diff > 0).sum()),
                            "p": p,
                        }
                    )
    return pd.DataFrame(rows)


def ood_analysis(result: LodoResult, ood: pd.DataFrame) -> pd.DataFrame:
    """How each OOD score relates to the regret of the first pick on held-out datasets."""
    if ood.empty:
        return pd.DataFrame()
    first = result.curves.loc[(result.curves["k"] == 1)]
    rows = []
    for ranker in [m for m in ("prior", "maml", "nearest50") if m in result.methods]:
        r1 = first.loc[first["method"] == ranker].groupby(["task", "dataset_id"])["regret"].mean()
        merged = ood.set_index(["task", "dataset_id"]).join(r1.rename("regret1"), how="inner")
        for block in [*result.tasks, "all"]:
            sub = merged if block == "all" else merged.xs(block, level="task", drop_level=False)
            worst = sub["regret1"] >= sub["regret1"].quantile(0.9)
            for score in ("similarity_ood", "space_ood"):
                rho = stats.spearmanr(sub[score], sub["regret1"])
                auc = np.nan
                if worst.any() and (~worst).any():
                    auc = float(
                        stats.mannwhitneyu(sub.loc[worst, score], sub.loc[~worst, score]).statistic
                        / (worst.sum() * (~worst).sum())
                    )
                rows.append(
                    {
                        "task": block,
                        "ranker": ranker,
                        "score": score,
                        "n": len(sub),
                        "flagged": float((sub[score] > 0.95).mean()),
                        "spearman_vs_regret1": float(rho.statistic),
                        "p": float(rho.pvalue),
                        "auc_worst10": auc,
                    }
                )
    return pd.DataFrame(rows)


def synthetic_ood(args: argparse.Namespace) -> pd.DataFrame:
    """Score datasets built to be unlike the knowledge base with models fitted on all of it."""
    import metafeatures as mfx
    from autometa.models._maml import MAMLSurrogate
    from autometa.models._similarity import SimilarityModel
    from autometa.models._space import MetaFeatureSpace

    kb = KnowledgeBase.load(args.kb)
    rng = np.random.default_rng(0)
    rows = []
    for task in args.tasks:
        data = TaskData.from_kb(kb, task)
        sim = SimilarityModel(epochs=args.sim_epochs).fit(data)
        space = MetaFeatureSpace().fit(data)
        maml = MAMLSurrogate(epochs=args.epochs, n_members=args.members, meta_epochs=0).fit(data)
        cases = {"noise-50-features": (rng.normal(size=(300, 50)), rng.integers(0, 2, 300))}
        if task == "classification":
            n = 4000
            cases["2000-classes"] = (rng.normal(size=(n, 5)), np.repeat(np.arange(2000), 2))
        else:
            cases["noise-50-features"] = (rng.normal(size=(300, 50)), rng.normal(size=300))
        for name, (x, y) in cases.items():
            frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])
            t0 = time.perf_counter()
            mf = mfx.extract(frame, pd.Series(y), task=task)
            mf = pd.Series(mf, dtype=float)
            d = space.ood_distance(mf.to_frame().T)
            ref = space.reference_distances_
            raw = maml._member_scores(mf.to_frame().T).mean(0)
            rows.append(
                {
                    "task": task,
                    "dataset": name,
                    "similarity_ood": sim.ood_score(mf),
                    "space_ood": float(np.searchsorted(ref, d - 1e-9, side="right") / len(ref)),
                    "maml_raw_max": float(raw.max()),
                    "maml_raw_min": float(raw.min()),
                    "maml_predict_max": float(maml.predict(mf).mean.to_numpy().max()),
                    "extract_seconds": time.perf_counter() - t0,
                }
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------
def _md(frame: pd.DataFrame, index: bool = True) -> str:
    """A Markdown table (no optional dependency)."""
    frame = frame.reset_index() if index else frame
    head = [str(c) for c in frame.columns]
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for row in frame.itertuples(index=False):
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in row]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def markdown(
    result: LodoResult,
    wil: pd.DataFrame,
    ood: pd.DataFrame,
    meta: pd.DataFrame,
    synth: pd.DataFrame,
    args: argparse.Namespace,
) -> str:
    lines = [result.to_markdown(KS)]
    fit = result.timings.groupby(["task", "method"])["fit_seconds"].median().unstack("task")
    lines += ["### fit time (median seconds per fold; surrogate methods share a cached base)", ""]
    lines.append(_md(fit.round(2)))
    if not meta.empty:
        lines += ["", "### meta-training time alone (median seconds per fold)", ""]
        lines.append(
            _md(meta.groupby(["task", "method"])["meta_seconds"].median().unstack("task").round(2))
        )
    lines += ["", "### Wilcoxon signed-rank (per dataset, regret at k)", ""]
    lines.append(
        "diff = mean(method - reference) regret (negative: method better); wins/losses: "
        "datasets where the method's regret is lower/higher; p: two-sided Wilcoxon "
        "(ties dropped)."
    )
    lines.append("")
    if not wil.empty:
        w = wil.copy()
        w["cell"] = [
            f"{d:+.4f} ({wi}/{lo}, p={p:.3g})"
            for d, wi, lo, p in zip(w["diff"], w["wins"], w["losses"], w["p"])
        ]
        table = w.pivot_table(
            index=["task", "reference", "method"], columns="k", values="cell", aggfunc="first"
        )
        table.columns = [f"k={k}" for k in table.columns]
        lines.append(_md(table))
    if not ood.empty:
        lines += ["", "### out-of-distribution scores on held-out datasets", ""]
        lines.append(_md(ood.round(3), index=False))
    if synth is not None and not synth.empty:
        lines += ["", "### datasets built to be unlike the knowledge base", ""]
        lines.append(_md(synth.round(3), index=False))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", required=True)
    parser.add_argument("--out", default="benchmarks/results/meta_models")
    parser.add_argument("--tasks", nargs="+", default=["classification", "regression"])
    parser.add_argument("--methods", nargs="+", default=[*BASELINES, *TORCH])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--k-max", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=100, help="surrogate base training")
    parser.add_argument("--members", type=int, default=3, help="ensemble members")
    parser.add_argument("--meta-epochs", type=int, default=20)
    parser.add_argument("--sim-epochs", type=int, default=300)
    parser.add_argument("--max-families", type=int, default=0, help="smoke runs only")
    parser.add_argument(
        "--groups",
        type=int,
        default=0,
        help="deal the families into this many folds (0: one family per fold)",
    )
    parser.add_argument("--no-synthetic", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    import torch

    torch.set_num_threads(1)
    result, ood_raw, meta = run_all(args)
    out = Path(args.out)
    result.curves.to_csv(out / "curves.csv.gz", index=False)
    ood_raw.to_csv(out / "ood.csv", index=False)
    wil = wilcoxon_table(result, KS)
    wil.to_csv(out / "wilcoxon.csv", index=False)
    ood = ood_analysis(result, ood_raw)
    synth = None if args.no_synthetic else synthetic_ood(args)
    text = markdown(result, wil, ood, meta, synth, args)
    settings = (
        f"Knowledge base `{args.kb}`; folds: "
        f"{f'{args.groups} groups of families' if args.groups else 'one family each'}; "
        f"tasks {args.tasks}; seeds {args.seeds}; k_max "
        f"{args.k_max}; surrogate epochs {args.epochs}, members {args.members}, meta-epochs "
        f"{args.meta_epochs}; similarity epochs {args.sim_epochs}.\n\n"
    )
    (out / "meta_models.md").write_text(settings + text)
    print(settings + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
