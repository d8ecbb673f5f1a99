"""``autometa kb info [KB_PATH]``: the summary and build info of a knowledge base."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


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
    info.add_argument("--format", choices=["text", "json"], default="text")
    info.set_defaults(func=_info)


def _info(args: argparse.Namespace) -> int:
    from autometa.kb import KnowledgeBase

    kb = KnowledgeBase.default() if args.path is None else KnowledgeBase.load(args.path)
    summary = kb.summary()
    if args.format == "json":
        print(json.dumps(summary.to_dict(), indent=2, default=str))
    else:
        if args.path is None:
            print("(the default knowledge base shipped with autometa)")
        print(summary)
    return 0
