"""The one input-validation path of autometa's entry points.

``MetaClassifier``/``MetaRegressor`` and the zero-shot drop-ins (``fit``/``predict``),
:func:`autometa.recommend`, :func:`autometa.optuna.warm_start`,
:class:`autometa.optuna.MetaSampler` and the CLI check their data here, so that they
accept the same inputs and reject the rest with the same :class:`~autometa.DataError`,
which names the problem and the fix. (``metafeatures.extract`` cannot import autometa;
it checks the same structural problems with the same wording, see
``metafeatures/_data.py``.)

Features ``X``
--------------
Accepted: a DataFrame, or a 2-dimensional array-like (numpy array, list of rows) with
numeric, boolean, string, categorical, date and missing values.

Refused, with a :class:`~autometa.DataError`:

- ``None``, a scalar, a 1-dimensional array or Series (a reshape is suggested), more than
  2 dimensions, or no rows or no columns;
- a scipy sparse matrix (convert it with ``X.toarray()``);
- duplicate column names;
- cells holding lists, tuples, dicts, sets or arrays;
- a column mixing strings with numbers or other objects;
- infinite values (NaN is fine: it means missing).

Column names of mixed types (``["a", 1]``) are converted to strings (on a copy; the
caller's object is never changed).

Target ``y``
------------
Accepted: a Series, a 1-column DataFrame, a 1-d array-like, or an array of shape
``(n, 1)`` (flattened). Refused: ``None`` where a target is needed, more than one column,
a length other than the number of rows of ``X``, cells holding lists, values mixing
strings and numbers, a target that is all missing, infinite values, a non-numeric target
for regression, and missing values where the entry point fits a model (the estimators;
the entry points that only compute meta-features ignore rows whose target is missing).

Parameters
----------
Parameters are checked the scikit-learn way: each public class declares
``_parameter_constraints`` (a dict ``name -> list of constraints``, as in scikit-learn's
estimators) and calls :func:`validate_params` at the start of ``fit``; functions pass their
own dict. The constraints are scikit-learn's (``"cv_object"``, ``callable``, ``None``, types,
:class:`StrOptions`, ...) plus two of ours: :class:`Interval`, which refuses booleans and
reads "an int >= 1" / "a number > 0", and :class:`NamesAmong`, a name or a list of names
from a known set. A value that satisfies none of them is a
:class:`~autometa.ParameterError` in scikit-learn's wording: "The 'top_k' parameter of
MetaClassifier must be an int >= 1. Got 0 instead."
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

# scikit-learn's parameter validation lives in a private module; this is the one place
# autometa imports it from.
from sklearn.utils._param_validation import Interval as _SkInterval
from sklearn.utils._param_validation import (
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)

from autometa._exceptions import DataError, ParameterError

__all__ = [
    "Interval",
    "NamesAmong",
    "StrOptions",
    "check_data",
    "check_positive_int",
    "check_features",
    "check_target",
    "validate_params",
]


class Interval(_SkInterval):
    """scikit-learn's :class:`~sklearn.utils._param_validation.Interval` for user-facing
    parameters: booleans are not numbers, and the message reads "an int >= 1",
    "a number > 0", "a number in [0, 1]"."""

    def is_satisfied_by(self, val: Any) -> bool:
        if isinstance(val, (bool, np.bool_)):
            return False
        return bool(super().is_satisfied_by(val))

    def __str__(self) -> str:
        kind = "an int" if self.type is Integral else "a number"
        low = None if self.left is None else (">=" if self.closed in ("left", "both") else ">")
        high = None if self.right is None else ("<=" if self.closed in ("right", "both") else "<")
        if low and high:
            lb = "[" if low == ">=" else "("
            rb = "]" if high == "<=" else ")"
            return f"{kind} in {lb}{self.left}, {self.right}{rb}"
        if low:
            return f"{kind} {low} {self.left}"
        if high:
            return f"{kind} {high} {self.right}"
        return kind


class NamesAmong(Options):
    """A name, or a non-empty list or tuple of names, each one of ``names`` (``what``
    says what they are, e.g. "classification learner")."""

    def __init__(self, names: Iterable[str], what: str = "name") -> None:
        super().__init__(str, set(names))
        self.what = what

    def is_satisfied_by(self, val: Any) -> bool:
        if isinstance(val, str):
            return val in self.options
        if not isinstance(val, (list, tuple)) or not val:
            return False
        return all(isinstance(v, str) and v in self.options for v in val)

    def __str__(self) -> str:
        known = ", ".join(repr(n) for n in sorted(self.options))
        return f"a {self.what} or a non-empty list of {self.what}s among {{{known}}}"


def validate_params(constraints: Mapping[str, Any], params: Mapping[str, Any], owner: str) -> None:
    """Check ``params`` against ``constraints`` (scikit-learn's
    ``validate_parameter_constraints``); a :class:`~autometa.ParameterError` names the
    parameter, what it must be and what it got.

    Examples
    --------
    >>> from numbers import Integral
    >>> from autometa._validation import Interval, validate_params
    >>> validate_params({"k": [Interval(Integral, 1, None, closed="left")]}, {"k": 0}, "f")
    Traceback (most recent call last):
    ...
    autometa._exceptions.ParameterError: The 'k' parameter of f must be an int >= 1. Got 0 instead.
    """
    try:
        validate_parameter_constraints(dict(constraints), dict(params), caller_name=owner)
    except InvalidParameterError as exc:
        raise ParameterError(str(exc)) from None


#: Any integer seed, or None (scikit-learn's "random_state" also takes RandomState objects,
#: which autometa's seeds do not).
SEED: list[Any] = [Interval(Integral, None, None, closed="neither"), None]
POSITIVE_INT: list[Any] = [Interval(Integral, 1, None, closed="left")]
POSITIVE_NUMBER_OR_NONE: list[Any] = [Interval(Real, 0, None, closed="neither"), None]


def check_positive_int(value: Any, name: str, owner: str) -> int:
    """``value`` as an int >= 1, else a :class:`~autometa.ParameterError` (one parameter
    of a function; classes declare ``_parameter_constraints``)."""
    validate_params({name: POSITIVE_INT}, {name: value}, owner)
    return int(value)


def check_nonnegative_float(value: Any, name: str, owner: str) -> float:
    """``value`` as a float if it is a finite real number >= 0; else a ParameterError."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not np.isfinite(value)
        or value < 0
    ):
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be a float >= 0. Got {value!r} instead."
        )
    return float(value)


