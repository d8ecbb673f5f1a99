"""Per-dataset hyperparameter searches: strong candidate configurations for a pool.

For every dataset and learner, a short Optuna TPE search with the runner's protocol (the same
subsample, CV splits, metrics and time limit as :func:`~autometa.kb.build_knowledge_base`),
started from what is already known: the runs of that learner on that dataset (given as
``prior``) are added to the study as finished trials, and the learner's default is tried
first when it is not among them. Every trial is a run (``source="hpo"``); the best
configuration of each search is a per-dataset incumbent, the practice of auto-sklearn 2.0's
and FLAML's zero-shot portfolios.

Work directory ``<out>/`` (resumable, committed as it goes):

``plan.json``
    the settings; resuming with others is an error naming the difference.
``journal.jsonl``
    one line per finished search: its runs and their configurations.
``runs/<dataset>.parquet``
    the runs of a dataset once all of its searches are done.
"""

from __future__ import annotations

import json
import logging
import math
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from autometa._exceptions import DataError
from autometa.kb._datasets import DatasetSpec, discover_datasets
from autometa.kb._evaluation import PROTOCOL_VERSION, _evaluate, _first_line, _prepared
from autometa.kb._runner import _resolve_task, _runs_frame
from autometa.kb._schema import DEFAULT_METRIC, METRICS
from autometa.kb._workdir import _clean_record, _WorkDir
from autometa.learners import Configuration, get_learner, learners_for

__all__ = ["SearchResult", "load_searches", "search_configurations"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchResult:
    """The runs of the searches and the configurations they tried.

    ``runs`` has the columns of the ``runs`` table (``source="hpo"``); ``configurations``
    has ``config_id``, ``learner``, ``task`` and ``params`` (canonical JSON).
    """

    runs: pd.DataFrame
    configurations: pd.DataFrame


@dataclass(frozen=True)
class _Search:
    spec: DatasetSpec
    learner: str
    prior: tuple[tuple[str, float], ...]  # (params_json, value of the metric)
    n_trials: int
    folds: int
    max_rows: int | None
    seed: int
    time_limit: float | None


def _seed(dataset_id: str, learner: str, seed: int) -> int:
    return (zlib.crc32(f"{dataset_id}|{learner}".encode()) + seed) % (2**31)


def _run_search(
    search: _Search,
) -> tuple[str, str, dict[str, Any], list[dict[str, Any]], list[list[str]], str]:
    """Worker side: ``(dataset_id, learner, dataset row, runs, [learner, params_json], skip)``."""
    import optuna
    from joblib import parallel_config
    from optuna.distributions import CategoricalDistribution
    from optuna.trial import TrialState, create_trial
    from threadpoolctl import threadpool_limits

    dataset_id = search.spec.dataset_id
    with threadpool_limits(limits=1), parallel_config(backend="sequential"):
        prep = _prepared(search.spec, search.folds, search.max_rows, search.seed)
        if prep.skip:
            return dataset_id, search.learner, prep.row, [], [], prep.skip
        learner = get_learner(search.learner)
        metric = DEFAULT_METRIC[prep.task]
        sign = 1.0 if METRICS[metric].greater_is_better else -1.0
        space = learner.optuna_space()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = optuna.samplers.TPESampler(
            seed=_seed(dataset_id, search.learner, search.seed),
            n_startup_trials=5,
            multivariate=True,
        )
        study = optuna.create_study(direction="maximize", sampler=sampler)
        known: dict[str, float] = {}

        def add_known(config: Configuration, value: float) -> None:
            known[config.config_id] = value
            params = dict(config.params)
            representable = all(
                (
                    any(_equal(params[name], c) for c in dist.choices)
                    if isinstance(dist, CategoricalDistribution)
                    else isinstance(params[name], int | float)
                    and not isinstance(params[name], bool)
                    and dist.low <= params[name] <= dist.high
                )
                for name, dist in space.items()
            )
            if representable and math.isfinite(value):
                study.add_trial(create_trial(params=params, distributions=space, value=value))

        for params_json, value in search.prior:
            add_known(Configuration.from_json(search.learner, params_json), sign * value)

        records: list[dict[str, Any]] = []
        configs: list[list[str]] = []

        def evaluate(config: Configuration) -> float:
            record = _evaluate(prep, config, search.time_limit)
            record["source"] = "hpo"
            records.append(record)
            configs.append([config.learner, config.params_json])
            value = record.get(metric, math.nan)
            return sign * value if record["status"] == "ok" and math.isfinite(value) else math.nan

        default = learner.default_configuration()
        if default.config_id not in known:
            add_known(default, evaluate(default))
        for _ in range(search.n_trials):
            trial = study.ask(space)
            config = Configuration(search.learner, trial.params)
            if config.config_id in known:  # TPE proposed a known configuration: no refit
                value = known[config.config_id]
            else:
                value = evaluate(config)
                known[config.config_id] = value
            if math.isfinite(value):
                study.tell(trial, value)
            else:
                study.tell(trial, state=TrialState.FAIL)
    return dataset_id, search.learner, prep.row, records, configs, ""


def _equal(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b if a is not None and b is not None else a is b


def search_configurations(
    datasets: str | Path | Sequence[DatasetSpec],
    out: str | Path,
    *,
    n_trials: int = 10,
    folds: int = 3,
    max_rows: int | None = 1000,
    seed: int = 0,
    time_limit: float | None = None,
    learners: Sequence[str] | None = None,
    prior: Mapping[tuple[str, str], Sequence[tuple[str, float]]] | None = None,
    n_jobs: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Run a short TPE search per dataset and learner; resumable.

    Parameters
    ----------
    datasets : path or sequence of DatasetSpec
        As in :func:`~autometa.kb.build_knowledge_base`.
    out : path
        The work directory (created; a rerun resumes it).
    n_trials : int, default=10
        New trials per search, after the prior runs and the default.
    folds, max_rows, seed, time_limit
        The evaluation protocol, as in :func:`~autometa.kb.build_knowledge_base`: use the
        values of the knowledge base the searches feed, so that their runs are comparable.
    learners : sequence of str, optional
        Learner names (default: every learner of each dataset's task).
    prior : mapping, optional
        ``{(dataset_id, learner): [(params_json, value), ...]}``: runs already known (e.g.
        of a knowledge base built with the same protocol), added to each study as finished
        trials; values are of the task's default metric.
    n_jobs : int, default=1
        Searches run in parallel (each search is sequential).
    on_progress : callable, optional
        Called with ``(searches done, searches in all)``.

    Returns
    -------
    SearchResult
    """
    from joblib import Parallel, delayed

    specs = discover_datasets(datasets) if isinstance(datasets, str | Path) else list(datasets)
    if not specs:
        raise DataError("No dataset to search on. Check the datasets and filters.")
    specs = [_resolve_task(s) for s in specs]
    workdir = _WorkDir(Path(out))
    workdir.lock()
    try:
        settings = {
            "protocol": PROTOCOL_VERSION,
            "n_trials": n_trials,
            "folds": folds,
            "max_rows": max_rows,
            "seed": seed,
            "time_limit": time_limit,
            "learners": sorted(learners) if learners else None,
        }
        plan_path = workdir.path / "plan.json"
        if plan_path.exists():
            old = json.loads(plan_path.read_text())
            diff = {k: (old.get(k), v) for k, v in settings.items() if old.get(k) != v}
            if diff:
                raise DataError(
                    f"Cannot resume the searches in '{workdir.path}': settings differ "
                    f"({diff}). Resume with the same settings or give another directory."
                )
        else:
            workdir.write_json_file(plan_path, settings)
        done = _read_done(workdir)
        prior = prior or {}
        searches = [
            _Search(
                spec,
                name,
                tuple(prior.get((spec.dataset_id, name), ())),
                n_trials,
                folds,
                max_rows,
                seed,
                time_limit,
            )
            for spec in specs
            for name in (learners or [lr.name for lr in learners_for(spec.task)])
            if get_learner(name).task == spec.task and (spec.dataset_id, name) not in done
        ]
        wanted = {s.dataset_id: 0 for s in specs}
        for spec in specs:
            names = learners or [lr.name for lr in learners_for(spec.task)]
            wanted[spec.dataset_id] = sum(get_learner(n).task == spec.task for n in names)
        total = len(searches) + len(done)
        started = time.time()

        def finish_dataset(dataset_id: str) -> None:
            entries = [e for (d, _), e in done.items() if d == dataset_id]
            if len(entries) < wanted.get(dataset_id, 0) or workdir.has_runs_file(dataset_id):
                return
            records = [r for e in entries for r in e["records"]]
            if records:
                configs = sorted({tuple(c) for e in entries for c in e["configs"]})
                workdir.write_json("configs", dataset_id, {"configs": configs})
                workdir.write_runs(dataset_id, _runs_frame(records))

        for dataset_id in wanted:
            finish_dataset(dataset_id)
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered", pre_dispatch="2*n_jobs")
        for dataset_id, name, row, records, configs, skip in parallel(
            delayed(_run_search)(s) for s in searches
        ):
            if workdir.read_json("datasets", dataset_id) is None:
                workdir.write_json("datasets", dataset_id, {"skip": skip} if skip else {"row": row})
            entry = {
                "dataset_id": dataset_id,
                "learner": name,
                "records": [_clean_record(r) for r in records],
                "configs": configs,
                "skip": skip,
            }
            workdir.append_line(entry)
            done[(dataset_id, name)] = entry
            if skip:
                logger.warning("Search of %s on %s skipped: %s", name, dataset_id, skip)
            finish_dataset(dataset_id)
            if on_progress is not None:
                on_progress(len(done), total)
        logger.info("Searches done: %d in %.0f s.", len(done), time.time() - started)
    except Exception as exc:
        logger.error("Searches stopped: %s", _first_line(exc))
        raise
    finally:
        workdir.close()
    return _result(done)


def load_searches(out: str | Path) -> SearchResult:
    """The runs and configurations of the searches in the work directory ``out`` so far."""
    return _result(_read_done(_WorkDir(Path(out))))


def _read_done(workdir: _WorkDir) -> dict[tuple[str, str], dict[str, Any]]:
    """Finished searches: from the per-dataset files (committed), then the journal."""
    done: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted((workdir.path / "runs").glob("*.parquet")):
        state = workdir.read_json("configs", path.stem)
        if state is None:
            continue
        frame = pd.read_parquet(path)
        for learner, part in frame.groupby(frame["config_id"].str.rsplit("-", n=1).str[0]):
            records = [
                {k: (None if v is pd.NA else v) for k, v in r.items()}
                for r in part.to_dict("records")
            ]
            dataset_id = str(part["dataset_id"].iloc[0])
            configs = [list(c) for c in state["configs"] if c[0] == learner]
            done[(dataset_id, str(learner))] = {
                "dataset_id": dataset_id,
                "learner": str(learner),
                "records": records,
                "configs": configs,
                "skip": "",
            }
    if workdir.journal_path.exists():
        for line in workdir.journal_path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line
            done[(entry["dataset_id"], entry["learner"])] = entry
    return done


def _result(done: Mapping[tuple[str, str], dict[str, Any]]) -> SearchResult:
    records = [r for e in done.values() for r in e["records"]]
    configs = {
        Configuration.from_json(lr, p).config_id: (lr, p)
        for e in done.values()
        for lr, p in e["configs"]
    }
    configurations = pd.DataFrame(
        [
            {"config_id": cid, "learner": lr, "task": get_learner(lr).task, "params": p}
            for cid, (lr, p) in sorted(configs.items())
        ],
        columns=["config_id", "learner", "task", "params"],
    )
    return SearchResult(runs=_runs_frame(records), configurations=configurations)
