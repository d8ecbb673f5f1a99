"""A recorded OpenML server for tests: only the HTTP layer is replaced.

``requests.Session.get`` is patched to answer from files: openml-python's own test cache
(``../shared/fixtures/openml-cache``, copied into a temporary cache directory) and the list
responses recorded in OpenML's XML format under ``tests/fixtures/openml`` (file name: the
API endpoint with ``/`` written ``__``; ``setup__list.xml`` holds the setups
the fake filters by id, as the server does). Everything above the HTTP layer -- openml-python's
parsing and caching, our mapping -- runs for real. A request without a recorded answer
fails the test.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import requests

SERVER = "https://test.openml.org/api/v1/xml"
RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "openml"
SHARED_CACHE = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "openml-cache"
_CACHE_FILES = (
    "datasets/2/description.xml",
    "datasets/2/features.xml",
    "datasets/2/qualities.xml",
    "tasks/1882/task.xml",
    "tasks/3/task.xml",
)


def make_cache(root: Path) -> Path:
    """A writable copy of the recorded openml-python cache (the parts the import reads)."""
    src = SHARED_CACHE / "org" / "openml" / "test"
    if not src.is_dir():
        pytest.skip(f"the recorded openml-python cache is not at {SHARED_CACHE}")
    for rel in _CACHE_FILES:
        dst = root / "org" / "openml" / "test" / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, dst)
        dst.chmod(0o644)
    return root


def _setups(ids: list[str]) -> bytes:
    """``setup/list/setup/<ids>``: the recorded setups with these ids, as the server filters."""
    text = (RECORDED / "setup__list.xml").read_text(encoding="utf8")
    head, _, rest = text.partition("<oml:setup>")
    blocks = ["<oml:setup>" + b for b in rest.split("<oml:setup>")]
    blocks[-1] = blocks[-1].replace("</oml:setups>", "")
    wanted = [b for b in blocks if re.search(r"<oml:setup_id>(\d+)<", b).group(1) in ids]
    return (head + "".join(wanted) + "</oml:setups>\n").encode()


class RecordedServer:
    """Serves recorded responses; counts requests; can fail like a server or a network."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.fail_next: list[int] = []  # statuses of server errors to answer first
        self.offline = False
        self.no_result = False  # answer OpenML's "no results" error (unknown id)

    def get(self, session: requests.Session, url: str, **kwargs: object) -> requests.Response:
        self.requests.append(url)
        if self.offline:
            raise requests.exceptions.ConnectionError(
                f"HTTPSConnectionPool(host='test.openml.org', port=443): Max retries exceeded "
                f"with url: {url}"
            )
        response = requests.Response()
        response.url = url
        response.headers["Content-Encoding"] = "gzip"  # as the real server
        if self.no_result:
            response.status_code = 412
            response._content = (
                b'<oml:error xmlns:oml="http://openml.org/openml"><oml:code>482</oml:code>'
                b"<oml:message>Unknown task</oml:message></oml:error>"
            )
            return response
        if self.fail_next:
            response.status_code = self.fail_next.pop(0)
            response._content = (
                b'<oml:error xmlns:oml="http://openml.org/openml"><oml:code>107</oml:code>'
                b"<oml:message>Database connection error. Usually due to high server load. "
                b"Please wait for N seconds and try again.</oml:message></oml:error>"
            )
            return response
        endpoint = url.split("/api/v1/xml/", 1)[1].split("?", 1)[0]
        if endpoint.startswith("setup/list/setup/"):
            response.status_code = 200
            response._content = _setups(endpoint.split("/")[3].split(","))
            return response
        path = RECORDED / (endpoint.replace("/", "__") + ".xml")
        if not path.exists():
            raise AssertionError(f"no recorded response for {url} (expected {path.name})")
        response.status_code = 200
        response._content = path.read_bytes()
        response.encoding = "utf-8"
        return response


def install(monkeypatch: pytest.MonkeyPatch) -> RecordedServer:
    """Route openml-python's HTTP requests to a :class:`RecordedServer` (one try each)."""
    import openml

    server = RecordedServer()
    monkeypatch.setattr(
        requests.Session, "get", lambda session, url, **kw: server.get(session, url, **kw)
    )
    monkeypatch.setattr(openml.config, "connection_n_retries", 1)
    monkeypatch.setattr(openml.config, "apikey", "")
    return server
