from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import metafeatures
from metafeatures import MetaFeatureError, MetaFeatureWarning


def _quiet_extract(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetaFeatureWarning)
        return metafeatures.extract_report(*args, **kwargs)


def test_public_api():
    for name in metafeatures.__all__:
        assert hasattr(metafeatures, name)
    assert set(metafeatures.DEFAULT_GROUPS) <= set(metafeatures.GROUPS)
    assert issubclass(MetaFeatureError, ValueError)
    assert issubclass(MetaFeatureWarning, UserWarning)


def test_report_fields_and_names(mixed_frame):
    X, y = mixed_frame
    report = _quiet_extract(X, y)
    assert report.task == "classification"
    assert report.values.dtype == np.float64
    assert list(report.values.index) == metafeatures.feature_names("default", "classification")
    assert set(report.timings) >= set(metafeatures.DEFAULT_GROUPS)
    assert all(v >= 0 for v in report.timings.values())
    # every NaN is explained
    nan_names = set(report.values.index[report.values.isna()])
    assert nan_names <= set(report.skipped)
    with pytest.raises(AttributeError):
        report.task = "regression"  # frozen


def test_extract_returns_values(mixed_frame):
    X, y = mixed_frame
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetaFeatureWarning)
        a = metafeatures.extract(X, y, groups="general")
    assert a["general.n_instances"] == 300
    assert a["general.n_features"] == 10
    assert a["general.n_datetime_features"] == 1
    # num, int, Int64, Float64, date
    assert a["general.n_numeric_features"] == 5
    assert a["general.n_binary_features"] == 3  # bool, obj, boolean
    assert a["general.n_classes"] == 2


def test_names_prefixed_and_documented():
    table = metafeatures.describe()
    assert list(table.columns) == ["name", "group", "tasks", "description"]
    assert table["name"].is_unique
    for task in ("classification", "regression", "none"):
        names = metafeatures.feature_names("all", task)
        assert set(names) <= set(table["name"])
    ours = table[~table["group"].str.startswith("openml")]
    assert all(n.startswith(g + ".") for n, g in zip(ours["name"], ours["group"]))
    assert "ClassEntropy" in metafeatures.openml_quality_names()
    assert "Quartile3KurtosisOfNumericAtts" in metafeatures.openml_quality_names()
    assert (table["description"].str.len() > 5).all()


def test_deterministic(mixed_frame):
    X, y = mixed_frame
    a = _quiet_extract(X, y, groups="all", random_state=3).values
    b = _quiet_extract(X, y, groups="all", random_state=3).values
    pd.testing.assert_series_equal(a, b)


def test_deterministic_subsample():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(120_000, 3)), columns=list("abc"))
    y = pd.Series(rng.integers(0, 3, size=120_000))
    a = _quiet_extract(X, y, groups=["statistical", "landmarking"], random_state=5).values
    b = _quiet_extract(X, y, groups=["statistical", "landmarking"], random_state=5).values
    pd.testing.assert_series_equal(a, b)


@pytest.mark.parametrize(
    "groups, expected",
    [
        ("general", ("general",)),
        (["general", "openml"], ("general", "openml")),
        ("all", None),
        ("default", None),
    ],
)
def test_groups_argument(groups, expected):
    X = np.arange(40.0).reshape(20, 2)
    report = _quiet_extract(X, groups=groups)
    group_keys = [k for k in report.timings if not k.startswith("_")]
    if expected is None:
        expected = metafeatures.GROUPS if groups == "all" else metafeatures.DEFAULT_GROUPS
    assert tuple(group_keys) == tuple(expected)


def test_unsupervised():
    X = np.random.default_rng(0).normal(size=(50, 4))
    report = _quiet_extract(X)
    assert report.task == "none"
    assert not any(n.startswith("landmarking.") for n in report.values.index)
    assert "info_theory.attribute_entropy_mean" in report.values.index


def test_regression_target():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = 3 * X["a"] + rng.normal(size=200) * 0.1
    report = _quiet_extract(X, y)
    assert report.task == "regression"
    v = report.values
    assert v["landmarking.linear"] > 0.9
    assert "general.target_sd" in v.index
    assert v["statistical.target_correlation_max"] > 0.9
    assert v["NumberOfClasses"] == 0
    assert v["NumberOfNumericFeatures"] == 3


def test_time_budget_skips():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 5))
    y = rng.integers(0, 2, size=500)
    report = _quiet_extract(X, y, groups="landmarking", time_budget=1e-9)
    # the first learner may run; the others are skipped with a reason
    assert any(r == "time budget exhausted" for r in report.skipped.values())


def test_landmarking_informative():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] > 0).astype(int)
    v = _quiet_extract(X, y, groups="landmarking").values
    assert v["landmarking.decision_stump"] > 0.9
    assert v["landmarking.shallow_tree"] > 0.9


def test_openml_landmarking_runs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(int)
    v = _quiet_extract(X, y, groups="openml_landmarking").values
    assert 0 <= v["DecisionStumpErrRate"] < 0.4
    assert 0.5 < v["NaiveBayesAUC"] <= 1
    assert v.notna().all()
