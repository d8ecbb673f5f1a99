"""The result of :func:`autometa.recommend`: a ranked, explained list of configurations."""

from __future__ import annotations

import functools
import html
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from autometa._deprecation import renamed_attribute, renamed_in_state, renamed_keyword
from autometa._exceptions import ParameterError
from autometa.learners import Configuration
from autometa.recommend._cost import MIN_SECONDS, TIE_TOLERANCE

__all__ = ["Recommendation", "SCORE_SCALE"]

#: How the predicted scores are to be read (repeated in docstrings and ``explain()``; what
#: the interval is depends on the model: :meth:`Recommendation.interval_text`).
SCORE_SCALE = (
    "Scores are normalized per dataset: 1 = the best configuration of the knowledge base's "
    "pool on similar datasets, 0 = the worst."
)

#: Name and meaning of the column with the neighbours' raw metric values.
METRIC_ON_SIMILAR = "metric_on_similar_datasets"

_FRAME_COLUMNS = (
    "rank",
    "learner",
    "params",
    "score",
    "score_low",
    "score_high",
    "unsure",
    "metric_on_similar_datasets",
    "fit_time",
    "nearest_datasets",
    "ood",
    "config_id",
)


def _fmt(value: float, digits: int = 3) -> str:
    return "nan" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


def _params_text(params: dict[str, Any], limit: int = 4) -> str:
    items = [f"{k}={v!r}" for k, v in params.items()]
    more = ", ..." if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


