"""The ``autometa`` command line.

Each group of subcommands lives in its own module with a ``register(subparsers)``
function that adds its parsers and sets ``func`` on them; :data:`_COMMAND_MODULES`
lists them. The CLI owns logging handlers and progress bars; library code only logs.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from autometa import __version__
from autometa._exceptions import AutometaError

__all__ = ["main", "build_parser", "run"]

# One line per module of subcommands; each has ``register(subparsers) -> None``.
_COMMAND_MODULES = (
    "autometa.cli._misc",
    "autometa.cli._kb",
    "autometa.cli._bench",
    "autometa.cli._models",
    "autometa.cli._recommend",
    "autometa.cli._tune",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autometa",
        description="Meta-learning for scikit-learn: recommendations from past runs.",
    )
    parser.add_argument("--version", action="version", version=f"autometa {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except AutometaError as exc:
        print(f"autometa: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("autometa: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


#: Commands that start no worker process and hold no open storage: after their output is
#: flushed, the process may end without the interpreter's teardown (see :func:`run`).
_FAST_EXIT = (("recommend",), ("metafeatures",), ("demo-data",), ("kb", "info"))


def run() -> None:
    """The ``autometa`` executable: :func:`main` on ``sys.argv``, tuned for a short process.

    Two start-up costs are avoided without changing any output (measured by
    ``benchmarks/recommend_latency.py --startup``): the garbage collector's passes while
    scikit-learn, scipy and pandas are imported (their hundreds of thousands of objects are
    traversed again and again: collections are made rarer, and, for the short commands of
    :data:`_FAST_EXIT`, turned off: about 0.1 CPU-s of young-generation passes in a
    ``recommend``, with the same peak memory on a 100,000-row table), and, for those
    commands, the interpreter's teardown of those modules at exit (output and logs are
    flushed first). Only for the executable: :func:`main` called from Python changes
    neither.
    """
    import gc

    words = [w for w in sys.argv[1:] if not w.startswith("-")]
    fast_exit = any(tuple(words[: len(path)]) == path for path in _FAST_EXIT)
    gc.set_threshold(50_000, 50, 1_000)
    if fast_exit:
        gc.disable()
    status = main()
    if fast_exit:
        logging.shutdown()
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (BrokenPipeError, ValueError):
            pass
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":  # pragma: no cover
    run()
