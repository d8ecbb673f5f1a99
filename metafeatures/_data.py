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
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metafeatures._base import MetaFeatureError, MetaFeatureWarning
from metafeatures._task import MAX_CLASSES, task_summary

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
        Free-text columns: pandas' explicit ``string`` dtype (OpenML's ARFF string
        attributes), not nominal in the ``openml`` group. Object and default ``str``
        columns are nominal (categories observed, not declared).
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


def _check_shape(shape: tuple[int, ...]) -> None:
    if shape[0] == 0 or shape[1] == 0:
        raise MetaFeatureError(
            f"X must have at least 1 row and 1 column. Got shape {shape} instead; "
            f"pass a non-empty table."
        )


_CONTAINERS = (list, tuple, dict, set, frozenset, np.ndarray, pd.Series, pd.DataFrame)


def _check_cells(values: object, where: str) -> None:
    """One scalar per cell: the same rule and wording as ``autometa._validation``."""
    if pd.api.types.infer_dtype(values, skipna=True) not in ("mixed", "mixed-integer"):
        return
    for v in values:  # type: ignore[attr-defined]
        if isinstance(v, _CONTAINERS):
            text = repr(v) if len(repr(v)) <= 40 else repr(v)[:37] + "..."
            raise MetaFeatureError(
                f"{where} holds {type(v).__name__} values (e.g. {text}); autometa needs one "
                "scalar per cell (a number, string, boolean or date). Expand or drop that "
                "column before passing it to extract."
            )


def _as_frame(X: object) -> pd.DataFrame | np.ndarray:
    """X as a DataFrame, or as a 2-d float64 ndarray for numeric (non-bool) arrays.

    The structural checks are those of ``autometa._validation.check_features`` (same
    wording): no sparse matrix, no 1-d or 3-d input, no duplicate column names, one
    scalar per cell. (Infinite values are allowed here: they count as missing.)
    """
    import scipy.sparse as sp

    if sp.issparse(X):
        raise MetaFeatureError(
            f"The 'X' parameter of extract must be dense. Got a scipy sparse matrix of shape "
            f"{X.shape} instead: sparse input is not supported. Convert it with "  # type: ignore[attr-defined]
            "X.toarray() (or pd.DataFrame.sparse.from_spmatrix(X))."
        )
    if isinstance(X, pd.Series):
        raise MetaFeatureError(
            f"The 'X' parameter of extract must be 2-dimensional. Got a pandas Series "
            f"(1-dimensional, {len(X)} values) instead; pass X.to_frame() for a single feature."
        )
    if isinstance(X, pd.DataFrame):
        frame = X
        duplicated = frame.columns[frame.columns.duplicated()].unique()
        if len(duplicated):
            shown = ", ".join(repr(c) for c in list(duplicated)[:5])
            raise MetaFeatureError(
                f"The 'X' parameter of extract has duplicate column names: {shown}. Give "
                "every column a unique name (e.g. X.columns = [...] or "
                "X.loc[:, ~X.columns.duplicated()])."
            )
        for j, dt in enumerate(frame.dtypes):
            if isinstance(dt, np.dtype) and dt.kind == "O":
                _check_cells(frame.iloc[:, j].to_numpy(), f"Column {frame.columns[j]!r} of 'X'")
    else:
        arr = np.asarray(X)
        if arr.ndim == 1:
            raise MetaFeatureError(
                f"The 'X' parameter of extract must be 2-dimensional. Got a 1-dimensional "
                f"array of shape {arr.shape} instead. Reshape your data with X.reshape(-1, 1) for a "
                "single feature or X.reshape(1, -1) for a single sample."
            )
        if arr.ndim != 2:
            raise MetaFeatureError(
                f"X must be a 2-dimensional table (DataFrame or array of shape "
                f"(n_samples, n_features)). Got an array with {arr.ndim} dimensions "
                f"instead; reshape it to 2 dimensions."
            )
        if arr.dtype.kind in "iuf":
            _check_shape(arr.shape)
            return arr.astype(np.float64, copy=False)
        if arr.dtype == object:
            for j in range(arr.shape[1]):
                _check_cells(arr[:, j], f"Column {j} of 'X'")
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    _check_shape(frame.shape)
    return frame


def _dtype_kind(dt: object) -> str:
    """'numeric', 'datetime', 'bool', 'category', 'text' or 'object' for a column dtype.

    'text' is pandas' explicit ``string`` dtype (``dtype="string"``, missing values
    ``pd.NA``): free text, OpenML's ARFF *string* attributes. Object columns and pandas'
    default ``str`` columns (what ``read_csv`` returns) are 'object': nominal values.
    """
    if isinstance(dt, np.dtype):  # fast path: plain numpy dtypes
        k = dt.kind
        if k in "iuf":
            return "numeric"
        if k == "b":
            return "bool"
        if k in "mM":
            return "datetime"
        return "object"
    if isinstance(dt, pd.CategoricalDtype):
        return "category"
    if isinstance(dt, pd.StringDtype) and dt.na_value is pd.NA:
        return "text"
    if pd.api.types.is_bool_dtype(dt):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(dt) or pd.api.types.is_timedelta64_dtype(dt):
        return "datetime"
    if pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_complex_dtype(dt):
        return "numeric"
    return "object"


