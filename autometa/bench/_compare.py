"""``autometa bench compare``: every method against its peers, in one process, one report.

Three parts, on the same datasets and splits for every method of a part:

1. **Table look-up, leave one family out** (:func:`autometa.bench.run_lodo`): every
   meta-model and baseline of the default methods, then, on the held-out datasets of a
   subset of those families, the same methods beside Optuna studies by look-up (random
   search, cold TPE, TPE warm-started by autometa, ``MetaSampler``;
   :mod:`autometa.bench._lookup`).
2. **Live runs** (:mod:`autometa.bench._live`) on datasets the models were not trained on
   (the ranker is refitted without the dataset's family, or datasets given by path).
3. **Meta-features against pymfe** (:mod:`autometa.bench._pymfe`), when pymfe is installed.

The report (``report.md``), the plots (PNG) and the raw results (CSV) go into one
directory, with the environment (CPU, versions), the command, and the wall and CPU time
of each part.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import platform
import resource
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa._exceptions import ParameterError

__all__ = ["CompareSettings", "QUICK", "run_compare"]

logger = logging.getLogger(__name__)

RANK_KS: tuple[int, ...] = (10, 25)
LIVE_REFERENCE = "autometa zero-shot"


@dataclass(frozen=True)
class CompareSettings:
    """What ``autometa bench compare`` runs (the full run's defaults; see :data:`QUICK`).

    Attributes
    ----------
    quick : bool
    methods : tuple of str or None
        Look-up methods (default :data:`autometa.bench.DEFAULT_METHODS`).
    ranker : str
        The registered meta-model that ranks in the Optuna look-up (``warm_start``'s
        recommendations, ``MetaSampler``'s model) and in the live runs.
    seeds, k_max, max_families, fit_once
        Of the leave-one-family-out look-up (``max_families`` per task; None = all).
    lookup_methods : tuple of str
        Optuna studies by look-up; ``lookup_families`` held-out families per task, one
        dataset each, ``k_max`` trials.
    live_per_task, live_max_rows, n_candidates, tpe_trials, tpe_seconds
        Of the live runs.
    pymfe_datasets : int
        Datasets of the meta-feature comparison (0 = skip).
    """

    quick: bool = False
    methods: tuple[str, ...] | None = None
    ranker: str = "maml"
    seeds: int = 5
    k_max: int = 50
    max_families: int | None = None
    fit_once: bool = True
    lookup_methods: tuple[str, ...] = ("random", "tpe", "tpe+warm", "metasampler")
    lookup_families: int = 10
    live_per_task: int = 8
    live_max_rows: int = 3000
    n_candidates: int = 5
    tpe_trials: int = 50
    tpe_seconds: float = 60.0
    pymfe_datasets: int = 10
    n_jobs: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


#: ``--quick``: a small run of every part (see ``benchmarks/README.md`` for its time).
QUICK = CompareSettings(
    quick=True,
    seeds=1,
    k_max=25,
    max_families=2,
    lookup_families=2,
    live_per_task=2,
    live_max_rows=500,
    n_candidates=3,
    tpe_trials=5,
    tpe_seconds=5.0,
    pymfe_datasets=2,
)


class _Clock:
    """Wall and CPU time (this process and its finished children) of each part."""

    def __init__(self) -> None:
        self.parts: dict[str, tuple[float, float]] = {}

    @staticmethod
    def _cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def start(self) -> tuple[float, float]:
        return time.perf_counter(), self._cpu()

    def stop(self, name: str, started: tuple[float, float]) -> None:
        self.parts[name] = (time.perf_counter() - started[0], self._cpu() - started[1])


# -- look-up ---------------------------------------------------------------------------------
def _lookup_studies(kb: Any, lodo: Any, settings: CompareSettings, kb_for_samplers: Any) -> Any:
    """Optuna studies by look-up on one dataset of each of ``lookup_families`` of the
    families ``lodo`` held out, merged with ``lodo``'s curves on the same datasets."""
    import optuna

    from autometa.bench._lodo import LodoResult
    from autometa.bench._lookup import LookupObjective, lookup_regret
    from autometa.models import GreedyPortfolio, TaskData, model_class

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows = []
    chosen: list[str] = []
    for task in lodo.tasks:
        data = TaskData.from_kb(kb, task, lodo.metrics.get(task))
        held = lodo.curves.loc[lodo.curves["task"] == task]
        families = sorted(held["family"].unique())
        rng = np.random.default_rng(0)
        if len(families) > settings.lookup_families:
            families = sorted(rng.choice(families, settings.lookup_families, replace=False))
        for family in families:
            in_family = list(data.families.index[data.families == family])
            train = data.without(in_family)
            models = {
                "maml": model_class(settings.ranker)(random_state=0).fit(train),
                "portfolio": GreedyPortfolio().fit(train),
                "ranker": "maml",
            }
            evaluated = sorted(set(held.loc[held["family"] == family, "dataset_id"]))
            dataset_id = str(rng.choice(evaluated))
            chosen.append(dataset_id)
            objective = LookupObjective(data, dataset_id)
            mf = data.metafeatures.loc[dataset_id]
            for seed in lodo.seeds:
                for spec in settings.lookup_methods:
                    curve = lookup_regret(
                        spec, objective, models, mf, seed, lodo.k_max, kb_for_samplers
                    )
                    full = np.full(lodo.k_max, curve[-1])
                    full[: len(curve)] = curve
                    for k, r in enumerate(full, start=1):
                        rows.append((f"optuna {spec}", task, dataset_id, family, seed, k, r))
            logger.info("optuna look-up: %s %s done", task, family)
    optuna_curves = pd.DataFrame(
        rows, columns=["method", "task", "dataset_id", "family", "seed", "k", "regret"]
    )
    same = lodo.curves.loc[lodo.curves["dataset_id"].isin(chosen)]
    curves = pd.concat([same, optuna_curves], ignore_index=True)
    methods = (*lodo.methods, *[f"optuna {s}" for s in settings.lookup_methods])
    return LodoResult(
        curves=curves,
        timings=pd.DataFrame(),
        methods=methods,
        metrics=lodo.metrics,
        seeds=lodo.seeds,
        k_max=lodo.k_max,
        settings={"datasets": chosen},
    )


def _rank_figures(result: Any, out: Path, stem: str, title: str) -> list[str]:
    """:func:`_rank_figure` at each k of :data:`RANK_KS` the result reaches, written to
    ``out/<stem>_k<k>.png``; returns the Markdown lines (tests and pictures)."""
    md: list[str] = []
    for k in RANK_KS:
        if k <= result.k_max:
            md += _rank_figure(result, k, out / f"{stem}_k{k}.png", title)
            md += [f"![average ranks at k = {k}]({stem}_k{k}.png)", ""]
    return md


def _rank_figure(result: Any, k: int, path: Path, title: str) -> list[str]:
    """Average-rank bars and a critical-difference diagram per block at ``k`` trials;
    returns the Markdown lines of the Friedman tests."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from autometa.bench._stats import friedman, plot_cd

    blocks = [b for b, _ in result._blocks()]
    lines = [
        f"Friedman test at k = {k} ({title}; regret per dataset, seeds averaged; "
        "Iman-Davenport F; Nemenyi critical difference at alpha = 0.05):",
        "",
        "| block | datasets | methods | F | p | CD | best average rank |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    height = max(3.0, 0.28 * len(result.methods) + 1.2) * len(blocks)
    fig, axes = plt.subplots(len(blocks), 2, figsize=(13, height), squeeze=False)
    for row, block in zip(axes, blocks):
        wide = result.per_dataset(k, block)
        try:
            test = friedman(wide)
        except ParameterError as exc:
            lines.append(f"| {block} | — | — | — | — | — | {exc} |")
            row[0].set_axis_off()
            row[1].set_axis_off()
            continue
        ranks = test.ranks.sort_values()
        row[0].barh(list(ranks.index)[::-1], ranks.to_numpy()[::-1], color="tab:blue")
        row[0].errorbar(
            ranks.to_numpy()[::-1],
            list(ranks.index)[::-1],
            xerr=test.cd / 2,
            fmt="none",
            ecolor="black",
            capsize=3,
        )
        row[0].set_xlabel(f"average rank at k = {k} (1 = best; bars: ± CD/2)")
        row[0].set_title(f"{block}: {test.n_datasets} datasets", fontsize=9)
        plot_cd(test, row[1], title=f"{block}: critical difference (Nemenyi, 0.05)")
        best = ranks.index[0]
        lines.append(
            f"| {block} | {test.n_datasets} | {test.n_methods} | {test.f:.2f} | "
            f"{test.p_f:.2g} | {test.cd:.2f} | `{best}` ({ranks.iloc[0]:.2f}) |"
        )
    fig.suptitle(f"{title}: average ranks at k = {k}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    lines.append("")
    return lines


# -- live --------------------------------------------------------------------------------------
def _live_datasets(kb: Any, paths: Sequence[Path], target: str, settings: CompareSettings):
    from autometa.bench._live import LiveDataset, choose_live_datasets

    if not paths:
        return choose_live_datasets(
            kb, settings.live_per_task, max_rows=settings.live_max_rows, seed=0
        )
    dense = kb.subset(kb.dense_datasets()).datasets  # a second source's names may repeat
    names = dense.set_index("name")["family"].astype(str)
    out = []
    for p in paths:
        p = Path(p)
        if not p.is_file():
            raise ParameterError(
                f"The '--datasets' option must name existing data files. Got {str(p)!r}, "
                "which does not exist."
            )
        stem = p.name.split(".")[0]
        out.append(LiveDataset(stem, p, target, names.get(stem)))  # its family is left out
    return out


def _live_markdown(live: pd.DataFrame) -> list[str]:
    from autometa.bench._stats import wilcoxon_p

    lines = []
    for task, block in live.groupby("task", sort=True):
        block = block.assign(
            rank=block.groupby("dataset")["score"].rank(ascending=False, method="average")
        )
        wide = block.pivot_table(index="dataset", columns="method", values="score")
        ref = wide.get(LIVE_REFERENCE)
        n = block["dataset"].nunique()
        metric = "balanced accuracy" if task == "classification" else "R^2"
        lines += [
            f"### live {task} ({n} datasets, {metric} on a held-out 25%)",
            "",
            f"Mean score, average rank (1 = best), against `{LIVE_REFERENCE}`: mean "
            "difference, wins/losses and two-sided Wilcoxon p over datasets; mean fit wall "
            "time and CPU time (s); failures.",
            "",
            "| method | mean score | average rank | Δ vs zero-shot (w/l, p) | fit wall s | "
            "fit CPU s | failed |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        order = block.groupby("method", sort=False)["rank"].mean().sort_values()
        for method in order.index:
            b = block.loc[block["method"] == method]
            cell = "—"
            if ref is not None and method != LIVE_REFERENCE and method in wide:
                a, r = wide[method].to_numpy(), ref.to_numpy()
                p = wilcoxon_p(a, r)
                cell = (
                    f"{np.nanmean(a - r):+.4f} ({int(np.sum(a > r))}/{int(np.sum(a < r))}, "
                    f"{'—' if np.isnan(p) else f'{p:.2g}'})"
                )
            lines.append(
                f"| `{method}` | {b['score'].mean():.4f} | {b['rank'].mean():.2f} | {cell} | "
                f"{b['fit_seconds'].mean():.2f} | {b['fit_cpu_seconds'].mean():.2f} | "
                f"{int(b['score'].isna().sum())} |"
            )
        lines.append("")
    return lines


def _live_plot(live: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    tasks = sorted(live["task"].unique())
    fig, axes = plt.subplots(1, len(tasks), figsize=(6.5 * len(tasks), 4.6), squeeze=False)
    methods = list(dict.fromkeys(live["method"]))
    cmap = plt.get_cmap("tab10")
    for ax, task in zip(axes[0], tasks):
        block = live.loc[live["task"] == task]
        for i, method in enumerate(methods):
            b = block.loc[block["method"] == method]
            if b.empty:
                continue
            x = b["fit_cpu_seconds"].clip(lower=1e-3)
            color = cmap(i % 10)
            ax.scatter(x, b["score"], s=14, alpha=0.45, color=color)
            ax.scatter([x.mean()], [b["score"].mean()], s=90, marker="D", color=color, label=method)
        ax.set_xscale("log")
        ax.set_xlabel("fit CPU time (s, log; diamonds: means)")
        ax.set_ylabel("balanced accuracy" if task == "classification" else "R^2")
        ax.set_title(f"live {task}: score against fit time")
        ax.grid(True, alpha=0.3)
    axes[0][-1].legend(fontsize="x-small", loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- environment -------------------------------------------------------------------------------
def _environment() -> list[str]:
    from importlib import metadata

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for dist in (
        "autometa",
        "numpy",
        "pandas",
        "scipy",
        "scikit-learn",
        "torch",
        "optuna",
        "flaml",
        "lightgbm",
        "pymfe",
    ):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} (not installed)")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (np.nan,) * 3
    return [
        f"- CPU: {cpu or 'unknown'}; {os.cpu_count()} logical cores; load average at start "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min)",
        f"- Python {platform.python_version()} on {platform.platform()}",
        f"- {', '.join(versions)}",
        "- Native thread pools (BLAS, OpenMP) limited to one thread per process.",
    ]


# -- the whole run -------------------------------------------------------------------------------
def run_compare(
    out: str | Path,
    *,
    kb: Any = None,
    kb_label: str = "the default knowledge base",
    settings: CompareSettings = QUICK,
    datasets: Sequence[str | Path] = (),
    target: str = "target",
    command: str | None = None,
) -> Path:
    """Run every part and write ``report.md``, the plots and the raw results into ``out``.

    Returns
    -------
    Path
        The report.
    """
    from threadpoolctl import threadpool_limits

    from autometa.bench._lodo import make_methods, run_lodo
    from autometa.kb import KnowledgeBase

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if kb is None:
        kb = KnowledgeBase.default()
    command = command or " ".join(["autometa", *sys.argv[1:]])
    env = _environment()
    clock = _Clock()
    total = clock.start()
    md: list[str] = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        # 1. look-up
        started = clock.start()
        methods = make_methods(settings.methods, fit_once=settings.fit_once)
        lodo = run_lodo(
            kb,
            methods=methods,
            seeds=settings.seeds,
            k_max=settings.k_max,
            n_jobs=settings.n_jobs,
            max_families=settings.max_families,
        )
        clock.stop("look-up: leave one family out", started)
        ks = [k for k in (1, 3, 5, 10, 25, 50) if k <= lodo.k_max]
        lodo.curves.to_csv(out / "lodo_curves.csv.gz", index=False)
        lodo.table(ks).to_csv(out / "lodo.csv")
        lodo.plot(out / "regret_lodo.png")
        md += [
            "## 1. Table look-up, leave one family out",
            "",
            f"Knowledge base: {kb_label}. Every method is fitted without each held-out "
            f"family ({lodo.settings['n_families']} held-out families"
            + (
                f", at most {settings.max_families} per task drawn at random"
                if settings.max_families
                else ""
            )
            + f"); {len(lodo.seeds)} seed(s); {lodo.k_max} trials"
            + (
                "; each meta-model fitted once per family (seed 0) and used for every seed"
                if settings.fit_once
                else ""
            )
            + ". Regret = 1 - the best normalized score of the first k trials (mean ± "
            "standard error over datasets); closed gap@1 = (SBS - method) / SBS regret of "
            "the first choice; rank = average rank among the methods (1 = best). "
            "Curves: `regret_lodo.png`.",
            "",
            lodo.to_markdown(ks),
        ]
        md += _rank_figures(lodo, out, "ranks_lodo", "meta-models")
        lookup = None
        if settings.lookup_methods and settings.lookup_families > 0:
            started = clock.start()
            try:
                lookup = _lookup_studies(kb, lodo, settings, kb)
            except Exception as exc:  # the report says what failed; the other parts run
                logger.exception("the Optuna look-up failed")
                md += [f"The Optuna look-up failed: `{type(exc).__name__}: {exc}`.", ""]
            clock.stop("look-up: Optuna studies", started)
        if lookup is not None:
            lookup.curves.to_csv(out / "lookup_curves.csv.gz", index=False)
            lookup.plot(out / "regret_lookup.png")
            md += [
                "### With Optuna by look-up, on the same datasets",
                "",
                f"One held-out dataset of each of {settings.lookup_families} held-out "
                "families per task; the studies run on the real conditional space of "
                "`autometa.optuna.suggest`, each suggestion mapped to the nearest pool "
                "configuration of its learner (regret by look-up as above); "
                f"`tpe+warm` and `metasampler` start from `{settings.ranker}` fitted without "
                "the family. The meta-models' rows are the same runs as above on these "
                "datasets. Curves: `regret_lookup.png`.",
                "",
                lookup.to_markdown(ks),
            ]
            md += _rank_figures(lookup, out, "ranks_lookup", "meta-models and Optuna")
        md.append("![regret curves](regret_lodo.png)")
        md.append("")
        # 2. live
        started = clock.start()
        from autometa.bench._live import flaml_available, run_live

        live_sets = _live_datasets(kb, [Path(p) for p in datasets], target, settings)
        md += ["## 2. Live runs", ""]
        has_flaml = flaml_available()
        if not has_flaml:
            md += [
                "FLAML is not installed: its zero-shot estimators are left out "
                "(`pip install autometa[bench]`).",
                "",
            ]
        live = None
        if live_sets:
            try:
                live = run_live(
                    kb,
                    live_sets,
                    ranker=settings.ranker,
                    n_candidates=settings.n_candidates,
                    tpe_trials=settings.tpe_trials,
                    tpe_seconds=settings.tpe_seconds,
                    flaml=has_flaml,
                )
            except Exception as exc:  # the report says what failed; the other parts run
                logger.exception("the live runs failed")
                md += [f"The live runs failed: `{type(exc).__name__}: {exc}`.", ""]
        clock.stop("live runs", started)
        if live is not None:
            live.to_csv(out / "live.csv", index=False)
            _live_plot(live, out / "live_score_time.png")
            md += [
                f"Datasets: {', '.join(f'`{d.name}`' for d in live_sets)}. For each, "
                f"`{settings.ranker}` is refitted on the knowledge base without the "
                "dataset's family (the whole knowledge base for a dataset whose family it "
                "does not hold) and every method is fitted on the same 75% split. "
                "`flaml RF` is `flaml.default.RandomForest*`, which in flaml 2.7 suggests "
                "nothing (scikit-learn's defaults); `flaml LGBM` is zero-shot. Optuna's "
                "seconds budget is wall time, so on a busy machine it runs fewer trials.",
                "",
                *_live_markdown(live),
                "![score against fit time](live_score_time.png)",
                "",
            ]
        elif not live_sets:
            md += [
                "No live dataset: the shared PMLB datasets were not found and no "
                "`--datasets` were given.",
                "",
            ]
        # 3. pymfe
        started = clock.start()
        md += ["## 3. Meta-features against pymfe", ""]
        from autometa.bench._live import pmlb_dir
        from autometa.bench._pymfe import compare_pymfe, markdown, pick, pymfe_available

        root = pmlb_dir()
        table = None
        if settings.pymfe_datasets <= 0:
            md += ["Skipped (no dataset asked for).", ""]
        elif not pymfe_available():
            md += [
                "Skipped: pymfe is not installed (`pip install autometa[bench]`).",
                "",
            ]
        elif root is None:
            md += ["Skipped: the shared PMLB datasets were not found.", ""]
        else:
            index = pd.read_csv(root / "index.tsv", sep="\t")
            names = pick(index, settings.pymfe_datasets)
            try:
                table = compare_pymfe(root, names)
            except Exception as exc:  # the report says what failed
                logger.exception("the pymfe comparison failed")
                table = None
                md += [f"The pymfe comparison failed: `{type(exc).__name__}: {exc}`.", ""]
        if table is not None:
            table.to_csv(out / "pymfe.csv", index=False)
            md += [
                "Extraction time of the shared general, statistical and information-theory "
                "features (median of up to 3 runs after a warm-up, one thread each) and "
                "agreement of equivalent features; details in "
                "`benchmarks/metafeatures_vs_pymfe.py`.",
                "",
                markdown(table),
                "",
                f"Median time ratio pymfe / ours: {table['ratio'].median():.1f}.",
                "",
            ]
        clock.stop("meta-features vs pymfe", started)
    clock.stop("total", total)
    head = [
        f"# autometa bench compare{' --quick' if settings.quick else ''}",
        "",
        f"Run {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC. Command: `{command}`",
        "",
        "## Environment",
        "",
        *env,
        "",
        "## Time",
        "",
        "| part | wall s | CPU s |",
        "|---|---:|---:|",
        *[f"| {name} | {w:.0f} | {c:.0f} |" for name, (w, c) in clock.parts.items()],
        "",
        "CPU time is this process's and its finished children's; on a machine shared with "
        "other work the wall time is longer than the CPU time, and the CPU time is what one "
        "free core would take.",
        "",
        "Settings: " + ", ".join(f"{k}={v}" for k, v in asdict(settings).items() if k != "extra"),
        "",
    ]
    report = out / "report.md"
    report.write_text("\n".join(head + md) + "\n", encoding="utf-8")
    return report


def settings_for(quick: bool, **overrides: Any) -> CompareSettings:
    """:data:`QUICK` or the full run's settings, with ``overrides`` (None values ignored)."""
    base = QUICK if quick else CompareSettings()
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})
