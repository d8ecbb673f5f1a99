"""Preprocessing that takes raw tabular data: imputation, encoding, scaling."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

__all__ = ["TabularPreprocessor", "as_frame", "split_columns"]


def as_frame(X: Any) -> pd.DataFrame:
    """A DataFrame view of ``X``: arrays get columns ``x0, x1, ...``; nullable dtypes become
    float/object with NaN, datetimes become seconds since the epoch, booleans become 0/1."""
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        arr = np.asarray(X)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    out = {}
    for name in frame.columns:
        col = frame[name]
        dtype = col.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            out[name] = col.astype(object).where(col.notna(), np.nan)
        elif pd.api.types.is_bool_dtype(dtype):
            out[name] = col.astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            secs = col.astype("int64").astype("float64") / 1e9 if col.notna().all() else None
            if secs is None:
                secs = pd.Series(np.nan, index=col.index)
                mask = col.notna()
                secs[mask] = col[mask].astype("int64").astype("float64") / 1e9
            out[name] = secs
        elif pd.api.types.is_numeric_dtype(dtype):
            out[name] = pd.to_numeric(col, errors="coerce").astype("float64")
        else:
            obj = col.astype(object)
            out[name] = obj.where(col.notna(), np.nan).map(
                lambda v: v if isinstance(v, str) or v is np.nan else str(v)
            )
    result = pd.DataFrame(out, index=frame.index)
    result.columns = [str(c) for c in frame.columns]
    return result


def split_columns(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Numeric and categorical column names of a frame made by :func:`as_frame`."""
    numeric = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c].dtype)]
    categorical = [c for c in frame.columns if c not in set(numeric)]
    return numeric, categorical


class TabularPreprocessor(TransformerMixin, BaseEstimator):
    """Turn a raw table (DataFrame or array) into a numeric matrix.

    Numeric, boolean, nullable and datetime columns are imputed with the median (plus a
    missing-value indicator); string and categorical columns are imputed with a constant
    and one-hot encoded (rare levels grouped) or ordinal encoded. Numeric columns are
    standardized when ``scale=True``. Columns that are entirely missing are dropped.

    Parameters
    ----------
    scale : bool
        Standardize numeric columns (for linear models, SVMs, k-NN, MLPs).
    encoding : {"onehot", "ordinal"}
        How to encode categorical columns ("ordinal" suits tree ensembles).
    max_categories : int
        Most one-hot columns per categorical feature; rarer levels are grouped.
    """

    def __init__(
        self,
        *,
        scale: bool = True,
        encoding: Literal["onehot", "ordinal"] = "onehot",
        max_categories: int = 20,
    ) -> None:
        self.scale = scale
        self.encoding = encoding
        self.max_categories = max_categories

    def _column_transformer(self, frame: pd.DataFrame) -> ColumnTransformer:
        numeric, categorical = split_columns(frame)
        num_steps: list[Any] = [SimpleImputer(strategy="median", add_indicator=True)]
        if self.scale:
            num_steps.append(StandardScaler())
        if self.encoding == "onehot":
            encoder: Any = OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                max_categories=self.max_categories,
                sparse_output=False,
            )
        else:
            encoder = OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=-1,
                max_categories=self.max_categories * 5,
            )
        cat_steps = [SimpleImputer(strategy="constant", fill_value="__missing__"), encoder]
        return ColumnTransformer(
            [
                ("numeric", make_pipeline(*num_steps), numeric),
                ("categorical", make_pipeline(*cat_steps), categorical),
            ],
            remainder="drop",
            sparse_threshold=0.0,
            verbose_feature_names_out=False,
        )

    def fit(self, X: Any, y: Any = None) -> TabularPreprocessor:
        frame = as_frame(X)
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.column_transformer_ = self._column_transformer(frame).fit(frame, y)
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "column_transformer_")
        frame = as_frame(X)
        if frame.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {frame.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        if not isinstance(X, pd.DataFrame) and hasattr(self, "feature_names_in_"):
            frame.columns = list(self.feature_names_in_)
        out = self.column_transformer_.transform(frame)
        return np.asarray(out, dtype=np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "column_transformer_")
        return self.column_transformer_.get_feature_names_out()
