"""The settings of a knowledge-base build: one frozen, validated object."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autometa._exceptions import ParameterError
from autometa.learners import Configuration, learners_for

__all__ = ["BuildSettings"]


def _check_int(name: str, value: Any, low: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        extra = " or None" if allow_none else ""
        raise ParameterError(
            f"The '{name}' parameter of build_knowledge_base must be an int >= {low}{extra}. "
            f"Got {value!r} instead."
        )


@dataclass(frozen=True)
class BuildSettings:
    """How a build runs; validated on construction (the parameters of
    :func:`~autometa.kb.build_knowledge_base` of the same names).

    Only ``configs_per_learner``, ``folds``, ``max_rows``, ``seed`` and ``time_limit`` change
    the values of runs (they go into the plan, :meth:`plan_settings`); the others say how the
    work is spread.
    """

    configs_per_learner: int = 8
    folds: int = 5
    max_rows: int | None = 2000
    n_jobs: int = 1
    backend: str | None = None
    time_limit: float | None = None
    seed: int = 0
    learners: tuple[str, ...] | None = None
    chunk_size: int = 4
    scheduler: str | None = None
    save_every: float = 60.0

    def __post_init__(self) -> None:
        _check_int("configs_per_learner", self.configs_per_learner, 1)
        _check_int("folds", self.folds, 2)
        _check_int("max_rows", self.max_rows, 10, allow_none=True)
        _check_int("n_jobs", self.n_jobs, -1)
        _check_int("chunk_size", self.chunk_size, 1)
        if self.n_jobs == 0:
            raise ParameterError(
                "The 'n_jobs' parameter of build_knowledge_base must be an int >= 1 or -1. "
                "Got 0 instead."
            )
        limit = self.time_limit
        if limit is not None and not (isinstance(limit, int | float) and limit > 0):
            raise ParameterError(
                "The 'time_limit' parameter of build_knowledge_base must be a number > 0 or "
                f"None. Got {limit!r} instead."
            )
        if self.learners is not None:
            object.__setattr__(self, "learners", tuple(self.learners))

    def plan_settings(
        self, protocol: int, configs: Sequence[Configuration], explicit_pool: bool
    ) -> dict[str, Any]:
        """The settings that change the values of runs, as recorded in the plan and manifest."""
        return {
            "protocol": protocol,
            "configs_per_learner": None if explicit_pool else self.configs_per_learner,
            "folds": self.folds,
            "max_rows": self.max_rows,
            "seed": self.seed,
            "time_limit": self.time_limit,
            "learners": sorted({c.learner for c in configs}),
        }

    def pool(self, tasks: set[str]) -> list[Configuration]:
        """Per learner (``learners``, or every learner of ``tasks``): its default
        configuration and ``configs_per_learner - 1`` Sobol samples of its space."""
        from autometa.learners import get_learner

        chosen = (
            [get_learner(n) for n in self.learners]
            if self.learners
            else [lr for task in sorted(tasks) for lr in learners_for(task)]
        )
        configs: list[Configuration] = []
        for learner in chosen:
            configs.extend(learner.pool(self.configs_per_learner, seed=self.seed))
        return configs


def chunks(items: Sequence[Any], size: int) -> Iterator[tuple[Any, ...]]:
    """``items`` in tuples of ``size`` (the last may be shorter)."""
    for start in range(0, len(items), size):
        yield tuple(items[start : start + size])
