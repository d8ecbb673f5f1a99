"""Tests of the MAML-trained warm-start surrogate."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

torch = pytest.importorskip("torch")

from autometa._exceptions import ParameterError  # noqa: E402
from autometa.models import MetaModel, Surrogate, TaskData  # noqa: E402
from autometa.models._maml import MAMLSurrogate  # noqa: E402
from autometa.models._torch_nets import pairwise_loss  # noqa: E402

from ._synthetic import make_task_data  # noqa: E402

torch.set_num_threads(1)

FAST = {"epochs": 80, "meta_epochs": 40, "n_members": 3}


def with_hidden_offsets(data: TaskData, seed: int = 1) -> TaskData:
    """Add to each dataset a per-learner offset that its meta-features do not reveal:
    only the trials observed on the dataset itself can tell it."""
    rng = np.random.default_rng(seed)
    learners = sorted(set(data.configurations["learner"]))
    lidx = np.array([learners.index(x) for x in data.configurations["learner"]])
    hidden = rng.normal(scale=0.25, size=(len(data.dataset_ids), len(learners)))
    raw = data.raw.to_numpy() + hidden[:, lidx]
    lo, hi = raw.min(1, keepdims=True), raw.max(1, keepdims=True)
    frame = dict(index=data.scores.index, columns=data.scores.columns)
    return TaskData(
        data.task,
        data.metric,
        data.metafeatures,
        data.configurations,
        pd.DataFrame((raw - lo) / (hi - lo), **frame),
        pd.DataFrame(raw, **frame),
        data.families,
    )


@pytest.fixture(scope="module")
def split() -> tuple[TaskData, TaskData, list[str]]:
    data = with_hidden_offsets(make_task_data(n_datasets=80, seed=7))
    held_out = data.dataset_ids[:20]
    return data, data.without(held_out), held_out


@pytest.fixture(scope="module")
def fitted(split) -> MAMLSurrogate:
    return MAMLSurrogate(**FAST, random_state=0).fit(split[1])


def observe(data: TaskData, dataset: str, k: int, seed: int) -> dict[str, float]:
    ids = np.random.default_rng(seed).choice(data.config_ids, k, replace=False)
    return {c: float(data.raw.loc[dataset, c]) for c in ids}


@pytest.mark.slow
def test_adaptation_improves_ranking_of_the_other_configurations(split, fitted):
    data, _, held_out = split
    before, after = [], []
    for i, d in enumerate(held_out):
        obs = observe(data, d, 10, seed=i)
        rest = [c for c in data.config_ids if c not in obs]
        mf = data.metafeatures.loc[[d]]
        truth = data.scores.loc[d, rest]
        before.append(spearmanr(fitted.predict(mf).mean.iloc[0][rest], truth)[0])
        adapted = fitted.adapt(mf, obs)
        after.append(spearmanr(adapted.predict(mf).mean.iloc[0][rest], truth)[0])
    assert np.mean(after) > np.mean(before) + 0.1


def test_beats_single_best_zero_shot(split, fitted):
    data, train, held_out = split
    scores = data.scores.loc[held_out]
    sbs = train.scores.mean().idxmax()
    first = [fitted.rank(data.metafeatures.loc[d])[0] for d in held_out]
    model_regret = np.mean([1 - scores.loc[d, c] for d, c in zip(held_out, first)])
    assert model_regret < float((1 - scores[sbs]).mean()) - 0.1


def test_adaptation_only_uses_the_order_of_the_observed_values(split, fitted):
    data, _, held_out = split
    d = held_out[0]
    obs = observe(data, d, 6, seed=0)
    affine = {c: 100.0 * v - 3.0 for c, v in obs.items()}
    mf = data.metafeatures.loc[[d]]
    a = fitted.adapt(mf, obs).predict(mf).mean
    b = fitted.adapt(mf, affine).predict(mf).mean
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), atol=1e-5)
    assert not np.allclose(a.to_numpy(), fitted.predict(mf).mean.to_numpy())


def test_uninformative_observations_leave_the_model_unchanged(split, fitted):
    data, _, held_out = split
    mf = data.metafeatures.loc[[held_out[0]]]
    c0, c1 = data.config_ids[:2]
    base = fitted.predict(mf).mean
    for obs in ({c0: 0.7}, {c0: 0.7, c1: 0.7}, {"not-in-pool": 0.1, c0: 0.3}, {c0: np.nan}):
        pd.testing.assert_frame_equal(fitted.adapt(mf, obs).predict(mf).mean, base)
    pd.testing.assert_frame_equal(
        fitted.adapt(mf, {c0: 0.1, c1: 0.9}, steps=0).predict(mf).mean, base
    )


def test_failed_trials_count_as_worst(split, fitted):
    data, _, held_out = split
    mf = data.metafeatures.loc[[held_out[1]]]
    c0, c1, c2 = data.config_ids[:3]
    with_nan = fitted.adapt(mf, {c0: 0.8, c1: 0.6, c2: np.nan}).predict(mf).mean
    explicit = fitted.adapt(mf, {c0: 0.8, c1: 0.6, c2: 0.4}).predict(mf).mean
    np.testing.assert_allclose(with_nan.to_numpy(), explicit.to_numpy(), atol=1e-5)


def test_rank_adapts_and_leaves_out_observed(split, fitted):
    data, _, held_out = split
    d = held_out[2]
    mf = data.metafeatures.loc[d]
    obs = observe(data, d, 5, seed=3)
    ei_model = copy.copy(fitted)
    ei_model.acquisition = "ei"
    order = ei_model.rank(mf, obs)
    assert len(order) == len(data.config_ids) - 5 and not set(order) & set(obs)
    # expected improvement over the best trial, member by member
    members = fitted.adapt(mf, obs)._member_scores(mf.to_frame().T)[:, 0, :]
    best = data.config_ids.index(max(obs, key=obs.get))
    ei = pd.Series(np.clip(members - members[:, [best]], 0, None).mean(0), data.config_ids)
    assert ei[order[0]] == pytest.approx(ei.drop(list(obs)).max())


def test_prior_acquisition_orders_by_the_zero_shot_mean(split, fitted):
    data, _, held_out = split
    d = held_out[2]
    mf = data.metafeatures.loc[d]
    obs = observe(data, d, 5, seed=3)
    fitted = copy.copy(fitted)
    fitted.acquisition = "prior"
    # rank orders by the unclipped ensemble mean (predict clips to [0, 1])
    members = fitted._member_scores(mf.to_frame().T)[:, 0, :].mean(0)
    zero_shot = pd.Series(members, index=data.config_ids)
    expected = zero_shot.drop(list(obs)).sort_values(ascending=False, kind="stable")
    assert fitted.rank(mf, obs) == list(expected.index)
    assert fitted.rank(mf) == list(zero_shot.sort_values(ascending=False, kind="stable").index)


def test_frozen_meta_training_keeps_the_ordinary_training(split):
    params = {**FAST, "meta_epochs": 3}
    meta = MAMLSurrogate(**params, random_state=0).fit(split[1])
    plain = Surrogate(**{k: v for k, v in params.items() if k != "meta_epochs"}, random_state=0)
    plain.fit(split[1])
    mf = split[0].metafeatures.iloc[:3]
    # the same network (MAMLSurrogate.predict clips to [0, 1], Surrogate.predict does not)
    np.testing.assert_allclose(meta._member_scores(mf), plain._member_scores(mf))
    assert not np.allclose(meta.adapter_.log_lr.detach().numpy(), np.log(meta.inner_lr))


def test_ucb_acquisition(split, fitted):
    data, _, held_out = split
    d = held_out[2]
    mf = data.metafeatures.loc[d]
    obs = observe(data, d, 5, seed=3)
    ucb_model = copy.copy(fitted)
    ucb_model.acquisition = "ucb"
    adapted = fitted.adapt(mf, obs).predict(mf)
    ucb = adapted.mean.iloc[0] + fitted.beta * adapted.std.iloc[0]
    assert ucb_model.rank(mf, obs)[0] == ucb.drop(list(obs)).idxmax()


def test_determinism_and_save_load_of_base_and_adapted_models(split, fitted, tmp_path):
    data, train, held_out = split
    mf = data.metafeatures.loc[[held_out[0]]]
    obs = observe(data, held_out[0], 5, seed=1)
    again = MAMLSurrogate(**FAST, random_state=0).fit(train)
    pd.testing.assert_frame_equal(again.predict(mf).mean, fitted.predict(mf).mean)
    fitted.save(tmp_path / "base")
    loaded = MetaModel.load(tmp_path / "base")
    assert isinstance(loaded, MAMLSurrogate)
    assert loaded.rank(mf.iloc[0], obs) == fitted.rank(mf.iloc[0], obs)
    adapted = fitted.adapt(mf, obs)
    adapted.save(tmp_path / "adapted")
    reloaded = MetaModel.load(tmp_path / "adapted")
    pd.testing.assert_frame_equal(reloaded.predict(mf).mean, adapted.predict(mf).mean)
    pd.testing.assert_frame_equal(reloaded.predict(mf).std, adapted.predict(mf).std)


def test_pairwise_loss_is_scale_free_and_zero_without_pairs():
    pred = torch.tensor([[0.1, 0.5, 0.3, 0.0]])
    values = torch.tensor([[1.0, 3.0, 2.0, 0.0]])
    mask = torch.tensor([[True, True, True, False]])
    a = pairwise_loss(pred, values, mask, 0.1)
    b = pairwise_loss(pred, 10 * values + 5, mask, 0.1)
    torch.testing.assert_close(a, b)
    worse = pairwise_loss(pred.flip(-1), values, mask, 0.1)
    assert float(worse) > float(a)
    one = torch.tensor([[True, False, False, False]])
    assert float(pairwise_loss(pred, values, one, 0.1)) == 0.0


def test_errors(split, fitted):
    data, _, held_out = split
    mf = data.metafeatures.loc[[held_out[0]]]
    with pytest.raises(
        ParameterError,
        match=r"'acquisition' parameter of MAMLSurrogate must be one of \['prior', 'ei', 'ucb', 'mean'\]",
    ):
        MAMLSurrogate(acquisition="pi").fit(data)
    with pytest.raises(
        ParameterError, match=r"'max_support' parameter of MAMLSurrogate must be an int >= 2"
    ):
        MAMLSurrogate(max_support=1).fit(data)
    with pytest.raises(
        ParameterError, match=r"'steps' parameter of MAMLSurrogate.adapt must be an int >= 0"
    ):
        fitted.adapt(mf, {}, steps=-1)
    with pytest.raises(ParameterError, match="must be a mapping of config_id to metric value"):
        fitted.adapt(mf, [0.1, 0.2])
    with pytest.raises(ParameterError, match="takes the meta-features of one dataset. Got 2 rows"):
        fitted.adapt(data.metafeatures.iloc[:2], {})
