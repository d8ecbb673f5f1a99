"""The learned dataset similarity: agreement of rankings, nearest order, OOD score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from autometa._exceptions import ParameterError  # noqa: E402
from autometa.models import MetaModel, TaskData  # noqa: E402
from autometa.models._similarity import SimilarityModel, ranking_agreement  # noqa: E402

from ._synthetic import make_task_data  # noqa: E402

torch.set_num_threads(1)


def with_noise_features(data: TaskData, n: int = 30, seed: int = 0) -> TaskData:
    """Add meta-features that say nothing about the rankings, at a large scale."""
    rng = np.random.default_rng(seed)
    noise = pd.DataFrame(
        rng.normal(scale=5.0, size=(len(data.dataset_ids), n)),
        index=data.metafeatures.index,
        columns=[f"general.noise{j}" for j in range(n)],
    )
    return TaskData(
        data.task,
        data.metric,
        pd.concat([data.metafeatures, noise], axis=1),
        data.configurations,
        data.scores,
        data.raw,
        data.families,
    )


@pytest.fixture(scope="module")
def data():
    return with_noise_features(make_task_data(n_datasets=60, seed=8))


@pytest.fixture(scope="module")
def fitted(data):
    return SimilarityModel(epochs=200, random_state=0).fit(data)


def test_ranking_agreement_is_spearman_over_shared_configurations():
    scores = pd.DataFrame(
        [[0.1, 0.5, 0.9, np.nan], [0.2, 0.6, 1.0, 0.0], [0.9, 0.5, 0.1, 0.3]],
        columns=list("abcd"),
    )
    agree = ranking_agreement(scores)
    np.testing.assert_allclose(np.diag(agree), 1.0)
    assert agree[0, 1] == pytest.approx(1.0)  # same order on the 3 shared columns
    assert agree[0, 2] == pytest.approx(-1.0)
    assert np.isnan(ranking_agreement(scores, min_shared=4)[0, 1])


def test_nearest_datasets_in_the_learned_space_rank_alike(data, fitted):
    agree = ranking_agreement(data.scores)
    fam = data.families.to_numpy()
    other = fam[:, None] != fam[None, :]
    learned = fitted.distances(data.metafeatures).to_numpy()
    raw = fitted.scaler_.transform(data.metafeatures)
    plain = np.sqrt(((raw[:, None] - raw[None]) ** 2).sum(-1))

    def agreement_of_nearest(dist: np.ndarray) -> float:
        dist = np.where(other, dist, np.inf)
        return float(np.mean(agree[np.arange(len(dist)), dist.argmin(1)]))

    assert agreement_of_nearest(learned) > agreement_of_nearest(plain) + 0.1


def test_rank_predict_and_neighbours(data, fitted):
    d = data.dataset_ids[0]
    mf = data.metafeatures.loc[d]
    order = fitted.rank(mf)
    assert sorted(order) == sorted(data.config_ids)
    nb = fitted.neighbours(mf, k=3)
    assert list(nb.columns) == ["dataset_id", "distance"] and nb["dataset_id"].iloc[0] == d
    assert order[0] == data.scores.loc[d].idxmax()  # its own best first: it is its nearest
    seen = {order[0]: 0.9, order[1]: 0.8}
    assert fitted.rank(mf, seen) == order[2:]
    pred = fitted.predict(data.metafeatures.iloc[:3])
    assert pred.mean.to_numpy().min() >= 0 and pred.mean.to_numpy().max() <= 1


def test_ood_score_flags_meta_features_far_from_the_knowledge_base(data, fitted):
    inside = [fitted.ood_score(data.metafeatures.iloc[i]) for i in range(10)]
    assert max(inside) < 0.5  # training datasets find themselves at distance 0
    far = data.metafeatures.iloc[0] * 50 + 100
    assert fitted.ood_score(far) > 0.95 and fitted.is_ood(far)
    assert fitted.ood_distance(far) > fitted.ood_threshold_


def test_state_round_trip(data, fitted):
    copy = SimilarityModel.__new__(SimilarityModel)
    MetaModel.__init__(copy)
    copy.config_ids_, copy.configurations_ = fitted.config_ids_, fitted.configurations_
    copy._load_state(*fitted._state())
    mf = data.metafeatures.iloc[5]
    assert copy.rank(mf) == fitted.rank(mf)
    assert copy.ood_score(mf) == fitted.ood_score(mf)


def test_errors(data, fitted):
    with pytest.raises(ParameterError, match=r"'level' parameter of SimilarityModel must be"):
        SimilarityModel(level=0.0).fit(data)
    with pytest.raises(ParameterError, match=r"'dim' parameter of SimilarityModel must be"):
        SimilarityModel(dim=0).fit(data)
    with pytest.raises(ParameterError, match="takes the meta-features of one dataset. Got 2"):
        fitted.ood_score(data.metafeatures.iloc[:2])
