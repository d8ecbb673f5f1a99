"""``autometa tune DATA --target COL --n-trials N``: a warm-started Optuna study.

The study is Optuna's own (``--storage`` is any Optuna storage URL, so ``optuna-dashboard``
and a later ``--study-name`` run resume it); its objective is the cross-validated score of
the pipeline that :func:`autometa.optuna.suggest` builds from the trial (a learner and its
hyperparameters). autometa's part: the first trials are its recommendations
(:func:`autometa.optuna.warm_start`), and ``--sampler meta`` replaces TPE by
:class:`autometa.optuna.MetaSampler`.

The meta-model: ``--model DIR`` (a models directory written by ``autometa models train``),
else ``--kb DIR`` (nearest datasets of that knowledge base, fitted on the fly), else the
shipped default models.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import time
import warnings
from pathlib import Path
from typing import Any

from autometa._exceptions import DataError, ParameterError

logger = logging.getLogger(__name__)

#: The study's user attribute holding what ``tune`` ran it with (compared on resume).
SETTINGS_ATTR = "autometa:tune"
#: Database driver modules -> the pip package that installs them.
_DRIVERS = {
    "psycopg2": "psycopg2-binary",
    "psycopg": "'psycopg[binary]'",
    "MySQLdb": "mysqlclient",
    "pymysql": "pymysql",
    "pyodbc": "pyodbc",
    "oracledb": "oracledb",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    from autometa.kb import METRICS

    p = subparsers.add_parser(
        "tune",
        help="tune a pipeline on a dataset with an Optuna study warm-started by autometa",
        description="Run an Optuna study on a CSV/TSV/parquet dataset (optionally compressed). "
        "Each trial picks a learner of autometa's registry and its hyperparameters; its value "
        "is the cross-validated score of that pipeline. The first trials are autometa's "
        "recommendations (--warm-start), and --sampler meta uses autometa's meta-learned "
        "sampler instead of TPE. Prints the best trial and its pipeline.",
    )
    p.add_argument("data", type=Path, help="CSV, TSV or parquet file (optionally compressed)")
    p.add_argument("--target", required=True, help="name of the target column")
    p.add_argument("--n-trials", type=int, required=True, help="number of trials to run")
    p.add_argument(
        "--storage",
        default=None,
        help="Optuna storage URL, e.g. sqlite:///tune.db (default: in memory)",
    )
    p.add_argument(
        "--study-name",
        default=None,
        help="study name; an existing study of that name in --storage is resumed",
    )
    p.add_argument(
        "--sampler",
        choices=["meta", "tpe"],
        default="tpe",
        help="meta: autometa's MetaSampler; tpe: Optuna's TPESampler (default)",
    )
    p.add_argument(
        "--warm-start",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="enqueue autometa's recommendations as the first trials (default: on)",
    )
    p.add_argument(
        "--warm-trials",
        type=int,
        default=None,
        help="how many recommendations to enqueue (default: half of --n-trials, at most 10, "
        "so that the sampler chooses the rest)",
    )
    p.add_argument(
        "--metric",
        default=None,
        help=f"metric to optimize: {', '.join(METRICS)} (default: balanced_accuracy or r2)",
    )
    p.add_argument("--cv", type=int, default=5, help="cross-validation folds (5)")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="stop the study after this many seconds overall (a running trial is stopped "
        "at the deadline)",
    )
    p.add_argument(
        "--trial-timeout",
        type=float,
        default=None,
        help="stop a trial's cross-validation after this many seconds; the trial is "
        "recorded as pruned (default: no limit)",
    )
    p.add_argument("--learners", default=None, help="comma-separated learner names to tune")
    p.add_argument("--task", default="auto", choices=["auto", "classification", "regression"])
    p.add_argument("--kb", default=None, help="a knowledge-base directory instead of the default")
    p.add_argument("--model", default=None, help="a models directory instead of the default")
    p.add_argument("--seed", type=int, default=0, help="seeds the sampler and the CV split (0)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument(
        "--plot",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write Optuna's optimization-history plot of the study to FILE (.png, .svg, "
        ".pdf, ...), with the trials warm-started by autometa marked",
    )
    p.set_defaults(func=_tune)


def _option_int(value: Any, option: str, low: int) -> int:
    if value < low:
        raise ParameterError(f"The '{option}' option must be an int >= {low}. Got {value} instead.")
    return int(value)


def _metric(name: str | None, task: str) -> str:
    from autometa.kb import DEFAULT_METRIC, metrics_for

    if name is None:
        return DEFAULT_METRIC[task]
    allowed = metrics_for(task)
    if name not in allowed:
        raise ParameterError(
            f"The '--metric' option must be one of {allowed} for {task}. Got {name!r} instead."
        )
    return name


def _meta_model(args: argparse.Namespace, task: str, metric: str) -> tuple[Any, Any]:
    """(meta-model or None for the shipped one, knowledge base or None)."""
    from autometa.kb import KnowledgeBase
    from autometa.models import NearestDatasets, TaskData, load_default_model

    kb = KnowledgeBase.load(args.kb) if args.kb else None
    if args.model:
        return load_default_model(task, "ranker", Path(args.model)), kb
    if kb is not None:
        logger.info("fitting nearest datasets on %s for %s", args.kb, metric)
        return NearestDatasets().fit(TaskData.from_kb(kb, task, metric)), kb
    return None, None


def _fingerprint(X: Any, y: Any) -> str:
    """sha256 of the data's columns and values (row order included)."""
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in X.columns] + [str(y.name)]).encode())
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(y, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _create_study(args: argparse.Namespace, direction: str, sampler: Any) -> Any:
    """``optuna.create_study``, with a one-line hint when the storage's driver is missing."""
    import optuna

    try:
        return optuna.create_study(
            storage=args.storage,
            study_name=args.study_name,
            direction=direction,  # type: ignore[arg-type]  # checked: 'maximize' or 'minimize'
            sampler=sampler,
            load_if_exists=args.study_name is not None,
        )
    except ImportError as exc:
        cause = exc.__cause__ if isinstance(exc.__cause__, ImportError) else exc
        module = getattr(cause, "name", None) or "its database driver"
        scheme = str(args.storage).split(":", 1)[0].split("+", 1)[0]
        package = _DRIVERS.get(module, module)
        raise ParameterError(
            f"The '--storage' option {scheme}://... needs the Python module '{module}', which "
            f"is not installed. Install it (pip install {package}) or use a SQLite storage, "
            "e.g. --storage sqlite:///tune.db."
        ) from exc


def _check_resume(study: Any, settings: dict[str, Any], learners: list[str]) -> None:
    """Refuse to resume a study run on other data, CV settings or learners (one line)."""
    from autometa.optuna import search_space, study_distributions

    name = study.study_name
    before = study.user_attrs.get(SETTINGS_ATTR)
    if isinstance(before, dict):
        if before.get("data_sha256") != settings["data_sha256"]:
            raise ParameterError(
                f"The study '{name}' was run on another dataset ({before.get('data')}, "
                f"target '{before.get('target')}', {before.get('rows')} rows) than "
                f"{settings['data']} (target '{settings['target']}', {settings['rows']} rows). "
                "Pass another --study-name, or the same data."
            )
        for key, option in (("target", "--target"), ("cv", "--cv"), ("seed", "--seed")):
            if before.get(key) != settings[key]:
                raise ParameterError(
                    f"The study '{name}' was run with {option} {before.get(key)}, not "
                    f"{settings[key]}: its values would not be comparable. Pass {option} "
                    f"{before.get(key)} or another --study-name."
                )
        if before.get("metric") != settings["metric"]:
            raise ParameterError(
                f"The study '{name}' was run with --metric {before.get('metric')}, not "
                f"{settings['metric']}. Pass --metric {before.get('metric')} or another "
                "--study-name."
            )
        if before.get("learners") != settings["learners"]:
            raise ParameterError(
                f"The study '{name}' tunes the learners {before.get('learners')}, not "
                f"{settings['learners']}. Pass --learners {','.join(before.get('learners') or [])} "
                "or another --study-name."
            )
    # Studies not started by `autometa tune` (or by an older version): their parameters.
    ours = search_space(learners)
    theirs = study_distributions(study)
    for param, dist in theirs.items():
        if param in ours and ours[param] != dist:
            raise ParameterError(
                f"The study '{name}' has the parameter '{param}' as {dist}, but --learners "
                f"{','.join(learners)} gives {ours[param]}. Pass the learners the study was "
                "run with, or another --study-name."
            )


def _cv_child(conn: Any, pipe: Any, X: Any, y: Any, splitter: Any, scorer: str) -> None:
    import numpy as np
    from sklearn.model_selection import cross_val_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            scores = cross_val_score(pipe, X, y, cv=splitter, scoring=scorer, error_score=np.nan)
        except Exception:
            scores = np.full(1, np.nan)
    conn.send(scores)
    conn.close()


def _cross_validate(
    pipe: Any, X: Any, y: Any, splitter: Any, scorer: str, limit: float | None
) -> Any:
    """Fold scores of ``pipe``; None when ``limit`` seconds passed first (the work stops)."""
    import numpy as np
    from sklearn.model_selection import cross_val_score

    if limit is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cross_val_score(pipe, X, y, cv=splitter, scoring=scorer, error_score=np.nan)
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_cv_child, args=(send, pipe, X, y, splitter, scorer), daemon=True)
    proc.start()
    send.close()
    try:
        if receive.poll(max(limit, 0.0)):
            return receive.recv()
        return None
    except EOFError:  # the worker died (e.g. out of memory)
        return np.full(1, np.nan)
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()
        receive.close()


