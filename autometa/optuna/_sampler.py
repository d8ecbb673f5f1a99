"""``MetaSampler``: an Optuna sampler driven by autometa's meta-learned surrogate."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from optuna.samplers import BaseSampler, RandomSampler, TPESampler
from optuna.search_space import IntersectionSearchSpace
from optuna.trial import TrialState

from autometa._exceptions import ModelError, ParameterError
from autometa._validation import check_nonnegative_float, check_positive_int
from autometa.learners import Configuration, Learner, get_learner
from autometa.models import Adaptive, expected_improvement
from autometa.optuna._common import (
    model_configurations,
    resolve_metafeatures,
    resolve_model,
    resolve_task,
)
from autometa.optuna._space import (
    LEARNER_PARAM,
    MISSING,
    ParamNames,
    enqueued_params,
    map_value,
    resolve_learners,
    same_value,
)
from autometa.optuna._warm_start import MIN_DISTANCE, study_distributions

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution
    from optuna.study import Study
    from optuna.trial import FrozenTrial

    from autometa.models import MetaModel

__all__ = ["MetaSampler"]

logger = logging.getLogger(__name__)

CONFIG_ATTR = "autometa:config_id"
#: The trial's source: "zero-shot" and "adaptive" (the meta-model's choices), "explore" and
#: "fallback" (handed to the independent sampler), "warm_start" or "enqueued" (fixed).
SOURCE_ATTR = "autometa:source"
#: Study attributes: trials per source, and the share the meta-model chose.
SOURCES_ATTR = "autometa:sources"
SHARE_ATTR = "autometa:meta_share"
META_SOURCES = ("zero-shot", "adaptive")
#: How often a hand-off trial is resampled when the independent sampler proposes a
#: configuration the study has already run.
MAX_RESAMPLE = 20
#: Length-scale (RMS distance per encoded dimension) over which the surrogate's uncertainty
#: recovers away from a tried point.
LENGTH_SCALE = 0.1


def _duplicate(existing: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """Whether a trial with ``existing`` parameters runs ``params`` (same names, values
    equal as Optuna's ``enqueue_trial(skip_if_exists=True)`` compares them)."""
    return existing.keys() == params.keys() and all(
        same_value(existing[k], v) for k, v in params.items()
    )


def _check_single_objective(study: Study) -> None:
    if len(study.directions) > 1:
        raise ValueError(
            "MetaSampler supports single-objective studies only; this study has "
            f"{len(study.directions)} objectives. Use another sampler for it."
        )


OWNER = "MetaSampler"


@dataclass(frozen=True)
class _Settings:
    """The checked tuning parameters of a :class:`MetaSampler` (see its docstring)."""

    n_startup: int
    n_candidates: int
    explore_every: int
    min_distance: float
    startup_distance: float
    ei_tolerance: float
    adapt_steps: int | None

    @classmethod
    def check(
        cls,
        *,
        n_startup: Any,
        n_candidates: Any,
        explore_every: Any,
        min_distance: Any,
        startup_distance: Any,
        ei_tolerance: Any,
        adapt_steps: Any,
        independent_sampler: Any,
    ) -> _Settings:
        def is_int(value: Any) -> bool:
            return isinstance(value, int) and not isinstance(value, bool)

        n_startup = check_positive_int(n_startup, "n_startup", OWNER)
        if not is_int(n_candidates) or n_candidates < 0:
            raise ParameterError(
                f"The 'n_candidates' parameter of {OWNER} must be an int >= 0. "
                f"Got {n_candidates!r} instead."
            )
        if not is_int(explore_every) or explore_every < 0 or explore_every == 1:
            raise ParameterError(
                f"The 'explore_every' parameter of {OWNER} must be 0 (never) or an int "
                f">= 2. Got {explore_every!r} instead."
            )
        min_distance = check_nonnegative_float(min_distance, "min_distance", OWNER)
        startup_distance = check_nonnegative_float(startup_distance, "startup_distance", OWNER)
        ei_tolerance = check_nonnegative_float(ei_tolerance, "ei_tolerance", OWNER)
        if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
            raise ParameterError(
                f"The 'independent_sampler' parameter of {OWNER} must be an Optuna sampler "
                f"or None. Got {type(independent_sampler).__name__} instead."
            )
        return cls(
            n_startup=n_startup,
            n_candidates=n_candidates,
            explore_every=explore_every,
            min_distance=min_distance,
            startup_distance=startup_distance,
            ei_tolerance=ei_tolerance,
            adapt_steps=None
            if adapt_steps is None
            else check_positive_int(adapt_steps, "adapt_steps", OWNER),
        )


class MetaSampler(BaseSampler):
    """An Optuna sampler that starts from autometa's recommendations and adapts to the study.

    1. **Zero-shot**: the first ``n_startup`` trials are the top configurations of
       ``startup_model`` (by default the shipped ranker) for the data's meta-features,
       spread as :func:`~autometa.optuna.warm_start` spreads its trials: a configuration
       within ``startup_distance`` of one already tried of the same learner waits until
       the more distant ones have run (a ranker's top picks often cluster on one learner).
    2. **Adaptive**: before each later trial the meta-learned surrogate (the ``"maml"``
       model's initialization, :meth:`~autometa.models.MAMLSurrogate.adapt`) takes a
       few gradient steps on the trials seen so far and the next configuration is the one
       with the largest expected improvement (the surrogate's ensemble mean and spread)
       among the knowledge base's configurations not tried yet, plus ``n_candidates``
       random configurations (half drawn from the space, half around the best trial; their
       mean and variance are kernel averages over the pool configurations of the same
       learner). A meta-model that is not :class:`~autometa.models.Adaptive` keeps its
       static order.
    3. **Exploration**: every ``explore_every``-th trial after the zero-shot phase is left
       to ``independent_sampler`` (TPE by default, which sees every trial of the study), as
       SMAC interleaves random configurations with its model's: a surrogate trained on
       other datasets can be confidently wrong about this one, and these trials find out.
       When the model expects no improvement (largest expected improvement at most
       ``ei_tolerance`` times the spread of its predictions), the trial is left to the
       independent sampler too.

    Three rules keep the model-guided trials from circling the best trial so far (without
    them the sampler proposed the same configuration, or a slight variation of it, from
    the fourth trial on): candidates closer than ``min_distance`` to a tried configuration
    (root-mean-square distance per dimension of the learner registry's encoding: numeric
    values on the unit scale, categorical ones one-hot) are dropped; a candidate's
    uncertainty shrinks near tried configurations, by ``sqrt(1 - exp(-d^2 / (2 l^2)))``
    with ``l = LENGTH_SCALE = 0.1`` (a Gaussian process's posterior variance under a
    squared-exponential kernel); and the pool configurations already observed lend no
    variance to the random candidates around them (their outcome is known).

    The sampler proposes the learner parameter and the chosen learner's hyperparameters,
    named as in :func:`~autometa.optuna.search_space` (or through ``mapping``) and mapped
    onto the distributions the objective asks for (clipped, rounded, snapped, matched). Every
    other parameter, and any value that cannot be represented, comes from
    ``independent_sampler`` (TPE by default). The proposal of each trial is made in
    :meth:`before_trial` and served by :meth:`sample_relative` (parameters present in
    every trial) and :meth:`sample_independent` (the conditional ones).

    No trial runs twice: every proposal, mapped onto the study's distributions, is checked
    against the study's trials (enqueued and running ones included) and passed over if the
    study has run it; a hand-off trial's values are drawn from ``independent_sampler`` in
    :meth:`before_trial` and redrawn (up to 20 times, then 20 times at random) while they
    repeat a trial. (Values are compared as ``enqueue_trial(skip_if_exists=True)`` does;
    a finite space, once exhausted, repeats.)

    Where each trial came from is reported: :meth:`trial_source` (``"zero-shot"``,
    ``"adaptive"``: the meta-model's choices; ``"explore"``, ``"fallback"``: handed to
    ``independent_sampler``; ``"warm_start"``/``"enqueued"``: fixed parameters), written
    into the trial's user attribute ``"autometa:source"`` (and ``"autometa:config_id"``) by
    :func:`~autometa.optuna.suggest` or :meth:`annotate`; the study's user attributes
    ``"autometa:sources"`` (trials per source) and ``"autometa:meta_share"`` (share of the
    trials the meta-model chose) are updated after each trial. The hand-off policy is
    ``explore_every`` (interleaved hand-offs) and ``ei_tolerance`` (hand-offs when the
    model expects nothing); ``explore_every=0, ei_tolerance=0`` hands off only when the
    model has nothing new to propose.

    Only Optuna's public API is used; the proposals live in the sampler (a sampler serves
    one study at a time, as Optuna's own do).

    Failed and pruned trials are not proposed again; with an adaptive model they count as
    worse than every completed trial. Values are oriented by the study's direction. Trials
    enqueued with fixed parameters (e.g. by :func:`~autometa.optuna.warm_start`) are left
    as they are and their results are used like any other.

    Parameters
    ----------
    X, y : array-like, optional
        The data being tuned; used for its meta-features (and ``y`` for the task).
    metafeatures : Series, optional
        The data's meta-features, instead of X and y.
    task : {"classification", "regression"} or None, default=None
        None (or ``"auto"``, the same): inferred from ``y``.
    model : MetaModel, optional
        The meta-model; default: the shipped adaptive model of the task (``"maml"``).
    kb : KnowledgeBase, optional
        The knowledge base the model was trained on (for the configurations' parameters of a
        loaded model; default: the shipped one).
    learners : str, Learner or list of them, optional
        The learners the study tunes (default: every learner of the task). With a single
        learner, its bare hyperparameter names are recognized.
    mapping : dict of str to str, optional
        ``{our_name: their_name}`` for studies with other parameter names.
    learner_param : str, default="learner"
    n_startup : int, default=5
        Zero-shot trials before adaptation starts.
    startup_model : MetaModel, optional
        The ranker of the zero-shot trials, e.g. the greedy portfolio, whose top
        configurations cover several learners by construction; it must score the same
        knowledge base's configurations. Default: with the shipped ``model``, the shipped
        ranker of the task; with a given ``model``, that model. In the look-up benchmark
        (``benchmarks/README.md``) the portfolio's start lowered regret@10 from 0.025 to
        0.009 against the maml model's own zero-shot order.
    n_candidates : int, default=32
        Random configurations added to the candidate set (0 for the pool only).
    explore_every : int, default=3
        Every ``explore_every``-th trial after the zero-shot phase comes from
        ``independent_sampler`` (0: never).
    min_distance : float, default=0.05
        Candidates closer than this to a tried configuration are not proposed (RMS
        distance per dimension of the encoding; 0 drops exact duplicates only).
    startup_distance : float, default=0.3
        Zero-shot trials: configurations within this distance (the same measure) of a tried
        configuration of the same learner come after the others; 0 keeps the ranker's plain
        order. The default is :func:`~autometa.optuna.warm_start`'s ``min_distance``: in the
        live benchmark (``benchmarks/README.md``, "Optuna: live searches") the plain order
        spent the five zero-shot trials on one learner's near-twins, e.g. five SVRs where
        HistGradientBoosting was the answer.
    ei_tolerance : float, default=1e-3
        Below this expected improvement, relative to the standard deviation of the
        adapted predictions over the pool, the independent sampler takes the trial.
    adapt_steps : int, optional
        Gradient steps of adaptation (default: the model's own).
    independent_sampler : BaseSampler, optional
        For parameters the sampler does not know (default: ``TPESampler(seed=seed)``).
    seed : int or None, default=None
        Seeds the random candidates and the default independent sampler: the same seed, data
        and model give the same trials. Named ``seed``, not ``random_state`` as elsewhere in
        autometa, because every Optuna sampler takes ``seed`` (``TPESampler(seed=...)``):
        a ``MetaSampler`` replaces one without renaming.

    Examples
    --------
    >>> import optuna  # doctest: +SKIP
    >>> from autometa.optuna import MetaSampler, suggest  # doctest: +SKIP
    >>> sampler = MetaSampler(X=X, y=y, seed=0)  # doctest: +SKIP
    >>> study = optuna.create_study(direction="maximize", sampler=sampler)  # doctest: +SKIP
    >>> study.optimize(lambda t: cross_val_score(suggest(t, task="classification"), X, y).mean(),
    ...                n_trials=20)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        X: Any = None,
        y: Any = None,
        metafeatures: pd.Series | None = None,
        task: str | None = None,
        model: MetaModel | None = None,
        kb: Any = None,
        learners: str | Learner | Iterable[str | Learner] | None = None,
        mapping: Mapping[str, str] | None = None,
        learner_param: str = LEARNER_PARAM,
        n_startup: int = 5,
        startup_model: MetaModel | None = None,
        n_candidates: int = 32,
        explore_every: int = 3,
        min_distance: float = 0.05,
        startup_distance: float = MIN_DISTANCE,
        ei_tolerance: float = 1e-3,
        adapt_steps: int | None = None,
        independent_sampler: BaseSampler | None = None,
        seed: int | None = None,
    ) -> None:
        self._settings = _Settings.check(
            n_startup=n_startup,
            n_candidates=n_candidates,
            explore_every=explore_every,
            min_distance=min_distance,
            startup_distance=startup_distance,
            ei_tolerance=ei_tolerance,
            adapt_steps=adapt_steps,
            independent_sampler=independent_sampler,
        )
        self._seed = seed
        self._independent = independent_sampler or TPESampler(seed=seed)
        self.task = resolve_task(task, y, OWNER)
        self.metafeatures = resolve_metafeatures(X, y, self.task, metafeatures, OWNER)
        self.model = resolve_model(model, self.task, OWNER, role="adaptive")
        self._adaptive = isinstance(self.model, Adaptive)
        self._scope = resolve_learners(learners, self.task, owner=OWNER)
        self._names = ParamNames(self._scope, mapping, learner_param)
        self._set_pool(kb)
        self._zero_shot = self._zero_shot_order(startup_model, shipped=model is None)
        self._search_space = IntersectionSearchSpace()
        self._lock = threading.Lock()
        # per trial number: the proposals, the pick, the values a hand-off trial was
        # checked with, and where the trial came from
        self._proposals: dict[int, list[Configuration]] = {}
        self._picks: dict[int, Configuration] = {}
        self._fixed: dict[int, dict[str, tuple[BaseDistribution, Any]]] = {}
        self._sources: dict[int, str] = {}
        self._config_ids: dict[int, str] = {}

    def _set_pool(self, kb: Any) -> None:
        """The model's configurations of the learners in scope, and their encodings per
        learner (for distances between configurations)."""
        scope = {lrn.name for lrn in self._scope}
        configs = model_configurations(self.model, kb)
        self._configs = {cid: c for cid, c in configs.items() if c.learner in scope}
        self._by_params = {c.config_id: cid for cid, c in self._configs.items()}
        ids_of: dict[str, list[str]] = {}
        for cid, c in self._configs.items():
            ids_of.setdefault(c.learner, []).append(cid)
        self._encoded: dict[str, tuple[list[str], np.ndarray]] = {}
        for learner, ids in ids_of.items():
            lrn = get_learner(learner)
            self._encoded[learner] = (
                ids,
                np.array([lrn.encode(self._configs[c].params) for c in ids]),
            )

    def _zero_shot_order(self, startup_model: MetaModel | None, *, shipped: bool) -> list[str]:
        """The pool configurations in the order of the zero-shot trials: ``startup_model``'s;
        with the shipped models, the shipped ranker's (maml adapts afterwards); else the
        model's own."""
        if startup_model is not None:
            ranker = resolve_model(startup_model, self.task, OWNER + " (startup_model)")
        elif shipped:
            try:
                ranker = resolve_model(None, self.task, OWNER, role="ranker")
            except ModelError:
                ranker = self.model
        else:
            ranker = self.model
        return [c for c in ranker.rank(self.metafeatures) if c in self._configs]

    # -- Optuna hooks ---------------------------------------------------------------------------
    def reseed_rng(self) -> None:
        self._seed = int(np.random.SeedSequence().generate_state(1)[0])
        self._independent.reseed_rng()

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._independent.before_trial(study, trial)
        number = trial.number
        if len(study.directions) > 1:
            return
        if enqueued_params(trial) is not None:  # enqueued, e.g. by warm_start
            with self._lock:
                self._sources[number] = str(trial.user_attrs.get(SOURCE_ATTR, "enqueued"))
            return
        with self._lock:
            dists = study_distributions(study)
            existing = self._existing(study, dists)
            proposals, phase = self._propose(study, trial)
            # No proposal the study has already run, once mapped onto its distributions.
            proposals = [p for p in proposals if not self._runs_again(p, dists, existing)]
            if not proposals and phase in META_SOURCES:
                phase = "fallback"
            self._sources[number] = phase
            if proposals:
                self._proposals[number] = proposals
                self._picks[number] = proposals[0]
                self._config_ids[number] = self._pool_id(proposals[0])
        if not proposals:  # the independent sampler's trial, checked for duplicates
            fixed = self._handoff(study, trial, dists, existing)
            with self._lock:
                self._fixed[number] = fixed

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        number = trial.number
        with self._lock:
            self._proposals.pop(number, None)
            self._fixed.pop(number, None)
            pick = self._picks.pop(number, None)
            if pick is not None:  # the final pick (the objective may have fixed the learner)
                self._config_ids[number] = self._pool_id(pick)
        if len(study.directions) == 1:
            self._report(study)
        self._independent.after_trial(study, trial, state, values)

    # -- where trials come from ---------------------------------------------------------------
    def trial_source(self, number: int) -> str | None:
        """Where trial ``number`` of the study came from (None: not seen by this sampler).

        ``"zero-shot"`` and ``"adaptive"`` are the meta-model's choices; ``"explore"`` and
        ``"fallback"`` were handed to the independent sampler (interleaved, or because the
        model expected no improvement or had nothing new to propose); ``"warm_start"`` (or
        ``"enqueued"``) trials had fixed parameters. :func:`~autometa.optuna.suggest` also
        writes it into the trial's user attribute ``"autometa:source"``.
        """
        with self._lock:
            return self._sources.get(number)

    def trial_config_id(self, number: int) -> str | None:
        """The pool configuration the meta-model chose for trial ``number``, if any."""
        with self._lock:
            return self._config_ids.get(number)

    def annotate(self, trial: Any) -> None:
        """Write the source (and chosen configuration) of a running ``trial`` into its user
        attributes ``"autometa:source"`` and ``"autometa:config_id"``.

        :func:`~autometa.optuna.suggest` calls it; an objective that suggests its
        parameters itself may call it at its end: ``study.sampler.annotate(trial)``.
        """
        with self._lock:
            pick = self._picks.get(trial.number)
            if pick is not None:
                self._config_ids[trial.number] = self._pool_id(pick)
            source = self._sources.get(trial.number)
            cid = self._config_ids.get(trial.number)
        if source is not None and SOURCE_ATTR not in trial.user_attrs:
            trial.set_user_attr(SOURCE_ATTR, source)
        if cid is not None:
            trial.set_user_attr(CONFIG_ATTR, cid)

    def _source_of(self, trial: FrozenTrial) -> str | None:
        source = self._sources.get(trial.number)
        if source is None:
            source = trial.user_attrs.get(SOURCE_ATTR)
        if source is None and enqueued_params(trial) is not None:
            source = "enqueued"
        return None if source is None else str(source)

    def _report(self, study: Study) -> None:
        """Trials per source and the meta-model's share, in the study's user attributes."""
        counts: dict[str, int] = {}
        with self._lock:
            for t in study.get_trials(deepcopy=False):
                if t.state == TrialState.WAITING:
                    continue
                source = self._source_of(t) or "other"
                counts[source] = counts.get(source, 0) + 1
        total = sum(counts.values())
        share = sum(counts.get(s, 0) for s in META_SOURCES) / total if total else 0.0
        study.set_user_attr(SOURCES_ATTR, counts)
        study.set_user_attr(SHARE_ATTR, round(share, 4))

    # -- no duplicates --------------------------------------------------------------------------
    def _existing(
        self, study: Study, dists: Mapping[str, BaseDistribution]
    ) -> list[dict[str, Any]]:
        """The known parameters of every trial of the study (enqueued ones too), and of the
        proposals of the trials running now."""
        out = []
        for t in study.get_trials(deepcopy=False):
            params = enqueued_params(t) or t.params
            if t.state == TrialState.RUNNING and t.number in self._fixed:
                params = {k: v for k, (_, v) in self._fixed[t.number].items()}
            elif t.state == TrialState.RUNNING and t.number in self._picks:
                params = self._names.to_study(self._picks[t.number], dists) or {}
            known = {k: v for k, v in params.items() if self._names.resolve(k) is not None}
            if known:
                out.append(known)
        return out

    def _runs_again(
        self,
        config: Configuration,
        dists: Mapping[str, BaseDistribution],
        existing: Sequence[Mapping[str, Any]],
    ) -> bool:
        """Whether ``config``, mapped onto the study's distributions, is a trial it has run."""
        params = self._names.to_study(config, dists) if dists else None
        return bool(params) and any(_duplicate(e, params) for e in existing)  # type: ignore[arg-type]

    def _handoff(
        self,
        study: Study,
        trial: FrozenTrial,
        dists: Mapping[str, BaseDistribution],
        existing: Sequence[Mapping[str, Any]],
    ) -> dict[str, tuple[BaseDistribution, Any]]:
        """The independent sampler's values of the parameters autometa knows, resampled
        (then drawn at random) while they repeat a trial of the study.

        Parameters the study has not suggested yet are left to the independent sampler at
        trial time.
        """
        known = {n: d for n, d in dists.items() if self._names.resolve(n) is not None}
        if not known:
            return {}
        fallback = RandomSampler(seed=None if self._seed is None else self._seed + trial.number)
        params: dict[str, Any] = {}
        for attempt in range(2 * MAX_RESAMPLE):
            sampler = self._independent if attempt < MAX_RESAMPLE else fallback
            params = {}
            learner = None
            if self._names.learner_param in known:
                name = self._names.learner_param
                params[name] = sampler.sample_independent(study, trial, name, known[name])
                lrn = self._names.learner_value(params[name])
                learner = None if lrn is None else lrn.name
            for name, dist in known.items():
                key = self._names.resolve(name)
                if isinstance(key, tuple) and (learner is None or key[0] == learner):
                    params[name] = sampler.sample_independent(study, trial, name, dist)
            if not any(_duplicate(e, params) for e in existing):
                break
            logger.debug("trial %d: the independent sampler repeated a trial", trial.number)
        return {name: (known[name], value) for name, value in params.items()}

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if len(study.directions) > 1:
            return {}
        space = self._search_space.calculate(study)
        return {
            name: dist
            for name, dist in space.items()
            if not dist.single() and self._names.resolve(name) is not None
        }

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        _check_single_objective(study)
        out: dict[str, Any] = {}
        for name, dist in search_space.items():
            value = self._value(trial, name, dist, repick=False)
            if value is MISSING and self._names.resolve(name) is None:
                value = self._independent.sample_independent(study, trial, name, dist)
            if value is not MISSING:
                out[name] = value
        return out

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        _check_single_objective(study)
        value = self._value(trial, param_name, param_distribution)
        if value is MISSING:
            return self._independent.sample_independent(
                study, trial, param_name, param_distribution
            )
        return value

    # -- serving the proposal -----------------------------------------------------------------
    def _value(
        self, trial: FrozenTrial, name: str, dist: BaseDistribution, repick: bool = True
    ) -> Any:
        key = self._names.resolve(name)
        if key is None:
            return MISSING
        number = trial.number
        with self._lock:
            fixed = self._fixed.get(number, {})
            if name in fixed and fixed[name][0] == dist:
                return fixed[name][1]
            pick = self._picks.get(number)
            if pick is None:
                return MISSING
            if key == LEARNER_PARAM:
                value = map_value(pick.learner, dist)
                if value is MISSING:
                    # The study restricts the learners: take its best proposal it allows.
                    for other in self._proposals.get(number, []):
                        value = map_value(other.learner, dist)
                        if value is not MISSING:
                            self._picks[number] = other
                            break
                return value
            assert isinstance(key, tuple)
            learner, hp = key
            if pick.learner != learner:
                if not repick:  # relative sampling: the trial may not use this learner
                    return MISSING
                # The trial runs another learner (fixed by the objective or the study):
                # take the best proposal of that learner.
                pick = next(
                    (p for p in self._proposals.get(number, []) if p.learner == learner),
                    None,
                )
                if pick is None:
                    return MISSING
                self._picks[number] = pick
        return map_value(pick.params[hp], dist)

    # -- proposing ------------------------------------------------------------------------------
    def _rng(self, trial: FrozenTrial) -> np.random.Generator:
        if self._seed is None:
            return np.random.default_rng()
        return np.random.default_rng([int(self._seed) & 0xFFFFFFFF, trial.number])

    def _pool_id(self, config: Configuration) -> str:
        """The id of the pool configuration equal or nearest to ``config`` (same learner)."""
        cid = self._by_params.get(config.config_id)
        if cid is not None:
            return cid
        ids, matrix = self._encoded[config.learner]
        x = get_learner(config.learner).encode(config.params)
        return ids[int(np.argmin(((matrix - x) ** 2).sum(axis=1)))]

    def _observations(
        self, study: Study
    ) -> tuple[dict[str, float], set[str], dict[str, list[np.ndarray]], int]:
        """What the study has tried so far.

        Returns the oriented values per pool configuration (NaN = failed/pruned), the ids
        of the pool configurations tried, the encoded points tried per learner (the trials'
        own parameters, so that values snapped by the study count as they ran) and the
        number of trials proposed after the zero-shot phase.
        """
        sign = 1.0 if study.direction.name == "MAXIMIZE" else -1.0
        observed: dict[str, float] = {}
        tried: set[str] = set()
        points: dict[str, list[np.ndarray]] = {}
        n_after = 0
        for t in study.get_trials(deepcopy=False):
            if self._source_of(t) in ("adaptive", "explore", "fallback"):
                n_after += 1
            config = self._names.from_study(t.params) if t.params else None
            if config is not None and config.learner in self._encoded:
                points.setdefault(config.learner, []).append(
                    get_learner(config.learner).encode(config.params)
                )
            # The configuration proposed for the trial, else the pool's nearest to its params.
            cid = self._config_ids.get(t.number, t.user_attrs.get(CONFIG_ATTR))
            if cid not in self._configs:
                if config is None or config.learner not in self._encoded:
                    continue
                cid = self._pool_id(config)
            tried.add(cid)
            if t.state == TrialState.COMPLETE and t.value is not None:
                v = sign * float(t.value)
                observed[cid] = max(observed.get(cid, -math.inf), v)
            elif t.state in (TrialState.FAIL, TrialState.PRUNED):
                observed.setdefault(cid, math.nan)
        for pick in self._picks.values():  # trials running now
            tried.add(self._pool_id(pick))
            points.setdefault(pick.learner, []).append(
                get_learner(pick.learner).encode(pick.params)
            )
        return observed, tried, points, n_after

    def _distance_to_tried(
        self, config: Configuration, points: Mapping[str, list[np.ndarray]]
    ) -> float:
        """RMS distance per encoded dimension to the nearest tried point of the learner."""
        tried = points.get(config.learner)
        if not tried:
            return math.inf
        x = get_learner(config.learner).encode(config.params)
        d2 = ((np.asarray(tried) - x) ** 2).mean(axis=1)
        return math.sqrt(float(d2.min()))

    def _propose(self, study: Study, trial: FrozenTrial) -> tuple[list[Configuration], str]:
        observed, tried, points, n_after = self._observations(study)
        n_complete = sum(1 for v in observed.values() if not math.isnan(v))
        if not self._adaptive or n_complete < self._settings.n_startup:
            order = [self._configs[c] for c in self._zero_shot if c not in tried]
            limit = self._settings.startup_distance
            far = [self._distance_to_tried(c, points) > limit for c in order]
            spread = [c for c, f in zip(order, far) if f] + [c for c, f in zip(order, far) if not f]
            return spread, "zero-shot"
        # Interleaved exploration (as SMAC interleaves random configurations): every
        # explore_every-th trial after the zero-shot phase is the independent sampler's.
        if (
            self._settings.explore_every
            and n_after % self._settings.explore_every == self._settings.explore_every - 1
        ):
            return [], "explore"
        kwargs = {} if self._settings.adapt_steps is None else {"steps": self._settings.adapt_steps}
        assert isinstance(self.model, Adaptive)
        adapted = self.model.adapt(self.metafeatures, observed, **kwargs)
        pred = adapted.predict(self.metafeatures)
        ids = list(self._configs)
        mean = pred.mean.iloc[0].reindex(ids).to_numpy(dtype=np.float64)
        std = (
            np.zeros_like(mean)
            if pred.std is None
            else pred.std.iloc[0].reindex(ids).to_numpy(dtype=np.float64)
        )
        pos = {cid: i for i, cid in enumerate(ids)}
        seen = [pos[c] for c, v in observed.items() if c in pos and not math.isnan(v)]
        best = float(mean[seen].max()) if seen else float(mean.max())
        candidates: list[Configuration] = []
        cand_mean: list[float] = []
        cand_std: list[float] = []
        for cid in ids:
            if cid in tried:
                continue
            candidates.append(self._configs[cid])
            cand_mean.append(mean[pos[cid]])
            cand_std.append(std[pos[cid]])
        # Off-pool candidates borrow mean and variance from their pool neighbours; the
        # neighbours already observed have no variance left (their outcome is known), so a
        # candidate next to a tried configuration is as certain as it.
        known = std.copy()
        known[[pos[c] for c in observed if c in pos]] = 0.0
        for c in self._random_candidates(study, trial, observed):
            m, s = self._interpolate(c, mean, known, pos)
            candidates.append(c)
            cand_mean.append(m)
            cand_std.append(s)
        distances = [self._distance_to_tried(c, points) for c in candidates]
        # No (near-)duplicates of what was tried.
        keep = [i for i, d in enumerate(distances) if d > self._settings.min_distance]
        if not keep:
            return [], "fallback"
        candidates = [candidates[i] for i in keep]
        d = np.array([distances[i] for i in keep])
        cand_mean = [cand_mean[i] for i in keep]
        cand_std = [cand_std[i] for i in keep]
        # The surrogate knows nothing of a trial's own outcome beyond the pool: its
        # uncertainty shrinks near tried points as a Gaussian process's does (squared-
        # exponential kernel on the encoding, length-scale LENGTH_SCALE per dimension).
        shrink = np.sqrt(1.0 - np.exp(-0.5 * (d / LENGTH_SCALE) ** 2))
        ei = expected_improvement(
            np.array(cand_mean, dtype=np.float64),
            best,
            std=np.array(cand_std, dtype=np.float64) * shrink,
        )
        # Nothing left that the model expects to improve on: the independent sampler.
        scale = float(np.std(mean)) if mean.size > 1 else 0.0
        if not np.isfinite(ei).any() or float(np.nanmax(ei)) <= self._settings.ei_tolerance * scale:
            return [], "fallback"
        return [candidates[int(i)] for i in np.argsort(-ei, kind="stable")], "adaptive"

    def _random_candidates(
        self, study: Study, trial: FrozenTrial, observed: Mapping[str, float]
    ) -> list[Configuration]:
        if self._settings.n_candidates == 0:
            return []
        rng = self._rng(trial)
        learners = [get_learner(name) for name in self._encoded]
        out = []
        n_global = self._settings.n_candidates - self._settings.n_candidates // 2
        for _ in range(n_global):
            lrn = learners[int(rng.integers(len(learners)))]
            out.append(
                Configuration(lrn.name, {hp.name: hp.from_unit(rng.random()) for hp in lrn.space})
            )
        finite = {c: v for c, v in observed.items() if not math.isnan(v)}
        if finite:
            best = self._configs[max(finite, key=finite.__getitem__)]
            lrn = get_learner(best.learner)
            for _ in range(self._settings.n_candidates // 2):
                params = {}
                for hp in lrn.space:
                    if hp.kind == "categorical":
                        value = (
                            hp.from_unit(rng.random())
                            if rng.random() < 0.2
                            else best.params[hp.name]
                        )
                    else:
                        u = hp.to_unit(best.params[hp.name])
                        u = rng.random() if math.isnan(u) else u + rng.normal(scale=0.1)
                        value = hp.from_unit(min(max(u, 0.0), 1.0))
                    params[hp.name] = value
                out.append(Configuration(lrn.name, params))
        return out

    def _interpolate(
        self,
        config: Configuration,
        mean: np.ndarray,
        std: np.ndarray,
        pos: Mapping[str, int],
    ) -> tuple[float, float]:
        """Mean and spread of a configuration outside the pool, from its pool neighbours.

        Gaussian-kernel averages, over the encoded configurations of the same learner, of
        the adapted mean and of the variance.
        """
        ids, matrix = self._encoded[config.learner]
        x = get_learner(config.learner).encode(config.params)
        d2 = ((matrix - x) ** 2).sum(axis=1)
        scale = 0.1 * matrix.shape[1]
        w = np.exp(-(d2 - d2.min()) / scale)
        w /= w.sum()
        idx = [pos[c] for c in ids]
        m = float(w @ mean[idx])
        return m, math.sqrt(float(w @ std[idx] ** 2))
