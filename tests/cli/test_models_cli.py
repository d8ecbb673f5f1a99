"""``autometa models train``."""

from __future__ import annotations

import json

import pytest

from autometa.cli import main
from autometa.models import MetaModel, load_default_model
from autometa.models._base import sha256_file

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


@pytest.fixture
def kb_path(kb_factory, tmp_path):
    kb = kb_factory(tasks=("classification", "regression"), n_datasets=6, configs_per_learner=3)
    return kb.save(tmp_path / "kb")


def test_train_writes_models_and_index(kb_path, tmp_path, capsys):
    out = tmp_path / "models"
    code = main(
        [
            "models",
            "train",
            "--kb",
            str(kb_path),
            "--out",
            str(out),
            "--models",
            "surrogate,prototypes",
            "--seed",
            "3",
            "--task",
            "classification",
            "--calibration-folds",
            "0",
        ]
    )
    assert code == 0
    index = json.loads((out / "models.json").read_text())
    assert index["format"] == "autometa-models"
    assert len(index["kb"]["manifest_sha256"]) == 64
    assert index["versions"]["torch"]
    assert set(index["tasks"]) == {"classification"}
    entry = index["tasks"]["classification"]
    assert entry["ranker"] == "surrogate" and entry["explainer"] == "prototypes"
    model = MetaModel.load(out / entry["models"]["surrogate"])
    assert model.random_state == 3 and model.task_ == "classification"
    # saved as numpy arrays (read without torch), with the index's checksums
    for name, rel in entry["models"].items():
        assert sorted(p.name for p in (out / rel).iterdir()) == ["arrays.npz", "model.json"]
        assert entry["sha256"][name] == sha256_file(out / rel / "model.json")
    explainer = load_default_model("classification", "explainer", path=out)
    assert explainer.name == "prototypes"
    # beside the models, the state recommend derives from their knowledge base (issue 15)
    from autometa.recommend._snapshot import STATE_FILE, kb_files_sha256, load_kb_state

    snapshot = load_kb_state(
        out / "classification" / STATE_FILE,
        kb_files_sha256(kb_path),
        "classification",
        entry["metric"],
    )
    assert snapshot is not None and snapshot[0].scores.shape[0] == 6
    printed = capsys.readouterr().out
    assert "fitted in" in printed
    # the explainer's out-of-distribution threshold is calibrated by `models train` and
    # stored in its JSON metadata (issue 12)
    meta = json.loads((out / entry["models"]["prototypes"] / "model.json").read_text())
    threshold = meta["state"]["space"]["ood_threshold"]
    assert threshold == pytest.approx(explainer.ood_threshold_) and threshold > 0
    assert f"out-of-distribution threshold {threshold:.4g}: " in printed
    assert "knowledge-base datasets lie beyond it (leave one family out)" in printed


def test_train_calibrates_the_intervals(kb_factory, tmp_path, capsys):
    kb = kb_factory(tasks=("classification",), n_datasets=12, configs_per_learner=3)
    out = tmp_path / "models"
    argv = ["models", "train", "--kb", str(kb.save(tmp_path / "kb")), "--out", str(out)]
    assert main([*argv, "--models", "surrogate,sbs", "--calibration-folds", "2"]) == 0
    printed = capsys.readouterr().out
    entry = json.loads((out / "models.json").read_text())["tasks"]["classification"]
    # the interval of each model with a spread is calibrated on held-out families and saved
    assert set(entry["calibration_seconds"]) == {"surrogate"}
    cal = MetaModel.load(out / entry["models"]["surrogate"]).interval_calibration_
    assert cal is not None and cal.folds == 2 and cal.nominal == 0.95
    assert f"95% interval: half-width {cal.multiplier:.3g} * (std + {cal.floor:.3g})" in printed
    assert "2 groups of families held out in turn" in printed
    assert MetaModel.load(out / entry["models"]["sbs"]).interval_calibration_ is None


def test_a_knowledge_base_too_small_to_calibrate_leaves_the_interval_uncalibrated(
    kb_path, tmp_path, capsys
):
    out = tmp_path / "models"
    argv = ["models", "train", "--kb", str(kb_path), "--out", str(out), "--models", "surrogate"]
    assert main([*argv, "--task", "classification", "--calibration-folds", "2"]) == 0
    assert "interval not calibrated: Cannot calibrate a 95% interval" in capsys.readouterr().out
    assert load_default_model("classification", "ranker", path=out).interval_calibration_ is None


def test_calibration_can_be_left_out(kb_path, tmp_path):
    out = tmp_path / "models"
    argv = ["models", "train", "--kb", str(kb_path), "--out", str(out), "--models", "surrogate"]
    assert main([*argv, "--task", "regression", "--calibration-folds", "0"]) == 0
    model = load_default_model("regression", "ranker", path=out)
    assert model.interval_calibration_ is None


def test_one_calibration_fold_is_an_error(kb_path, tmp_path, capsys):
    argv = ["models", "train", "--kb", str(kb_path), "--out", str(tmp_path)]
    assert main([*argv, "--models", "surrogate", "--calibration-folds", "1"]) == 1
    assert "The '--calibration-folds' option must be 0" in capsys.readouterr().err


def test_unknown_model_name_is_an_error(kb_path, tmp_path, capsys):
    code = main(
        [
            "models",
            "train",
            "--kb",
            str(kb_path),
            "--out",
            str(tmp_path),
            "--models",
            "surrogate,nope",
        ]
    )
    assert code == 1
    assert "The '--models' option must be a comma-separated list" in capsys.readouterr().err


