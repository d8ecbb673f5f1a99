"""Where autometa's package data is, and the one cache of what is loaded or derived from it.

Package data
------------
:func:`package_data` is the one way to find a file shipped inside the package
(``autometa/data/...``: the default knowledge base, the default meta-models), through
:mod:`importlib.resources`, so it works wherever the package is installed.

The cache
---------
Loading a knowledge base or a meta-model from disk, and deriving state from a knowledge
base (a fitted nearest-datasets index, a cost model), cost up to seconds; they are cached
in one bounded least-recently-used cache. Keys never rely on shapes or on an object staying
unchanged:

- what is loaded from disk is keyed by the resolved path *and* the size and modification
  time of every file below it (:func:`tree_stamp`): a directory rewritten in place is
  loaded again;
- what is derived from a knowledge-base object is keyed by a fingerprint of its content
  (:func:`kb_fingerprint`, a hash of every table): after ``kb.add_runs`` the state is
  derived again even when the tables keep their shapes, and two copies with the same
  content share it.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = [
    "CACHE",
    "Cache",
    "cached",
    "frames_fingerprint",
    "kb_fingerprint",
    "package_data",
    "tree_stamp",
]

T = TypeVar("T")


def package_data(*parts: str) -> Path:
    """The path of ``autometa/data/<parts...>`` in the installed package (it may not exist).

    Examples
    --------
    >>> package_data("models").name
    'models'
    """
    root = resources.files("autometa") / "data"
    return Path(str(root.joinpath(*parts)))


def tree_stamp(path: str | os.PathLike[str]) -> tuple[Any, ...]:
    """What identifies the content of a file or directory on disk, cheaply: its resolved
    path and the relative path, size and modification time (ns) of every file below it.

    A missing path has the stamp ``(path, None)``.
    """
    root = Path(path).resolve()
    if root.is_file():
        st = root.stat()
        return (str(root), ((".", st.st_size, st.st_mtime_ns),))
    if not root.is_dir():
        return (str(root), None)
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            full = Path(dirpath) / name
            try:
                st = full.stat()
            except OSError:  # removed meanwhile
                continue
            files.append((str(full.relative_to(root)), st.st_size, st.st_mtime_ns))
    return (str(root), tuple(files))


def frames_fingerprint(*frames: pd.DataFrame | pd.Series) -> str:
    """A sha256 of the content of DataFrames or Series: values, index, column names, dtypes.

    Equal content gives the same fingerprint whatever the object; any changed cell, label
    or dtype gives another.
    """
    h = hashlib.sha256()
    for frame in frames:
        h.update(repr((type(frame).__name__, frame.shape)).encode())
        if isinstance(frame, pd.DataFrame):
            h.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
        else:
            h.update(repr((str(frame.name), str(frame.dtype))).encode())
        if len(frame):
            values = pd.util.hash_pandas_object(frame, index=True).to_numpy()
            h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()


def kb_fingerprint(kb: Any) -> str:
    """The content fingerprint of a :class:`~autometa.kb.KnowledgeBase` (all its tables)."""
    return frames_fingerprint(kb.datasets, kb.configurations, kb.runs, kb.metafeatures)


class Cache:
    """A thread-safe, bounded least-recently-used mapping of keys to built values.

    Parameters
    ----------
    maxsize : int, default=32
        Entries kept; the least recently used one is dropped beyond it.
    """

    def __init__(self, maxsize: int = 32) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.RLock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value of ``key``, built by ``build()`` on a miss (an exception is not cached)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[no-any-return,unused-ignore]
        value = build()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


#: The cache of loaded knowledge bases and models and of state derived from knowledge bases.
CACHE = Cache(maxsize=32)


def cached(kind: str, key: tuple[Any, ...], build: Callable[[], T]) -> T:
    """``build()`` cached in :data:`CACHE` under ``(kind, *key)``; ``key`` must identify the
    content (use :func:`tree_stamp` or :func:`kb_fingerprint`), never only a path or shape."""
    return CACHE.get((kind, *key), build)
