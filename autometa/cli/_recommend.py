"""``autometa recommend DATA --target COL``: the ranked recommendations for a dataset."""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "recommend",
        help="recommend learners and hyperparameters for a dataset",
        description="Rank the learners and hyperparameters of the knowledge base for a "
        "CSV/TSV/parquet dataset (optionally compressed), with predicted normalized scores "
        "(1 = the best configuration of the pool on similar datasets), their intervals, and "
        "the reasons.",
    )
    p.add_argument("data", type=Path, help="CSV, TSV or parquet file (optionally compressed)")
    p.add_argument("--target", required=True, help="name of the target column")
    p.add_argument("--top-k", type=int, default=10, help="how many recommendations (10)")
    from autometa.kb import DEFAULT_METRIC, metrics_for

    tasks = ("classification", "regression")
    p.add_argument(
        "--metric",
        default=None,
        choices=[m for t in tasks for m in metrics_for(t)],
        metavar="METRIC",
        help="metric the scores refer to; "
        + "; ".join(f"{t}: {', '.join(metrics_for(t))}" for t in tasks)
        + " (default: the shipped models' "
        + ", ".join(f"{DEFAULT_METRIC[t]} for {t}" for t in tasks)
        + "; another metric fits a nearest-datasets model on the knowledge base)",
    )
    p.add_argument(
        "--task",
        default="auto",
        choices=["auto", "classification", "regression"],
        help="the task; 'auto' infers it from the target (default: auto)",
    )
    p.add_argument("--learners", default=None, help="comma-separated learner names to restrict to")
    p.add_argument("--kb", default=None, help="a knowledge-base directory instead of the default")
    p.add_argument(
        "--model",
        default=None,
        help="a models directory (autometa models train --out DIR) instead of the default; "
        "without --kb, explained from the knowledge base it was trained on",
    )
    p.add_argument(
        "--format",
        choices=["table", "json", "csv"],
        default="table",
        help="table with the reasons, or machine-readable json/csv (default: table)",
    )
    p.add_argument("--explain", action="store_true", help="explain the recommendations in words")
    p.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed of the meta-features and of the recommended pipelines (default: 0)",
    )
    p.add_argument(
        "--time-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="recommend only configurations predicted to fit on all the rows within SECONDS "
        "(single-threaded; default: no limit)",
    )
    p.add_argument(
        "--plot",
        type=Path,
        default=None,
        metavar="FILE",
        help="also draw the recommendations (scores with intervals, predicted fit times, "
        "nearest datasets) into FILE (.png, .svg, .pdf: any format matplotlib writes)",
    )
    p.set_defaults(func=_recommend)


def _num(v: Any, digits: int = 3) -> str:
    return "-" if v is None or not math.isfinite(float(v)) else f"{float(v):.{digits}f}"


def _seconds(v: Any) -> str:
    """A predicted time, rounded as its precision deserves (a factor of about 2)."""
    if v is None or not math.isfinite(float(v)):
        return "-"
    v = float(v)
    if v < 1:
        return "<1 s"
    if v < 60:
        return f"{v:.0f} s"
    if v < 3600:
        return f"{v / 60:.0f} min"
    return f"{v / 3600:.1f} h"


def _table(rec: Any) -> str:
    frame = rec.to_frame()
    similar = f"{rec.metric} on similar datasets"
    rows = [("rank", "learner", "score", "interval", similar, "fit time", "params")]
    for _, r in frame.iterrows():
        params = ", ".join(f"{k}={v!r}" for k, v in r["params"].items())
        interval = f"[{_num(r['score_low'], 2)}, {_num(r['score_high'], 2)}]"
        rows.append(
            (
                str(r["rank"]),
                str(r["learner"]),
                _num(r["score"]),
                interval + (" unsure" if r["unsure"] else ""),
                _num(r["metric_on_similar_datasets"]),
                _seconds(r["fit_time"]),
                params if len(params) <= 70 else params[:67] + "...",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row[:6], widths)) + "  " + row[6] for row in rows]
    return "\n".join(lines)


