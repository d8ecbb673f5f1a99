"""Errors, warnings, the group interface and the time budget shared by all groups."""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from metafeatures._data import PreparedData

__all__ = [
    "Budget",
    "GroupResult",
    "MetaFeatureError",
    "MetaFeatureGroup",
    "MetaFeatureWarning",
]

TASKS = ("classification", "regression", "none")


class MetaFeatureError(ValueError):
    """Invalid input to :func:`metafeatures.extract` (derives from ``ValueError``)."""


class MetaFeatureWarning(UserWarning):
    """Degenerate but legal data: some meta-features are NaN (see the message)."""


@dataclass
class Budget:
    """A per-group time budget in seconds (``None``: unlimited).

    Groups call :meth:`exhausted` between expensive steps and skip the remaining
    steps once it returns True. A step that has started is always finished, so a
    group can overrun its budget by the duration of one step.
    """

    seconds: float | None = None
    start: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def exhausted(self) -> bool:
        return self.seconds is not None and self.elapsed() >= self.seconds


@dataclass
class GroupResult:
    """What a group returns: values by name, skipped names with reasons, and notes.

    ``notes`` are messages about degenerate data; they are emitted as one
    :class:`MetaFeatureWarning` per group by the extraction driver.
    """

    values: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def skip(self, names: list[str] | tuple[str, ...], reason: str) -> None:
        """Set ``names`` to NaN and record ``reason`` for each."""
        for name in names:
            self.values[name] = math.nan
            self.skipped[name] = reason


class MetaFeatureGroup(ABC):
    """A group of meta-features: one subclass per module, registered in ``_registry``.

    Subclasses define ``name``, ``description``, :meth:`features` (the stable names
    and their descriptions for a task) and :meth:`compute`.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    prefixed: ClassVar[bool] = True

    @abstractmethod
    def features(self, task: str) -> dict[str, str]:
        """Stable names (in output order) mapped to one-line descriptions."""

    @abstractmethod
    def compute(self, data: PreparedData, budget: Budget) -> GroupResult:
        """Compute the group's values on prepared data."""
