"""``autometa.recommend``: meta-features -> meta-model -> a ranked, explained Recommendation.

Resolution of the meta-model and the knowledge base
---------------------------------------------------
``model=None, kb=None``
    The shipped default models (``load_default_model(task, "ranker")`` and ``"explainer"``)
    and the shipped default knowledge base (names of the nearest datasets, what won there,
    the raw metric values, the meta-feature medians). If a ``metric`` other than the one the
    shipped models were trained for is asked, a :class:`~autometa.models.NearestDatasets`
    model is fitted on the default knowledge base for that metric instead. What is derived
    from the knowledge base is read from the snapshot written beside the models
    (:mod:`autometa.recommend._snapshot`) when it matches the knowledge base's files.
``model=<MetaModel>``
    That model ranks. If it is an :class:`~autometa.models.Explainer` and an
    :class:`~autometa.models.OODScorer` (the prototype model) it also explains; otherwise the nearest datasets and the out-of-distribution check come
    from a meta-feature space fitted on the knowledge base (``kb``, or the default one).
``model=<path>``
    A models directory with the shipped layout (``models.json``, see
    :func:`autometa.models.load_default_model`): its ranker and, if present, explainer.
    Without ``kb``, what is derived from a knowledge base comes from the directory's
    snapshot of the one its models were trained on (``autometa models train`` writes it);
    a directory without one falls back to the default knowledge base.
``model=None, kb=<KnowledgeBase or path>``
    A :class:`~autometa.models.NearestDatasets` model (auto-sklearn 1.0 style) is fitted
    on that knowledge base on the fly. It costs one pass over the normalized performance
    matrix (milliseconds for hundreds of datasets and configurations) and is cached for the
    life of the knowledge-base object.

Nearest datasets and out of distribution
----------------------------------------
Both come from one distance, :class:`~autometa.models._space.MetaFeatureSpace`'s (NaN-aware,
robust-scaled meta-features): the explainer's (fitted and saved with the models by
``autometa models train``) or, without one, a space fitted on the knowledge base. The
out-of-distribution score is the distance to the nearest knowledge-base dataset; the
threshold is the 95th percentile of the knowledge base's own leave-one-family-out
nearest-dataset distances, so a flagged dataset is farther from the knowledge base than 95%
of its datasets are from the other families.

Order and scores
----------------
The shown ``score`` orders the list. A ranker that predicts scores (the surrogate, MAML,
single best) gives them; a ranker that only orders (nearest datasets, portfolio, defaults)
gives none, so the score is each configuration's mean normalized score on the nearest
datasets and the list is ordered by it (ties keep the ranker's order). Without any score
the ranker's order is kept.

Loaded knowledge bases and models are cached (keyed by path and the files' sizes and times),
as is what is derived from a knowledge base (keyed by a fingerprint of its content, so a
knowledge base changed by ``add_runs`` is never answered from the old state); see
:mod:`autometa._resources`. Repeated calls cost the meta-features and one model inference, and,
for a knowledge base passed as an object, its fingerprint (a hash of its tables: 0.1-0.3 s
for one the size of the default knowledge base).
"""

from __future__ import annotations

import logging
import math
import warnings
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from autometa._deprecation import renamed_keyword
from autometa._exceptions import (
    DataError,
    KnowledgeBaseError,
    ModelError,
    ModelWarning,
    OutOfDistributionWarning,
    ParameterError,
)
from autometa._resources import cached, kb_fingerprint, package_data, tree_stamp
from autometa._task import MAX_CLASSES, check_task, infer_task
from autometa._validation import check_data
from autometa.recommend._cost import check_budget, cost_model_for, has_cost_model, order_by_cost
from autometa.recommend._recommendation import Recommendation
from autometa.recommend._snapshot import (
    STATE_FILE,
    kb_files_sha256,
    load_kb_state,
    save_kb_state,
)

if TYPE_CHECKING:
    from autometa.models import MetaModel

__all__ = ["recommend", "infer_task", "recommend_from_metafeatures", "MAX_CLASSES"]

logger = logging.getLogger(__name__)

#: Nearest datasets reported and used for neighbour-based scores.
N_NEIGHBOURS = 5
#: Meta-features listed as drivers.
N_DRIVERS = 5
#: The interval of a model without a calibration is mean +/- Z * std (see
#: :mod:`autometa.models._intervals`; a calibrated model carries its own half-width).
Z = 1.96
#: An interval wider than this (on the 0-1 normalized scale) means the model is unsure.
UNSURE_WIDTH = 0.5
#: Monte Carlo draws for the ranker's probability that each learner holds the best score.
N_DRAWS = 2000


# ---------------------------------------------------------------------------------------------
# task, parameters
def check_metric(metric: Any, task: str, owner: str) -> str | None:
    """``metric`` if it is a metric of ``task`` (or None); else a ParameterError."""
    from autometa.kb import metrics_for

    if metric is None:
        return None
    allowed = metrics_for(task)
    if metric not in allowed:
        raise ParameterError(
            f"The 'metric' parameter of {owner} must be one of {allowed} for {task}. "
            f"Got {metric!r} instead."
        )
    return str(metric)