def _column_kind(s: pd.Series) -> str:
    return _dtype_kind(s.dtype)


def _datetime_days(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_timedelta64_dtype(s.dtype):
        out = s / pd.Timedelta(days=1)
    else:
        tz = getattr(s.dt, "tz", None)
        out = (s - pd.Timestamp(0, tz=tz)) / pd.Timedelta(days=1)
    return out.to_numpy(dtype=np.float64, na_value=np.nan)


def _warn_ambiguous(task: str, n_unique: int) -> None:
    if task == "classification" and n_unique > 2:
        warnings.warn(
            f"extract inferred task='classification' from the target: its {n_unique} "
            f"distinct values are all whole numbers (at most {MAX_CLASSES} distinct whole "
            "numbers are read as classes). If the target is a quantity (a count, a rating, "
            "a score), pass task='regression'; pass task='classification' to confirm and "
            "silence this warning.",
            MetaFeatureWarning,
            stacklevel=6,
        )


def stratified_subsample(
    n: int,
    max_rows: int,
    classes: np.ndarray | None = None,
    *,
    min_per_class: int = 2,
    random_state: int = 0,
) -> np.ndarray:
    """Sorted positions of a deterministic subsample of ``n`` rows (stratified when
    ``classes`` is given).

    The rows are drawn without replacement from one permutation of
    ``numpy.random.default_rng(random_state)``. Without ``classes``: its first
    ``max_rows``. With ``classes`` (non-negative integer codes of length ``n``): each class
    keeps ``floor(count * max_rows / n)`` rows, at least ``min(count, min_per_class)``, so
    the subsample has between ``max_rows - n_classes`` and about ``max_rows`` rows. This is
    the one definition: ``extract`` uses it (``min_per_class=2``) and so does autometa's
    knowledge-base runner (``min_per_class=folds``), whose stored runs depend on it.

    Examples
    --------
    >>> import numpy as np
    >>> from metafeatures import stratified_subsample
    >>> y = np.array([0] * 90 + [1] * 10)
    >>> pos = stratified_subsample(100, 20, y, random_state=0)
    >>> len(pos), int((y[pos] == 1).sum())
    (20, 2)
    """
    rng = np.random.default_rng(random_state)
    order = rng.permutation(n)
    if classes is None:
        return np.sort(order[:max_rows])
    keys = np.asarray(classes)[order]
    counts = np.bincount(keys)
    take = np.floor(counts * (max_rows / n)).astype(np.int64)
    take = np.maximum(take, np.minimum(counts, min_per_class))  # keep small classes usable
    take = np.minimum(take, counts)  # (max_rows >= n: every row)
    by_class = order[np.argsort(keys, kind="stable")]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.sort(np.concatenate([by_class[s : s + t] for s, t in zip(starts, take)]))


def _subsample(
    n: int, max_rows: int, codes: np.ndarray | None, random_state: int
) -> np.ndarray | None:
    """Sorted row positions of a deterministic (stratified) subsample, or None (all)."""
    if n <= max_rows:
        return None
    return stratified_subsample(n, max_rows, codes, min_per_class=2, random_state=random_state)


@dataclass(frozen=True)
class _Target:
    task: str
    mask: np.ndarray | None  # non-missing target values (None without a target)
    classes: np.ndarray | None
    class_counts: np.ndarray | None
    codes: np.ndarray | None  # class codes on the full data, -1 for missing
    values: np.ndarray | None  # regression target on the full data, NaN for missing
    autocorrelation: float


def _numpy_target(y: object) -> np.ndarray | None:
    """``y`` as a 1-d array when it is numpy-backed bool or real numbers, else None."""
    if isinstance(y, pd.Series):
        dt = y.dtype
        if isinstance(dt, np.dtype) and dt.kind in "biuf":
            return y.to_numpy()
        return None
    if isinstance(y, np.ndarray) and y.dtype.kind in "biuf":
        return y.reshape(-1) if y.ndim > 1 else y
    return None


def _check_target_length(size: int, n: int) -> None:
    if size != n:
        raise MetaFeatureError(
            f"y must have as many values as X has rows. Got {size} target "
            f"values for {n} rows instead; pass the target of the same rows."
        )


_ALL_MISSING = (
    "y must have at least one non-missing value. Got a target that is all "
    "missing instead; pass the target column, or y=None for unsupervised "
    "meta-features."
)


def _finish_target(
    task: str, mask: np.ndarray, codes: np.ndarray | None, classes: np.ndarray | None,
    values: np.ndarray | None,
) -> _Target:  # fmt: skip
    autocorr = math.nan
    class_counts = None
    if codes is not None:
        assert classes is not None
        codes = codes.astype(np.int64, copy=False)
        valid = codes[codes >= 0]
        class_counts = np.bincount(valid, minlength=len(classes))
        if valid.size > 1:
            autocorr = float(np.mean(valid[1:] == valid[:-1]))
    elif values is not None:
        valid = values[~np.isnan(values)]
        if valid.size > 1:
            autocorr = float(1.0 - np.mean(np.abs(np.diff(valid))))
    return _Target(task, mask, classes, class_counts, codes, values, autocorr)


def _prepare_target(y: object, n: int, task: str) -> _Target:
    """Validate the target, resolve the task and encode classes (full data)."""
    if y is None:
        return _Target("none", None, None, None, None, None, math.nan)
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise MetaFeatureError(
                f"y must be one column. Got a DataFrame with {y.shape[1]} columns "
                f"instead; pass a single target column."
            )
        y = y.iloc[:, 0]
    arr = _numpy_target(y)
    if arr is not None:  # fast path: numpy numbers or booleans, no pandas round trip
        _check_target_length(arr.size, n)
        mask = ~np.isnan(arr) if arr.dtype.kind == "f" else np.ones(arr.size, dtype=bool)
        if not mask.any():
            raise MetaFeatureError(_ALL_MISSING)
        resolved = task
        if task == "auto":
            resolved, n_unique = task_summary(arr)
            _warn_ambiguous(resolved, n_unique)
        if resolved == "regression":
            return _finish_target(resolved, mask, None, None, arr.astype(np.float64))
        uniques, inverse = np.unique(arr[mask], return_inverse=True)
        codes = np.full(arr.size, -1, dtype=np.int64)
        codes[mask] = inverse
        return _finish_target(resolved, mask, codes, np.asarray(uniques, dtype=object), None)

    y_series = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y).ravel())
    _check_target_length(len(y_series), n)
    y_series = y_series.reset_index(drop=True)
    mask = y_series.notna().to_numpy()
    if not mask.any():
        raise MetaFeatureError(_ALL_MISSING)
    resolved = task
    if task == "auto":
        resolved, n_unique = task_summary(y_series)
        _warn_ambiguous(resolved, n_unique)
    if resolved == "regression":
        if not pd.api.types.is_numeric_dtype(y_series.dtype):
            try:
                y_series = pd.to_numeric(y_series)
            except (TypeError, ValueError):
                raise MetaFeatureError(
                    f"task='regression' needs a numeric target. Got dtype "
                    f"{y_series.dtype} instead; use task='classification' or convert y."
                ) from None
        values = y_series.to_numpy(dtype=np.float64, na_value=np.nan)
        return _finish_target(resolved, mask, None, None, values)
    if isinstance(y_series.dtype, pd.CategoricalDtype):
        # keep the declared classes, used or not (Weka/OpenML count them)
        codes = y_series.cat.codes.to_numpy()
        uniques = np.asarray(y_series.cat.categories, dtype=object)
    else:
        codes, uniques = pd.factorize(y_series, sort=True)
    return _finish_target(resolved, mask, codes, np.asarray(uniques, dtype=object), None)


