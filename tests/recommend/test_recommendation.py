"""recommend() and Recommendation on a tiny knowledge base with real meta-features."""

from __future__ import annotations

import json
import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, make_classification

import autometa
from autometa import DataError, ModelError, OutOfDistributionWarning, ParameterError
from autometa.recommend import Recommendation, infer_task, recommend, recommend_from_metafeatures
from recommend._tiny import _datasets


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    X, y = make_classification(n_samples=90, n_features=4, n_informative=2, random_state=3)
    df = pd.DataFrame(X, columns=list("abcd"))
    df["colour"] = pd.Series(np.random.default_rng(0).choice(["r", "g"], 90), dtype="category")
    df.loc[::7, "a"] = np.nan
    df["y"] = np.where(y == 1, "yes", "no")
    return df


@pytest.fixture(scope="module")
def rec(frame, kb) -> Recommendation:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return recommend(frame, target="y", kb=kb, top_k=5)


def test_frame_has_one_row_per_recommendation(rec):
    frame = rec.to_frame()
    assert len(frame) == len(rec) == 5
    assert list(frame["rank"]) == [1, 2, 3, 4, 5]
    assert {
        "learner",
        "params",
        "score",
        "score_low",
        "score_high",
        "nearest_datasets",
        "ood",
    } <= set(frame.columns)
    assert frame["params"].map(lambda p: isinstance(p, dict)).all()
    ok = frame["score"].notna()
    assert (frame.loc[ok, "score_low"] <= frame.loc[ok, "score"]).all()
    assert (frame.loc[ok, "score"] <= frame.loc[ok, "score_high"]).all()
    assert rec.task == "classification" and rec.metric == "balanced_accuracy"


def test_pipeline_fits_raw_dataframe(rec, frame):
    X, y = frame.drop(columns="y"), frame["y"]
    pipe = rec.pipeline(0).fit(X, y)
    assert pipe.score(X, y) > 0.5
    assert type(pipe[-1]).__name__.startswith(rec[0].learner.replace("Classifier", ""))


def test_pipeline_index_is_checked(rec):
    with pytest.raises(
        ParameterError,
        match=r"The 'i' parameter of Recommendation.pipeline must be an int in \[-5, 4\]. Got 7 instead.",
    ):
        rec.pipeline(7)
    with pytest.raises(IndexError, match="out of range"):
        rec[5]
    assert rec[-1].config_id == rec.to_frame()["config_id"].iloc[-1]


def test_neighbours_and_explanation(rec, kb):
    assert len(rec.neighbours) == 5
    assert rec.neighbours["distance"].is_monotonic_increasing
    assert set(rec.neighbours["dataset_id"]) <= set(kb.datasets["dataset_id"])
    text = rec.explain()
    assert "Nearest datasets" in text and rec.neighbours["name"].iloc[0] in text
    assert "1 = the best configuration" in text
    assert rec.table["learner"].iloc[0] in text
    assert len(rec.drivers) > 0 and rec.drivers["name"].iloc[0] in text


def test_repr_and_html_and_json(rec):
    assert repr(rec).startswith("Recommendation(task='classification'")
    assert "<table" in rec._repr_html_()
    data = json.loads(rec.to_json())
    assert len(data["recommendations"]) == 5 and data["metric"] == "balanced_accuracy"


def test_plot_draws_scores_and_neighbours(rec):
    import matplotlib

    matplotlib.use("Agg")
    fig = rec.plot()
    assert len(fig.axes) == 2
    assert len(fig.axes[0].get_yticklabels()) == 5