def check_learners(learners: Any, task: str, owner: str) -> list[str] | None:
    """``learners`` as a list of registry names of ``task`` (or None); else a ParameterError."""
    from autometa.learners import learner_names

    if learners is None:
        return None
    if isinstance(learners, str):
        learners = [learners]
    known = learner_names(task)
    try:
        names = list(learners)
    except TypeError:
        names = None
    if not names or any(not isinstance(n, str) for n in names):
        raise ParameterError(
            f"The 'learners' parameter of {owner} must be None or a non-empty list of learner "
            f"names. Got {learners!r} instead."
        )
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ParameterError(
            f"Unknown {task} learner(s) {unknown} in the 'learners' parameter of {owner}. "
            f"Known {task} learners are: {', '.join(known)}."
        )
    return names


def check_top_k(top_k: Any, owner: str) -> int:
    from autometa._validation import check_positive_int

    return check_positive_int(top_k, "top_k", owner)


# ---------------------------------------------------------------------------------------------
# caches of knowledge bases, models and what is derived from them
#: Knowledge bases this module loaded itself (never handed to users, never changed) -> the
#: stamp of their files: their content key, which spares hashing their tables on every call.
_LOADED: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _loaded(stamp: tuple[Any, ...], load: Any) -> Any:
    kb = cached("kb", stamp, load)
    _LOADED[kb] = "files:" + repr(stamp)
    return kb


def _load_kb(path: str) -> Any:
    """The knowledge base at ``path``, cached while its files are unchanged."""
    from autometa.kb import KnowledgeBase

    return _loaded((tree_stamp(path),), lambda: KnowledgeBase.load(path))


def _default_kb_or_none() -> Any:
    """The shipped knowledge base (cached while its files are unchanged), or None."""
    from autometa.kb import KnowledgeBase

    try:
        return _loaded((tree_stamp(package_data("default_kb")),), KnowledgeBase.default)
    except KnowledgeBaseError as exc:
        logger.info("no default knowledge base: %s", exc)
        return None


def _resolve_kb(kb: Any, *, required: bool) -> Any:
    from autometa.kb import KnowledgeBase

    if kb is None:
        found = _default_kb_or_none()
        if found is None and required:
            from autometa.kb import KnowledgeBase as _KB

            _KB.default()  # raises the KnowledgeBaseError with the explanation
        return found
    if isinstance(kb, KnowledgeBase):
        return kb
    if isinstance(kb, (str, Path)):
        return _load_kb(str(Path(kb).resolve()))
    raise ParameterError(
        "The 'kb' parameter must be None, a KnowledgeBase or the path of a knowledge-base "
        f"directory. Got {type(kb).__name__} instead."
    )


@dataclass
class _KBState:
    """What the recommendation layer derives from one knowledge base, task and metric."""

    data: Any  # TaskData
    names: pd.Series  # dataset_id -> name
    index: Any  # NearestDatasets fitted on data (the ranker on the fly)
    space: Any  # MetaFeatureSpace fitted on data (fallback neighbours and OOD)
    median: pd.Series
    sorted_mf: dict[str, np.ndarray]  # meta-feature -> its sorted finite values in the KB
    configurations: pd.DataFrame  # index config_id; learner, params JSON (all of the task)
    kb_key: str | None = None  # the knowledge base's content fingerprint (its cache key)


def _kb_state(kb: Any, task: str, metric: str, kb_key: str | None = None) -> _KBState:
    """The derived state of ``kb`` for ``task`` and ``metric``, cached by the knowledge
    base's content (``kb_key``; default: the stamp of its files for a knowledge base this
    module loaded, else :func:`~autometa._resources.kb_fingerprint`): a changed knowledge
    base gets a new state, equal copies share one."""
    key = kb_key or _LOADED.get(kb) or kb_fingerprint(kb)
    return cached("kb-state", (key, task, metric), lambda: _build_state(kb, task, metric, key))


def _build_state(kb: Any, task: str, metric: str, kb_key: str) -> _KBState:
    from autometa.models import TaskData

    return _state_from(TaskData.from_kb(kb, task, metric), *_names_and_configs(kb, task), kb_key)


def _names_and_configs(kb: Any, task: str) -> tuple[pd.Series, pd.DataFrame]:
    """Every dataset's name; the learner and params of every configuration of ``task``."""
    names = kb.datasets.set_index("dataset_id")["name"].astype(str)
    configs = kb.configurations.set_index("config_id")
    configs = configs.loc[configs["task"] == task, ["learner", "params"]].astype(str)
    return names, configs


def _state_from(data: Any, names: pd.Series, configs: pd.DataFrame, kb_key: str) -> _KBState:
    from autometa.models import MetaFeatureSpace, NearestDatasets

    index = NearestDatasets(n_configs=25).fit(data)
    space = MetaFeatureSpace().fit(data)
    mf = data.metafeatures
    values = mf.to_numpy(dtype=float)
    sorted_mf = {
        c: np.sort(col[np.isfinite(col)]) for c, col in zip(mf.columns, values.T, strict=True)
    }
    return _KBState(
        data=data,
        names=names,
        index=index,
        space=space,
        median=mf.median(),
        sorted_mf=sorted_mf,
        configurations=configs,
        kb_key=kb_key,
    )


