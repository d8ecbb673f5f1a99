"""``autometa bench ...``: benchmarks of the meta-models.

``autometa bench lodo`` runs the leave-one-family-out evaluation
(:func:`autometa.bench.run_lodo`) and writes ``lodo.md`` (the tables), ``lodo.csv`` (the
table as numbers), ``lodo_curves.csv.gz`` (regret per method, dataset, seed and k) and
``lodo.png`` (regret curves) into ``--out``.

``autometa bench compare`` compares every method with its peers in one process (table
look-up, live runs, meta-features against pymfe; :mod:`autometa.bench._compare`) and
writes ``report.md``, PNG plots and CSV results into ``--out``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from autometa._exceptions import ParameterError


def register(subparsers: argparse._SubParsersAction) -> None:
    bench = subparsers.add_parser("bench", help="benchmark the meta-models")
    bench_sub = bench.add_subparsers(dest="bench_command", metavar="BENCH_COMMAND")
    bench.set_defaults(func=lambda args: (bench.print_help(), 2)[1])
    lodo = bench_sub.add_parser(
        "lodo",
        help="leave-one-family-out evaluation by table look-up",
        description="Fit every method without one family of datasets at a time, simulate "
        "k trials on each held-out dataset by look-up in the knowledge base, and report "
        "regret after k trials, the closed gap of the first choice and average ranks.",
    )
    lodo.add_argument(
        "--kb",
        type=Path,
        default=None,
        metavar="KB",
        help="knowledge-base directory (default: the one shipped with autometa)",
    )
    lodo.add_argument(
        "--metric",
        default=None,
        help="metric of one task (default: balanced_accuracy and r2); only that task is run",
    )
    lodo.add_argument(
        "--task",
        choices=["classification", "regression"],
        action="append",
        default=None,
        help="evaluate only this task (repeatable; default: every task of the KB)",
    )
    lodo.add_argument(
        "--methods",
        default=None,
        help="comma-separated methods (default: random and every registered meta-model "
        "among defaults, sbs, portfolio, nearest, surrogate, prototypes, maml)",
    )
    lodo.add_argument("--seeds", type=int, default=5, help="seeds per method (default: 5)")
    lodo.add_argument(
        "--fit-once",
        action="store_true",
        help="fit each meta-model once per held-out family (seed 0) and use it for every "
        "seed; only random search varies with the seed (cheaper for the torch models)",
    )
    lodo.add_argument(
        "--k-max", type=int, default=50, help="trials per held-out dataset (default: 50)"
    )
    lodo.add_argument(
        "--n-jobs", type=int, default=1, help="families in parallel (default: 1; -1 = all)"
    )
    lodo.add_argument(
        "--min-coverage",
        type=float,
        default=0.5,
        help="leave out datasets with a smaller share of the pool evaluated (default: 0.5)",
    )
    lodo.add_argument(
        "--out", type=Path, default=Path("."), help="output directory (default: current)"
    )
    lodo.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    lodo.set_defaults(func=_lodo)
    compare = bench_sub.add_parser(
        "compare",
        help="every method against its peers: look-up, live runs, pymfe; one report",
        description="In one process: leave-one-family-out table look-up of every "
        "meta-model and baseline, with Optuna (random, cold TPE, warm-started TPE, "
        "MetaSampler) on the same datasets; live runs on datasets the models were not "
        "trained on (autometa, scikit-learn defaults, FLAML zero-shot, Optuna TPE); "
        "meta-feature extraction against pymfe. Writes report.md, PNG plots and CSV "
        "results into --out.",
    )
    compare.add_argument(
        "--quick",
        action="store_true",
        help="a small run of every part (2 held-out families per task, 1 seed, 25 trials, "
        "2 live datasets per task, Optuna TPE with 5 trials and 5 s, 2 pymfe datasets)",
    )
    compare.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default: benchmarks/results/compare-<date>)",
    )
    compare.add_argument(
        "--datasets",
        nargs="+",
        type=Path,
        default=None,
        metavar="PATH",
        help="data files for the live runs (default: PMLB datasets of the knowledge base, "
        "their family left out when refitting)",
    )
    compare.add_argument("--target", default="target", help="target column of --datasets")
    compare.add_argument(
        "--kb",
        type=Path,
        default=None,
        metavar="KB",
        help="knowledge-base directory (default: the one shipped with autometa)",
    )
    compare.add_argument(
        "--methods",
        default=None,
        help="comma-separated look-up methods (default: those of 'bench lodo')",
    )
    compare.add_argument(
        "--ranker",
        default=None,
        help="meta-model that ranks in the Optuna look-up and the live runs (default: maml)",
    )
    compare.add_argument("--seeds", type=int, default=None, help="look-up seeds")
    compare.add_argument(
        "--max-families", type=int, default=None, help="held-out families per task"
    )
    compare.add_argument(
        "--tpe-seconds", type=float, default=None, help="Optuna's live budget in seconds"
    )
    compare.add_argument(
        "--tpe-trials", type=int, default=None, help="Optuna's live budget in trials"
    )
    compare.add_argument(
        "--pymfe-datasets", type=int, default=None, help="datasets timed against pymfe"
    )
    compare.add_argument(
        "--n-jobs", type=int, default=None, help="look-up families in parallel (default: 1)"
    )
    compare.set_defaults(func=_compare)


def _command(args: argparse.Namespace) -> str:
    """The command line of ``bench compare`` as given (its options in a fixed order)."""
    parts = ["autometa", "bench", "compare"] + (["--quick"] if args.quick else [])
    for name in (
        "out",
        "kb",
        "methods",
        "ranker",
        "seeds",
        "max_families",
        "tpe_seconds",
        "tpe_trials",
        "pymfe_datasets",
        "n_jobs",
        "datasets",
    ):
        value = getattr(args, name)
        if value is None:
            continue
        flag = "--" + name.replace("_", "-")
        values = value if isinstance(value, list) else [value]
        parts += [flag, *map(str, values)]
    if args.datasets and args.target != "target":
        parts += ["--target", args.target]
    return " ".join(parts)


def _compare(args: argparse.Namespace) -> int:
    import datetime

    from autometa.bench import run_compare, settings_for
    from autometa.kb import KnowledgeBase

    methods = _parse_methods(args.methods)
    for name in ("seeds", "max_families", "tpe_trials", "n_jobs"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ParameterError(
                f"The '--{name.replace('_', '-')}' option must be an int >= 1. Got {value} instead."
            )
    if args.tpe_seconds is not None and args.tpe_seconds <= 0:
        raise ParameterError(
            f"The '--tpe-seconds' option must be > 0. Got {args.tpe_seconds} instead."
        )
    settings = settings_for(
        args.quick,
        methods=None if methods is None else tuple(methods),
        ranker=args.ranker,
        seeds=args.seeds,
        max_families=args.max_families,
        tpe_seconds=args.tpe_seconds,
        tpe_trials=args.tpe_trials,
        pymfe_datasets=args.pymfe_datasets,
        n_jobs=args.n_jobs,
    )
    out = args.out or Path("benchmarks/results") / f"compare-{datetime.date.today():%Y-%m-%d}"
    kb = KnowledgeBase.default() if args.kb is None else KnowledgeBase.load(args.kb)
    label = "the default knowledge base" if args.kb is None else f"`{args.kb}`"
    report = run_compare(
        out,
        kb=kb,
        kb_label=label,
        settings=settings,
        datasets=args.datasets or (),
        target=args.target,
        command=_command(args),
    )
    print(f"written {report} (and the plots and CSV files beside it)")
    return 0


def _parse_methods(value: str | None) -> list[str] | None:
    """The method names of a comma-separated ``--methods`` (None: the default methods)."""
    if value is None:
        return None
    methods = [m.strip() for m in value.split(",") if m.strip()]
    if not methods:
        raise ParameterError(
            f"The '--methods' option must list methods separated by commas. Got {value!r} instead."
        )
    return methods


def _lodo(args: argparse.Namespace) -> int:
    from autometa.bench import DEFAULT_KS, run_lodo
    from autometa.kb import KnowledgeBase

    methods: Any = _parse_methods(args.methods)  # names, or Methods with --fit-once
    kb = KnowledgeBase.default() if args.kb is None else KnowledgeBase.load(args.kb)
    if args.fit_once:
        from autometa.bench import make_methods

        methods = make_methods(methods, fit_once=True)
    result = run_lodo(
        kb,
        methods=methods,
        metric=args.metric,
        tasks=args.task,
        seeds=args.seeds,
        k_max=args.k_max,
        n_jobs=args.n_jobs,
        min_coverage=args.min_coverage,
        progress=not args.no_progress,
    )
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    where = "the default knowledge base" if args.kb is None else f"`{args.kb}`"
    header = [
        "## Leave-one-family-out",
        "",
        f"Knowledge base: {where}; methods: {', '.join(result.methods)}; seeds: "
        f"{len(result.seeds)}; k_max: {result.k_max}; {result.settings['n_families']} "
        f"held-out families; {result.settings['seconds']:.0f} s.",
        "",
        "Regret = 1 - the best normalized score of the first k trials (mean ± standard "
        "error over datasets); closed gap@1 = (SBS - method) / SBS regret of the first "
        "choice (ratio of mean regrets); rank = average rank among the methods "
        "(1 = best).",
        "",
    ]
    markdown = "\n".join(header) + "\n" + result.to_markdown(DEFAULT_KS)
    (out / "lodo.md").write_text(markdown + "\n", encoding="utf-8")
    result.table(DEFAULT_KS).to_csv(out / "lodo.csv")
    result.curves.to_csv(out / "lodo_curves.csv.gz", index=False)
    result.plot(out / "lodo.png")
    (out / "lodo.json").write_text(
        json.dumps(
            {
                "methods": list(result.methods),
                "metrics": dict(result.metrics),
                "seeds": list(result.seeds),
                "k_max": result.k_max,
                "fit_once": bool(args.fit_once),
                "kb": None if args.kb is None else str(args.kb),
                **result.settings,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(markdown)
    return 0
