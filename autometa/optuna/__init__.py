"""Optuna integration: search spaces, warm starts, a meta-learned sampler, and learning
from the user's own studies.

Not imported by ``import autometa`` (it imports Optuna); import it explicitly::

    from autometa.optuna import MetaSampler, search_space, suggest, warm_start

Parameter naming (see :func:`search_space`): one learner uses its own hyperparameter
names; several learners form a conditional space with a categorical ``"learner"``
parameter and names prefixed by the learner, e.g. ``"RandomForestClassifier__min_samples_leaf"``.
Other names are mapped with ``mapping={our_name: their_name}``.

Examples
--------
>>> from autometa.optuna import search_space
>>> sorted(search_space("KNeighborsClassifier"))
['n_neighbors', 'p', 'weights']
"""

from __future__ import annotations

from autometa.optuna._common import resolve_model, resolve_task
from autometa.optuna._history import add_search, add_study
from autometa.optuna._sampler import MetaSampler
from autometa.optuna._space import (
    LEARNER_PARAM,
    SEPARATOR,
    ParamNames,
    map_value,
    param_name,
    resolve_learners,
    search_space,
    suggest,
)
from autometa.optuna._warm_start import SOURCE_ATTR, study_distributions, warm_start

__all__ = [
    "LEARNER_PARAM",
    "SOURCE_ATTR",
    "resolve_learners",
    "resolve_model",
    "resolve_task",
    "SEPARATOR",
    "MetaSampler",
    "ParamNames",
    "add_search",
    "add_study",
    "map_value",
    "param_name",
    "search_space",
    "study_distributions",
    "suggest",
    "warm_start",
]
