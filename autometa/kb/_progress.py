"""Progress reports of long-running knowledge-base work, for whoever shows them.

Library code draws no bars and owns no log handlers: a build calls ``progress(event)`` with a
:class:`ProgressEvent`, and the caller (the CLI draws a tqdm bar) renders it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ProgressCallback", "ProgressEvent"]


@dataclass(frozen=True)
class ProgressEvent:
    """How far a piece of work is.

    Attributes
    ----------
    done : int
        Units finished, including those finished by an earlier, resumed session.
    total : int
        Units the work has when it is finished.
    unit : str
        What is counted: ``"run"``, ``"dataset"``.
    item : str
        What was just finished (a dataset id), or ``""`` for the first report.
    """

    done: int
    total: int
    unit: str
    item: str = ""


ProgressCallback = Callable[[ProgressEvent], None]


def check_progress(progress: Any, owner: str) -> ProgressCallback | None:
    """``progress`` as a callback or None; ``True``/``False`` (the old flag) are deprecated."""
    if progress is None or progress is False:
        return None
    if progress is True:
        warnings.warn(
            f"progress=True of {owner} is deprecated and draws nothing: library code draws "
            "no progress bars. Pass a callable progress(event: ProgressEvent), e.g. one that "
            "updates a tqdm bar, or use the command line (autometa kb build).",
            FutureWarning,
            stacklevel=3,
        )
        return None
    if not callable(progress):
        from autometa._exceptions import ParameterError

        raise ParameterError(
            f"The 'progress' parameter of {owner} must be a callable taking a ProgressEvent, "
            f"or None. Got {type(progress).__name__} instead."
        )
    return progress
