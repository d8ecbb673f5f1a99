from __future__ import annotations

import math

import optuna
import pytest
from optuna.samplers import RandomSampler
from optuna.testing.pytest_samplers import (
    BasicSamplerTestCase,
    RelativeSamplerTestCase,
    SingleOnlySamplerTestCase,
)
from optuna.trial import TrialState

from autometa import ParameterError
from autometa.optuna import MetaSampler, suggest

optuna.logging.set_verbosity(optuna.logging.WARNING)


class TestOptunaConformance(
    BasicSamplerTestCase, RelativeSamplerTestCase, SingleOnlySamplerTestCase
):
    """Optuna's own sampler tests (shipped in optuna.testing)."""

    @pytest.fixture
    def sampler(self, fake_model, mf):  # type: ignore[override]
        return lambda: MetaSampler(metafeatures=mf, task="classification", model=fake_model, seed=0)


def _objective(trial: optuna.Trial) -> float:
    suggest(trial, task="classification")
    # a deterministic score of the configuration: one learner is best
    bonus = {"SVC": 1.0, "LogisticRegression": 0.5}.get(trial.params["learner"], 0.0)
    return bonus + 0.01 * len(str(sorted(trial.params.items())))


def _study(sampler: MetaSampler, direction: str = "maximize") -> optuna.Study:
    return optuna.create_study(direction=direction, sampler=sampler)


def test_starts_with_the_zero_shot_order_then_adapts(fake_model, mf) -> None:
    sampler = MetaSampler(
        metafeatures=mf,
        task="classification",
        model=fake_model,
        n_startup=3,
        explore_every=0,
        seed=0,
    )
    study = _study(sampler)
    study.optimize(_objective, n_trials=6)
    order = fake_model.rank(mf)
    ids = [t.user_attrs["autometa:config_id"] for t in study.trials]
    assert ids[:3] == order[:3]
    phases = [t.user_attrs["autometa:source"] for t in study.trials]
    assert phases == ["zero-shot"] * 3 + ["adaptive"] * 3
    # the first trials are the configurations themselves, mapped onto the study
    config = sampler._configs[ids[0]]
    first = study.trials[0].params
    assert first["learner"] == config.learner
    for hp, value in config.params.items():
        name = f"{config.learner}__{hp}"
        if name in first:
            assert first[name] == pytest.approx(value)
    # adaptation saw every completed trial so far, oriented larger-better
    assert len(fake_model.calls) == 3
    assert sorted(fake_model.calls[0].values()) == sorted(t.value for t in study.trials[:3])


def test_minimize_orients_values(fake_model, mf) -> None:
    sampler = MetaSampler(metafeatures=mf, task="classification", model=fake_model, n_startup=2)
    study = _study(sampler, "minimize")
    study.optimize(lambda t: -_objective(t), n_trials=3)
    obs = fake_model.calls[0]
    values = [t.value for t in study.trials[:2]]
    assert sorted(obs.values()) == sorted(-v for v in values)


def test_failed_and_pruned_trials_are_bad_and_not_proposed_again(fake_model, mf) -> None:
    sampler = MetaSampler(metafeatures=mf, task="classification", model=fake_model, n_startup=2)
    study = _study(sampler)

    def objective(trial: optuna.Trial) -> float:
        suggest(trial, task="classification")
        if trial.number == 0:
            raise ValueError("boom")
        if trial.number == 1:
            raise optuna.TrialPruned()
        return _objective(trial)

    study.optimize(objective, n_trials=6, catch=(ValueError,))
    states = [t.state for t in study.trials]
    assert states[:2] == [TrialState.FAIL, TrialState.PRUNED]
    ids = [t.user_attrs["autometa:config_id"] for t in study.trials]
    assert ids[0] not in ids[1:] and ids[1] not in ids[2:]
    last = fake_model.calls[-1]
    assert math.isnan(last[ids[0]]) and math.isnan(last[ids[1]])


def test_single_learner_space_with_bare_names(fake_model, mf) -> None:
    sampler = MetaSampler(
        metafeatures=mf, task="classification", model=fake_model, learners="SVC", seed=0
    )
    study = _study(sampler)
    study.optimize(lambda t: (suggest(t, "SVC"), t.params["C"])[1], n_trials=5)
    order = [c for c in fake_model.rank(mf) if c.startswith("SVC-")]
    ids = [t.user_attrs["autometa:config_id"] for t in study.trials[:3]]
    assert ids[:3] == order[:3]
    assert study.trials[0].params["C"] == pytest.approx(sampler._configs[ids[0]].params["C"])


