"""HTTP_PROXY, ALL_PROXY and NO_PROXY are honoured as httpx.Client honours them; trust_env=False not."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from partner_api_client.api.products import list_products
from tests._flavor import flavors
from tests.hostile import Connection, HostileServer, head
from tests.integration.test_hostile import HostileFlavor

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
PAGE = json.dumps({"items": [], "page": 1, "size": 20, "total": 0}).encode()

flavor = flavors(HostileFlavor)


def answer(connection: Connection) -> None:
    connection.send(head(content_type="application/json", content_length=len(PAGE)) + PAGE)


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], tuple[HostileServer, HostileServer]]]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    started: list[HostileServer] = []

    def start() -> tuple[HostileServer, HostileServer]:
        # The "proxy" answers by itself: what matters is that the request went to it.
        pair = (HostileServer(answer).start(), HostileServer(answer).start())
        started.extend(pair)
        return pair

    yield start
    for server in started:
        server.stop()


def _request_lines(server: HostileServer) -> list[str]:
    return [head.split(b"\r\n", 1)[0].decode().replace("?page=1&size=20", "") for head in server.heads]


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_in_the_environment_is_used(
    variable: str, flavor: Any, servers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, vendor = servers()
    monkeypatch.setenv(variable, proxy.url)
    client = flavor.client(vendor)
    assert flavor.call(list_products, client).status_code == 200
    assert _request_lines(proxy) == [f"GET {vendor.url}/v1/products HTTP/1.1"]  # absolute form
    assert vendor.heads == []


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "*", "localhost,127.0.0.1"])
def test_no_proxy_bypasses_it(
    no_proxy: str, flavor: Any, servers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, vendor = servers()
    monkeypatch.setenv("ALL_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    assert flavor.call(list_products, flavor.client(vendor)).status_code == 200
    assert proxy.heads == []
    assert _request_lines(vendor) == ["GET /v1/products HTTP/1.1"]


def test_trust_env_false_ignores_the_environment(
    flavor: Any, servers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, vendor = servers()
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    assert flavor.call(list_products, flavor.client(vendor, trust_env=False)).status_code == 200
    assert proxy.heads == []
    assert len(vendor.heads) == 1
