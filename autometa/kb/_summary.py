"""What ``autometa kb info`` shows: :class:`KnowledgeBaseSummary`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from autometa.kb._disk import RESERVED_KEYS

__all__ = ["KnowledgeBaseSummary", "human_size"]


@dataclass(frozen=True)
class KnowledgeBaseSummary:
    """Counts describing a knowledge base; ``str()`` is what ``autometa kb info`` prints.

    Attributes
    ----------
    n_datasets, n_configurations, n_runs, n_metafeatures : int
    datasets_per_task, datasets_per_source : dict of str to int
    configurations_per_learner : dict of str to int
    runs_per_status, runs_per_source : dict of str to int
    density : dict of str to float
        Per task, the share of the cells of its dense matrix (its datasets but a second
        source's, see :meth:`KnowledgeBase.dense_datasets`, x its configurations) with at
        least one ``ok`` run at the dataset's reference size: 1.0 is a dense knowledge base.
    dense_shape : dict of str to (int, int)
        Per task, the datasets and pool configurations of its dense matrix
        (:meth:`KnowledgeBase.dense`): what the meta-models are fitted on.
    side_sources : dict of str to dict
        Per second source present (``lcdb``, see :data:`SIDE_SOURCES`): its ``datasets``,
        ``configurations``, ``runs``, ``tasks``, ``n_train_rows`` (smallest and largest) and
        whether it is ``kept_apart`` from the dense matrix (False when a task has no other
        source).
    path : str or None
        Where the knowledge base was loaded from.
    size_on_disk : int or None
        Bytes of its files, when loaded from disk.
    saved : dict
        When loaded from disk: ``saved_at`` (ISO date) and ``saved_with`` (versions).
    manifest : dict
        The build info (command, versions, dates, time taken, ...).
    """

    n_datasets: int
    n_configurations: int
    n_runs: int
    n_metafeatures: int
    datasets_per_task: dict[str, int]
    datasets_per_source: dict[str, int]
    configurations_per_learner: dict[str, int]
    runs_per_status: dict[str, int]
    runs_per_source: dict[str, int]
    density: dict[str, float]
    dense_shape: dict[str, tuple[int, int]] = field(default_factory=dict)
    side_sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: str | None = None
    size_on_disk: int | None = None
    saved: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def build(self) -> dict[str, Any]:
        """The build info: the manifest without the keys the store writes."""
        return {k: v for k, v in self.manifest.items() if k not in RESERVED_KEYS}

    @property
    def size_text(self) -> str:
        """``size_on_disk`` for people (``"1.2 MB"``), or ``""`` when unknown."""
        return "" if self.size_on_disk is None else human_size(self.size_on_disk)

    def matrix_rows(self) -> list[tuple[str, str]]:
        """``(label, text)`` lines on the dense matrix and the second sources kept apart."""
        rows = []
        if self.dense_shape:
            shapes = [
                f"{t} {n_d} datasets x {n_c} configurations"
                for t, (n_d, n_c) in self.dense_shape.items()
            ]
            rows.append(("dense matrix", ", ".join(shapes)))
        for source, info in self.side_sources.items():
            sizes = info.get("n_train_rows")
            at = f" at {sizes[0]:,} to {sizes[1]:,} training rows" if sizes else ""
            where = (
                "kept apart from the dense matrix"
                if info.get("kept_apart")
                else "no other source: the dense matrix"
            )
            rows.append(
                (
                    "second source",
                    f"{source}: {info['datasets']} {'/'.join(info.get('tasks', []))} datasets, "
                    f"{info['configurations']} configurations, {info['runs']} runs{at}; {where}",
                )
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable dict of every field."""
        return {
            "n_datasets": self.n_datasets,
            "n_configurations": self.n_configurations,
            "n_runs": self.n_runs,
            "n_metafeatures": self.n_metafeatures,
            "datasets_per_task": dict(self.datasets_per_task),
            "datasets_per_source": dict(self.datasets_per_source),
            "configurations_per_learner": dict(self.configurations_per_learner),
            "runs_per_status": dict(self.runs_per_status),
            "runs_per_source": dict(self.runs_per_source),
            "density": dict(self.density),
            "dense_shape": {k: list(v) for k, v in self.dense_shape.items()},
            "side_sources": json.loads(json.dumps(self.side_sources)),
            "path": self.path,
            "size_on_disk": self.size_on_disk,
            "saved": dict(self.saved),
            "manifest": dict(self.manifest),
        }

    def __str__(self) -> str:
        def counts(d: Mapping[str, Any]) -> str:
            return ", ".join(f"{k} {v}" for k, v in d.items()) or "-"

        lines = []
        if self.path is not None:
            size = "" if self.size_on_disk is None else f" ({human_size(self.size_on_disk)})"
            lines.append(f"knowledge base   {self.path}{size}")
        if self.saved:
            versions = ", ".join(
                f"{k} {v}" for k, v in dict(self.saved.get("saved_with") or {}).items()
            )
            lines.append(f"saved            {self.saved.get('saved_at', '?')} ({versions})")
        lines += [
            f"datasets         {self.n_datasets}: {counts(self.datasets_per_task)}",
            f"  by source      {counts(self.datasets_per_source)}",
            f"configurations   {self.n_configurations}",
        ]
        lines += [f"  {k:<28} {v}" for k, v in self.configurations_per_learner.items()]
        lines += [
            f"runs             {self.n_runs}: {counts(self.runs_per_status)}",
            f"  by source      {counts(self.runs_per_source)}",
            "density          "
            + (", ".join(f"{k} {v:.1%}" for k, v in self.density.items()) or "-"),
        ]
        lines += [f"{label:<16} {text}" for label, text in self.matrix_rows()]
        lines.append(f"meta-features    {self.n_metafeatures}")
        build = {k: v for k, v in self.manifest.items() if k not in RESERVED_KEYS}
        if build:
            lines.append("build")
            for key, value in build.items():
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                lines.append(f"  {key:<14} {text}")
        return "\n".join(lines)


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover
