"""``autometa bench compare``: the report's content and the CLI wiring, on a tiny KB."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from autometa._exceptions import ParameterError
from autometa.bench._compare import run_compare, settings_for
from autometa.cli import main

METHODS = ("random", "sbs", "portfolio", "nearest50", "portfolio2+nearest")


def _data_files(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 4)), columns=list("abcd"))
    clf = tmp_path / "clf.csv"
    X.assign(target=(X["a"] > 0).astype(int)).to_csv(clf, index=False)
    reg = tmp_path / "reg.csv"
    X.assign(target=2 * X["b"] + rng.normal(size=120)).to_csv(reg, index=False)
    return [clf, reg]


@pytest.fixture
def small_kb(kb_factory):
    return kb_factory(tasks=("classification", "regression"), n_datasets=6, configs_per_learner=3)


@pytest.mark.slow
def test_report_holds_every_part(tmp_path, small_kb, monkeypatch) -> None:
    import autometa.bench._pymfe as pymfe_module

    monkeypatch.setattr(pymfe_module, "pymfe_available", lambda: False)
    settings = settings_for(
        True,
        methods=METHODS,
        ranker="nearest",
        tpe_trials=2,
        tpe_seconds=0.5,
        lookup_families=2,
        k_max=12,
    )
    report = run_compare(
        tmp_path / "out",
        kb=small_kb,
        kb_label="tiny",
        settings=settings,
        datasets=_data_files(tmp_path),
        command="autometa bench compare --quick (test)",
    )
    text = report.read_text()
    # environment and command
    assert "Command: `autometa bench compare --quick (test)`" in text
    assert re.search(r"- CPU: .*logical cores", text)
    assert "scikit-learn " in text and "optuna " in text
    assert "| total |" in text
    # look-up: every method, the significance against the reference, Friedman at 10
    for method in METHODS:
        assert f"| `{method}` |" in text
    for spec in ("random", "tpe", "tpe+warm", "metasampler"):
        assert f"| `optuna {spec}` |" in text
    assert "Against `sbs`" in text
    assert "Friedman test at k = 10" in text
    assert "k = 25" not in text  # k_max = 12: no rank chart at 25
    # live runs: autometa, scikit-learn defaults, Optuna budgets in trials and seconds
    for method in ("autometa zero-shot", "autometa n_candidates=3", "sklearn RF", "sklearn HGB"):
        assert f"| `{method}` |" in text
    assert "| `optuna TPE 2 trials` |" in text
    assert "| `optuna TPE 0.5 s` |" in text
    assert "### live classification (1 datasets" in text
    assert "### live regression (1 datasets" in text
    # pymfe missing: a clear message, not a failure
    assert "Skipped: pymfe is not installed (`pip install autometa[bench]`)." in text
    out = tmp_path / "out"
    for png in (
        "regret_lodo.png",
        "regret_lookup.png",
        "ranks_lodo_k10.png",
        "live_score_time.png",
    ):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    live = pd.read_csv(out / "live.csv")
    assert set(live["dataset"]) == {"clf", "reg"}
    assert live.loc[live["method"] == "sklearn RF", "score"].notna().all()
    lookup = pd.read_csv(out / "lookup_curves.csv.gz")
    # the Optuna studies and the meta-models are measured on the same datasets
    by_method = lookup.groupby("method")["dataset_id"].apply(frozenset)
    assert by_method.nunique() == 1


@pytest.mark.slow
def test_cli_quick_wiring(tmp_path, small_kb, capsys) -> None:
    kb_dir = small_kb.save(tmp_path / "kb")
    out = tmp_path / "report"
    code = main(
        [
            "bench",
            "compare",
            "--quick",
            "--kb",
            str(kb_dir),
            "--out",
            str(out),
            "--methods",
            "random,sbs",
            "--ranker",
            "sbs",
            "--tpe-trials",
            "1",
            "--tpe-seconds",
            "0.2",
            "--pymfe-datasets",
            "0",
            "--datasets",
            *map(str, _data_files(tmp_path)),
        ]
    )
    assert code == 0
    text = (out / "report.md").read_text()
    assert text.startswith("# autometa bench compare --quick")
    assert "Command: `autometa bench compare --quick --out" in text
    assert "--methods random,sbs --ranker sbs" in text
    assert "seeds=1" in text and "max_families=2" in text  # the --quick settings
    assert "| `optuna TPE 1 trials` |" in text
    assert "Skipped (no dataset asked for)." in text
    assert "written" in capsys.readouterr().out


def test_cli_rejects_bad_options(tmp_path, capsys) -> None:
    base = ["bench", "compare", "--out", str(tmp_path)]
    assert main([*base, "--seeds", "0"]) == 1
    assert "The '--seeds' option must be an int >= 1. Got 0" in capsys.readouterr().err
    assert main([*base, "--methods", ","]) == 1
    assert "'--methods' option must list methods" in capsys.readouterr().err
    assert main([*base, "--tpe-seconds", "0"]) == 1
    assert "'--tpe-seconds' option must be > 0" in capsys.readouterr().err


def test_missing_live_dataset_names_the_file(tmp_path, small_kb) -> None:
    settings = settings_for(True, methods=("sbs",), lookup_families=0, pymfe_datasets=0)
    with pytest.raises(ParameterError, match="must name existing data files"):
        run_compare(tmp_path, kb=small_kb, settings=settings, datasets=[tmp_path / "nope.csv"])


def test_run_live_keeps_the_named_methods_and_caps_the_rows(tmp_path, small_kb) -> None:
    from autometa.bench import LiveDataset, run_live

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=list("abc"))
    path = tmp_path / "clf.csv"
    X.assign(target=(X["a"] > 0).astype(int)).to_csv(path, index=False)
    data = [LiveDataset("clf", path)]
    methods = ["autometa zero-shot", "sklearn LR"]
    res = run_live(small_kb, data, ranker="nearest", flaml=False, methods=methods, max_rows=100)
    assert list(res["method"]) == methods
    assert res["score"].notna().all()
    assert (res["n_train"] == 75).all()  # the 100 rows drawn, split 75/25
    with pytest.raises(ParameterError, match=r"names unknown methods \['sklearn SVM'\]"):
        run_live(small_kb, data, ranker="nearest", flaml=False, methods=["sklearn SVM"])
