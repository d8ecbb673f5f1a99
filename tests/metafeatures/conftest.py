from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def mixed_frame() -> tuple[pd.DataFrame, pd.Series]:
    """A small seeded frame with every supported column kind and missing values."""
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "int": rng.integers(0, 100, size=n),
            "bool": rng.random(n) > 0.5,
            "cat": pd.Categorical(rng.choice(["a", "b", "c"], size=n)),
            "obj": pd.Series(rng.choice(["x", "y"], size=n), dtype=object),
            "str": pd.Series(rng.choice(["u", "v", "w"], size=n), dtype="string"),
            "Int64": pd.array(rng.integers(0, 5, size=n), dtype="Int64"),
            "Float64": pd.array(rng.normal(size=n), dtype="Float64"),
            "boolean": pd.array(rng.random(n) > 0.3, dtype="boolean"),
            "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
        }
    )
    X.loc[::7, "num"] = np.nan
    X.loc[::11, "Int64"] = pd.NA
    X.loc[::13, "boolean"] = pd.NA
    X.loc[::17, "cat"] = np.nan
    X.loc[::5, "date"] = pd.NaT
    y = pd.Series(np.where(X["num"].fillna(0) + rng.normal(size=n) > 0, "yes", "no"))
    return X, y
