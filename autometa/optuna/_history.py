"""Learning from the user's own searches: Optuna studies and scikit-learn search results
added to a knowledge base.

Each study (or search) becomes one dataset of source ``"user"`` with its meta-features;
each distinct configuration tried becomes a configuration of the learner registry (origin
``"optuna"`` or ``"search"``) and one run (source ``"optuna"`` or ``"search"``) whose
metric is the objective's value. Parameters are mapped onto the registry as in
:class:`~autometa.optuna.ParamNames`: hyperparameters the registry does not search are
dropped, values outside its ranges are clipped, missing ones take scikit-learn's defaults.
Several trials of the same configuration are averaged. ``n_folds`` is 0 (unknown) for
studies.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from autometa._exceptions import ParameterError
from autometa._metrics import DEFAULT_METRIC, METRICS, metric_for_scorer
from autometa._task import check_task
from autometa.learners import Configuration, Learner, get_learner
from autometa.optuna._common import resolve_metafeatures, resolve_task
from autometa.optuna._space import LEARNER_PARAM, ParamNames, resolve_learners

__all__ = ["add_study", "add_search"]

logger = logging.getLogger(__name__)


def _dataset_frame(
    X: Any, y: Any, task: str, dataset_id: str, name: str, family: str
) -> pd.DataFrame:
    Xf = pd.DataFrame(X)
    n_classes = int(pd.Series(np.asarray(y)).nunique()) if task == "classification" else 0
    return pd.DataFrame(
        {
            "dataset_id": [dataset_id],
            "name": [name],
            "source": ["user"],
            "task": [task],
            "n_rows": [int(Xf.shape[0])],
            "n_features": [int(Xf.shape[1])],
            "n_classes": [n_classes],
            "family": [family],
        }
    )


def _check_metric(metric: str | None, task: str, owner: str) -> str:
    metric = metric or DEFAULT_METRIC[task]
    if metric not in METRICS or METRICS[metric].task != task:
        allowed = [m for m, spec in METRICS.items() if spec.task == task]
        raise ParameterError(
            f"The 'metric' parameter of {owner} must be a {task} metric of {allowed}. "
            f"Got {metric!r} instead."
        )
    return metric


def _add(
    kb: Any,
    X: Any,
    y: Any,
    task: str,
    metafeatures: pd.Series | None,
    dataset_id: str,
    name: str,
    family: str | None,
    rows: list[tuple[Configuration, float, dict[str, Any]]],
    metric: str,
    source: str,
    owner: str,
) -> Any:
    from autometa.kb import KnowledgeBase

    if not isinstance(kb, KnowledgeBase):
        raise ParameterError(
            f"The 'kb' parameter of {owner} must be a KnowledgeBase. "
            f"Got {type(kb).__name__} instead."
        )
    mf = resolve_metafeatures(X, y, task, metafeatures, owner)
    out = kb.subset()  # a copy: the given knowledge base is left unchanged
    out.add_datasets(
        _dataset_frame(X, y, task, dataset_id, name, family or name),
        metafeatures=pd.DataFrame([mf.to_numpy()], columns=list(mf.index), index=[dataset_id]),
    )
    by_id: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    configs: dict[str, Configuration] = {}
    for config, value, prov in rows:
        configs[config.config_id] = config
        by_id.setdefault(config.config_id, []).append((value, prov))
    out.add_configurations(list(configs.values()), origin=source)
    runs = []
    for cid, items in by_id.items():
        values = np.array([v for v, _ in items], dtype=np.float64)
        ok = np.isfinite(values)
        runs.append(
            {
                "dataset_id": dataset_id,
                "config_id": cid,
                metric: float(values[ok].mean()) if ok.any() else np.nan,
                "fit_time": float(np.nanmean([p.get("fit_time", np.nan) for _, p in items]))
                if any("fit_time" in p for _, p in items)
                else np.nan,
                "n_folds": int(items[0][1].get("n_folds", 0)),
                "status": "ok" if ok.any() else "failed",
                "error": "" if ok.any() else "failed in the user's search",
                "source": source,
                "provenance": json.dumps(
                    {"runs": [p for _, p in items]}, default=str, sort_keys=True
                ),
            }
        )
    if runs:
        out.add_runs(pd.DataFrame(runs))
    logger.info(
        "%s: %d configuration(s), %d run(s) added for %s",
        owner,
        len(configs),
        len(runs),
        dataset_id,
    )
    return out


def add_study(
    kb: Any,
    study: Any,
    X: Any,
    y: Any,
    *,
    task: str | None = None,
    metric: str | None = None,
    dataset_id: str | None = None,
    family: str | None = None,
    metafeatures: pd.Series | None = None,
    learners: str | Learner | Iterable[str | Learner] | None = None,
    mapping: Mapping[str, str] | None = None,
    learner_param: str = LEARNER_PARAM,
) -> Any:
    """A new knowledge base: ``kb`` plus the trials of an Optuna ``study`` on ``(X, y)``.

    Parameters
    ----------
    kb : KnowledgeBase
        Left unchanged.
    study : optuna.Study
        A single-objective study whose parameters follow autometa's naming (or ``mapping``).
        Complete trials become ``ok`` runs, failed ones ``failed`` runs; others are skipped.
    X, y : array-like
        The data the study tuned on (for meta-features and the dataset's row).
    task : {"classification", "regression"} or None, default=None
        None (or ``"auto"``, the same): inferred from ``y``.
    metric : str, optional
        The knowledge-base metric the objective returns (default: the task's default
        metric). It must agree with the study's direction.
    dataset_id : str, optional
        Default ``"user/<study name>"``.
    family : str, optional
        Near-duplicate group (default: the dataset's name).
    metafeatures : Series, optional
        Meta-features of ``(X, y)``, if already extracted.
    learners, mapping, learner_param
        As in :class:`~autometa.optuna.ParamNames`: the learners the study tuned (default
        every learner of the task; give the one learner of a study with bare names).

    Returns
    -------
    KnowledgeBase

    Examples
    --------
    >>> kb = add_study(KnowledgeBase(), study, X, y)  # doctest: +SKIP
    >>> kb = KnowledgeBase.default().add_study(study, X, y)  # doctest: +SKIP
    """
    from optuna.trial import TrialState

    owner = "add_study"
    task = resolve_task(task, y, owner)
    metric = _check_metric(metric, task, owner)
    if study._is_multi_objective():
        raise ParameterError(
            "add_study takes a single-objective study. Got a study with "
            f"{len(study.directions)} objectives instead."
        )
    maximize = study.direction.name == "MAXIMIZE"
    if maximize != METRICS[metric].greater_is_better:
        raise ParameterError(
            f"The study {'maximizes' if maximize else 'minimizes'} but the metric '{metric}' "
            f"is {'larger' if METRICS[metric].greater_is_better else 'smaller'}-is-better. "
            "Pass the metric the objective returns as 'metric'."
        )
    names = ParamNames(resolve_learners(learners, task, owner=owner), mapping, learner_param)
    rows = []
    skipped = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL)):
        config = names.from_study(t.params) if t.params else None
        if config is None:
            skipped += 1
            continue
        value = float(t.value) if t.state == TrialState.COMPLETE and t.value is not None else np.nan
        prov = {"study": study.study_name, "trial": t.number, "n_folds": 0}
        if t.duration is not None:
            prov["duration"] = t.duration.total_seconds()
        rows.append((config, value, prov))
    if skipped:
        logger.warning(
            "add_study: %d trial(s) skipped: their parameters do not name a learner of the "
            "registry (pass 'learners' or 'mapping')",
            skipped,
        )
    name = str(study.study_name)
    return _add(
        kb,
        X,
        y,
        task,
        metafeatures,
        dataset_id or f"user/{name}",
        name,
        family,
        rows,
        metric,
        "optuna",
        owner,
    )


def _final_estimator(estimator: Any) -> tuple[Any, str]:
    """The last estimator of a pipeline (or the estimator) and its parameter prefix."""
    from sklearn.pipeline import Pipeline

    prefix = ""
    while isinstance(estimator, Pipeline):
        step, estimator = estimator.steps[-1]
        prefix += f"{step}__"
    return estimator, prefix


def _learner_of(estimator: Any, owner: str) -> Learner:
    from sklearn.compose import TransformedTargetRegressor

    if isinstance(estimator, TransformedTargetRegressor):
        estimator = estimator.regressor
    name = type(estimator).__name__
    try:
        return get_learner(name)
    except ParameterError:
        raise ParameterError(
            f"The search's estimator {name} is not a learner of autometa's registry; {owner} "
            "can only add searches over registry learners (e.g. RandomForestClassifier)."
        ) from None


def add_search(
    kb: Any,
    search_cv: Any,
    X: Any,
    y: Any,
    *,
    task: str | None = None,
    dataset_id: str | None = None,
    family: str | None = None,
    metafeatures: pd.Series | None = None,
) -> Any:
    """A new knowledge base: ``kb`` plus the candidates of a fitted scikit-learn search.

    Parameters
    ----------
    kb : KnowledgeBase
        Left unchanged.
    search_cv : GridSearchCV, RandomizedSearchCV or another fitted ``BaseSearchCV``
        Its estimator is a registry learner or a pipeline ending in one (a grid may also
        swap the final estimator between registry learners); its ``scoring`` is None (the
        estimator's ``score``), or a scorer name among ``accuracy``, ``balanced_accuracy``,
        ``roc_auc``, ``neg_log_loss``, ``r2``, ``neg_root_mean_squared_error``,
        ``neg_mean_absolute_error`` (for several metrics, the ``refit`` one).
    X, y : array-like
        The data the search was fitted on.
    task : {"classification", "regression"} or None, default=None
        None (or ``"auto"``, the same): the task of the search's learner.
    dataset_id, family, metafeatures
        As in :func:`add_study` (``dataset_id`` default ``"user/search-<learner>"``).

    Returns
    -------
    KnowledgeBase

    Examples
    --------
    >>> search = GridSearchCV(SVC(), {"C": [0.1, 1, 10]}).fit(X, y)  # doctest: +SKIP
    >>> kb = KnowledgeBase.default().add_search(search, X, y)  # doctest: +SKIP
    """
    owner = "add_search"
    results = getattr(search_cv, "cv_results_", None)
    if results is None or "params" not in results:
        raise ParameterError(
            f"The 'search_cv' parameter of {owner} must be a fitted scikit-learn search "
            f"(with cv_results_). Got {type(search_cv).__name__} without cv_results_ instead. "
            "Call fit first."
        )
    base, prefix = _final_estimator(search_cv.estimator)
    default_learner = _learner_of(base, owner)
    task = resolve_task(check_task(task, owner) or default_learner.task, y, owner)
    scoring = search_cv.scoring
    key = "mean_test_score"
    if isinstance(scoring, (list, tuple, set, dict)):
        if not isinstance(search_cv.refit, str):
            raise ParameterError(
                f"{owner} needs a single metric: a search with several scorers must have "
                f"refit=<scorer name>. Got refit={search_cv.refit!r} instead."
            )
        scoring, key = search_cv.refit, f"mean_test_{search_cv.refit}"
    # a scorer name -> (knowledge-base metric, sign to apply to the scorer's value)
    found = metric_for_scorer(scoring) if isinstance(scoring, str) else None
    if scoring is None:
        metric, sign = ("accuracy", 1.0) if task == "classification" else ("r2", 1.0)
    elif found is not None:
        metric, sign = found
    else:
        names = [s for m in METRICS.values() for s in (*m.scorer_aliases, m.scorer)]
        raise ParameterError(
            f"The scoring of the search given to {owner} must be None or one of "
            f"{names}. Got {scoring!r} instead."
        )
    rows = []
    fit_times = results.get("mean_fit_time", [np.nan] * len(results["params"]))
    n_folds = int(getattr(search_cv, "n_splits_", 0) or 0)
    for i, params in enumerate(results["params"]):
        learner = default_learner
        step = prefix[:-2].rsplit("__", 1)[-1] if prefix else None
        if step is not None and step in params and hasattr(params[step], "get_params"):
            learner = _learner_of(params[step], owner)
        hps: dict[str, Any] = {}
        for name, value in params.items():
            short = name[len(prefix) :] if prefix and name.startswith(prefix) else name
            if short in learner.param_names:
                hps[short] = value
        config = ParamNames([learner]).from_study(hps)
        if config is None:  # pragma: no cover - one learner in scope always resolves
            continue
        value = float(results[key][i]) * sign
        prov = {
            "search": type(search_cv).__name__,
            "candidate": i,
            "fit_time": float(fit_times[i]),
            "n_folds": n_folds,
        }
        rows.append((config, value, prov))
    name = f"search-{default_learner.name}"
    return _add(
        kb,
        X,
        y,
        task,
        metafeatures,
        dataset_id or f"user/{name}",
        name,
        family,
        rows,
        metric,
        "search",
        owner,
    )
