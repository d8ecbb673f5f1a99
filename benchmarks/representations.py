"""Dataset representations and the relation head, leave-one-family-out (issue 14, items 5-6).

Every method runs through :func:`autometa.bench.run_lodo` on the same folds (families of
near-duplicates dealt into ``--groups`` groups, each held out in turn; everything fitted
on the rest), by table look-up in the dense matrix of ``--kb``:

- baselines: ``sbs``, ``nearest50``;
- ``maml``: the shipped ranker's method (``MAMLSurrogate``: adaptive, expected improvement);
- ``surrogate``: the two-tower surrogate (dot product of the embeddings), zero-shot order;
- ``relation``: the relation head (``RelationSurrogate``: an MLP over [e_d, e_c, e_d*e_c]),
  same towers, data, loss, ensemble and hyperparameters as ``surrogate``;
- set-encoder variants (``SetEncoderModel``, a Dataset2Vec-style encoder of the raw data
  trained in each fold on the training datasets' samples with the ranking-agreement
  objective): ``d2v-<head>`` feeds the head the embedding alone, ``mf+d2v-<head>`` the
  hand-crafted meta-features and the embedding, for the heads ``surrogate``,
  ``relation`` and ``nearest50`` (the nearest-datasets order).

Within a fold the set-encoder variants share one trained encoder and its embeddings (same
seed, data and hyperparameters). Raw data: each dataset of the knowledge base is read once
from ``--pmlb`` (``<name>.tsv.gz``, target ``target``) and kept as a standardized sample of
at most 1,024 rows and 64 features in ``--samples-cache`` (outside the repository).

Usage::

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/representations.py \\
        --kb autometa/data/default_kb --groups 10 --tasks classification
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/representations.py \\
        --kb autometa/data/default_kb --groups 10 --tasks regression
    python benchmarks/representations.py --kb autometa/data/default_kb --groups 10 --report

Results per (task, method) are cached under ``<out>/cache`` so that a killed run resumes;
``--report`` writes ``<out>/representations.md``, ``curves.csv.gz``, ``wilcoxon.csv`` and
``encoder.csv`` (the encoder's training time and loss per fold) from the cache.
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

from autometa.bench import LodoResult, Method, make_methods, run_lodo
from autometa.kb import DEFAULT_METRIC, KnowledgeBase
from autometa.models import TaskData

logger = logging.getLogger("representations")

BASELINES = ("sbs", "nearest50")
HEADS = ("surrogate", "relation", "nearest50")
SET_METHODS = tuple(f"{p}d2v-{h}" for h in HEADS for p in ("", "mf+"))
METHODS = (*BASELINES, "maml", "surrogate", "relation", *SET_METHODS)
KS = (1, 3, 5, 10)
#: (method, reference) pairs tested beside "each method against maml".
PAIRS = (
    ("relation", "surrogate"),
    ("d2v-surrogate", "surrogate"),
    ("mf+d2v-surrogate", "surrogate"),
    ("d2v-relation", "relation"),
    ("mf+d2v-relation", "relation"),
    ("d2v-nearest50", "nearest50"),
    ("mf+d2v-nearest50", "nearest50"),
)

_STATE: dict[str, Any] = {"task": None}
_ENCODERS: dict[str, tuple[dict[str, np.ndarray], list[float]]] = {}
_EMBEDDINGS: dict[tuple[str, str], np.ndarray] = {}
_ENCODER_LOG: list[dict[str, Any]] = []


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------------------
# raw data
def load_samples(kb: KnowledgeBase, task: str, pmlb: Path, cache: Path) -> Any:
    """The :class:`DatasetSamples` of the task's datasets (built once, then read)."""
    from autometa._io import read_table, split_target
    from autometa.models._set_encoder import DatasetSamples, prepare_sample

    file = cache / f"samples-{task}.npz"
    if file.is_file():
        return DatasetSamples.load(file)
    cache.mkdir(parents=True, exist_ok=True)
    names = kb.datasets.set_index("dataset_id")["name"]
    ids = TaskData.from_kb(kb, task).dataset_ids
    samples = {}
    for d in ids:
        x, y = split_target(read_table(pmlb / f"{names.loc[d]}.tsv.gz"), "target")
        samples[d] = prepare_sample(x, y, task, max_rows=1024, max_features=64, random_state=0)
    out = DatasetSamples(samples)
    out.save(file)
    return out


