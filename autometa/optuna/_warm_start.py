"""Warm-start an Optuna study with autometa's recommendations."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from autometa._exceptions import ParameterError
from autometa.learners import Learner
from autometa.models._base import check_positive_int
from autometa.optuna._common import (
    model_configurations,
    resolve_metafeatures,
    resolve_model,
    resolve_task,
)
from autometa.optuna._space import LEARNER_PARAM, ParamNames, resolve_learners, search_space

if TYPE_CHECKING:
    import optuna
    from optuna.distributions import BaseDistribution

    from autometa.models import MetaModel

__all__ = ["warm_start", "study_distributions"]

logger = logging.getLogger(__name__)

SOURCE_ATTR = "autometa:source"
SCORE_ATTR = "autometa:predicted_score"
RANK_ATTR = "autometa:rank"
CONFIG_ATTR = "autometa:config_id"


def study_distributions(study: optuna.Study) -> dict[str, BaseDistribution]:
    """The union of the distributions of every trial of ``study`` (latest trial wins)."""
    out: dict[str, BaseDistribution] = {}
    for trial in study.get_trials(deepcopy=False):
        out.update(trial.distributions)
    return out


def _existing_params(study: optuna.Study) -> list[dict[str, Any]]:
    """Parameters of the study's trials: enqueued (waiting) ones and evaluated ones."""
    return [
        dict(t.system_attrs.get("fixed_params", t.params)) for t in study.get_trials(deepcopy=False)
    ]


