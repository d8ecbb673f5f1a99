"""The torch meta-models predict in numpy: the same numbers as their torch networks.

Each torch model class is fitted (torch), then every output a caller reads -- ``predict``'s
mean and std, ``rank`` (zero-shot, and after observed trials for the adaptive models),
neighbours, learner probabilities, out-of-distribution distances and scores -- is computed
twice: as shipped (the networks run in numpy from the saved arrays) and with the networks
run by the trained torch modules, as before numpy inference. They agree to float rounding
(torch computes in float32) and give the same orders. Models loaded from ``arrays.npz``
build their torch modules on first need, to adapt.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from autometa.models import MetaModel, TaskData, model_class, model_names
from autometa.models._maml import MAMLSurrogate
from autometa.models._surrogate import Surrogate
from autometa.models._torch_utils import EncoderWeights

from ._synthetic import make_legacy, make_task_data

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

#: Every registered model with a torch network, and small settings to fit it.
TORCH_MODELS = {
    "surrogate": {"epochs": 30, "n_members": 3},
    "relation": {"epochs": 30, "n_members": 3},
    "prototypes": {"episodes": 30},
    "maml": {"epochs": 30, "meta_epochs": 4, "n_members": 3},
    "reptile": {"epochs": 30, "meta_epochs": 2, "n_members": 3},
    "similarity": {"epochs": 30},
}
TOL = {"rtol": 1e-6, "atol": 1e-6}


@pytest.fixture(scope="module")
def data() -> TaskData:
    return make_task_data(n_datasets=24, configs_per_learner=3, n_metafeatures=6, seed=3)


_FITTED: dict[str, MetaModel] = {}


@pytest.fixture
def fitted(name: str, data: TaskData) -> MetaModel:
    if name not in _FITTED:
        _FITTED[name] = model_class(name)(**TORCH_MODELS[name], random_state=0).fit(data)
    return _FITTED[name]


def _query(data: TaskData) -> pd.DataFrame:
    """Two shifted training datasets, one with a hole, and one far from all of them."""
    q = data.metafeatures.iloc[:3].copy() + 0.1
    q.iloc[2, 1] = np.nan
    far = data.metafeatures.iloc[[3]] * 40
    q = pd.concat([q, far])
    q.index = pd.Index([f"new/{i}" for i in range(4)], name="dataset_id")
    return q


def _observations(data: TaskData) -> dict[str, float]:
    ids = data.config_ids
    return {ids[0]: 0.9, ids[5]: 0.4, ids[-1]: 0.7, ids[len(ids) // 2]: math.nan}


# -- the torch forward passes (the networks as torch runs them) ------------------------------
def _torch_member_scores(model: Surrogate, frame: pd.DataFrame) -> np.ndarray:
    net = model.net_
    x = torch.as_tensor(model.scaler_.transform(frame))
    with torch.no_grad():
        u = net.dataset_embedding(x)
        v = net.config_embeddings(torch.as_tensor(model.config_matrix_))
        ctx = getattr(model, "context_", None)
        if ctx is None:
            s = net.scores(u, v)
        else:
            onehot = torch.as_tensor(model.config_matrix_[:, : len(model.learners_)])
            du, dl = torch.as_tensor(ctx["du"]), torch.as_tensor(ctx["dl"])
            s = net.scores(u + du, v) + dl @ onehot.T
    return s.numpy().astype(np.float64)


def _torch_embed(model: EncoderWeights, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model.encoder_(torch.as_tensor(x)).numpy().astype(np.float64)


def _outputs(model: MetaModel, data: TaskData) -> dict[str, object]:
    """Everything a caller reads from the model, for the query datasets."""
    query = _query(data)
    pred = model.predict(query)
    out: dict[str, object] = {"mean": pred.mean.to_numpy(), "rank": model.rank(query.iloc[0])}
    out["std"] = None if pred.std is None else pred.std.to_numpy()
    out["rank far"] = model.rank(query.iloc[3])
    if isinstance(model, MAMLSurrogate):
        obs = _observations(data)
        out["rank observed"] = model.rank(query.iloc[0], obs)
        out["adapted mean"] = model.adapt(query.iloc[[0]], obs).predict(query).mean.to_numpy()
    for i, row in enumerate(query.index):
        mf = query.loc[row]
        if hasattr(model, "neighbours"):
            nb = model.neighbours(mf, k=5)
            out[f"neighbours {i}"] = list(nb["dataset_id"])
            out[f"distances {i}"] = nb["distance"].to_numpy()
        if hasattr(model, "ood_score"):
            out[f"ood distance {i}"] = model.ood_distance(mf)
            out[f"ood score {i}"] = model.ood_score(mf)
    if hasattr(model, "learner_probabilities"):
        out["learner probabilities"] = model.learner_probabilities(query).to_numpy()
    return out


def _torch_outputs(model: MetaModel, data: TaskData, monkeypatch) -> dict[str, object]:
    with monkeypatch.context() as patch:
        if isinstance(model, Surrogate):
            patch.setattr(type(model), "_member_scores", _torch_member_scores)
        else:
            patch.setattr(type(model), "_embed", _torch_embed)
        return _outputs(model, data)


def _assert_same(numpy_out: dict[str, object], torch_out: dict[str, object]) -> None:
    assert numpy_out.keys() == torch_out.keys()
    for key, value in numpy_out.items():
        expected = torch_out[key]
        if isinstance(value, list):
            assert value == expected, key  # the same order
        elif value is None:
            assert expected is None, key
        else:
            np.testing.assert_allclose(value, expected, **TOL, err_msg=key)


torch_models = pytest.mark.parametrize("name", list(TORCH_MODELS))


def test_every_torch_model_is_checked() -> None:
    torch_classes = (Surrogate, EncoderWeights)
    assert [n for n in model_names() if issubclass(model_class(n), torch_classes)] == list(
        TORCH_MODELS
    )


@torch_models
def test_numpy_predictions_equal_the_torch_networks(name, fitted, data, monkeypatch) -> None:
    numpy_out = _outputs(fitted, data)
    _assert_same(numpy_out, _torch_outputs(fitted, data, monkeypatch))


@torch_models
def test_a_model_loaded_from_npz_predicts_without_torch_modules_and_adapts(
    name, fitted, data, tmp_path, monkeypatch
) -> None:
    fitted.save(tmp_path / name)
    assert (tmp_path / name / "arrays.npz").is_file()
    loaded = MetaModel.load(tmp_path / name)
    numpy_out = _outputs(loaded, data)  # (adapts, for the adaptive models)
    _assert_same(numpy_out, _outputs(fitted, data))
    # the torch modules are built from the arrays on first need, with the same weights
    _assert_same(numpy_out, _torch_outputs(loaded, data, monkeypatch))


@pytest.mark.parametrize("name", ["maml", "prototypes"])
def test_a_legacy_model_predicts_as_before(name, fitted, data, tmp_path) -> None:
    fitted.save(tmp_path / name)
    make_legacy(tmp_path / name, schema=2)
    _assert_same(_outputs(MetaModel.load(tmp_path / name), data), _outputs(fitted, data))


def test_a_loaded_model_builds_no_torch_module_to_predict(data, tmp_path) -> None:
    model = model_class("maml")(**TORCH_MODELS["maml"], random_state=0).fit(data)
    model.save(tmp_path / "m")
    loaded = MetaModel.load(tmp_path / "m")
    loaded.predict(_query(data))
    loaded.rank(_query(data).iloc[0])
    assert loaded._net is None and loaded._adapter is None
    loaded.rank(_query(data).iloc[0], _observations(data))  # adapting needs them
    assert loaded._net is not None and loaded._adapter is not None