# ------------------------------------------------------------------------------------------
# methods
def _cached_set_encoder() -> type:
    """``SetEncoderModel`` whose encoder and embeddings are shared by the variants of a fold."""
    from autometa.models._set_encoder import SetEncoderModel

    class Cached(SetEncoderModel):
        def fit(self, data: TaskData) -> Any:
            # the real families (not the fold groups): only near-duplicates leave the objective
            families = _STATE["families"].loc[data.dataset_ids]
            return super().fit(dataclasses.replace(data, families=families))

        def _train_encoder(self, dataset_ids, samples, agree, families):
            params = {k: getattr(self, k) for k in (*self._ARCH, *self._TRAINING)}
            key = _key(_STATE["task"], sorted(dataset_ids), int(self.random_state), params)
            self._cache_key = key
            if key not in _ENCODERS:
                t0 = time.process_time()
                _ENCODERS[key] = super()._train_encoder(dataset_ids, samples, agree, families)
                losses = _ENCODERS[key][1]
                _ENCODER_LOG.append(
                    {
                        "task": _STATE["task"],
                        "n_train": len(dataset_ids),
                        "cpu_seconds": time.process_time() - t0,
                        "loss_first10": float(np.mean(losses[:10])),
                        "loss_last10": float(np.mean(losses[-10:])),
                    }
                )
            weights, losses = _ENCODERS[key]
            return dict(weights), list(losses)

        def _embed_samples(self, keys, samples):
            base = getattr(self, "_cache_key", None)
            if base is None or any(k == "" for k in keys):
                return super()._embed_samples(keys, samples)
            rows = []
            for k, s in zip(keys, samples):
                if (base, k) not in _EMBEDDINGS:
                    _EMBEDDINGS[(base, k)] = super()._embed_samples([k], [s])[0]
                rows.append(_EMBEDDINGS[(base, k)])
            return np.asarray(rows).reshape(len(keys), -1)

    Cached.__name__ = "SetEncoderModel"
    return Cached


class _Factory:
    def __init__(self, klass: Any, kwargs: dict[str, Any]) -> None:
        self.klass, self.kwargs = klass, kwargs

    def __call__(self, seed: int) -> Any:
        return self.klass(**self.kwargs, random_state=seed)


def make_method(name: str, args: argparse.Namespace, samples: Any) -> Method:
    from autometa.models._maml import MAMLSurrogate
    from autometa.models._relation import RelationSurrogate
    from autometa.models._surrogate import Surrogate

    if name in BASELINES:
        return make_methods([name])[0]
    net = {"epochs": args.epochs, "n_members": args.members}
    if name == "maml":
        return Method(name, _Factory(MAMLSurrogate, {**net, "meta_epochs": args.meta_epochs}))
    if name == "surrogate":
        return Method(name, _Factory(Surrogate, net))
    if name == "relation":
        return Method(name, _Factory(RelationSurrogate, net))
    if name in SET_METHODS:
        combine = name.startswith("mf+")
        head = name.split("d2v-")[1]
        kwargs = {
            "samples": samples,
            "head": head,
            "combine": combine,
            "head_params": {} if head == "nearest50" else net,
            "epochs": args.encoder_steps,
        }
        return Method(name, _Factory(_cached_set_encoder(), kwargs))
    raise SystemExit(f"Unknown method {name!r}. Known: {', '.join(METHODS)}.")