def _reasons(rec: Any) -> str:
    from autometa.recommend import percentile_words

    lines = []
    if len(rec.neighbours):
        lines.append(f"nearest datasets: {rec.nearest_text()}")
    if len(rec.drivers):
        lines.append(
            "stands out by: "
            + ", ".join(
                f"{r['name']} ({percentile_words(float(r['percentile']), short=True)})"
                for _, r in rec.drivers.head(3).iterrows()
            )
        )
    if rec.score_source == "model":
        score = f"score: normalized {rec.metric} predicted by model '{rec.model_name}'"
    elif rec.score_source == "neighbours":
        score = (
            f"score: mean normalized {rec.metric} on the nearest datasets (model "
            f"'{rec.model_name}' gives no scores)"
        )
    else:
        score = f"score: unknown (model '{rec.model_name}' only orders)"
    lines.append(
        f"{score}, 1 = best of the pool, 0 = worst; "
        + ("the list is ordered by it; " if rec.score_source != "none" else "")
        + f"{rec.interval_short()}, 'unsure' when wider than 0.5; "
        f"'{rec.metric} on similar datasets': the configuration's mean raw {rec.metric} on "
        "the nearest datasets, not a prediction for this one; 'fit time': predicted seconds "
        "of one single-threaded fit on all the rows (rough: a median error of a factor of 2 up to "
        "20,000 rows, 3 beyond)"
    )
    lines.append(rec.order_text())
    words = rec.uncertainty_text()
    if words:
        lines.append(words)
    lines.append(rec.ood_text())
    return "\n".join(
        "\n".join(textwrap.wrap(line, width=100, subsequent_indent="  ", break_on_hyphens=False))
        for line in lines
    )


def check_plot_path(path: Path | None, option: str = "--plot") -> None:
    """Refuse, before any work, a plot file of an unknown format or in a missing folder."""
    if path is None:
        return
    from matplotlib.backend_bases import FigureCanvasBase

    from autometa._exceptions import ParameterError

    formats = FigureCanvasBase.get_supported_filetypes()
    if path.suffix.lower().lstrip(".") not in formats:
        raise ParameterError(
            f"The '{option}' option must be a file name ending in one of "
            f"{', '.join('.' + f for f in sorted(formats))}. Got '{path}' instead."
        )
    if not path.parent.is_dir():
        raise ParameterError(
            f"The '{option}' option names a file in '{path.parent}', which is not an existing "
            "directory. Create it first or pass another path."
        )


def save_figure(fig: Any, path: Path) -> None:
    """Write a matplotlib figure to ``path`` (checked by :func:`check_plot_path`) and close it."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {path}", file=sys.stderr)


def use_file_backend() -> None:
    """Draw into files: the non-interactive Agg backend unless pyplot is already in use."""
    if "matplotlib.pyplot" not in sys.modules:
        import matplotlib

        matplotlib.use("Agg")


def _recommend(args: argparse.Namespace) -> int:
    from autometa._exceptions import OutOfDistributionWarning, TaskInferenceWarning
    from autometa._io import read_table, split_target
    from autometa._task import infer_task
    from autometa.recommend import recommend

    check_plot_path(args.plot)
    X, y = split_target(read_table(args.data), args.target)
    learners = [s.strip() for s in args.learners.split(",")] if args.learners else None
    shown = (OutOfDistributionWarning, TaskInferenceWarning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OutOfDistributionWarning)
        warnings.simplefilter("always", TaskInferenceWarning)
        task = args.task
        if task == "auto":
            task = infer_task(y, owner="autometa recommend", parameter="--task")
        rec = recommend(
            X,
            y=y,
            task=task,
            metric=args.metric,
            top_k=args.top_k,
            learners=learners,
            kb=args.kb,
            model=args.model,
            random_state=args.random_state,
            time_budget=args.time_budget,
        )
    for w in caught:
        if not issubclass(w.category, shown):
            continue
        print(f"autometa: warning: {w.message}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(rec.to_dict(), indent=2, default=str))
    elif args.format == "csv":
        frame = rec.to_frame()
        frame["params"] = [json.dumps(p, sort_keys=True) for p in frame["params"]]
        print(frame.to_csv(index=False), end="")
    else:
        print(
            f"{len(rec)} recommendations for {args.data} ({rec.n_rows} rows, "
            f"{rec.n_features} features, {rec.task}, metric {rec.metric}):\n"
        )
        print(_table(rec))
        print()
        print(_reasons(rec))
        if args.explain:
            print()
            print(rec.explain())
    if args.format != "table" and args.explain:
        print(rec.explain(), file=sys.stderr)
    if args.plot is not None:
        use_file_backend()
        save_figure(rec.plot(), args.plot)
    return 0
