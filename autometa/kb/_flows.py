"""Mapping OpenML flows and their parameter settings onto the learner registry.

OpenML names a scikit-learn flow by the import path of its class at upload time
(``sklearn.ensemble.forest.RandomForestClassifier``; since scikit-learn 0.22
``sklearn.ensemble._forest.RandomForestClassifier``), optionally followed by its
components (``sklearn.pipeline.Pipeline(imputer=...,estimator=...)``) and, in listings,
by a version suffix (``(1)``). Each parameter of a setup is stored as a JSON string
(``"100"``, ``"null"``, ``"true"``, ``"\\"sqrt\\""``, ``"[100]"``) with the default of the
scikit-learn release that uploaded the flow.

:func:`map_flow` finds the learner of a flow name (a bare estimator of ours, or a
pipeline of preprocessing steps ending in one); :func:`map_parameters` turns the
parameter settings of its final step into a :class:`~autometa.learners.Configuration`.
A run that cannot be mapped raises :class:`Unmappable` with one of :data:`REASONS`;
importers count these by reason, they never drop a run silently.

Decisions
---------
* A value of a searched hyperparameter outside our space is **not** clipped: the run is
  counted as ``"value outside our space"`` (a clipped value would be a configuration that
  was never evaluated).
* A parameter we do not search must have the value our learner uses (its ``fixed``
  settings, otherwise scikit-learn's current default). Anything else (e.g.
  ``n_estimators=500`` or the old default ``n_estimators=10``) is another configuration:
  counted as ``"fixed parameter changed"``. Parameters that do not change what is learned
  (``n_jobs``, ``verbose``, ``random_state``, ``cache_size``, k-NN's search structure, ...)
  are ignored. Parameters scikit-learn has since removed must be at the default OpenML
  recorded for them.
* Values renamed across scikit-learn releases are translated first (``criterion="mse"`` is
  ``"squared_error"``, ``max_features="auto"`` is ``"sqrt"`` for classifiers, ...).
* A searched hyperparameter missing from an old setup (added to scikit-learn later) takes
  our default, which is the behaviour of the release that did not have it.
* Parameters of preprocessing steps of a pipeline are not compared: our learners bring
  their own preprocessing. Only steps that impute, encode or scale are accepted; a pipeline
  with any other step (feature selection, PCA, ...) is ``"unsupported pipeline step"``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from autometa._exceptions import ParameterError
from autometa.learners import Configuration, Learner, get_learner, learner_names

__all__ = [
    "REASONS",
    "FLOW_CLASSES",
    "FlowComponent",
    "ParameterSetting",
    "Unmappable",
    "decode_value",
    "map_flow",
    "map_parameters",
    "parse_flow_name",
]

#: Reasons a run is not imported, in the order reports list them.
REASONS: tuple[str, ...] = (
    "unknown flow",
    "unsupported pipeline step",
    "unparsable parameter",
    "value outside our space",
    "fixed parameter changed",
    "metric not available",
    "dataset task mismatch",
    "unsupported task type",
    "missing setup",
    "beyond max runs per task",
    # the Learning Curve Database (autometa.kb._lcdb)
    "learner not in registry",
    "preprocessing differs",
    "dataset without qualities",
    "beyond max runs per curve",
)

_HISTORIC_MODULES: dict[str, tuple[str, ...]] = {
    "LogisticRegression": ("sklearn.linear_model.logistic", "sklearn.linear_model._logistic"),
    "SVC": ("sklearn.svm.classes", "sklearn.svm._classes"),
    "SVR": ("sklearn.svm.classes", "sklearn.svm._classes"),
    "KNeighborsClassifier": (
        "sklearn.neighbors.classification",
        "sklearn.neighbors._classification",
    ),
    "KNeighborsRegressor": ("sklearn.neighbors.regression", "sklearn.neighbors._regression"),
    "DecisionTreeClassifier": ("sklearn.tree.tree", "sklearn.tree._classes"),
    "DecisionTreeRegressor": ("sklearn.tree.tree", "sklearn.tree._classes"),
    "RandomForestClassifier": ("sklearn.ensemble.forest", "sklearn.ensemble._forest"),
    "RandomForestRegressor": ("sklearn.ensemble.forest", "sklearn.ensemble._forest"),
    "ExtraTreesClassifier": ("sklearn.ensemble.forest", "sklearn.ensemble._forest"),
    "ExtraTreesRegressor": ("sklearn.ensemble.forest", "sklearn.ensemble._forest"),
    "HistGradientBoostingClassifier": (
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting",
    ),
    "HistGradientBoostingRegressor": (
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting",
    ),
    "MLPClassifier": (
        "sklearn.neural_network.multilayer_perceptron",
        "sklearn.neural_network._multilayer_perceptron",
    ),
    "MLPRegressor": (
        "sklearn.neural_network.multilayer_perceptron",
        "sklearn.neural_network._multilayer_perceptron",
    ),
    "Ridge": ("sklearn.linear_model.ridge", "sklearn.linear_model._ridge"),
}


def _flow_classes() -> dict[str, str]:
    table: dict[str, str] = {}
    for name in learner_names():
        public = get_learner(name).estimator  # e.g. sklearn.ensemble.RandomForestClassifier
        table[public] = name
        for module in _HISTORIC_MODULES.get(name, ()):
            table[f"{module}.{name}"] = name
    return table


#: OpenML flow class paths (all scikit-learn releases) -> learner names of the registry.
FLOW_CLASSES: dict[str, str] = _flow_classes()

# Steps that only impute, encode or scale (our learners' own preprocessing replaces them).
_PREPROCESSING_STEPS = frozenset(
    {
        "Pipeline",
        "ColumnTransformer",
        "SimpleImputer",
        "Imputer",
        "ConditionalImputer",
        "MissingIndicator",
        "OneHotEncoder",
        "OrdinalEncoder",
        "StandardScaler",
        "MinMaxScaler",
        "MaxAbsScaler",
        "RobustScaler",
        "VarianceThreshold",
    }
)
_SEARCH_WRAPPERS = frozenset({"GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV"})
_STEP_STRINGS = frozenset({"drop", "passthrough"})

# Parameters that do not change what is learned.
_IGNORED = frozenset(
    {
        "n_jobs",
        "verbose",
        "random_state",
        "warm_start",
        "copy_X",
        "memory",
        "cache_size",
        "oob_score",
        "pre_dispatch",
    }
)
_IGNORED_BY_LEARNER: dict[str, frozenset[str]] = {
    "LogisticRegression": frozenset({"max_iter"}),  # a convergence cap (ours is higher)
    # Also a cap, at 200 epochs in most OpenML runs (ours 1,000): a run that converged within
    # it is ours; one that had not is read as ours too (OpenML does not record which).
    "MLPClassifier": frozenset({"max_iter"}),
    "MLPRegressor": frozenset({"max_iter"}),
    "SVC": frozenset({"probability", "decision_function_shape", "shrinking", "break_ties"}),
    "SVR": frozenset({"shrinking"}),
    "KNeighborsClassifier": frozenset({"algorithm", "leaf_size"}),
    "KNeighborsRegressor": frozenset({"algorithm", "leaf_size"}),
    "HistGradientBoostingClassifier": frozenset({"categorical_features"}),
    "HistGradientBoostingRegressor": frozenset({"categorical_features"}),
}

_RENAMED_VALUES: dict[str, dict[Any, Any]] = {
    "criterion": {"mse": "squared_error", "mae": "absolute_error"},
    "loss": {
        "auto": "log_loss",
        "binary_crossentropy": "log_loss",
        "categorical_crossentropy": "log_loss",
        "least_squares": "squared_error",
        "least_absolute_deviation": "absolute_error",
    },
}


@dataclass(frozen=True)
class FlowComponent:
    """A parsed OpenML flow name: class path, components by step name, version."""

    class_path: str
    components: tuple[tuple[str, FlowComponent | str], ...] = ()
    version: int | None = None

    @property
    def class_name(self) -> str:
        return self.class_path.rpartition(".")[2]

    @property
    def name(self) -> str:
        """The flow name without its version suffix, as setups' ``flow_name`` give it."""
        if not self.components:
            return self.class_path
        inner = ",".join(
            f"{k}={v.name if isinstance(v, FlowComponent) else v}" for k, v in self.components
        )
        return f"{self.class_path}({inner})"