def test_the_study_may_restrict_the_learners(fake_model, mf) -> None:
    sampler = MetaSampler(metafeatures=mf, task="classification", model=fake_model, seed=0)
    study = _study(sampler)
    study.optimize(
        lambda t: (suggest(t, ["KNeighborsClassifier", "DecisionTreeClassifier"]), 1.0)[1],
        n_trials=4,
    )
    assert {t.params["learner"] for t in study.trials} <= {
        "KNeighborsClassifier",
        "DecisionTreeClassifier",
    }


def test_unknown_parameters_go_to_the_independent_sampler(fake_model, mf) -> None:
    class Recording(RandomSampler):
        names: list[str] = []

        def sample_independent(self, study, trial, param_name, param_distribution):
            self.names.append(param_name)
            return super().sample_independent(study, trial, param_name, param_distribution)

    inner = Recording(seed=0)
    sampler = MetaSampler(
        metafeatures=mf, task="classification", model=fake_model, independent_sampler=inner
    )
    study = _study(sampler)

    def objective(trial: optuna.Trial) -> float:
        suggest(trial, ["LogisticRegression"])
        return trial.suggest_float("threshold", 0, 1)

    study.optimize(objective, n_trials=3)
    assert inner.names.count("threshold") == 3
    assert not any(n.startswith("LogisticRegression__") for n in inner.names)


def test_mapping_onto_the_users_names(fake_model, mf) -> None:
    sampler = MetaSampler(
        metafeatures=mf,
        task="classification",
        model=fake_model,
        learners="LogisticRegression",
        mapping={"C": "inverse_reg"},
    )
    study = _study(sampler)
    study.optimize(lambda t: t.suggest_float("inverse_reg", 0.5, 2.0), n_trials=2)
    pick = sampler._configs[sampler.trial_config_id(0)]
    assert study.trials[0].params["inverse_reg"] == pytest.approx(
        min(max(pick.params["C"], 0.5), 2.0)
    )


def test_seeded_runs_are_reproducible(fake_model, mf) -> None:
    def run() -> list[dict]:
        sampler = MetaSampler(
            metafeatures=mf, task="classification", model=fake_model, n_startup=2, seed=3
        )
        study = _study(sampler)
        study.optimize(_objective, n_trials=6)
        return [t.params for t in study.trials]

    assert run() == run()


def test_enqueued_trials_are_left_alone(fake_model, mf) -> None:
    sampler = MetaSampler(metafeatures=mf, task="classification", model=fake_model)
    study = _study(sampler)
    study.enqueue_trial({"learner": "SVC", "SVC__C": 3.0})
    study.optimize(_objective, n_trials=2)
    assert study.trials[0].params["SVC__C"] == 3.0
    assert "autometa:config_id" not in study.trials[0].user_attrs
    assert study.trials[0].user_attrs["autometa:source"] == "enqueued"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_startup": 0}, "'n_startup' parameter of MetaSampler must be an int >= 1"),
        ({"n_candidates": -1}, "'n_candidates' parameter of MetaSampler must be an int >= 0"),
        ({"adapt_steps": 0}, "'adapt_steps' parameter of MetaSampler must be an int >= 1"),
        ({"explore_every": 1}, "'explore_every' parameter of MetaSampler must be 0"),
        ({"min_distance": -0.1}, "'min_distance' parameter of MetaSampler must be a float"),
        ({"startup_distance": -1}, "'startup_distance' parameter of MetaSampler must be a"),
        ({"ei_tolerance": "x"}, "'ei_tolerance' parameter of MetaSampler must be a float"),
        ({"independent_sampler": "tpe"}, "must be an Optuna sampler or None"),
        ({"task": "ranking"}, "'task' parameter of MetaSampler must be one of"),
        ({"model": "maml"}, "'model' parameter of MetaSampler must be a fitted"),
        ({"task": "regression"}, "was fitted for classification, not regression"),
    ],
)
def test_errors(fake_model, mf, kwargs: dict, match: str) -> None:
    base = {"metafeatures": mf, "task": "classification", "model": fake_model}
    with pytest.raises(ParameterError, match=match):
        MetaSampler(**{**base, **kwargs})


def test_needs_data_or_metafeatures(fake_model) -> None:
    with pytest.raises(ParameterError, match="needs the data X"):
        MetaSampler(task="classification", model=fake_model)
    with pytest.raises(ParameterError, match="needs the 'task' parameter"):
        MetaSampler(model=fake_model)


