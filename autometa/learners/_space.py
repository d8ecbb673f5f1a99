"""Hyperparameters and their search spaces."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from autometa._exceptions import ParameterError

__all__ = ["Hyperparameter", "float_param", "int_param", "categorical_param"]

Kind = Literal["float", "int", "categorical"]


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter of a learner and its search space.

    Parameters
    ----------
    name : str
        The scikit-learn parameter name (of the final estimator of the pipeline).
    kind : {"float", "int", "categorical"}
    default : object
        The scikit-learn default. For numeric parameters it may be a special, non-numeric
        value listed in ``specials`` (e.g. ``gamma="scale"`` of SVC).
    low, high : float, optional
        Bounds of numeric parameters (inclusive).
    log : bool
        Whether the numeric range is searched on a log scale.
    choices : tuple
        Values of a categorical parameter (None, bool, int, float or str, as Optuna allows).
    specials : tuple
        Non-numeric values a numeric parameter may take besides its range (only the
        default, in practice). They are never sampled; they are encoded as indicators.
    to_sklearn : callable, optional
        Converts the stored value to what scikit-learn expects (e.g. a width ``100`` to
        ``hidden_layer_sizes=(100,)``). Stored values stay JSON- and Optuna-friendly.
    aliases : tuple of (old, new) pairs
        Retired values still accepted, and stored as their replacement (e.g. scikit-learn's
        deprecated ``criterion="friedman_mse"``, equivalent to ``"squared_error"``), so that
        knowledge bases written before the retirement keep loading. Never sampled.
    """

    name: str
    kind: Kind
    default: Any
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    specials: tuple[Any, ...] = ()
    to_sklearn: Callable[[Any], Any] | None = field(default=None, compare=False)
    aliases: tuple[tuple[Any, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "categorical":
            if not self.choices:
                raise ValueError(f"categorical hyperparameter {self.name!r} needs choices")
        elif self.low is None or self.high is None or not self.low < self.high:
            raise ValueError(f"numeric hyperparameter {self.name!r} needs low < high")
        elif self.log and self.low <= 0:
            raise ValueError(f"log-scale hyperparameter {self.name!r} needs low > 0")

    # -- sampling ---------------------------------------------------------------
    def from_unit(self, u: float) -> Any:
        """Map ``u`` in [0, 1) onto the space (uniform in log space where ``log``)."""
        u = min(max(float(u), 0.0), 1.0 - 1e-12)
        if self.kind == "categorical":
            return self.choices[int(u * len(self.choices))]
        assert self.low is not None and self.high is not None
        if self.kind == "int":
            lo, hi = self.low, self.high + 1  # each integer gets an equal share
            value = (
                math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
                if self.log
                else lo + u * (hi - lo)
            )
            return int(min(max(math.floor(value), self.low), self.high))
        if self.log:
            value = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            value = self.low + u * (self.high - self.low)
        return _round(value)

    def to_unit(self, value: Any) -> float:
        """Position of a numeric value in [0, 1] (log scale where ``log``); NaN for specials."""
        if self.kind == "categorical" or value in self.specials or value is None:
            return math.nan
        assert self.low is not None and self.high is not None
        v = min(max(float(value), self.low), self.high)
        if self.log:
            return (math.log(v) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (v - self.low) / (self.high - self.low)

    # -- validation ---------------------------------------------------------------
    def _unalias(self, value: Any) -> Any:
        for old, new in self.aliases:
            if _same(value, old):
                return new
        return value

    def contains(self, value: Any) -> bool:
        value = self._unalias(value)
        if self.kind == "categorical":
            return any(_same(value, c) for c in self.choices)
        if any(_same(value, s) for s in self.specials):
            return True
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            return False
        assert self.low is not None and self.high is not None
        if self.kind == "int" and float(value) != int(value):
            return False
        return self.low <= float(value) <= self.high

    def canonical(self, value: Any) -> Any:
        """The value as stored (int for int parameters, float for float ones, the matching choice)."""
        value = self._unalias(value)
        if self.kind == "categorical":
            for c in self.choices:
                if _same(value, c):
                    return c
            return value
        if any(_same(value, s) for s in self.specials):
            return value
        return int(value) if self.kind == "int" else _round(float(value))

    def sklearn_value(self, value: Any) -> Any:
        return self.to_sklearn(value) if self.to_sklearn is not None else value

    # -- encoding for meta-models ---------------------------------------------------
    def encoded_names(self) -> list[str]:
        if self.kind == "categorical":
            return [f"{self.name}={c}" for c in self.choices]
        return [self.name] + [f"{self.name}={s}" for s in self.specials]

    def encode(self, value: Any) -> list[float]:
        """Numeric: [unit position, one indicator per special]; categorical: one-hot."""
        if self.kind == "categorical":
            return [1.0 if _same(value, c) else 0.0 for c in self.choices]
        is_special = [1.0 if _same(value, s) else 0.0 for s in self.specials]
        unit = self.to_unit(value)
        return [0.5 if math.isnan(unit) else unit, *is_special]

    # -- Optuna ---------------------------------------------------------------------
    def to_optuna(self) -> Any:
        """The matching ``optuna.distributions`` object (specials are not part of it)."""
        from optuna import distributions as d

        if self.kind == "categorical":
            return d.CategoricalDistribution(list(self.choices))
        if self.kind == "int":
            return d.IntDistribution(int(self.low), int(self.high), log=self.log)  # type: ignore[arg-type]
        return d.FloatDistribution(float(self.low), float(self.high), log=self.log)  # type: ignore[arg-type]


def _round(value: float) -> float:
    """Four significant digits: readable, stable configuration ids, no loss that matters."""
    return float(f"{value:.4g}")


def _same(a: Any, b: Any) -> bool:
    """Equality that does not confuse True with 1 or None with NaN."""
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return a == b


def float_param(
    name: str,
    low: float,
    high: float,
    default: Any,
    *,
    log: bool = False,
    specials: Sequence[Any] = (),
) -> Hyperparameter:
    return Hyperparameter(name, "float", default, low, high, log, specials=tuple(specials))


def int_param(
    name: str,
    low: int,
    high: int,
    default: Any,
    *,
    log: bool = False,
    to_sklearn: Callable[[Any], Any] | None = None,
) -> Hyperparameter:
    return Hyperparameter(name, "int", default, low, high, log, to_sklearn=to_sklearn)


def categorical_param(
    name: str, choices: Sequence[Any], default: Any, *, aliases: Mapping[Any, Any] | None = None
) -> Hyperparameter:
    if not any(_same(default, c) for c in choices):
        raise ValueError(f"default {default!r} of {name!r} is not among its choices")
    return Hyperparameter(
        name, "categorical", default, choices=tuple(choices), aliases=tuple((aliases or {}).items())
    )


def check_params(
    learner_name: str, space: Sequence[Hyperparameter], params: dict[str, Any]
) -> None:
    """Raise a clear error for unknown names or out-of-space values."""
    known = {hp.name: hp for hp in space}
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ParameterError(
            f"Unknown hyperparameter(s) {unknown} for learner '{learner_name}'. "
            f"Its hyperparameters are {sorted(known)}."
        )
    for name, value in params.items():
        hp = known[name]
        if not hp.contains(value):
            allowed = (
                f"one of {list(hp.choices)}"
                if hp.kind == "categorical"
                else f"a{'n' if hp.kind == 'int' else ''} {hp.kind} in [{hp.low}, {hp.high}]"
                + (f" or one of {list(hp.specials)}" if hp.specials else "")
            )
            raise ParameterError(
                f"The '{name}' hyperparameter of {learner_name} must be {allowed}. "
                f"Got {value!r} instead."
            )
