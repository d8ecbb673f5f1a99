"""Input validation and preparation shared by all groups.

What is computed on the full data and what on a subsample
---------------------------------------------------------
Full data (cheap, one pass): the number of rows, per-column missing counts, rows with
missing values, class counts (classification) or target summaries (regression), the
order-dependent ``AutoCorrelation``, and declared category counts of ``category``
columns.

Subsample (everything else): at most ``max_rows`` (default 100,000) rows drawn
without replacement, stratified by class for classification, deterministic given
``random_state``, in the original row order. Numeric columns are converted to
float64 and categorical columns to integer codes only on this subsample.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metafeatures._base import MetaFeatureError

logger = logging.getLogger(__name__)

MAX_ROWS = 100_000


@dataclass(frozen=True)
class PreparedData:
    """The dataset as the groups see it.

    Attributes
    ----------
    task : {'classification', 'regression', 'none'}
    n_rows : int
        Rows of the full data (including rows whose target is missing).
    columns : tuple of str
        Feature names (target excluded).
    is_numeric : ndarray of bool, shape (n_features,)
        Numeric (including datetime and timedelta, converted to days) vs categorical
        (category, bool, object, string).
    is_datetime : ndarray of bool, shape (n_features,)
    is_string : ndarray of bool, shape (n_features,)
        Object or string columns (categories observed, not declared).
    missing_per_column : ndarray of int, shape (n_features,)
        Missing values per feature on the full data.
    rows_with_missing : int
        Rows of the full data with at least one missing feature value.
    rows_with_any_missing : int
        Rows with a missing feature or target value.
    target_missing : int
        Missing target values on the full data.
    num : ndarray of float64, shape (n_sub, n_numeric), Fortran order
        Numeric features on the subsample, NaN for missing.
    cat : ndarray of int32, shape (n_sub, n_categorical), Fortran order
        Category codes on the subsample, -1 for missing.
    cat_levels : ndarray of int, shape (n_categorical,)
        Declared categories (``category`` dtype), 2 for booleans, otherwise distinct
        values observed on the subsample.
    y : ndarray or None
        Target on the subsample (rows with a missing target removed from ``num``,
        ``cat`` and ``y`` alike): class codes 0..K-1 or float values.
    classes : ndarray or None
        Class labels (classification), index = code.
    class_counts : ndarray of int or None
        Class sizes on the full data; declared but unused categories of a
        ``category`` target are kept with size 0.
    y_full : ndarray or None
        Regression target on the full data (NaN for missing).
    autocorrelation : float
        OpenML's AutoCorrelation on the full target in row order: ``1 - mean(y[i+1]
        != y[i])`` for classes, ``1 - mean |y[i+1] - y[i]|`` for a numeric target
        (OpenML's definition, not scale-free).
    random_state : int
    subsampled : bool
    """

    task: str
    n_rows: int
    columns: tuple[str, ...]
    is_numeric: np.ndarray
    is_datetime: np.ndarray
    is_string: np.ndarray
    missing_per_column: np.ndarray
    rows_with_missing: int
    rows_with_any_missing: int
    target_missing: int
    num: np.ndarray
    cat: np.ndarray
    cat_levels: np.ndarray
    y: np.ndarray | None
    classes: np.ndarray | None
    class_counts: np.ndarray | None
    y_full: np.ndarray | None
    autocorrelation: float
    random_state: int
    subsampled: bool

    @property
    def n_features(self) -> int:
        return len(self.columns)

    @property
    def n_sub(self) -> int:
        return int(self.num.shape[0])


def _as_frame(X: object) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        frame = X
    elif isinstance(X, pd.Series):
        frame = X.to_frame()
    else:
        arr = np.asarray(X)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2:
            raise MetaFeatureError(
                f"X must be a 2-dimensional table (DataFrame or array of shape "
                f"(n_samples, n_features)). Got an array with {arr.ndim} dimensions "
                f"instead; reshape it to 2 dimensions."
            )
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise MetaFeatureError(
            f"X must have at least 1 row and 1 column. Got shape {frame.shape} instead; "
            f"pass a non-empty table."
        )
    return frame


def _column_kind(s: pd.Series) -> str:
    dt = s.dtype
    if isinstance(dt, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dt):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(dt) or pd.api.types.is_timedelta64_dtype(dt):
        return "datetime"
    if pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_complex_dtype(dt):
        return "numeric"
    return "object"


def _datetime_days(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_timedelta64_dtype(s.dtype):
        out = s / pd.Timedelta(days=1)
    else:
        tz = getattr(s.dt, "tz", None)
        out = (s - pd.Timestamp(0, tz=tz)) / pd.Timedelta(days=1)
    return out.to_numpy(dtype=np.float64, na_value=np.nan)


def _infer_task(y: pd.Series) -> str:
    dt = y.dtype
    if isinstance(dt, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dt):
        return "classification"
    if pd.api.types.is_float_dtype(dt):
        vals = y.dropna().to_numpy(dtype=np.float64)
        if vals.size and np.all(vals == np.round(vals)) and np.unique(vals).size <= 20:
            return "classification"
        return "regression"
    if pd.api.types.is_integer_dtype(dt):
        return "classification" if y.nunique(dropna=True) <= 20 else "regression"
    if pd.api.types.is_numeric_dtype(dt):
        return "regression"
    return "classification"


def _subsample(
    n: int, max_rows: int, codes: np.ndarray | None, random_state: int
) -> np.ndarray | None:
    """Sorted row positions of a deterministic (stratified) subsample, or None."""
    if n <= max_rows:
        return None
    rng = np.random.default_rng(random_state)
    order = rng.permutation(n)
    if codes is None:
        return np.sort(order[:max_rows])
    keys = codes[order]
    counts = np.bincount(keys)
    take = np.floor(counts * (max_rows / n)).astype(np.int64)
    take = np.maximum(take, np.minimum(counts, 2))  # keep every class represented
    by_class = order[np.argsort(keys, kind="stable")]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    parts = [by_class[s : s + t] for s, t in zip(starts, take)]
    return np.sort(np.concatenate(parts))


def prepare(
    X: object,
    y: object = None,
    *,
    task: str = "auto",
    random_state: int = 0,
    max_rows: int = MAX_ROWS,
) -> PreparedData:
    """Validate ``X``/``y`` and build the :class:`PreparedData` the groups use."""
    if task not in ("auto", "classification", "regression"):
        raise MetaFeatureError(
            f"The 'task' parameter of extract must be one of 'auto', 'classification', "
            f"'regression'. Got {task!r} instead."
        )
    if not isinstance(random_state, (int, np.integer)) or isinstance(random_state, bool):
        raise MetaFeatureError(
            f"The 'random_state' parameter of extract must be an int. Got {random_state!r} instead."
        )
    frame = _as_frame(X)
    n = frame.shape[0]
    columns = tuple(str(c) for c in frame.columns)

    # ---- target -----------------------------------------------------------------
    y_series: pd.Series | None = None
    if y is not None:
        if isinstance(y, pd.DataFrame):
            if y.shape[1] != 1:
                raise MetaFeatureError(
                    f"y must be one column. Got a DataFrame with {y.shape[1]} columns "
                    f"instead; pass a single target column."
                )
            y = y.iloc[:, 0]
        y_series = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y).ravel())
        if len(y_series) != n:
            raise MetaFeatureError(
                f"y must have as many values as X has rows. Got {len(y_series)} target "
                f"values for {n} rows instead; pass the target of the same rows."
            )
        y_series = y_series.reset_index(drop=True)
        if y_series.isna().all():
            raise MetaFeatureError(
                "y must have at least one non-missing value. Got a target that is all "
                "missing instead; pass the target column, or y=None for unsupervised "
                "meta-features."
            )
        resolved = _infer_task(y_series) if task == "auto" else task
        if resolved == "regression" and not pd.api.types.is_numeric_dtype(y_series.dtype):
            try:
                y_series = pd.to_numeric(y_series)
            except (TypeError, ValueError):
                raise MetaFeatureError(
                    f"task='regression' needs a numeric target. Got dtype "
                    f"{y_series.dtype} instead; use task='classification' or convert y."
                ) from None
    else:
        resolved = "none"

    y_mask = None if y_series is None else y_series.notna().to_numpy()
    target_missing = 0 if y_mask is None else int((~y_mask).sum())

    classes = class_counts = None
    y_codes_full: np.ndarray | None = None
    y_full: np.ndarray | None = None
    autocorr = np.nan
    if resolved == "classification":
        assert y_series is not None
        codes, uniques = pd.factorize(y_series, sort=True)
        if isinstance(y_series.dtype, pd.CategoricalDtype):
            # keep the declared classes, used or not (Weka/OpenML count them)
            codes = y_series.cat.codes.to_numpy()
            uniques = np.asarray(y_series.cat.categories, dtype=object)
        classes = np.asarray(uniques, dtype=object)
        y_codes_full = codes.astype(np.int64)
        class_counts = np.bincount(y_codes_full[y_codes_full >= 0], minlength=len(classes))
        valid = y_codes_full[y_codes_full >= 0]
        if valid.size > 1:
            autocorr = float(np.mean(valid[1:] == valid[:-1]))
    elif resolved == "regression":
        assert y_series is not None
        y_full = y_series.to_numpy(dtype=np.float64, na_value=np.nan)
        valid = y_full[~np.isnan(y_full)]
        if valid.size > 1:
            autocorr = float(1.0 - np.mean(np.abs(np.diff(valid))))

    # ---- full-data column facts ---------------------------------------------------
    kinds = [_column_kind(frame.iloc[:, j]) for j in range(frame.shape[1])]
    is_numeric = np.array([k in ("numeric", "datetime") for k in kinds], dtype=bool)
    is_datetime = np.array([k == "datetime" for k in kinds], dtype=bool)
    is_string = np.array([k == "object" for k in kinds], dtype=bool)
    na = frame.isna().to_numpy()
    missing_per_column = na.sum(axis=0).astype(np.int64)
    row_missing = na.any(axis=1)
    rows_with_missing = int(row_missing.sum())
    rows_with_any_missing = (
        rows_with_missing if y_mask is None else int((row_missing | ~y_mask).sum())
    )
    del na, row_missing

    # ---- subsample ----------------------------------------------------------------
    keep = np.arange(n) if y_mask is None else np.flatnonzero(y_mask)
    strat = None if y_codes_full is None else y_codes_full[keep]
    pos = _subsample(keep.size, max_rows, strat, random_state)
    rows = keep if pos is None else keep[pos]
    subsampled = pos is not None or keep.size < n
    sub = frame.iloc[rows] if subsampled else frame
    if subsampled:
        logger.debug("metafeatures: using %d of %d rows", rows.size, n)

    num_idx = np.flatnonzero(is_numeric)
    cat_idx = np.flatnonzero(~is_numeric)
    m = rows.size
    num = np.empty((m, num_idx.size), dtype=np.float64, order="F")
    plain = [j for j in num_idx if kinds[j] == "numeric"]
    if plain:
        block = sub.iloc[:, plain]
        pos_of = {j: i for i, j in enumerate(num_idx)}
        cols_out = [pos_of[j] for j in plain]
        try:
            arr = block.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            arr = np.column_stack(
                [
                    pd.to_numeric(block.iloc[:, i], errors="coerce").to_numpy(
                        dtype=np.float64, na_value=np.nan
                    )
                    for i in range(block.shape[1])
                ]
            )
        num[:, cols_out] = arr
    for i, j in enumerate(num_idx):
        if kinds[j] == "datetime":
            num[:, i] = _datetime_days(sub.iloc[:, j])
    num[~np.isfinite(num)] = np.nan

    cat = np.empty((m, cat_idx.size), dtype=np.int32, order="F")
    levels = np.zeros(cat_idx.size, dtype=np.int64)
    for i, j in enumerate(cat_idx):
        s = sub.iloc[:, j]
        if kinds[j] == "category":
            cat[:, i] = s.cat.codes.to_numpy()
            levels[i] = len(s.cat.categories)
        elif kinds[j] == "bool":
            vals = s.to_numpy(dtype=np.float64, na_value=np.nan)
            cat[:, i] = np.where(np.isnan(vals), -1, vals).astype(np.int32)
            levels[i] = 2
        else:
            codes, uniq = pd.factorize(s.astype(object))
            cat[:, i] = codes
            levels[i] = len(uniq)

    y_sub = None
    if y_codes_full is not None:
        y_sub = y_codes_full[rows]
    elif y_full is not None:
        y_sub = y_full[rows]

    return PreparedData(
        task=resolved,
        n_rows=n,
        columns=columns,
        is_numeric=is_numeric,
        is_datetime=is_datetime,
        is_string=is_string,
        missing_per_column=missing_per_column,
        rows_with_missing=rows_with_missing,
        rows_with_any_missing=rows_with_any_missing,
        target_missing=target_missing,
        num=num,
        cat=cat,
        cat_levels=levels,
        y=y_sub,
        classes=classes,
        class_counts=class_counts,
        y_full=y_full,
        autocorrelation=autocorr,
        random_state=int(random_state),
        subsampled=subsampled,
    )