def test_x_y_form_and_task_inference(frame, kb):
    X, y = frame.drop(columns="y"), frame["y"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = autometa.recommend(X, y=y, kb=kb, top_k=2)
    assert rec.task == "classification" and len(rec) == 2


def test_learners_filter(frame, kb):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = recommend(frame, target="y", kb=kb, learners=["SVC"], top_k=5)
    assert set(rec.to_frame()["learner"]) == {"SVC"}


def test_model_instance_with_kb(frame, kb, clf_model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = recommend(frame, target="y", model=clf_model, kb=kb, top_k=3)
    assert rec.model_name == "nearest" and rec.score_source == "neighbours"


def test_out_of_distribution_warning(kb):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    with pytest.warns(OutOfDistributionWarning, match="unlike the knowledge base"):
        rec = recommend(X * 1000, y=y, kb=kb, top_k=2)
    assert rec.is_ood and "out of distribution" in rec.explain()


def test_in_distribution_dataset_is_not_flagged(kb):
    _, X, y = _datasets("classification", 0)[2]
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutOfDistributionWarning)
        rec = recommend(X, y=y, kb=kb, top_k=2)
    assert not rec.is_ood


@pytest.mark.parametrize(
    ("y", "task"),
    [
        ([0, 1, 0, 1, 1, 0], "classification"),
        (["a", "b", "a", "b"], "classification"),
        ([True, False, True, False], "classification"),
        (np.linspace(0, 1, 50), "regression"),
        (np.arange(100), "regression"),
        (pd.Series(["x", "y", "x"], dtype="category"), "classification"),
    ],
)
def test_infer_task(y, task):
    assert infer_task(y) == task


def test_parameter_errors(frame, kb):
    with pytest.raises(
        ParameterError,
        match=r"The 'top_k' parameter of recommend must be an int >= 1. Got 0 instead.",
    ):
        recommend(frame, target="y", kb=kb, top_k=0)
    with pytest.raises(
        ParameterError,
        match=r"The 'metric' parameter of recommend must be one of .* Got 'r2' instead.",
    ):
        recommend(frame, target="y", kb=kb, metric="r2")
    with pytest.raises(
        ParameterError,
        match=r"Unknown classification learner\(s\) \['Ridge'\] .* Known classification learners are: LogisticRegression",
    ):
        recommend(frame, target="y", kb=kb, learners=["Ridge"])
    with pytest.raises(ParameterError, match=r"The 'task' parameter of recommend must be one of"):
        recommend(frame, target="y", kb=kb, task="ranking")
    with pytest.raises(ParameterError, match="recommend got both 'target' and 'y'"):
        recommend(frame, target="y", y=frame["y"], kb=kb)
    with pytest.raises(ParameterError, match="recommend needs the target"):
        recommend(frame, kb=kb)
    with pytest.raises(ParameterError, match="so 'data' must be a DataFrame"):
        recommend(frame.to_numpy(), target="y", kb=kb)
    with pytest.raises(ParameterError, match="The 'kb' parameter must be None, a KnowledgeBase"):
        recommend(frame, target="y", kb=42)
    with pytest.raises(ParameterError, match="The 'model' parameter of recommend must be None"):
        recommend(frame, target="y", kb=kb, model=object())


def test_model_metric_and_task_mismatch(frame, kb, clf_model):
    with pytest.raises(ParameterError, match="was trained for 'balanced_accuracy'"):
        recommend(frame, target="y", model=clf_model, kb=kb, metric="accuracy")
    from recommend._tiny import tiny_model

    with pytest.raises(
        ParameterError, match="trained for regression but the data is classification"
    ):
        recommend(frame, target="y", model=tiny_model("regression"), kb=kb)


def test_data_errors(frame, kb, tmp_path: Path):
    with pytest.raises(DataError, match="Target column 'nope' not found"):
        recommend(frame, target="nope", kb=kb)
    with pytest.raises(DataError, match="No such file"):
        recommend(tmp_path / "missing.csv", target="y", kb=kb)


def test_without_shipped_models_the_error_says_how_to_fix(frame, tmp_path, monkeypatch):
    import autometa.models._defaults

    # an installation whose default models are missing
    monkeypatch.setattr(autometa.models._defaults, "default_models_dir", lambda: tmp_path)
    with pytest.raises(ModelError, match="autometa models train"):
        recommend(frame, target="y")


def test_shipped_default_recommends_breast_cancer():
    df = load_breast_cancer(as_frame=True).frame
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutOfDistributionWarning)
        rec = recommend(df, target="target", top_k=5)
    assert len(rec) == 5 and rec.neighbours.shape[0] > 0
    assert rec.to_frame()["score"].between(0, 1).all()


def test_drivers_are_ranked_by_how_extreme_the_value_is_in_the_kb():
    from autometa.recommend._recommend import _drivers, _KBState

    kb_values = pd.DataFrame(
        {"general.a": np.arange(20.0), "general.b": np.r_[np.zeros(15), np.arange(1, 6) * 1e-9]},
        index=[f"d{i}" for i in range(20)],
    )
    state = _KBState(
        data=None,
        names=pd.Series(dtype=str),
        index=None,
        space=None,
        median=kb_values.median(),
        sorted_mf={c: np.sort(kb_values[c].to_numpy()) for c in kb_values},
        configurations=pd.DataFrame({"learner": [], "params": []}),
    )
    # b = the KB's maximum: 20 interquartile ranges above its median (a skewed feature),
    # yet inside the KB's range; a is below every KB dataset: a is the more extreme one.
    drivers = _drivers(state, pd.Series({"general.b": 5e-9, "general.a": -5.0}))
    assert list(drivers["name"]) == ["general.a", "general.b"]
    assert drivers["percentile"].tolist() == [0.0, 97.5]


