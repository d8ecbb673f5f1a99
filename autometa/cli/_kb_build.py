"""``autometa kb build`` and ``autometa kb refresh-metafeatures``."""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

from autometa._exceptions import ParameterError


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Appends ``(default: X)`` to the help of every option with a default to show (not
    None, not a False flag, not a required option)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "%(default)" in text
            or action.required
            or default is None
            or default is False
            or default is argparse.SUPPRESS
        ):
            return text
        return text + " (default: %(default)s)"


def register(kb_subparsers: argparse._SubParsersAction) -> None:
    build = kb_subparsers.add_parser(
        "build",
        help="evaluate a pool of configurations on datasets with CV (resumable)",
        description="Evaluate the default configuration and quasi-random configurations of "
        "every learner on every dataset with K-fold cross-validation, in parallel, and save a "
        "knowledge base. The build's state is kept in OUT.build/; run the same command again "
        "to resume after a crash or a kill.",
        formatter_class=DefaultsHelpFormatter,
    )
    _add_dataset_arguments(build)
    build.add_argument("--out", required=True, type=Path, help="knowledge base to write")
    build.add_argument(
        "--configs-per-learner",
        type=int,
        default=8,
        metavar="N",
        help="configurations per learner: its default and N-1 quasi-random ones",
    )
    build.add_argument("--folds", type=int, default=5, metavar="K", help="cross-validation folds")
    build.add_argument(
        "--max-rows", type=int, default=2000, metavar="M", help="subsample larger datasets"
    )
    build.add_argument("--n-jobs", type=int, default=1, metavar="J", help="parallel workers")
    build.add_argument(
        "--backend",
        default=None,
        help="joblib backend: loky (when unset), multiprocessing, threading, dask, ...",
    )
    build.add_argument("--scheduler", default=None, help="Dask scheduler address (--backend dask)")
    build.add_argument(
        "--time-limit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="limit per fit (unset: none)",
    )
    build.add_argument(
        "--seed", type=int, default=0, help="seed of the configurations, folds and models"
    )
    build.add_argument(
        "--learners", default=None, help="comma-separated learner names (unset: every learner)"
    )
    build.add_argument("--chunk-size", type=int, default=4, help="configurations per task")
    build.add_argument(
        "--log", type=Path, default=None, help="log file (unset: OUT.build/build.log)"
    )
    build.add_argument(
        "--save-every", type=float, default=60.0, help="seconds between partial saves"
    )
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.set_defaults(func=_build)

    refresh = kb_subparsers.add_parser(
        "refresh-metafeatures",
        help="recompute the meta-features of a knowledge base's datasets",
        description="Recompute the meta-features of the datasets of a knowledge base with "
        "the installed metafeatures package and re-save it.",
        formatter_class=DefaultsHelpFormatter,
    )
    refresh.add_argument("kb", type=Path, help="knowledge base directory")
    _add_dataset_arguments(refresh)
    refresh.add_argument("--n-jobs", type=int, default=1, metavar="J", help="parallel workers")
    refresh.add_argument(
        "--seed", type=int, default=0, help="seed of the meta-features' subsampling"
    )
    refresh.add_argument("--no-progress", action="store_true", help="no progress bar")
    refresh.set_defaults(func=_refresh)


def _add_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--datasets",
        required=True,
        type=Path,
        metavar="DIR_OR_INDEX",
        help="directory with an index.tsv (PMLB layout), index file, or directory/file of "
        "CSV/TSV/parquet tables",
    )
    parser.add_argument("--target", default=None, help="target column of plain tables")
    parser.add_argument(
        "--task",
        default=None,
        choices=["classification", "regression"],
        help="only the datasets of this task (unset: both)",
    )
    parser.add_argument("--names", default=None, help="comma-separated dataset names")
    parser.add_argument(
        "--max-datasets",
        type=int,
        default=None,
        metavar="N",
        help="only the first N datasets (unset: all)",
    )


def _specs(args: argparse.Namespace) -> list:
    from autometa.kb._datasets import discover_datasets

    return discover_datasets(
        args.datasets,
        target=args.target,
        task=args.task,
        names=[n.strip() for n in args.names.split(",") if n.strip()] if args.names else None,
        max_datasets=args.max_datasets,
    )


def _quiet_console() -> None:
    """The runner logs INFO to its log file; keep the console at the CLI's verbosity."""
    root = logging.getLogger()
    for handler in root.handlers:
        if handler.level == logging.NOTSET:
            handler.setLevel(root.level)


def _build(args: argparse.Namespace) -> int:
    from autometa.kb._runner import build_knowledge_base

    _quiet_console()

    if args.backend == "dask" or args.scheduler:
        backend = "dask"
    else:
        backend = args.backend
    learners = [n.strip() for n in args.learners.split(",")] if args.learners else None
    if learners is not None and not all(learners):
        raise ParameterError(
            f"The '--learners' option must be comma-separated learner names. "
            f"Got {args.learners!r} instead."
        )
    build_knowledge_base(
        _specs(args),
        args.out,
        configs_per_learner=args.configs_per_learner,
        folds=args.folds,
        max_rows=args.max_rows if args.max_rows and args.max_rows > 0 else None,
        n_jobs=args.n_jobs,
        backend=backend,
        time_limit=args.time_limit,
        seed=args.seed,
        learners=learners,
        progress=not args.no_progress,
        chunk_size=args.chunk_size,
        scheduler=args.scheduler,
        log_file=args.log,
        command=shlex.join(["autometa", *sys.argv[1:]]),
        save_every=args.save_every,
        on_summary=lambda summary: print(summary.format(), file=sys.stderr),
    )
    print(f"wrote {args.out}")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from autometa.kb._runner import refresh_metafeatures

    kb = refresh_metafeatures(
        args.kb, _specs(args), n_jobs=args.n_jobs, seed=args.seed, progress=not args.no_progress
    )
    print(f"refreshed {kb.metafeatures.shape[0]} datasets' meta-features in {args.kb}")
    return 0
