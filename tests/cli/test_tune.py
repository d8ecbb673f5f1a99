"""``autometa tune``: a warm-started Optuna study from the command line."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer

from autometa.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

pytest.importorskip("optuna")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

FAST = "LogisticRegression,DecisionTreeClassifier,KNeighborsClassifier"


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
            ["bc.csv", "--target", "target", "--trial-timeout", "-1"],
            "The '--trial-timeout' option must be a number of seconds > 0. Got -1.0 instead.",
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
    root, kb_dir, _ = files
    extra = [] if "--n-trials" in args else ["--n-trials", "1"]
    code, _, err = _run(capsys, root / args[0], *args[1:], *extra, "--kb", kb_dir)
    assert code == 1
    err = err.strip()
    assert err.startswith("autometa: error:") and "\n" not in err
    assert re.search(message, err)


# -- issue 12, item 9: resumes, storage drivers, defaults, time limits ------------------------
def _one_line_error(capsys, *args) -> str:
    code, _, err = _run(capsys, *args)
    assert code == 1
    err = err.strip()
    assert err.startswith("autometa: error:") and "\n" not in err, err
    return err


def _trial_states(storage: str, name: str) -> list:
    import optuna

    return [t.state.name for t in optuna.load_study(study_name=name, storage=storage).trials]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ["--learners", "LogisticRegression,KNeighborsClassifier"],
            r"The study 'bc' tunes the learners \['LogisticRegression', "
            r"'DecisionTreeClassifier', 'KNeighborsClassifier'\], not \['LogisticRegression', "
            r"'KNeighborsClassifier'\]\. Pass --learners LogisticRegression,",
        ),
        (
            ["--data", "bc_other.csv"],
            r"The study 'bc' was run on another dataset \(bc\.csv, target 'target', 150 rows\) "
            r"than bc_other\.csv \(target 'target', 150 rows\)\. Pass another --study-name",
        ),
        (["--cv", "3"], r"The study 'bc' was run with --cv 2, not 3: .* Pass --cv 2"),
    ],
    ids=["learners", "dataset", "cv"],
)
def test_incompatible_resume_is_refused_and_leaves_the_study_as_it_was(
    files, capsys, tmp_path, change, message
):
    root, kb_dir, _ = files
    other = root / "bc_other.csv"
    if not other.exists():
        load_breast_cancer(as_frame=True).frame.iloc[150:300].to_csv(other, index=False)
    storage = f"sqlite:///{tmp_path / 'tune.db'}"
    options = {"--cv": "2", "--learners": FAST, "--data": "bc.csv"}
    base = ["--target", "target", "--kb", kb_dir, "--storage", storage, "--study-name", "bc"]

    def args(opts):
        rest = [x for k, v in opts.items() if k != "--data" for x in (k, v)]
        return [root / opts["--data"], *base, *rest, "--n-trials", 2, "--warm-trials", 1]

    code, _, err = _run(capsys, *args(options))
    assert code == 0, err
    states = _trial_states(storage, "bc")
    err = _one_line_error(capsys, *args({**options, **dict(zip(change[::2], change[1::2]))}))
    assert re.search(message, err), err
    assert _trial_states(storage, "bc") == states  # nothing ran, failed or was enqueued


def test_resume_of_a_study_started_elsewhere_with_other_learners_is_refused(
    files, capsys, tmp_path
):
    import optuna

    from autometa.optuna import suggest

    root, kb_dir, _ = files
    storage = f"sqlite:///{tmp_path / 'other.db'}"
    study = optuna.create_study(storage=storage, study_name="s", direction="maximize")
    study.optimize(lambda t: (suggest(t, ["LogisticRegression", "SVC"]), 0.5)[1], n_trials=1)
    err = _one_line_error(
        capsys,
        root / "bc.csv",
        "--target",
        "target",
        "--n-trials",
        1,
        "--kb",
        kb_dir,
        "--learners",
        FAST,
        "--storage",
        storage,
        "--study-name",
        "s",
    )
    assert "The study 's' has the parameter 'learner' as CategoricalDistribution" in err
    assert "Pass the learners the study was run with, or another --study-name." in err
    assert _trial_states(storage, "s") == ["COMPLETE"]


def test_missing_storage_driver_gives_a_one_line_hint(files, capsys):
    pytest.importorskip("sqlalchemy")
    import importlib.util

    if importlib.util.find_spec("psycopg2") or importlib.util.find_spec("psycopg"):
        pytest.skip("a PostgreSQL driver is installed")
    root, kb_dir, _ = files
    err = _one_line_error(
        capsys,
        root / "bc.csv",
        "--target",
        "target",
        "--n-trials",
        1,
        "--kb",
        kb_dir,
        "--storage",
        "postgresql://user:secret@localhost:1/db",
    )
    assert re.search(
        r"The '--storage' option postgresql://\.\.\. needs the Python module 'psycopg2?', which "
        r"is not installed\. Install it \(pip install (psycopg2-binary|'psycopg\[binary\]')\) "
        r"or use a SQLite storage, e\.g\. --storage sqlite:///tune\.db\.",
        err,
    )
    assert "secret" not in err


def test_warm_trials_default_leaves_trials_to_the_meta_sampler(files, capsys):
    root, _, models = files
    code, out, err = _run(
        capsys,
        root / "bc.csv",
        "--target",
        "target",
        "--n-trials",
        4,
        "--cv",
        2,
        "--model",
        models,
        "--learners",
        FAST,
        "--sampler",
        "meta",
        "--format",
        "json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["n_trials"] == 4 and result["n_warm_started"] == 2


def test_trial_timeout_stops_trials(files, capsys):
    root, kb_dir, _ = files
    code, _, err = _run(
        capsys,
        root / "bc.csv",
        "--target",
        "target",
        "--n-trials",
        2,
        "--kb",
        kb_dir,
        "--learners",
        "RandomForestClassifier",
        "--no-warm-start",
        "--trial-timeout",
        "0.001",
    )
    last = err.strip().splitlines()[-1]  # after Optuna's progress bar
    assert code == 1 and last.startswith("autometa: error: No trial completed: 2 of 2 trial(s) ")
    assert "were stopped at the time limit. Raise --trial-timeout or --timeout." in last


@pytest.mark.slow
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
