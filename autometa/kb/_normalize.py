"""Per-dataset normalization of scores: 1 for a dataset's best configuration, 0 for its
worst; the regret of a configuration is ``1 - score``."""

from __future__ import annotations

import pandas as pd

__all__ = ["normalize_rows"]


def normalize_rows(raw: pd.DataFrame, greater_is_better: bool) -> pd.DataFrame:
    """Min-max scale each row of ``raw`` (datasets x configurations) into [0, 1].

    Oriented by ``greater_is_better`` (when False the lowest value scores 1). NaN stays NaN; a
    row whose values all tie scores 1 wherever it has a value (each is the best).
    """
    values = raw if greater_is_better else -raw
    lo = values.min(axis=1)
    hi = values.max(axis=1)
    span = hi - lo
    scaled = values.sub(lo, axis=0).div(span.where(span > 0), axis=0)
    ties = (span == 0).to_numpy()
    if ties.any():
        scaled.loc[ties] = (
            values.loc[ties].notna().astype("float64").where(values.loc[ties].notna())
        )
    return scaled
