"""``autometa kb import-openml``, ``autometa kb import-runs`` and ``autometa kb import-lcdb``."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from autometa._exceptions import ParameterError

logger = logging.getLogger(__name__)


def register(kb_subparsers: argparse._SubParsersAction) -> None:
    oml = kb_subparsers.add_parser(
        "import-openml",
        help="import OpenML runs of flows that map onto autometa's learners",
        description="Import the runs of an OpenML suite or of tasks into a knowledge base: "
        "evaluations with their setups, mapped onto the learner registry; datasets with "
        "OpenML's qualities as meta-features (or computed from the data with --with-data). "
        "Runs that cannot be mapped are counted by reason. An interrupted import resumes "
        "from the ledger in OUT.import/.",
    )
    oml.add_argument("--out", type=Path, required=True, help="knowledge base to write")
    which = oml.add_mutually_exclusive_group(required=True)
    which.add_argument("--suite", help="suite id or alias, e.g. 99 or OpenML-CC18")
    which.add_argument("--tasks", help="comma-separated task ids")
    oml.add_argument("--flows", help="comma-separated OpenML flow ids, flow names or learner names")
    oml.add_argument("--metric", default="predictive_accuracy", help="OpenML measure")
    oml.add_argument(
        "--max-runs-per-task",
        type=int,
        default=None,
        metavar="N",
        help="import at most N runs of each task (default: all)",
    )
    oml.add_argument("--with-data", action="store_true", help="download data, compute all groups")
    oml.add_argument("--cache-dir", type=Path, default=None, help="openml-python cache root")
    oml.add_argument("--server", default=None, help="OpenML API URL (default: openml's)")
    oml.add_argument(
        "--merge-default",
        action="store_true",
        help="merge the import into autometa's default knowledge base before saving",
    )
    oml.set_defaults(func=_import_openml)

    runs = kb_subparsers.add_parser(
        "import-runs",
        help="import a table of runs you already have (CSV/parquet)",
        description="Import a table of runs with columns dataset, learner (or flow: an "
        "OpenML flow name), params (JSON), metric, value; the datasets come from a table "
        "(dataset, task, meta-feature columns) or a directory of data files.",
    )
    runs.add_argument("file", type=Path, help="CSV, TSV or parquet table of runs")
    runs.add_argument("--datasets", type=Path, required=True, help="dataset table or directory")
    runs.add_argument("--out", type=Path, required=True, help="knowledge base to write")
    runs.add_argument("--target", default="target", help="target column of dataset files")
    runs.add_argument(
        "--merge-default",
        action="store_true",
        help="merge the import into autometa's default knowledge base before saving",
    )
    runs.set_defaults(func=_import_runs)

    lcdb = kb_subparsers.add_parser(
        "import-lcdb",
        help="import the Learning Curve Database (pip install lcdb==0.1.0)",
        description="Import LCDB's learning curves: default configurations of the learners "
        "whose LCDB setting gives our results (tree learners on datasets without categorical "
        "features or missing values), one run per dataset, learner and training size (mean "
        "over seeds), datasets with OpenML's qualities as meta-features. Everything else is "
        "counted by reason. An interrupted import resumes from the ledger in OUT.import/.",
    )
    lcdb.add_argument(
        "--path",
        type=Path,
        default=None,
        help="lcdb-0.1.0.tar.gz or the directory it extracts to (default: installed lcdb)",
    )
    lcdb.add_argument("--out", type=Path, required=True, help="knowledge base to write")
    lcdb.add_argument(
        "--metrics",
        default="accuracy,roc_auc,log_loss",
        help="comma-separated metrics (accuracy, roc_auc, log_loss)",
    )
    lcdb.add_argument("--datasets", help="comma-separated OpenML dataset ids (default: all)")
    lcdb.add_argument(
        "--max-rows-per-curve",
        type=int,
        default=None,
        help="at most this many training sizes per dataset and learner (the largest kept)",
    )
    lcdb.add_argument(
        "--score",
        choices=("test", "valid"),
        default="test",
        help="LCDB's score column to read (score_test or score_valid)",
    )
    lcdb.add_argument(
        "--any-preprocessing",
        action="store_true",
        help="also import tree learners on datasets where LCDB one-hot encoded or imputed",
    )
    lcdb.add_argument(
        "--merge",
        type=Path,
        default=None,
        help="an existing knowledge base to merge the import into before saving",
    )
    lcdb.add_argument(
        "--merge-default",
        action="store_true",
        help="merge the import into autometa's default knowledge base before saving",
    )
    lcdb.set_defaults(func=_import_lcdb)


def _int_list(text: str, what: str) -> list[int]:
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ParameterError(
            f"--{what} must be comma-separated integer ids. Got {text!r} instead."
        ) from None


def _finish(result: Any, out: Path, merge_default: bool, merge: Path | None = None) -> int:
    from autometa.kb import KnowledgeBase

    kb = result.to_knowledge_base()
    if merge is not None:
        kb = KnowledgeBase.load(merge).merge(kb)
    if merge_default:
        kb = KnowledgeBase.default().merge(kb)
    kb.save(out)
    print(result.report())
    print(f"wrote {out}")
    return 0


def _import_openml(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from autometa.kb import import_openml

    suite: Any = args.suite
    if suite is not None and str(suite).isdigit():
        suite = int(suite)
    tasks = _int_list(args.tasks, "tasks") if args.tasks else None
    flows = [f.strip() for f in args.flows.split(",")] if args.flows else None
    ledger = args.out.with_name(args.out.name + ".import") / "ledger.jsonl"
    bars: list[Any] = []  # created at the first finished task: no bar before an early error

    def progress(done: int, total: int, task_id: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="task", desc="import-openml"))
        bars[0].set_postfix(task=task_id)
        bars[0].update(done - bars[0].n)

    try:
        result = import_openml(
            suite=suite,
            tasks=tasks,
            flows=flows,
            metric=args.metric,
            max_runs_per_task=args.max_runs_per_task,
            with_data=args.with_data,
            cache_dir=args.cache_dir,
            ledger=ledger,
            server=args.server,
            progress=progress,
        )
    finally:
        for bar in bars:
            bar.close()
    return _finish(result, args.out, args.merge_default)


def _import_runs(args: argparse.Namespace) -> int:
    from autometa.kb import import_runs

    result = import_runs(args.file, args.datasets, target=args.target)
    return _finish(result, args.out, args.merge_default)


def _import_lcdb(args: argparse.Namespace) -> int:
    from autometa.kb import import_lcdb

    ledger = args.out.with_name(args.out.name + ".import") / "ledger.jsonl"
    result = import_lcdb(
        args.path,
        metrics=[m.strip() for m in args.metrics.split(",") if m.strip()],
        datasets=_int_list(args.datasets, "datasets") if args.datasets else None,
        max_rows_per_curve=args.max_rows_per_curve,
        score=args.score,
        same_preprocessing=not args.any_preprocessing,
        ledger=ledger,
    )
    return _finish(result, args.out, args.merge_default, args.merge)
