"""Issue 12: what users see must be true (order, out of distribution, intervals, the ranking
explanation, nearest datasets, the neighbours' metric column)."""

from __future__ import annotations

import json
import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

from autometa import OutOfDistributionWarning
from autometa.kb import KnowledgeBase
from autometa.models import MetaModel, Prediction, TaskData, load_default_model
from autometa.recommend import recommend, recommend_from_metafeatures
from recommend._tiny import numeric_frame


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return numeric_frame()


def _quiet_recommend(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return recommend(*args, **kwargs)


def _non_increasing(values) -> bool:
    """Ordered by the score, but for near-ties broken by the predicted fit time."""
    from autometa.recommend._cost import TIE_TOLERANCE

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return bool(np.all(np.diff(v) <= TIE_TOLERANCE + 1e-12))


class _Reversed(MetaModel):
    """Predicts decreasing scores in pool order but ranks in the reverse order (as an
    acquisition function may): the shown list must still follow the shown score."""

    name: ClassVar[str] = "reversed"

    def __init__(self, *, std: float = 0.01, random_state: int = 0) -> None:
        super().__init__(random_state=random_state)
        self.std = std

    def _fit(self, data: TaskData) -> None:
        pass

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        n = len(self.config_ids_)
        mean = np.tile(np.linspace(0.95, 0.05, n), (len(metafeatures), 1))
        return Prediction(
            mean=self._frame(mean, metafeatures.index),
            std=self._frame(np.full_like(mean, self.std), metafeatures.index),
        )

    def rank(self, metafeatures, observed=None):
        return list(reversed(super().rank(metafeatures, observed)))


# -- 1. the order follows the shown score --------------------------------------------------
def test_on_the_fly_nearest_orders_by_the_shown_score(frame, kb):
    rec = _quiet_recommend(frame, target="y", kb=kb, top_k=8)
    assert rec.score_source == "neighbours"
    assert _non_increasing(rec.table["score"])
    assert "Ordered by the score" in rec.explain()


def test_user_model_orders_by_the_shown_score(frame, kb, clf_model):
    rec = _quiet_recommend(frame, target="y", kb=kb, model=clf_model, top_k=8)
    assert _non_increasing(rec.table["score"])


def test_a_ranker_whose_order_differs_from_its_scores_is_shown_by_score(frame, kb):
    model = _Reversed().fit(TaskData.from_kb(kb, "classification"))
    rec = _quiet_recommend(frame, target="y", kb=kb, model=model, top_k=5)
    assert rec.score_source == "model"
    assert _non_increasing(rec.table["score"])
    assert rec.table["score"].iloc[0] == pytest.approx(0.95)


def test_metric_other_than_the_shipped_one_orders_by_the_shown_score():
    df = load_wine(as_frame=True).frame
    rec = _quiet_recommend(df, target="target", metric="accuracy", top_k=5)
    assert rec.metric == "accuracy" and rec.score_source == "neighbours"
    assert _non_increasing(rec.table["score"])


def test_cli_model_dir_orders_by_score_and_the_footer_says_so(tmp_path, capsys, kb):
    from autometa.cli import main

    kb_dir = kb.save(tmp_path / "kb")
    models = tmp_path / "models"
    assert (
        main(["models", "train", "--kb", str(kb_dir), "--out", str(models), "--models", "nearest"])
        == 0
    )
    df = load_breast_cancer(as_frame=True).frame.iloc[:150]
    df.to_csv(tmp_path / "bc.csv", index=False)
    capsys.readouterr()
    args = ["recommend", str(tmp_path / "bc.csv"), "--target", "target", "--model", str(models)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main([*args, "--kb", str(kb_dir), "--format", "json", "--top-k", "6"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert _non_increasing([r["score"] for r in out["recommendations"]])
        assert main([*args, "--kb", str(kb_dir), "--top-k", "3"]) == 0
    text = capsys.readouterr().out
    assert "the list is ordered by it" in text
    assert "predicted normalized score" not in text


# -- 2. a real out-of-distribution threshold -------------------------------------------------
@pytest.fixture(scope="module")
def default_kb() -> KnowledgeBase:
    return KnowledgeBase.default()


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_shipped_explainer_carries_a_calibrated_threshold(task, default_kb):
    explainer = load_default_model(task, "explainer")
    threshold = explainer.ood_threshold_
    assert np.isfinite(threshold) and threshold > 0
    # stored in the model's JSON metadata, computed by `models train`
    from autometa.models import default_models_dir

    meta = json.loads((default_models_dir() / task / "prototypes" / "model.json").read_text())
    assert meta["state"]["space"]["ood_threshold"] == pytest.approx(threshold)
    # about 5% of the knowledge base's datasets are beyond it (leave one family out)
    flagged = np.mean(explainer.reference_distances_ > threshold)
    assert 0.02 <= flagged <= 0.10


def test_space_threshold_is_leave_one_family_out():
    from autometa.models._space import MetaFeatureSpace

    mf = pd.DataFrame({"a": [0.0, 0.0, 1.0, 2.0, 3.0]}, index=list("vwxyz"))
    scores = pd.DataFrame(np.eye(5)[:, :2], index=mf.index, columns=["c0", "c1"])
    data = TaskData(
        "classification",
        "balanced_accuracy",
        metafeatures=mf,
        configurations=pd.DataFrame(
            {"learner": ["L", "L"], "params": ["{}", "{}"]}, index=["c0", "c1"]
        ),
        scores=scores,
        raw=scores,
        families=pd.Series(["f", "f", "x", "y", "z"], index=mf.index),
    )
    space = MetaFeatureSpace(level=1.0).fit(data)
    # v and w are one family: their exact duplicate does not make the threshold 0
    assert space.reference_distances_.min() > 0
    assert space.neighbours(mf.loc["x"], k=1)["dataset_id"].iloc[0] == "x"


def _far_metafeatures(kb: KnowledgeBase, task: str) -> pd.Series:
    mf = kb.subset(task=task).metafeatures
    return mf.max() + 10 * (mf.max() - mf.min()) + 1


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_metafeatures_above_every_kb_dataset_are_out_of_distribution(task, default_kb):
    far = _far_metafeatures(default_kb, task)
    with pytest.warns(OutOfDistributionWarning, match=r"unlike the knowledge base.*> threshold"):
        rec = recommend_from_metafeatures(far, task=task, top_k=3)
    assert rec.is_ood and rec.ood_score > rec.ood_threshold
    out = rec.to_dict()
    assert out["ood"] is True and out["ood_threshold"] is not None
    assert "WARNING: this dataset is out of distribution" in rec.explain()


def test_thousands_of_classes_are_out_of_distribution():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(6000, 5)), columns=list("abcde"))
    y = rng.integers(0, 2000, 6000)
    with pytest.warns(OutOfDistributionWarning):
        rec = recommend(X, y=y, task="classification", top_k=2)
    assert rec.is_ood


def test_pure_noise_features_are_out_of_distribution():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 400)))
    X.columns = [f"x{i}" for i in range(400)]
    with pytest.warns(OutOfDistributionWarning):
        rec = recommend(X, y=rng.integers(0, 2, 200), top_k=2)
    assert rec.is_ood