def _shipped_state(task: str, metric: str) -> _KBState | None:
    """The state of the shipped knowledge base from the shipped models' snapshot
    (:mod:`autometa.recommend._snapshot`), or None when it is missing or stale, or when the
    shipped models have no cost model (which would then be fitted on the knowledge base)."""
    from autometa.models import default_models_dir

    models, kb_dir = default_models_dir(), package_data("default_kb")
    if not has_cost_model(models):
        return None
    sha = cached("kb-files-sha256", (tree_stamp(kb_dir),), lambda: kb_files_sha256(kb_dir))
    return None if sha is None else _snapshot_state(models, task, metric, sha)


def _snapshot_state(root: Path, task: str, metric: str, sha: str | None) -> _KBState | None:
    """The state read from ``<root>/<task>/kb_state.npz``, of the knowledge base whose files'
    checksum is ``sha`` (None: of the one the models in ``root`` were trained on)."""
    path = root / task / STATE_FILE

    def load() -> _KBState | None:
        found = load_kb_state(path, sha, task, metric)
        return None if found is None else _state_from(*found, key)

    key = f"sha256:{sha}" if sha is not None else f"snapshot:{tree_stamp(path)}"
    return cached("kb-state", (key, task, metric, "snapshot"), load)


def write_state_snapshots(kb_dir: str | Path, models_dir: str | Path) -> list[Path]:
    """Write ``<models_dir>/<task>/kb_state.npz`` for every task of the models directory's
    index, from the knowledge base at ``kb_dir`` (the one the models were trained on; see
    :mod:`autometa.recommend._snapshot`). Returns the files written."""
    from autometa.models import TaskData, load_models_index

    kb = _load_kb(str(Path(kb_dir).resolve()))
    sha = kb_files_sha256(kb_dir)
    if sha is None:
        raise KnowledgeBaseError(
            f"{kb_dir} is not a knowledge-base directory (a table is missing)."
        )
    written = []
    for task, entry in load_models_index(models_dir).get("tasks", {}).items():
        data = TaskData.from_kb(kb, task, entry.get("metric"))
        names, configs = _names_and_configs(kb, task)
        path = Path(models_dir) / task / STATE_FILE
        save_kb_state(path, data=data, names=names, configurations=configs, kb_sha256=sha)
        written.append(path)
    return written


@dataclass
class _Resolved:
    ranker: Any
    explainer: Any
    state: _KBState | None
    metric: str
    model_name: str
    models_dir: Path | None = None  # where the cost model is looked for
    kb: Any = None  # the knowledge base a cost model is fitted on otherwise


def _model_metric(model: MetaModel, metric: str | None, owner: str) -> str:
    model_metric = model.metric_
    if metric is not None and model_metric is not None and metric != model_metric:
        raise ParameterError(
            f"The 'metric' parameter of {owner} is {metric!r} but the meta-model was trained "
            f"for {model_metric!r}. Leave 'metric' unset, or pass a model trained for "
            f"{metric!r} (or kb= to fit one on the fly)."
        )
    return str(metric or model_metric)


def _check_model_task(model: MetaModel, task: str) -> None:
    if model.task_ is not None and model.task_ != task:
        raise ParameterError(
            f"The meta-model was trained for {model.task_} but the data is {task}. Pass a "
            f"{task} model, or set task= to match."
        )


def _state_or_none(kb: Any, task: str, metric: str) -> _KBState | None:
    if kb is None:
        return None
    try:
        return _kb_state(kb, task, metric)
    except ModelError as exc:
        logger.info("no explanations from the knowledge base: %s", exc)
        return None


def _load_explainer(task: str, root: Path | None, index: Mapping[str, Any]) -> Any:
    """The explainer of a models directory; None when it has none. A listed explainer that
    cannot be loaded is a :class:`~autometa.ModelWarning` (the ranking goes on without it:
    nearest datasets and the out-of-distribution score then come from the knowledge base)."""
    from autometa.models import load_default_model

    entry = index.get("tasks", {}).get(task, {})
    if not isinstance(entry, Mapping) or "explainer" not in entry:
        logger.info("the models have no explainer for %s", task)
        return None
    try:
        return load_default_model(task, "explainer", root)
    except ModelError as exc:
        warnings.warn(
            f"The explainer model ('{entry.get('explainer')}', {task}) cannot be loaded: "
            f"{exc} The recommendations are ranked as usual; their nearest datasets and "
            "out-of-distribution score come from the knowledge base instead.",
            ModelWarning,
            stacklevel=4,
        )
        return None


