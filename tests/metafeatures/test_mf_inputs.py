from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import metafeatures
from metafeatures import MetaFeatureError, MetaFeatureWarning


def _run(X, y=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetaFeatureWarning)
        return metafeatures.extract_report(X, y, groups="all", **kw)


def _check_finite_or_explained(report):
    v = report.values
    assert np.isfinite(v[v.notna()]).all()
    assert set(v.index[v.isna()]) <= set(report.skipped)


@pytest.mark.parametrize(
    "column",
    ["num", "int", "bool", "cat", "obj", "str", "Int64", "Float64", "boolean", "date"],
)
def test_each_column_kind(mixed_frame, column):
    X, y = mixed_frame
    report = _run(X[[column]], y)
    _check_finite_or_explained(report)
    assert report.values["general.n_features"] == 1


def test_mixed_frame_all_groups(mixed_frame):
    X, y = mixed_frame
    report = _run(X, y)
    _check_finite_or_explained(report)
    assert report.values["general.n_missing_values"] == X.isna().sum().sum()


def test_numpy_array():
    rng = np.random.default_rng(0)
    report = _run(rng.normal(size=(60, 3)), rng.integers(0, 2, size=60))
    assert report.values["general.n_numeric_features"] == 3
    _check_finite_or_explained(report)


def test_numpy_object_array():
    X = np.array([["a", 1.0], ["b", 2.0], ["a", 3.0], ["b", np.nan]] * 5, dtype=object)
    report = _run(X, np.array([0, 1] * 10))
    _check_finite_or_explained(report)


def test_string_and_integer_labels():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=100)})
    y_int = pd.Series(rng.integers(0, 3, size=100))
    y_str = y_int.map({0: "a", 1: "b", 2: "c"}).astype("string")
    a = _run(X, y_int).values
    b = _run(X, y_str).values
    assert a["general.n_classes"] == b["general.n_classes"] == 3
    assert a["general.class_entropy"] == pytest.approx(b["general.class_entropy"])


def test_missing_values_everywhere():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(80, 4)))
    X = X.mask(rng.random(X.shape) < 0.3)
    y = pd.Series(rng.integers(0, 2, size=80).astype(float))
    y[::9] = np.nan
    report = _run(X, y)
    _check_finite_or_explained(report)
    assert report.values["NumberOfMissingValues"] == X.isna().sum().sum() + y.isna().sum()


def test_constant_and_all_missing_columns_warn():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"const": np.ones(50), "gone": np.full(50, np.nan), "ok": rng.normal(size=50)})
    with pytest.warns(MetaFeatureWarning, match="constant"):
        report = metafeatures.extract_report(X, rng.integers(0, 2, 50), groups="statistical")
    assert report.values["statistical.mean_mean"] == pytest.approx(np.mean([1.0, X["ok"].mean()]))
    g = _run(X, rng.integers(0, 2, 50)).values
    assert g["general.n_all_missing_features"] == 1
    assert g["general.n_constant_features"] == 2


def test_only_constant_columns_give_nan_with_warning():
    X = pd.DataFrame({"a": np.ones(30), "b": np.zeros(30)})
    with pytest.warns(MetaFeatureWarning):
        v = metafeatures.extract(X, np.arange(30) % 2, groups="statistical")
    assert np.isnan(v["statistical.skewness_mean"])


def test_single_class_warns():
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.warns(MetaFeatureWarning, match="single class|at least 2 classes"):
        report = metafeatures.extract_report(X, np.zeros(30, dtype=int))
    assert np.isnan(report.values["landmarking.one_nn"])


def test_high_cardinality_categorical():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"id": [f"id{i}" for i in range(500)], "c": rng.choice(list("abc"), 500)})
    report = _run(X, rng.integers(0, 2, 500))
    assert report.values["general.categorical_cardinality_max"] == 500
    _check_finite_or_explained(report)


def test_one_row():
    report = _run(pd.DataFrame({"a": [1.0], "b": ["x"]}), pd.Series([1]))
    assert report.values["general.n_instances"] == 1
    _check_finite_or_explained(report)


def test_large_data_is_subsampled_but_counts_are_full():
    rng = np.random.default_rng(0)
    n = 150_000
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    X.loc[::1000, "a"] = np.nan
    y = pd.Series(rng.integers(0, 2, size=n))
    v = _run(X, y).values
    assert v["general.n_instances"] == n
    assert v["general.n_missing_values"] == 150
    assert v["statistical.mean_mean"] == pytest.approx(0.0, abs=0.02)


# ---- invalid input: errors name the problem and the fix ---------------------------


def test_empty_frame_raises():
    with pytest.raises(MetaFeatureError, match=r"at least 1 row and 1 column.*Got shape"):
        metafeatures.extract(pd.DataFrame())


def test_target_length_mismatch_raises():
    with pytest.raises(MetaFeatureError, match="as many values as X has rows. Got 3"):
        metafeatures.extract(np.zeros((5, 2)), [0, 1, 0])


def test_target_all_missing_raises():
    with pytest.raises(MetaFeatureError, match="at least one non-missing value"):
        metafeatures.extract(np.zeros((3, 2)), [np.nan] * 3)


def test_unknown_group_raises():
    with pytest.raises(MetaFeatureError, match="Got unknown group 'landmarks'"):
        metafeatures.extract(np.zeros((3, 2)), groups="landmarks")


def test_empty_groups_raises():
    with pytest.raises(MetaFeatureError, match="at least one group"):
        metafeatures.extract(np.zeros((3, 2)), groups=[])


def test_unknown_task_raises():
    with pytest.raises(MetaFeatureError, match="'task' parameter.*Got 'clf'"):
        metafeatures.extract(np.zeros((3, 2)), [0, 1, 0], task="clf")


def test_bad_time_budget_raises():
    with pytest.raises(MetaFeatureError, match="'time_budget' parameter.*Got -1"):
        metafeatures.extract(np.zeros((3, 2)), time_budget=-1)


def test_bad_random_state_raises():
    with pytest.raises(MetaFeatureError, match="'random_state' parameter.*must be an int"):
        metafeatures.extract(np.zeros((3, 2)), random_state="a")


def test_three_dimensional_raises():
    with pytest.raises(MetaFeatureError, match="2-dimensional.*Got an array with 3"):
        metafeatures.extract(np.zeros((3, 2, 2)))


def test_regression_needs_numeric_target():
    with pytest.raises(MetaFeatureError, match="numeric target"):
        metafeatures.extract(np.zeros((3, 2)), ["a", "b", "c"], task="regression")


def test_multicolumn_target_raises():
    with pytest.raises(MetaFeatureError, match="one column"):
        metafeatures.extract(np.zeros((3, 2)), pd.DataFrame(np.zeros((3, 2))))


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        metafeatures.extract(pd.DataFrame())
