"""Optuna by table look-up: random search, cold TPE, TPE warm-started by autometa, MetaSampler.

Leave-one-family-out on a dense knowledge base. For each held-out family the meta-model
(the ``"maml"`` MAMLSurrogate) is fitted on the other families only; then, for each
held-out dataset and seed, four Optuna studies of ``--trials`` trials run on the real
conditional space of :func:`autometa.optuna.suggest` (a ``learner`` choice and that
learner's hyperparameters). The objective maps each suggested point to the nearest pool
configuration of the same learner (Euclidean distance in the learner registry's encoding:
unit-scaled numeric values, one-hot categorical ones) and returns that configuration's
normalized score on the held-out dataset (1 = the pool's best, 0 = its worst). Regret
after k trials = 1 - the best score of the first k.

Methods: ``random`` (RandomSampler), ``tpe`` (TPESampler from a cold start),
``tpe+warm`` (TPESampler after :func:`autometa.optuna.warm_start` enqueued the top 10 of
``--ranker``: the ``maml`` model or the greedy ``portfolio``), ``metasampler``
(:class:`autometa.optuna.MetaSampler`, defaults: zero-shot trials from ``--ranker``,
adaptation with ``maml``). A method may carry keyword arguments of
``MetaSampler`` or ``warm_start`` (``ranker`` too), e.g. ``metasampler:explore_every=0``
or ``tpe+warm:n_trials=5,ranker=portfolio``; each spelling is its own row.

Usage::

    python benchmarks/optuna_lookup.py --kb PATH [--tasks classification regression]
        [--max-families 10] [--max-datasets-per-family 2] [--seeds 5] [--trials 50]
        [--ranker maml|portfolio] [--methods SPEC ...] [--model-cache DIR]
        [--out benchmarks/results/optuna_lookup]

Families and, within a held-out family, the datasets evaluated are subsampled (seeded) to
keep the run short; the whole family is always left out of the meta-model's training.

Writes ``<out>.md`` (the table), ``<out>.csv`` (the curves) and ``<out>.png``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import optuna
import pandas as pd

from autometa._exceptions import ParameterError
from autometa.bench import LodoResult
from autometa.bench._lookup import (
    LOOKUP_METHODS,
    LookupObjective,
    fit_cached,
    lookup_regret,
    parse_method,
)
from autometa.kb import KnowledgeBase
from autometa.models import GreedyPortfolio, TaskData, model_class

logger = logging.getLogger("optuna_lookup")
METHODS = LOOKUP_METHODS
RANKERS = ("maml", "portfolio")


def method_spec(spec: str) -> str:
    try:
        parse_method(spec)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return spec


def run_study(spec: str, objective: LookupObjective, models, mf, seed: int, trials: int, kb):
    return lookup_regret(spec, objective, models, mf, seed, trials, kb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=None, help="knowledge base directory (default: shipped)")
    parser.add_argument("--tasks", nargs="+", default=["classification", "regression"])
    parser.add_argument("--max-families", type=int, default=10, help="held-out families per task")
    parser.add_argument(
        "--max-datasets-per-family",
        type=int,
        default=2,
        help="held-out datasets evaluated per family (the whole family is left out)",
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--meta-epochs", type=int, default=None, help="override the model's")
    parser.add_argument("--epochs", type=int, default=None, help="override the model's")
    parser.add_argument(
        "--methods",
        nargs="+",
        default=list(METHODS),
        type=method_spec,
        help="methods, each optionally with options: 'metasampler:explore_every=0', "
        "'tpe+warm:n_trials=5,ranker=portfolio' (MetaSampler / warm_start keyword arguments)",
    )
    parser.add_argument(
        "--ranker",
        default="maml",
        choices=RANKERS,
        help="the model whose recommendations tpe+warm enqueues and MetaSampler starts with "
        "(MetaSampler adapts maml)",
    )
    parser.add_argument(
        "--model-cache",
        default=None,
        help="directory to keep the fitted meta-models in, keyed by training data and "
        "parameters (reruns skip the fits)",
    )
    parser.add_argument("--out", default="benchmarks/results/optuna_lookup")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=FutureWarning)  # estimators built by suggest()
    logging.getLogger("autometa").setLevel(logging.WARNING)
    kb = KnowledgeBase.load(args.kb) if args.kb else KnowledgeBase.default()
    model_kwargs = {}
    if args.epochs is not None:
        model_kwargs["epochs"] = args.epochs
    if args.meta_epochs is not None:
        model_kwargs["meta_epochs"] = args.meta_epochs
    rows = []
    start = time.perf_counter()
    for task in args.tasks:
        data = TaskData.from_kb(kb, task)
        families = sorted(data.families.unique())
        rng = np.random.default_rng(0)
        if len(families) > args.max_families:
            families = sorted(rng.choice(families, size=args.max_families, replace=False))
        logger.info(
            "%s: %d datasets in %d families, %d held-out families",
            task,
            len(data.scores),
            data.families.nunique(),
            len(families),
        )
        for family in families:
            held = list(data.families.index[data.families == family])
            train = data.without(held)
            if train.scores.shape[0] < 2:
                continue
            t0 = time.perf_counter()
            cache = Path(args.model_cache) if args.model_cache else None
            models = {
                "maml": fit_cached(model_class("maml")(**model_kwargs), train, cache, task),
                "portfolio": GreedyPortfolio().fit(train),
                "ranker": args.ranker,
            }
            logger.info("  %s: model fitted in %.0f s", family, time.perf_counter() - t0)
            evaluated = sorted(held)
            if len(evaluated) > args.max_datasets_per_family:
                evaluated = sorted(
                    rng.choice(evaluated, size=args.max_datasets_per_family, replace=False)
                )
            for dataset_id in evaluated:
                objective = LookupObjective(data, dataset_id)
                mf = data.metafeatures.loc[dataset_id]
                for seed in range(args.seeds):
                    for method in args.methods:
                        regret = run_study(method, objective, models, mf, seed, args.trials, kb)
                        for k, r in enumerate(regret, start=1):
                            rows.append((method, task, dataset_id, family, seed, k, float(r)))
            logger.info("  %s done (%.0f s so far)", family, time.perf_counter() - start)
    curves = pd.DataFrame(
        rows, columns=["method", "task", "dataset_id", "family", "seed", "k", "regret"]
    )
    result = LodoResult(
        curves=curves,
        timings=pd.DataFrame(),
        methods=tuple(args.methods),
        metrics={t: "default" for t in args.tasks},
        seeds=tuple(range(args.seeds)),
        k_max=args.trials,
        settings=vars(args),
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    curves.to_csv(out.with_suffix(".csv"), index=False)
    ks = [k for k in (1, 5, 10, 25, 50) if k <= args.trials]
    markdown = result.to_markdown(ks)
    out.with_suffix(".md").write_text(markdown + "\n")
    result.plot(out.with_suffix(".png"))
    print(markdown)
    print(f"\n{time.perf_counter() - start:.0f} s; written {out}.md/.csv/.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