def resolve(
    task: str, metric: str | None, kb: Any, model: Any, owner: str = "recommend"
) -> _Resolved:
    """Find the ranker, the explainer and the knowledge-base state (see the module doc)."""
    from autometa.models import (
        MetaModel,
        default_models_dir,
        load_default_model,
        load_models_index,
    )

    if model is None and kb is None:
        index = load_models_index()  # raises ModelError when nothing is shipped
        shipped_metric = index.get("tasks", {}).get(task, {}).get("metric")
        if metric is None or metric == shipped_metric:
            ranker = load_default_model(task, "ranker")
            explainer = _load_explainer(task, None, index)
            metric = _model_metric(ranker, metric, owner)
            default_kb, state = None, _shipped_state(task, metric)
            if state is None:
                default_kb = _resolve_kb(None, required=False)
                state = _state_or_none(default_kb, task, metric)
            return _Resolved(
                ranker, explainer, state, metric, ranker.name, default_models_dir(), default_kb
            )
        kb = _resolve_kb(None, required=True)
    if model is None:
        from autometa.kb import DEFAULT_METRIC

        metric = metric or DEFAULT_METRIC[task]
        kb = _resolve_kb(kb, required=True)
        state = _kb_state(kb, task, metric)
        return _Resolved(
            state.index, None, state, metric, f"{state.index.name} (on the fly)", None, kb
        )
    root: Path | None = None
    if isinstance(model, (str, Path)):
        root = Path(model)
        ranker = load_default_model(task, "ranker", root)
        explainer = _load_explainer(task, root, load_models_index(root))
    elif isinstance(model, MetaModel):
        ranker, explainer = model, None
    else:
        raise ParameterError(
            f"The 'model' parameter of {owner} must be None, a fitted MetaModel or the path "
            f"of a models directory. Got {type(model).__name__} instead."
        )
    _check_model_task(ranker, task)
    if ranker.config_ids_ is None:
        raise ParameterError(
            f"The meta-model given to {owner} is not fitted. Fit it on TaskData first."
        )
    metric = _model_metric(ranker, metric, owner)
    if explainer is None and _explains(ranker):
        explainer = ranker
    if root is not None and kb is None:
        # the state of the knowledge base these models were trained on (their snapshot),
        # not the default's; a models directory written before snapshots falls back to it
        state = _snapshot_state(root, task, metric, None)
        if state is not None:
            # fit times: the directory's cost model, else one fitted on the default's runs
            cost_kb = None if has_cost_model(root) else _resolve_kb(None, required=False)
            return _Resolved(ranker, explainer, state, metric, ranker.name, root, cost_kb)
    kb = _resolve_kb(kb, required=kb is not None)
    state = _state_or_none(kb, task, metric)
    return _Resolved(ranker, explainer, state, metric, ranker.name, root, kb)


# ---------------------------------------------------------------------------------------------
# the recommendation
def _configuration_table(res: _Resolved, config_ids: Sequence[str]) -> pd.DataFrame:
    """``learner`` and ``params`` (JSON) of ``config_ids``, from the model's own
    configurations or else the knowledge base's; index ``config_id``, in the given order,
    without the configurations neither describes."""
    tables = [res.ranker.configurations_]
    if res.state is not None:
        tables.append(res.state.configurations)
    known = [
        t[["learner", "params"]].astype(str)
        for t in tables
        if isinstance(t, pd.DataFrame) and {"learner", "params"} <= set(t.columns) and len(t)
    ]
    if not known:
        return pd.DataFrame({"learner": [], "params": []}, index=pd.Index([], name="config_id"))
    table = pd.concat(known)
    table = table.loc[~table.index.duplicated(keep="first")]  # the model's own first
    return table.loc[[c for c in config_ids if c in table.index]]


def _explains(model: Any) -> bool:
    """Whether ``model`` gives nearest datasets and an out-of-distribution distance."""
    from autometa.models import Explainer, OODScorer

    return isinstance(model, Explainer) and isinstance(model, OODScorer)


def _neighbours(res: _Resolved, mf: pd.Series) -> tuple[pd.DataFrame, float, float]:
    """Nearest datasets (dataset_id, distance), the OOD distance and its threshold."""
    explainer = res.explainer
    if _explains(explainer):
        try:
            nb = explainer.neighbours(mf, k=N_NEIGHBOURS)
            score = float(explainer.ood_distance(mf))
            threshold = float(explainer.ood_threshold_)
            nb = pd.DataFrame(nb)[["dataset_id", "distance"]].reset_index(drop=True)
            return nb, score, threshold
        except Exception as exc:  # a broken or mismatched explainer must not stop a ranking
            warnings.warn(
                f"The explainer model failed ({type(exc).__name__}: {exc}); the nearest "
                "datasets and the out-of-distribution score come from the knowledge base "
                "instead. Retrain the models (`autometa models train`) if this persists.",
                ModelWarning,
                stacklevel=4,
            )
    if res.state is None:
        return pd.DataFrame({"dataset_id": [], "distance": []}), math.nan, math.nan
    space = res.state.space
    nb = space.neighbours(mf, k=N_NEIGHBOURS)
    return nb, space.ood_distance(mf), float(space.ood_threshold_)


def _drivers(state: _KBState | None, mf: pd.Series) -> pd.DataFrame:
    """The meta-features whose value is most extreme among the knowledge base's datasets.

    ``percentile`` is the share (in %) of the knowledge base's datasets with a smaller
    value (ties count half): 0 or 100 means outside the knowledge base's range. Ranking
    by distance from the median percentile is robust to skewed meta-features, where a
    deviation in interquartile ranges explodes.
    """
    cols = ["name", "value", "kb_median", "percentile"]
    if state is None:
        return pd.DataFrame(columns=cols)
    common = [c for c in state.median.index if c in mf.index]
    prefixed = [c for c in common if "." in c]
    common = prefixed or common  # prefer our groups over OpenML's duplicated qualities
    rows = []
    for name in common:
        value, ref = float(mf[name]), state.sorted_mf.get(name)
        if not math.isfinite(value) or ref is None or ref.size < 5 or ref[0] == ref[-1]:
            continue
        below = np.searchsorted(ref, value, side="left")
        not_above = np.searchsorted(ref, value, side="right")
        pct = 100.0 * (below + not_above) / (2 * ref.size)
        rows.append((name, value, float(state.median[name]), pct))
    rows.sort(key=lambda r: -abs(r[3] - 50.0))  # stable: the first name wins a tie
    return pd.DataFrame(rows[:N_DRIVERS], columns=cols)


