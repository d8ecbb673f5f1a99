"""Calibrated intervals of the predicted scores (issue 14, item 8; issue 12)."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from autometa._exceptions import ModelError, ParameterError  # noqa: E402
from autometa.models import MetaModel, SingleBest, Surrogate, TaskData  # noqa: E402
from autometa.models._intervals import (  # noqa: E402
    IntervalCalibration,
    Residuals,
    choose_scale,
    conformal_quantile,
    interval_bounds,
)

from ._synthetic import make_legacy, make_task_data  # noqa: E402

torch.set_num_threads(1)

FAST = {"epochs": 60, "n_members": 3}


def _coverage(model: MetaModel, test: TaskData, calibration) -> tuple[float, float]:
    pred = model.predict(test.metafeatures)
    low, high = interval_bounds(pred.mean.to_numpy(), pred.std.to_numpy(), calibration)
    y = test.scores.to_numpy()
    return float(((y >= low) & (y <= high)).mean()), float((high - low).mean())


@pytest.fixture(scope="module")
def split() -> tuple[TaskData, TaskData]:
    """60 datasets in 30 families; a third of the families held out."""
    data = make_task_data(n_datasets=60, seed=0)
    held = [d for d in data.dataset_ids if int(data.families[d][3:]) % 3 == 0]
    rest = [d for d in data.dataset_ids if d not in held]
    return data.without(held), data.without(rest)


@pytest.fixture(scope="module")
def calibrated(split) -> tuple[Surrogate, Surrogate]:
    """The same fit twice: uncalibrated, and calibrated on the training families."""
    train, _ = split
    plain = Surrogate(**FAST, random_state=0).fit(train)
    model = Surrogate(**FAST, random_state=0).fit(train).calibrate_intervals(train, folds=4)
    return plain, model


# -- coverage on held-out families --------------------------------------------------------
def test_calibrated_interval_covers_the_nominal_share_of_held_out_families(split, calibrated):
    _, test = split
    plain, model = calibrated
    assert plain.interval_calibration_ is None
    cal = model.interval_calibration_
    assert isinstance(cal, IntervalCalibration) and cal.nominal == 0.95
    raw, _ = _coverage(model, test, None)
    covered, width = _coverage(model, test, cal)
    # the ensemble's spread alone holds far too little; calibrated: about 95%
    assert raw < 0.75
    assert 0.90 <= covered <= 0.995
    assert width < 1.0
    # what the calibration reports of itself is cross-validated on held-out families too
    assert 0.90 <= cal.coverage <= 0.99 and cal.raw_coverage < 0.75
    assert cal.folds == 4 and cal.n_families == 20 and cal.n_datasets == 40


def test_calibration_does_not_change_the_predictions_or_the_order(split, calibrated):
    _, test = split
    plain, model = calibrated
    a, b = plain.predict(test.metafeatures), model.predict(test.metafeatures)
    np.testing.assert_array_equal(a.mean.to_numpy(), b.mean.to_numpy())
    np.testing.assert_array_equal(a.std.to_numpy(), b.std.to_numpy())
    mf = test.metafeatures.iloc[0]
    assert plain.rank(mf) == model.rank(mf)


def test_refitting_drops_the_calibration(split):
    train, _ = split
    model = Surrogate(epochs=5, n_members=2).fit(train).calibrate_intervals(train, folds=2)
    assert model.interval_calibration_ is not None
    assert model.fit(train).interval_calibration_ is None


# -- saved, reloaded; older models stay uncalibrated ---------------------------------------
def test_calibration_is_saved_and_reloaded(calibrated, split, tmp_path):
    _, model = calibrated
    model.save(tmp_path / "m")
    header = json.loads((tmp_path / "m" / "model.json").read_text())
    assert header["interval_calibration"] == model.interval_calibration_.to_dict()
    loaded = MetaModel.load(tmp_path / "m")
    assert loaded.interval_calibration_ == model.interval_calibration_
    _, test = split
    assert _coverage(loaded, test, loaded.interval_calibration_) == _coverage(
        model, test, model.interval_calibration_
    )


@pytest.mark.parametrize("schema", [2, 3])
def test_a_model_saved_without_calibration_loads_uncalibrated(calibrated, tmp_path, schema):
    plain, _ = calibrated
    plain.save(tmp_path / "m")
    if schema == 2:  # as autometa wrote models before arrays.npz
        make_legacy(tmp_path / "m", schema=2)
    header = json.loads((tmp_path / "m" / "model.json").read_text())
    assert "interval_calibration" not in header
    assert MetaModel.load(tmp_path / "m").interval_calibration_ is None


def test_a_damaged_calibration_is_refused_on_load(calibrated, tmp_path):
    _, model = calibrated
    model.save(tmp_path / "m")
    path = tmp_path / "m" / "model.json"
    header = json.loads(path.read_text())
    header["interval_calibration"]["multiplier"] = "wide"
    path.write_text(json.dumps(header))
    with pytest.raises(ModelError, match="is damaged: its interval calibration"):
        MetaModel.load(tmp_path / "m")


# -- errors ---------------------------------------------------------------------------------
def test_a_model_without_spread_cannot_be_calibrated(split):
    train, _ = split
    with pytest.raises(ModelError, match="predicts no spread"):
        SingleBest().fit(train).calibrate_intervals(train, folds=2)


def test_calibration_needs_two_families(split):
    train, _ = split
    one = TaskData(**{**train.__dict__, "families": train.families.map(lambda _: "one")})
    model = Surrogate(epochs=2, n_members=2).fit(one)
    with pytest.raises(ModelError, match="needs at least 2"):
        model.calibrate_intervals(one)


def test_calibration_needs_the_fitted_data(split):
    train, _ = split
    other = make_task_data(n_datasets=10, configs_per_learner=2, seed=1)
    model = Surrogate(epochs=2, n_members=2).fit(train)
    with pytest.raises(ModelError, match="needs the data the model was fitted on"):
        model.calibrate_intervals(other)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"folds": 1},
            "The 'folds' parameter of Surrogate.calibrate_intervals must be an int >= 2",
        ),
        ({"folds": 0}, "The 'folds' parameter of Surrogate.calibrate_intervals must be an int"),
        ({"nominal": 1.0}, "The 'nominal' parameter of Surrogate.calibrate_intervals must be"),
    ],
)
def test_bad_calibration_parameters(split, kwargs, match):
    train, _ = split
    model = Surrogate(epochs=2, n_members=2).fit(train)
    with pytest.raises(ParameterError, match=match):
        model.calibrate_intervals(train, **kwargs)


# -- the arithmetic -------------------------------------------------------------------------
def test_conformal_quantile_is_the_finite_sample_rank():
    values = np.arange(1.0, 20.0)  # 19 values: ceil(20 * 0.95) = 19th smallest
    assert conformal_quantile(values, 0.95) == 19.0
    assert conformal_quantile(values[:10], 0.95) == np.inf


def test_choose_scale_covers_the_nominal_share():
    rng = np.random.default_rng(0)
    n = 4000
    std = rng.uniform(0.01, 0.1, n)
    mean = rng.uniform(0.2, 0.8, n)
    y = mean + rng.normal(size=n) * (3 * std + 0.05)  # the spread is too small, plus a floor
    r = Residuals(mean, std, y, np.zeros(n, dtype=int), np.zeros(n, dtype=bool))
    multiplier, floor = choose_scale(r, 0.9)
    half = multiplier * (std + floor)
    assert np.mean(np.abs(y - mean) <= half) == pytest.approx(0.9, abs=0.005)
    assert np.mean(np.abs(y - mean) <= 1.96 * std) < 0.6


def test_interval_bounds_are_clipped_and_nan_without_spread():
    cal = IntervalCalibration(0.95, 2.0, 0.1, 0.95, 0.9, 0.4, 0.5, 5, 10, 5, 100)
    low, high = interval_bounds([0.9, 0.5, 0.5], [0.1, 0.0, np.nan], cal)
    np.testing.assert_allclose(low[:2], [0.5, 0.3])
    np.testing.assert_allclose(high[:2], [1.0, 0.7])
    assert np.isnan(low[2]) and np.isnan(high[2])
    low, high = interval_bounds([0.5], [0.1], None)
    np.testing.assert_allclose([low[0], high[0]], [0.5 - 0.196, 0.5 + 0.196])


def test_too_few_held_out_scores_cannot_be_calibrated():
    small = make_task_data(n_datasets=4, configs_per_learner=1)  # 2 families of 16 cells
    model = Surrogate(epochs=2, n_members=2).fit(small)
    with pytest.raises(ModelError, match="Cannot calibrate a 95% interval on 16 held-out"):
        model.calibrate_intervals(small, folds=2)
