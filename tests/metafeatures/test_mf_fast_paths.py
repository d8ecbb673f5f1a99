"""The fast paths give the values of the general ones."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import metafeatures
from metafeatures import MetaFeatureWarning
from metafeatures._landmarking import _root_split_predict
from metafeatures._stats import code_entropies, entropy_from_counts, mutual_information


def _extract(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetaFeatureWarning)
        return metafeatures.extract(*args, **kwargs)


@pytest.mark.parametrize("seed", range(5))
def test_stump_read_off_the_depth3_tree_equals_a_fitted_stump(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(300, 6))
    x[:, 1] = rng.integers(0, 3, 300)  # ties
    x[:, 2] = 1.0  # constant
    x32 = x.astype(np.float32)
    y_clf = rng.integers(0, 3, 300)
    y_reg = x[:, 0] + rng.normal(size=300)
    for est_cls, y, task in (
        (DecisionTreeClassifier, y_clf, "classification"),
        (DecisionTreeRegressor, y_reg, "regression"),
    ):
        deep = est_cls(max_depth=3, random_state=0).fit(x32[:200], y[:200])
        stump = est_cls(max_depth=1, random_state=0).fit(x32[:200], y[:200])
        np.testing.assert_array_equal(
            _root_split_predict(deep, x32[200:], task), stump.predict(x32[200:])
        )


def test_stump_of_a_pure_node():
    x = np.arange(20, dtype=np.float32).reshape(-1, 1)
    deep = DecisionTreeClassifier(max_depth=3, random_state=0).fit(x, np.ones(20))
    np.testing.assert_array_equal(_root_split_predict(deep, x, "classification"), np.ones(20))


def test_vectorized_mutual_information_matches_a_loop():
    rng = np.random.default_rng(0)
    levels = np.array([1, 2, 5, 3])
    codes = np.stack([rng.integers(-1, k, 200) for k in levels], axis=1).astype(np.int32)
    codes[:, 3] = -1  # all missing
    y = rng.integers(0, 3, 200)
    mi, hx = mutual_information(codes, levels, y, 3)
    for j in range(3):
        ok = codes[:, j] >= 0
        c, t = codes[ok, j], y[ok]
        joint = np.zeros((levels[j], 3))
        np.add.at(joint, (c, t), 1)
        h_x = entropy_from_counts(joint.sum(axis=1))
        h_y = entropy_from_counts(joint.sum(axis=0))
        expected = max(h_x + h_y - entropy_from_counts(joint.ravel()), 0.0)
        assert mi[j] == pytest.approx(expected, abs=1e-12)
        assert hx[j] == pytest.approx(h_x, abs=1e-12)
    assert np.isnan(mi[3]) and np.isnan(hx[3])
    np.testing.assert_allclose(code_entropies(codes, levels), hx, equal_nan=True)


def test_numeric_array_and_dataframe_give_the_same_values():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    X[::7, 1] = np.nan
    X[3, 2] = np.inf
    y = (X[:, 0] > 0).astype(int)
    a = _extract(X, y, groups="all")
    b = _extract(pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]), pd.Series(y), groups="all")
    pd.testing.assert_series_equal(a, b)
    assert np.isinf(X[3, 2])  # the caller's array is not modified


def test_numpy_target_and_pandas_target_give_the_same_values():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=300), "c": pd.Categorical(rng.choice(list("xyz"), 300))})
    y = rng.integers(0, 3, 300)
    a = _extract(X, y, groups="default")
    b = _extract(X, pd.Series(y.astype(str), dtype=object), groups="default")
    pd.testing.assert_series_equal(a, b)
    yr = rng.normal(size=300)
    yr[::10] = np.nan
    c = _extract(X, yr, groups="default")
    d = _extract(X, pd.Series(yr, dtype="Float64"), groups="default")
    pd.testing.assert_series_equal(c, d)


def test_binary_numeric_column_detected_past_the_first_rows():
    n = 2000
    X = pd.DataFrame(
        {
            "late_binary": np.r_[np.zeros(1500), np.ones(500)],
            "late_third_value": np.r_[np.zeros(1000), np.ones(999), [2.0]],
            "binary_with_nan": np.r_[[np.nan], np.tile([3.0, 7.0], (n - 1) // 2), [3.0]],
            "constant": np.ones(n),
        }
    )
    v = _extract(X, np.arange(n) % 2, groups="general")
    assert v["general.n_binary_features"] == 2
    assert v["general.n_constant_features"] == 1