@dataclass(frozen=True)
class ParameterSetting:
    """One parameter of a setup, as OpenML lists it (values are OpenML's JSON strings)."""

    flow_name: str
    parameter_name: str
    value: str | None
    default_value: str | None = None
    flow_id: int | None = None


class Unmappable(Exception):
    """A run that cannot be mapped onto the registry; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# -- flow names ---------------------------------------------------------------------------
_VERSION = re.compile(r"\((\d+)\)$")


def parse_flow_name(name: str) -> FlowComponent:
    """Parse an OpenML flow name such as ``sklearn.pipeline.Pipeline(a=x.A,b=y.B)(1)``.

    Raises
    ------
    ParameterError
        If the name is not of OpenML's form.
    """
    text = name.strip()
    version = None
    match = _VERSION.search(text)
    if match is not None:
        version = int(match.group(1))
        text = text[: match.start()]
    try:
        component, end = _parse_component(text, 0)
    except (IndexError, ValueError) as exc:
        raise ParameterError(
            f"Cannot parse the OpenML flow name {name!r}: {exc}. Flow names look like "
            "'sklearn.pipeline.Pipeline(step=module.Class,...)' with an optional '(version)'."
        ) from None
    if end != len(text):
        raise ParameterError(
            f"Cannot parse the OpenML flow name {name!r}: unexpected text at position {end}. "
            "Flow names look like 'sklearn.pipeline.Pipeline(step=module.Class,...)' with an "
            "optional '(version)'."
        )
    return FlowComponent(component.class_path, component.components, version)


def _parse_component(text: str, pos: int) -> tuple[FlowComponent, int]:
    start = pos
    while pos < len(text) and text[pos] not in "(),=":
        pos += 1
    path = text[start:pos].strip()
    if not path:
        raise ValueError(f"empty class name at position {start}")
    if pos < len(text) and text[pos] == "(":
        pos += 1
        comps: list[tuple[str, FlowComponent | str]] = []
        while True:
            key_start = pos
            while text[pos] != "=":
                if text[pos] in "(),":
                    raise ValueError(f"expected 'step=' at position {key_start}")
                pos += 1
            key = text[key_start:pos].strip()
            sub, pos = _parse_component(text, pos + 1)
            comps.append((key, sub.class_path if sub.class_path in _STEP_STRINGS else sub))
            if text[pos] == ",":
                pos += 1
                continue
            if text[pos] == ")":
                pos += 1
                break
            raise ValueError(f"expected ',' or ')' at position {pos}")
        return FlowComponent(path, tuple(comps)), pos
    return FlowComponent(path), pos


def _check_preprocessing(component: FlowComponent | str) -> None:
    if isinstance(component, str):
        return
    if component.class_name not in _PREPROCESSING_STEPS:
        raise Unmappable("unsupported pipeline step", component.class_path)
    for _, sub in component.components:
        _check_preprocessing(sub)


def map_flow(flow_name: str) -> tuple[Learner, FlowComponent]:
    """The learner a flow trains and the component holding its parameters.

    Accepts a bare estimator of ours (any historic module path) or a
    ``sklearn.pipeline.Pipeline`` whose steps before the last only impute, encode or scale.

    Raises
    ------
    Unmappable
        ``"unknown flow"`` or ``"unsupported pipeline step"``.
    """
    try:
        flow = parse_flow_name(flow_name)
    except ParameterError as exc:
        raise Unmappable("unknown flow", str(exc)) from None
    if flow.class_path in FLOW_CLASSES and not flow.components:
        return get_learner(FLOW_CLASSES[flow.class_path]), flow
    if flow.class_name == "Pipeline" and flow.components:
        *steps, (_, last) = flow.components
        if isinstance(last, FlowComponent) and last.class_path in FLOW_CLASSES:
            if last.components:
                raise Unmappable("unknown flow", f"final step with components: {last.name}")
            for _, step in steps:
                _check_preprocessing(step)
            return get_learner(FLOW_CLASSES[last.class_path]), last
        final = last.class_path if isinstance(last, FlowComponent) else last
        raise Unmappable("unknown flow", f"final pipeline step {final} is not a known learner")
    if flow.class_name in _SEARCH_WRAPPERS:
        raise Unmappable("unknown flow", f"hyperparameter search {flow.class_path}")
    raise Unmappable("unknown flow", flow.class_path)


# -- parameter values -----------------------------------------------------------------------
_MISSING = object()


def decode_value(raw: Any) -> Any:
    """Decode one OpenML parameter value (a JSON string) into a Python value.

    ``None`` (an empty XML element) stays ``None``; non-strings pass through (values
    of user tables are already decoded).

    Raises
    ------
    Unmappable
        ``"unparsable parameter"`` if a string is not valid JSON.
    """
    if raw is None or not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        raise Unmappable("unparsable parameter", f"not JSON: {raw!r}") from None


def _translate(learner: Learner, name: str, value: Any) -> Any:
    """Values renamed across scikit-learn releases, and equivalent spellings."""
    if isinstance(value, list):
        value = tuple(value)
    renamed = _RENAMED_VALUES.get(name, {})
    if isinstance(value, str) and value in renamed:
        return renamed[value]
    is_tree = learner.name.startswith("DecisionTree")
    if name == "max_features":
        if value == "auto":
            if learner.task == "classification":
                return "sqrt"
            return None if is_tree else 1.0
        if value is None and not is_tree:
            return 1.0
        if is_tree and _equal(value, 1.0) and not isinstance(value, bool):
            return None
    if learner.name == "LogisticRegression":
        if name == "penalty" and value == "l2":
            return "deprecated"
        if name == "l1_ratio" and value is None:
            return 0.0
    if name == "hidden_layer_sizes":
        if isinstance(value, tuple) and len(value) == 1:
            return value[0]
    return value


def _equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return bool(a == b)


def _reference_params(learner: Learner) -> dict[str, Any]:
    """What our learner uses for every scikit-learn parameter of its estimator."""
    est = learner.estimator_class()(**dict(learner.fixed))
    return dict(est.get_params(deep=False))


def map_parameters(
    learner: Learner,
    settings: Iterable[ParameterSetting] | Mapping[str, Any],
    *,
    encoded: bool = True,
) -> Configuration:
    """The configuration of ``learner`` that a run's parameter settings describe.

    Parameters
    ----------
    learner : Learner
        The learner (from :func:`map_flow`).
    settings : iterable of ParameterSetting, or mapping
        The final step's parameter settings; a mapping ``{name: value}`` is accepted for
        tables of runs (no OpenML defaults then: removed parameters cannot be checked).
    encoded : bool, default=True
        Whether values are OpenML's JSON strings (decoded here) or Python values.

    Raises
    ------
    Unmappable
        ``"unparsable parameter"``, ``"value outside our space"`` or
        ``"fixed parameter changed"`` (see the module docstring).
    """
    if isinstance(settings, Mapping):
        items = [(str(k), v, _MISSING) for k, v in settings.items()]
    else:
        items = [(s.parameter_name, s.value, s.default_value) for s in settings]
    reference = _reference_params(learner)
    ignored = _IGNORED | _IGNORED_BY_LEARNER.get(learner.name, frozenset())
    searched = {hp.name: hp for hp in learner.space}
    params: dict[str, Any] = {}
    for name, raw, raw_default in items:
        if name in ignored:
            continue
        value = decode_value(raw) if encoded else raw
        value = _translate(learner, name, value)
        if name in searched:
            hp = searched[name]
            if not hp.contains(value):
                raise Unmappable("value outside our space", f"{learner.name}.{name}={value!r}")
            params[name] = hp.canonical(value)
        elif name in reference:
            ours = reference[name]
            if not _equal(value, ours):
                raise Unmappable(
                    "fixed parameter changed", f"{learner.name}.{name}={value!r} (ours: {ours!r})"
                )
        else:  # removed from scikit-learn since: must be at the default of its time
            if raw_default is _MISSING:
                raise Unmappable(
                    "fixed parameter changed", f"{learner.name} has no parameter {name!r}"
                )
            default = _translate(
                learner, name, decode_value(raw_default) if encoded else raw_default
            )
            if not _equal(value, default):
                raise Unmappable(
                    "fixed parameter changed",
                    f"removed parameter {learner.name}.{name}={value!r} (default {default!r})",
                )
    return Configuration(learner.name, params)


def final_step_settings(
    settings: Iterable[ParameterSetting], component: FlowComponent
) -> list[ParameterSetting]:
    """The settings of the final step ``component`` among all those of a (pipeline) setup.

    Raises
    ------
    Unmappable
        ``"missing setup"`` if no setting belongs to it, ``"unparsable parameter"`` if
        several flows of that name share the setup (ambiguous).
    """
    target = component.name
    mine = [s for s in settings if _strip_version(s.flow_name) == target]
    if not mine:
        raise Unmappable("missing setup", f"no parameters of {target}")
    ids = {s.flow_id for s in mine}
    if len(ids) > 1:
        raise Unmappable("unparsable parameter", f"{target} appears {len(ids)} times")
    return mine


def _strip_version(name: str) -> str:
    return _VERSION.sub("", name.strip())
