"""Search spaces as Optuna distributions, and the mapping between Optuna parameters and
configurations of the learner registry.

Naming
------
One learner, e.g. ``search_space("SVC")``
    The learner's own hyperparameter names: ``{"C": ..., "gamma": ..., "class_weight": ...}``.
Several learners (the conditional space), e.g. ``search_space(["SVC", "LogisticRegression"])``
    A categorical parameter ``"learner"`` whose choices are registry names, and each
    learner's hyperparameters prefixed by the learner name and two underscores:
    ``"SVC__C"``, ``"LogisticRegression__C"``. A trial suggests only the parameters of the
    learner it picked (the space is conditional).

Studies that use other names are mapped with ``mapping={our_name: their_name}``, where
``our_name`` is ``"learner"``, a prefixed name ``"SVC__C"``, or, for a single learner, a
bare name ``"C"``.

Values are mapped onto a study's distributions by :func:`map_value`: floats are clipped
into range (respecting ``log``) and snapped to ``step``, ints are rounded, clipped and
snapped, categorical values are matched exactly, else by their string form; a value that
cannot be represented (e.g. ``gamma="scale"`` for a float distribution) is left to the
sampler.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from autometa._exceptions import ParameterError
from autometa.learners import Configuration, Learner, get_learner, learners_for

if TYPE_CHECKING:
    import optuna
    from optuna.distributions import BaseDistribution
    from sklearn.pipeline import Pipeline

__all__ = [
    "LEARNER_PARAM",
    "SEPARATOR",
    "ParamNames",
    "enqueued_params",
    "map_value",
    "same_value",
    "param_name",
    "resolve_learners",
    "search_space",
    "suggest",
]

LEARNER_PARAM = "learner"
SEPARATOR = "__"


class _Missing:
    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "MISSING"


MISSING: Any = _Missing()


def param_name(learner: str, hyperparameter: str) -> str:
    """The name of a hyperparameter in the conditional space: ``"SVC__C"``."""
    return f"{learner}{SEPARATOR}{hyperparameter}"


def resolve_learners(
    learners: str | Learner | Iterable[str | Learner] | None,
    task: str | None = None,
    *,
    owner: str = "search_space",
) -> list[Learner]:
    """Registry learners from names, :class:`Learner` objects or a task."""
    if learners is None:
        if task is None:
            raise ParameterError(
                f"{owner} needs the 'learners' or the 'task' parameter. Got neither. Pass "
                "learners=['RandomForestClassifier', ...] or task='classification'."
            )
        return learners_for(task)
    items = [learners] if isinstance(learners, (str, Learner)) else list(learners)
    if not items:
        raise ParameterError(
            f"The 'learners' parameter of {owner} must name at least one learner. "
            "Got an empty list instead."
        )
    out = [x if isinstance(x, Learner) else get_learner(str(x)) for x in items]
    if task is not None:
        wrong = [lrn.name for lrn in out if lrn.task != task]
        if wrong:
            raise ParameterError(
                f"The learners {wrong} given to {owner} are not {task} learners. "
                f"Pass learners of task '{task}'."
            )
    return list({lrn.name: lrn for lrn in out}.values())


def search_space(
    learners: str | Learner | Iterable[str | Learner] | None = None,
    *,
    task: str | None = None,
    learner_param: str = LEARNER_PARAM,
) -> dict[str, BaseDistribution]:
    """Optuna distributions of one learner, or the conditional space of several.

    Parameters
    ----------
    learners : str, Learner, or list of them, optional
        One learner (a registry name): its hyperparameters under their own names. A list:
        the conditional space (a categorical ``learner_param`` and every learner's
        hyperparameters prefixed ``"<learner>__"``). None: every learner of ``task``.
    task : {"classification", "regression"}, optional
        Needed when ``learners`` is None.
    learner_param : str, default="learner"
        Name of the categorical learner parameter of the conditional space.

    Returns
    -------
    dict of str to BaseDistribution
        Special values of numeric hyperparameters (``gamma="scale"`` of SVC) are not part of
        the distributions.

    Examples
    --------
    >>> from autometa.optuna import search_space
    >>> sorted(search_space("LogisticRegression"))
    ['C', 'class_weight']
    >>> space = search_space(["LogisticRegression", "SVC"])
    >>> space["learner"].choices
    ('LogisticRegression', 'SVC')
    >>> space["SVC__C"]
    FloatDistribution(high=1000.0, log=True, low=0.001, step=None)
    """
    if isinstance(learners, (str, Learner)):
        return (learners if isinstance(learners, Learner) else get_learner(learners)).optuna_space()
    from optuna.distributions import CategoricalDistribution

    resolved = resolve_learners(learners, task)
    space: dict[str, BaseDistribution] = {
        learner_param: CategoricalDistribution([lrn.name for lrn in resolved])
    }
    for lrn in resolved:
        for name, dist in lrn.optuna_space().items():
            space[param_name(lrn.name, name)] = dist
    return space


def suggest(
    trial: optuna.trial.BaseTrial,
    learners: str | Learner | Iterable[str | Learner] | None = None,
    *,
    task: str | None = None,
    learner_param: str = LEARNER_PARAM,
    random_state: int | None = 0,
) -> Pipeline:
    """Sample a learner and its hyperparameters in ``trial``; return a ready-to-fit pipeline.

    The names are those of :func:`search_space`: with one learner its own hyperparameter
    names, with several a categorical ``"learner"`` and prefixed names (only the chosen
    learner's are suggested). The chosen learner is recorded as the trial's user attribute
    ``"learner"``; under a :class:`~autometa.optuna.MetaSampler`, the trial's source too
    (``"autometa:source"``, see :meth:`~autometa.optuna.MetaSampler.trial_source`).

    Parameters
    ----------
    trial : optuna.trial.Trial
    learners : str, Learner, or list of them, optional
        As in :func:`search_space`; default every learner of ``task``.
    task : {"classification", "regression"}, optional
    learner_param : str, default="learner"
    random_state : int or None, default=0
        Passed to the estimator.

    Returns
    -------
    Pipeline
        The learner's ``Pipeline([("preprocess", ...), ("model", ...)])``, accepting raw
        DataFrames.

    Examples
    --------
    >>> import optuna
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_val_score
    >>> from autometa.optuna import suggest
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> def objective(trial):
    ...     pipe = suggest(trial, ["LogisticRegression", "KNeighborsClassifier"])
    ...     return cross_val_score(pipe, X, y, cv=3).mean()
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(direction="maximize")
    >>> study.optimize(objective, n_trials=3)
    >>> study.best_trial.user_attrs["learner"] in ("LogisticRegression", "KNeighborsClassifier")
    True
    """
    if isinstance(learners, (str, Learner)):
        learner = learners if isinstance(learners, Learner) else get_learner(learners)
        prefix = ""
    else:
        resolved = resolve_learners(learners, task, owner="suggest")
        name = trial.suggest_categorical(learner_param, [lrn.name for lrn in resolved])
        learner = get_learner(str(name))
        prefix = learner.name + SEPARATOR
    params = {}
    for hp, dist in learner.optuna_space().items():
        value = _suggest_one(trial, prefix + hp, dist)
        params[hp] = value
    trial.set_user_attr("learner", learner.name)
    from optuna.trial import Trial

    from autometa.optuna._sampler import MetaSampler

    # where the trial came from, in its user_attrs (a FixedTrial has no study)
    if isinstance(trial, Trial) and isinstance(trial.study.sampler, MetaSampler):
        trial.study.sampler.annotate(trial)
    return learner.make_pipeline(params, random_state=random_state)


def _suggest_one(trial: optuna.trial.BaseTrial, name: str, dist: BaseDistribution) -> Any:
    from optuna.distributions import CategoricalDistribution, IntDistribution

    if isinstance(dist, CategoricalDistribution):
        return trial.suggest_categorical(name, list(dist.choices))
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log)
    return trial.suggest_float(name, dist.low, dist.high, log=dist.log)  # type: ignore[attr-defined]


# -------------------------------------------------------------------------------------------
# values
def _same(a: Any, b: Any) -> bool:
    """Equality that does not confuse True with 1, None with NaN or "1" with 1."""
    if a is None or b is None:
        return a is b
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return isinstance(a, (bool, np.bool_)) and isinstance(b, (bool, np.bool_)) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return bool(a == b)


def same_value(a: Any, b: Any) -> bool:
    """Equal as Optuna's ``enqueue_trial(skip_if_exists=True)`` compares (numbers: isclose)."""
    numbers = (int, float, np.integer, np.floating)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        return bool(np.isclose(float(a), float(b), atol=0.0, equal_nan=True))
    return bool(a == b)


def enqueued_params(trial: optuna.trial.FrozenTrial) -> dict[str, Any] | None:
    """The parameters a trial was enqueued with (``study.enqueue_trial``), else None.

    Optuna keeps them in the trial's public ``system_attrs`` under ``"fixed_params"``; this
    is the one place autometa reads that key.
    """
    fixed = trial.system_attrs.get("fixed_params")
    return None if fixed is None else dict(fixed)


def out_of_range(value: Any, dist: BaseDistribution) -> bool:
    """Whether a numeric ``value`` lies outside a numeric distribution's ``[low, high]``."""
    from optuna.distributions import FloatDistribution, IntDistribution

    if not isinstance(dist, (FloatDistribution, IntDistribution)) or isinstance(value, bool):
        return False
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    low, high = dist.low, dist.high
    tol = 1e-9 * max(1.0, abs(low), abs(high))
    return v < low - tol or v > high + tol


def _is_number(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    return math.isfinite(float(value))


def map_value(value: Any, distribution: BaseDistribution) -> Any:
    """``value`` as a member of ``distribution``, or :data:`MISSING` when impossible.

    * float: clipped into ``[low, high]`` and snapped to ``step``;
    * int: rounded, clipped and snapped to ``step`` (log ranges are clipped the same way);
    * categorical: the choice equal to ``value`` (``True`` does not match ``1``), else the
      choice with the same string form (``"0.5"`` matches ``0.5``), else :data:`MISSING`.
    Non-numeric values for numeric distributions (``"scale"``, None) are :data:`MISSING`.
    """
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if isinstance(distribution, CategoricalDistribution):
        for choice in distribution.choices:
            if _same(value, choice):
                return choice
        text = str(value)
        for choice in distribution.choices:
            if str(choice) == text:
                return choice
        return MISSING
    if not _is_number(value):
        return MISSING
    v = float(value)
    if isinstance(distribution, IntDistribution):
        low, high, step = distribution.low, distribution.high, distribution.step
        k = round((min(max(v, low), high) - low) / step)
        out = low + int(k) * step
        while out > high:
            out -= step
        return int(out)
    if isinstance(distribution, FloatDistribution):
        flow, fhigh = float(distribution.low), float(distribution.high)
        v = min(max(v, flow), fhigh)
        if distribution.step is not None:
            fstep = float(distribution.step)
            k = round((v - flow) / fstep)
            v = flow + k * fstep
            while v > fhigh + 1e-12:
                v -= fstep
            v = min(max(v, flow), fhigh)
        return float(v)
    return MISSING  # pragma: no cover - no other distribution in Optuna


def _to_registry_value(learner: Learner, hp_name: str, value: Any) -> Any:
    """A study's value as a value of the registry's hyperparameter, or MISSING."""
    hp = learner.hyperparameter(hp_name)
    if hp.kind == "categorical":
        for choice in hp.choices:
            if _same(value, choice):
                return choice
        for choice in hp.choices:
            if str(choice) == str(value):
                return choice
        return MISSING
    for special in hp.specials:
        if _same(value, special):
            return special
    if isinstance(value, (tuple, list)) and len(value) == 1:  # hidden_layer_sizes=(100,)
        value = value[0]
    if not _is_number(value):
        return MISSING
    assert hp.low is not None and hp.high is not None
    v = min(max(float(value), hp.low), hp.high)
    return int(round(v)) if hp.kind == "int" else v


# -------------------------------------------------------------------------------------------
# names
class ParamNames:
    """Which Optuna parameter of a study is which hyperparameter of which learner.

    Parameters
    ----------
    learners : list of Learner
        The learners in scope.
    mapping : dict of str to str, optional
        ``{our_name: their_name}``; ``our_name`` is ``"learner"``, ``"<Learner>__<hp>"``
        or, with a single learner in scope, a bare hyperparameter name.
    learner_param : str, default="learner"
        The name of the study's categorical learner parameter (``mapping["learner"]``
        wins when both are given).
    """

    def __init__(
        self,
        learners: Sequence[Learner],
        mapping: Mapping[str, str] | None = None,
        learner_param: str = LEARNER_PARAM,
    ) -> None:
        self.learners = {lrn.name: lrn for lrn in learners}
        mapping = dict(mapping or {})
        for key, value in mapping.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ParameterError(
                    "The 'mapping' parameter must map our parameter names (str) to the "
                    f"study's names (str). Got {key!r}: {value!r} instead."
                )
        self.learner_param = mapping.pop(LEARNER_PARAM, learner_param)
        self._single = next(iter(self.learners.values())) if len(self.learners) == 1 else None
        self._forward: dict[tuple[str, str], str] = {}
        for ours, theirs in mapping.items():
            parsed = self._parse_ours(ours)
            if parsed is None:
                raise ParameterError(
                    f"The 'mapping' parameter has the key {ours!r}, which is not 'learner', "
                    "'<learner>__<hyperparameter>' of a learner in scope, or (with one "
                    f"learner) one of its hyperparameters. Learners in scope: "
                    f"{list(self.learners)}."
                )
            self._forward[parsed] = theirs
        self._inverse = {theirs: key for key, theirs in self._forward.items()}

    def _parse_ours(self, name: str) -> tuple[str, str] | None:
        learner, sep, hp = name.partition(SEPARATOR)
        if sep and learner in self.learners and hp in self.learners[learner].param_names:
            return learner, hp
        if self._single is not None and name in self._single.param_names:
            return self._single.name, name
        return None

    def resolve(self, name: str) -> tuple[str, str] | str | None:
        """``"learner"`` for the learner parameter, ``(learner, hp)``, or None if unknown."""
        if name == self.learner_param:
            return LEARNER_PARAM
        if name in self._inverse:
            return self._inverse[name]
        return self._parse_ours(name)

    def study_names(self, learner: str, hp: str) -> list[str]:
        """Names the study may use for ``hp`` of ``learner``, most specific first."""
        if (learner, hp) in self._forward:
            return [self._forward[(learner, hp)]]
        names = [param_name(learner, hp)]
        if self._single is not None and self._single.name == learner:
            names.append(hp)
        return names

    def learner_value(self, value: Any) -> Learner | None:
        """The learner in scope that a value of the learner parameter names."""
        text = str(value)
        return self.learners.get(text)

    # -- configurations <-> study parameters ---------------------------------------------
    def to_study(
        self, config: Configuration, distributions: Mapping[str, BaseDistribution]
    ) -> dict[str, Any] | None:
        """``config`` as the study's parameters, mapped onto ``distributions``.

        Parameters the study does not have, or whose value cannot be represented, are left
        out (the study's sampler picks them). None when the study cannot run the learner.
        """
        mapped = self.map_config(config, distributions)
        return None if mapped is None else mapped[0]

    def map_config(
        self, config: Configuration, distributions: Mapping[str, BaseDistribution]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None:
        """:meth:`to_study` with what it changed: ``(params, clipped, dropped)``.

        ``clipped`` maps a study parameter to the configuration's value that lay outside
        its range; ``dropped`` maps a hyperparameter (our name) to its value where the
        study has no such parameter or cannot hold the value. None when the study cannot
        run the learner.
        """
        params: dict[str, Any] = {}
        clipped: dict[str, Any] = {}
        dropped: dict[str, Any] = {}
        if self.learner_param in distributions:
            value = map_value(config.learner, distributions[self.learner_param])
            if value is MISSING:
                return None
            params[self.learner_param] = value
        elif not self.study_has_learner(config.learner, distributions):
            return None
        for hp, value in config.params.items():
            name = next(
                (n for n in self.study_names(config.learner, hp) if n in distributions), None
            )
            mapped = MISSING if name is None else map_value(value, distributions[name])
            if name is None or mapped is MISSING:
                dropped[hp] = value
                continue
            params[name] = mapped
            if out_of_range(value, distributions[name]):
                clipped[name] = value
        return params, clipped, dropped

    def rename_space(self, space: Mapping[str, BaseDistribution]) -> dict[str, Any]:
        """autometa's search space under the study's names (``mapping``, ``learner_param``)."""
        out: dict[str, Any] = {}
        for ours, dist in space.items():
            key = self.resolve(ours)
            if key == LEARNER_PARAM:
                out[self.learner_param] = dist
            elif isinstance(key, tuple) and key in self._forward:
                out[self._forward[key]] = dist
            else:
                out[ours] = dist
        return out

    def mapped_names(self, learners: Iterable[str]) -> dict[str, str]:
        """``{their_name: our_name}`` of the mapping's entries for ``learners``."""
        scope = set(learners)
        return {
            theirs: f"{learner}{SEPARATOR}{hp}" if len(self.learners) > 1 else hp
            for (learner, hp), theirs in self._forward.items()
            if learner in scope
        }

    def study_has_learner(
        self, learner: str, distributions: Mapping[str, BaseDistribution]
    ) -> bool:
        """Whether a study without a learner parameter tunes ``learner``."""
        if self.learner_param in distributions:
            return map_value(learner, distributions[self.learner_param]) is not MISSING
        if self._single is not None:
            return self._single.name == learner
        return any(
            isinstance(r, tuple) and r[0] == learner
            for r in (self.resolve(n) for n in distributions)
        )

    def from_study(self, params: Mapping[str, Any]) -> Configuration | None:
        """The registry configuration of a trial's parameters (missing ones get defaults).

        None when the learner cannot be told: no learner parameter (or an unknown value) and
        not exactly one learner in scope or named by the parameters.
        """
        learner: Learner | None = None
        if self.learner_param in params:
            learner = self.learner_value(params[self.learner_param])
            if learner is None:
                return None
        hps: dict[str, dict[str, Any]] = {}
        for name, value in params.items():
            key = self.resolve(name)
            if isinstance(key, tuple):
                hps.setdefault(key[0], {})[key[1]] = value
        if learner is None:
            if self._single is not None:
                learner = self._single
            elif len(hps) == 1:
                learner = self.learners[next(iter(hps))]
            else:
                return None
        out = {}
        for hp, value in hps.get(learner.name, {}).items():
            mapped = _to_registry_value(learner, hp, value)
            if mapped is not MISSING:
                out[hp] = mapped
        return Configuration(learner.name, out)
