from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from autometa import ParameterError, TaskInferenceWarning
from autometa.kb import KnowledgeBase
from autometa.optuna import add_search, add_study, suggest

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def iris() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    X, y = load_iris(return_X_y=True, as_frame=True)
    mf = pd.Series({"general.n_rows": 150.0, "general.n_features": 4.0})
    return X, y, mf


def _study() -> optuna.Study:
    study = optuna.create_study(
        direction="maximize", study_name="mine", sampler=optuna.samplers.RandomSampler(seed=0)
    )

    def objective(trial: optuna.Trial) -> float:
        suggest(trial, ["LogisticRegression", "KNeighborsClassifier"])
        if trial.number == 2:
            raise ValueError("boom")
        return 0.5 + 0.01 * trial.number

    study.optimize(objective, n_trials=5, catch=(ValueError,))
    return study


def test_add_study_adds_dataset_configurations_and_runs(iris) -> None:
    X, y, mf = iris
    kb = KnowledgeBase()
    study = _study()
    out = add_study(kb, study, X, y, metafeatures=mf)
    assert len(kb) == 0  # left unchanged
    assert list(out.datasets["dataset_id"]) == ["user/mine"]
    assert out.datasets["source"][0] == "user" and out.datasets["n_rows"][0] == 150
    assert set(out.configurations["origin"]) == {"optuna"}
    runs = out.runs
    assert len(runs) == 5 and set(runs["source"]) == {"optuna"}
    assert (runs["status"] == "failed").sum() == 1
    ok = runs.loc[runs["status"] == "ok", "balanced_accuracy"]
    assert sorted(ok) == pytest.approx([0.5, 0.51, 0.53, 0.54])


def test_add_study_checks_the_metric_against_the_direction(iris) -> None:
    X, y, mf = iris
    with pytest.raises(ParameterError, match="The study maximizes but the metric 'log_loss'"):
        add_study(KnowledgeBase(), _study(), X, y, metafeatures=mf, metric="log_loss")
    with pytest.raises(ParameterError, match="must be a classification metric"):
        add_study(KnowledgeBase(), _study(), X, y, metafeatures=mf, metric="r2")
    with pytest.raises(ParameterError, match="'kb' parameter of add_study must be a Knowledge"):
        add_study("kb", _study(), X, y, metafeatures=mf)


def test_add_search_maps_pipeline_parameters(iris) -> None:
    X, y, mf = iris
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    search = GridSearchCV(
        pipe, {"logisticregression__C": [0.01, 1.0, 1e6]}, cv=3, scoring="balanced_accuracy"
    ).fit(X, y)
    out = add_search(KnowledgeBase(), search, X, y, metafeatures=mf)
    configs = out.configurations
    assert set(configs["learner"]) == {"LogisticRegression"}
    assert sorted(configs["params"]) == sorted(
        [
            '{"C":0.01,"class_weight":null}',
            '{"C":1.0,"class_weight":null}',
            '{"C":10000.0,"class_weight":null}',
        ]  # 1e6 clipped into the registry's range
    )
    runs = out.runs
    assert set(runs["source"]) == {"search"} and (runs["n_folds"] == 3).all()
    assert np.allclose(
        sorted(runs["balanced_accuracy"]), sorted(search.cv_results_["mean_test_score"])
    )
    # task None (or "auto", the same): the search's learner's task
    auto = add_search(KnowledgeBase(), search, X, y, metafeatures=mf, task="auto")
    pd.testing.assert_frame_equal(auto.runs, out.runs)


@pytest.mark.parametrize("task", [None, "auto"])
def test_add_study_infers_the_task_for_none_and_auto(iris, task) -> None:
    X, y, mf = iris
    with pytest.warns(TaskInferenceWarning, match="add_study inferred task='classification'"):
        out = add_study(KnowledgeBase(), _study(), X, y, metafeatures=mf, task=task)
    assert list(out.datasets["task"]) == ["classification"]


def test_add_search_errors(iris) -> None:
    X, y, mf = iris
    with pytest.raises(ParameterError, match="must be a fitted scikit-learn search"):
        add_search(KnowledgeBase(), GridSearchCV(LogisticRegression(), {"C": [1]}), X, y)
    search = GridSearchCV(LinearSVC(), {"C": [1.0]}, cv=2).fit(X, y)
    with pytest.raises(ParameterError, match="LinearSVC is not a learner of autometa's registry"):
        add_search(KnowledgeBase(), search, X, y, metafeatures=mf)
    search = GridSearchCV(
        LogisticRegression(max_iter=1000), {"C": [1.0]}, cv=2, scoring="f1_macro"
    ).fit(X, y)
    with pytest.raises(ParameterError, match="must be None or one of"):
        add_search(KnowledgeBase(), search, X, y, metafeatures=mf)