def family_groups(families: pd.Series, n_groups: int) -> pd.Series:
    """Families dealt at random (seed 0) into ``n_groups`` groups (as meta_models.py)."""
    names = sorted(families.astype(str).unique())
    order = np.random.default_rng(0).permutation(len(names))
    group = {names[i]: f"group{j % n_groups}" for j, i in enumerate(order)}
    return families.astype(str).map(group)


def _settings_tag(args: argparse.Namespace, task: str, name: str) -> str:
    return _key(
        args.kb,
        args.groups,
        task,
        name,
        args.epochs,
        args.members,
        args.meta_epochs,
        args.encoder_steps,
        args.seeds,
        args.k_max,
    )


def run(args: argparse.Namespace) -> None:
    kb = KnowledgeBase.load(args.kb)
    cache = Path(args.out) / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    for task in args.tasks:
        _STATE["task"] = task
        data = TaskData.from_kb(kb, task)
        _STATE["families"] = data.families.copy()
        if args.groups:
            data = dataclasses.replace(data, families=family_groups(data.families, args.groups))
        samples = None
        for name in args.methods:
            file = cache / f"{task}-{name}-{_settings_tag(args, task, name)}.csv.gz"
            if file.is_file():
                logger.info("%s %s: cached", task, name)
                continue
            if name in SET_METHODS and samples is None:
                samples = load_samples(kb, task, Path(args.pmlb), Path(args.samples_cache))
            logger.info("%s %s: running", task, name)
            t0, c0 = time.perf_counter(), time.process_time()
            res = run_lodo(
                data,
                methods=[make_method(name, args, samples)],
                seeds=args.seeds,
                k_max=args.k_max,
            )
            logger.info(
                "%s %s: %.0f s wall, %.0f s CPU",
                task,
                name,
                time.perf_counter() - t0,
                time.process_time() - c0,
            )
            res.timings.assign(cpu_seconds=time.process_time() - c0).to_csv(
                file.with_name(file.name.replace(".csv.gz", "-t.csv")), index=False
            )
            res.curves.to_csv(file, index=False)
        if _ENCODER_LOG:
            log = cache / f"encoder-{task}.csv"
            pd.DataFrame(_ENCODER_LOG).to_csv(log, index=False)
            _ENCODER_LOG.clear()


# ------------------------------------------------------------------------------------------
# the report
def collect(args: argparse.Namespace) -> tuple[LodoResult, pd.DataFrame, pd.DataFrame]:
    cache = Path(args.out) / "cache"
    curves, timings, methods = [], [], []
    for task in args.tasks:
        for name in args.methods:
            file = cache / f"{task}-{name}-{_settings_tag(args, task, name)}.csv.gz"
            if not file.is_file():
                logger.warning("%s %s: no result yet", task, name)
                continue
            curves.append(pd.read_csv(file, dtype={"dataset_id": str, "family": str}))
            timings.append(pd.read_csv(file.with_name(file.name.replace(".csv.gz", "-t.csv"))))
            if name not in methods:
                methods.append(name)
    encoder = [pd.read_csv(f) for t in args.tasks if (f := cache / f"encoder-{t}.csv").is_file()]
    result = LodoResult(
        curves=pd.concat(curves, ignore_index=True),
        timings=pd.concat(timings, ignore_index=True),
        methods=tuple(methods),
        metrics={t: DEFAULT_METRIC[t] for t in args.tasks},
        seeds=tuple(range(args.seeds)),
        k_max=args.k_max,
    )
    return (
        result,
        pd.concat(timings, ignore_index=True),
        pd.concat(encoder, ignore_index=True) if encoder else pd.DataFrame(),
    )


