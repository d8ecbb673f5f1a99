"""Finding and reading datasets: PMLB folders, index files and plain tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autometa._exceptions import DataError, ParameterError
from autometa.kb import DatasetSpec, discover_datasets, load_dataset

PMLB = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "pmlb"
needs_pmlb = pytest.mark.skipif(
    not (PMLB / "index.tsv").exists(), reason="the shared PMLB datasets are not available"
)


@needs_pmlb
def test_pmlb_index_gives_specs_with_index_metadata():
    index = pd.read_csv(PMLB / "index.tsv", sep="\t")
    specs = discover_datasets(PMLB)
    assert [s.name for s in specs] == index["name"].tolist()
    row = index.loc[index["openml_dataset_id"].notna()].iloc[0]
    spec = next(s for s in specs if s.name == row["name"])
    assert spec.dataset_id == f"pmlb/{row['name']}"
    assert spec.task == row["task"]
    assert spec.family == row["family"]
    assert spec.openml_id == int(row["openml_dataset_id"])
    assert spec.source == "pmlb"


@needs_pmlb
def test_pmlb_categorical_features_from_yaml_get_category_dtype():
    import yaml

    specs = discover_datasets(PMLB, task="classification")
    spec = next(s for s in specs if s.categorical and len(s.categorical) < 50)
    meta = yaml.safe_load((PMLB / f"{spec.name}.yaml").read_text())
    expected = {f["name"] for f in meta["features"] if f["type"] in ("categorical", "nominal")}
    assert set(spec.categorical) == expected
    X, y, task = load_dataset(spec)
    raw = pd.read_csv(spec.path, sep="\t")
    assert X.shape == (raw.shape[0], raw.shape[1] - 1)
    assert task == "classification"
    assert "target" not in X.columns
    for column in X.columns:
        assert isinstance(X[column].dtype, pd.CategoricalDtype) == (column in expected)
    np.testing.assert_array_equal(y.to_numpy(), raw["target"].to_numpy())


@needs_pmlb
def test_filters_names_task_and_max_datasets():
    specs = discover_datasets(PMLB, names=["iris", "1089_USCrime"])
    assert sorted(s.name for s in specs) == ["1089_USCrime", "iris"]
    assert [s.name for s in discover_datasets(PMLB, names=["iris"], task="regression")] == []
    regression = discover_datasets(PMLB, task="regression", max_datasets=3)
    assert len(regression) == 3 and all(s.task == "regression" for s in regression)
    with pytest.raises(DataError, match=r"Unknown dataset names: \['no_such'\]"):
        discover_datasets(PMLB, names=["iris", "no_such"])


def _write_csv(path: Path, n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], size=n),
            "label": rng.choice(["yes", "no"], size=n),
            "amount": rng.normal(size=n) * 100,
        }
    )
    frame.to_csv(path, index=False)
    return frame


def test_csv_file_with_named_target(tmp_path):
    frame = _write_csv(tmp_path / "shop.csv")
    (spec,) = discover_datasets(tmp_path / "shop.csv", target="label")
    assert spec.dataset_id == "file/shop" and spec.source == "file"
    X, y, task = load_dataset(spec)
    assert task == "classification"  # string target
    assert list(X.columns) == ["x", "colour", "amount"]
    assert isinstance(X["colour"].dtype, pd.CategoricalDtype)
    assert pd.api.types.is_float_dtype(X["x"].dtype)
    assert y.tolist() == frame["label"].tolist()
    (spec,) = discover_datasets(tmp_path, target="amount")
    assert load_dataset(spec)[2] == "regression"  # continuous target


def test_directory_of_tables_and_forced_task(tmp_path):
    _write_csv(tmp_path / "a.csv")
    _write_csv(tmp_path / "b.tsv.gz").to_csv(tmp_path / "b.tsv.gz", sep="\t", index=False)
    (tmp_path / "notes.md").write_text("not a table")
    specs = discover_datasets(tmp_path, target="label", task="classification")
    assert [s.dataset_id for s in specs] == ["file/a", "file/b"]
    X, y, task = load_dataset(specs[1])
    assert task == "classification" and X.shape == (40, 3)


def test_rows_with_missing_target_are_dropped(tmp_path):
    frame = _write_csv(tmp_path / "d.csv")
    frame.loc[[3, 7], "amount"] = np.nan
    frame.to_csv(tmp_path / "d.csv", index=False)
    X, y, _ = load_dataset(discover_datasets(tmp_path / "d.csv", target="amount")[0])
    assert len(X) == len(y) == 38 and y.notna().all()


def test_index_file_elsewhere(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    _write_csv(data / "one.csv").rename(columns={"label": "target"}).to_csv(
        data / "one.csv", index=False
    )
    pd.DataFrame({"name": ["one"], "task": ["classification"]}).to_csv(
        data / "my_index.tsv", sep="\t", index=False
    )
    (spec,) = discover_datasets(data / "my_index.tsv")
    assert spec.name == "one" and spec.family == "one" and spec.openml_id is None
    X, y, task = load_dataset(spec)
    assert X.shape == (40, 3) and task == "classification"


def test_errors(tmp_path):
    _write_csv(tmp_path / "shop.csv")
    with pytest.raises(ParameterError, match="The 'target' parameter must name the target"):
        discover_datasets(tmp_path)
    with pytest.raises(DataError, match="Target column 'nope' not found"):
        load_dataset(discover_datasets(tmp_path, target="nope")[0])
    with pytest.raises(DataError, match="No such file or directory"):
        discover_datasets(tmp_path / "missing")
    with pytest.raises(
        ParameterError, match="The 'task' parameter of discover_datasets must be one of"
    ):
        discover_datasets(tmp_path, target="label", task="clustering")
    with pytest.raises(ParameterError, match="The 'max_datasets' parameter must be an int >= 1"):
        discover_datasets(tmp_path, target="label", max_datasets=0)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="holds no index.tsv and no CSV/TSV/parquet file"):
        discover_datasets(empty)
    bad_index = tmp_path / "index_dir"
    bad_index.mkdir()
    (bad_index / "index.tsv").write_text("name\tsize\nx\t3\n")
    with pytest.raises(DataError, match=r"must have the columns 'name' and 'task'"):
        discover_datasets(bad_index)


def test_spec_is_a_frozen_dataclass():
    spec = DatasetSpec("a", "file/a", "/x/a.csv", "regression", "y")
    with pytest.raises(AttributeError):
        spec.name = "b"  # type: ignore[misc]