def _covers(existing: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """Whether a trial with ``existing`` parameters already runs ``params``."""
    return all(k in existing and existing[k] == v for k, v in params.items())


def warm_start(
    study: optuna.Study,
    X: Any = None,
    y: Any = None,
    *,
    n_trials: int = 10,
    learners: str | Learner | Iterable[str | Learner] | None = None,
    kb: Any = None,
    model: MetaModel | None = None,
    task: str | None = None,
    metafeatures: pd.Series | None = None,
    distributions: Mapping[str, BaseDistribution] | None = None,
    mapping: Mapping[str, str] | None = None,
    learner_param: str = LEARNER_PARAM,
    max_per_learner: int | None = None,
) -> pd.DataFrame:
    """Enqueue autometa's top recommendations as the first trials of ``study``.

    The recommendations of the meta-model for the data's meta-features are mapped onto the
    study's own parameters (see :mod:`autometa.optuna._space`: floats clipped into range and
    snapped to ``step``, ints rounded, categorical values matched exactly or by string form;
    parameters the study does not have, or values it cannot hold, are left to the study's
    sampler) and enqueued with :meth:`optuna.Study.enqueue_trial`. Calling it again does not
    enqueue duplicates: recommendations whose parameters are already enqueued or evaluated
    are skipped.

    Parameters
    ----------
    study : optuna.Study
    X, y : array-like, optional
        The data the study tunes on; its meta-features are extracted (unless
        ``metafeatures`` is given) and ``y`` tells the task (unless ``task`` is given).
    n_trials : int, default=10
        How many recommendations to enqueue (those already in the study count).
    learners : str, Learner or list of them, optional
        Restrict the recommendations to these learners (default: every learner of the task).
    kb : KnowledgeBase, optional
        The knowledge base the model was trained on (default: the shipped one); it holds
        the parameters of the configurations the model scores.
    model : MetaModel, optional
        The meta-model that ranks configurations (default: the shipped ranker of the task).
    task : {"classification", "regression"}, optional
    metafeatures : Series, optional
        Meta-features of the data (from :func:`metafeatures.extract`), instead of X and y.
    distributions : dict of str to BaseDistribution, optional
        The study's parameters. Default: those of the study's trials so far, or, for a study
        without trials, autometa's naming (:func:`~autometa.optuna.search_space` of
        ``learners``: bare names for one learner given as a string, else the conditional
        space).
    mapping : dict of str to str, optional
        ``{our_name: their_name}`` for studies with other parameter names (see
        :class:`~autometa.optuna._space.ParamNames`).
    learner_param : str, default="learner"
        The study's name of the categorical learner parameter.
    max_per_learner : int, optional
        At most this many recommendations of one learner, so that the enqueued trials
        cover several learners (the rest by rank if fewer learners are in scope). A
        sampler such as TPE models the region of the best trials so far; enqueued trials
        that all sit in one learner keep it there.

    Returns
    -------
    DataFrame
        The recommendations kept, best first: ``rank``, ``config_id``, ``learner``,
        ``predicted_score``, ``params`` (dict of the study's parameters) and ``enqueued``
        (False where the same parameters were already in the study).

    Examples
    --------
    >>> import optuna  # doctest: +SKIP
    >>> from autometa.optuna import suggest, warm_start  # doctest: +SKIP
    >>> study = optuna.create_study(direction="maximize")  # doctest: +SKIP
    >>> warm_start(study, X, y, n_trials=5)  # doctest: +SKIP
    >>> study.optimize(lambda t: cross_val_score(suggest(t, task="classification"), X, y).mean(),
    ...                n_trials=20)  # doctest: +SKIP
    """
    n_trials = check_positive_int(n_trials, "n_trials", "warm_start")
    if max_per_learner is not None:
        max_per_learner = check_positive_int(max_per_learner, "max_per_learner", "warm_start")
    task = resolve_task(task, y, "warm_start")
    scope = resolve_learners(learners, task, owner="warm_start")
    mf = resolve_metafeatures(X, y, task, metafeatures, "warm_start")
    meta = resolve_model(model, task, "warm_start")
    configs = model_configurations(meta, kb)
    names = ParamNames(scope, mapping, learner_param)
    if distributions is None:
        distributions = study_distributions(study)
        if not distributions:
            distributions = search_space(
                learners if isinstance(learners, (str, Learner)) else scope,
                learner_param=names.learner_param,
            )
    elif not isinstance(distributions, Mapping):
        raise ParameterError(
            "The 'distributions' parameter of warm_start must be a dict of parameter names "
            f"to Optuna distributions or None. Got {type(distributions).__name__} instead."
        )
    prediction = meta.predict(mf).mean.iloc[0]
    in_scope = {lrn.name for lrn in scope}
    existing = _existing_params(study)
    chosen: list[dict[str, Any]] = []
    picked: list[str] = []
    ranked = meta.rank(mf)
    order = [c for c in ranked if configs[c].learner in in_scope]
    if max_per_learner is not None:
        per_learner: dict[str, int] = {}
        first, rest = [], []
        for cid in order:
            count = per_learner.get(configs[cid].learner, 0)
            (first if count < max_per_learner else rest).append(cid)
            per_learner[configs[cid].learner] = count + 1
        order = first + rest
    for cid in order:
        if len(picked) == n_trials:
            break
        params = names.to_study(configs[cid], distributions)
        if not params or params in chosen:
            continue
        chosen.append(params)
        picked.append(cid)
    # best first, in the ranker's order
    rank = {cid: i for i, cid in enumerate(ranked)}
    rows = []
    for cid in sorted(picked, key=rank.__getitem__):
        params = chosen[picked.index(cid)]
        rows.append(
            {
                "rank": len(rows) + 1,
                "config_id": cid,
                "learner": configs[cid].learner,
                "predicted_score": float(prediction[cid]),
                "params": params,
                "enqueued": not any(_covers(e, params) for e in existing),
            }
        )
    for row in rows:
        if row["enqueued"]:
            study.enqueue_trial(
                row["params"],
                user_attrs={
                    SOURCE_ATTR: "warm_start",
                    SCORE_ATTR: row["predicted_score"],
                    RANK_ATTR: row["rank"],
                    CONFIG_ATTR: row["config_id"],
                },
            )
    n_new = sum(r["enqueued"] for r in rows)
    logger.info("warm start: enqueued %d trial(s), %d already present", n_new, len(rows) - n_new)
    return pd.DataFrame(
        rows, columns=["rank", "config_id", "learner", "predicted_score", "params", "enqueued"]
    )
