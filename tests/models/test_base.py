"""The meta-model interface: what every model inherits."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from autometa import ModelError
from autometa.models import MetaModel, model_names
from autometa.models._baselines import SingleBest

from ._synthetic import make_task_data


def test_saved_model_keeps_its_configurations(tmp_path):
    data = make_task_data(n_datasets=10, configs_per_learner=2)
    model = SingleBest().fit(data)
    model.save(tmp_path / "m")
    loaded = MetaModel.load(tmp_path / "m")
    assert isinstance(loaded, SingleBest)
    pd.testing.assert_frame_equal(loaded.configurations_, data.configurations)
    assert loaded.rank(data.metafeatures.iloc[0]) == model.rank(data.metafeatures.iloc[0])


def test_loading_a_directory_without_a_model_says_what_is_missing(tmp_path):
    with pytest.raises(ModelError, match="'model.json' is missing"):
        MetaModel.load(tmp_path)


def test_loading_a_model_of_a_newer_format_asks_to_upgrade(tmp_path):
    data = make_task_data(n_datasets=6, configs_per_learner=1)
    SingleBest().fit(data).save(tmp_path)
    header = json.loads((tmp_path / "model.json").read_text())
    header["schema_version"] = 99
    (tmp_path / "model.json").write_text(json.dumps(header))
    with pytest.raises(ModelError, match="newer autometa"):
        MetaModel.load(tmp_path)


def test_predict_before_fit_says_to_fit_first():
    with pytest.raises(AttributeError, match="not fitted yet"):
        SingleBest().predict(pd.Series({"a": 1.0}))


def test_every_registered_model_can_be_named():
    assert {"sbs", "portfolio", "nearest", "defaults"} <= set(model_names())


def test_meta_features_of_another_type_are_a_clear_error():
    model = SingleBest().fit(make_task_data(n_datasets=6, configs_per_learner=1))
    with pytest.raises(ValueError, match="must be a pandas Series .* Got list instead"):
        model.predict([1.0, 2.0])
