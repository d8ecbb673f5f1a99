"""warm_start and MetaSampler with the real shipped "maml" model (skipped until it ships)."""

from __future__ import annotations

import warnings

import numpy as np
import optuna
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import cross_val_score

from autometa.models import MetaModel, default_models_dir, load_models_index
from autometa.optuna import MetaSampler, suggest, warm_start

SHIPPED = (default_models_dir() / "models.json").is_file()
FAST = {
    "classification": ["LogisticRegression", "DecisionTreeClassifier", "KNeighborsClassifier"],
    "regression": ["Ridge", "DecisionTreeRegressor", "KNeighborsRegressor"],
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not SHIPPED,
        reason="needs the shipped default models (autometa/data/models/models.json is absent)",
    ),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]


def _shipped_maml(task: str) -> MetaModel:
    entry = load_models_index().get("tasks", {}).get(task)
    if entry is None or "maml" not in entry.get("models", {}):
        pytest.skip(f"no shipped maml model for {task}")
    return MetaModel.load(default_models_dir() / entry["models"]["maml"])


def _data(task: str):
    if task == "classification":
        X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    else:
        X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X.iloc[::3], y.iloc[::3]


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_shipped_maml_warm_start_and_meta_sampler(task):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    model = _shipped_maml(task)
    assert callable(getattr(model, "adapt", None))
    X, y = _data(task)
    learners = FAST[task]

    def objective(trial):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cross_val_score(suggest(trial, learners), X, y, cv=3).mean()

    study = optuna.create_study(direction="maximize")
    added = warm_start(study, X, y, n_trials=3, learners=learners, model=model)
    assert list(added["rank"]) == [1, 2, 3] and added["enqueued"].all()
    assert set(added["learner"]) <= set(learners)
    assert set(added["config_id"]) <= set(model.config_ids_)  # the model's own ranking
    study.optimize(objective, n_trials=3)
    assert [t.user_attrs["autometa:source"] for t in study.trials] == ["warm_start"] * 3

    def run(seed):
        sampler = MetaSampler(X=X, y=y, model=model, learners=learners, n_startup=2, seed=seed)
        s = optuna.create_study(direction="maximize", sampler=sampler)
        s.optimize(objective, n_trials=5)
        return s

    first, again = run(0), run(0)
    phases = [t.user_attrs["autometa:source"] for t in first.trials]
    assert phases[:2] == ["zero-shot"] * 2 and phases[2] == "adaptive"
    assert set(phases[2:]) <= {"adaptive", "explore", "fallback"}
    # The zero-shot trials are the maml model's own top configurations, in its order.
    assert first.trials[0].user_attrs["autometa:config_id"] in model.config_ids_
    assert [t.params for t in first.trials] == [t.params for t in again.trials]
    assert np.isfinite(first.best_value)
