from __future__ import annotations

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from autometa import ParameterError
from autometa.optuna import suggest, warm_start
from autometa.optuna._common import model_configurations

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _kw(fake_model, mf) -> dict:
    return {"metafeatures": mf, "task": "classification", "model": fake_model}


def test_enqueues_the_top_recommendations_in_autometa_naming(fake_model, mf) -> None:
    study = optuna.create_study(direction="maximize")
    table = warm_start(study, n_trials=4, **_kw(fake_model, mf))
    assert list(table["rank"]) == [1, 2, 3, 4]
    assert list(table["config_id"]) == fake_model.rank(mf)[:4]
    waiting = study.get_trials(states=(optuna.trial.TrialState.WAITING,))
    assert len(waiting) == 4
    attrs = waiting[0].user_attrs
    assert attrs["autometa:source"] == "warm_start"
    assert attrs["autometa:rank"] == 1
    assert attrs["autometa:predicted_score"] == pytest.approx(table["predicted_score"][0])
    study.optimize(lambda t: (suggest(t, task="classification"), 1.0)[1], n_trials=4)
    assert [t.params["learner"] for t in study.trials] == list(table["learner"])


def test_enqueuing_twice_does_not_duplicate(fake_model, mf) -> None:
    study = optuna.create_study()
    warm_start(study, n_trials=3, **_kw(fake_model, mf))
    study.optimize(lambda t: (suggest(t, task="classification"), 1.0)[1], n_trials=1)
    again = warm_start(study, n_trials=3, **_kw(fake_model, mf))
    assert not again["enqueued"].any()
    assert len(study.trials) == 3


def test_maps_onto_explicit_distributions(fake_model, mf) -> None:
    dists = {
        "learner": CategoricalDistribution(["KNeighborsClassifier", "LogisticRegression"]),
        "KNeighborsClassifier__n_neighbors": IntDistribution(2, 6, step=2),
        "KNeighborsClassifier__weights": CategoricalDistribution(["uniform"]),
        "LogisticRegression__C": FloatDistribution(0.5, 2.0, step=0.5),
    }
    study = optuna.create_study()
    table = warm_start(study, n_trials=3, distributions=dists, **_kw(fake_model, mf))
    for params in table["params"]:
        assert params["learner"] in ("KNeighborsClassifier", "LogisticRegression")
        assert set(params) <= set(dists)
        for name, value in params.items():
            assert dists[name]._contains(dists[name].to_internal_repr(value))
        assert "KNeighborsClassifier__p" not in params  # not in the study: left to the sampler


def test_infers_distributions_from_the_study_and_maps_user_names(fake_model, mf) -> None:
    study = optuna.create_study()

    def objective(trial: optuna.Trial) -> float:
        return trial.suggest_float("reg", 1e-2, 1e2, log=True)

    study.optimize(objective, n_trials=1)
    table = warm_start(
        study,
        n_trials=2,
        learners="LogisticRegression",
        mapping={"C": "reg"},
        **_kw(fake_model, mf),
    )
    assert all(set(p) == {"reg"} and 1e-2 <= p["reg"] <= 1e2 for p in table["params"])
    assert (table["learner"] == "LogisticRegression").all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_trials": 0}, "'n_trials' parameter of warm_start must be an int >= 1"),
        ({"distributions": [1]}, "'distributions' parameter of warm_start must be a dict"),
        ({"task": None}, "warm_start needs the 'task' parameter"),
        ({"metafeatures": [1.0]}, "'metafeatures' parameter of warm_start must be a pandas"),
    ],
)
def test_errors(fake_model, mf, kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        warm_start(optuna.create_study(), **{**_kw(fake_model, mf), **kwargs})


def test_max_per_learner_spreads_the_recommendations(fake_model, mf) -> None:
    study = optuna.create_study(direction="maximize")
    table = warm_start(study, n_trials=4, max_per_learner=1, **_kw(fake_model, mf))
    order = fake_model.rank(mf)
    learners = {c: cfg.learner for c, cfg in model_configurations(fake_model).items()}
    first_of_each = []
    for cid in order:
        if learners[cid] not in {learners[c] for c in first_of_each}:
            first_of_each.append(cid)
    # one configuration per learner, the best of each, in the ranker's order
    assert list(table["config_id"]) == [c for c in order if c in first_of_each[:4]]
    assert table["learner"].nunique() == 4
    # with fewer learners than trials, the rest by rank
    study = optuna.create_study(direction="maximize")
    table = warm_start(
        study,
        n_trials=3,
        max_per_learner=1,
        learners=["SVC", "LogisticRegression"],
        **_kw(fake_model, mf),
    )
    assert len(table) == 3 and table["learner"].nunique() == 2
    with pytest.raises(ParameterError, match="'max_per_learner' parameter of warm_start"):
        warm_start(study, max_per_learner=0, **_kw(fake_model, mf))