_Facts = tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _array_facts(arr: np.ndarray, rows: np.ndarray | None) -> _Facts:
    """Column facts of a float64 array: kinds, num, cat, levels, missing, row_missing."""
    nan = np.isnan(arr)
    na_cols = nan.sum(axis=0).astype(np.int64)
    row_missing: np.ndarray = (
        nan.any(axis=1) if na_cols.any() else np.zeros(arr.shape[0], dtype=bool)
    )
    del nan
    num = np.asfortranarray(arr if rows is None else arr[rows])
    if np.may_share_memory(num, arr):
        num = num.copy(order="F")
    inf = np.isinf(num)
    if inf.any():
        num[inf] = np.nan
    p = arr.shape[1]
    return (
        ["numeric"] * p,
        num,
        np.empty((num.shape[0], 0), dtype=np.int32, order="F"),
        np.zeros(0, dtype=np.int64),
        na_cols,
        row_missing,
    )


def _frame_facts(frame: pd.DataFrame, rows: np.ndarray | None) -> _Facts:
    """Column facts of a DataFrame on the full data, values on ``rows`` (None: all)."""
    dtypes = frame.dtypes.tolist()
    kinds = [_dtype_kind(dt) for dt in dtypes]
    n, p = frame.shape
    sub = frame if rows is None else frame.iloc[rows]
    m = n if rows is None else rows.size
    num_idx = [j for j, k in enumerate(kinds) if k in ("numeric", "datetime")]
    cat_idx = [j for j, k in enumerate(kinds) if k not in ("numeric", "datetime")]
    plain = [j for j in num_idx if kinds[j] == "numeric"]
    num = np.empty((m, len(num_idx)), dtype=np.float64, order="F")
    arr = None
    if plain:
        block = sub if len(plain) == p else sub.iloc[:, plain]
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
        if len(plain) == len(num_idx):
            num[:] = arr
        else:
            pos_of = {j: i for i, j in enumerate(num_idx)}
            num[:, [pos_of[j] for j in plain]] = arr
    for i, j in enumerate(num_idx):
        if kinds[j] == "datetime":
            num[:, i] = _datetime_days(sub.iloc[:, j])

    # missing values on the full data: NaN of plain numpy numeric columns is read from
    # the converted array when it covers all rows; isna() for every other column
    fast_cols: list[int] = []
    if rows is None and arr is not None:
        fast_cols = [i for i, j in enumerate(plain) if isinstance(dtypes[j], np.dtype)]
    if len(fast_cols) == p:  # every column is plain numpy numeric: one pass
        assert arr is not None
        na = np.isnan(arr)
    elif not fast_cols:
        na = frame.isna().to_numpy()
    else:
        na = np.zeros((n, p), dtype=bool)
        fast = {plain[i] for i in fast_cols}
        if fast_cols:
            na[:, [plain[i] for i in fast_cols]] = np.isnan(arr[:, fast_cols])  # type: ignore[index]
        slow = [j for j in range(p) if j not in fast]
        if slow:
            block = frame if len(slow) == p else frame.iloc[:, slow]
            na[:, slow] = block.isna().to_numpy()
    na_cols: np.ndarray = na.sum(axis=0).astype(np.int64)
    row_missing = np.asarray(na.any(axis=1))
    del na, arr
    if num.size:
        inf = np.isinf(num)
        if inf.any():
            num[inf] = np.nan

    cat = np.empty((m, len(cat_idx)), dtype=np.int32, order="F")
    levels = np.zeros(len(cat_idx), dtype=np.int64)
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
    return kinds, num, cat, levels, na_cols, row_missing


