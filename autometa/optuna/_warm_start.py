"""Warm-start an Optuna study with autometa's recommendations."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from autometa._exceptions import ParameterError
from autometa._validation import check_nonnegative_float, check_positive_int
from autometa.learners import Learner
from autometa.optuna._common import (
    model_configurations,
    resolve_metafeatures,
    resolve_model,
    resolve_task,
)
from autometa.optuna._space import (
    LEARNER_PARAM,
    ParamNames,
    enqueued_params,
    resolve_learners,
    same_value,
    search_space,
)

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
CLIPPED_ATTR = "autometa:clipped"
DROPPED_ATTR = "autometa:dropped"
REPORT_ATTR = "autometa:warm_start"
#: Default of ``warm_start(min_distance=...)``, chosen on the table look-up benchmark
#: (``benchmarks/optuna_lookup.py``, 4 held-out families per task, 1 dataset each, 3 seeds,
#: 30 trials, maml ranker, top 10 enqueued): mean regret of TPE warm-started with
#: min_distance 0 / 0.1 / 0.2 / 0.3: @5 0.034 / 0.034 / 0.034 / 0.023, @10 0.022 / 0.022 /
#: 0.022 / 0.0055, @25 0.0099 / 0.0167 / 0.0105 / 0.0043 (both tasks pooled; a small run,
#: the machine was shared).
MIN_DISTANCE = 0.3


def study_distributions(study: optuna.Study) -> dict[str, BaseDistribution]:
    """The union of the distributions of every trial of ``study`` (latest trial wins)."""
    out: dict[str, BaseDistribution] = {}
    for trial in study.get_trials(deepcopy=False):
        out.update(trial.distributions)
    return out


def _existing_params(study: optuna.Study) -> list[dict[str, Any]]:
    """Parameters of the study's trials: enqueued (waiting) ones and evaluated ones."""
    return [enqueued_params(t) or dict(t.params) for t in study.get_trials(deepcopy=False)]


