"""``autometa kb ...``: the knowledge-base commands.

Each module in :data:`_KB_MODULES` has ``register(kb_subparsers) -> None`` adding its
subcommands (``info``, ``build``, ``import-openml``, ``import-runs``, ...).
"""

from __future__ import annotations

import argparse
import importlib

_KB_MODULES = (
    "autometa.cli._kb_info",
    "autometa.cli._kb_build",
    "autometa.cli._kb_import",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    kb = subparsers.add_parser("kb", help="build, import and inspect knowledge bases")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND")
    kb.set_defaults(func=lambda args: (kb.print_help(), 2)[1])
    for name in _KB_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real import error inside the module
                raise
            continue  # that part is not written yet
        module.register(kb_sub)
