"""The package's INFO log copied into a file for as long as a block runs."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

__all__ = ["log_to_file"]


@contextlib.contextmanager
def log_to_file(path: Path, *, delay: bool = False) -> Iterator[None]:
    """Add an INFO file handler on the ``autometa`` logger (lowering the logger's level to
    INFO if needed) and restore the logger afterwards. ``delay``: open the file at the first
    record instead of at once."""
    handler = logging.FileHandler(path, delay=delay)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    pkg_logger = logging.getLogger("autometa")
    old_level = pkg_logger.level
    pkg_logger.addHandler(handler)
    if pkg_logger.getEffectiveLevel() > logging.INFO:
        pkg_logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        pkg_logger.removeHandler(handler)
        pkg_logger.setLevel(old_level)
        handler.close()