@pytest.mark.parametrize(
    ("loader", "task"), [(load_wine, "classification"), (load_diabetes, "regression")]
)
def test_ordinary_datasets_are_in_distribution_with_a_finite_threshold(loader, task):
    X, y = loader(return_X_y=True, as_frame=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutOfDistributionWarning)
        rec = recommend(X, y=y, task=task, top_k=2)
    assert not rec.is_ood and np.isfinite(rec.ood_threshold)
    assert rec.ood_score < rec.ood_threshold
    assert "threshold nan" not in rec.explain() and "In distribution" in rec.explain()


def test_fallback_threshold_from_a_kb_is_finite(frame, kb):
    rec = _quiet_recommend(frame, target="y", kb=kb, top_k=2)
    assert np.isfinite(rec.ood_threshold)


def test_plot_draws_the_threshold():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    X, y = load_wine(return_X_y=True, as_frame=True)
    rec = recommend(X, y=y, top_k=3)
    fig = rec.plot()
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert any("out-of-distribution threshold" in t for t in labels)


# -- 3. intervals: where the model is unsure, say so -------------------------------------
def test_wide_intervals_are_called_unsure_in_words(frame, kb):
    model = _Reversed(std=0.4).fit(TaskData.from_kb(kb, "classification"))
    rec = _quiet_recommend(frame, target="y", kb=kb, model=model, top_k=4)
    assert rec.to_frame()["unsure"].all()
    words = rec.uncertainty_text()
    assert "unsure about all recommendations" in words
    assert "(unsure)" in rec.explain()
    assert ((rec.table["score_low"] >= 0) & (rec.table["score_high"] <= 1)).all()


def test_narrow_intervals_are_not_unsure(frame, kb):
    model = _Reversed(std=0.01).fit(TaskData.from_kb(kb, "classification"))
    rec = _quiet_recommend(frame, target="y", kb=kb, model=model, top_k=4)
    assert not rec.to_frame()["unsure"].any()
    assert "unsure" not in rec.uncertainty_text()


def test_cli_marks_unsure_rows(tmp_path, capsys):
    from autometa.cli import main

    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.integers(0, 5, n),
            "c": rng.choice(["x", "y", "z"], n),
            "e": rng.exponential(size=n),
        }
    )
    df.loc[::9, "a"] = np.nan
    df["y"] = (df["a"].fillna(0) + (df["c"] == "x") + rng.normal(size=n) > 0.5).astype(int)
    df.to_csv(tmp_path / "mixed.csv", index=False)
    assert main(["recommend", str(tmp_path / "mixed.csv"), "--target", "y", "--top-k", "3"]) == 0
    out = capsys.readouterr().out
    rec = _quiet_recommend(df, target="y", top_k=3)
    if rec.table["unsure"].any():
        assert " unsure" in out and "The model is unsure" in out