@dataclass(frozen=True, eq=False)
class Recommendation:
    """Ranked configurations for one dataset, with predicted scores and the reasons.

    Made by :func:`autometa.recommend` (and kept by the estimators as
    ``recommendation_``); not meant to be built by hand.

    Attributes
    ----------
    task : str
        ``"classification"`` or ``"regression"``.
    metric : str
        The metric the scores refer to (see ``autometa.kb.METRICS``).
    metafeatures : Series
        The meta-features of the dataset (NaN where undefined). ``meta_features`` is its
        deprecated old name (it warns; removed in autometa 0.3).
    table : DataFrame
        One row per recommended configuration, best first: ``fit_time`` (the predicted
        seconds of one single-threaded fit on all ``n_rows`` rows, from the cost model; NaN
        without one), ``rank`` (1-based),
        ``config_id``, ``learner``, ``params`` (dict), ``score`` (predicted normalized score),
        ``score_std`` (the model's spread: its ensemble's standard deviation, or the
        score's over the nearest datasets), ``score_low``, ``score_high`` (the interval:
        ``score +/- 1.96 score_std``, or the ranker's calibrated half-width, see
        :meth:`interval_text`), ``unsure`` (the
        interval is wider than half the score scale: the model cannot tell how good this
        configuration is), ``metric_on_similar_datasets`` (the mean raw metric value of that
        configuration on the nearest knowledge-base datasets, *not* a prediction for this
        dataset; NaN when unknown), ``neighbour_score`` (its mean normalized score there).
        The rows are ordered by ``score`` (see ``score_source``).
    neighbours : DataFrame
        The nearest knowledge-base datasets, nearest first: ``dataset_id``, ``name``,
        ``distance``, ``best_learner`` and ``best_metric`` (what won there and its raw metric
        value), ``top_score`` (the normalized score of the first recommendation there).
    ood_score : float
        How far the dataset is from the knowledge base: the distance to the nearest
        knowledge-base dataset in meta-feature space; above ``ood_threshold`` it is flagged.
    ood_threshold : float
        The threshold of ``ood_score``: the 95th percentile of the knowledge base's own
        datasets' distances to the nearest dataset of another family (calibrated when the
        models were trained), so about 5% of the knowledge base's datasets lie beyond it.
    is_ood : bool
        Whether the dataset is out of distribution (``ood_score > ood_threshold``).
    model_name : str
        The meta-model that ranked the configurations.
    score_source : str
        Where ``score`` and its interval come from: ``"model"`` (the ranker's calibrated
        prediction), ``"neighbours"`` (the ranker only orders; the score is the
        configuration's mean normalized score on the nearest datasets and the interval their
        spread) or ``"none"`` (no calibrated score is available: NaN).
    drivers : DataFrame
        The meta-features that set this dataset apart from the knowledge base: ``name``,
        ``value``, ``kb_median``, ``percentile`` (the share, in %, of the knowledge base's
        datasets with a smaller value), most extreme first.
    learner_probabilities : Series or None
        The probability that each learner holds the best configuration, most probable
        first. See ``learner_probabilities_source``.
    learner_probabilities_source : str
        ``"ranker"``: drawn from the shown scores and their spread, so they follow the
        ranking; ``"explainer"``: the prototype explainer's own (a separate model that
        predicts only the winning learner; :meth:`explain` says when it disagrees with the
        ranking); ``""`` when there are none.
    n_rows, n_features : int or None
        The shape of the data the recommendation was made for.
    time_budget : float or None
        Recommendations predicted to take longer to fit were left out.
    cost_ordered : bool
        Whether predicted fit times broke near-ties of the score (cheaper first).
    interval_calibration : IntervalCalibration or None
        The ranker's calibration of the shown interval
        (:class:`autometa.models._intervals.IntervalCalibration`: its nominal coverage
        and what it held on held-out families), or None: the interval is mean +/- 1.96
        std, not calibrated (see :meth:`interval_text`).
    random_state : int
        The seed given to the pipelines built by :meth:`pipeline`.

    Notes
    -----
    Scores are normalized per dataset: 1 = the best configuration of the knowledge base's
    pool on similar datasets, 0 = the worst (regret = 1 - score).

    Examples
    --------
    >>> import autometa
    >>> rec = autometa.recommend(df, target="y")  # doctest: +SKIP
    >>> rec.to_frame().head(3)  # doctest: +SKIP
    >>> pipe = rec.pipeline(0).fit(X, y)  # doctest: +SKIP
    """

    task: str
    metric: str
    metafeatures: pd.Series
    table: pd.DataFrame
    neighbours: pd.DataFrame
    ood_score: float
    ood_threshold: float
    is_ood: bool
    model_name: str
    score_source: str = "model"
    drivers: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["name", "value", "kb_median", "percentile"])
    )
    learner_probabilities: pd.Series | None = None
    learner_probabilities_source: str = ""
    n_rows: int | None = None
    n_features: int | None = None
    random_state: int = 0
    time_budget: float | None = None
    cost_ordered: bool = False
    interval_calibration: Any = None

    meta_features = renamed_attribute("meta_features", "metafeatures")

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(renamed_in_state(state, "meta_features", "metafeatures"))

    # -- sequence protocol --------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, i: int) -> Configuration:
        """The ``i``-th recommended :class:`~autometa.learners.Configuration` (0 = best)."""
        n = len(self.table)
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"Recommendation indices must be integers. Got {i!r} instead.")
        if not -n <= i < n:
            raise IndexError(f"Recommendation index {i} out of range: it holds {n} rows.")
        row = self.table.iloc[int(i)]
        return Configuration(str(row["learner"]), dict(row["params"]))

    def __iter__(self) -> Iterator[Configuration]:
        for i in range(len(self)):
            yield self[i]

    @property
    def configurations(self) -> list[Configuration]:
        """The recommended configurations, best first."""
        return list(self)

    @property
    def best(self) -> Configuration:
        """The first recommendation."""
        return self[0]

    # -- outputs ------------------------------------------------------------------------------
    def pipeline(self, i: int = 0, *, random_state: int | None = None) -> Any:
        """A ready-to-fit scikit-learn ``Pipeline`` (preprocessing + model) of row ``i``.

        Parameters
        ----------
        i : int, default=0
            The row (0 = the best recommendation; negative indices count from the end).
        random_state : int or None, default=None
            Seed of the model; None uses the recommendation's ``random_state``.

        Returns
        -------
        Pipeline
            ``Pipeline([("preprocess", TabularPreprocessor), ("model", estimator)])``; the
            preprocessing accepts raw DataFrames (strings, categoricals, missing values).
        """
        n = len(self.table)
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -n <= i < n:
            raise ParameterError(
                f"The 'i' parameter of Recommendation.pipeline must be an int in "
                f"[{-n}, {n - 1}]. Got {i!r} instead."
            )
        seed = self.random_state if random_state is None else random_state
        return self[int(i)].make_pipeline(random_state=seed)

    def nearest_text(self, k: int = 3) -> str:
        """``"name (distance), ..."`` of the ``k`` nearest knowledge-base datasets."""
        rows = self.neighbours.head(k)
        return ", ".join(
            f"{r['name']} ({_fmt(float(r['distance']), 2)})" for _, r in rows.iterrows()
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per recommendation, best first.

        Columns: ``rank``, ``learner``, ``params`` (dict), ``score``, ``score_low``,
        ``score_high`` (predicted normalized score and interval, see :data:`SCORE_SCALE`),
        ``unsure`` (the interval spans more than half the scale),
        ``metric_on_similar_datasets`` (the configuration's mean raw metric value on the
        nearest knowledge-base datasets, not a prediction for this dataset),
        ``fit_time`` (predicted seconds of one fit on all the data, single-threaded; NaN
        without a cost model), ``nearest_datasets`` (the three nearest datasets with their
        distances), ``ood`` (the out-of-distribution flag) and ``config_id``.
        """
        frame = self.table.copy()
        frame["nearest_datasets"] = self.nearest_text()
        frame["ood"] = bool(self.is_ood)
        frame["params"] = [dict(p) for p in frame["params"]]
        return frame[list(_FRAME_COLUMNS)].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable summary (what ``autometa recommend --format json`` prints)."""

        def clean(v: Any) -> Any:
            if isinstance(v, (float, np.floating)):
                return None if not math.isfinite(float(v)) else float(v)
            if isinstance(v, (np.integer,)):
                return int(v)
            if isinstance(v, (np.bool_,)):
                return bool(v)
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            return v

        rows = [{k: clean(v) for k, v in row.items()} for row in self.to_frame().to_dict("records")]
        neighbours = [
            {k: clean(v) for k, v in row.items()} for row in self.neighbours.to_dict("records")
        ]
        return {
            "task": self.task,
            "metric": self.metric,
            "model": self.model_name,
            "score_source": self.score_source,
            "ordered_by": self.order_text(),
            "interval": self._interval_dict(),
            "uncertainty": self.uncertainty_text(),
            "learner_probabilities": (
                {str(k): clean(v) for k, v in self.learner_probabilities.items()}
                if self.learner_probabilities is not None
                else None
            ),
            "learner_probabilities_source": self.learner_probabilities_source or None,
            "ood": bool(self.is_ood),
            "ood_score": clean(self.ood_score),
            "ood_threshold": clean(self.ood_threshold),
            "recommendations": rows,
            "neighbours": neighbours,
            "drivers": [
                {k: clean(v) for k, v in row.items()} for row in self.drivers.to_dict("records")
            ],
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as JSON text (``kwargs`` go to :func:`json.dumps`)."""
        return json.dumps(self.to_dict(), default=str, **kwargs)

    # -- explanations ---------------------------------------------------------------------
    def explain(self, n: int = 3) -> str:
        """Why these recommendations, in words.

        Says which meta-model ranked the configurations, the first ``n`` recommendations
        with their predicted normalized score and interval (and what that scale means), the
        nearest knowledge-base datasets (their distance, what won there and how the first
        recommendation did there), the meta-features that set this dataset apart from the
        knowledge base, and whether it is out of distribution.
        """
        shape = (
            f" ({self.n_rows} rows, {self.n_features} features)" if self.n_rows is not None else ""
        )
        lines = [
            f"Recommendations for a {self.task} dataset{shape}, metric {self.metric}, "
            f"from the '{self.model_name}' meta-model.",
        ]
        if self.score_source in ("model", "neighbours"):
            lines.append(f"{SCORE_SCALE} {self.interval_text()}")
        else:
            lines.append(
                f"The '{self.model_name}' model only orders configurations and no knowledge "
                "base is available to estimate scores: the scores are unknown (NaN)."
            )
        lines.append(self.order_text())
        lines.append("")
        for _, row in self.table.head(n).iterrows():
            similar = (
                f"; mean {self.metric} {_fmt(row['metric_on_similar_datasets'])} on the nearest "
                "datasets (not a prediction for this one)"
                if math.isfinite(float(row["metric_on_similar_datasets"]))
                else ""
            )
            unsure = " (unsure)" if bool(row.get("unsure", False)) else ""
            lines.append(
                f"{int(row['rank'])}. {row['learner']}({_params_text(dict(row['params']))}): "
                f"{'predicted' if self.score_source == 'model' else 'score'} "
                f"{_fmt(row['score'])} [{_fmt(row['score_low'])}, "
                f"{_fmt(row['score_high'])}]{unsure}{similar}"
            )
        words = self.uncertainty_text()
        if words:
            lines.append(words)
        lines += self._probability_lines()
        if len(self.neighbours):
            lines += ["", "Nearest datasets of the knowledge base (smaller distance = more alike):"]
            for _, r in self.neighbours.iterrows():
                won = (
                    f"; best there: {r['best_learner']} ({self.metric} {_fmt(r['best_metric'])})"
                    if isinstance(r.get("best_learner"), str) and r["best_learner"]
                    else ""
                )
                top = (
                    f"; #1 scored {_fmt(r['top_score'], 2)} there"
                    if math.isfinite(float(r.get("top_score", np.nan)))
                    else ""
                )
                lines.append(f"  {r['name']} (distance {_fmt(float(r['distance']), 3)}){won}{top}")
        if len(self.drivers):
            lines += [
                "",
                "Meta-features that set this dataset apart from the knowledge base:",
            ]
            for _, r in self.drivers.iterrows():
                lines.append(
                    f"  {r['name']} = {_fmt(r['value'], 4)} (knowledge-base median "
                    f"{_fmt(r['kb_median'], 4)}; {percentile_words(float(r['percentile']))})"
                )
        lines.append("")
        lines.append(self.ood_text())
        return "\n".join(lines)

    def order_text(self) -> str:
        """What orders the list, in words."""
        if self.score_source == "model":
            text = f"Ordered by the score the '{self.model_name}' meta-model predicts"
        elif self.score_source == "neighbours":
            text = (
                "Ordered by the score: each configuration's mean normalized score on the "
                f"nearest datasets (the '{self.model_name}' model gives no scores of its own)"
            )
        else:
            return f"Ordered by the '{self.model_name}' model (no scores are available)."
        if self.cost_ordered:
            text += (
                f"; of scores within {TIE_TOLERANCE} of each other, one predicted to fit at "
                f"least twice as fast goes first when the other takes over {MIN_SECONDS:g} s"
            )
        if self.time_budget is not None:
            text += f"; only those predicted to fit within {self.time_budget:g} s"
        return text + "."

    def interval_text(self) -> str:
        """What the interval ``[score_low, score_high]`` is, in words: calibrated (its
        nominal coverage and what it held on held-out families) or not ("" without scores)."""
        cal = self.interval_calibration
        if self.score_source == "model" and cal is not None:
            return f"The interval is {cal.describe()}; it is clipped to [0, 1]."
        if self.score_source == "model":
            return (
                "The interval is mean +/- 1.96 std of the model's ensemble, clipped to [0, 1]: "
                "how much its members disagree; its coverage is not calibrated."
            )
        if self.score_source == "neighbours":
            return (
                "The interval is mean +/- 1.96 std of the score over the nearest datasets, "
                "clipped to [0, 1]; its coverage is not calibrated."
            )
        return ""

    def interval_short(self) -> str:
        """:meth:`interval_text` in a few words (the command line's footer)."""
        cal = self.interval_calibration
        if self.score_source == "model" and cal is not None:
            return (
                f"interval: {cal.nominal:.0%}, calibrated on held-out families (held "
                f"{cal.coverage:.0%} of their scores, {cal.coverage_top:.0%} of the top "
                f"{cal.top})"
            )
        return "interval mean +/- 1.96 std (not calibrated)"

    def _interval_dict(self) -> dict[str, Any] | None:
        if self.score_source == "none":
            return None
        cal = self.interval_calibration
        calibrated = self.score_source == "model" and cal is not None
        return {
            "calibrated": calibrated,
            "text": self.interval_text(),
            "calibration": cal.to_dict() if calibrated else None,
        }

    def uncertainty_text(self) -> str:
        """Where the scores cannot tell configurations apart, in words ("" if nowhere)."""
        table = self.table
        if not len(table) or "unsure" not in table or table["score_low"].isna().all():
            return ""
        n_unsure = int(table["unsure"].sum())
        parts = []
        if n_unsure:
            which = "all" if n_unsure == len(table) else f"{n_unsure} of the {len(table)}"
            parts.append(
                f"The model is unsure about {which} recommendations: their intervals span "
                "more than half the score scale, so how well they will do is not known."
            )
        low0 = float(table["score_low"].iloc[0])
        tied = int((table["score_high"].iloc[1:] >= low0).sum()) if len(table) > 1 else 0
        if tied and math.isfinite(low0):
            parts.append(
                f"{tied} of the other {len(table) - 1} intervals overlap that of #1: the order "
                "among them is uncertain; try several."
            )
        return " ".join(parts)

    def _probability_lines(self) -> list[str]:
        probs = self.learner_probabilities
        if probs is None or not len(probs):
            return []
        top = probs.sort_values(ascending=False, kind="stable").head(3)
        text = ", ".join(f"{k} {v:.0%}" for k, v in top.items())
        if self.learner_probabilities_source == "ranker":
            source = (
                "their spread among the ensemble's members (narrower than the calibrated "
                "intervals above, which hold for one configuration at a time)"
                if self.interval_calibration is not None and self.score_source == "model"
                else "their intervals above"
            )
            line = (
                "Probability that each learner's best configuration is the best, from the "
                f"scores and {source}: {text}."
            )
            if len(self.table) and self.cost_ordered:
                first = self.table.iloc[0]
                best = self.table.loc[self.table["score"].idxmax()]
                if str(first["learner"]) != str(best["learner"]):
                    line += (
                        f" {first['learner']} comes first although {best['learner']} scores "
                        f"{float(best['score']) - float(first['score']):.3f} higher: within "
                        f"{TIE_TOLERANCE}, the configuration predicted to fit faster goes "
                        f"first ({_fmt(float(first['fit_time']), 2)} s against "
                        f"{_fmt(float(best['fit_time']), 2)} s)."
                    )
            return [line]
        first = str(self.table["learner"].iloc[0]) if len(self.table) else ""
        line = (
            "The prototype explainer's probability that each learner is the best (a separate "
            f"model that looks only at which learner won on similar datasets): {text}."
        )
        if first and str(top.index[0]) != first:
            line += (
                f" It disagrees with the ranking's first choice ({first}): the ranker scores "
                "every configuration, the explainer only which learner's best configuration "
                "won; the order above is the ranker's."
            )
        return [line]

    def ood_text(self) -> str:
        """The out-of-distribution verdict with its numbers, in words."""
        if not math.isfinite(self.ood_score):
            return "Out-of-distribution check unavailable (no knowledge base to compare with)."
        distance = (
            f"distance to the nearest knowledge-base dataset {_fmt(self.ood_score)}; threshold "
            f"{_fmt(self.ood_threshold)}, which 95% of the knowledge base's datasets stay under "
            "when compared with the other families"
        )
        if self.is_ood:
            return (
                f"WARNING: this dataset is out of distribution ({distance}). It is unlike the "
                "knowledge base's datasets, so treat the recommendations as a starting point "
                "and validate them (e.g. MetaClassifier(n_candidates=5))."
            )
        return f"In distribution ({distance})."

    def plot(self, ax: Any = None) -> Any:
        """Draw the ranked scores with their intervals, the predicted fit times and neighbours.

        One horizontal bar per recommendation, best on top: its predicted normalized score
        with the interval as an error bar (the scale of :data:`SCORE_SCALE`), the
        predicted seconds of one fit on all the rows (log scale; only when the cost model
        gives them, column ``fit_time``), and the nearest knowledge-base datasets with their
        distances against the out-of-distribution threshold.

        Parameters
        ----------
        ax : matplotlib Axes, sequence of Axes, or None
            None: a new figure with a panel per part (scores; nearest datasets; fit time
            when known). One Axes: only the scores. A sequence: scores on the first,
            nearest datasets on the second, fit times on the third (if given).

        Returns
        -------
        matplotlib.figure.Figure
            The figure; its axes, in ``fig.axes`` order, carry the labels ``"scores"``,
            ``"neighbours"`` and ``"fit_time"`` (``ax.get_label()``) and are drawn left to
            right as scores, fit time, neighbours. Save it with ``fig.savefig(path)``.

        Examples
        --------
        >>> fig = rec.plot()  # doctest: +SKIP
        >>> fig.savefig("recommendation.png", dpi=100)  # doctest: +SKIP
        """
        import matplotlib.pyplot as plt

        table = self.table
        fit_time = (
            table["fit_time"].to_numpy(dtype=float)
            if "fit_time" in table
            else np.full(len(table), np.nan)
        )
        has_time = bool(len(table)) and bool(np.isfinite(fit_time).any())
        if ax is None:
            widths = (3.0, 1.6, 2.2) if has_time else (3.0, 2.2)
            fig: Any = plt.figure(figsize=(4.0 * sum(widths) / 2.2, 0.32 * max(len(self), 6) + 1.6))
            grid = fig.add_gridspec(1, len(widths), width_ratios=widths)
            # Added in the order scores, neighbours, fit time (fig.axes order), drawn left to
            # right as scores, fit time, neighbours.
            axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, len(widths) - 1])]
            if has_time:
                axes.append(fig.add_subplot(grid[0, 1], sharey=axes[0]))
        elif isinstance(ax, (list, tuple, np.ndarray)):
            axes = list(np.ravel(ax))
            fig = axes[0].figure
        else:
            axes = [ax]
            fig = ax.figure
        y = np.arange(len(table))[::-1]
        score = table["score"].to_numpy(dtype=float)
        low = np.clip(np.nan_to_num(score - table["score_low"].to_numpy(dtype=float)), 0, None)
        high = np.clip(np.nan_to_num(table["score_high"].to_numpy(dtype=float) - score), 0, None)
        labels = [f"{r}. {lrn}" for r, lrn in zip(table["rank"], table["learner"])]
        unsure = (
            table["unsure"].to_numpy(dtype=bool)
            if "unsure" in table
            else np.zeros(len(y), dtype=bool)
        )
        score_ax = axes[0]
        score_ax.set_label("scores")
        # One point per recommendation with its interval; unsure ones in grey. The axis is
        # zoomed onto the intervals (scores of a top list are close to each other), with 1,
        # the best of the pool, always in view.
        for flag, color, name in (
            (False, "C0", "predicted score and interval"),
            (True, "0.6", "unsure (interval wider than 0.5)"),
        ):
            keep = unsure == flag
            if keep.any():
                score_ax.errorbar(
                    score[keep],
                    y[keep],
                    xerr=[low[keep], high[keep]],
                    fmt="o",
                    capsize=3,
                    color=color,
                    label=name,
                )
        score_ax.set_yticks(y, labels)
        finite = np.concatenate([score - low, score + high])
        finite = finite[np.isfinite(finite)]
        left = max(0.0, float(finite.min()) - 0.05) if finite.size else 0.0
        # Predicted scores may exceed 1 (better than the best of the pool on similar data).
        right = max(1.01, float(np.nanmax(score)) + 0.01) if np.isfinite(score).any() else 1.01
        score_ax.set_xlim(left, right)
        score_ax.axvline(1.0, color="0.4", lw=0.8, linestyle=":")
        score_ax.set_xlabel(
            f"predicted normalized {self.metric}\n(1 = best of the pool, 0 = worst)"
        )
        title = f"Top {len(table)} for this {self.task} dataset"
        if unsure.any():
            score_ax.legend(loc="lower left", fontsize="small")
        score_ax.set_title(title + ("\nOUT OF DISTRIBUTION" if self.is_ood else ""))
        score_ax.grid(axis="x", alpha=0.3)
        if len(axes) > 1:
            nb = self.neighbours
            nb_ax = axes[1]
            nb_ax.set_label("neighbours")
            yy = np.arange(len(nb))[::-1]
            bars = nb_ax.barh(yy, nb["distance"].to_numpy(dtype=float), color="C1")
            nb_ax.bar_label(bars, fmt="%.2g", padding=2, fontsize="small")
            far = np.nanmax(np.append(nb["distance"].to_numpy(dtype=float), self.ood_threshold))
            if math.isfinite(far) and far > 0:  # room for the labels
                nb_ax.set_xlim(0, far * 1.2)
            nb_ax.set_yticks(yy, [str(n) for n in nb["name"]])
            nb_ax.yaxis.tick_right()
            if math.isfinite(self.ood_threshold):
                nb_ax.axvline(
                    self.ood_threshold,
                    color="C3",
                    linestyle="--",
                    label=f"out-of-distribution threshold ({self.ood_threshold:.3g})",
                )
                nb_ax.legend(loc="best", fontsize="small")
            nb_ax.set_xlabel("distance in meta-feature space\n(smaller = more alike)")
            nb_ax.set_title("Nearest datasets")
        if len(axes) > 2 and has_time:
            time_ax = axes[2]
            time_ax.set_label("fit_time")
            shown = np.where(np.isfinite(fit_time), fit_time, np.nan)
            bars = time_ax.barh(y, shown, color="C2")
            time_ax.bar_label(
                bars, labels=[_seconds_text(v) for v in shown], padding=2, fontsize="small"
            )
            time_ax.set_xscale("log")
            known = shown[np.isfinite(shown) & (shown > 0)]
            if known.size:  # room for the labels right of the longest bar
                time_ax.set_xlim(known.min() / 2, known.max() * 6)
            time_ax.tick_params(axis="y", labelleft=False)
            time_ax.set_xlabel("predicted fit time, s\n(one single-threaded fit, all rows)")
            time_ax.set_title("Fit time")
            time_ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        return fig

    # -- display ------------------------------------------------------------------------------
    def _summary_frame(self) -> pd.DataFrame:
        frame = self.table[["rank", "learner", "score", "score_low", "score_high"]].copy()
        frame["params"] = [_params_text(dict(p), limit=3) for p in self.table["params"]]
        return frame.set_index("rank")

    def _header(self) -> str:
        flag = "OUT OF DISTRIBUTION" if self.is_ood else "in distribution"
        return (
            f"Recommendation(task={self.task!r}, metric={self.metric!r}, "
            f"model={self.model_name!r}, n={len(self)}, {flag})"
        )

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", 60, "display.width", 120):
            body = self._summary_frame().head(10).to_string(float_format=lambda v: f"{v:.3f}")
        near = self.nearest_text()
        return f"{self._header()}\n{body}" + (f"\nnearest datasets: {near}" if near else "")

    def _repr_html_(self) -> str:
        body = self._summary_frame().to_html(float_format=lambda v: f"{v:.3f}")
        near = html.escape(self.nearest_text())
        return f"<p><b>{html.escape(self._header())}</b></p>{body}" + (
            f"<p>nearest datasets: {near}</p>" if near else ""
        )


