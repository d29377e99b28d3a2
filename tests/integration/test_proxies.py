"""HTTP_PROXY, ALL_PROXY and NO_PROXY are honoured as httpx.Client honours them; trust_env=False not."""

from __future__ import annotations

import contextlib
import json
import select
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from partner_api_client.api.products import list_products
from tests._flavor import flavors
from tests.hostile import Connection, HostileServer
from tests.hostile import head as head_of
from tests.integration.test_hostile import HostileFlavor

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
PAGE = json.dumps({"items": [], "page": 1, "size": 20, "total": 0}).encode()

flavor = flavors(HostileFlavor)


def answer(connection: Connection) -> None:
    connection.send(head_of(content_type="application/json", content_length=len(PAGE)) + PAGE)


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


# ---- HTTPS through a CONNECT tunnel, with the CA from SSL_CERT_FILE --------------------------------


class TLSVendor:
    """An https:// server on loopback for ``localhost``, its certificate from a test CA."""

    def __init__(self, ca: trustme.CA) -> None:
        self.heads: list[bytes] = []
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("localhost").configure_cert(self._context)
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with contextlib.suppress(OSError), sock:
                sock.settimeout(5)
                with self._context.wrap_socket(sock, server_side=True) as tls:
                    head = b""
                    while b"\r\n\r\n" not in head:
                        chunk = tls.recv(65536)
                        if not chunk:
                            break
                        head += chunk
                    self.heads.append(head)
                    tls.sendall(
                        head_of(content_type="application/json", content_length=len(PAGE), connection="close")
                        + PAGE
                    )

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        self._thread.join(timeout=5)


def tunnel(connection: Connection) -> None:
    """A CONNECT proxy: opens the tunnel it is asked for and pipes bytes both ways."""
    method, authority, _ = connection.head.split(b"\r\n", 1)[0].decode().split(" ")
    if method != "CONNECT":
        connection.send(head_of("405 Method Not Allowed", content_length=0))
        return
    port = int(authority.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as upstream:
        connection.send(b"HTTP/1.1 200 Connection established\r\n\r\n")
        ends = {connection.sock: upstream, upstream: connection.sock}
        for _ in connection.until():
            readable, _, _ = select.select(list(ends), [], [], 0.1)
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                ends[sock].sendall(data)


@pytest.fixture
def https_vendor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TLSVendor]:
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))  # read because trust_env is on
    vendor = TLSVendor(ca)
    yield vendor
    vendor.stop()


def test_https_proxy_tunnels_to_an_https_vendor(
    flavor: Any, servers: Any, https_vendor: TLSVendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = HostileServer(tunnel).start()
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        client = flavor.client(f"https://localhost:{https_vendor.port}")
        assert flavor.call(list_products, client).status_code == 200
        assert _request_lines(proxy) == [f"CONNECT localhost:{https_vendor.port} HTTP/1.1"]
        assert len(https_vendor.heads) == 1
        assert b"x-app-key: k" in https_vendor.heads[0]  # only the vendor sees the headers
        assert b"x-app-key" not in proxy.heads[0]
    finally:
        proxy.stop()


def test_no_proxy_bypasses_the_https_proxy(
    flavor: Any, servers: Any, https_vendor: TLSVendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = HostileServer(tunnel).start()
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "localhost")
        client = flavor.client(f"https://localhost:{https_vendor.port}")
        assert flavor.call(list_products, client).status_code == 200
        assert proxy.heads == []
        assert len(https_vendor.heads) == 1
    finally:
        proxy.stop()