def _learner_probabilities(explainer: Any, mf: pd.Series) -> pd.Series | None:
    from autometa.models import Explainer

    if not isinstance(explainer, Explainer):
        return None
    try:
        probs = explainer.learner_probabilities(mf)
    except Exception as exc:
        logger.info("no learner probabilities: %s", exc)
        return None
    if isinstance(probs, pd.DataFrame):
        probs = probs.iloc[0]
    return pd.Series(probs, dtype=float) if probs is not None else None


def _ranker_learner_probabilities(
    score: pd.Series,
    spread: pd.Series,
    candidates: Sequence[str],
    learner_of: Mapping[str, str],
    score_source: str,
    random_state: int,
) -> tuple[pd.Series | None, str]:
    """The probability that each learner's best configuration is the best, from the scores.

    For each learner, the score of its best configuration (by the shown score) is drawn
    from a normal distribution with the shown mean and spread (``N_DRAWS`` times, seeded);
    the probability is the share of draws in which that learner is on top. So the
    probabilities follow the ranking: the first recommendation's learner is the most
    probable unless another learner's score is much more uncertain. None when there are no
    scores or no spreads.
    """
    if score_source == "none" or not candidates:
        return None, ""
    m = score.loc[list(candidates)].to_numpy(dtype=float)
    s = spread.loc[list(candidates)].to_numpy(dtype=float)
    ok = np.isfinite(m)
    if not ok.any() or not np.isfinite(s[ok]).any():
        return None, ""
    ids = [c for c, k in zip(candidates, ok) if k]
    m, s = m[ok], np.nan_to_num(s[ok], nan=0.0)
    # each learner's best configuration by the shown score (candidates are in that order)
    first: dict[str, int] = {}
    for i, c in enumerate(ids):
        first.setdefault(learner_of[c], i)
    pick = np.array(list(first.values()))
    learners = np.array(list(first))
    m, s = m[pick], s[pick]
    rng = np.random.default_rng(random_state)
    draws = m + s * rng.standard_normal((N_DRAWS, m.size))
    winners = learners[np.argmax(draws, axis=1)]
    names, counts = np.unique(winners, return_counts=True)
    probs = pd.Series(0.0, index=list(dict.fromkeys(learners)))
    probs[list(names)] = counts / N_DRAWS
    return probs.sort_values(ascending=False, kind="stable"), "ranker"


def recommend_from_metafeatures(
    metafeatures: pd.Series | None = None,
    *,
    task: str,
    metric: str | None = None,
    top_k: int = 10,
    learners: Sequence[str] | None = None,
    kb: Any = None,
    model: Any = None,
    random_state: int = 0,
    n_rows: int | None = None,
    n_features: int | None = None,
    owner: str = "recommend",
    warn_ood: bool = True,
    stacklevel: int = 2,
    time_budget: float | None = None,
    meta_features: pd.Series | None = None,
) -> Recommendation:
    """A :class:`Recommendation` from already computed meta-features.

    The parameters are those of :func:`recommend`, with ``metafeatures`` (a Series from
    :func:`metafeatures.extract`) instead of the data; it is what the estimators use after
    computing the meta-features themselves. ``task`` must be given: meta-features do not
    tell it. ``n_rows`` and ``n_features`` (default: the meta-features'
    ``general.n_instances`` and ``general.n_features``) are the data the predicted fit times
    are for.

    .. deprecated:: 0.2
        ``meta_features=`` is the old name of ``metafeatures=`` (it warns); it will be
        removed in autometa 0.3.
    """
    name = "recommend_from_metafeatures"
    metafeatures = renamed_keyword(
        metafeatures, meta_features, "meta_features", "metafeatures", name
    )
    if metafeatures is None:
        raise ParameterError(
            f"{name} needs the 'metafeatures' parameter: a Series of meta-features (as "
            "returned by metafeatures.extract). Got None instead."
        )
    checked = check_task(task, owner)
    if checked is None:
        raise ParameterError(
            f"{name} needs an explicit task: pass task='classification' or "
            "task='regression' (meta-features do not tell it)."
        )
    task = checked
    top_k = check_top_k(top_k, owner)
    metric = check_metric(metric, task, owner)
    learners = check_learners(learners, task, owner)
    time_budget = check_budget(time_budget, owner)
    res = resolve(task, metric, kb, model, owner)
    mf = pd.Series(metafeatures, dtype=float)

    pred = res.ranker.predict(mf)
    configs = _candidates(res, res.ranker.rank(mf), task, learners)
    nb, ood_score, ood_threshold = _neighbours(res, mf)
    on_nb = _scores_on_neighbours(res.state, nb, list(configs.index))
    score, spread, score_source = _shown_scores(res.ranker, pred, on_nb, list(configs.index))
    calibration = _interval_calibration(res.ranker, pred, score_source)
    candidates = list(configs.index)
    if score_source != "none":
        # The shown score orders the list; NaN last; ties keep the ranker's order.
        key = score.fillna(-np.inf).to_numpy()
        candidates = [candidates[i] for i in np.argsort(-key, kind="stable")]
    learner_of = configs["learner"].to_dict()
    probabilities, prob_source = _ranker_learner_probabilities(
        score, spread, candidates, learner_of, score_source, random_state
    )
    fit_time, candidates = _by_cost(res, mf, configs, candidates, score, time_budget, owner)
    candidates = candidates[:top_k]
    table = _table(candidates, configs, score, spread, on_nb, fit_time, calibration)
    if probabilities is None:
        probabilities = _learner_probabilities(res.explainer, mf)
        prob_source = "explainer" if probabilities is not None else ""
    neighbours = _neighbours_table(res.state, nb, candidates[0])
    is_ood = bool(math.isfinite(ood_score) and ood_score > ood_threshold)
    if is_ood and warn_ood:
        _warn_ood(neighbours, ood_score, ood_threshold, stacklevel)
    return Recommendation(
        task=task,
        metric=res.metric,
        metafeatures=mf,
        table=table,
        neighbours=neighbours,
        ood_score=float(ood_score),
        ood_threshold=float(ood_threshold),
        is_ood=is_ood,
        model_name=str(res.model_name),
        score_source=score_source,
        drivers=_drivers(res.state, mf),
        learner_probabilities=probabilities,
        learner_probabilities_source=prob_source,
        n_rows=n_rows,
        n_features=n_features,
        random_state=random_state,
        time_budget=time_budget,
        cost_ordered=bool(fit_time.notna().any()),
        interval_calibration=calibration,
    )


