"""The learner registry (autometa/learners/_registry.py): one definition per learner that
the runner, the meta-models, the estimators and Optuna all use."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier, is_regressor

from autometa import ParameterError
from autometa.learners import TASKS, Configuration, get_learner, learner_names, learners_for


def _mixed(task: str, n: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    """Raw data as users have it: numbers with missing values and a string column."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.integers(0, 5, n).astype(float),
            "c": rng.choice(["x", "y", "z"], n),
        }
    )
    X.loc[::7, "a"] = np.nan
    y = (X["b"] > 2).astype(int).to_numpy() if task == "classification" else rng.normal(size=n)
    return X, y


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", learner_names())
def test_every_learners_default_pipeline_fits_raw_data(name):
    learner = get_learner(name)
    X, y = _mixed(learner.task)
    pipe = learner.default_configuration().make_pipeline(random_state=0)
    assert is_classifier(pipe) if learner.task == "classification" else is_regressor(pipe)
    pred = clone(pipe).fit(X, y).predict(X.iloc[:5])
    assert pred.shape == (5,)


@pytest.mark.parametrize("name", learner_names())
def test_pool_is_deterministic_distinct_and_inside_the_space(name):
    learner = get_learner(name)
    pool = learner.pool(6, seed=3)
    assert pool[0] == learner.default_configuration()
    assert [c.config_id for c in pool] == [c.config_id for c in learner.pool(6, seed=3)]
    assert len({c.config_id for c in pool}) == len(pool)
    for config in pool:
        for hp in learner.space:
            assert hp.contains(config.params[hp.name]), (hp.name, config.params[hp.name])


def test_config_id_is_stable_and_round_trips_through_json():
    config = get_learner("RandomForestClassifier").pool(3, seed=0)[1]
    again = Configuration.from_json(config.learner, config.params_json)
    assert again == config and again.config_id == config.config_id
    # the id depends on the values, not on the order they were given in
    shuffled = dict(reversed(list(config.params.items())))
    assert Configuration(config.learner, shuffled).config_id == config.config_id
    assert json.loads(config.params_json) == dict(config.params)


def test_partial_params_are_completed_with_sklearns_defaults():
    learner = get_learner("RandomForestClassifier")
    config = Configuration(learner.name, {"min_samples_leaf": 3})
    assert config.params["min_samples_leaf"] == 3
    assert config.params["max_features"] == learner.default_params()["max_features"]
    assert config.make_pipeline().named_steps["model"].get_params()["min_samples_leaf"] == 3


def test_learners_for_each_task_partition_the_registry():
    names = [set(learner_names(t)) for t in TASKS]
    assert names[0].isdisjoint(names[1]) and names[0] | names[1] == set(learner_names())
    assert all(learner.task == "regression" for learner in learners_for("regression"))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: get_learner("Nope"), r"Unknown learner 'Nope'. Known learners are: .*Ridge"),
        (lambda: learners_for("ranking"), r"The task must be one of .* Got 'ranking'"),
        (
            lambda: get_learner("Ridge").hyperparameter("depth"),
            r"Unknown hyperparameter 'depth' for learner 'Ridge'",
        ),
        (lambda: get_learner("Ridge").pool(0), r"pool size must be an int >= 1. Got 0"),
    ],
)
def test_errors_name_the_problem_and_the_choices(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


@pytest.mark.parametrize(
    "name, load",
    [
        ("MLPClassifier", "load_breast_cancer"),
        ("MLPClassifier", "load_wine"),
        ("MLPRegressor", "load_diabetes"),
    ],
)
def test_default_mlp_converges_on_ordinary_data(name, load):
    """Issue 12, item 11: scikit-learn's 200 epochs warned on these (and on 44% of the
    knowledge base's MLP runs); our MLPs run to convergence without a warning."""
    import warnings

    import sklearn.datasets
    from sklearn.exceptions import ConvergenceWarning

    X, y = getattr(sklearn.datasets, load)(return_X_y=True, as_frame=True)
    pipe = get_learner(name).default_configuration().make_pipeline(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        pipe.fit(X, y)
