"""``Recommendation.plot()``: the picture holds what the recommendation says (not pixels)."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from autometa.recommend import recommend
from recommend._tiny import tiny_kb

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(scope="module")
def rec():
    X, y = make_classification(n_samples=90, n_features=4, n_informative=2, random_state=3)
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["y"] = y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return recommend(frame, target="y", kb=tiny_kb(), top_k=5)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _axes(fig):
    return {ax.get_label(): ax for ax in fig.axes}


def _top_down_labels(ax) -> list[str]:
    """The y tick labels of ``ax``, top first."""
    pairs = zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()))
    return [text for _, text in sorted(pairs, key=lambda p: -p[0])]


def _score_points(ax) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of the score markers over all error-bar containers of ``ax``."""
    xs, ys = [], []
    for container in ax.containers:
        if isinstance(container, matplotlib.container.ErrorbarContainer):
            line = container.lines[0]
            xs.append(np.asarray(line.get_xdata(), dtype=float))
            ys.append(np.asarray(line.get_ydata(), dtype=float))
    return np.concatenate(xs), np.concatenate(ys)


def test_one_score_point_per_recommendation_best_on_top(rec):
    fig = rec.plot()
    ax = _axes(fig)["scores"]
    x, y = _score_points(ax)
    assert len(x) == len(rec) == 5
    # Ordered by y from the top: the scores of the table, best first.
    np.testing.assert_allclose(x[np.argsort(-y)], rec.table["score"].to_numpy(dtype=float))
    expected = [f"{r}. {lrn}" for r, lrn in zip(rec.table["rank"], rec.table["learner"])]
    assert _top_down_labels(ax) == expected
    assert rec.metric in ax.get_xlabel() and "1 = best of the pool" in ax.get_xlabel()


def test_intervals_are_the_tables(rec):
    ax = _axes(rec.plot())["scores"]
    segments = [  # one horizontal segment per row, in every error-bar container
        s
        for c in ax.containers
        if isinstance(c, matplotlib.container.ErrorbarContainer)
        for s in c.lines[2][0].get_segments()
    ]
    assert len(segments) == len(rec)
    lows = sorted(min(s[:, 0]) for s in segments)
    highs = sorted(max(s[:, 0]) for s in segments)
    np.testing.assert_allclose(lows, sorted(rec.table["score_low"].to_numpy(dtype=float)))
    np.testing.assert_allclose(highs, sorted(rec.table["score_high"].to_numpy(dtype=float)))


def test_neighbours_bars_are_their_distances_with_the_threshold(rec):
    ax = _axes(rec.plot())["neighbours"]
    (bars,) = ax.containers
    widths = [patch.get_width() for patch in bars.patches]
    np.testing.assert_allclose(widths, rec.neighbours["distance"].to_numpy(dtype=float))
    names = _top_down_labels(ax)
    assert names == [str(n) for n in rec.neighbours["name"]]
    thresholds = [line.get_xdata()[0] for line in ax.get_lines()]
    assert thresholds == pytest.approx([rec.ood_threshold])


def test_fit_time_panel_only_when_the_cost_model_gives_times(rec):
    without = rec.table.assign(fit_time=np.nan)
    fig = dataclasses.replace(rec, table=without).plot()
    assert set(_axes(fig)) == {"scores", "neighbours"}

    times = np.array([0.5, 2.0, 30.0, 200.0, 4000.0])
    fig = dataclasses.replace(rec, table=rec.table.assign(fit_time=times)).plot()
    ax = _axes(fig)["fit_time"]
    (bars,) = ax.containers
    np.testing.assert_allclose([p.get_width() for p in bars.patches], times)
    assert ax.get_xscale() == "log"
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["0.5 s", "2 s", "30 s", "3.3 min", "1.1 h"]


def test_unsure_recommendations_are_drawn_apart(rec):
    table = rec.table.assign(unsure=[False, True, False, True, True])
    ax = _axes(dataclasses.replace(rec, table=table).plot())["scores"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["predicted score and interval", "unsure (interval wider than 0.5)"]
    sizes = [
        len(c.lines[0].get_xdata())
        for c in ax.containers
        if isinstance(c, matplotlib.container.ErrorbarContainer)
    ]
    assert sizes == [2, 3]


def test_given_axes_are_used(rec):
    fig, ax = plt.subplots()
    assert rec.plot(ax=ax) is fig
    assert fig.axes == [ax] and ax.get_label() == "scores"
    fig2, (a, b) = plt.subplots(1, 2)
    assert rec.plot(ax=(a, b)) is fig2
    assert [a.get_label(), b.get_label()] == ["scores", "neighbours"]


def test_out_of_distribution_is_in_the_title(rec):
    for flag in (True, False):
        ax = _axes(dataclasses.replace(rec, is_ood=flag).plot())["scores"]
        assert ("OUT OF DISTRIBUTION" in ax.get_title()) is flag
