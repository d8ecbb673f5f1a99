"""Search spaces (autometa/learners/_space.py): sampling, encoding and Optuna."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autometa.learners import Hyperparameter, get_learner, learners_for

SPACES = [(learner.name, hp) for learner in learners_for() for hp in learner.space]
IDS = [f"{name}.{hp.name}" for name, hp in SPACES]


@pytest.mark.parametrize(("learner", "hp"), SPACES, ids=IDS)
def test_sampled_values_are_inside_the_space_and_scikit_learns_default_too(learner, hp):
    for u in np.linspace(0, 1, 11):
        assert hp.contains(hp.from_unit(u))
    assert hp.contains(hp.default)


@pytest.mark.parametrize(("learner", "hp"), SPACES, ids=IDS)
def test_numeric_unit_positions_round_trip(learner, hp):
    if hp.kind != "float":
        return
    for u in (0.1, 0.5, 0.9):
        assert math.isclose(hp.to_unit(hp.from_unit(u)), u, abs_tol=1e-3)


@pytest.mark.parametrize("learner", learners_for(), ids=lambda x: x.name)
def test_encoding_has_one_fixed_width_for_every_configuration(learner):
    width = len(learner.encoded_names())
    for config in learner.pool(5, seed=1):
        vec = learner.encode(config.params)
        assert vec.shape == (width,) and np.all(np.isfinite(vec))


def test_optuna_distributions_hold_every_sampled_value():
    pytest.importorskip("optuna")
    learner = get_learner("HistGradientBoostingClassifier")
    space = learner.optuna_space()
    assert set(space) == set(learner.param_names)
    for config in learner.sample_configurations(8, seed=0):
        for name, value in config.params.items():
            if value in learner.hyperparameter(name).specials:
                continue
            assert space[name]._contains(space[name].to_internal_repr(value)), (name, value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "categorical", "default": 1}, "needs choices"),
        ({"kind": "float", "default": 1.0, "low": 2.0, "high": 1.0}, "needs low < high"),
        ({"kind": "float", "default": 1.0, "low": 0.0, "high": 1.0, "log": True}, "low > 0"),
    ],
)
def test_an_invalid_space_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Hyperparameter("p", **kwargs)