def prepare(
    X: object,
    y: object = None,
    *,
    task: str | None = None,
    random_state: int = 0,
    max_rows: int = MAX_ROWS,
) -> PreparedData:
    """Validate ``X``/``y`` and build the :class:`PreparedData` the groups use.

    ``task`` None (or ``"auto"``, the same) infers the task from ``y``."""
    if task is None:
        task = "auto"
    if task not in ("auto", "classification", "regression"):
        raise MetaFeatureError(
            f"The 'task' parameter of extract must be one of 'classification', "
            f"'regression' or None (infer it; 'auto' is the same). Got {task!r} instead."
        )
    if not isinstance(random_state, (int, np.integer)) or isinstance(random_state, bool):
        raise MetaFeatureError(
            f"The 'random_state' parameter of extract must be an int. Got {random_state!r} instead."
        )
    frame = _as_frame(X)
    n = frame.shape[0]
    columns = (
        tuple(f"x{i}" for i in range(frame.shape[1]))
        if isinstance(frame, np.ndarray)
        else tuple(map(str, frame.columns.tolist()))
    )

    # ---- target -----------------------------------------------------------------
    target = _prepare_target(y, n, task)
    resolved, y_mask = target.task, target.mask
    classes, class_counts = target.classes, target.class_counts
    y_codes_full, y_full, autocorr = target.codes, target.values, target.autocorrelation
    target_missing = 0 if y_mask is None else int(y_mask.size - np.count_nonzero(y_mask))

    # ---- subsample rows (depends on the target only) --------------------------------
    keep = np.arange(n) if y_mask is None else np.flatnonzero(y_mask)
    strat = None if y_codes_full is None else y_codes_full[keep]
    pos = _subsample(keep.size, max_rows, strat, random_state)
    rows = keep if pos is None else keep[pos]
    subsampled = pos is not None or keep.size < n
    if subsampled:
        logger.debug("metafeatures: using %d of %d rows", rows.size, n)

    if isinstance(frame, np.ndarray):
        facts = _array_facts(frame, rows if subsampled else None)
    else:
        facts = _frame_facts(frame, rows if subsampled else None)
    kinds, num, cat, levels, na_cols, row_missing = facts
    is_numeric = np.array([k in ("numeric", "datetime") for k in kinds], dtype=bool)
    is_datetime = np.array([k == "datetime" for k in kinds], dtype=bool)
    is_string = np.array([k == "text" for k in kinds], dtype=bool)
    missing_per_column = na_cols
    rows_with_missing = int(row_missing.sum())
    rows_with_any_missing = (
        rows_with_missing if y_mask is None else int((row_missing | ~y_mask).sum())
    )
    del row_missing

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