def _accept_meta_features(init: Any) -> Any:
    """``Recommendation(..., meta_features=...)``, the keyword's old name, warns and works."""

    @functools.wraps(init)
    def __init__(
        self: Recommendation, *args: Any, meta_features: Any = None, **kwargs: Any
    ) -> None:
        if meta_features is not None:
            kwargs["metafeatures"] = renamed_keyword(
                kwargs.pop("metafeatures", None),
                meta_features,
                "meta_features",
                "metafeatures",
                "Recommendation",
            )
        init(self, *args, **kwargs)

    return __init__


setattr(Recommendation, "__init__", _accept_meta_features(Recommendation.__init__))  # noqa: B010


def _seconds_text(v: float) -> str:
    """A predicted time as a short label ("" when unknown)."""
    if not math.isfinite(v):
        return ""
    if v < 60:
        return f"{v:.2g} s"
    if v < 3600:
        return f"{v / 60:.2g} min"
    return f"{v / 3600:.2g} h"


def percentile_words(pct: float, *, short: bool = False) -> str:
    """Where a value stands among the knowledge base's datasets, in words."""
    high = pct >= 50
    share = pct if high else 100 - pct
    if share >= 100:
        return ("above" if high else "below") + (
            " the knowledge base" if short else " every dataset of the knowledge base"
        )
    if short:
        return f"{'top' if high else 'bottom'} {max(100 - share, 1):.0f}%"
    return f"{'higher' if high else 'lower'} than {share:.0f}% of the knowledge base's datasets"
