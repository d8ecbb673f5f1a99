"""The preprocessing every learner's pipeline starts with (autometa/learners/_preprocessing.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autometa.learners import TabularPreprocessor


def _frame(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "cat": pd.Series(rng.choice(["a", "b"], n), dtype="category"),
            "text": rng.choice(["u", "v", "w"], n),
            "flag": rng.random(n) > 0.5,
        }
    )


@pytest.mark.parametrize("encoding", ["onehot", "ordinal"])
def test_missing_values_and_unseen_categories_give_finite_numbers(encoding):
    train = _frame()
    test = _frame(5)
    test.loc[0, "num"] = np.nan
    test["text"] = ["u", "never seen", None, "v", "w"]
    pre = TabularPreprocessor(encoding=encoding).fit(train)
    out = pre.transform(test)
    assert out.shape[0] == 5 and np.all(np.isfinite(out))
    assert len(pre.get_feature_names_out()) == out.shape[1]


def test_arrays_are_accepted_like_frames():
    X = np.random.default_rng(0).normal(size=(20, 3))
    out = TabularPreprocessor().fit(X).transform(X)
    assert out.shape == (20, 3)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)  # standardized
