"""Optuna by table look-up: random search, cold TPE, warm-started TPE and MetaSampler.

Each study runs on the real conditional space of :func:`autometa.optuna.suggest` (a
``learner`` choice and that learner's hyperparameters). The objective maps each suggested
point to the nearest pool configuration of the same learner (Euclidean distance in the
learner registry's encoding: unit-scaled numeric values, one-hot categorical ones) and
returns that configuration's normalized score on the held-out dataset (1 = the pool's
best, 0 = its worst). Regret after k trials = 1 - the best score of the first k, as in
:func:`autometa.bench.run_lodo`, so both kinds of method share one table.

Methods: ``random`` (RandomSampler), ``tpe`` (TPESampler from a cold start), ``tpe+warm``
(TPESampler after :func:`autometa.optuna.warm_start` enqueued the top 10 of the ranker),
``metasampler`` (:class:`autometa.optuna.MetaSampler`). A method may carry keyword
arguments of ``MetaSampler`` or ``warm_start`` (``ranker`` too), e.g.
``metasampler:explore_every=0`` or ``tpe+warm:n_trials=5,ranker=portfolio``.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np

from autometa._exceptions import ParameterError
from autometa.models import MetaModel, TaskData

__all__ = [
    "LOOKUP_METHODS",
    "LookupObjective",
    "fit_cached",
    "lookup_regret",
    "parse_method",
]

LOOKUP_METHODS: tuple[str, ...] = ("random", "tpe", "tpe+warm", "metasampler")


def parse_method(spec: str) -> tuple[str, dict[str, Any]]:
    """``"metasampler:explore_every=0,n_candidates=16"`` -> ("metasampler", {...})."""
    name, _, opts = spec.partition(":")
    if name not in LOOKUP_METHODS:
        raise ParameterError(
            f"Unknown Optuna look-up method {name!r}. Known methods are: "
            f"{', '.join(LOOKUP_METHODS)} (optionally with ':key=value,...')."
        )
    options: dict[str, Any] = {}
    for item in filter(None, opts.split(",")):
        key, _, value = item.partition("=")
        try:
            options[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            options[key] = value
    return name, options


def fit_cached(model: MetaModel, train: TaskData, cache: Path | None, tag: str) -> MetaModel:
    """Fit ``model`` on ``train``, or load it from ``cache`` (keyed by data, parameters and
    the model's source code)."""
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
        from autometa.learners import Configuration, get_learner

        self.scores = data.scores.loc[dataset_id]
        self.task = data.task
        groups: dict[str, tuple[list[str], list[np.ndarray]]] = {}
        for cid, row in data.configurations.iterrows():
            learner = str(row["learner"])
            config = Configuration.from_json(learner, str(row["params"]))
            ids, rows = groups.setdefault(learner, ([], []))
            ids.append(str(cid))
            rows.append(get_learner(learner).encode(config.params))
        self.by_learner = {k: (ids, np.array(rows)) for k, (ids, rows) in groups.items()}
        self.learners = sorted(self.by_learner)

    def __call__(self, trial: Any) -> float:
        from autometa.learners import get_learner
        from autometa.optuna import suggest

        suggest(trial, self.learners)
        learner = trial.params["learner"]
        prefix = f"{learner}__"
        params = {k[len(prefix) :]: v for k, v in trial.params.items() if k.startswith(prefix)}
        x = get_learner(learner).encode(params)
        ids, matrix = self.by_learner[learner]
        cid = ids[int(np.argmin(((matrix - x) ** 2).sum(axis=1)))]
        score = self.scores[cid]
        return 0.0 if np.isnan(score) else float(score)


def lookup_regret(
    spec: str,
    objective: LookupObjective,
    models: dict[str, Any],
    metafeatures: Any,
    seed: int,
    trials: int,
    kb: Any,
) -> np.ndarray:
    """Regret after each of ``trials`` trials of the study ``spec`` on one dataset.

    ``models`` maps ``"maml"`` and ``"portfolio"`` to meta-models fitted without the
    dataset's family, and ``"ranker"`` to the name of the one that ranks (``warm_start``'s
    recommendations and ``MetaSampler``'s zero-shot trials); ``kb`` is the knowledge base
    the samplers may look configurations up in.
    """
    import optuna

    from autometa.optuna import MetaSampler, warm_start

    method, options = parse_method(spec)
    if method == "random":
        sampler: optuna.samplers.BaseSampler = optuna.samplers.RandomSampler(seed=seed)
    elif method in ("tpe", "tpe+warm"):
        sampler = optuna.samplers.TPESampler(seed=seed)
    else:
        startup = options.get("startup_model", models["ranker"])
        options = {**options, "startup_model": models[startup]}
        sampler = MetaSampler(
            metafeatures=metafeatures,
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
            metafeatures=metafeatures,
            task=objective.task,
            model=ranker,
            n_trials=options.pop("n_trials", 10),
            learners=objective.learners,
            kb=kb,
            **options,
        )
    study.optimize(objective, n_trials=trials)
    values = np.array([t.value for t in study.trials], dtype=np.float64)[:trials]
    return np.clip(1.0 - np.maximum.accumulate(values), 0.0, 1.0)
