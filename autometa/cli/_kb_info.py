"""``autometa kb info [KB_PATH]``: the summary and build info of a knowledge base."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path
from typing import Any


def register(kb_subparsers: argparse._SubParsersAction) -> None:
    info = kb_subparsers.add_parser(
        "info",
        help="summarize a knowledge base (the embedded default if no path is given)",
        description="Print the counts of a knowledge base (datasets per task and source, "
        "configurations per learner, runs per status and source, density, meta-features, "
        "size on disk) and its build info (command, versions, dates, time taken).",
    )
    info.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=None,
        metavar="KB_PATH",
        help="knowledge-base directory (default: the one shipped with autometa)",
    )
    info.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="text: aligned and shortened for reading; json: every field in full (default: text)",
    )
    info.set_defaults(func=_info)


#: Lists longer than this are shortened in the text output (json shows them in full).
MAX_ITEMS = 8
#: Text lines are wrapped at this width.
WIDTH = 100


def _shorten_items(items: list[str]) -> str:
    if len(items) <= MAX_ITEMS:
        return ", ".join(items)
    return ", ".join(items[: MAX_ITEMS - 2]) + f", ... ({len(items) - MAX_ITEMS + 2} more)"


def _shorten_text(text: str) -> str:
    """A long comma-separated word (e.g. ``--names a,b,c,...``) shortened to its first
    items and a count."""
    words = []
    for word in text.split(" "):
        parts = word.split(",")
        if len(parts) > MAX_ITEMS:
            word = ",".join(parts[:3]) + f",...({len(parts) - 3} more)"
        words.append(word)
    return " ".join(words)


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return _shorten_text(str(value))


def _pretty(value: Any, indent: int) -> list[str]:
    """Nested build info as indented ``key  value`` lines (dicts), ``- item`` lines (lists
    of dicts) and shortened comma lists (lists of scalars)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        if not value:
            return [pad + "-"]
        width = min(max(len(str(k)) for k in value), 22)
        for key, item in value.items():
            label = f"{pad}{str(key):<{width}}  "
            if isinstance(item, dict) or (
                isinstance(item, list) and any(isinstance(x, (dict, list)) for x in item)
            ):
                lines.append(label.rstrip() if item else label + "-")
                if item:
                    lines += _pretty(item, indent + 2)
            else:
                text = (
                    _shorten_items([_scalar(x) for x in item])
                    if isinstance(item, list)
                    else (_scalar(item))
                )
                lines += textwrap.wrap(
                    label + (text or "-"),
                    width=WIDTH,
                    subsequent_indent=" " * len(label),
                    break_on_hyphens=False,
                ) or [label]
    elif isinstance(value, list):
        for i, item in enumerate(value):
            lines.append(f"{pad}- [{i + 1}]")
            lines += _pretty(item, indent + 2)
    else:
        lines.append(pad + _scalar(value))
    return lines


def format_summary(summary: Any) -> str:
    """What ``autometa kb info`` prints: aligned counts, then the build info, nested
    values indented and long lists shortened."""

    def counts(d: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v}" for k, v in d.items()) or "-"

    rows: list[tuple[str, str]] = []
    if summary.path is not None:
        size = "" if summary.size_on_disk is None else f" ({summary.size_text})"
        rows.append(("knowledge base", f"{summary.path}{size}"))
    if summary.saved:
        versions = ", ".join(
            f"{k} {v}" for k, v in dict(summary.saved.get("saved_with") or {}).items()
        )
        rows.append(("saved", f"{summary.saved.get('saved_at', '?')} ({versions})"))
    rows += [
        ("datasets", f"{summary.n_datasets}: {counts(summary.datasets_per_task)}"),
        ("  by source", counts(summary.datasets_per_source)),
        ("configurations", str(summary.n_configurations)),
    ]
    learners = summary.configurations_per_learner
    rows += [
        ("runs", f"{summary.n_runs}: {counts(summary.runs_per_status)}"),
        ("  by source", counts(summary.runs_per_source)),
        ("density", ", ".join(f"{k} {v:.1%}" for k, v in summary.density.items()) or "-"),
        *summary.matrix_rows(),
        ("meta-features", str(summary.n_metafeatures)),
    ]
    width = max(len(label) for label, _ in rows) + 2
    lines = []
    for label, text in rows:
        lines += textwrap.wrap(
            f"{label:<{width}} {text}",
            width=WIDTH,
            subsequent_indent=" " * (width + 1),
            break_on_hyphens=False,
            break_long_words=False,
        )
        if label == "configurations" and learners:
            lw = max(len(k) for k in learners)
            lines += [f"  {k:<{lw}}  {v}" for k, v in learners.items()]
    build = summary.build
    if build:
        lines.append("build")
        lines += _pretty(build, 2)
    return "\n".join(lines)


def _info(args: argparse.Namespace) -> int:
    from autometa.kb import KnowledgeBase

    kb = KnowledgeBase.default() if args.path is None else KnowledgeBase.load(args.path)
    summary = kb.summary()
    if args.format == "json":
        print(json.dumps(summary.to_dict(), indent=2, default=str))
    else:
        if args.path is None:
            print("(the default knowledge base shipped with autometa)")
        print(format_summary(summary))
    return 0
