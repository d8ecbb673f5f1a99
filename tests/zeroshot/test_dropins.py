"""Zero-shot drop-ins: scikit-learn's signatures, user parameters win, estimator checks."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn.ensemble
import sklearn.linear_model
from recommend._tiny import tiny_kb
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

import autometa.zeroshot as zs
from autometa import ParameterError
from autometa.learners import get_learner, learner_names
from autometa.zeroshot import RECOMMENDED

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

_POOR_SCORE = (
    "the tiny test knowledge base recommends heavily regularized hyperparameters (e.g. a "
    "large min_samples_leaf or a small C), which score below the check's 0.5 training R^2; "
    "the check measures the hyperparameters' fit, not the API"
)


def _expected_failed(estimator):
    name = type(estimator).__name__
    if name in ("DecisionTreeRegressor", "SVR"):
        return {"check_regressors_train": _POOR_SCORE}
    if name == "Ridge":
        return {
            "check_non_transformer_estimators_n_iter": "scikit-learn's Ridge has n_iter_=None "
            "with its default solver; scikit-learn exempts Ridge itself from this check"
        }
    return {}


@parametrize_with_checks(
    [
        zs.RandomForestClassifier(n_estimators=10, meta_kb=tiny_kb()),
        zs.LogisticRegression(meta_kb=tiny_kb()),
        zs.DecisionTreeRegressor(meta_kb=tiny_kb()),
        zs.Ridge(meta_kb=tiny_kb()),
    ],
    expected_failed_checks=_expected_failed,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_one_dropin_per_registry_learner():
    for name in learner_names():
        assert inspect.isclass(getattr(zs, name)) and name in zs.__all__


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (zs.RandomForestClassifier, sklearn.ensemble.RandomForestClassifier),
        (zs.Ridge, sklearn.linear_model.Ridge),
        (zs.HistGradientBoostingRegressor, sklearn.ensemble.HistGradientBoostingRegressor),
    ],
)
def test_signature_is_sklearns(ours, theirs):
    params = ours._get_param_names()
    assert set(params) == set(theirs._get_param_names()) | {"meta_model", "meta_kb"}
    est = ours()
    searched = set(get_learner(ours.__name__).param_names)
    params = est.get_params()
    assert all(params[p] == RECOMMENDED for p in searched)
    assert all(params[p] != RECOMMENDED for p in set(theirs._get_param_names()) - searched)


def test_get_params_returns_real_defaults_not_recommended(data, kb):
    """Issue 12: get_params() shows what the user passed or a real default; the recommended
    values live in fitted attributes."""
    X, y = data
    rf = zs.RandomForestClassifier(n_estimators=5, meta_kb=kb)
    params = rf.get_params()
    assert params["random_state"] == 0
    assert params["n_jobs"] == 1  # the registry's fixed value
    assert params["verbose"] == 0 and params["oob_score"] is False  # scikit-learn's
    assert params["n_estimators"] == 5
    rf.fit(X, y)
    assert rf.get_params() == params  # fit does not change a constructor parameter
    assert rf.model_.get_params()["min_samples_leaf"] == rf.recommended_params_["min_samples_leaf"]
    assert zs.RandomForestClassifier(random_state=3, meta_kb=kb).fit(X, y).model_.random_state == 3
    assert zs.RandomForestClassifier(n_jobs=2, meta_kb=kb).fit(X, y).model_.n_jobs == 2


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="unexpected keyword argument 'n_trees'"):
        zs.RandomForestClassifier(n_trees=3)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (
            {"min_samples_leaf": 0},  # searched: scikit-learn's constraint or "recommended"
            r"The 'min_samples_leaf' parameter of RandomForestClassifier must be an int in the "
            r"range \[1, inf\), a float in the range \(0.0, 1.0\) or a str among "
            r"\{'recommended'\}. Got 0 instead.",
        ),
        (
            {"n_estimators": 0},  # not searched: scikit-learn's constraint alone
            r"The 'n_estimators' parameter of RandomForestClassifier must be an int in the "
            r"range \[1, inf\). Got 0 instead.",
        ),
        (
            {"criterion": "nope"},
            r"The 'criterion' parameter of RandomForestClassifier must be a str among "
            r"\{.*'gini'.*\} or a str among \{'recommended'\}. Got 'nope' instead.",
        ),
    ],
)
def test_bad_parameters_are_refused_before_any_work(data, params, match):
    X, y = data
    with pytest.raises(ParameterError, match=match):
        zs.RandomForestClassifier(**params).fit(X, y)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    df = pd.DataFrame(X, columns=list("abcde"))
    df["kind"] = pd.Series(np.random.default_rng(0).choice(["u", "v"], 100), dtype="category")
    return df, y


def test_user_parameters_win_the_rest_is_recommended(data, kb):
    X, y = data
    rf = zs.RandomForestClassifier(n_estimators=7, max_depth=3, meta_kb=kb).fit(X, y)
    params = rf.model_.get_params()
    assert params["n_estimators"] == 7 and params["max_depth"] == 3
    rec = rf.recommended_params_
    assert params["min_samples_leaf"] == rec["min_samples_leaf"]
    assert params["criterion"] == rec["criterion"]
    assert rf.recommendation_ is not None and set(rf.recommendation_.to_frame()["learner"]) == {
        "RandomForestClassifier"
    }
    assert rf.feature_importances_.shape == (6,)  # the fitted model's attributes
    assert rf.score(X, y) > 0.7


def test_the_old_name_meta_features_warns_and_still_works(data, kb):
    X, y = data
    lr = zs.LogisticRegression(meta_kb=kb).fit(X, y)
    assert lr.metafeatures_["general.n_instances"] == len(X)
    with pytest.warns(FutureWarning, match=r"LogisticRegression.meta_features_ was renamed "):
        assert lr.meta_features_ is lr.metafeatures_


def test_clone_pickle_and_cross_val(data, kb):
    X, y = data
    lr = zs.LogisticRegression(C=0.5, meta_kb=kb)
    assert clone(lr).get_params()["C"] == 0.5
    assert repr(lr).startswith("LogisticRegression(C=0.5")
    lr.fit(X, y)
    again = pickle.loads(pickle.dumps(lr))
    np.testing.assert_array_equal(again.predict(X), lr.predict(X))
    assert cross_val_score(zs.LogisticRegression(meta_kb=kb), X, y, cv=3).mean() > 0.6


def test_learner_missing_from_pool_uses_defaults(data):
    from autometa.models import NearestDatasets, TaskData

    X, y = data
    model = NearestDatasets().fit(
        TaskData.from_kb(tiny_kb().subset(task="classification"), "classification")
    )
    keep = [c for c in model.config_ids_ if not c.startswith("SVC")]
    assert len(keep) < len(model.config_ids_)
    model.config_ids_ = keep  # a pool without SVC
    model.order_ = np.arange(len(keep))
    with pytest.warns(UserWarning, match="has no configuration of SVC"):
        svc = zs.SVC(meta_model=model, meta_kb=tiny_kb()).fit(X, y)
    assert svc.recommended_params_ == {"C": 1.0, "gamma": "scale", "class_weight": None}