# -- 4. one ranking explanation ----------------------------------------------------------
@pytest.mark.parametrize(
    ("loader", "task"),
    [
        (load_breast_cancer, "classification"),
        (load_wine, "classification"),
        (load_diabetes, "regression"),
    ],
)
def test_learner_probabilities_agree_with_the_ranking(loader, task):
    X, y = loader(return_X_y=True, as_frame=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = recommend(X, y=y, task=task, top_k=5)
    assert rec.learner_probabilities_source == "ranker"
    # the best-scored row (the first, unless a near-tie went to a faster configuration,
    # which the explanation then says)
    best = rec.table.loc[rec.table["score"].idxmax(), "learner"]
    assert rec.learner_probabilities.idxmax() == best
    if best != rec.table["learner"].iloc[0]:
        assert "predicted to fit faster goes first" in rec.explain()
    assert rec.learner_probabilities.sum() == pytest.approx(1.0)
    out = rec.to_dict()
    assert out["learner_probabilities_source"] == "ranker"
    assert max(out["learner_probabilities"], key=out["learner_probabilities"].get) == best
    # from the shown intervals, or, when they are calibrated, the ensemble's spread
    assert "from the scores and their" in rec.explain()


def test_explainer_probabilities_say_why_they_differ():
    from autometa.recommend._recommendation import Recommendation

    table = pd.DataFrame(
        {
            "rank": [1],
            "config_id": ["SVC-x"],
            "learner": ["SVC"],
            "params": [{}],
            "score": [np.nan],
            "score_std": [np.nan],
            "score_low": [np.nan],
            "score_high": [np.nan],
            "unsure": [False],
            "metric_on_similar_datasets": [np.nan],
            "neighbour_score": [np.nan],
        }
    )
    rec = Recommendation(
        task="classification",
        metric="balanced_accuracy",
        metafeatures=pd.Series(dtype=float),
        table=table,
        neighbours=pd.DataFrame(columns=["dataset_id", "name", "distance"]),
        ood_score=0.1,
        ood_threshold=1.0,
        is_ood=False,
        model_name="nearest",
        score_source="none",
        learner_probabilities=pd.Series({"LogisticRegression": 0.9, "SVC": 0.1}),
        learner_probabilities_source="explainer",
    )
    assert "disagrees with the ranking's first choice (SVC)" in rec.explain()


# -- 5. nearest datasets find exact and near duplicates ----------------------------------
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_every_kb_dataset_finds_itself_first(task, default_kb):
    explainer = load_default_model(task, "explainer")
    data = TaskData.from_kb(default_kb, task)
    zero = 1e-6  # rounding differs between CPUs (1.9e-9 seen); non-duplicates are >= 2e-3 apart
    for d in data.dataset_ids:
        nb = explainer.neighbours(data.metafeatures.loc[d], k=3)
        assert nb["distance"].iloc[0] == pytest.approx(0.0, abs=zero), d
        # itself, or an exact duplicate of its meta-features listed before it
        at_zero = nb.loc[nb["distance"] <= zero, "dataset_id"]
        assert d in set(at_zero), d


def test_sklearn_wine_finds_wine_recognition():
    X, y = load_wine(return_X_y=True, as_frame=True)
    rec = recommend(X, y=y, top_k=2)
    assert rec.neighbours["name"].iloc[0] == "wine_recognition"
    assert rec.nearest_text().startswith("wine_recognition")


# -- 6. the neighbours' raw metric has a clear name ---------------------------------------
def test_metric_on_similar_datasets_is_named_so(frame, kb, tmp_path, capsys):
    from autometa.cli import main

    rec = _quiet_recommend(frame, target="y", kb=kb, top_k=3)
    assert "metric_on_similar_datasets" in rec.to_frame().columns
    assert "expected_metric" not in rec.to_frame().columns
    row = rec.to_dict()["recommendations"][0]
    assert "metric_on_similar_datasets" in row and "expected_metric" not in row
    kb_dir = kb.save(tmp_path / "kb")
    frame.to_csv(tmp_path / "f.csv", index=False)
    args = ["recommend", str(tmp_path / "f.csv"), "--target", "y", "--kb", str(kb_dir)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main([*args, "--format", "csv"]) == 0
        header = capsys.readouterr().out.splitlines()[0]
        assert "metric_on_similar_datasets" in header.split(",")
        assert main(args) == 0
    out = capsys.readouterr().out
    assert "balanced_accuracy on similar datasets" in out.splitlines()[2]
    assert "not a prediction for this one" in out
