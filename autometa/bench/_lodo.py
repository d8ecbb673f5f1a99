"""Leave-one-family-out evaluation of meta-models by table look-up in the dense matrix.

For every family of near-duplicate datasets (``TaskData.families``), each method is fitted
on the other families only (every scaler, portfolio and network is fitted inside
``MetaModel.fit``, so nothing of the held-out family leaks), then, for each held-out
dataset, asked for configurations one trial at a time. A trial is a look-up of the
configuration's normalized score in the held-out row of the matrix; the regret after ``k``
trials is ``1 - max`` of the normalized scores of the first ``k`` (1 = the best
configuration of the pool, 0 = the worst; never-evaluated cells count as 0 like failed
runs).

- Static models (those that do not override :meth:`MetaModel.rank`) are asked once; the
  first ``k`` of their order are the first ``k`` trials.
- Adaptive models are asked again after each trial with ``observed``, the raw metric values
  of the trials so far oriented so that larger is better (NaN for a failed or
  never-evaluated configuration).
- Random search draws a uniformly random order, seeded by the seed and the dataset.

Seeds: a method whose model class sets ``deterministic = True`` (the baselines) is run once
and its result counts for every seed (its rows are repeated, so every method has the same
number of rows); other methods and random search are run once per seed. With more than
``n_configs`` trials the regret stays at its value after the whole pool (0).
"""

from __future__ import annotations

import logging
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa._exceptions import ModelError, ParameterError
from autometa._validation import check_positive_int
from autometa.models import MetaModel, TaskData

__all__ = [
    "DEFAULT_KS",
    "DEFAULT_METHODS",
    "LodoResult",
    "Method",
    "make_methods",
    "run_lodo",
]

logger = logging.getLogger(__name__)

DEFAULT_KS: tuple[int, ...] = (1, 3, 5, 10, 25, 50)
#: Methods evaluated when none are given; the torch models are skipped, with a warning,
#: while their classes are not registered.
DEFAULT_METHODS: tuple[str, ...] = (
    "random",
    "defaults",
    "sbs",
    "portfolio",
    "nearest",
    "nearest50",
    "surrogate",
    "prototypes",
    "maml",
    "portfolio3+surrogate",
    "portfolio3+maml",
)
#: The shipped ranker: the reference of the significance tests when it is among the methods.
REFERENCE = "maml"
RANDOM = "random"
_BLOCK_ALL = "all"


@dataclass(frozen=True)
class Method:
    """A method of the benchmark: a name and a factory of unfitted meta-models.

    Attributes
    ----------
    name : str
        The name in the results.
    make : callable or None
        ``make(seed) -> MetaModel``, a new unfitted model; None for random search.
    deterministic : bool
        Whether the result does not depend on the seed (run once for all seeds).
    """

    name: str
    make: Callable[[int], MetaModel] | None
    deterministic: bool = False


