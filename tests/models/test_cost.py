"""The cost model: predicted fit and predict time by configuration and data size."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from autometa._exceptions import ModelError, NotFittedError
from autometa.learners import Configuration
from autometa.models._cost import CostModel, median_log10_error


def _table(seed: int = 0) -> pd.DataFrame:
    """Runs whose times follow known power laws: a tree is linear in n, an SVC quadratic,
    and a forest's time grows with its min_samples_leaf falling."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in (50, 100, 200, 400, 800, 1600):
        for d in (4, 16):
            for leaf in (1, 4, 16):
                forest = Configuration("RandomForestClassifier", {"min_samples_leaf": leaf})
                t = 1e-4 * n * d**0.5 / leaf**0.3
                rows.append((forest, n, d, t))
            svc = Configuration("SVC", {"C": 1.0})
            rows.append((svc, n, d, 1e-7 * n**2 * d))
            tree = Configuration("DecisionTreeClassifier", {})
            rows.append((tree, n, d, 2e-5 * n * d))
    return pd.DataFrame(
        {
            "learner": [c.learner for c, *_ in rows],
            "params": [c.params_json for c, *_ in rows],
            "n_train": [n for _, n, _, _ in rows],
            "n_test": [n // 2 for _, n, _, _ in rows],
            "n_features": [d for _, _, d, _ in rows],
            "n_classes": 2,
            "fit_time": [t * np.exp(rng.normal(0, 0.05)) for *_, t in rows],
            "predict_time": [t / 10 for *_, t in rows],
            "dataset_id": "x",
        }
    )


def test_fit_times_extrapolate_as_power_laws_to_larger_data():
    model = CostModel(alpha=0.01).fit_table(_table())
    svc = Configuration("SVC", {"C": 1.0})
    tree = Configuration("DecisionTreeClassifier", {})
    pred = model.predict(
        [(svc.learner, svc.params_json), (tree.learner, dict(tree.params))],
        n_rows=16_000,
        n_features=16,
        n_classes=2,
    )
    truth = [1e-7 * 16_000**2 * 16, 2e-5 * 16_000 * 16]  # 10x the largest size seen
    assert median_log10_error(pred["fit_time"], truth) < 0.1
    assert pred["fit_time"].iloc[0] > 10 * pred["fit_time"].iloc[1]


def test_configurations_of_one_learner_differ_by_their_parameters():
    model = CostModel(alpha=0.01).fit_table(_table())
    frame = pd.DataFrame(
        {
            "learner": "RandomForestClassifier",
            "params": [
                Configuration("RandomForestClassifier", {"min_samples_leaf": leaf}).params_json
                for leaf in (1, 16)
            ],
        },
        index=["deep", "shallow"],
    )
    pred = model.predict(frame, n_rows=1000, n_features=16, n_classes=2)
    assert list(pred.index) == ["deep", "shallow"]
    assert pred.loc["deep", "fit_time"] > pred.loc["shallow", "fit_time"]


def test_a_learner_without_runs_gets_nan_and_an_unfitted_model_an_error():
    model = CostModel().fit_table(_table())
    pred = model.predict([("MLPClassifier", "{}")], n_rows=100, n_features=3)
    assert np.isnan(pred["fit_time"].iloc[0])
    with pytest.raises(NotFittedError, match="CostModel is not fitted yet"):
        CostModel().predict([("SVC", "{}")], n_rows=10, n_features=2)
    with pytest.raises(ModelError, match="No run with a measured fit time"):
        CostModel().fit_table(_table().iloc[:0])


def test_save_and_load_give_the_same_predictions(tmp_path):
    model = CostModel().fit_table(_table())
    model.save(tmp_path / "cost")
    loaded = CostModel.load(tmp_path / "cost")
    query = [("SVC", Configuration("SVC", {}).params_json)]
    pd.testing.assert_frame_equal(
        model.predict(query, n_rows=5000, n_features=8, n_classes=3),
        loaded.predict(query, n_rows=5000, n_features=8, n_classes=3),
    )
    with pytest.raises(ModelError, match="No cost model at"):
        CostModel.load(tmp_path / "absent")
    (tmp_path / "cost" / "cost.json").write_text("{not json")
    with pytest.raises(ModelError, match="is not valid JSON"):
        CostModel.load(tmp_path / "cost")
    (tmp_path / "cost" / "cost.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ModelError, match="not an autometa cost model"):
        CostModel.load(tmp_path / "cost")


def test_it_fits_on_a_knowledge_base_with_sizes(kb_factory):
    kb = kb_factory(n_datasets=3, configs_per_learner=2)
    runs = kb.runs.assign(n_rows_used=300, n_train_rows=200, fit_time=0.01, predict_time=0.001)
    kb.add_runs(runs)
    table = CostModel.training_table(kb)
    assert len(table) == len(kb.runs.dropna(subset=["n_train_rows"]))
    model = CostModel().fit(kb)
    learner = kb.configurations["learner"].iloc[0]
    assert learner in model.n_runs_
