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
import ast
import hashlib
import inspect
import json
import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import optuna
import pandas as pd

from autometa.bench._lodo import LodoResult
from autometa.kb import KnowledgeBase
from autometa.learners import Configuration, get_learner
from autometa.models import GreedyPortfolio, MAMLSurrogate, MetaModel, TaskData
from autometa.optuna import MetaSampler, suggest, warm_start

logger = logging.getLogger("optuna_lookup")
METHODS = ("random", "tpe", "tpe+warm", "metasampler")
RANKERS = ("maml", "portfolio")


def parse_method(spec: str) -> tuple[str, dict]:
    """``"metasampler:explore_every=0,n_candidates=16"`` -> ("metasampler", {...})."""
    name, _, opts = spec.partition(":")
    if name not in METHODS:
        raise argparse.ArgumentTypeError(f"unknown method {name!r} (one of {METHODS})")
    options = {}
    for item in filter(None, opts.split(",")):
        key, _, value = item.partition("=")
        try:
            options[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            options[key] = value
    return name, options


def method_spec(spec: str) -> str:
    parse_method(spec)
    return spec


def fit_cached(model: MetaModel, train: TaskData, cache: Path | None, tag: str) -> MetaModel:
    """Fit ``model`` on ``train``, or load it from ``cache`` (keyed by data and parameters)."""
    if cache is None:
        return model.fit(train)
    key = hashlib.sha256(
        json.dumps(
            [
                tag,
                type(model).__name__,
                {k: repr(v) for k, v in sorted(vars(model).items()) if not k.endswith("_")},
                Path(inspect.getsourcefile(type(model)) or "").read_text(),  # the code too
                sorted(map(str, train.scores.index)),
                list(map(str, train.scores.columns)),
                float(np.nansum(train.scores.to_numpy())),
            ]
        ).encode()
    ).hexdigest()[:16]
    path = cache / f"{type(model).__name__}-{key}"
    if (path / "model.json").is_file():
        return MetaModel.load(path)
    model.fit(train)
    model.save(path)
    return model


class LookupObjective:
    """Score of the pool configuration nearest to the trial's suggestion on one dataset."""

    def __init__(self, data: TaskData, dataset_id: str) -> None:
        self.scores = data.scores.loc[dataset_id]
        self.task = data.task
        self.by_learner: dict[str, tuple[list[str], np.ndarray]] = {}
        for cid, row in data.configurations.iterrows():
            learner = str(row["learner"])
            config = Configuration.from_json(learner, str(row["params"]))
            ids, rows = self.by_learner.setdefault(learner, ([], []))  # type: ignore[arg-type]
            ids.append(str(cid))
            rows.append(get_learner(learner).encode(config.params))
        self.by_learner = {k: (ids, np.array(rows)) for k, (ids, rows) in self.by_learner.items()}
        self.learners = sorted(self.by_learner)

    def __call__(self, trial: optuna.Trial) -> float:
        suggest(trial, self.learners)
        learner = trial.params["learner"]
        prefix = f"{learner}__"
        params = {k[len(prefix) :]: v for k, v in trial.params.items() if k.startswith(prefix)}
        x = get_learner(learner).encode(params)
        ids, matrix = self.by_learner[learner]
        cid = ids[int(np.argmin(((matrix - x) ** 2).sum(axis=1)))]
        score = self.scores[cid]
        return 0.0 if np.isnan(score) else float(score)


def run_study(spec: str, objective: LookupObjective, models, mf, seed: int, trials: int, kb):
    method, options = parse_method(spec)
    if method == "random":
        sampler = optuna.samplers.RandomSampler(seed=seed)
    elif method in ("tpe", "tpe+warm"):
        sampler = optuna.samplers.TPESampler(seed=seed)
    else:
        # zero-shot trials from --ranker unless the method says otherwise (as the shipped
        # defaults: the ranker starts, maml adapts)
        startup = options.get("startup_model", models["ranker"])
        options = {**options, "startup_model": models[startup]}
        sampler = MetaSampler(
            metafeatures=mf,
            task=objective.task,
            model=models["maml"],
            learners=objective.learners,
            seed=seed,
            kb=kb,
            **options,
        )
    study = optuna.create_study(direction="maximize", sampler=sampler)
    if method == "tpe+warm":
        options = dict(options)
        ranker = models[options.pop("ranker", models["ranker"])]
        warm_start(
            study,
            metafeatures=mf,
            task=objective.task,
            model=ranker,
            n_trials=options.pop("n_trials", 10),
            learners=objective.learners,
            kb=kb,
            **options,
        )
    study.optimize(objective, n_trials=trials)
    values = np.array([t.value for t in study.trials], dtype=np.float64)
    return 1.0 - np.maximum.accumulate(values)


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
                "maml": fit_cached(MAMLSurrogate(**model_kwargs), train, cache, task),
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