def pair_tests(result: LodoResult) -> pd.DataFrame:
    """The (method, reference) pairs of :data:`PAIRS`: mean difference and Wilcoxon p."""
    from scipy import stats

    rows = []
    blocks = [*result.tasks, "all"] if len(result.tasks) > 1 else result.tasks
    for block in blocks:
        for k in KS:
            wide = result.per_dataset(k, block)
            for method, ref in (*[(m, "maml") for m in result.methods if m != "maml"], *PAIRS):
                if method not in wide or ref not in wide:
                    continue
                both = wide[[method, ref]].dropna()  # datasets both were evaluated on
                a, b = both[method].to_numpy(), both[ref].to_numpy()
                diff = a - b
                p = float(stats.wilcoxon(a, b).pvalue) if (diff != 0).any() else np.nan
                rows.append(
                    {
                        "task": block,
                        "method": method,
                        "reference": ref,
                        "k": k,
                        "diff": float(diff.mean()),
                        "wins": int((diff < 0).sum()),
                        "losses": int((diff > 0).sum()),
                        "p": p,
                    }
                )
    return pd.DataFrame(rows)


def _md(frame: pd.DataFrame) -> str:
    head = [str(c) for c in frame.columns]
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for row in frame.itertuples(index=False):
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in row]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def report(args: argparse.Namespace) -> str:
    result, timings, encoder = collect(args)
    out = Path(args.out)
    result.curves.to_csv(out / "curves.csv.gz", index=False)
    tests = pair_tests(result)
    tests.to_csv(out / "wilcoxon.csv", index=False)
    if not encoder.empty:
        encoder.to_csv(out / "encoder.csv", index=False)
    lines = [
        f"Knowledge base `{args.kb}`; folds: "
        f"{f'{args.groups} groups of families' if args.groups else 'one family each'}; "
        f"seeds {args.seeds}; k_max {args.k_max}; surrogate/relation/maml networks: "
        f"{args.epochs} epochs, {args.members} members (maml {args.meta_epochs} meta-epochs); "
        f"set encoder: {args.encoder_steps} steps.",
        "",
        result.to_markdown(KS, reference="maml" if "maml" in result.methods else None),
        "",
        "### pairwise Wilcoxon signed-rank (per dataset, regret at k)",
        "",
        "diff = mean(method - reference) regret (negative: method better); wins/losses in "
        "datasets; p: two-sided Wilcoxon (ties dropped).",
        "",
    ]
    if not tests.empty:
        t = tests.copy()
        t["cell"] = [
            f"{d:+.4f} ({w}/{lo}, p={p:.2g})"
            for d, w, lo, p in zip(t["diff"], t["wins"], t["losses"], t["p"])
        ]
        wide = t.pivot_table(
            index=["task", "reference", "method"], columns="k", values="cell", aggfunc="first"
        )
        wide.columns = [f"k={k}" for k in wide.columns]
        lines.append(_md(wide.reset_index()))
    fit = timings.groupby(["task", "method"])["fit_seconds"].median().unstack("task")
    cpu = timings.groupby(["task", "method"])["cpu_seconds"].first().unstack("task")
    lines += ["", "### time", "", "median fit seconds per fold (wall)", ""]
    lines.append(_md(fit.round(2).reset_index()))
    lines += ["", "CPU seconds of the whole leave-out run per method (variants after the "]
    lines[-1] += "first set-encoder method reuse its encoders)"
    lines += ["", _md(cpu.round(0).reset_index())]
    if not encoder.empty:
        lines += ["", "### set-encoder training per fold", ""]
        lines.append(_md(encoder.groupby("task").mean(numeric_only=True).round(3).reset_index()))
    text = "\n".join(lines) + "\n"
    (out / "representations.md").write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", required=True)
    parser.add_argument("--out", default="benchmarks/results/representations")
    parser.add_argument("--tasks", nargs="+", default=["classification", "regression"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--groups", type=int, default=10, help="0: one family per fold")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--k-max", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=100, help="surrogate-style networks")
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--meta-epochs", type=int, default=20)
    parser.add_argument("--encoder-steps", type=int, default=150)
    parser.add_argument("--pmlb", default="../shared/datasets/pmlb")
    parser.add_argument("--samples-cache", default="/tmp/autometa-representations")
    parser.add_argument("--report", action="store_true", help="only write the report")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    import torch

    torch.set_num_threads(1)
    if not args.report:
        run(args)
    print(report(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
