"""autometa._atomic: the file writer, and the one JSON header reader of every artifact."""

from __future__ import annotations

import json

import pytest

from autometa import ModelError
from autometa._atomic import read_json_header, write_text


def test_write_text_replaces_the_file_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "index.json"
    target.write_text("old")
    write_text(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["index.json"]


def test_write_text_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "index.json"
    target.write_text("old")
    with pytest.raises(TypeError):
        write_text(target, None)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.json"]


def _read(path, **kwargs):
    return read_json_header(
        path,
        format="autometa-test",
        reads=2,
        error=ModelError,
        what="an autometa test file",
        fix="Write it again.",
        **kwargs,
    )


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", r"is not valid JSON .*damaged or truncated. Write it again."),
        (json.dumps([1]), r"is not an autometa test file \(its format is None, not "),
        (
            json.dumps({"format": "other"}),
            r"is not an autometa test file \(its format is 'other', not 'autometa-test'\). "
            "Write it again.",
        ),
        (
            json.dumps({"format": "autometa-test"}),
            r"has no valid schema_version \(got None, expected an int\): the file is damaged",
        ),
        (
            json.dumps({"format": "autometa-test", "schema_version": "2"}),
            r"has no valid schema_version \(got '2', expected an int\): the file is damaged",
        ),
        (
            json.dumps({"format": "autometa-test", "schema_version": 3}),
            r"written by a newer autometa: it has schema version 3, this autometa reads "
            r"schema versions up to 2. Upgrade autometa",
        ),
        (
            json.dumps(
                {"format": "autometa-test", "schema_version": 3, "saved_with": {"autometa": "9"}}
            ),
            r"written by a newer autometa \(9\): it has schema version 3",
        ),
        (
            json.dumps({"format": "autometa-test", "schema_version": 0}),
            r"has schema version 0, older than any this autometa reads \(1 to 2\). Write it "
            "again. Or read it with the autometa version that wrote it.",
        ),
        (
            json.dumps({"format": "autometa-test", "schema_version": 1}),
            r"lacks 'files': the file is damaged. Write it again.",
        ),
    ],
)
def test_read_json_header_names_the_file_and_the_problem(tmp_path, content, match):
    path = tmp_path / "h.json"
    path.write_text(content)
    with pytest.raises(ModelError, match=match):
        _read(path, required=("files",))


def test_read_json_header_returns_a_good_header(tmp_path):
    path = tmp_path / "h.json"
    write_text(path, json.dumps({"format": "autometa-test", "schema_version": 2, "files": {}}))
    assert _read(path, required=("files",))["files"] == {}


def _artifacts(root, kb_factory):
    """``(header file, load)`` of every artifact autometa writes with a JSON header: a
    knowledge base, a meta-model, a models index, a cost model."""
    from autometa.kb import KnowledgeBase
    from autometa.models import CostModel, MetaModel, SingleBest, TaskData, load_models_index

    kb = kb_factory(n_datasets=3, configs_per_learner=2)
    kb.add_runs(kb.runs.assign(n_rows_used=300, n_train_rows=200))
    kb.save(root / "kb")
    SingleBest().fit(TaskData.from_kb(kb, "classification")).save(root / "models" / "sbs")
    index = {"format": "autometa-models", "schema_version": 1, "tasks": {}}
    write_text(root / "models" / "models.json", json.dumps(index))
    CostModel().fit(kb).save(root / "cost")
    return [
        (root / "kb" / "manifest.json", lambda: KnowledgeBase.load(root / "kb")),
        (
            root / "models" / "sbs" / "model.json",
            lambda: MetaModel.load(root / "models" / "sbs"),
        ),
        (
            root / "models" / "models.json",
            lambda: load_models_index(root / "models"),
        ),
        (root / "cost" / "cost.json", lambda: CostModel.load(root / "cost")),
    ]


@pytest.mark.parametrize(
    ("version", "match"),
    [
        (99, r"written by a newer autometa.*schema version 99.*Upgrade autometa"),
        (None, r"has no valid schema_version \(got None, expected an int\): the file is damaged"),
        ("2", r"has no valid schema_version \(got '2', expected an int\)"),
        (0, r"has schema version 0, older than any this autometa reads"),
    ],
)
def test_every_artifact_reads_its_schema_version_alike(tmp_path, kb_factory, version, match):
    """Issue 11: one reader of JSON headers (read_json_header) for every artifact."""
    from autometa import AutometaError

    for header_file, load in _artifacts(tmp_path, kb_factory):
        load()  # as written, it loads
        header = json.loads(header_file.read_text())
        good = dict(header)
        if version is None:
            del header["schema_version"]
        else:
            header["schema_version"] = version
        header_file.write_text(json.dumps(header))
        with pytest.raises(AutometaError, match=f"'{header_file}'.*{match}"):
            load()
        header_file.write_text(json.dumps(good))
        load()


def test_write_file_keeps_the_old_file_when_writing_fails(tmp_path):
    from autometa._atomic import write_file

    target = tmp_path / "runs.parquet"
    write_file(target, lambda tmp: tmp.write_bytes(b"old"))

    def broken(tmp):
        tmp.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_file(target, broken)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["runs.parquet"]


def test_a_builds_runs_file_is_replaced_atomically(tmp_path, monkeypatch):
    """The work directory's parquet files of runs go through _atomic.write_file."""
    import pandas as pd

    from autometa.kb._workdir import _WorkDir

    work = _WorkDir(tmp_path / "kb.build")
    first = pd.DataFrame({"dataset_id": ["d"], "config_id": ["c1"], "accuracy": [0.5]})
    work.write_runs("user/d", first)
    second = pd.concat([first, first.assign(config_id="c2")])

    def killed(self, path, *args, **kwargs):
        path.write_bytes(b"PAR1 torn")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_parquet", killed)
    with pytest.raises(KeyboardInterrupt):
        work.write_runs("user/d", second)
    monkeypatch.undo()
    (runs_file,) = (tmp_path / "kb.build" / "runs").iterdir()
    pd.testing.assert_frame_equal(pd.read_parquet(runs_file), first)
    assert work.has_runs_file("user/d")
