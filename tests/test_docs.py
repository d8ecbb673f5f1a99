"""The documentation in ``docs/`` runs: every snippet of every page is executed.

Per page, in a fresh temporary directory and one namespace:

- every fenced ````python`` block runs, in page order;
- in every fenced ````console`` block, each line ``$ autometa ...`` runs through the CLI's
  entry point (:func:`autometa.cli.main`, in-process) and must exit with 0; other ``$``
  commands (``pip``, ``python -m pytest``) and output lines are not run.

A block that cannot run here (it needs a network or hours) is preceded by the line
``<!-- docs-test: skip REASON -->``; the reason is required. ````text`` blocks are output.
Besides, every page is linked from ``docs/index.md``, every relative link and picture of
the pages exists, and the README links to the documentation.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import time
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
FENCE = re.compile(
    r"(?:<!-- docs-test: skip(?P<reason>[^>]*)-->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S
)
SKIP = re.compile(r"<!-- docs-test: skip")


def blocks(page: Path) -> list[tuple[str, str, str | None]]:
    """(language, code, skip reason or None) of each fenced block of ``page``, in order."""
    text = page.read_text()
    found = [
        (m["lang"], m["body"], m["reason"].strip() if m["reason"] is not None else None)
        for m in FENCE.finditer(text)
    ]
    assert len(SKIP.findall(text)) == sum(r is not None for _, _, r in found), (
        f"{page.name}: a skip marker that is not right before a fenced block"
    )
    return found


def _run_console(code: str, page: str) -> None:
    from autometa.cli import main

    for line in code.splitlines():
        if not line.startswith("$ autometa "):
            continue
        argv = shlex.split(line[len("$ autometa ") :])
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exc:  # --help
                status = exc.code or 0
        assert status == 0, f"{page}: `{line[2:]}` exited with {status}:\n{err.getvalue()[-2000:]}"


def test_there_are_pages():
    names = {p.name for p in PAGES}
    parts = {"metafeatures.md", "knowledge-base.md", "meta-models.md", "estimators.md"}
    parts |= {"optuna.md", "cli.md", "how-it-decides.md", "limitations.md", "index.md"}
    assert parts <= names


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_snippets_run(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs.{page.stem}"}
    start = time.perf_counter()
    for i, (lang, code, reason) in enumerate(blocks(page)):
        if reason is not None:
            assert reason, f"{page.name}: block {i + 1} is skipped without a reason"
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if lang == "python":
                try:
                    exec(compile(code, f"{page.name}[block {i + 1}]", "exec"), namespace)
                except Exception as exc:
                    raise AssertionError(f"{page.name}, block {i + 1} failed:\n{code}") from exc
            elif lang == "console":
                _run_console(code, page.name)
    plt.close("all")
    print(f"{page.name}: {time.perf_counter() - start:.1f} s")


def _links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text())
    return re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_relative_links_and_pictures_exist(page):
    for target in _links(page):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_every_page_is_reachable_from_the_index_and_the_readme_links_the_docs():
    linked = {Path(t).name for t in _links(DOCS / "index.md")}
    assert {p.name for p in PAGES} - {"index.md"} <= linked
    assert "docs/index.md" in (ROOT / "README.md").read_text()
