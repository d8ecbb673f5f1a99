"""``autometa tune``: a warm-started Optuna study from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer

from autometa.cli import main
from autometa.models import NearestDatasets, TaskData, default_models_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from recommend._tiny import tiny_kb

pytest.importorskip("optuna")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

FAST = "LogisticRegression,DecisionTreeClassifier,KNeighborsClassifier"
SHIPPED = (default_models_dir() / "models.json").is_file()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A 150-row breast_cancer CSV, the tiny knowledge base and a models directory."""
    root = tmp_path_factory.mktemp("tune")
    kb = tiny_kb()
    kb_dir = kb.save(root / "kb")
    df = load_breast_cancer(as_frame=True).frame.iloc[:150]
    df.to_csv(root / "bc.csv", index=False)
    models = root / "models"
    model = NearestDatasets(n_configs=5).fit(TaskData.from_kb(kb, "classification"))
    model.save(models / "classification" / "nearest")
    index = {
        "format": "autometa-models",
        "schema_version": 1,
        "tasks": {
            "classification": {
                "ranker": "nearest",
                "metric": "balanced_accuracy",
                "models": {"nearest": "classification/nearest"},
            }
        },
    }
    (models / "models.json").write_text(json.dumps(index))
    return root, kb_dir, models


def _run(capsys, *args):
    code = main(["tune", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_warm_started_tpe_prints_best_trial_and_pipeline(files, capsys):
    root, kb_dir, _ = files
    code, out, err = _run(
        capsys,
        root / "bc.csv",
        "--target",
        "target",
        "--n-trials",
        4,
        "--warm-trials",
        2,
        "--cv",
        3,
        "--kb",
        kb_dir,
        "--learners",
        FAST,
    )
    assert code == 0, err
    assert "4 trial(s) run (2 warm-started by autometa, 0 failed), sampler tpe" in out
    assert "best trial #" in out and "balanced_accuracy" in out and "3-fold CV" in out
    assert "learner: " in out and "pipeline: " in out
    assert "4/4" in err  # Optuna's progress bar


def test_meta_sampler_with_models_dir_and_storage_resumes(files, capsys, tmp_path):
    root, _, models = files
    storage = f"sqlite:///{tmp_path / 'tune.db'}"
    common = [
        root / "bc.csv",
        "--target",
        "target",
        "--cv",
        2,
        "--model",
        models,
        "--learners",
        FAST,
        "--sampler",
        "meta",
        "--storage",
        storage,
        "--study-name",
        "bc",
        "--format",
        "json",
    ]
    code, out, err = _run(capsys, *common, "--n-trials", 3, "--warm-trials", 2)
    assert code == 0, err
    first = json.loads(out)
    assert first["n_trials"] == 3 and first["n_warm_started"] == 2
    assert first["learner"] in FAST.split(",")
    code, out, err = _run(capsys, *common, "--n-trials", 2, "--warm-trials", 2)
    assert code == 0, err
    second = json.loads(out)
    # The same study, resumed: the recommendations already run are not enqueued again.
    assert second["study_name"] == "bc" and second["n_trials"] == 2
    assert second["n_warm_started"] == 0
    assert second["best_value"] >= first["best_value"]

    import optuna

    study = optuna.load_study(study_name="bc", storage=storage)
    assert len(study.trials) == 5


def test_no_warm_start_and_minimized_metric(files, capsys):
    root, kb_dir, _ = files
    code, out, err = _run(
        capsys,
        root / "bc.csv",
        "--target",
        "target",
        "--n-trials",
        2,
        "--cv",
        2,
        "--kb",
        kb_dir,
        "--learners",
        "LogisticRegression",
        "--no-warm-start",
        "--metric",
        "log_loss",
        "--format",
        "json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["n_warm_started"] == 0 and result["direction"] == "minimize"
    assert 0 < result["best_value"] < 1 and result["learner"] == "LogisticRegression"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.csv", "--target", "target"], "No such file"),
        (["bc.csv", "--target", "nope"], "Target column 'nope' not found. The columns are:"),
        (
            ["bc.csv", "--target", "target", "--n-trials", "0"],
            "The '--n-trials' option must be an int >= 1. Got 0 instead.",
        ),
        (
            ["bc.csv", "--target", "target", "--cv", "1"],
            "The '--cv' option must be an int >= 2. Got 1 instead.",
        ),
        (
            ["bc.csv", "--target", "target", "--cv", "200"],
            "The least populated class of 'target' has",
        ),
        (
            ["bc.csv", "--target", "target", "--timeout", "0"],
            "The '--timeout' option must be a number of seconds > 0",
        ),
        (
            ["bc.csv", "--target", "target", "--metric", "r2"],
            r"The '--metric' option must be one of \['accuracy'",
        ),
        (["bc.csv", "--target", "target", "--learners", "Nope"], "Unknown learner 'Nope'"),
        (
            ["bc.csv", "--target", "target", "--learners", "Ridge"],
            r"The learners \['Ridge'\] given to tune are not classification learners",
        ),
    ],
)
def test_errors_are_one_line_with_nonzero_exit(files, capsys, args, message):
    import re

    root, kb_dir, _ = files
    extra = [] if "--n-trials" in args else ["--n-trials", "1"]
    code, _, err = _run(capsys, root / args[0], *args[1:], *extra, "--kb", kb_dir)
    assert code == 1
    err = err.strip()
    assert err.startswith("autometa: error:") and "\n" not in err
    assert re.search(message, err)


@pytest.mark.slow
@pytest.mark.skipif(
    not SHIPPED, reason="needs the shipped default models (autometa/data/models/models.json)"
)
def test_defaults_with_shipped_models(files, capsys):
    root, _, _ = files
    code, out, err = _run(
        capsys,
        root / "bc.csv",
        "--target",
        "target",
        "--n-trials",
        4,
        "--warm-trials",
        3,
        "--cv",
        3,
        "--sampler",
        "meta",
        "--learners",
        FAST,
    )
    assert code == 0, err
    assert "4 trial(s) run (3 warm-started by autometa" in out