# -- the steps of recommend_from_metafeatures --------------------------------------------------
def _candidates(
    res: _Resolved, order: Sequence[str], task: str, learners: Sequence[str] | None
) -> pd.DataFrame:
    """The configurations of the ranker's ``order`` that may be recommended: of a wanted
    learner of ``task``, with known hyperparameters. Index ``config_id`` (in ``order``);
    columns ``learner`` and ``params`` (from the configurations table, see
    :func:`_configuration_table`)."""
    from autometa.learners import learner_names

    configs = _configuration_table(res, order)
    if configs.empty:
        raise ModelError(
            "The meta-model does not carry its configurations' hyperparameters and no "
            "knowledge base describes them. Pass kb= (the knowledge base it was trained on)."
        )
    known = set(learner_names(task))
    wanted = (set(learners) if learners is not None else known) & known
    chosen = configs.loc[configs["learner"].isin(wanted)]
    if chosen.empty:
        raise ParameterError(
            f"None of the learners {sorted(wanted)} has a configuration in the meta-model's "
            f"pool. Pool learners: {sorted(set(configs['learner']))}."
        )
    return chosen


@dataclass(frozen=True)
class _OnNeighbours:
    """Each candidate's mean normalized score, its spread and mean raw metric on the
    nearest datasets (NaN where unknown)."""

    score: pd.Series
    std: pd.Series
    raw: pd.Series


def _scores_on_neighbours(
    state: _KBState | None, nb: pd.DataFrame, candidates: list[str]
) -> _OnNeighbours:
    out = _OnNeighbours(*(pd.Series(np.nan, index=candidates) for _ in range(3)))
    if state is None:
        return out
    in_scores = [d for d in nb["dataset_id"] if d in state.names.index]
    in_scores = [d for d in in_scores if d in state.data.scores.index]
    if not in_scores:
        return out
    cols = [c for c in candidates if c in state.data.scores.columns]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        block = state.data.scores.loc[in_scores, cols]
        out.score[cols] = block.mean(axis=0)
        out.std[cols] = block.std(axis=0, ddof=0)
        out.raw[cols] = state.data.raw.loc[in_scores, cols].mean(axis=0)
    return out


def _shown_scores(
    ranker: MetaModel, pred: Any, on_nb: _OnNeighbours, candidates: list[str]
) -> tuple[pd.Series, pd.Series, str]:
    """The score and spread shown for each candidate, and where they come from: the
    model's prediction (``"model"``; a missing spread taken from the neighbours), or, for a
    ranker that only orders, the scores on the nearest datasets (``"neighbours"``, or
    ``"none"`` without any)."""
    if not type(ranker).predicts_scores:
        source = "neighbours" if on_nb.score.notna().any() else "none"
        return on_nb.score, on_nb.std, source
    mean = pred.mean.iloc[0]
    score = pd.Series([float(mean.get(c, np.nan)) for c in candidates], index=candidates)
    if pred.std is not None:
        std = pred.std.iloc[0]
        spread = pd.Series([float(std.get(c, np.nan)) for c in candidates], index=candidates)
    else:
        spread = pd.Series(np.nan, index=candidates)
    return score, spread.fillna(on_nb.std), "model"


def _interval_calibration(ranker: MetaModel, pred: Any, score_source: str) -> Any:
    """The ranker's interval calibration when the shown interval is its own (the score
    comes from the model, with the model's spread); None otherwise (uncalibrated)."""
    if score_source != "model" or pred.std is None:
        return None
    return getattr(ranker, "interval_calibration_", None)


