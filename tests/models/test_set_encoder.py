"""The Dataset2Vec-style set encoder: samples, invariances, training, the model around it."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from autometa._exceptions import DataError, ParameterError
from autometa.models import MetaModel, model_class

torch = pytest.importorskip("torch")

from autometa.models._numpy_nets import SetEncoderForward, set_encoder_shapes  # noqa: E402
from autometa.models._set_encoder import (  # noqa: E402
    MAX_TARGETS,
    SET_PREFIX,
    DatasetSamples,
    SetEncoderModel,
    _draw,
    prepare_sample,
)
from autometa.models._torch_nets import SetEncoderNet  # noqa: E402

from ._synthetic import make_raw_samples, make_task_data  # noqa: E402

torch.set_num_threads(1)

SMALL_HEAD = {"epochs": 30, "n_members": 2}


@pytest.fixture(scope="module")
def data():
    return make_task_data(n_datasets=24, configs_per_learner=2, n_metafeatures=5, seed=4)


@pytest.fixture(scope="module")
def samples(data):
    return make_raw_samples(data, extra_ids=["new/a", "new/b"], seed=4)


@pytest.fixture(scope="module")
def fitted(data, samples):
    return SetEncoderModel(samples=samples, epochs=20, head_params=SMALL_HEAD).fit(data)


def _frame(seed: int = 0, n: int = 60, f: int = 6) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.normal(size=(n, f)), columns=[f"c{j}" for j in range(f)])
    x["cat"] = rng.choice(["u", "v", "w"], size=n)
    x.loc[3, "c0"] = np.nan
    y = pd.Series((x["c1"] + rng.normal(size=n) > 0).astype(int))
    return x, y


# -- samples ---------------------------------------------------------------------------------
def test_a_sample_is_standardized_with_one_hot_classes() -> None:
    x, y = _frame()
    s = prepare_sample(x, y, "classification")
    assert s.x.shape == (60, 7) and s.y.shape == (60, 2)
    assert s.x.dtype == np.float32 and np.isfinite(s.x).all()
    np.testing.assert_allclose(s.x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(s.y.sum(axis=1), 1.0)


def test_many_classes_are_pooled_and_regression_is_one_column() -> None:
    x, _ = _frame()
    y = pd.Series(np.arange(60) % 7)
    s = prepare_sample(x, y, "classification")
    assert s.y.shape == (60, MAX_TARGETS)
    np.testing.assert_allclose(s.y.sum(axis=1), 1.0)
    r = prepare_sample(x, pd.Series(np.linspace(0, 5, 60)), "regression")
    assert r.y.shape == (60, 1) and abs(float(r.y.mean())) < 1e-5


def test_large_data_is_subsampled() -> None:
    x, y = _frame(n=500, f=6)
    s = prepare_sample(x, y, "classification", max_rows=100, max_features=3)
    assert s.x.shape == (100, 3)


def test_bad_sample_input_is_a_clear_error() -> None:
    x, y = _frame()
    with pytest.raises(ParameterError, match="'task' parameter of prepare_sample"):
        prepare_sample(x, y, "ranking")
    with pytest.raises(DataError, match="as many target values as rows"):
        prepare_sample(x, y.iloc[:5], "classification")


def test_samples_save_and_load(samples, tmp_path) -> None:
    samples.save(tmp_path / "s.npz")
    again = DatasetSamples.load(tmp_path / "s.npz")
    assert list(again) == list(samples)
    for key in samples:
        np.testing.assert_array_equal(again[key].x, samples[key].x)
        np.testing.assert_array_equal(again[key].y, samples[key].y)


# -- the encoder -----------------------------------------------------------------------------
def _random_encoder(seed: int = 0) -> tuple[SetEncoderNet, SetEncoderForward]:
    torch.manual_seed(seed)
    net = SetEncoderNet(16, 5).eval()
    state = {k: v.numpy() for k, v in net.state_dict().items()}
    assert {k: v.shape for k, v in state.items()} == set_encoder_shapes(16, 5)
    return net, SetEncoderForward(state)


def _batch(seed: int = 0):
    x, y = _frame(seed)
    s = prepare_sample(x, y, "classification")
    return s, _draw([s], 256, 16, np.random.default_rng(0))


def test_numpy_encoder_equals_torch(samples) -> None:
    net, forward = _random_encoder()
    batch = _draw(list(samples.values())[:5], 64, 8, np.random.default_rng(1))
    arrays = (batch.x, batch.y, batch.row_mask, batch.feature_mask, batch.target_mask)
    with torch.no_grad():
        expected = net(*(torch.as_tensor(a) for a in arrays)).numpy()
    got = forward(*arrays)
    assert got.shape == (5, 5)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_the_embedding_ignores_the_order_of_rows_and_of_features() -> None:
    _, forward = _random_encoder()
    _, b = _batch()
    base = forward(b.x, b.y, b.row_mask, b.feature_mask, b.target_mask)
    rng = np.random.default_rng(3)
    rows, cols = rng.permutation(b.x.shape[1]), rng.permutation(b.x.shape[2])
    by_rows = forward(
        b.x[:, rows], b.y[:, rows], b.row_mask[:, rows], b.feature_mask, b.target_mask
    )
    by_cols = forward(b.x[:, :, cols], b.y, b.row_mask, b.feature_mask[:, cols], b.target_mask)
    np.testing.assert_allclose(by_rows, base, atol=1e-9)
    np.testing.assert_allclose(by_cols, base, atol=1e-9)


def test_padding_does_not_change_the_embedding() -> None:
    _, forward = _random_encoder()
    s, b = _batch()
    other = prepare_sample(*_frame(seed=5, n=90, f=10), "regression")
    padded = _draw([s, other], 256, 16, np.random.default_rng(0))  # s padded to 90 x 11
    assert padded.x.shape[1:] == (90, 11)
    alone = forward(b.x, b.y, b.row_mask, b.feature_mask, b.target_mask)
    together = forward(padded.x, padded.y, padded.row_mask, padded.feature_mask, padded.target_mask)
    np.testing.assert_allclose(together[0], alone[0], atol=1e-9)


def test_a_fitted_models_embedding_ignores_row_and_column_order(fitted) -> None:
    x, y = _frame(seed=7)
    rng = np.random.default_rng(0)
    rows = rng.permutation(len(x))
    shuffled = x.iloc[rows, rng.permutation(x.shape[1])].reset_index(drop=True)
    a = fitted.embed([prepare_sample(x, y, "classification")])
    b = fitted.embed(
        [prepare_sample(shuffled, y.iloc[rows].reset_index(drop=True), "classification")]
    )
    assert a.shape == (1, fitted.dim)
    np.testing.assert_allclose(a, b, atol=1e-9)


@pytest.mark.slow
def test_training_reduces_the_loss(data, samples) -> None:
    model = SetEncoderModel(samples=samples, epochs=120, learning_rate=1e-2, head="nearest50")
    model.fit(data)
    curve = np.asarray(model.loss_curve_)
    assert len(curve) == 120
    assert curve[-20:].mean() < curve[:20].mean() - 0.2


# -- the model -------------------------------------------------------------------------------
def test_the_registry_holds_the_set_encoder() -> None:
    assert model_class("dataset2vec") is SetEncoderModel


def test_the_head_reads_the_embedding_beside_or_instead_of_meta_features(data, samples) -> None:
    combined = SetEncoderModel(samples=samples, epochs=2, head_params=SMALL_HEAD)
    combined.fit(data)
    head: Any = combined.head_  # a Surrogate
    names = head.scaler_.names_
    assert [n for n in names if n.startswith(SET_PREFIX)] == combined.columns_
    assert set(data.metafeatures.columns) <= set(names)
    alone = SetEncoderModel(
        samples=samples, epochs=2, combine=False, head="relation", head_params=SMALL_HEAD
    )
    alone.fit(data)
    head = alone.head_
    assert head.name == "relation"
    assert head.scaler_.names_ == alone.columns_


def test_predictions_from_samples_or_from_columns_agree(fitted, data, samples) -> None:
    query = data.metafeatures.iloc[:2].copy()
    query.index = pd.Index(["new/a", "new/b"], name="dataset_id")
    by_lookup = fitted.predict(query).mean
    cols = fitted.set_features({k: samples[k] for k in query.index})
    assert list(cols.columns) == [f"{SET_PREFIX}{i}" for i in range(16)]
    by_columns = fitted.predict(query.join(cols)).mean
    np.testing.assert_allclose(by_columns.to_numpy(), by_lookup.to_numpy())


def test_save_load_round_trip(fitted, data, samples, tmp_path) -> None:
    fitted.save(tmp_path / "d2v")
    loaded = MetaModel.load(tmp_path / "d2v")
    assert isinstance(loaded, SetEncoderModel) and loaded.samples is None
    assert loaded.loss_curve_ == fitted.loss_curve_
    query = data.metafeatures.iloc[:3]
    cols = fitted.set_features({k: samples[k] for k in query.index})
    np.testing.assert_array_equal(
        loaded.predict(query.join(cols)).mean.to_numpy(),
        fitted.predict(query).mean.to_numpy(),
    )


def test_missing_raw_data_is_an_error_to_fit_and_a_warning_to_predict(data, fitted) -> None:
    with pytest.raises(DataError, match="reads the raw data of every training dataset"):
        SetEncoderModel().fit(data)
    query = data.metafeatures.iloc[:1].rename(index=lambda _: "unknown/x")
    with pytest.warns(UserWarning, match="no raw-data sample of 1 queried"):
        pred = fitted.predict(query)
    assert np.isfinite(pred.mean.to_numpy()).all()


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"head": "maml"}, "'head' parameter of SetEncoderModel must be one of"),
        ({"combine": "yes"}, "'combine' parameter of SetEncoderModel must be a bool"),
        ({"dim": 0}, "'dim' parameter of SetEncoderModel must be an int >= 1"),
        ({"head_params": [1]}, "'head_params' parameter of SetEncoderModel must be a dict"),
    ],
)
def test_bad_parameters_are_clear_errors(data, samples, params, match) -> None:
    with pytest.raises(ParameterError, match=match), warnings.catch_warnings():
        SetEncoderModel(samples=samples, **params).fit(data)
