"""Tests of the prototype dataset embeddings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from autometa._exceptions import NotFittedError, ParameterError  # noqa: E402
from autometa.models import MetaModel, PrototypeModel, TaskData  # noqa: E402

from ._synthetic import make_task_data  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def split() -> tuple[TaskData, TaskData, list[str]]:
    data = make_task_data(n_datasets=80, seed=5)
    held_out = data.dataset_ids[:20]
    return data, data.without(held_out), held_out


@pytest.fixture(scope="module")
def fitted(split) -> PrototypeModel:
    return PrototypeModel(episodes=150, random_state=0).fit(split[1])


def winning_learner(data: TaskData) -> pd.Series:
    best = data.scores.T.groupby(data.configurations["learner"]).max().T
    return best.idxmax(axis=1)


def test_beats_single_best_on_held_out_datasets(split, fitted):
    data, train, held_out = split
    scores = data.scores.loc[held_out]
    sbs = train.scores.mean().idxmax()
    best = fitted.predict(data.metafeatures.loc[held_out]).mean.idxmax(axis=1)
    model_regret = np.mean([1 - scores.loc[d, best[d]] for d in held_out])
    assert model_regret < float((1 - scores[sbs]).mean()) - 0.1


def test_learner_probabilities_predict_the_winner_better_than_the_majority(split, fitted):
    data, train, held_out = split
    probs = fitted.learner_probabilities(data.metafeatures.loc[held_out])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert set(probs.columns) == set(data.configurations["learner"])
    truth = winning_learner(data).loc[held_out]
    majority = winning_learner(train).value_counts().idxmax()
    accuracy = (probs.idxmax(axis=1) == truth).mean()
    assert accuracy > (truth == majority).mean()


def test_a_training_dataset_is_its_own_nearest_neighbour(split, fitted):
    _, train, _ = split
    for d in train.dataset_ids[:5]:
        nb = fitted.neighbours(train.metafeatures.loc[d], k=3)
        assert list(nb.columns) == ["dataset_id", "distance", "best_learner"]
        assert nb["dataset_id"].iloc[0] == d
        assert nb["distance"].iloc[0] == pytest.approx(0.0, abs=1e-5)
        assert nb["distance"].is_monotonic_increasing
        assert nb["best_learner"].iloc[0] == winning_learner(train).loc[d]


def test_ood_score_flags_a_far_point_and_not_a_training_point(split, fitted):
    data, train, held_out = split
    assert fitted.ood_score(train.metafeatures.iloc[0]) == 0.0
    assert not fitted.is_ood(train.metafeatures.iloc[0])
    far = train.metafeatures.iloc[0] * 0 + 40.0
    assert fitted.ood_score(far) == 1.0
    assert fitted.is_ood(far, level=0.99)
    # held-out datasets from the same distribution are mostly not flagged
    flagged = [fitted.is_ood(data.metafeatures.loc[d]) for d in held_out]
    assert np.mean(flagged) <= 0.3


def test_missing_and_extra_meta_features_are_aligned_by_name(split, fitted):
    data, _, held_out = split
    mf = data.metafeatures.loc[held_out[0]]
    partial = mf.drop(mf.index[:3])
    partial["unknown.extra"] = 7.0
    nan = mf.copy()
    nan.iloc[:3] = np.nan
    pd.testing.assert_frame_equal(
        fitted.learner_probabilities(partial).reset_index(drop=True),
        fitted.learner_probabilities(nan).reset_index(drop=True),
    )
    assert np.isfinite(fitted.ood_score(partial))


def test_deterministic_and_save_load_identity(split, fitted, tmp_path):
    data, train, held_out = split
    mf = data.metafeatures.loc[held_out]
    again = PrototypeModel(episodes=150, random_state=0).fit(train)
    pd.testing.assert_frame_equal(fitted.predict(mf).mean, again.predict(mf).mean)
    fitted.save(tmp_path / "p")
    loaded = MetaModel.load(tmp_path / "p")
    assert isinstance(loaded, PrototypeModel)
    pd.testing.assert_frame_equal(fitted.predict(mf).mean, loaded.predict(mf).mean)
    pd.testing.assert_frame_equal(fitted.predict(mf).std, loaded.predict(mf).std)
    pd.testing.assert_frame_equal(fitted.neighbours(mf.iloc[0]), loaded.neighbours(mf.iloc[0]))
    assert fitted.ood_score(mf.iloc[0]) == loaded.ood_score(mf.iloc[0])


def test_errors(split, fitted):
    data, _, _ = split
    with pytest.raises(
        ParameterError, match=r"'dim' parameter of PrototypeModel must be an int >= 1"
    ):
        PrototypeModel(dim=0).fit(data)
    with pytest.raises(ParameterError, match=r"'k' parameter of PrototypeModel.neighbours must"):
        fitted.neighbours(data.metafeatures.iloc[0], k=0)
    with pytest.raises(ParameterError, match="takes the meta-features of one dataset. Got 2 rows"):
        fitted.ood_score(data.metafeatures.iloc[:2])
    with pytest.raises(NotFittedError, match="This PrototypeModel is not fitted yet"):
        PrototypeModel().neighbours(data.metafeatures.iloc[0])