def test_the_learner_comes_from_the_configurations_table_not_the_config_id(kb):
    """Configuration ids need not start with the learner's name (ids of other sources)."""
    from autometa.models import SingleBest, TaskData

    data = TaskData.from_kb(kb, "classification")
    renamed = {c: f"run-{i}" for i, c in enumerate(data.config_ids)}
    data = TaskData(
        task=data.task,
        metric=data.metric,
        metafeatures=data.metafeatures,
        configurations=data.configurations.rename(index=renamed),
        scores=data.scores.rename(columns=renamed),
        raw=data.raw.rename(columns=renamed),
        families=data.families,
    )
    model = SingleBest().fit(data)
    mf = data.metafeatures.iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = recommend_from_metafeatures(mf, task="classification", model=model, kb=kb)
        only = recommend_from_metafeatures(
            mf, task="classification", model=model, kb=kb, learners=["SVC"]
        )
    table = rec.to_frame()
    learners = data.configurations["learner"]
    assert table["config_id"].str.startswith("run-").all()
    assert list(table["learner"]) == [learners[c] for c in table["config_id"]]
    assert set(only.to_frame()["learner"]) == {"SVC"}


# -- issue 11: one name for the meta-features (``metafeatures``), one convention for the task
# (None infers it, "auto" is the same); the old names warn and still work.
def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return function(*args, **kwargs)


def test_the_recommendation_holds_metafeatures_and_meta_features_warns(rec):
    assert isinstance(rec.metafeatures, pd.Series) and len(rec.metafeatures) > 10
    with pytest.warns(FutureWarning, match=r"Recommendation.meta_features was renamed .*0\.3"):
        old = rec.meta_features
    assert old is rec.metafeatures


def test_building_a_recommendation_with_meta_features_warns_and_works(rec):
    fields = {k: v for k, v in vars(rec).items() if k != "metafeatures"}
    with pytest.warns(FutureWarning, match="The 'meta_features' parameter of Recommendation"):
        old = Recommendation(**fields, meta_features=rec.metafeatures)
    assert old.metafeatures is rec.metafeatures
    with pytest.raises(ParameterError, match="both 'metafeatures' and its deprecated name"):
        Recommendation(**fields, metafeatures=rec.metafeatures, meta_features=rec.metafeatures)


def test_a_recommendation_pickled_before_the_rename_loads(rec):
    state = dict(vars(rec))
    state["meta_features"] = state.pop("metafeatures")
    old = Recommendation.__new__(Recommendation)
    old.__setstate__(state)
    pd.testing.assert_series_equal(old.metafeatures, rec.metafeatures)
    again = pickle.loads(pickle.dumps(old))
    pd.testing.assert_frame_equal(again.to_frame(), rec.to_frame())


def test_recommend_from_metafeatures_takes_the_old_keyword_with_a_warning(rec, kb):
    new = _quiet(recommend_from_metafeatures, rec.metafeatures, task="classification", kb=kb)
    keyword = _quiet(
        recommend_from_metafeatures, metafeatures=rec.metafeatures, task="classification", kb=kb
    )
    with pytest.warns(
        FutureWarning,
        match="The 'meta_features' parameter of recommend_from_metafeatures was renamed "
        "'metafeatures'",
    ):
        old = _quiet(
            recommend_from_metafeatures,
            meta_features=rec.metafeatures,
            task="classification",
            kb=kb,
        )
    pd.testing.assert_frame_equal(old.to_frame(), new.to_frame())
    pd.testing.assert_frame_equal(keyword.to_frame(), new.to_frame())


def test_recommend_from_metafeatures_errors(rec, kb):
    mf = rec.metafeatures
    with pytest.raises(ParameterError, match="got both 'metafeatures' and its deprecated name"):
        recommend_from_metafeatures(mf, meta_features=mf, task="classification", kb=kb)
    with pytest.raises(ParameterError, match="needs the 'metafeatures' parameter"):
        recommend_from_metafeatures(task="classification", kb=kb)
    for task in (None, "auto"):
        with pytest.raises(ParameterError, match="needs an explicit task"):
            recommend_from_metafeatures(mf, task=task, kb=kb)
    with pytest.raises(ParameterError, match="The 'task' parameter of recommend must be one of"):
        recommend_from_metafeatures(mf, task="ranking", kb=kb)


@pytest.mark.parametrize("task", [None, "auto", "classification"])
def test_recommend_infers_the_task_for_none_and_auto(frame, kb, rec, task):
    got = _quiet(recommend, frame, target="y", kb=kb, top_k=5, task=task)
    assert got.task == "classification"
    pd.testing.assert_frame_equal(got.to_frame(), rec.to_frame())
