"""Small commands: ``demo-data`` and ``metafeatures``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from autometa._exceptions import ParameterError

DEMO_DATASETS = ("breast_cancer", "diabetes", "wine")


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo-data",
        help="write small example datasets (from scikit-learn's bundled data) as CSV files",
        description="Write scikit-learn's bundled breast_cancer (classification), "
        "wine (classification) and diabetes (regression) datasets as CSV files with a "
        "'target' column, to try autometa on.",
    )
    demo.add_argument("out", type=Path, help="directory to write the CSV files into")
    demo.set_defaults(func=_demo_data)

    mf = subparsers.add_parser(
        "metafeatures",
        help="compute the meta-features of a dataset",
        description="Compute the meta-features of a CSV/TSV/parquet dataset.",
    )
    mf.add_argument("data", type=Path, help="CSV, TSV or parquet file (optionally compressed)")
    mf.add_argument("--target", required=True, help="name of the target column")
    mf.add_argument(
        "--task",
        default="auto",
        choices=["auto", "classification", "regression"],
        help="the task; 'auto' infers it from the target (default: auto)",
    )
    mf.add_argument(
        "--groups",
        default="default",
        help="comma-separated groups, 'default' or 'all' (default: default)",
    )
    mf.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed of the subsampling and the landmarkers (default: 0)",
    )
    mf.add_argument(
        "--time-budget", type=float, default=None, help="seconds per group (default: no limit)"
    )
    mf.add_argument(
        "--format",
        choices=["table", "json", "csv"],
        default="table",
        help="output format; json holds the values, the skipped features with their "
        "reasons and the timings (default: table)",
    )
    mf.add_argument(
        "-v",
        "--verbose",
        dest="reasons",
        action="store_true",
        help="list the skipped (NaN) meta-features with the reason of each",
    )
    mf.set_defaults(func=_metafeatures)


def _demo_data(args: argparse.Namespace) -> int:
    from sklearn import datasets

    args.out.mkdir(parents=True, exist_ok=True)
    for name in DEMO_DATASETS:
        bunch = getattr(datasets, f"load_{name}")(as_frame=True)
        frame = bunch.frame.rename(columns={bunch.target.name: "target"})
        path = args.out / f"{name}.csv"
        frame.to_csv(path, index=False)
        print(f"wrote {path} ({frame.shape[0]} rows, {frame.shape[1] - 1} features)")
    return 0


def _metafeatures(args: argparse.Namespace) -> int:
    import metafeatures
    from autometa._io import read_table, split_target

    X, y = split_target(read_table(args.data), args.target)
    groups = args.groups.split(",") if "," in args.groups else args.groups
    try:
        report = metafeatures.extract_report(
            X,
            y,
            task=args.task,
            groups=groups,
            random_state=args.random_state,
            time_budget=args.time_budget,
        )
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    values = report.values
    reasons = args.reasons or args.verbose > 0
    if args.format == "json":
        out = {
            "task": report.task,
            "metafeatures": {k: (None if v != v else v) for k, v in values.items()},
            "skipped": dict(report.skipped),
            "timings": {g: round(float(t), 4) for g, t in report.timings.items()},
        }
        print(json.dumps(out, indent=2))
    elif args.format == "csv":
        frame = values.rename("value").to_frame()
        frame["skipped_because"] = [report.skipped.get(k, "") for k in values.index]
        print(frame.to_csv(index_label="name"), end="")
    else:
        width = max(len(str(k)) for k in values.index)
        for name, value in values.items():
            print(f"{name:<{width}}  {value:.6g}")
        timings = ", ".join(f"{g} {t:.2f}s" for g, t in report.timings.items())
        print(f"\n{len(values)} meta-features ({timings})")
        if report.skipped and reasons:
            print(f"skipped: {len(report.skipped)}")
            sk_width = max(len(str(k)) for k in report.skipped)
            for name, why in report.skipped.items():
                print(f"  {name:<{sk_width}}  {why}")
        elif report.skipped:
            print(f"skipped: {len(report.skipped)} (see -v or --format json for the reasons)")
    return 0
