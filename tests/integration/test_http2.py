"""HTTP/2: credentials are never-indexed and never logged in clear (hpack logs header values at DEBUG)."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import h2.config
import h2.connection
import h2.events
import httpx
import pytest
from hpack import NeverIndexedHeaderTuple

from partner_api import InvalidHeaderValue, Tokens
from partner_api_client.api.accounts import get_account
from tests._flavor import Flavor, flavors

SENTINELS = {
    "authorization": "SENTINEL-ACCESS-7f3a",
    "x-user-token": "SENTINEL-USER-44de",
    "x-app-key": "SENTINEL-APPKEY-0c1d",
}
ACCOUNT = {"id": "acc_001", "ownerId": "u1", "currency": "IDR", "balance": "1.00", "status": "active"}


class H2Server:
    """A minimal HTTP/2 (prior knowledge, cleartext) server on loopback: 200 with an account."""

    def __init__(self) -> None:
        self.received: list[list[Any]] = []
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(4)
        self._listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
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
            with sock:
                self._serve(sock)

    def _serve(self, sock: socket.socket) -> None:
        connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        connection.initiate_connection()
        sock.sendall(connection.data_to_send())
        sock.settimeout(0.2)
        body = json.dumps(ACCOUNT).encode()
        while not self._stopped.is_set():
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            for event in connection.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    self.received.append(list(event.headers))
                    headers = [(":status", "200"), ("content-type", "application/json")]
                    connection.send_headers(event.stream_id, headers)
                    connection.send_data(event.stream_id, body, end_stream=True)
            sock.sendall(connection.data_to_send())

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        self._thread.join(timeout=5)


class H2Flavor(Flavor):
    def client(self, server: H2Server, **options: Any) -> Any:
        sync = self.name == "sync"
        transport = (
            httpx.HTTPTransport(http1=False, http2=True)
            if sync
            else httpx.AsyncHTTPTransport(http1=False, http2=True)
        )
        tokens = Tokens(access_token=SENTINELS["authorization"], user_token=SENTINELS["x-user-token"])
        return self.make_client(
            app_key=SENTINELS["x-app-key"], base_url=server.url, transport=transport, tokens=tokens, **options
        )


flavor = flavors(H2Flavor)


@pytest.fixture
def server() -> Iterator[H2Server]:
    running = H2Server()
    yield running
    running.stop()


def test_credentials_are_never_indexed_and_never_logged(
    flavor: H2Flavor, server: H2Server, caplog: pytest.LogCaptureFixture
) -> None:
    """Properties 17 and 18: over HTTP/2 with every logger at DEBUG (hpack's included)."""
    caplog.set_level(logging.DEBUG)
    client = flavor.client(server)
    response = flavor.call(get_account, client, account_id="acc_001")
    assert response.status_code == 200
    assert response.parsed.id == "acc_001"
    (headers,) = server.received
    sent = {bytes(name).decode(): header for header in headers for name in [header[0]]}
    for name, value in SENTINELS.items():
        assert value in bytes(sent[name][1]).decode()
        assert isinstance(sent[name], NeverIndexedHeaderTuple), name  # kept out of HPACK's tables
    assert any(record.name.startswith("hpack") for record in caplog.records)  # hpack did log
    text = caplog.text + "".join(repr(record.args) for record in caplog.records)
    for value in SENTINELS.values():
        assert value not in text


def test_header_values_are_checked_before_an_http2_transport(flavor: H2Flavor, server: H2Server) -> None:
    """Property 17: h2 checks nothing; a CR or LF never reaches it."""
    client = flavor.client(server)
    for bad in ("id\r\nx-evil: 1", "id\n", " padded", "caf\u00e9"):
        with pytest.raises(InvalidHeaderValue):
            client.with_options(request_id=bad)
    assert flavor.call(get_account, client, account_id="acc_001").status_code == 200
    assert all(b"x-evil" not in bytes(header[0]) for headers in server.received for header in headers)


def test_never_indexing_holds_in_a_fresh_process() -> None:
    """In an app, nothing but httpx and the client have imported h2 (this module has)."""
    code = (
        "import httpx\n"
        "from partner_api import PartnerClient\n"
        "transport = httpx.HTTPTransport(http2=True)\n"
        "PartnerClient(app_key='k', base_url='http://127.0.0.1:9', transport=transport)\n"
        "import h2.utilities\n"
        "print(sorted(n for n in h2.utilities._SECURE_HEADERS if isinstance(n, bytes)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[b'authorization', b'proxy-authorization', b'x-app-key', b'x-user-token']"
