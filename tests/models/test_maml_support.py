"""MAML meta-trained as it is used: search-like supports, scores kept in range, old names."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from autometa._exceptions import ParameterError  # noqa: E402
from autometa.models import MetaModel, default_models_dir  # noqa: E402
from autometa.models._maml import MAMLSurrogate, WarmStartSurrogate  # noqa: E402

from ._synthetic import make_task_data  # noqa: E402

torch.set_num_threads(1)

TINY = {"epochs": 30, "meta_epochs": 2, "n_members": 2}


@pytest.fixture(scope="module")
def data():
    return make_task_data(n_datasets=30, seed=5)


@pytest.fixture(scope="module")
def fitted(data):
    return MAMLSurrogate(**TINY, support="search", random_state=0).fit(data)


def test_old_name_is_the_same_class_and_key():
    assert WarmStartSurrogate is MAMLSurrogate
    assert MAMLSurrogate.name == "maml"


def _drawn_positions(model: MAMLSurrogate, scores: torch.Tensor, kmax: int) -> np.ndarray:
    observed = torch.ones(scores.shape[1:], dtype=torch.bool)
    gen = torch.Generator().manual_seed(0)
    index, mask = model._draw_support(scores, observed, kmax, gen)
    return np.array(
        [i for row, m in zip(index.tolist(), mask.tolist()) for i, u in zip(row, m) if u]
    )


def test_search_support_is_the_rankers_top_picks_random_support_is_not():
    # 200 tasks, 50 configurations whose zero-shot score decreases with their position
    scores = torch.linspace(1.0, 0.0, 50).expand(1, 200, 50).clone()
    search = MAMLSurrogate(support="search", support_temperature=0.02)
    random = MAMLSurrogate(support="random")
    top = _drawn_positions(search, scores, 10)
    anywhere = _drawn_positions(random, scores, 10)
    assert np.median(top) < 5  # the first picks of the zero-shot order ...
    assert top.max() > 10  # ... with some exploration beyond them
    assert 15 < np.median(anywhere) < 35  # uniform over the pool


def test_support_never_uses_unobserved_cells():
    scores = torch.linspace(1.0, 0.0, 20).expand(1, 50, 20).clone()
    observed = torch.ones(50, 20, dtype=torch.bool)
    observed[:, :5] = False  # the five best were never evaluated
    model = MAMLSurrogate(support="search", support_temperature=0.02)
    index, mask = model._draw_support(scores, observed, 8, torch.Generator().manual_seed(1))
    used = index[mask]
    assert used.numel() > 0 and int(used.min()) >= 5


def test_predict_stays_in_the_normalized_range_far_from_the_knowledge_base(data, fitted):
    far = data.metafeatures.iloc[:3] * 1e6
    raw = fitted._member_scores(far)
    assert raw.max() > 1.0 or raw.min() < 0.0  # the network extrapolates out of range ...
    pred = fitted.predict(far)
    assert (
        pred.mean.to_numpy().min() >= 0.0 and pred.mean.to_numpy().max() <= 1.0
    )  # ... not predict
    assert pred.std.to_numpy().max() <= 0.5


def test_rank_keeps_the_order_of_the_unclipped_scores(data, fitted):
    model = MAMLSurrogate(**TINY, acquisition="prior", random_state=0).fit(data)
    far = data.metafeatures.iloc[0] * 1e6
    mean = model._member_scores(far.to_frame().T)[:, 0, :].mean(0)
    expected = [data.config_ids[i] for i in np.argsort(-mean, kind="stable")]
    assert model.rank(far) == expected


def test_meta_epochs_zero_keeps_the_initial_inner_learning_rate(data):
    model = MAMLSurrogate(**{**TINY, "meta_epochs": 0}, inner_lr=0.3).fit(data)
    np.testing.assert_allclose(model.adapter_.log_lr.detach().exp().numpy(), [0.3, 0.3], rtol=1e-6)


def test_support_is_saved_and_models_saved_before_it_still_load(data, fitted, tmp_path):
    fitted.save(tmp_path / "m")
    loaded = MetaModel.load(tmp_path / "m")
    assert loaded.support == "search" and loaded.support_temperature == fitted.support_temperature
    mf = data.metafeatures.iloc[0]
    assert loaded.rank(mf) == fitted.rank(mf)
    # a model saved before 'support' existed (as the shipped ones were trained)
    header = json.loads((tmp_path / "m" / "model.json").read_text())
    del header["state"]["training"]["support"], header["state"]["training"]["support_temperature"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(header))
    old = MetaModel.load(tmp_path / "m")
    assert isinstance(old, MAMLSurrogate) and old.support == "random"
    assert old.support_temperature == 0.05
    shipped = MetaModel.load(default_models_dir() / "classification" / "maml")
    assert isinstance(shipped, MAMLSurrogate) and shipped.support == "random"
    assert len(shipped.rank(pd.Series(dtype=float))) == len(shipped.config_ids_)


def test_errors(data):
    with pytest.raises(
        ParameterError,
        match=r"'support' parameter of MAMLSurrogate must be one of \['random', 'search'\]",
    ):
        MAMLSurrogate(support="top").fit(data)
    with pytest.raises(
        ParameterError, match=r"'meta_epochs' parameter of MAMLSurrogate must be an int >= 0"
    ):
        MAMLSurrogate(meta_epochs=-1).fit(data)
    with pytest.raises(
        ParameterError,
        match=r"'support_temperature' parameter of MAMLSurrogate must be a float > 0",
    ):
        MAMLSurrogate(support_temperature=0.0).fit(data)
