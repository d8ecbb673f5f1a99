"""``autometa metafeatures``: skipped features with their reasons; string columns are
symbolic in the ``openml`` group (issue 12, finding 10)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import metafeatures
from autometa.cli import main

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def strings_csv(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 120
    df = pd.DataFrame({f"s{i}": rng.choice(["a", "b", "c"], n) for i in range(4)})
    df["target"] = rng.integers(0, 2, n)
    path = tmp_path_factory.mktemp("mf") / "strings.csv"
    df.to_csv(path, index=False)
    return path


def test_verbose_lists_the_reasons_of_skipped_features(strings_csv, capsys):
    args = [
        "metafeatures",
        str(strings_csv),
        "--target",
        "target",
        "--groups",
        "general,statistical",
    ]
    assert main(args) == 0
    plain = capsys.readouterr().out
    assert "skipped:" in plain
    assert main([*args, "-v"]) == 0
    out = capsys.readouterr().out
    report = metafeatures.extract_report(
        pd.read_csv(strings_csv).drop(columns="target"),
        pd.read_csv(strings_csv)["target"],
        groups=["general", "statistical"],
    )
    name, why = next(iter(report.skipped.items()))
    assert any(name in line and why in line for line in out.splitlines())
    assert main(["-v", *args]) == 0  # the top-level -v shows them too
    assert why in capsys.readouterr().out


def test_json_holds_values_and_reasons(strings_csv, capsys):
    args = ["metafeatures", str(strings_csv), "--target", "target", "--format", "json"]
    assert main([*args, "--groups", "general,statistical"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"metafeatures", "skipped", "timings", "task"} <= set(out)
    assert out["skipped"] and all(isinstance(v, str) and v for v in out["skipped"].values())
    assert set(out["skipped"]) <= set(out["metafeatures"])


def test_openml_group_counts_string_columns_as_symbolic(strings_csv):
    df = pd.read_csv(strings_csv)
    X, y = df.drop(columns="target"), df["target"]
    as_str = metafeatures.extract(X, y, task="classification", groups=["openml"])
    as_obj = metafeatures.extract(X.astype(object), y, task="classification", groups=["openml"])
    as_cat = metafeatures.extract(X.astype("category"), y, task="classification", groups=["openml"])
    assert as_str["NumberOfSymbolicFeatures"] == 5  # 4 string columns + the class
    pd.testing.assert_series_equal(as_str, as_cat, check_names=False)
    pd.testing.assert_series_equal(as_obj, as_cat, check_names=False)
    assert np.isfinite(as_str["MeanAttributeEntropy"])
    # pandas' explicit string dtype stays free text (OpenML's ARFF string attributes)
    as_text = metafeatures.extract(X.astype("string"), y, task="classification", groups=["openml"])
    assert as_text["NumberOfSymbolicFeatures"] == 1
