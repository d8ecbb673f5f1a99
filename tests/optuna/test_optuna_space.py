from __future__ import annotations

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from sklearn.datasets import load_iris
from sklearn.pipeline import Pipeline

from autometa import ParameterError
from autometa.learners import Configuration, get_learner, learner_names
from autometa.optuna import ParamNames, map_value, search_space, suggest
from autometa.optuna._space import MISSING

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_search_space_of_one_learner_uses_its_own_names() -> None:
    space = search_space("SVC")
    assert set(space) == {"C", "gamma", "class_weight"}
    assert space["C"] == FloatDistribution(1e-3, 1e3, log=True)


def test_conditional_space_has_learner_choice_and_prefixed_names() -> None:
    space = search_space(["SVC", "KNeighborsClassifier"])
    assert space["learner"] == CategoricalDistribution(["SVC", "KNeighborsClassifier"])
    assert "SVC__gamma" in space and "KNeighborsClassifier__n_neighbors" in space
    assert len(space) == 1 + 3 + 3
    every = search_space(task="regression", learner_param="model")
    assert every["model"].choices == tuple(learner_names("regression"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "needs the 'learners' or the 'task' parameter"),
        ({"learners": []}, "must name at least one learner"),
        ({"learners": ["SVR"], "task": "classification"}, "are not classification learners"),
        ({"learners": ["NoSuch"]}, "Unknown learner 'NoSuch'"),
    ],
)
def test_search_space_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        search_space(**kwargs)


def test_suggest_returns_a_fittable_pipeline_and_records_the_learner() -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    pipe = suggest(trial, ["LogisticRegression", "KNeighborsClassifier"])
    assert isinstance(pipe, Pipeline)
    learner = trial.params["learner"]
    assert trial.user_attrs["learner"] == learner
    assert {k for k in trial.params if k != "learner"} == {
        f"{learner}__{n}" for n in get_learner(learner).param_names
    }
    assert pipe.fit(X, y).score(X, y) > 0.5


def test_suggest_one_learner_uses_bare_names() -> None:
    study = optuna.create_study()
    trial = study.ask()
    pipe = suggest(trial, "KNeighborsClassifier")
    assert set(trial.params) == {"n_neighbors", "weights", "p"}
    assert pipe.named_steps["model"].n_neighbors == trial.params["n_neighbors"]


@pytest.mark.parametrize(
    ("value", "dist", "expected"),
    [
        (5.0, FloatDistribution(0, 1), 1.0),  # clipped
        (-3.0, FloatDistribution(0, 1), 0.0),
        (1e-9, FloatDistribution(1e-4, 1, log=True), 1e-4),  # log range clipped
        (0.33, FloatDistribution(0, 1, step=0.25), 0.25),  # snapped
        (0.95, FloatDistribution(0, 0.8, step=0.2), 0.8),  # clipped and snapped
        (3.6, IntDistribution(1, 10), 4),  # rounded
        (40, IntDistribution(1, 32, log=True), 32),  # clipped
        (6, IntDistribution(1, 9, step=4), 5),  # snapped to low + k * step
        ("gini", CategoricalDistribution(["gini", "entropy"]), "gini"),
        (None, CategoricalDistribution([None, 3]), None),
        ("0.5", CategoricalDistribution(["sqrt", 0.5]), 0.5),  # by string form
        (True, CategoricalDistribution([1, 0, "True"]), "True"),  # True is not 1
        ("log2", CategoricalDistribution(["sqrt"]), MISSING),
        ("scale", FloatDistribution(1e-4, 10, log=True), MISSING),  # special value
        (None, IntDistribution(1, 5), MISSING),
    ],
)
def test_map_value(value: object, dist: object, expected: object) -> None:
    out = map_value(value, dist)
    if expected is MISSING:
        assert out is MISSING
    else:
        assert out == pytest.approx(expected) if isinstance(expected, float) else out == expected
        assert type(out) is type(expected)


def test_param_names_round_trip_with_a_mapping() -> None:
    rf = get_learner("RandomForestClassifier")
    names = ParamNames([rf], {"min_samples_leaf": "leaf", "learner": "algo"})
    assert names.learner_param == "algo"
    assert names.resolve("leaf") == ("RandomForestClassifier", "min_samples_leaf")
    assert names.resolve("max_features") == ("RandomForestClassifier", "max_features")
    assert names.resolve("other") is None
    config = names.from_study({"leaf": 4.0, "max_features": "0.5", "bootstrap": "yes"})
    assert config == Configuration(
        "RandomForestClassifier", {"min_samples_leaf": 4, "max_features": 0.5}
    )
    dists = {"leaf": IntDistribution(1, 3), "criterion": CategoricalDistribution(["gini"])}
    assert names.to_study(config, dists) == {"leaf": 3, "criterion": "gini"}


def test_param_names_rejects_unknown_mapping_keys() -> None:
    with pytest.raises(ParameterError, match="'mapping' parameter has the key 'nope'"):
        ParamNames([get_learner("SVC")], {"nope": "x"})
    with pytest.raises(ParameterError, match="must map our parameter names"):
        ParamNames([get_learner("SVC")], {"C": 3})
