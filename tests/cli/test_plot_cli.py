"""``autometa recommend --plot`` and ``autometa tune --plot``: the pictures they write."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from autometa.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from recommend._tiny import tiny_kb

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
FAST = "LogisticRegression,DecisionTreeClassifier"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("plot")
    kb_dir = tiny_kb().save(root / "kb")
    load_breast_cancer(as_frame=True).frame.iloc[:120].to_csv(root / "bc.csv", index=False)
    return root, kb_dir


def _is_png(path: Path) -> tuple[int, int]:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width = matplotlib.image.imread(path).shape[:2]
    return height, width


def test_recommend_plot_writes_the_picture_and_keeps_json_clean(files, capsys, tmp_path):
    root, kb_dir = files
    png = tmp_path / "rec.png"
    args = ["recommend", str(root / "bc.csv"), "--target", "target", "--kb", str(kb_dir)]
    open_before = set(plt.get_fignums())  # other tests' figures, whatever the test order
    code = main([*args, "--top-k", "4", "--format", "json", "--plot", str(png)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.lstrip().startswith("{")  # stdout stays machine-readable
    assert f"wrote {png}" in captured.err
    height, width = _is_png(png)
    assert width > height > 100
    assert set(plt.get_fignums()) == open_before  # the command closed its figure


@pytest.mark.parametrize(
    ("name", "message"),
    [("rec.txt", "must be a file name ending in one of"), ("missing/rec.png", "not an existing")],
)
def test_recommend_plot_path_is_checked_before_any_work(files, capsys, tmp_path, name, message):
    root, _ = files
    # The data file does not exist: the plot path is refused first, in one line.
    code = main(
        ["recommend", str(root / "nope.csv"), "--target", "t", "--plot", str(tmp_path / name)]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("autometa: error: The '--plot' option") and message in err
    assert err.count("\n") == 1


def test_tune_plot_marks_the_warm_started_trials(files, capsys, tmp_path):
    import optuna

    from autometa.cli._tune import history_plot

    root, kb_dir = files
    png, storage = tmp_path / "tune.png", f"sqlite:///{tmp_path / 'tune.db'}"
    args = ["tune", str(root / "bc.csv"), "--target", "target", "--kb", str(kb_dir)]
    args += ["--learners", FAST, "--n-trials", "4", "--warm-trials", "2", "--cv", "2"]
    code = main([*args, "--storage", storage, "--study-name", "s", "--plot", str(png)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"wrote {png}" in captured.err
    _is_png(png)

    study = optuna.load_study(study_name="s", storage=storage)
    warm = [t for t in study.trials if t.user_attrs.get("autometa:source") == "warm_start"]
    assert len(warm) == 2
    fig = history_plot(study, "balanced_accuracy (2-fold CV)")
    (ax,) = fig.axes
    assert ax.get_ylabel() == "balanced_accuracy (2-fold CV)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "warm-started by autometa (2)" in legend
    (stars,) = [c for c in ax.collections if c.get_label() == "warm-started by autometa (2)"]
    np.testing.assert_allclose(stars.get_offsets(), [[t.number, t.value] for t in warm])
    # Every completed trial is a point of Optuna's own scatter.
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(ax.collections[0].get_offsets()) == len(done)
    plt.close(fig)