# -- search after the zero-shot phase ---------------------------------------------------------
def _lookup_objective(sampler: MetaSampler, seed: int = 0):
    """Score of the pool configuration nearest to the trial (a table look-up), with
    scores unrelated to the model's ranking: only search finds the best."""
    import numpy as np

    from autometa.learners import get_learner

    rng = np.random.default_rng(seed)
    scores = {cid: float(rng.random()) for cid in sampler._configs}

    def objective(trial: optuna.Trial) -> float:
        suggest(trial, task="classification")
        config = sampler._names.from_study(trial.params)
        assert config is not None
        ids, matrix = sampler._encoded[config.learner]
        x = get_learner(config.learner).encode(config.params)
        return scores[ids[int(np.argmin(((matrix - x) ** 2).sum(axis=1)))]]

    return objective, scores


def test_no_near_duplicate_proposals(fake_model, mf) -> None:
    import numpy as np

    from autometa.learners import get_learner

    sampler = MetaSampler(
        metafeatures=mf, task="classification", model=fake_model, explore_every=0, seed=0
    )
    study = _study(sampler)
    objective, _ = _lookup_objective(sampler)
    study.optimize(objective, n_trials=30)
    proposed = [t for t in study.trials if t.user_attrs["autometa:source"] != "explore"]
    ids = [
        t.user_attrs["autometa:config_id"]
        for t in proposed
        if t.user_attrs.get("autometa:config_id")
    ]
    assert len(ids) == len(set(ids))  # never the same pool configuration twice
    points = [sampler._names.from_study(t.params) for t in proposed]
    for i, a in enumerate(points):
        xa = get_learner(a.learner).encode(a.params)
        for b in points[:i]:
            if b.learner == a.learner:
                xb = get_learner(b.learner).encode(b.params)
                assert np.sqrt(((xa - xb) ** 2).mean()) > sampler._settings.min_distance


def test_keeps_making_progress_after_the_zero_shot_phase(fake_model, mf) -> None:
    sampler = MetaSampler(
        metafeatures=mf, task="classification", model=fake_model, n_startup=3, seed=0
    )
    study = _study(sampler)
    objective, scores = _lookup_objective(sampler, seed=1)
    study.optimize(objective, n_trials=40)
    values = [t.value for t in study.trials]
    assert max(values[3:]) > max(values[:3])
    # 40 trials on a 32-configuration pool whose scores the model cannot know: the search
    # covers most of it instead of circling the best zero-shot trial.
    distinct = {round(v, 12) for v in values}
    assert len(distinct) >= 0.5 * len(scores)
    assert max(values) >= sorted(scores.values())[-3]


def test_explores_every_mth_trial_with_the_independent_sampler(fake_model, mf) -> None:
    class Recording(RandomSampler):
        trials: list[int] = []

        def sample_independent(self, study, trial, param_name, param_distribution):
            if param_name == "learner":
                self.trials.append(trial.number)
            return super().sample_independent(study, trial, param_name, param_distribution)

    inner = Recording(seed=0)
    sampler = MetaSampler(
        metafeatures=mf,
        task="classification",
        model=fake_model,
        n_startup=2,
        explore_every=3,
        independent_sampler=inner,
        seed=0,
    )
    study = _study(sampler)
    study.optimize(_objective, n_trials=11)
    phases = [t.user_attrs["autometa:source"] for t in study.trials]
    assert phases[:2] == ["zero-shot"] * 2
    assert [i for i, p in enumerate(phases) if p == "explore"] == [4, 7, 10]
    assert inner.trials == [4, 7, 10]
    assert "autometa:config_id" not in study.trials[4].user_attrs


def test_falls_back_to_the_independent_sampler_when_ei_is_negligible(fake_model, mf) -> None:
    sampler = MetaSampler(
        metafeatures=mf,
        task="classification",
        model=fake_model,
        n_startup=2,
        explore_every=0,
        ei_tolerance=1e9,
        seed=0,
    )
    study = _study(sampler)
    study.optimize(_objective, n_trials=5)
    phases = [t.user_attrs["autometa:source"] for t in study.trials]
    assert phases == ["zero-shot"] * 2 + ["fallback"] * 3


def test_startup_model_ranks_the_zero_shot_trials(fake_model, task_data, mf) -> None:
    from autometa.models import GreedyPortfolio

    portfolio = GreedyPortfolio().fit(task_data)
    sampler = MetaSampler(
        metafeatures=mf,
        task="classification",
        model=fake_model,
        startup_model=portfolio,
        n_startup=3,
        seed=0,
    )
    study = _study(sampler)
    study.optimize(_objective, n_trials=4)
    ids = [t.user_attrs["autometa:config_id"] for t in study.trials]
    assert ids[:3] == portfolio.rank(mf)[:3]
    assert study.trials[3].user_attrs["autometa:source"] == "adaptive"
    with pytest.raises(ParameterError, match="startup_model"):
        MetaSampler(metafeatures=mf, task="classification", model=fake_model, startup_model="sbs")


