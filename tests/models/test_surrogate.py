"""Tests of the Surrogate deep ensemble and of the shared torch utilities."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from autometa._exceptions import DataError, ModelError, NotFittedError, ParameterError  # noqa: E402
from autometa.learners import get_learner  # noqa: E402
from autometa.models import MetaModel, Surrogate, TaskData  # noqa: E402
from autometa.models._torch_utils import MetaFeatureScaler, encode_configurations  # noqa: E402

from ._synthetic import make_task_data  # noqa: E402

torch.set_num_threads(1)

FAST = {"epochs": 60, "n_members": 3}


def regret_at_1(prediction: pd.DataFrame, scores: pd.DataFrame) -> float:
    best = prediction.idxmax(axis=1)
    return float(np.mean([1.0 - scores.loc[d, best[d]] for d in scores.index]))


@pytest.fixture(scope="module")
def split() -> tuple[TaskData, TaskData, list[str]]:
    data = make_task_data(n_datasets=60, seed=3)
    held_out = data.dataset_ids[:16]
    return data, data.without(held_out), held_out


@pytest.fixture(scope="module")
def fitted(split) -> Surrogate:
    _, train, _ = split
    return Surrogate(**FAST, random_state=0).fit(train)


# -- the model learns from meta-features ---------------------------------------------------------
def test_beats_single_best_on_held_out_datasets(split, fitted):
    data, train, held_out = split
    scores = data.scores.loc[held_out]
    sbs = train.scores.mean().idxmax()
    sbs_regret = float((1.0 - scores[sbs]).mean())
    model_regret = regret_at_1(fitted.predict(data.metafeatures.loc[held_out]).mean, scores)
    assert model_regret < sbs_regret - 0.1


def test_prediction_shape_and_scale(split, fitted):
    data, _, held_out = split
    pred = fitted.predict(data.metafeatures.loc[held_out])
    assert list(pred.mean.columns) == data.config_ids
    assert list(pred.mean.index) == held_out
    # on the normalized scale: mostly in [0, 1]
    assert pred.mean.to_numpy().mean() == pytest.approx(data.scores.to_numpy().mean(), abs=0.15)


def test_uncertainty_is_nonnegative_and_grows_far_from_training_data(split, fitted):
    data, train, _ = split
    near = fitted.predict(train.metafeatures).std
    assert (near.to_numpy() >= 0).all()
    far = train.metafeatures.iloc[:5] * 0 + 50.0
    assert fitted.predict(far).std.to_numpy().mean() > 2 * near.to_numpy().mean()


def test_series_input_gives_one_row(split, fitted):
    data, _, held_out = split
    pred = fitted.predict(data.metafeatures.loc[held_out[0]])
    assert pred.mean.shape == (1, len(data.config_ids))


def test_rank_orders_by_mean_and_leaves_out_observed(split, fitted):
    data, _, held_out = split
    mf = data.metafeatures.loc[held_out[0]]
    order = fitted.rank(mf)
    mean = fitted.predict(mf).mean.iloc[0]
    assert order[0] == mean.idxmax()
    observed = {order[0]: 0.9, order[3]: 0.5}
    rest = fitted.rank(mf, observed)
    assert set(rest) == set(data.config_ids) - set(observed)


# -- determinism and persistence -------------------------------------------------------------------
def test_same_seed_same_predictions_other_seed_differs(split):
    data, train, held_out = split
    mf = data.metafeatures.loc[held_out]
    a = Surrogate(epochs=10, n_members=2, random_state=1).fit(train).predict(mf).mean
    b = Surrogate(epochs=10, n_members=2, random_state=1).fit(train).predict(mf).mean
    c = Surrogate(epochs=10, n_members=2, random_state=2).fit(train).predict(mf).mean
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a.to_numpy(), c.to_numpy())


def test_fit_does_not_change_global_torch_rng(split):
    _, train, _ = split
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    Surrogate(epochs=2, n_members=1).fit(train)
    assert torch.equal(torch.rand(3), expected)


def test_save_load_gives_identical_predictions(split, fitted, tmp_path):
    data, _, held_out = split
    fitted.save(tmp_path / "m")
    header = json.loads((tmp_path / "m" / "model.json").read_text())
    assert header["model"] == "surrogate"
    assert header["state"]["scaler"]["names"] == list(data.metafeatures.columns)
    loaded = MetaModel.load(tmp_path / "m")
    assert isinstance(loaded, Surrogate)
    mf = data.metafeatures.loc[held_out]
    a, b = fitted.predict(mf), loaded.predict(mf)
    pd.testing.assert_frame_equal(a.mean, b.mean)
    pd.testing.assert_frame_equal(a.std, b.std)
    assert loaded.rank(mf.iloc[0]) == fitted.rank(mf.iloc[0])


@pytest.mark.parametrize(
    "damage",
    [
        lambda a: a.pop("net.config_bias"),
        lambda a: a.update({"net.dataset_net.0.weight": a["net.dataset_net.0.weight"][:, :-1]}),
    ],
    ids=["missing", "reshaped"],
)
def test_damaged_weights_give_model_error(fitted, tmp_path, damage):
    fitted.save(tmp_path / "m")
    with np.load(tmp_path / "m" / "arrays.npz") as archive:
        arrays = {k: archive[k] for k in archive.files}
    damage(arrays)
    np.savez(tmp_path / "m" / "arrays.npz", **arrays)
    # a consistent but wrong pair of files: the checksum matches, the architecture does not
    from autometa.models._base import sha256_file

    header = json.loads((tmp_path / "m" / "model.json").read_text())
    header["files"]["arrays.npz"]["sha256"] = sha256_file(tmp_path / "m" / "arrays.npz")
    (tmp_path / "m" / "model.json").write_text(json.dumps(header))
    with pytest.raises(ModelError, match="do not match the model's architecture"):
        MetaModel.load(tmp_path / "m")


# -- meta-features aligned by name, missing values --------------------------------------------------
def test_meta_features_are_aligned_by_name(split, fitted):
    data, _, held_out = split
    mf = data.metafeatures.loc[held_out]
    shuffled = mf[mf.columns[::-1]].assign(**{"extra.unknown": 1.0})
    pd.testing.assert_frame_equal(fitted.predict(mf).mean, fitted.predict(shuffled).mean)


def test_missing_meta_features_are_handled(split, fitted):
    data, _, held_out = split
    mf = data.metafeatures.loc[held_out]
    dropped = mf.drop(columns=mf.columns[:2])
    nan = mf.copy()
    nan.iloc[:, :2] = np.nan
    a, b = fitted.predict(dropped).mean, fitted.predict(nan).mean
    assert np.isfinite(a.to_numpy()).all()
    pd.testing.assert_frame_equal(a, b)


def test_training_with_missing_values_adds_indicators():
    data = make_task_data(n_datasets=30, seed=4)
    mf = data.metafeatures.copy()
    mf.iloc[::3, 0] = np.nan
    data = TaskData(
        data.task, data.metric, mf, data.configurations, data.scores, data.raw, data.families
    )
    model = Surrogate(epochs=5, n_members=2).fit(data)
    assert model.scaler_.output_names[-1] == f"missing:{mf.columns[0]}"
    assert np.isfinite(model.predict(mf).mean.to_numpy()).all()


def test_scaler_clips_and_centres():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, np.nan], "b": [0.0, 1.0, 2.0, 3.0, 1e300]})
    scaler = MetaFeatureScaler(clip=3.0).fit(frame)
    x = scaler.transform(frame)
    assert x.shape == (5, 3)  # a, b, missing:a
    assert np.abs(x).max() <= 3.0
    assert x[4, 0] == 0.0 and x[4, 2] == 1.0 and x[:4, 2].sum() == 0
    assert x[4, 1] == 3.0  # an extreme value is clipped, not infinite


def test_config_encoding_is_learner_onehot_plus_each_learners_block():
    data = make_task_data(n_datasets=4)
    matrix, names = encode_configurations(data.configurations)
    learners = sorted(set(data.configurations["learner"]))
    assert names[: len(learners)] == [f"learner={n}" for n in learners]
    assert matrix.shape == (len(data.configurations), len(names))
    row = 0
    learner = data.configurations["learner"].iloc[row]
    params = json.loads(data.configurations["params"].iloc[row])
    own = [i for i, n in enumerate(names) if n.startswith(f"{learner}:")]
    np.testing.assert_allclose(matrix[row, own], get_learner(learner).encode(params))
    others = [i for i, n in enumerate(names) if ":" in n and i not in own]
    assert (matrix[row, others] == 0).all()
    assert matrix[:, : len(learners)].sum(axis=1).tolist() == [1.0] * len(matrix)


# -- errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_members": 0}, r"'n_members' parameter of Surrogate must be an int >= 1\. Got 0"),
        ({"epochs": 1.5}, r"'epochs' parameter of Surrogate must be an int >= 1"),
        ({"temperature": 0.0}, r"'temperature' parameter of Surrogate must be a float > 0"),
        ({"weight_decay": -1.0}, r"'weight_decay' parameter of Surrogate must be a float >= 0"),
        ({"dropout": 1.0}, r"'dropout' parameter of Surrogate must be a float in \[0, 1\)"),
        ({"device": "no-such-device"}, r"'device' parameter of Surrogate must be a torch device"),
        ({"random_state": "x"}, r"'random_state' parameter of Surrogate must be an int"),
    ],
)
def test_bad_parameters_are_refused_at_fit(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        Surrogate(**kwargs).fit(make_task_data(n_datasets=4))


def test_unfitted_model_refuses_to_predict():
    with pytest.raises(NotFittedError, match="This Surrogate is not fitted yet"):
        Surrogate().predict(pd.Series({"general.f0": 1.0}))


def test_meta_features_must_be_pandas(fitted):
    with pytest.raises(DataError, match="must be a pandas Series .* Got ndarray instead"):
        fitted._predict(np.zeros((1, 8)))


def test_no_meta_feature_columns_is_refused():
    data = make_task_data(n_datasets=4)
    empty = TaskData(
        data.task,
        data.metric,
        data.metafeatures.iloc[:, :0],
        data.configurations,
        data.scores,
        data.raw,
        data.families,
    )
    with pytest.raises(DataError, match="without meta-features"):
        Surrogate(epochs=1).fit(empty)