def _covers(existing: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """Whether a trial with ``existing`` parameters already runs ``params``."""
    return all(k in existing and same_value(existing[k], v) for k, v in params.items())


def _encode(
    params: Mapping[str, Any], distributions: Mapping[str, BaseDistribution]
) -> dict[str, np.ndarray]:
    """Each study parameter on the unit scale of its own range (log where the range is),
    categorical ones one-hot."""
    from optuna.distributions import CategoricalDistribution

    out = {}
    for name, value in params.items():
        dist = distributions[name]
        if isinstance(dist, CategoricalDistribution):
            out[name] = np.array([float(c == value) for c in dist.choices])
            continue
        low, high = float(dist.low), float(dist.high)  # type: ignore[attr-defined]
        v = float(value)
        if getattr(dist, "log", False):
            low, high, v = math.log(low), math.log(high), math.log(v)
        out[name] = np.array([0.0 if high == low else (v - low) / (high - low)])
    return out


def _rms_distance(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> float:
    """Root-mean-square difference per dimension; a parameter one side lacks differs by 1."""
    total, dims = 0.0, 0
    for name in set(a) | set(b):
        if name in a and name in b:
            total += float(((a[name] - b[name]) ** 2).sum())
            dims += a[name].size
        else:
            size = (a.get(name) if name in a else b[name]).size  # type: ignore[union-attr]
            total += float(size)
            dims += size
    return math.sqrt(total / dims) if dims else 0.0


def _json_value(value: Any) -> Any:
    """A value as JSON (Optuna's user attributes must serialize)."""
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


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
    min_distance: float = MIN_DISTANCE,
) -> pd.DataFrame:
    """Enqueue autometa's top recommendations as the first trials of ``study``.

    The recommendations of the meta-model for the data's meta-features are mapped onto the
    study's own parameters (see :mod:`autometa.optuna._space`: floats clipped into range and
    snapped to ``step``, ints rounded, categorical values matched exactly or by string form)
    and enqueued with ``study.enqueue_trial(..., skip_if_exists=True)``. Nothing is changed
    silently: every value clipped into the study's range and every recommended
    hyperparameter the study does not have (or whose value it cannot hold, such as
    ``gamma="scale"`` for a float range; the study's sampler picks it) is reported in a
    warning, in the returned table and in the enqueued trial's user attributes
    ``"autometa:clipped"`` (``{study parameter: recommended value}``) and
    ``"autometa:dropped"`` (``{hyperparameter: recommended value}``); the study's user
    attribute ``"autometa:warm_start"`` sums them up. Calling it again does not enqueue
    duplicates: recommendations whose parameters are already enqueued or evaluated are
    skipped.

    Diversity: a recommendation within ``min_distance`` of one already chosen for the same
    learner, once mapped onto the study (so clipping into a narrow range cannot produce
    duplicates in effect), is passed over for the next one, and ``max_per_learner`` caps the
    trials of one learner.

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
    task : {"classification", "regression"} or None, default=None
        None (or ``"auto"``, the same): inferred from ``y`` (needed without ``y``).
    metafeatures : Series, optional
        Meta-features of the data (from :func:`metafeatures.extract`), instead of X and y.
    distributions : dict of str to BaseDistribution, optional
        The study's parameters. Default: those of the study's trials so far, completed by
        autometa's ranges for mapped names not seen yet; for a study without trials,
        autometa's space (:func:`~autometa.optuna.search_space` of ``learners``: bare
        names for one learner given as a string, else the conditional space) under the
        study's names (``mapping``, ``learner_param``). Every name ``mapping`` gives must
        be one of them.
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
    min_distance : float, default=0.3
        Least distance between two enqueued configurations of one learner: the
        root-mean-square difference per dimension of the values the study will run, each
        numeric parameter on the unit scale of the study's range (log where the range is),
        categorical ones one-hot (a parameter one of them leaves to the sampler differs by
        1). 0 keeps everything but exact duplicates. The default was chosen on the table
        look-up benchmark.

    Returns
    -------
    DataFrame
        The recommendations kept, best first: ``rank``, ``config_id``, ``learner``,
        ``predicted_score``, ``params`` (dict of the study's parameters), ``enqueued``
        (False where the same parameters were already in the study), ``clipped`` and
        ``dropped`` (dicts, as the trials' user attributes).

    Raises
    ------
    ParameterError
        When ``mapping`` names a study parameter that ``distributions`` does not hold.

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
    min_distance = check_nonnegative_float(min_distance, "min_distance", "warm_start")
    task = resolve_task(task, y, "warm_start")
    scope = resolve_learners(learners, task, owner="warm_start")
    mf = resolve_metafeatures(X, y, task, metafeatures, "warm_start")
    meta = resolve_model(model, task, "warm_start")
    configs = model_configurations(meta, kb)
    names = ParamNames(scope, mapping, learner_param)
    ours = names.rename_space(
        search_space(
            learners if isinstance(learners, (str, Learner)) else scope,
            learner_param=names.learner_param,
        )
    )
    mapped = names.mapped_names(lrn.name for lrn in scope)
    if distributions is None:
        distributions = study_distributions(study)
        if not distributions:
            distributions = ours
        else:
            # Names the study has not suggested yet get autometa's ranges: the mapped ones,
            # and those of learners none of its trials ran (a conditional space shows a
            # learner's parameters only once a trial picks it).
            seen = set()
            for t in study.get_trials(deepcopy=False):
                config = names.from_study(t.params) if t.params else None
                if config is not None:
                    seen.add(config.learner)
            extra = {}
            for name, dist in ours.items():
                key = names.resolve(name)
                unseen = isinstance(key, tuple) and key[0] not in seen
                if name not in distributions and (name in mapped or unseen):
                    extra[name] = dist
            distributions = {**extra, **distributions}
    elif not isinstance(distributions, Mapping):
        raise ParameterError(
            "The 'distributions' parameter of warm_start must be a dict of parameter names "
            f"to Optuna distributions or None. Got {type(distributions).__name__} instead."
        )
    else:
        absent = {theirs: o for theirs, o in mapped.items() if theirs not in distributions}
        if absent:
            theirs, o = next(iter(absent.items()))
            raise ParameterError(
                f"The 'mapping' parameter of warm_start maps {o!r} to {theirs!r}, which is "
                f"not a parameter of the 'distributions' given ({sorted(distributions)}). "
                f"Add {theirs!r} to 'distributions' or fix the mapping."
            )
    prediction = meta.predict(mf).mean.iloc[0]
    in_scope = {lrn.name for lrn in scope}
    existing = _existing_params(study)
    ranked = meta.rank(mf)
    order = [c for c in ranked if configs[c].learner in in_scope]
    if max_per_learner is not None:
        per_learner: dict[str, int] = {}
        first: list[str] = []
        rest: list[str] = []
        for cid in order:
            count = per_learner.get(configs[cid].learner, 0)
            (first if count < max_per_learner else rest).append(cid)
            per_learner[configs[cid].learner] = count + 1
        order = first + rest
    chosen: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {}
    points: dict[str, list[dict[str, np.ndarray]]] = {}
    n_close = 0
    for cid in order:
        if len(chosen) == n_trials:
            break
        result = names.map_config(configs[cid], distributions)
        if result is None or not result[0] or any(result[0] == c[0] for c in chosen.values()):
            continue
        # the configuration as the study will run it, on the scale of the study's ranges
        hps = {k: v for k, v in result[0].items() if k != names.learner_param}
        x = _encode(hps, distributions)
        near = points.setdefault(configs[cid].learner, [])
        if any(_rms_distance(x, p) <= min_distance for p in near):
            n_close += 1
            continue
        near.append(x)
        chosen[cid] = result
    # best first, in the ranker's order
    rank = {cid: i for i, cid in enumerate(ranked)}
    rows: list[dict[str, Any]] = []
    for cid in sorted(chosen, key=rank.__getitem__):
        params, clipped, dropped = chosen[cid]
        rows.append(
            {
                "rank": len(rows) + 1,
                "config_id": cid,
                "learner": configs[cid].learner,
                "predicted_score": float(prediction[cid]),
                "params": params,
                "enqueued": not any(_covers(e, params) for e in existing),
                "clipped": {k: _json_value(v) for k, v in clipped.items()},
                "dropped": {k: _json_value(v) for k, v in dropped.items()},
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
                    CLIPPED_ATTR: row["clipped"],
                    DROPPED_ATTR: row["dropped"],
                },
                skip_if_exists=True,
            )
    n_new = sum(r["enqueued"] for r in rows)
    n_clipped: dict[str, int] = {}
    n_dropped: dict[str, int] = {}
    for row in rows:
        for name in row["clipped"]:
            n_clipped[name] = n_clipped.get(name, 0) + 1
        for name in row["dropped"]:
            n_dropped[name] = n_dropped.get(name, 0) + 1
    study.set_user_attr(
        REPORT_ATTR,
        {
            "enqueued": n_new,
            "already_present": len(rows) - n_new,
            "clipped": n_clipped,
            "dropped": n_dropped,
            "skipped_too_close": n_close,
        },
    )
    if n_clipped or n_dropped:
        parts = []
        if n_clipped:
            what = ", ".join(f"{k!r} in {v}" for k, v in sorted(n_clipped.items()))
            parts.append(f"clipped recommended values into the study's range ({what})")
        if n_dropped:
            what = ", ".join(f"{k!r} in {v}" for k, v in sorted(n_dropped.items()))
            parts.append(
                "left hyperparameters the study does not have or cannot hold to its "
                f"sampler ({what})"
            )
        warnings.warn(
            f"warm_start {' and '.join(parts)} of {len(rows)} recommendation(s). The "
            "original values are in the returned table and in the trials' user_attrs "
            f"{CLIPPED_ATTR!r} and {DROPPED_ATTR!r}; widen the study's ranges or pass "
            "'distributions' to keep them.",
            UserWarning,
            stacklevel=2,
        )
    logger.info(
        "warm start: enqueued %d trial(s), %d already present, %d passed over as too close",
        n_new,
        len(rows) - n_new,
        n_close,
    )
    return pd.DataFrame(
        rows,
        columns=[
            "rank",
            "config_id",
            "learner",
            "predicted_score",
            "params",
            "enqueued",
            "clipped",
            "dropped",
        ],
    )