def test_ranker_must_be_trained(kb_path, tmp_path, capsys):
    code = main(
        [
            "models",
            "train",
            "--kb",
            str(kb_path),
            "--out",
            str(tmp_path),
            "--models",
            "prototypes",
            "--ranker",
            "maml",
        ]
    )
    assert code == 1
    assert "The '--ranker' option must be one of the trained models" in capsys.readouterr().err


def test_a_ranker_per_task(kb_path, tmp_path):
    out = tmp_path / "models"
    argv = ["models", "train", "--kb", str(kb_path), "--out", str(out)]
    argv += [
        "--models",
        "sbs,portfolio,maml",
        "--ranker",
        "classification=sbs,regression=portfolio",
        "--calibration-folds",
        "0",
    ]
    assert main(argv) == 0
    index = json.loads((out / "models.json").read_text())
    assert index["tasks"]["classification"]["ranker"] == "sbs"
    assert index["tasks"]["regression"]["ranker"] == "portfolio"
    assert index["tasks"]["regression"]["adaptive"] == "maml"
    assert load_default_model("regression", "adaptive", path=out).name == "maml"


def test_a_ranker_for_an_unknown_task_is_an_error(kb_path, tmp_path, capsys):
    argv = ["models", "train", "--kb", str(kb_path), "--out", str(tmp_path)]
    argv += ["--models", "sbs", "--ranker", "clustering=sbs"]
    assert main(argv) == 1
    assert "'classification=NAME,regression=NAME'" in capsys.readouterr().err


def test_no_output_directory_is_an_error(kb_path, capsys):
    code = main(["models", "train", "--kb", str(kb_path)])
    assert code == 1
    assert "Pass '--out DIR'" in capsys.readouterr().err


def test_train_fits_the_cost_model_when_runs_record_their_size(kb_factory, tmp_path, capsys):
    from autometa.kb import KnowledgeBase
    from autometa.models._cost import CostModel

    kb = kb_factory(tasks=("classification",), n_datasets=6, configs_per_learner=3)
    sized = kb.runs.assign(n_rows_used=300, n_train_rows=200, fit_time=0.02, predict_time=0.002)
    kb = KnowledgeBase(kb.datasets, kb.configurations, sized, kb.metafeatures, kb.manifest)
    kb_dir = kb.save(tmp_path / "kb")
    out = tmp_path / "models"
    assert main(["models", "train", "--kb", str(kb_dir), "--out", str(out), "--models", "sbs"]) == 0
    index = json.loads((out / "models.json").read_text())
    assert index["cost"] == "cost"
    cost = CostModel.load(out / "cost")
    assert sum(cost.n_runs_.values()) == len(kb.runs)
    assert "cost model      fitted on" in capsys.readouterr().out


def test_train_without_sizes_writes_no_cost_model(kb_path, tmp_path, capsys):
    out = tmp_path / "models"
    assert (
        main(["models", "train", "--kb", str(kb_path), "--out", str(out), "--models", "sbs"]) == 0
    )
    assert "cost" not in json.loads((out / "models.json").read_text())
    assert "no cost model: No run with a measured fit time" in capsys.readouterr().out


def test_the_package_is_written_only_with_in_package(kb_path, monkeypatch, tmp_path, capsys):
    import autometa.cli._models as cli_models

    package = tmp_path / "site-packages" / "autometa" / "data" / "models"
    package.mkdir(parents=True)
    (package / "models.json").write_text('{"format": "autometa-models"}')
    monkeypatch.setattr(cli_models, "_package_models_dir", lambda: package)
    argv = ["models", "train", "--kb", str(kb_path), "--models", "sbs", "--task", "regression"]
    assert main([*argv, "--out", str(package)]) == 1
    assert "points into the installed autometa package" in capsys.readouterr().err
    assert json.loads((package / "models.json").read_text()) == {"format": "autometa-models"}
    assert main([*argv, "--in-package"]) == 0
    assert "regression" in json.loads((package / "models.json").read_text())["tasks"]


def test_a_foreign_directory_is_never_overwritten(kb_path, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "models.json").write_text("my own notes")
    argv = ["models", "train", "--kb", str(kb_path), "--models", "sbs", "--out", str(out)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Refusing to write into" in err and "did not write" in err
    assert (out / "models.json").read_text() == "my own notes"
    assert sorted(p.name for p in out.iterdir()) == ["models.json"]


def test_a_foreign_model_directory_inside_our_output_is_not_replaced(kb_path, tmp_path, capsys):
    out = tmp_path / "models"
    argv = ["models", "train", "--kb", str(kb_path), "--models", "sbs", "--out", str(out)]
    argv += ["--task", "regression"]
    assert main(argv) == 0
    assert (out / ".autometa-models").is_file()
    mine = out / "classification" / "sbs"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("mine")
    assert main([*argv[:-2], "--task", "classification"]) == 1
    assert "non-empty directory that autometa did not write" in capsys.readouterr().err
    assert (mine / "notes.txt").read_text() == "mine"


def test_a_rerun_into_our_own_output_replaces_it(kb_path, tmp_path):
    out = tmp_path / "models"
    argv = ["models", "train", "--kb", str(kb_path), "--models", "sbs", "--out", str(out)]
    assert main(argv) == 0
    assert main(argv) == 0
    index = json.loads((out / "models.json").read_text())
    assert len(index["tasks"]["regression"]["sha256"]["sbs"]) == 64