def _table(
    candidates: list[str],
    configs: pd.DataFrame,
    score: pd.Series,
    spread: pd.Series,
    on_nb: _OnNeighbours,
    fit_time: pd.Series,
    calibration: Any = None,
) -> pd.DataFrame:
    """The ranked table of :class:`Recommendation` (see its ``table``). The interval's
    half-width is ``calibration.half_width(spread)``, or ``Z * spread`` without one."""
    rows = []
    for rank, cid in enumerate(candidates, start=1):
        m, s = float(score[cid]), float(spread[cid])
        half = float(calibration.half_width(s)) if calibration is not None else Z * s
        low = min(max(m - half, 0.0), 1.0) if math.isfinite(half) else math.nan
        high = min(max(m + half, 0.0), 1.0) if math.isfinite(half) else math.nan
        rows.append(
            {
                "rank": rank,
                "config_id": cid,
                "learner": str(configs.at[cid, "learner"]),
                "params": dict(_json_params(configs.at[cid, "params"])),
                "score": m,
                "score_std": s,
                "score_low": low,
                "score_high": high,
                "unsure": bool(math.isfinite(s) and high - low > UNSURE_WIDTH),
                "metric_on_similar_datasets": float(on_nb.raw[cid]),
                "neighbour_score": float(on_nb.score[cid]),
                "fit_time": float(fit_time.get(cid, np.nan)),
            }
        )
    return pd.DataFrame(rows)


def _neighbours_table(state: _KBState | None, nb: pd.DataFrame, first: str) -> pd.DataFrame:
    """The nearest datasets: names, what won there, how the ``first`` recommendation did."""
    names, best_learner, best_metric, top_score = [], [], [], []
    for d in nb["dataset_id"]:
        if state is not None and d in state.data.scores.index:
            row = state.data.scores.loc[d]
            best = str(row.idxmax()) if row.notna().any() else ""
            names.append(str(state.names.get(d, d)))
            best_learner.append(str(state.data.configurations.at[best, "learner"]) if best else "")
            best_metric.append(float(state.data.raw.loc[d, best]) if best else math.nan)
            top_score.append(float(row.get(first, np.nan)))
        else:
            names.append(str(state.names.get(d, d)) if state is not None else str(d))
            best_learner.append("")
            best_metric.append(math.nan)
            top_score.append(math.nan)
    return pd.DataFrame(
        {
            "dataset_id": list(nb["dataset_id"]),
            "name": names,
            "distance": nb["distance"].to_numpy(dtype=float),
            "best_learner": best_learner,
            "best_metric": best_metric,
            "top_score": top_score,
        }
    )


def _warn_ood(
    neighbours: pd.DataFrame, ood_score: float, ood_threshold: float, stacklevel: int
) -> None:
    """The OutOfDistributionWarning; ``stacklevel`` is the caller's (one frame up)."""
    nearest = neighbours["name"].iloc[0] if len(neighbours) else "?"
    warnings.warn(
        f"The dataset is unlike the knowledge base's datasets (distance to the nearest, "
        f"{nearest}, is {ood_score:.3g} > threshold "
        f"{ood_threshold:.3g}, which 95% of the knowledge base's datasets stay under). "
        "The recommendations are extrapolations: validate "
        "them, e.g. with MetaClassifier/MetaRegressor(n_candidates=5).",
        OutOfDistributionWarning,
        stacklevel=stacklevel + 1,
    )


def _by_cost(
    res: _Resolved,
    mf: pd.Series,
    configs: pd.DataFrame,
    candidates: list[str],
    score: pd.Series,
    time_budget: float | None,
    owner: str,
) -> tuple[pd.Series, list[str]]:
    """Predicted fit times of ``candidates`` on the data, and their order by cost.

    The cost model predicts the seconds of one fit on all the data (``general.n_instances``
    rows, ``general.n_features`` features, ``general.n_classes`` classes); see
    :func:`autometa.recommend._cost.order_by_cost` for the order. Without a cost model the
    times are NaN and the order is unchanged (a budget then warns that it cannot filter).
    """
    kb_key = _LOADED.get(res.kb) if res.kb is not None else None
    if kb_key is None and res.state is not None:
        kb_key = res.state.kb_key  # derived from res.kb
    cost = cost_model_for(res.models_dir, res.kb, kb_key=kb_key)
    if cost is None:
        if time_budget is not None:
            warnings.warn(
                f"The 'time_budget' of {owner} cannot filter the recommendations: neither the "
                "meta-models nor the knowledge base provide a cost model (its runs record no "
                "data sizes). Retrain the models with `autometa models train` on a knowledge "
                "base of schema 2, or pass such a knowledge base as kb=.",
                UserWarning,
                stacklevel=4,
            )
        return pd.Series(np.nan, index=candidates), candidates
    n = float(mf.get("general.n_instances", np.nan))
    d = float(mf.get("general.n_features", np.nan))
    c = float(mf.get("general.n_classes", 0.0))
    if not (math.isfinite(n) and math.isfinite(d)):
        return pd.Series(np.nan, index=candidates), candidates
    frame = configs.loc[candidates, ["learner", "params"]]
    fit_time = cost.predict(frame, n_rows=n, n_features=d, n_classes=c if math.isfinite(c) else 0)
    table = pd.DataFrame(
        {"config_id": candidates, "learner": frame["learner"], "score": score[candidates]}
    )
    ordered = order_by_cost(
        table.reset_index(drop=True),
        fit_time["fit_time"].reset_index(drop=True),
        time_budget=time_budget,
        owner=owner,
    )
    return fit_time["fit_time"], list(ordered["config_id"])


def _json_params(text: str) -> Mapping[str, Any]:
    import json

    return json.loads(text)


