"""Reptile / first-order MAML meta-training of the surrogate."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from autometa._exceptions import ParameterError  # noqa: E402
from autometa.models import MetaModel  # noqa: E402
from autometa.models._maml import MAMLSurrogate  # noqa: E402
from autometa.models._reptile import ReptileSurrogate  # noqa: E402

from ._synthetic import make_task_data  # noqa: E402

torch.set_num_threads(1)

TINY = {"epochs": 30, "meta_epochs": 3, "n_members": 2}


@pytest.fixture(scope="module")
def data():
    return make_task_data(n_datasets=30, seed=6)


@pytest.fixture(scope="module")
def fitted(data):
    return ReptileSurrogate(**TINY, random_state=0).fit(data)


def test_meta_training_moves_the_shared_network_and_not_the_inner_rate(data, fitted):
    base = ReptileSurrogate(**{**TINY, "meta_epochs": 0}, random_state=0).fit(data)
    mf = data.metafeatures.iloc[:4]
    assert not np.allclose(fitted.predict(mf).mean, base.predict(mf).mean, atol=1e-4)
    lr = fitted.adapter_.log_lr.detach().exp().numpy()
    np.testing.assert_allclose(lr, [fitted.inner_lr] * 2, rtol=1e-6)


def test_a_smaller_meta_step_stays_closer_to_the_ordinary_training(data):
    mf = data.metafeatures.iloc[:6]
    base = ReptileSurrogate(**{**TINY, "meta_epochs": 0}, random_state=0).fit(data)
    ref = base._member_scores(mf)
    moved = []
    for step in (0.05, 1.0):
        model = ReptileSurrogate(**TINY, meta_step=step, random_state=0).fit(data)
        moved.append(np.abs(model._member_scores(mf) - ref).mean())
    assert moved[0] < moved[1]


def test_adapts_ranks_and_round_trips_like_maml(data, fitted, tmp_path):
    assert isinstance(fitted, MAMLSurrogate)
    d = data.dataset_ids[0]
    mf = data.metafeatures.loc[d]
    obs = {c: float(data.raw.loc[d, c]) for c in data.config_ids[:5]}
    order = fitted.rank(mf, obs)
    assert len(order) == len(data.config_ids) - 5 and not set(order) & set(obs)
    again = ReptileSurrogate(**TINY, random_state=0).fit(data)
    assert again.rank(mf, obs) == order
    copy = type(fitted).__new__(type(fitted))
    MetaModel.__init__(copy)
    copy.config_ids_, copy.configurations_ = fitted.config_ids_, fitted.configurations_
    copy._load_state(*fitted._state())
    assert copy.reptile_steps == fitted.reptile_steps and copy.meta_step == fitted.meta_step
    assert copy.rank(mf, obs) == order


def test_errors(data):
    with pytest.raises(
        ParameterError,
        match=r"'meta_step' parameter of ReptileSurrogate must be a float in \(0, 1\]",
    ):
        ReptileSurrogate(meta_step=1.5).fit(data)
    with pytest.raises(
        ParameterError, match=r"'reptile_steps' parameter of ReptileSurrogate must be an int >= 1"
    ):
        ReptileSurrogate(reptile_steps=0).fit(data)