class _Registered:
    """``make(seed)`` for a registered model class (picklable, for joblib)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, seed: int) -> MetaModel:
        from autometa.models import model_class

        return model_class(self.name)(random_state=seed)


def make_methods(names: Iterable[str] | None = None, *, fit_once: bool = False) -> list[Method]:
    """The :class:`Method` of each name: ``"random"`` or a registered meta-model.

    Parameters
    ----------
    names : iterable of str, optional
        Default :data:`DEFAULT_METHODS`. ``"random"``, a registered meta-model, or a hybrid
        ``"portfolio<k0>+<model>"`` (the greedy portfolio's first ``k0`` configurations,
        then the model's order; see :class:`~autometa.bench.PortfolioHybrid`). Names of meta-models that are not registered
        (yet) are skipped with a warning when they are among the defaults, and are an error
        when asked for explicitly.
    fit_once : bool, default=False
        Fit every meta-model once per held-out family (with ``random_state=0``) and use
        that fit for every seed, as deterministic models are; only random search then
        varies with the seed. This divides the cost of the seeded (torch) models by the
        number of seeds, at the price of not measuring their variation over seeds.

    Raises
    ------
    ParameterError
        For an unknown name given explicitly, or an empty or duplicated list.
    """
    from autometa.bench._hybrid import HYBRID_PATTERN, hybrid_method
    from autometa.models import model_class, model_names

    explicit = names is not None
    names = list(DEFAULT_METHODS if names is None else names)
    known = [RANDOM, *model_names()]
    if not names:
        raise ParameterError(
            f"The 'methods' parameter of run_lodo must name at least one method of {known}. "
            "Got an empty list instead."
        )
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ParameterError(
            f"The 'methods' parameter of run_lodo must not repeat a method. Got {duplicated} "
            "more than once."
        )
    methods = []
    for name in names:
        if name == RANDOM:
            methods.append(Method(RANDOM, None, deterministic=False))
        elif name in model_names():
            klass = model_class(name)
            deterministic = fit_once or klass.deterministic
            methods.append(Method(name, _Registered(name), deterministic=deterministic))
        elif (match := HYBRID_PATTERN.match(name)) is not None and (
            explicit or match.group(2) in model_names()
        ):
            methods.append(hybrid_method(name, fit_once=fit_once))
        elif explicit:
            raise ParameterError(
                f"Unknown method '{name}' in the 'methods' parameter of run_lodo. Known "
                f"methods are: {', '.join(known)}, and hybrids 'portfolio<k0>+<model>'."
            )
        else:
            warnings.warn(
                f"The meta-model '{name}' is not registered in this installation; the "
                "benchmark skips it.",
                UserWarning,
                stacklevel=2,
            )
    return methods


# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LodoResult:
    """The result of :func:`run_lodo`.

    Attributes
    ----------
    curves : DataFrame
        One row per (method, task, held-out dataset, seed, k): columns ``method``,
        ``task``, ``dataset_id``, ``family``, ``seed``, ``k`` (1..k_max) and ``regret``
        (1 - the best normalized score of the first k trials).
    timings : DataFrame
        One row per fit: ``method``, ``task``, ``family``, ``seed``, ``fit_seconds`` and
        ``rank_seconds`` (all queries on the family's held-out datasets).
    methods : tuple of str
        The methods in the order given.
    metrics : dict
        Task -> the metric evaluated.
    seeds : tuple of int
    k_max : int
    """

    curves: pd.DataFrame
    timings: pd.DataFrame
    methods: tuple[str, ...]
    metrics: Mapping[str, str]
    seeds: tuple[int, ...]
    k_max: int
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def tasks(self) -> list[str]:
        return [t for t in ("classification", "regression") if t in set(self.curves["task"])]

    def _blocks(self) -> list[tuple[str, pd.DataFrame]]:
        blocks = [(t, self.curves.loc[self.curves["task"] == t]) for t in self.tasks]
        if len(blocks) > 1:
            blocks.append((_BLOCK_ALL, self.curves))
        return blocks

    def _check_ks(self, ks: Sequence[int]) -> list[int]:
        ks = list(ks)
        bad = [
            k for k in ks if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1
        ]
        if not ks or bad:
            raise ParameterError(
                "The 'ks' parameter of LodoResult must be a non-empty list of ints >= 1. "
                f"Got {bad or ks} instead."
            )
        kept = [int(k) for k in ks if k <= self.k_max]
        if not kept:
            raise ParameterError(
                f"The 'ks' parameter of LodoResult must hold a k <= k_max={self.k_max} (the "
                f"trials simulated). Got {ks} instead; rerun with a larger k_max."
            )
        return kept

    def table(self, ks: Sequence[int] = DEFAULT_KS) -> pd.DataFrame:
        """Per task (and pooled over tasks as ``"all"``) and method: regret, gap and rank.

        Parameters
        ----------
        ks : sequence of int, default=(1, 3, 5, 10, 25, 50)
            Numbers of trials to report (default :data:`DEFAULT_KS`); ``k`` larger than
            ``k_max`` are left out.

        Returns
        -------
        DataFrame
            Index (``task``, ``method``); columns ``regret@k`` (mean over held-out datasets
            and seeds), ``se@k`` (standard error over datasets of the per-dataset mean over
            seeds: seeds are repeated measurements of one dataset, not new datasets),
            ``closed_gap`` (of the first choice, ``(R_sbs - R) / R_sbs`` with ``R`` the mean
            regret at k = 1: a ratio of means, NaN without ``"sbs"`` or when its regret is
            0), ``rank@k`` (the method's rank among the methods on each dataset and seed,
            1 = lowest regret, ties averaged, then averaged) and ``n_datasets``.
        """
        ks = self._check_ks(ks)
        rows = []
        for block, frame in self._blocks():
            at = frame.loc[frame["k"].isin(ks)]
            first = frame.loc[frame["k"] == 1].groupby("method")["regret"].mean()
            sbs1 = first.get("sbs", np.nan)
            per_dataset = at.groupby(["method", "k", "task", "dataset_id"], sort=False)[
                "regret"
            ].mean()
            grouped = per_dataset.groupby(level=["method", "k"], sort=False)
            mean = grouped.mean()
            se = grouped.std(ddof=1) / np.sqrt(grouped.count())
            ranks = at.groupby(["task", "dataset_id", "seed", "k"], sort=False)["regret"].rank(
                method="average"
            )
            rank = ranks.groupby([at["method"], at["k"]]).mean()
            n = per_dataset.groupby(level="method").size() / len(ks)
            for method in self.methods:
                if method not in set(at["method"]):
                    continue
                row: dict[str, Any] = {"task": block, "method": method}
                for k in ks:
                    row[f"regret@{k}"] = float(mean.get((method, k), np.nan))
                    row[f"se@{k}"] = float(se.get((method, k), np.nan))
                m1 = first.get(method, np.nan)
                row["closed_gap"] = float((sbs1 - m1) / sbs1) if sbs1 > 0 else np.nan
                for k in ks:
                    row[f"rank@{k}"] = float(rank.get((method, k), np.nan))
                row["n_datasets"] = int(n.get(method, 0))
                rows.append(row)
        return pd.DataFrame(rows).set_index(["task", "method"])

    def per_dataset(self, k: int, block: str) -> pd.DataFrame:
        """Regret after ``k`` trials, one row per held-out dataset (mean over seeds), one
        column per method; ``block`` is a task or ``"all"`` (both tasks pooled)."""
        (k,) = self._check_ks([k])
        frame = dict(self._blocks()).get(block)
        if frame is None:
            raise ParameterError(
                f"The 'block' parameter must be one of {[b for b, _ in self._blocks()]}. Got "
                f"{block!r} instead."
            )
        at = frame.loc[frame["k"] == k]
        wide = at.groupby(["task", "dataset_id", "method"], sort=False)["regret"].mean()
        wide = wide.unstack("method")
        return wide[[m for m in self.methods if m in wide.columns]]

    def reference(self) -> str | None:
        """The method the others are tested against: the shipped ranker (``maml``) when
        it was evaluated, else the single best (``sbs``), else None."""
        for name in (REFERENCE, "sbs"):
            if name in self.methods:
                return name
        return None

    def significance(
        self, reference: str | None = None, ks: Sequence[int] = DEFAULT_KS
    ) -> pd.DataFrame:
        """Each method against ``reference``: mean regret difference and Wilcoxon p.

        Parameters
        ----------
        reference : str, optional
            Default :meth:`reference` (the shipped ranker when evaluated).
        ks : sequence of int

        Returns
        -------
        DataFrame
            Index (``task``, ``method``) for every method but the reference; columns
            ``diff@k`` (mean over datasets of the method's regret minus the reference's:
            negative = the method is better), ``p@k`` (two-sided Wilcoxon signed-rank
            p-value over datasets, each dataset's seeds averaged first; NaN when fewer than
            two datasets differ) and ``wins@k`` / ``losses@k`` (datasets where the method's
            regret is lower / higher).
        """
        from autometa.bench._stats import wilcoxon_p

        ks = self._check_ks(ks)
        reference = reference or self.reference()
        if reference is None or reference not in self.methods:
            raise ParameterError(
                f"The 'reference' parameter of LodoResult.significance must be one of the "
                f"methods {list(self.methods)}. Got {reference!r} instead."
            )
        rows = []
        for block, _ in self._blocks():
            wides = {k: self.per_dataset(k, block) for k in ks}
            for method in self.methods:
                if method == reference:
                    continue
                row: dict[str, Any] = {"task": block, "method": method}
                for k, wide in wides.items():
                    if method not in wide or reference not in wide:
                        continue
                    a, b = wide[method].to_numpy(), wide[reference].to_numpy()
                    row[f"diff@{k}"] = float(np.nanmean(a - b))
                    row[f"p@{k}"] = wilcoxon_p(a, b)
                    row[f"wins@{k}"] = int(np.sum(a < b))
                    row[f"losses@{k}"] = int(np.sum(a > b))
                rows.append(row)
        if not rows:
            return pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=["task", "method"]))
        return pd.DataFrame(rows).set_index(["task", "method"])

    def to_markdown(self, ks: Sequence[int] = DEFAULT_KS, reference: str | None = None) -> str:
        """The table as Markdown: one section per task and pooled, regret then rank, then
        each method against ``reference`` (default :meth:`reference`): mean difference of
        regret and Wilcoxon p."""
        reference = reference or self.reference()
        sig = self.significance(reference, ks) if reference is not None else None
        table = self.table(ks)
        ks = [int(c.split("@")[1]) for c in table.columns if c.startswith("regret@")]
        lines = []
        for block in table.index.get_level_values("task").unique():
            sub = table.loc[block]
            n = int(sub["n_datasets"].max())
            what = "both tasks pooled" if block == _BLOCK_ALL else block
            metric = "" if block == _BLOCK_ALL else f", {self.metrics.get(block, '?')}"
            lines.append(f"### {what} ({n} datasets{metric}, {len(self.seeds)} seeds)")
            lines.append("")
            head = ["method", *[f"regret@{k}" for k in ks], "closed gap@1"]
            head += [f"rank@{k}" for k in ks]
            lines.append("| " + " | ".join(head) + " |")
            lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
            for method, row in sub.iterrows():
                cells = [f"`{method}`"]
                cells += [f"{row[f'regret@{k}']:.4f} ± {row[f'se@{k}']:.4f}" for k in ks]
                gap = row["closed_gap"]
                cells.append("—" if pd.isna(gap) else f"{gap:.3f}")
                cells += [f"{row[f'rank@{k}']:.2f}" for k in ks]
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
            if sig is not None and block in sig.index.get_level_values("task"):
                lines += _significance_lines(sig.loc[block], reference, ks)
        return "\n".join(lines)

    def plot(self, path: str | Path) -> Path:
        """Save a PNG of mean regret against k (log scale), one panel per task and pooled.

        Each method is a line with its standard error (over datasets) shaded.
        """
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        blocks = self._blocks()
        fig, axes = plt.subplots(1, len(blocks), figsize=(5.5 * len(blocks), 4.2), squeeze=False)
        for ax, (block, frame) in zip(axes[0], blocks):
            per_dataset = frame.groupby(["method", "k", "task", "dataset_id"], sort=False)[
                "regret"
            ].mean()
            grouped = per_dataset.groupby(level=["method", "k"], sort=False)
            mean, se = grouped.mean(), grouped.std(ddof=1) / np.sqrt(grouped.count())
            for method in self.methods:
                if method not in mean.index.get_level_values("method"):
                    continue
                m, s = mean.loc[method].sort_index(), se.loc[method].sort_index().fillna(0.0)
                (line,) = ax.plot(m.index, m.to_numpy(), label=method, lw=1.6)
                ax.fill_between(
                    m.index,
                    (m - s).to_numpy(),
                    (m + s).to_numpy(),
                    color=line.get_color(),
                    alpha=0.2,
                )
            ax.set_xscale("log")
            ax.set_xlabel("trials k")
            ax.set_ylabel("mean regret (1 - best normalized score)")
            title = "both tasks" if block == _BLOCK_ALL else block
            ax.set_title(f"{title}: leave one family out")
            ax.grid(True, which="both", alpha=0.3)
        axes[0][0].legend(fontsize="small")
        fig.tight_layout()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


def _significance_lines(sig: pd.DataFrame, reference: str | None, ks: Sequence[int]) -> list[str]:
    lines = [
        f"Against `{reference}`: mean regret difference (method - `{reference}`; negative = "
        "the method is better), wins/losses over datasets and the two-sided Wilcoxon "
        "signed-rank p (seeds averaged per dataset; * p < 0.05).",
        "",
        "| method | " + " | ".join(f"Δ@{k} (w/l, p)" for k in ks) + " |",
        "|---|" + "---:|" * len(ks),
    ]
    for method, row in sig.iterrows():
        cells = [f"`{method}`"]
        for k in ks:
            if pd.isna(row.get(f"diff@{k}", np.nan)):
                cells.append("—")
                continue
            p = row[f"p@{k}"]
            star = "*" if p < 0.05 else ""
            ptext = "—" if pd.isna(p) else f"{p:.2g}{star}"
            cells.append(
                f"{row[f'diff@{k}']:+.4f} ({int(row[f'wins@{k}'])}/{int(row[f'losses@{k}'])}, "
                f"{ptext})"
            )
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines


# ------------------------------------------------------------------------------------------
def _orientation(metric: str) -> float:
    from autometa.kb import METRICS

    m = METRICS.get(metric)
    return 1.0 if m is None or m.greater_is_better else -1.0


def _random_order(n: int, seed: int, dataset_id: str) -> np.ndarray:
    rng = np.random.default_rng([seed, zlib.crc32(dataset_id.encode())])
    return rng.permutation(n)


def _is_adaptive(model: MetaModel) -> bool:
    return type(model).rank is not MetaModel.rank


def _trials(
    model: MetaModel,
    name: str,
    metafeatures: pd.Series,
    raw: np.ndarray,
    position: Mapping[str, int],
    config_ids: Sequence[str],
    n_trials: int,
) -> np.ndarray:
    """Positions of the configurations tried, in order, for one held-out dataset."""
    if not _is_adaptive(model):
        order = model.rank(metafeatures)[:n_trials]
        chosen = [position.get(c, -1) for c in order]
        if -1 in chosen or len(set(chosen)) != len(chosen) or len(chosen) < n_trials:
            raise ModelError(
                f"The '{name}' meta-model's rank must return distinct configuration ids of "
                f"the pool ({len(config_ids)} configurations). Got {len(chosen)} ids, "
                f"{chosen.count(-1)} unknown and {len(chosen) - len(set(chosen))} repeated."
            )
        return np.array(chosen, dtype=np.int64)
    observed: dict[str, float] = {}
    chosen = []
    for _ in range(n_trials):
        order = model.rank(metafeatures, dict(observed))
        first = order[0] if order else None
        if first is None or first not in position or first in observed:
            raise ModelError(
                f"The '{name}' meta-model's rank must return configuration ids of the pool "
                f"not yet observed. Got {first!r} after {len(observed)} observed trials."
            )
        j = position[first]
        observed[first] = float(raw[j])
        chosen.append(j)
    return np.array(chosen, dtype=np.int64)


def _family_job(
    data: TaskData,
    family: str,
    methods: Sequence[Method],
    seeds: Sequence[int],
    k_max: int,
) -> tuple[list[tuple[str, str, int, np.ndarray]], list[dict[str, Any]]]:
    """Fit every method without ``family`` and simulate its held-out datasets."""
    held = [d for d in data.dataset_ids if data.families.loc[d] == family]
    train = data.without(held)
    held = [d for d in held if data.scores.loc[d].notna().any()]
    config_ids = data.config_ids
    position = {c: i for i, c in enumerate(config_ids)}
    n_trials = min(k_max, len(config_ids))
    sign = _orientation(data.metric)
    curves: list[tuple[str, str, int, np.ndarray]] = []
    timings: list[dict[str, Any]] = []
    if not held:
        return curves, timings

    def regret_curve(d: str, chosen: np.ndarray) -> np.ndarray:
        scores = np.nan_to_num(data.scores.loc[d].to_numpy(dtype=np.float64), nan=0.0)
        best = np.maximum.accumulate(scores[chosen])
        curve = np.empty(k_max)
        curve[: len(best)] = 1.0 - best
        curve[len(best) :] = 1.0 - best[-1]
        return np.clip(curve, 0.0, 1.0)

    fitted: dict[tuple[str, int], MetaModel] = {}
    for method in methods:
        run_seeds = seeds[:1] if method.deterministic else seeds
        for seed in run_seeds:
            t0 = time.perf_counter()
            model = None
            if method.make is not None:
                if train.scores.shape[0] == 0:
                    raise ModelError(
                        f"Holding out the family '{family}' leaves no {data.task} dataset to "
                        "fit on. Leave-one-family-out needs datasets of at least two families."
                    )
                model = _fit_method(method, seed, train, fitted)
            t1 = time.perf_counter()
            for d in held:
                if model is None:
                    chosen = _random_order(len(config_ids), seed, d)[:n_trials]
                else:
                    raw = sign * data.raw.loc[d].to_numpy(dtype=np.float64)
                    chosen = _trials(
                        model,
                        method.name,
                        data.metafeatures.loc[d],
                        raw,
                        position,
                        config_ids,
                        n_trials,
                    )
                curve = regret_curve(d, chosen)
                for s in seeds if method.deterministic else (seed,):
                    curves.append((method.name, d, s, curve))
            timings.append(
                {
                    "method": method.name,
                    "task": data.task,
                    "family": family,
                    "seed": seed,
                    "fit_seconds": t1 - t0,
                    "rank_seconds": time.perf_counter() - t1,
                }
            )
    return curves, timings


def _fit_method(
    method: Method, seed: int, train: TaskData, fitted: dict[tuple[str, int], MetaModel]
) -> MetaModel:
    """Fit ``method`` on ``train``; a hybrid reuses its inner model when already fitted
    (same class, same seed) for this held-out family instead of fitting it again."""
    from autometa.bench._hybrid import PortfolioHybrid, _HybridFactory

    factory = method.make
    assert factory is not None
    if isinstance(factory, _HybridFactory):
        inner = fitted.get((factory.inner, seed))
        if inner is not None:
            return PortfolioHybrid.from_fitted(inner, train, k0=factory.k0)
    model = factory(seed).fit(train)
    if isinstance(factory, _Registered):
        fitted[(factory.name, seed)] = model
    if isinstance(model, PortfolioHybrid):
        fitted.setdefault((factory.inner, seed), model.inner_)  # type: ignore[attr-defined]
    return model


def _task_datas(data: Any, metric: str | None, tasks: Sequence[str] | None) -> list[TaskData]:
    from autometa.kb import DEFAULT_METRIC, METRICS, KnowledgeBase

    if isinstance(data, TaskData):
        return [data]
    if isinstance(data, Sequence) and data and all(isinstance(d, TaskData) for d in data):
        return list(data)
    if not isinstance(data, KnowledgeBase):
        raise ParameterError(
            "The 'data' parameter of run_lodo must be a KnowledgeBase, a TaskData or a list "
            f"of TaskData. Got {type(data).__name__} instead."
        )
    if metric is not None and metric not in METRICS:
        raise ParameterError(
            f"The 'metric' parameter of run_lodo must be one of {list(METRICS)} or None. "
            f"Got {metric!r} instead."
        )
    available = [t for t in DEFAULT_METRIC if t in set(data.datasets["task"])]
    if tasks is None:
        tasks = [METRICS[metric].task] if metric is not None else available
    out = []
    for task in tasks:
        if task not in DEFAULT_METRIC:
            raise ParameterError(
                f"The 'tasks' parameter of run_lodo must hold tasks of {list(DEFAULT_METRIC)}. "
                f"Got {task!r} instead."
            )
        if task not in available:
            raise ParameterError(
                f"The knowledge base has no {task} dataset. Its tasks are {available}."
            )
        m = metric if metric is not None and METRICS[metric].task == task else None
        out.append(TaskData.from_kb(data, task, m))
    return out


def run_lodo(
    data: Any = None,
    *,
    methods: Iterable[str | Method] | None = None,
    metric: str | None = None,
    tasks: Sequence[str] | None = None,
    seeds: int = 5,
    k_max: int = 50,
    n_jobs: int = 1,
    min_coverage: float = 0.5,
    progress: bool = False,
    max_families: int | None = None,
) -> LodoResult:
    """Evaluate meta-models leaving one family of datasets out at a time.

    Parameters
    ----------
    data : KnowledgeBase, TaskData or list of TaskData, optional
        Default: :meth:`KnowledgeBase.default`. Each task of a knowledge base is evaluated
        separately.
    methods : list of str or of Method, optional
        Names (``"random"`` or registered meta-models; default :data:`DEFAULT_METHODS`,
        skipping unregistered ones with a warning) or :class:`Method` objects.
    metric : str, optional
        The metric of the task it belongs to (the other task keeps its default); with
        ``tasks=None`` only that task is evaluated. Default: ``balanced_accuracy`` for
        classification, ``r2`` for regression.
    tasks : list of str, optional
        Tasks of the knowledge base to evaluate (default: all, or the metric's).
    seeds : int, default=5
        Seeds ``0 .. seeds - 1`` of random search and non-deterministic models.
    k_max : int, default=50
        Trials simulated per held-out dataset.
    n_jobs : int, default=1
        Families evaluated in parallel (joblib; -1 for all cores).
    min_coverage : float, default=0.5
        Datasets with fewer than this share of the pool evaluated (run, failed or timed
        out; never-evaluated cells would count as the worst score) are left out of both
        fitting and evaluation, with a warning. It matters for knowledge bases still being
        built; the default knowledge base is dense.
    progress : bool, default=False
        Show a progress bar over families on stderr.
    max_families : int, optional
        Evaluate only this many held-out families per task, drawn at random (seed 0; the
        same for every method). Every method is still fitted without each held-out family
        on all the others. Default: every family.

    Returns
    -------
    LodoResult

    Examples
    --------
    >>> from autometa.bench import run_lodo
    >>> result = run_lodo(kb, methods=["random", "sbs", "portfolio"], seeds=3)  # doctest: +SKIP
    >>> print(result.to_markdown())  # doctest: +SKIP
    """
    from joblib import Parallel, delayed

    seeds = check_positive_int(seeds, "seeds", "run_lodo")
    k_max = check_positive_int(k_max, "k_max", "run_lodo")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
        raise ParameterError(
            f"The 'n_jobs' parameter of run_lodo must be a non-zero int. Got {n_jobs!r} instead."
        )
    if data is None:
        from autometa.kb import KnowledgeBase

        data = KnowledgeBase.default()
    if (
        isinstance(min_coverage, bool)
        or not isinstance(min_coverage, (int, float))
        or not (0.0 <= min_coverage <= 1.0)
    ):
        raise ParameterError(
            "The 'min_coverage' parameter of run_lodo must be a float in [0, 1]. Got "
            f"{min_coverage!r} instead."
        )
    datas = []
    for d in _task_datas(data, metric, tasks):
        d = _drop_sparse(d, float(min_coverage))
        n_families = d.families.nunique()
        if n_families >= 2:
            datas.append(d)
            continue
        message = (
            f"Leave-one-family-out needs {d.task} datasets of at least two families. Got "
            f"{n_families} instead."
        )
        if tasks is not None or isinstance(data, TaskData):
            raise ParameterError(message)
        warnings.warn(f"{message} The {d.task} task is skipped.", UserWarning, stacklevel=2)
    if not datas:
        raise ParameterError(
            "Leave-one-family-out needs datasets of at least two families in some task; the "
            "knowledge base has none. Add datasets of other families."
        )
    method_list = _resolve_methods(methods)
    seed_list = list(range(seeds))
    if max_families is not None:
        max_families = check_positive_int(max_families, "max_families", "run_lodo")
    jobs = [(d, fam) for d in datas for fam in _held_out_families(d, max_families)]
    logger.info(
        "leave-one-family-out: %d tasks, %d families, methods %s, %d seeds, k_max %d",
        len(datas),
        len(jobs),
        [m.name for m in method_list],
        seeds,
        k_max,
    )
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    results = parallel(
        delayed(_family_job)(d, fam, method_list, seed_list, k_max) for d, fam in jobs
    )
    bar = None
    if progress:
        import sys

        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), unit="family", file=sys.stderr)
    t0 = time.perf_counter()
    records: list[tuple[str, str, str, str, int, np.ndarray]] = []
    timings: list[dict[str, Any]] = []
    for (d, fam), (curves, times) in zip(jobs, results):
        records += [(m, d.task, ds, fam, s, c) for m, ds, s, c in curves]
        timings += times
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - t0
    logger.info("leave-one-family-out done in %.1f s", elapsed)
    curves_frame = _long_frame(records, k_max)
    return LodoResult(
        curves=curves_frame,
        timings=pd.DataFrame(
            timings, columns=["method", "task", "family", "seed", "fit_seconds", "rank_seconds"]
        ),
        methods=tuple(m.name for m in method_list),
        metrics={d.task: d.metric for d in datas},
        seeds=tuple(seed_list),
        k_max=k_max,
        settings={
            "n_jobs": n_jobs,
            "seconds": elapsed,
            "n_families": len(jobs),
            "max_families": max_families,
        },
    )


def _held_out_families(data: TaskData, max_families: int | None) -> list[str]:
    families = sorted(pd.unique(data.families.astype(str)).tolist())
    if max_families is None or len(families) <= max_families:
        return families
    rng = np.random.default_rng(0)
    return sorted(rng.choice(families, size=max_families, replace=False).tolist())


def _drop_sparse(data: TaskData, min_coverage: float) -> TaskData:
    coverage = data.scores.notna().mean(axis=1)
    sparse = list(coverage.index[coverage < min_coverage])
    if not sparse:
        return data
    shown = ", ".join(f"{d} ({coverage[d]:.0%})" for d in sparse[:5])
    more = f" and {len(sparse) - 5} more" if len(sparse) > 5 else ""
    warnings.warn(
        f"{len(sparse)} {data.task} dataset(s) have fewer than {min_coverage:.0%} of the "
        f"{data.scores.shape[1]} configurations evaluated and are left out: {shown}{more}.",
        UserWarning,
        stacklevel=3,
    )
    return data.without(sparse)


def _resolve_methods(methods: Iterable[str | Method] | None) -> list[Method]:
    if methods is None:
        return make_methods(None)
    items = list(methods)
    names = [m for m in items if not isinstance(m, Method)]
    made = iter(make_methods(names) if names else [])
    out = [m if isinstance(m, Method) else next(made) for m in items]
    if not out:
        raise ParameterError(
            "The 'methods' parameter of run_lodo must name at least one method. Got an "
            "empty list instead."
        )
    repeated = sorted({m.name for m in out if [x.name for x in out].count(m.name) > 1})
    if repeated:
        raise ParameterError(
            f"The 'methods' parameter of run_lodo must not repeat a method. Got {repeated} "
            "more than once."
        )
    return out


def _long_frame(
    records: Sequence[tuple[str, str, str, str, int, np.ndarray]], k_max: int
) -> pd.DataFrame:
    n = len(records)
    if n == 0:
        values = np.empty((0, k_max))
    else:
        values = np.vstack([r[5] for r in records])

    def col(i: int) -> np.ndarray:
        return np.repeat(np.array([r[i] for r in records], dtype=object), k_max)

    return pd.DataFrame(
        {
            "method": pd.Series(col(0), dtype="str"),
            "task": pd.Series(col(1), dtype="str"),
            "dataset_id": pd.Series(col(2), dtype="str"),
            "family": pd.Series(col(3), dtype="str"),
            "seed": np.repeat(np.array([r[4] for r in records], dtype=np.int64), k_max),
            "k": np.tile(np.arange(1, k_max + 1, dtype=np.int64), n),
            "regret": values.reshape(-1),
        }
    )