def _favouring(model, learner: str):
    """A copy of the fake model whose zero-shot order puts every ``learner`` configuration
    first (a ranker whose top picks cluster on one learner)."""
    import copy

    out = copy.copy(model)
    out.mean_ = model.mean_ + 10.0 * (model.learners_ == learner)
    return out


@pytest.mark.parametrize("startup_distance", [0.0, 10.0])
def test_zero_shot_trials_spread_over_learners(fake_model, mf, startup_distance) -> None:
    # issue 17: five zero-shot SVRs, near-twins, where HistGradientBoosting was the answer
    model = _favouring(fake_model, "SVC")
    sampler = MetaSampler(
        metafeatures=mf,
        task="classification",
        model=model,
        startup_model=model,
        n_startup=3,
        startup_distance=startup_distance,
        seed=0,
    )
    study = _study(sampler)
    study.optimize(_objective, n_trials=3)
    learners = [t.params["learner"] for t in study.trials]
    assert all(t.user_attrs["autometa:source"] == "zero-shot" for t in study.trials)
    if startup_distance == 0:  # the ranker's plain order: its top three, all SVC
        assert learners == ["SVC"] * 3
    else:  # every SVC counts as near: the next learners' best come before a second SVC
        assert learners[0] == "SVC" and len(set(learners)) == 3
        order = [c for c in model.rank(mf) if sampler._configs[c].learner != "SVC"]
        firsts = list(dict.fromkeys(sampler._configs[c].learner for c in order))
        assert learners[1:] == firsts[:2]


# -- issue 17: no duplicate trials, sources reported, public Optuna API only -----------------
def _small_space_objective(trial: optuna.Trial) -> float:
    """Six configurations of LogisticRegression under its bare names."""
    c = trial.suggest_int("C", 1, 3)
    weight = trial.suggest_categorical("class_weight", [None, "balanced"])
    return c + (0.5 if weight else 0.0)


@pytest.mark.parametrize(
    "kwargs",
    [{"explore_every": 2}, {"explore_every": 0, "ei_tolerance": 1e9}],
    ids=["explore", "fallback"],
)
def test_no_trial_runs_twice_handoff_trials_included(fake_model, mf, kwargs) -> None:
    sampler = MetaSampler(
        metafeatures=mf,
        task="classification",
        model=fake_model,
        learners="LogisticRegression",
        n_startup=2,
        seed=0,
        **kwargs,
    )
    study = _study(sampler)
    study.optimize(_small_space_objective, n_trials=6)
    params = [tuple(sorted(t.params.items(), key=str)) for t in study.trials]
    assert len(set(params)) == 6  # the whole space, once each
    sources = [sampler.trial_source(t.number) for t in study.trials]
    assert sources[:2] == ["zero-shot"] * 2
    assert set(sources[2:]) & {"explore", "fallback"}  # hand-off trials were checked too


def test_sources_in_user_attrs_and_the_meta_share_in_study_user_attrs(fake_model, mf) -> None:
    sampler = MetaSampler(
        metafeatures=mf,
        task="classification",
        model=fake_model,
        n_startup=2,
        explore_every=3,
        seed=0,
    )
    study = _study(sampler)
    study.enqueue_trial({"learner": "SVC", "SVC__C": 3.0}, user_attrs={"autometa:source": "mine"})
    study.optimize(_objective, n_trials=9)
    sources = [t.user_attrs["autometa:source"] for t in study.trials]
    assert sources[0] == "mine"
    assert sources[1] == "zero-shot"  # the enqueued trial counts as one of n_startup
    assert set(sources[2:]) <= {"adaptive", "explore", "fallback"}
    assert "explore" in sources and "adaptive" in sources
    counts = study.user_attrs["autometa:sources"]
    assert counts == {s: sources.count(s) for s in set(sources)}
    meta = sources.count("zero-shot") + sources.count("adaptive")
    assert study.user_attrs["autometa:meta_share"] == pytest.approx(meta / 9, abs=1e-4)


def test_uses_public_optuna_api_only() -> None:
    import ast
    import inspect

    from autometa.optuna import _sampler

    tree = ast.parse(inspect.getsource(_sampler))
    private = {
        f"{node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("study", "trial", "optuna")
        and node.attr.startswith("_")
    }
    assert not private
