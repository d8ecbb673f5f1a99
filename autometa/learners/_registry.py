"""The registry of learners: one definition per learner, used everywhere.

Adding a learner is one new :class:`Learner` entry in :data:`_LEARNERS` below.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.stats import qmc
from sklearn.base import BaseEstimator
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from autometa._exceptions import ParameterError
from autometa._task import TASKS
from autometa.learners._preprocessing import TabularPreprocessor
from autometa.learners._space import (
    Hyperparameter,
    categorical_param,
    check_params,
    float_param,
    int_param,
)

__all__ = [
    "Configuration",
    "Learner",
    "TASKS",
    "get_learner",
    "learner_names",
    "learners_for",
]

Task = Literal["classification", "regression"]


def _width(v: Any) -> tuple[int]:
    return (int(v),)


@dataclass(frozen=True)
class Learner:
    """A learner: its scikit-learn estimator, task, preprocessing and search space.

    Attributes
    ----------
    name : str
        Unique name (the scikit-learn class name, e.g. ``"RandomForestClassifier"``).
    task : {"classification", "regression"}
    estimator : str
        Import path of the scikit-learn estimator class.
    space : tuple of Hyperparameter
        The searched hyperparameters; their defaults are scikit-learn's.
    fixed : mapping
        Parameters always set (reproducibility, single-threaded fits, iteration caps).
    scale : bool
        Whether numeric features are standardized.
    encoding : {"onehot", "ordinal"}
        How categorical features are encoded.
    scale_target : bool
        Regression only: standardize the target (learners sensitive to its scale).
    """

    name: str
    task: Task
    estimator: str
    space: tuple[Hyperparameter, ...]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    scale: bool = True
    encoding: Literal["onehot", "ordinal"] = "onehot"
    scale_target: bool = False
    accepts_random_state: bool = True

    # -- configurations ----------------------------------------------------------------
    @property
    def param_names(self) -> list[str]:
        return [hp.name for hp in self.space]

    def hyperparameter(self, name: str) -> Hyperparameter:
        for hp in self.space:
            if hp.name == name:
                return hp
        raise ParameterError(
            f"Unknown hyperparameter '{name}' for learner '{self.name}'. "
            f"Its hyperparameters are {self.param_names}."
        )

    def default_params(self) -> dict[str, Any]:
        """scikit-learn's defaults for every searched hyperparameter."""
        return {hp.name: hp.default for hp in self.space}

    def complete(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Check ``params`` and fill the missing hyperparameters with their defaults."""
        params = dict(params or {})
        check_params(self.name, self.space, params)
        full = self.default_params()
        full.update({k: self.hyperparameter(k).canonical(v) for k, v in params.items()})
        return full

    def default_configuration(self) -> Configuration:
        return Configuration(self.name, self.default_params())

    def sample_configurations(self, n: int, *, seed: int = 0) -> list[Configuration]:
        """``n`` quasi-random configurations (scrambled Sobol points over the space)."""
        if n <= 0:
            return []
        sampler = qmc.Sobol(d=len(self.space), scramble=True, rng=np.random.default_rng(seed))
        # A power of two keeps Sobol's balance; the first n points are used.
        points = sampler.random_base2(max(1, int(np.ceil(np.log2(n)))))[:n]
        return [
            Configuration(self.name, {hp.name: hp.from_unit(u) for hp, u in zip(self.space, row)})
            for row in points
        ]

    def pool(self, size: int, *, seed: int = 0) -> list[Configuration]:
        """The default configuration followed by ``size - 1`` quasi-random ones."""
        if size < 1:
            raise ParameterError(f"The pool size must be an int >= 1. Got {size} instead.")
        configs = [self.default_configuration()]
        seen = {configs[0].config_id}
        for c in self.sample_configurations(2 * size, seed=seed):
            if len(configs) == size:
                break
            if c.config_id not in seen:
                configs.append(c)
                seen.add(c.config_id)
        return configs

    # -- scikit-learn ----------------------------------------------------------------------
    def estimator_class(self) -> type[BaseEstimator]:
        module, _, cls = self.estimator.rpartition(".")
        return getattr(__import__(module, fromlist=[cls]), cls)

    def make_estimator(
        self, params: Mapping[str, Any] | None = None, *, random_state: int | None = 0
    ) -> BaseEstimator:
        """The bare estimator with ``params`` (completed with defaults) and ``fixed``."""
        full = self.complete(params)
        kwargs = {k: self.hyperparameter(k).sklearn_value(v) for k, v in full.items()}
        kwargs.update(self.fixed)
        if self.accepts_random_state and random_state is not None:
            kwargs["random_state"] = random_state
        est: BaseEstimator = self.estimator_class()(**kwargs)
        if self.scale_target:
            est = TransformedTargetRegressor(regressor=est, transformer=StandardScaler())
        return est

    def make_preprocessor(self) -> TabularPreprocessor:
        return TabularPreprocessor(scale=self.scale, encoding=self.encoding)

    def make_pipeline(
        self, params: Mapping[str, Any] | None = None, *, random_state: int | None = 0
    ) -> Pipeline:
        """A ready-to-fit ``Pipeline([("preprocess", ...), ("model", ...)])`` on raw data."""
        return Pipeline(
            [
                ("preprocess", self.make_preprocessor()),
                ("model", self.make_estimator(params, random_state=random_state)),
            ]
        )

    # -- meta-model encoding and Optuna ----------------------------------------------------
    def encoded_names(self) -> list[str]:
        return [name for hp in self.space for name in hp.encoded_names()]

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """A fixed-length numeric vector of a configuration (see ``encoded_names``)."""
        full = self.complete(params)
        return np.array(
            [x for hp in self.space for x in hp.encode(full[hp.name])], dtype=np.float64
        )

    def optuna_space(self) -> dict[str, Any]:
        """``{name: optuna distribution}`` of the searched hyperparameters."""
        return {hp.name: hp.to_optuna() for hp in self.space}


@dataclass(frozen=True)
class Configuration:
    """A learner and a complete set of its searched hyperparameters.

    ``config_id`` is deterministic: the learner name and a hash of the canonical JSON of
    the parameters, so the same configuration has the same id in every knowledge base.
    """

    learner: str
    params: Mapping[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", get_learner(self.learner).complete(self.params))

    @property
    def params_json(self) -> str:
        return json.dumps(dict(self.params), sort_keys=True, separators=(",", ":"))

    @property
    def config_id(self) -> str:
        digest = hashlib.sha1(f"{self.learner}|{self.params_json}".encode()).hexdigest()[:10]
        return f"{self.learner}-{digest}"

    @property
    def task(self) -> str:
        return get_learner(self.learner).task

    @classmethod
    def from_json(cls, learner: str, params_json: str) -> Configuration:
        return cls(learner, json.loads(params_json))

    def make_pipeline(self, *, random_state: int | None = 0) -> Pipeline:
        return get_learner(self.learner).make_pipeline(self.params, random_state=random_state)


# --------------------------------------------------------------------------------------------
# The learners. scikit-learn's defaults are each space's default.
_TREE_MAX_FEATURES = ("sqrt", "log2", 0.1, 0.25, 0.5, 0.75, 1.0)
_DEPTHS = (None, 2, 3, 4, 6, 8, 12, 16, 24)


def _criterion(task: Task) -> Hyperparameter:
    """Split criterion. scikit-learn 1.9 deprecated ``friedman_mse`` as equivalent to
    ``squared_error``: regression keeps one choice (the dimension stays, so the Sobol points
    of the other hyperparameters are unchanged) and reads the old value as an alias."""
    if task == "classification":
        return categorical_param("criterion", ("gini", "entropy"), "gini")
    return categorical_param(
        "criterion", ("squared_error",), "squared_error", aliases={"friedman_mse": "squared_error"}
    )


def _forest_space(task: Task, bootstrap_default: bool) -> tuple[Hyperparameter, ...]:
    return (
        categorical_param(
            "max_features", _TREE_MAX_FEATURES, "sqrt" if task == "classification" else 1.0
        ),
        int_param("min_samples_leaf", 1, 32, 1, log=True),
        int_param("min_samples_split", 2, 32, 2, log=True),
        categorical_param("bootstrap", (True, False), bootstrap_default),
        _criterion(task),
    )


def _tree_space(task: Task) -> tuple[Hyperparameter, ...]:
    return (
        categorical_param("max_depth", _DEPTHS, None),
        int_param("min_samples_leaf", 1, 64, 1, log=True),
        int_param("min_samples_split", 2, 64, 2, log=True),
        categorical_param("max_features", (None, "sqrt", 0.5), None),
        _criterion(task),
    )


def _hgb_space() -> tuple[Hyperparameter, ...]:
    return (
        float_param("learning_rate", 0.01, 1.0, 0.1, log=True),
        int_param("max_iter", 10, 500, 100, log=True),
        int_param("max_leaf_nodes", 4, 128, 31, log=True),
        int_param("min_samples_leaf", 2, 128, 20, log=True),
        float_param("l2_regularization", 0.0, 10.0, 0.0),
        float_param("max_features", 0.1, 1.0, 1.0),
    )


def _knn_space() -> tuple[Hyperparameter, ...]:
    return (
        int_param("n_neighbors", 1, 64, 5, log=True),
        categorical_param("weights", ("uniform", "distance"), "uniform"),
        categorical_param("p", (1, 2), 2),
    )


def _mlp_space() -> tuple[Hyperparameter, ...]:
    return (
        int_param("hidden_layer_sizes", 16, 256, 100, log=True, to_sklearn=_width),
        float_param("alpha", 1e-6, 1.0, 1e-4, log=True),
        float_param("learning_rate_init", 1e-4, 1e-1, 1e-3, log=True),
        categorical_param("activation", ("relu", "tanh"), "relu"),
    )


#: scikit-learn's 200 epochs stop short of convergence on 44% of the knowledge base v2's MLP
#: runs (a ConvergenceWarning on every such fit); with 1,000 the fits that converged within
#: 200 epochs are unchanged (same seeds, same stopping rule) and most of the others converge.
_MLP_FIXED = {"max_iter": 1000}

_SVM_GAMMA = float_param("gamma", 1e-4, 10.0, "scale", log=True, specials=("scale",))

_LEARNERS: tuple[Learner, ...] = (
    # ---- classification
    Learner(
        "LogisticRegression",
        "classification",
        "sklearn.linear_model.LogisticRegression",
        (
            float_param("C", 1e-4, 1e4, 1.0, log=True),
            categorical_param("class_weight", (None, "balanced"), None),
        ),
        fixed={"max_iter": 1000},
    ),
    Learner(
        "SVC",
        "classification",
        "sklearn.svm.SVC",
        (
            float_param("C", 1e-3, 1e3, 1.0, log=True),
            _SVM_GAMMA,
            categorical_param("class_weight", (None, "balanced"), None),
        ),
        fixed={"kernel": "rbf"},
    ),
    Learner(
        "KNeighborsClassifier",
        "classification",
        "sklearn.neighbors.KNeighborsClassifier",
        _knn_space(),
        accepts_random_state=False,
    ),
    Learner(
        "DecisionTreeClassifier",
        "classification",
        "sklearn.tree.DecisionTreeClassifier",
        _tree_space("classification"),
        scale=False,
        encoding="ordinal",
    ),
    Learner(
        "RandomForestClassifier",
        "classification",
        "sklearn.ensemble.RandomForestClassifier",
        _forest_space("classification", True),
        fixed={"n_jobs": 1},
        scale=False,
        encoding="ordinal",
    ),
    Learner(
        "ExtraTreesClassifier",
        "classification",
        "sklearn.ensemble.ExtraTreesClassifier",
        _forest_space("classification", False),
        fixed={"n_jobs": 1},
        scale=False,
        encoding="ordinal",
    ),
    Learner(
        "HistGradientBoostingClassifier",
        "classification",
        "sklearn.ensemble.HistGradientBoostingClassifier",
        _hgb_space(),
        scale=False,
        encoding="ordinal",
    ),
    Learner(
        "MLPClassifier",
        "classification",
        "sklearn.neural_network.MLPClassifier",
        _mlp_space(),
        fixed=_MLP_FIXED,
    ),
    # ---- regression
    Learner(
        "Ridge",
        "regression",
        "sklearn.linear_model.Ridge",
        (float_param("alpha", 1e-4, 1e4, 1.0, log=True),),
        accepts_random_state=False,
    ),
    Learner(
        "SVR",
        "regression",
        "sklearn.svm.SVR",
        (
            float_param("C", 1e-3, 1e3, 1.0, log=True),
            _SVM_GAMMA,
            float_param("epsilon", 1e-3, 1.0, 0.1, log=True),
        ),
        fixed={"kernel": "rbf"},
        scale_target=True,
        accepts_random_state=False,
    ),
    Learner(
        "KNeighborsRegressor",
        "regression",
        "sklearn.neighbors.KNeighborsRegressor",
        _knn_space(),
        accepts_random_state=False,
    ),
    Learner(
        "DecisionTreeRegressor",
        "regression",
        "sklearn.tree.DecisionTreeRegressor",
        _tree_space("regression"),
        scale=False,
        encoding="ordinal",
    ),
    Learner(
        "RandomForestRegressor",
        "regression",
        "sklearn.ensemble.RandomForestRegressor",
        _forest_space("regression", True),
        fixed={"n_jobs": 1},
        scale=False,
        encoding="ordinal",
    ),
    Learner(
        "ExtraTreesRegressor",
        "regression",
        "sklearn.ensemble.ExtraTreesRegressor",
        _forest_space("regression", False),
        fixed={"n_jobs": 1},
        scale=False,
        encoding="ordinal",
    ),
    Learner(
        "HistGradientBoostingRegressor",
        "regression",
        "sklearn.ensemble.HistGradientBoostingRegressor",
        _hgb_space(),
        scale=False,
        encoding="ordinal",
    ),
    Learner(
        "MLPRegressor",
        "regression",
        "sklearn.neural_network.MLPRegressor",
        _mlp_space(),
        fixed=_MLP_FIXED,
        scale_target=True,
    ),
)

_BY_NAME: dict[str, Learner] = {learner.name: learner for learner in _LEARNERS}


def get_learner(name: str) -> Learner:
    """The learner called ``name`` (e.g. ``"RandomForestClassifier"``)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ParameterError(
            f"Unknown learner '{name}'. Known learners are: {', '.join(_BY_NAME)}."
        ) from None


def learner_names(task: str | None = None) -> list[str]:
    """Names of all learners, or of those for ``task``."""
    return [learner.name for learner in learners_for(task)]


def learners_for(task: str | None = None) -> list[Learner]:
    if task is None:
        return list(_LEARNERS)
    if task not in TASKS:
        raise ParameterError(f"The task must be one of {list(TASKS)}. Got {task!r} instead.")
    return [learner for learner in _LEARNERS if learner.task == task]