def history_plot(study: Any, target_name: str = "Objective Value") -> Any:
    """Optuna's optimization-history plot of ``study``, the warm-started trials marked.

    Returns the figure: Optuna's Axes (objective value per trial and best value so far),
    and a star on each completed trial whose ``user_attrs`` say it was enqueued by
    :func:`autometa.optuna.warm_start` (``"autometa:source" == "warm_start"``).
    """
    import matplotlib.pyplot as plt
    import optuna
    from optuna.visualization.matplotlib import plot_optimization_history

    from autometa.optuna import SOURCE_ATTR

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        with plt.style.context("ggplot"):  # Optuna's own style, without changing the global one
            ax = plot_optimization_history(study, target_name=target_name)
    done = optuna.trial.TrialState.COMPLETE
    warm = [
        t
        for t in study.get_trials(deepcopy=False, states=(done,))
        if t.user_attrs.get(SOURCE_ATTR) == "warm_start"
    ]
    if warm:
        ax.scatter(
            [t.number for t in warm],
            [t.value for t in warm],
            marker="*",
            s=160,
            color="C1",
            edgecolor="black",
            zorder=3,
            label=f"warm-started by autometa ({len(warm)})",
        )
    ax.legend(loc="best")
    return ax.figure


def _tune(args: argparse.Namespace) -> int:
    import numpy as np
    import optuna
    from sklearn.model_selection import KFold, StratifiedKFold

    import metafeatures
    from autometa._io import read_table, split_target
    from autometa.cli._recommend import check_plot_path, save_figure, use_file_backend
    from autometa.kb import METRICS
    from autometa.optuna import (
        MetaSampler,
        resolve_learners,
        resolve_model,
        resolve_task,
        suggest,
        warm_start,
    )

    check_plot_path(args.plot)
    n_trials = _option_int(args.n_trials, "--n-trials", 1)
    cv = _option_int(args.cv, "--cv", 2)
    if args.warm_trials is None:  # below --n-trials, so that the sampler has trials too
        warm_trials = max(1, min(10, n_trials // 2))
    else:
        warm_trials = _option_int(args.warm_trials, "--warm-trials", 1)
    for option, value in (("--timeout", args.timeout), ("--trial-timeout", args.trial_timeout)):
        if value is not None and not value > 0:
            raise ParameterError(
                f"The '{option}' option must be a number of seconds > 0. Got {value} instead."
            )
    X, y = split_target(read_table(args.data), args.target)
    if y.isna().any():
        raise DataError(
            f"The target column '{args.target}' has {int(y.isna().sum())} missing value(s). "
            "Drop those rows first."
        )
    task = resolve_task(args.task, y, "tune")
    metric = _metric(args.metric, task)
    if task == "classification":
        smallest = int(y.value_counts().min())
        if smallest < cv:
            raise DataError(
                f"The least populated class of '{args.target}' has {smallest} member(s), fewer "
                f"than --cv {cv} folds. Pass a smaller --cv or drop the rare classes."
            )
        splitter: Any = StratifiedKFold(cv, shuffle=True, random_state=args.seed)
    else:
        if len(y) < cv:
            raise DataError(f"The data has {len(y)} rows, fewer than --cv {cv} folds.")
        splitter = KFold(cv, shuffle=True, random_state=args.seed)
    names = [s.strip() for s in args.learners.split(",")] if args.learners else None
    learners = [lrn.name for lrn in resolve_learners(names, task, owner="tune")]
    model, kb = _meta_model(args, task, metric)
    model = resolve_model(model, task, "tune")
    # the metric's scikit-learn scorer, and the sign that turns its value back (autometa._metrics)
    scorer, sign = METRICS[metric].scorer, METRICS[metric].sign
    if metric == "roc_auc" and y.nunique() == 2:
        scorer = "roc_auc"
    direction = "maximize" if METRICS[metric].greater_is_better else "minimize"

    if args.verbose == 0:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mf = metafeatures.extract(X, y, task=task)
    if args.sampler == "meta":
        sampler: optuna.samplers.BaseSampler = MetaSampler(
            metafeatures=mf, task=task, model=model, kb=kb, learners=learners, seed=args.seed
        )
    else:
        sampler = optuna.samplers.TPESampler(seed=args.seed)
    study = _create_study(args, direction, sampler)
    if study.direction.name.lower() != direction:
        raise ParameterError(
            f"The study '{study.study_name}' in {args.storage} is to {study.direction.name.lower()}"
            f", but --metric {metric} is to {direction}. Pass another --study-name or --metric."
        )
    settings = {
        "data": Path(args.data).name,
        "data_sha256": _fingerprint(X, y),
        "rows": int(len(y)),
        "target": args.target,
        "task": task,
        "metric": metric,
        "cv": cv,
        "seed": args.seed,
        "learners": learners,
    }
    # Checked before anything runs or is enqueued: a refused resume leaves the study as it was.
    _check_resume(study, settings, learners)
    if not isinstance(study.user_attrs.get(SETTINGS_ATTR), dict):
        study.set_user_attr(SETTINGS_ATTR, settings)
    if args.warm_start:
        # The space is suggest()'s own: what it cannot hold (e.g. gamma="scale") is left to
        # the sampler, as the trials' user_attrs record; a note for -v, not a warning.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            warm_start(
                study,
                n_trials=min(warm_trials, n_trials),
                learners=learners,
                kb=kb,
                model=model,
                task=task,
                metafeatures=mf,
            )
        for w in caught:
            logger.info("%s", w.message)

    deadline = None if args.timeout is None else time.monotonic() + args.timeout

    def objective(trial: optuna.Trial) -> float:
        pipe = suggest(trial, learners, task=task, random_state=args.seed)
        limit = args.trial_timeout
        if deadline is not None:
            left = deadline - time.monotonic()
            limit = left if limit is None else min(limit, left)
        scores = _cross_validate(pipe, X, y, splitter, scorer, limit)
        if scores is None:
            trial.set_user_attr("autometa:timeout", True)
            raise optuna.TrialPruned(f"the trial was stopped after {limit:.1f} s")
        value = sign * float(np.mean(scores))
        if not math.isfinite(value):
            raise optuna.TrialPruned(f"the pipeline failed on at least one of the {cv} folds")
        return value

    waiting = optuna.trial.TrialState.WAITING
    before = {t.number for t in study.get_trials(deepcopy=False) if t.state != waiting}
    study.optimize(objective, n_trials=n_trials, timeout=args.timeout, show_progress_bar=True)
    trials = [t for t in study.trials if t.number not in before and t.state != waiting]
    n_warm = sum(t.user_attrs.get("autometa:source") == "warm_start" for t in trials)
    n_done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    n_failed = len(trials) - n_done
    n_timeout = sum(bool(t.user_attrs.get("autometa:timeout")) for t in trials)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        if n_timeout:
            raise DataError(
                f"No trial completed: {n_timeout} of {len(trials)} trial(s) were stopped at the "
                "time limit. Raise --trial-timeout or --timeout."
            )
        raise DataError(
            f"No trial completed: every pipeline failed in cross-validation on '{args.data}'. "
            "Run with -v to see the errors."
        )
    best = study.best_trial
    learner = str(best.params.get("learner", learners[0]))
    prefix = f"{learner}__"
    params = {k[len(prefix) :]: v for k, v in best.params.items() if k.startswith(prefix)}
    pipe = suggest(optuna.trial.FixedTrial(best.params), learners, task=task)
    estimator = pipe.steps[-1][1]
    if args.plot is not None:
        use_file_backend()
        save_figure(history_plot(study, f"{metric} ({cv}-fold CV)"), args.plot)
    if args.format == "json":
        out = {
            "study_name": study.study_name,
            "storage": args.storage,
            "metric": metric,
            "direction": direction,
            "cv": cv,
            "n_trials": len(trials),
            "n_warm_started": n_warm,
            "n_failed": n_failed,
            "n_timeout": n_timeout,
            "best_trial": best.number,
            "best_value": best.value,
            "learner": learner,
            "params": params,
            "estimator": repr(estimator),
        }
        print(json.dumps(out, indent=2, default=str))
        return 0
    where = f" in {args.storage}" if args.storage else ""
    print(
        f"study '{study.study_name}'{where}: {len(trials)} trial(s) run "
        f"({n_warm} warm-started by autometa, {n_failed} failed"
        + (f", {n_timeout} stopped at the time limit" if n_timeout else "")
        + f"), sampler {args.sampler}"
    )
    source = best.user_attrs.get("autometa:source")
    origin = f", from autometa's {source}" if source else ""
    print(
        f"best trial #{best.number}{origin}: {metric} {best.value:.4f} ({cv}-fold CV, {direction})"
    )
    print(f"learner: {learner}")
    for key, value in params.items():
        print(f"  {key} = {value!r}")
    print(f"pipeline: {estimator!r}")
    return 0