def _split(data: Any, target: Any, y: Any) -> tuple[Any, Any]:
    from autometa._io import read_table, split_target

    if isinstance(data, (str, Path)):
        data = read_table(data)
    if target is not None and y is not None:
        raise ParameterError(
            "recommend got both 'target' and 'y'. Pass target= (a column of the DataFrame) "
            "or y= (the target values), not both."
        )
    if target is not None:
        if not isinstance(data, pd.DataFrame):
            raise ParameterError(
                "The 'target' parameter of recommend names a column, so 'data' must be a "
                f"DataFrame. Got {type(data).__name__} instead; pass y= with arrays."
            )
        return split_target(data, target)
    if y is None:
        raise ParameterError(
            "recommend needs the target: pass target= (a column of the DataFrame) or y= "
            "(the target values)."
        )
    return data, y


def compute_metafeatures(X: Any, y: Any, task: str, random_state: int = 0) -> pd.Series:
    """The default meta-features of ``(X, y)`` as the meta-models expect them."""
    import metafeatures

    try:
        return metafeatures.extract(X, y, task=task, random_state=random_state)
    except metafeatures.MetaFeatureError as exc:
        raise DataError(f"Cannot compute the meta-features of the data: {exc}") from None


def recommend(
    data: Any,
    target: Any = None,
    *,
    y: Any = None,
    task: str | None = None,
    metric: str | None = None,
    top_k: int = 10,
    learners: Sequence[str] | None = None,
    kb: Any = None,
    model: Any = None,
    random_state: int = 0,
    time_budget: float | None = None,
) -> Recommendation:
    """Recommend learners and hyperparameters for a dataset, best first, with the reasons.

    Parameters
    ----------
    data : DataFrame, array-like or path
        The dataset: a DataFrame holding the ``target`` column, features with ``y``, or the
        path of a CSV/TSV/parquet file. Numeric, categorical, string, boolean and missing
        values are fine.
    target : str, optional
        The target column of ``data``.
    y : array-like, optional
        The target values, when ``data`` holds only the features.
    task : {"classification", "regression"} or None, default=None
        None infers it from the target with :func:`infer_task` (the project's one rule:
        boolean, categorical and string targets are classification; numeric targets are
        classification when they hold at most 20 distinct whole numbers, else regression).
        ``"auto"`` is the same as None (as in :func:`metafeatures.extract` and the command
        line); None is the convention of the whole API (see :mod:`autometa._task`). An
        ambiguous target (whole numbers with more than 2 distinct values) gives a
        :class:`~autometa.TaskInferenceWarning` naming the task inferred: pass ``task`` to
        decide.
    metric : str, optional
        A metric of the task (``autometa.kb.metrics_for(task)``); default: the model's.
    top_k : int, default=10
        How many recommendations.
    learners : list of str, optional
        Restrict to these registry learners (``autometa.learners.learner_names(task)``).
    kb : KnowledgeBase or path, optional
        A knowledge base to use instead of the shipped default (see the module docstring:
        without ``model`` a nearest-datasets model is fitted on it on the fly).
    model : MetaModel or path, optional
        A fitted meta-model, or a models directory, instead of the shipped default.
    random_state : int, default=0
        Seed of the meta-features and of the pipelines built from the recommendation.
    time_budget : float, optional
        Seconds: only configurations predicted to fit on all the data within it are
        recommended (the cost model's prediction, single-threaded; within a factor of
        about 2). None: no limit.

    Returns
    -------
    Recommendation
        ``.to_frame()`` for the ranked table, ``.pipeline(i)`` for a ready-to-fit pipeline,
        ``.explain()`` and ``.plot()`` for the reasons. Scores are normalized per dataset:
        1 = the best configuration of the pool on similar datasets, 0 = the worst.

    Raises
    ------
    ParameterError
        For an invalid parameter (``top_k``, ``metric``, ``learners``, ``task``, ...).
    DataError
        For unusable data or an unknown target column.
    ModelError
        When no model is given and this installation ships none.

    Warns
    -----
    OutOfDistributionWarning
        When the dataset is unlike the knowledge base's datasets.

    Examples
    --------
    >>> import autometa
    >>> from sklearn.datasets import load_breast_cancer
    >>> df = load_breast_cancer(as_frame=True).frame
    >>> rec = autometa.recommend(df, target="target", top_k=5)  # doctest: +SKIP
    >>> rec.to_frame()[["rank", "learner", "score"]]  # doctest: +SKIP
    >>> rec.pipeline(0).fit(df.drop(columns="target"), df["target"])  # doctest: +SKIP
    """
    task = check_task(task, "recommend")
    check_top_k(top_k, "recommend")
    X, y_ = _split(data, target, y)
    X, y_ = check_data(X, y_, "recommend", task=task, x_name="data")
    n_rows, n_features = X.shape
    resolved_task = infer_task(y_, owner="recommend", stacklevel=2) if task is None else task
    check_metric(metric, resolved_task, "recommend")
    check_learners(learners, resolved_task, "recommend")
    if model is None and kb is None:
        from autometa.models import load_models_index

        load_models_index()  # fail before the meta-features when nothing is shipped
    mf = compute_metafeatures(X, y_, resolved_task, random_state)
    return recommend_from_metafeatures(
        mf,
        task=resolved_task,
        metric=metric,
        top_k=top_k,
        learners=learners,
        kb=kb,
        model=model,
        random_state=random_state,
        n_rows=int(n_rows),
        n_features=int(n_features),
        stacklevel=3,
        time_budget=time_budget,
    )
