"""MetaClassifier and MetaRegressor: the scikit-learn contract and the meta-learning."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from recommend._tiny import tiny_kb, tiny_model
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from autometa import MetaClassifier, MetaRegressor, ParameterError

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _estimators():
    kb = tiny_kb()
    return [
        MetaClassifier(kb=kb, model=tiny_model("classification")),
        MetaRegressor(kb=kb, model=tiny_model("regression")),
    ]


def _expected_failed(estimator):
    if isinstance(estimator, MetaClassifier):
        return {
            "check_decision_proba_consistency": "whether the chosen learner has "
            "decision_function is known only after fit (available_if says True before); on "
            "the check's blobs the tiny knowledge base's first recommendation is a "
            "RandomForestClassifier, which has none"
        }
    return {}


@parametrize_with_checks(_estimators(), expected_failed_checks=_expected_failed)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def mixed():
    X, y = make_classification(
        n_samples=120, n_features=4, n_informative=3, n_redundant=0, random_state=0
    )
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    df["city"] = pd.Series(np.random.default_rng(0).choice(["x", "y", "z"], 120), dtype="category")
    df["note"] = np.random.default_rng(1).choice(["p", "q"], 120).astype(object)
    df.loc[::5, "b"] = np.nan
    return df, pd.Series(np.where(y == 1, "pos", "neg"))


def test_zero_shot_fits_first_recommendation(mixed, kb):
    X, y = mixed
    clf = MetaClassifier(kb=kb).fit(X, y)
    assert clf.best_learner_ == clf.recommendation_[0].learner
    assert clf.best_params_ == dict(clf.recommendation_[0].params)
    assert list(clf.classes_) == ["neg", "pos"]
    assert clf.n_features_in_ == 6 and list(clf.feature_names_in_) == list(X.columns)
    assert clf.score(X, y) > 0.7
    assert not hasattr(clf, "cv_results_")
    assert clf.metafeatures_["general.n_instances"] == 120


def test_the_old_name_meta_features_warns_and_still_works(mixed, kb):
    X, y = mixed
    clf = MetaClassifier(kb=kb)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        assert not hasattr(clf, "meta_features_")  # not fitted: no attribute, no warning
    clf.fit(X, y)
    with pytest.warns(FutureWarning, match=r"MetaClassifier.meta_features_ was renamed "):
        old = clf.meta_features_
    assert old is clf.metafeatures_
    # an estimator pickled before the rename loads with the new name
    state = dict(clf.__getstate__())
    state["meta_features_"] = state.pop("metafeatures_")
    restored = MetaClassifier.__new__(MetaClassifier)
    restored.__setstate__(state)
    pd.testing.assert_series_equal(restored.metafeatures_, clf.metafeatures_)
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))


def test_candidates_are_cross_validated(mixed, kb):
    X, y = mixed
    clf = MetaClassifier(kb=kb, n_candidates=3, cv=3).fit(X, y)
    res = clf.cv_results_
    # a dict of arrays, as scikit-learn's searches (issue 12)
    assert isinstance(res, dict) and all(isinstance(v, np.ndarray) for v in res.values())
    assert list(res["recommendation_rank"]) == [1, 2, 3]
    assert {"params", "mean_test_score", "std_test_score", "rank_test_score"} <= set(res)
    assert {"split0_test_score", "split1_test_score", "split2_test_score"} <= set(res)
    best = int(np.nanargmax(res["mean_test_score"]))
    assert res["rank_test_score"][best] == 1
    assert clf.best_learner_ == res["learner"][best] and clf.best_params_ == res["params"][best]
    assert len(pd.DataFrame(res)) == 3


def test_time_budget_stops_after_first_candidate(mixed, kb):
    X, y = mixed
    with pytest.warns(UserWarning, match="cannot filter the recommendations"):
        clf = MetaClassifier(kb=kb, n_candidates=5, cv=3, time_budget=1e-9).fit(X, y)
    assert len(clf.cv_results_["params"]) == 1


def test_regressor_and_delegation(kb):
    X, y = make_regression(n_samples=80, n_features=5, noise=1.0, random_state=0)
    reg = MetaRegressor(kb=kb).fit(X, y)
    assert reg.predict(X).shape == (80,)
    assert not hasattr(reg, "predict_proba")
    assert reg.score(X, y) > 0.3


def test_works_in_pipeline_column_transformer_grid_search(mixed, kb):
    X, y = mixed
    num = ["a", "b", "c", "d"]
    ct = ColumnTransformer([("num", StandardScaler(), num)], remainder="passthrough")
    ct.set_output(transform="pandas")
    pipe = make_pipeline(ct, MetaClassifier(kb=kb))
    assert pipe.fit(X, y).score(X, y) > 0.6
    scores = cross_val_score(MetaClassifier(kb=kb), X, y, cv=3)
    assert scores.shape == (3,)
    grid = GridSearchCV(MetaClassifier(kb=kb), {"top_k": [1, 3]}, cv=2).fit(X, y)
    assert grid.best_params_["top_k"] in (1, 3)


def test_clone_and_pickle(mixed, kb):
    X, y = mixed
    clf = MetaClassifier(kb=kb, n_candidates=2, cv=2)
    assert clone(clf).get_params()["n_candidates"] == 2
    clf.fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (
            {"top_k": 0},
            r"The 'top_k' parameter of MetaClassifier must be an int >= 1. Got 0 instead.",
        ),
        (
            {"n_candidates": 1.5},
            r"The 'n_candidates' parameter of MetaClassifier must be an int >= 1. Got 1.5 instead.",
        ),
        (
            {"time_budget": -1},
            r"The 'time_budget' parameter of MetaClassifier must be a number > 0 or None. Got -1 instead.",
        ),
        (
            {"random_state": "x"},
            r"The 'random_state' parameter of MetaClassifier must be an int or None. Got 'x' instead.",
        ),
        (
            {"random_state": True},
            r"The 'random_state' parameter of MetaClassifier must be an int or None. Got True",
        ),
        (
            {"metric": "r2"},
            r"The 'metric' parameter of MetaClassifier must be a str among \{.*'balanced_accuracy'"
            r".*\} or None. Got 'r2' instead.",
        ),
        (
            {"learners": ["Nope"]},
            r"The 'learners' parameter of MetaClassifier must be a classification learner or a "
            r"non-empty list of classification learners among \{.*'LogisticRegression'.*\} or "
            r"None. Got \['Nope'\] instead.",
        ),
        ({"learners": []}, r"The 'learners' parameter of MetaClassifier must be .* Got \[\]"),
        ({"cv": 1}, r"The 'cv' parameter of MetaClassifier must be an int in the range \[2, inf\)"),
        (
            {"scoring": "nope"},
            r"The 'scoring' parameter of MetaClassifier must be a str among .*'roc_auc'.* Got "
            r"'nope' instead.",
        ),
    ],
)
def test_parameter_errors(mixed, kb, params, match):
    X, y = mixed
    with pytest.raises(ParameterError, match=match):
        MetaClassifier(kb=kb, **params).fit(X, y)


def test_failed_split_falls_back_to_zero_shot(kb):
    X = np.random.default_rng(0).normal(size=(4, 3))
    y = np.array([0, 1, 0, 1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = MetaClassifier(kb=kb, n_candidates=3, cv=5).fit(X, y)
    messages = [str(w.message) for w in caught]
    assert any("cannot cross-validate the candidates" in m for m in messages)
    # zero-shot: the first recommendation that can be fitted and predict on 4 rows (the
    # first, a k-neighbours model with more neighbours than rows, cannot)
    skipped = sum("could not fit recommendation" in m for m in messages)
    assert clf.best_learner_ == clf.recommendation_[skipped].learner
    assert clf.predict(X).shape == (4,)


def test_ood_warning_reaches_the_user(kb):
    from autometa import OutOfDistributionWarning

    X, y = make_classification(n_samples=60, n_features=30, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MetaClassifier(kb=kb).fit(X * 1e4, y)
    assert any(issubclass(w.category, OutOfDistributionWarning) for w in caught)


def test_a_recommendation_that_cannot_be_fitted_falls_back_to_the_next(mixed, kb, monkeypatch):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline

    from autometa.recommend import Recommendation

    real = Recommendation.pipeline

    def first_cannot_fit(self, i=0, **kwargs):
        if i == 0:  # more neighbours than rows, as a recommendation made for larger data
            return make_pipeline(KNeighborsClassifier(n_neighbors=500))
        return real(self, i, **kwargs)

    monkeypatch.setattr(Recommendation, "pipeline", first_cannot_fit)
    X, y = mixed
    X = X[["a", "b", "c", "d"]].fillna(0.0)
    with pytest.warns(UserWarning, match=r"could not fit recommendation 1 .*trying the next"):
        clf = MetaClassifier(kb=kb).fit(X, y)
    assert clf.best_learner_ == clf.recommendation_[1].learner
    assert clf.score(X, y) > 0.5


def test_no_recommendation_that_can_be_fitted_is_a_data_error(mixed, kb, monkeypatch):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline

    from autometa import DataError
    from autometa.recommend import Recommendation

    monkeypatch.setattr(
        Recommendation,
        "pipeline",
        lambda self, i=0, **kw: make_pipeline(KNeighborsClassifier(n_neighbors=500)),
    )
    X, y = mixed
    X = X[["a", "b", "c", "d"]].fillna(0.0)
    with (
        pytest.warns(UserWarning),
        pytest.raises(
            DataError, match=r"could not fit any of its \d+ recommended pipelines.*Pass more rows"
        ),
    ):
        MetaClassifier(kb=kb, top_k=2).fit(X, y)


def test_time_budget_keeps_to_configurations_predicted_to_fit():
    import warnings as _w

    from sklearn.datasets import make_classification

    from autometa import MetaClassifier

    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    with _w.catch_warnings():
        _w.simplefilter("ignore")
        free = MetaClassifier(top_k=500).fit(X, y)
        budget = float(free.recommendation_.table["fit_time"].quantile(0.25))
        tight = MetaClassifier(top_k=500, time_budget=budget).fit(X, y)
    assert (tight.recommendation_.table["fit_time"] <= budget).all()
    assert len(tight.recommendation_) < len(free.recommendation_)
