"""The shown interval is what its label says: calibrated only when the ranker carries a
calibration, and it never changes the order (issue 14, item 8; issue 12)."""

from __future__ import annotations

import copy
import json
import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from autometa.models import MetaModel, Prediction, TaskData
from autometa.models._intervals import IntervalCalibration, interval_bounds
from autometa.recommend import SCORE_SCALE, recommend
from recommend._tiny import numeric_frame

CAL = IntervalCalibration(
    nominal=0.95,
    multiplier=1.5,
    floor=0.05,
    coverage=0.943,
    coverage_top=0.918,
    width=0.4,
    raw_coverage=0.55,
    folds=5,
    n_datasets=100,
    n_families=60,
    n_cells=25000,
)


class _Spread(MetaModel):
    """Decreasing scores in pool order with a spread that grows along the pool."""

    name: ClassVar[str] = "spread"

    def _fit(self, data: TaskData) -> None:
        pass

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        n = len(self.config_ids_)
        mean = np.tile(np.linspace(0.95, 0.05, n), (len(metafeatures), 1))
        std = np.tile(np.linspace(0.01, 0.2, n), (len(metafeatures), 1))
        return Prediction(
            mean=self._frame(mean, metafeatures.index), std=self._frame(std, metafeatures.index)
        )


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return numeric_frame()


@pytest.fixture(scope="module")
def recs(frame, kb):
    """The same model's recommendation, uncalibrated and calibrated."""
    plain = _Spread().fit(TaskData.from_kb(kb, "classification"))
    calibrated = copy.copy(plain)
    calibrated.interval_calibration_ = CAL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = recommend(frame, target="y", kb=kb, model=plain, top_k=6)
        b = recommend(frame, target="y", kb=kb, model=calibrated, top_k=6)
    return plain, a, b


def test_the_order_and_scores_do_not_depend_on_the_calibration(recs):
    _, plain, calibrated = recs
    for column in ("config_id", "score", "rank"):
        assert plain.table[column].tolist() == calibrated.table[column].tolist()


def test_the_calibrated_interval_is_the_calibrations(recs):
    model, plain, calibrated = recs
    pred = model.predict(plain.metafeatures)
    ids = calibrated.table["config_id"]
    mean, std = pred.mean.iloc[0][ids].to_numpy(), pred.std.iloc[0][ids].to_numpy()
    low, high = interval_bounds(mean, std, CAL)
    np.testing.assert_allclose(calibrated.table["score_low"], low)
    np.testing.assert_allclose(calibrated.table["score_high"], high)
    low, high = interval_bounds(mean, std, None)
    np.testing.assert_allclose(plain.table["score_low"], low)
    np.testing.assert_allclose(plain.table["score_high"], high)
    # what 'unsure' says follows the shown interval
    wide = (calibrated.table["score_high"] - calibrated.table["score_low"]) > 0.5
    assert calibrated.table["unsure"].tolist() == wide.tolist()


def test_the_labels_say_whether_the_interval_is_calibrated(recs):
    _, plain, calibrated = recs
    assert plain.interval_calibration is None
    assert "not calibrated" in plain.interval_text()
    assert "not calibrated" in plain.explain() and SCORE_SCALE in plain.explain()
    text = calibrated.interval_text()
    assert "95% interval calibrated on held-out families" in text
    assert "it held 94% of their true scores, 92% for the 10 best-predicted" in text
    assert "not calibrated" not in calibrated.explain()
    assert text in calibrated.explain()
    assert "not calibrated" in plain.interval_short()
    assert calibrated.interval_short().startswith("interval: 95%, calibrated")


def test_the_json_says_whether_the_interval_is_calibrated(recs):
    _, plain, calibrated = recs
    a, b = json.loads(plain.to_json()), json.loads(calibrated.to_json())
    assert a["interval"] == {
        "calibrated": False,
        "text": plain.interval_text(),
        "calibration": None,
    }
    assert b["interval"]["calibrated"] is True
    assert b["interval"]["calibration"]["coverage"] == pytest.approx(0.943)
    assert b["interval"]["calibration"]["multiplier"] == pytest.approx(1.5)


def test_the_neighbours_interval_stays_uncalibrated(frame, kb):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = recommend(frame, target="y", kb=kb, top_k=4)
    assert rec.score_source == "neighbours" and rec.interval_calibration is None
    assert "over the nearest datasets" in rec.interval_text()
    assert "not calibrated" in rec.interval_text()


def test_the_cli_footer_states_the_calibration(frame, kb):
    from autometa.cli._recommend import _reasons

    model = _Spread().fit(TaskData.from_kb(kb, "classification"))
    model.interval_calibration_ = CAL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = recommend(frame, target="y", kb=kb, model=model, top_k=3)
    footer = " ".join(_reasons(rec).split())  # unwrapped
    assert "interval: 95%, calibrated on held-out families (held 94% of their scores" in footer
    assert "not calibrated" not in footer


def test_learner_probabilities_come_from_the_ensemble_spread_either_way(recs):
    # the calibrated interval holds for one configuration at a time; the errors of the
    # configurations of one dataset go together, so the probabilities keep the spread
    _, plain, calibrated = recs
    assert plain.learner_probabilities_source == "ranker"
    assert plain.learner_probabilities.to_dict() == calibrated.learner_probabilities.to_dict()
    assert "from the scores and their intervals above" in plain.explain()
    assert "their spread among the ensemble's members" in calibrated.explain()
    np.testing.assert_array_equal(plain.table["score_std"], calibrated.table["score_std"])
