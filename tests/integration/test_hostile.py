"""A vendor that drips, floods and bombs, over real sockets: every call ends, bounded in time and memory."""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from partner_api import APITimeoutError, ResponseDecodingError, ResponseTooLargeError, Tokens
from partner_api_client.api.products import list_products
from tests._flavor import Flavor, flavors
from tests.hostile import Behaviour, Connection, HostileServer, head

pytestmark = pytest.mark.usefixtures("no_retry_waits")

MIB = 2**20


class Delegating(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A transport the client cannot see into (as aiohttp's, or any custom one)."""

    def __init__(self, inner: httpx.BaseTransport | httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)  # type: ignore[union-attr]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)  # type: ignore[union-attr]

    def close(self) -> None:
        self._inner.close()  # type: ignore[union-attr]

    async def aclose(self) -> None:
        await self._inner.aclose()  # type: ignore[union-attr]


class HostileFlavor(Flavor):
    def given(self, how: str) -> dict[str, Any]:
        """The way out: the client's own pool, or one given as ``http_client``/``transport``."""
        sync = self.name == "sync"
        if how == "http_client":
            return {"http_client": self.closing(httpx.Client() if sync else httpx.AsyncClient())}
        pool = httpx.HTTPTransport() if sync else httpx.AsyncHTTPTransport()
        if how == "transport":
            return {"transport": pool}
        if how == "custom transport":
            return {"transport": Delegating(pool)}
        return {}

    def client(self, server: HostileServer | str, **options: Any) -> Any:
        """A client of ``server`` (or of a base URL), its tokens valid for an hour."""
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        tokens = Tokens(
            access_token="a" * 24,
            access_token_expires_at=later,
            refresh_token="r" * 24,
            refresh_token_expires_at=later,
        )
        url = server if isinstance(server, str) else server.url
        return self.make_client(app_key="k", base_url=url, tokens=tokens, **options)


flavor = flavors(HostileFlavor)


@pytest.fixture
def hostile() -> Iterator[Callable[..., HostileServer]]:
    servers: list[HostileServer] = []

    def start(behaviour: Behaviour, **options: Any) -> HostileServer:
        server = HostileServer(behaviour, **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def drip(connection: Connection) -> None:
    if not connection.send(head(content_type="application/json", content_length=1000)):
        return
    for _ in connection.until(every=0.5):
        if not connection.send(b" "):
            return


def continue_forever(connection: Connection) -> None:
    for _ in connection.until():
        if not connection.send(b"HTTP/1.1 100 Continue\r\n\r\n" * 64):
            return


def endless_chunks(connection: Connection) -> None:
    if not connection.send(head(content_type="application/json", transfer_encoding="chunked")):
        return
    chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
    for _ in connection.until():
        if not connection.send(chunk):
            return


@functools.cache
def _bomb() -> bytes:
    return gzip.compress(bytes(200 * MIB), 9)  # ~200 KB on the wire


def gzip_bomb(connection: Connection) -> None:
    body = _bomb()
    connection.send(
        head(content_type="application/json", content_encoding="gzip", content_length=len(body)) + body
    )


def corrupt_gzip(connection: Connection) -> None:
    body = b"\x1f\x8b\x08\x00" + b"not deflate at all" * 10
    connection.send(
        head(content_type="application/json", content_encoding="gzip", content_length=len(body)) + body
    )


def _timed(flavor: HostileFlavor, client: Any) -> tuple[float, pytest.ExceptionInfo[APITimeoutError]]:
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as caught:
        flavor.call(list_products, client)
    return time.monotonic() - started, caught


WAYS_OUT = ["own pool", "http_client", "transport", "custom transport"]


@pytest.mark.parametrize("how", WAYS_OUT)
def test_a_dripped_body_ends_at_the_calls_timeout(
    how: str, flavor: HostileFlavor, hostile: Callable[..., HostileServer]
) -> None:
    """Property 21: 1 byte every 0.5 s never trips a 1 s read timeout; the call's deadline does.

    Without it, 1000 bytes take 500 s (retries included, more).
    """
    server = hostile(drip, limit=8)
    elapsed, caught = _timed(flavor, flavor.client(server, timeout=1.0, **flavor.given(how)))
    assert elapsed < 3.0
    assert caught.value.request_id is not None


@pytest.mark.parametrize("how", ["own pool", "http_client", "transport"])
def test_an_endless_stream_of_100_continue_ends_at_the_calls_timeout(
    how: str, flavor: HostileFlavor, hostile: Callable[..., HostileServer]
) -> None:
    """Property 21: h11 loops over informational responses inside httpcore; the deadline ends it.

    Through a custom transport, only the async client can bound it (a cancel scope): see below.
    """
    server = hostile(continue_forever, limit=8)
    elapsed, _ = _timed(flavor, flavor.client(server, timeout=1.0, max_retries=0, **flavor.given(how)))
    assert elapsed < 3.0


def test_an_endless_stream_of_100_continue_through_a_custom_async_transport_ends(
    hostile: Callable[..., HostileServer],
) -> None:
    """Property 21: a transport the client cannot see into gets a cancel scope per attempt."""
    flavor = HostileFlavor("async")
    try:
        server = hostile(continue_forever, limit=8)
        client = flavor.client(server, timeout=1.0, max_retries=0, **flavor.given("custom transport"))
        elapsed, _ = _timed(flavor, client)
    finally:
        flavor.close()
    assert elapsed < 3.0


def test_a_gzip_bomb_is_stopped_at_the_cap(
    flavor: HostileFlavor, hostile: Callable[..., HostileServer]
) -> None:
    """Property 22: 200 KB of gzip that inflates to 200 MB; memory stays near the cap."""
    server = hostile(gzip_bomb)
    client = flavor.client(server, max_response_bytes=MIB)
    _bomb()
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLargeError, match="max_response_bytes") as caught:
            flavor.call(list_products, client)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12 * MIB  # the cap, one inflate step, and the client's own allocations
    assert caught.value.request_id is not None
    assert len(server.heads) == 1  # not retried: it would come back as large


def test_the_default_cap_stops_a_gzip_bomb(
    flavor: HostileFlavor, hostile: Callable[..., HostileServer]
) -> None:
    """Property 22: with no option given, the documented 32 MiB default applies."""
    server = hostile(gzip_bomb)
    with pytest.raises(ResponseTooLargeError, match=str(32 * MIB)):
        flavor.call(list_products, flavor.client(server))


def test_an_endless_body_ends_at_the_cap_and_frees_its_connection(
    flavor: HostileFlavor, hostile: Callable[..., HostileServer]
) -> None:
    """Property 22: an endless chunked body; the connection is closed, the server sees it go."""
    server = hostile(endless_chunks, limit=6)
    with pytest.raises(ResponseTooLargeError):
        flavor.call(list_products, flavor.client(server, max_response_bytes=4 * MIB))
    for _ in range(50):
        if server.client_gone:
            break
        time.sleep(0.1)
    assert server.client_gone


def test_a_corrupt_gzip_body_is_typed(flavor: HostileFlavor, hostile: Callable[..., HostileServer]) -> None:
    """Property 25: a decoding failure over a real connection is a PartnerAPIError with the id."""
    server = hostile(corrupt_gzip)
    with pytest.raises(ResponseDecodingError) as caught:
        flavor.call(list_products, flavor.client(server))
    assert caught.value.request_id is not None
