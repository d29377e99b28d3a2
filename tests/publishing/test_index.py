"""The "already published?" check reads PEP 503 HTML (pypiserver) and PEP 691 JSON, yanked files too."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.version import Version

from generator._errors import PublishError
from generator._publish import published_versions
from partner_api_client._stamp import __version__
from tests.publishing.conftest import Index, publish

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


def _file(name: str, **extra: object) -> dict[str, object]:
    return {"filename": name, "url": f"../../files/{name}", "hashes": {"sha256": "0" * 64}, **extra}


# partner-api as a JSON-only index lists it: the version generated/ holds, yanked (both files), a
# later one live, and a file of another project whose name only starts the same.
LATER = f"{Version(__version__).major + 1}.0.0"
PROJECT_PAGE = {
    "meta": {"api-version": "1.1"},
    "name": "partner-api",
    "files": [
        _file(f"partner_api-{__version__}-py3-none-any.whl", yanked="broken token renewal"),
        _file(f"partner_api-{__version__}.tar.gz", yanked=True),
        _file(f"partner_api-{LATER}-py3-none-any.whl"),
        _file("partner_api_extras-9.0.0-py3-none-any.whl"),
    ],
    "versions": [__version__, LATER],
}


class _JsonOnlyIndex(BaseHTTPRequestHandler):
    """Answers the PEP 691 JSON form only, and only to a client that asks for it."""

    requests: list[tuple[str, str]]

    def do_GET(self) -> None:
        self.requests.append((self.path, self.headers.get("Accept", "")))
        if JSON_TYPE not in self.headers.get("Accept", ""):
            self._answer(406, "text/plain", b"JSON only")
        elif self.path == "/simple/partner-api/":
            self._answer(200, JSON_TYPE, json.dumps(PROJECT_PAGE).encode())
        elif self.path == "/simple/private/":
            self._answer(403, "text/plain", b"forbidden")
        elif self.path == "/simple/not-an-index/":
            self._answer(200, "text/plain", b"a login page, say")
        else:
            self._answer(404, "text/plain", b"no such project")

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def json_index() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    seen: list[tuple[str, str]] = []
    handler = type("Handler", (_JsonOnlyIndex,), {"requests": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_json_only_index_is_read_yanked_files_included(
    json_index: tuple[str, list[tuple[str, str]]],
) -> None:
    url, seen = json_index
    assert published_versions(url) == {Version(__version__), Version(LATER)}
    assert seen[-1][0] == "/simple/partner-api/"
    assert JSON_TYPE in seen[-1][1]


def test_a_project_the_json_index_does_not_know_has_no_versions(
    json_index: tuple[str, list[tuple[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = json_index
    monkeypatch.setattr("generator._publish.DISTRIBUTION", "not-there")
    assert published_versions(url) == set()


def test_publish_refuses_a_version_that_is_only_yanked_on_the_index(
    json_index: tuple[str, list[tuple[str, str]]], tmp_path: Path
) -> None:
    url, seen = json_index
    # The upload URL is never reached: the check refuses first.
    index = Index(url="http://127.0.0.1:9/", packages=tmp_path)
    result = publish(index, simple_url=url)
    assert result.returncode == 1
    assert f"the index already has partner-api {__version__}; nothing was uploaded" in result.stderr
    assert [path for path, _ in seen] == ["/simple/partner-api/"]


@pytest.mark.parametrize(
    ("project", "message"),
    [
        ("private", r"the index answered 403 for http://127\.0\.0\.1:\d+/simple/private/; pass --simple-url"),
        ("not-an-index", r"/simple/not-an-index/ is not a simple API page \(text/plain\)"),
    ],
)
def test_an_answer_that_is_not_a_project_page_is_a_clear_error(
    json_index: tuple[str, list[tuple[str, str]]], monkeypatch: pytest.MonkeyPatch, project: str, message: str
) -> None:
    url, _ = json_index
    monkeypatch.setattr("generator._publish.DISTRIBUTION", project)
    with pytest.raises(PublishError, match=message):
        published_versions(url)


def test_an_index_that_cannot_be_reached_is_a_clear_error() -> None:
    with pytest.raises(PublishError, match="cannot reach the index"):
        published_versions("http://127.0.0.1:9/simple/")


def test_pypiserver_html_lists_what_was_published(index: Index) -> None:
    simple = f"{index.url}simple/"
    assert published_versions(simple) == set()
    assert publish(index).returncode == 0
    assert published_versions(simple) == {Version(__version__)}