_CONTAINERS = (list, tuple, dict, set, frozenset, np.ndarray, pd.Series, pd.DataFrame)


def _is_sparse(X: Any) -> bool:
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - scipy ships with scikit-learn
        return False
    return bool(sp.issparse(X))


def _cell_problem(values: Any, what: str) -> str | None:
    """A sentence describing why the object cells ``values`` cannot be used, or None."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind not in ("mixed", "mixed-integer", "mixed-integer-float"):
        return None
    has_str = has_other = False
    example_str: Any = None
    example_other: Any = None
    for v in values:
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
            continue
        if isinstance(v, _CONTAINERS):
            return (
                f"{what} holds {type(v).__name__} values (e.g. {_short(v)}); autometa needs "
                "one scalar per cell (a number, string, boolean or date). Expand or drop "
                "that column"
            )
        if isinstance(v, (str, bytes)):
            has_str, example_str = True, example_str if has_str else v
        else:
            has_other, example_other = True, example_other if has_other else v
    if has_str and has_other:
        return (
            f"{what} mixes strings with other values (e.g. {example_str!r} and "
            f"{example_other!r}). Convert it to one type, e.g. .astype(str) for categories or "
            "pd.to_numeric(..., errors='coerce') for numbers"
        )
    return None


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _name_list(names: Any, limit: int = 5) -> str:
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (", ..." if len(names) > limit else "")


def _check_frame(X: pd.DataFrame, owner: str, name: str) -> pd.DataFrame:
    types = {type(c) for c in X.columns}
    if len(types) > 1:
        # Mixed int/str names: scikit-learn refuses them; strings are what users mean.
        X = X.set_axis([str(c) for c in X.columns], axis=1)
    duplicated = X.columns[X.columns.duplicated()].unique()
    if len(duplicated):
        raise DataError(
            f"The '{name}' parameter of {owner} has duplicate column names: "
            f"{_name_list(duplicated)}. Give every column a unique name (e.g. "
            "X.columns = [...] or X.loc[:, ~X.columns.duplicated()])."
        )
    for col in X.columns:
        s = X[col]
        if s.dtype == object:
            problem = _cell_problem(s.to_numpy(), f"Column {col!r} of '{name}'")
            if problem:
                raise DataError(f"{problem} before passing it to {owner}.")
        elif pd.api.types.is_float_dtype(s.dtype) and not isinstance(s.dtype, pd.SparseDtype):
            values = s.to_numpy(dtype=np.float64, na_value=np.nan)
            if np.isinf(values).any():
                _raise_inf(owner, name, f"column {col!r}")
        elif pd.api.types.is_complex_dtype(s.dtype):
            raise DataError(
                f"Complex data not supported: column {col!r} of '{name}' holds complex numbers, "
                f"which {owner} cannot use. "
                "Split it into real and imaginary parts (or its absolute value)."
            )
    return X


def _raise_inf(owner: str, name: str, where: str) -> None:
    raise DataError(
        f"The '{name}' parameter of {owner} contains infinite values (inf) in {where}. "
        "Replace them with NaN (missing) or with finite values, e.g. "
        "X.replace([np.inf, -np.inf], np.nan)."
    )


def _check_shape(n: int, p: int, owner: str, name: str) -> None:
    if n < 1 or p < 1:
        raise DataError(
            f"The '{name}' parameter of {owner} holds no data: found array with {n} "
            f"sample(s) and {p} feature(s) (shape=({n}, {p})) while a minimum of 1 is "
            "required. Pass a table with at least 1 row and 1 column."
        )


def check_features(X: Any, owner: str, *, name: str = "X") -> Any:
    """``X`` checked (see the module docstring): the DataFrame (a renamed copy when its
    column names mix types) or a 2-dimensional numpy array. Raises DataError."""
    if X is None:
        raise DataError(
            f"The '{name}' parameter of {owner} must be a DataFrame or a 2-dimensional "
            "array-like. Got None instead; pass the features."
        )
    if _is_sparse(X):
        raise DataError(
            f"The '{name}' parameter of {owner} must be dense. Got a scipy sparse matrix of "
            f"shape {X.shape} instead: sparse input is not supported. Convert it with "
            "X.toarray() (or pd.DataFrame.sparse.from_spmatrix(X))."
        )
    if isinstance(X, pd.DataFrame):
        _check_shape(X.shape[0], X.shape[1], owner, name)
        return _check_frame(X, owner, name)
    if isinstance(X, pd.Series):
        raise DataError(
            f"The '{name}' parameter of {owner} must be 2-dimensional. Got a pandas Series "
            f"(1-dimensional, {len(X)} values) instead; pass X.to_frame() for a single feature."
        )
    if isinstance(X, (str, bytes)):
        raise DataError(
            f"The '{name}' parameter of {owner} must be a DataFrame or a 2-dimensional "
            f"array-like. Got a string ({_short(X)}) instead; read the file first, e.g. "
            "pd.read_csv(path)."
        )
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as exc:  # ragged lists and unconvertible objects
        raise DataError(
            f"The '{name}' parameter of {owner} cannot be read as a 2-dimensional table "
            f"({exc}). Pass a DataFrame or rows of equal length."
        ) from None
    if arr.ndim == 1:
        raise DataError(
            f"The '{name}' parameter of {owner} must be 2-dimensional. Got a 1-dimensional "
            f"array of shape {arr.shape} instead. Reshape your data with X.reshape(-1, 1) for a "
            "single feature or X.reshape(1, -1) for a single sample."
        )
    if arr.ndim != 2:
        raise DataError(
            f"The '{name}' parameter of {owner} must be 2-dimensional (n_samples, "
            f"n_features). Got an array with {arr.ndim} dimensions (shape {arr.shape}) "
            "instead; reshape it."
        )
    _check_shape(arr.shape[0], arr.shape[1], owner, name)
    if arr.dtype == object:
        for j in range(arr.shape[1]):
            problem = _cell_problem(arr[:, j], f"Column {j} of '{name}'")
            if problem:
                raise DataError(f"{problem} before passing it to {owner}.")
    elif arr.dtype.kind == "c":
        raise DataError(
            f"Complex data not supported: the '{name}' parameter of {owner} holds complex "
            "numbers. "
            "Split them into real and imaginary parts (or their absolute values)."
        )
    elif arr.dtype.kind == "f" and np.isinf(arr).any():
        cols = np.flatnonzero(np.isinf(arr).any(axis=0))
        _raise_inf(owner, name, f"column(s) {_name_list(cols.tolist())}")
    return arr if not isinstance(X, np.ndarray) else X


def check_target(
    y: Any,
    owner: str,
    *,
    n_rows: int | None = None,
    task: str | None = None,
    allow_missing: bool = True,
    name: str = "y",
) -> pd.Series:
    """``y`` checked (see the module docstring) as a 1-d Series (a new object; its index
    is kept for a Series). Raises DataError."""
    if y is None:
        raise DataError(
            f"{owner} requires y to be passed, but the target y is None. Pass the target values."
        )
    if _is_sparse(y):
        raise DataError(
            f"The '{name}' parameter of {owner} must be dense. Got a scipy sparse matrix "
            "instead: sparse targets are not supported. Convert it with y.toarray().ravel()."
        )
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise DataError(
                f"The '{name}' parameter of {owner} must be one column. Got a DataFrame with "
                f"{y.shape[1]} columns instead; pass the single target column."
            )
        s = y.iloc[:, 0]
    elif isinstance(y, pd.Series):
        s = y
    else:
        if isinstance(y, (str, bytes)):
            raise DataError(
                f"The '{name}' parameter of {owner} must be array-like. Got a string "
                f"({_short(y)}) instead; pass the target values (or target= for a column name "
                "where the entry point takes one)."
            )
        try:
            arr = np.asarray(y)
        except (TypeError, ValueError) as exc:
            raise DataError(
                f"The '{name}' parameter of {owner} cannot be read as a 1-dimensional array "
                f"({exc}). Pass one value per row."
            ) from None
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise DataError(
                f"The '{name}' parameter of {owner} must be 1-dimensional (or of shape "
                f"(n, 1)). Got an array of shape {arr.shape} instead; pass one target column."
            )
        s = pd.Series(arr)
    if n_rows is not None and len(s) != n_rows:
        raise DataError(
            f"X has {n_rows} rows but '{name}' has {len(s)} values in {owner}. Pass the "
            "target of the same rows, in the same order."
        )
    if len(s) == 0:
        raise DataError(f"The '{name}' parameter of {owner} is empty. Pass the target values.")
    if s.dtype == object:
        problem = _cell_problem(s.to_numpy(), f"The target '{name}'")
        if problem:
            raise DataError(f"{problem} before passing it to {owner}.")
    missing = s.isna().to_numpy()
    n_missing = int(missing.sum())
    if n_missing == len(s):
        raise DataError(
            f"The target '{name}' given to {owner} is all missing ({n_missing} values). Pass "
            "the target column."
        )
    if n_missing and not allow_missing:
        raise DataError(
            f"The target '{name}' given to {owner} has {n_missing} missing value(s) (None or "
            f"NaN) of {len(s)}. Drop those rows first: keep = y.notna(); X, y = X[keep], y[keep]."
        )
    if pd.api.types.is_float_dtype(s.dtype):
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isinf(values).any():
            raise DataError(
                f"The target '{name}' given to {owner} contains infinite values (inf). Drop "
                "those rows or replace them with finite values."
            )
    if task == "regression" and not (
        pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
    ):
        converted = pd.to_numeric(s, errors="coerce")
        bad = converted.isna() & s.notna()
        if bad.any():
            example = s[bad].iloc[0]
            raise DataError(
                f"{owner} needs a numeric target for regression. Got dtype {s.dtype} with "
                f"values such as {example!r} instead; convert the target to numbers, or use "
                "classification."
            )
    return s


def check_data(
    X: Any,
    y: Any,
    owner: str,
    *,
    task: str | None = None,
    allow_missing_target: bool = True,
    require_target: bool = True,
    x_name: str = "X",
) -> tuple[Any, pd.Series | None]:
    """:func:`check_features` and :func:`check_target` together (``y`` may be None when
    ``require_target`` is False)."""
    X = check_features(X, owner, name=x_name)
    if y is None and not require_target:
        return X, None
    y = check_target(
        y, owner, n_rows=int(X.shape[0]), task=task, allow_missing=allow_missing_target
    )
    return X, y
