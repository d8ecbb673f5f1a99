"""``autometa kb build`` and ``autometa kb refresh-metafeatures``."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shlex
import sys
from pathlib import Path
from typing import Any

from autometa._exceptions import ParameterError
from autometa._logging import log_to_file


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
    from autometa.kb import discover_datasets

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


class _Bar:
    """A tqdm bar on stderr drawn from the library's progress events (created at the first)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def __call__(self, event: Any) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=event.total,
                initial=event.done,
                unit=event.unit,
                file=sys.stderr,
                smoothing=0.05,
            )
            return
        self.bar.total = event.total
        self.bar.update(event.done - self.bar.n)

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def _build(args: argparse.Namespace) -> int:
    from autometa.kb import BuildSettings, build_knowledge_base

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
    settings = BuildSettings(  # validated before anything is written
        configs_per_learner=args.configs_per_learner,
        folds=args.folds,
        max_rows=args.max_rows if args.max_rows and args.max_rows > 0 else None,
        n_jobs=args.n_jobs,
        backend=backend,
        time_limit=args.time_limit,
        seed=args.seed,
        learners=tuple(learners) if learners is not None else None,
        chunk_size=args.chunk_size,
        scheduler=args.scheduler,
        save_every=args.save_every,
    )
    specs = _specs(args)
    log = args.log or args.out.with_name(args.out.name + ".build") / "build.log"
    if args.log:
        args.log.parent.mkdir(parents=True, exist_ok=True)
    # the log file opens at the first record: the build creates its work directory first
    with log_to_file(log, delay=True), _Bar(not args.no_progress) as bar:
        build_knowledge_base(
            specs,
            args.out,
            **dataclasses.asdict(settings),
            progress=bar,
            command=shlex.join(["autometa", *sys.argv[1:]]),
            on_summary=lambda summary: print(summary.format(), file=sys.stderr),
        )
    print(f"wrote {args.out}")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from autometa.kb import refresh_metafeatures

    with _Bar(not args.no_progress) as bar:
        kb = refresh_metafeatures(
            args.kb, _specs(args), n_jobs=args.n_jobs, seed=args.seed, progress=bar
        )
    print(f"refreshed {kb.metafeatures.shape[0]} datasets' meta-features in {args.kb}")
    return 0
