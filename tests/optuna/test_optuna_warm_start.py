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
    table = warm_start(study, n_trials=4, min_distance=0, **_kw(fake_model, mf))
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


# -- issue 12 (items 7, 8) and issue 17: mapping, reporting, duplicates, diversity ------------
def _waiting(study: optuna.Study) -> list:
    return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,))


def test_mapping_on_a_fresh_study_builds_the_users_distributions(fake_model, mf) -> None:
    study = optuna.create_study(direction="maximize")
    with pytest.warns(UserWarning, match="'gamma' in 1"):  # gamma="scale": no float holds it
        table = warm_start(
            study,
            n_trials=4,
            learners="SVC",
            mapping={"C": "svc_c", "gamma": "svc_gamma"},
            min_distance=0.0,
            **_kw(fake_model, mf),
        )
    assert len(table) == 4
    configs = model_configurations(fake_model)
    for trial, row in zip(_waiting(study), table.itertuples()):
        params = trial.system_attrs["fixed_params"]
        recommended = configs[row.config_id].params
        assert params["svc_c"] == pytest.approx(recommended["C"])  # not dropped
        assert params["class_weight"] == recommended["class_weight"]
        if recommended["gamma"] == "scale":
            assert "svc_gamma" not in params
            assert trial.user_attrs["autometa:dropped"] == {"gamma": "scale"}
        else:
            assert params["svc_gamma"] == pytest.approx(recommended["gamma"])
        assert "C" not in params and "gamma" not in params
    # the objective written with the user's names runs the recommendations as they are
    study.optimize(
        lambda t: (
            t.suggest_float("svc_c", 1e-3, 1e3, log=True)
            + t.suggest_float("svc_gamma", 1e-4, 10.0, log=True)
        ),
        n_trials=4,
    )
    assert [t.params["svc_c"] for t in study.trials] == pytest.approx(
        [configs[c].params["C"] for c in table["config_id"]]
    )


def test_mapping_to_a_name_missing_from_the_distributions_is_refused(fake_model, mf) -> None:
    with pytest.raises(
        ParameterError,
        match=r"maps 'C' to 'svc_c', which is not a parameter of the 'distributions' given "
        r"\(\['C'\]\)\. Add 'svc_c'",
    ):
        warm_start(
            optuna.create_study(),
            learners="SVC",
            mapping={"C": "svc_c"},
            distributions={"C": FloatDistribution(1e-3, 1e3, log=True)},
            **_kw(fake_model, mf),
        )


def test_clipping_is_reported_and_makes_no_duplicates(fake_model, mf) -> None:
    study = optuna.create_study(direction="maximize")
    dists = {"svc_c": FloatDistribution(0.5, 2.0)}  # SVC's pool: C = 0.29, 1, 18.8, 50.1
    with pytest.warns(UserWarning, match=r"clipped recommended values into the study's range "):
        table = warm_start(
            study,
            n_trials=4,
            learners="SVC",
            mapping={"C": "svc_c"},
            distributions=dists,
            **_kw(fake_model, mf),
        )
    values = [p["svc_c"] for p in table["params"]]
    assert len(values) == len(set(values)) == 3  # 18.8 and 50.1 would both run 2.0
    clipped = {row.params["svc_c"]: row.clipped for row in table.itertuples()}
    assert clipped[1.0] == {}
    assert clipped[0.5]["svc_c"] == pytest.approx(0.2882)
    assert clipped[2.0]["svc_c"] in (pytest.approx(18.8), pytest.approx(50.12))
    for trial in _waiting(study):
        value = trial.system_attrs["fixed_params"]["svc_c"]
        assert trial.user_attrs["autometa:clipped"] == clipped[value]
        assert set(trial.user_attrs["autometa:dropped"]) == {"gamma", "class_weight"}
    report = study.user_attrs["autometa:warm_start"]
    assert report["clipped"] == {"svc_c": 2} and report["enqueued"] == 3
    assert report["dropped"] == {"class_weight": 3, "gamma": 3}


def test_skips_what_optuna_skip_if_exists_skips(fake_model, mf) -> None:
    first = warm_start(
        optuna.create_study(), n_trials=1, learners="LogisticRegression", **_kw(fake_model, mf)
    )
    params = dict(first["params"][0])
    study = optuna.create_study()
    # the same configuration after a round trip through a database: equal up to rounding
    study.enqueue_trial({**params, "C": params["C"] * (1 + 1e-9)})
    table = warm_start(study, n_trials=1, learners="LogisticRegression", **_kw(fake_model, mf))
    assert not table["enqueued"].any()
    assert len(study.trials) == 1


def test_min_distance_spreads_the_configurations_of_a_learner(fake_model, mf) -> None:
    import numpy as np

    from autometa.learners import get_learner

    kw = {"n_trials": 4, "learners": "LogisticRegression", **_kw(fake_model, mf)}
    assert len(warm_start(optuna.create_study(), min_distance=0.0, **kw)) == 4
    study = optuna.create_study()
    table = warm_start(study, min_distance=0.2, **kw)
    # C = 1 and C = 59.6 (both unweighted) are 0.17 apart in the encoding: one is kept
    assert len(table) == 3
    assert study.user_attrs["autometa:warm_start"]["skipped_too_close"] == 1
    lrn = get_learner("LogisticRegression")
    points = [lrn.encode(p) for p in table["params"]]
    for i, a in enumerate(points):
        for b in points[:i]:
            assert np.sqrt(((a - b) ** 2).mean()) > 0.2
    with pytest.raises(ParameterError, match="'min_distance' parameter of warm_start must be"):
        warm_start(study, min_distance=-1, **_kw(fake_model, mf))
