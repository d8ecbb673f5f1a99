"""autometa._atomic's file writer and JSON header reader (used by ``models train``)."""

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
        (json.dumps([1]), r"is not an autometa test file. Write it again."),
        (json.dumps({"format": "other"}), r"is not an autometa test file"),
        (
            json.dumps({"format": "autometa-test", "schema_version": "2"}),
            r"has no valid schema_version \(got '2'\)",
        ),
        (
            json.dumps({"format": "autometa-test", "schema_version": 3}),
            r"written by a newer autometa \(schema 3, this one reads 2\). Upgrade autometa.",
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
