"""What is read of a response: decoded here in bounded steps, counted, capped (property 22)."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from partner_api import ConfigurationError, PartnerClient, ResponseDecodingError, ResponseTooLargeError
from partner_api._body import DEFAULT_MAX_RESPONSE_BYTES, BodyReader
from partner_api_client.api.products import list_products
from tests.overlay.conftest import VendorFlavor as Flavor
from tests.overlay.conftest import logged_in
from tests.overlay.fake_vendor import FakeVendor

PAGE = json.dumps({"items": [], "page": 1, "size": 20, "total": 0}).encode()
REQUEST = httpx.Request("GET", "https://api.test/v1/products")


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


ENCODINGS = {
    "": lambda data: data,
    "identity": lambda data: data,
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,  # zlib-wrapped, as RFC 9110 says
    "Deflate": _raw_deflate,  # raw, as some servers send it (httpx takes both)
}


def _read(encoding: str, body: bytes, cap: int, step: int = 7) -> bytes:
    headers = {"content-encoding": encoding} if encoding else {}
    reader = BodyReader(httpx.Response(200, headers=headers), REQUEST, cap, float("inf"))
    wire = ENCODINGS[encoding](body)
    for start in range(0, len(wire), step):
        reader.feed(wire[start : start + step])
    return reader.finish()


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_bodies_decode_as_httpx_decodes_them(encoding: str) -> None:
    body = PAGE * 300
    assert _read(encoding, body, cap=len(body)) == body
    if encoding != "x-gzip":  # RFC 9110's alias of gzip, which httpx leaves undecoded
        headers = {"content-encoding": encoding} if encoding else {}
        assert httpx.Response(200, headers=headers, content=ENCODINGS[encoding](body)).content == body


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_one_byte_over_the_cap_is_refused(encoding: str) -> None:
    body = bytes(10_000)
    with pytest.raises(ResponseTooLargeError, match="9999 bytes"):
        _read(encoding, body, cap=len(body) - 1, step=len(body))


def test_a_bomb_is_refused_before_it_inflates() -> None:
    """64 KiB of gzip inflate to 64 MiB in one call to httpx's decoder; here, one step at most."""
    bomb = gzip.compress(bytes(64 * 2**20))
    reader = BodyReader(httpx.Response(200, headers={"content-encoding": "gzip"}), REQUEST, 2**20, 1e18)
    with pytest.raises(ResponseTooLargeError):
        reader.feed(bomb)
    assert sum(len(part) for part in reader._parts) <= 2**20


def test_corrupt_deflate_is_a_decoding_error() -> None:
    with pytest.raises(ResponseDecodingError):
        _read("gzip", b"", cap=100) if False else BodyReader(
            httpx.Response(200, headers={"content-encoding": "deflate"}), REQUEST, 100, 1e18
        ).feed(b"\x00\x01 definitely not deflate")


def _streamed(body: bytes, flavor: Flavor) -> httpx.Response:
    """A gzip response read from the transport in 4 KiB chunks (not read beforehand)."""
    parts = [body[start : start + 4096] for start in range(0, len(body), 4096)]

    def chunks() -> Iterator[bytes]:
        yield from parts

    async def achunks() -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    content = chunks() if flavor.name == "sync" else achunks()
    return httpx.Response(200, headers={"content-encoding": "gzip"}, content=content)


def test_a_streamed_body_over_the_cap_raises_with_the_request_id(flavor: Flavor, vendor: FakeVendor) -> None:
    body = gzip.compress(bytes(5 * 2**20))
    vendor.fail_next("/v1/products", lambda request: _streamed(body, flavor))
    client = flavor.client(vendor, tokens=logged_in(vendor), max_response_bytes=2**20)
    with pytest.raises(ResponseTooLargeError) as caught:
        flavor.call(list_products, client)
    assert caught.value.request_id == vendor.seen[-1].headers["x-request-id"]
    assert vendor.calls["/v1/products"] == 1  # not retried


def test_a_body_within_the_cap_is_decoded_and_its_headers_say_so(flavor: Flavor, vendor: FakeVendor) -> None:
    vendor.fail_next("/v1/products", lambda request: _streamed(gzip.compress(PAGE), flavor))
    response = flavor.call(list_products, flavor.client(vendor, tokens=logged_in(vendor)))
    assert response.parsed.total == 0
    assert "content-encoding" not in response.headers
    assert response.headers["content-length"] == str(len(PAGE))


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "1000", None])
def test_max_response_bytes_must_be_a_positive_int(value: object) -> None:
    with pytest.raises(ConfigurationError, match="max_response_bytes"):
        PartnerClient(app_key="k", base_url="https://api.test", max_response_bytes=value)  # type: ignore[arg-type]


def test_the_default_cap_is_32_mib() -> None:
    assert DEFAULT_MAX_RESPONSE_BYTES == 32 * 2**20


def test_a_body_announced_over_the_cap_is_refused_before_it_is_read(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    """Property 22: Content-Length says 1 GiB: nothing of it is read."""
    read: list[int] = []

    def huge(request: httpx.Request) -> httpx.Response:
        def chunks() -> Iterator[bytes]:
            read.append(1)
            yield b" " * 4096

        async def achunks() -> AsyncIterator[bytes]:
            read.append(1)
            yield b" " * 4096

        content = chunks() if flavor.name == "sync" else achunks()
        return httpx.Response(200, headers={"content-length": str(2**30)}, content=content)

    vendor.fail_next("/v1/products", huge)
    client = flavor.client(vendor, tokens=logged_in(vendor))
    with pytest.raises(ResponseTooLargeError):
        flavor.call(list_products, client)
    assert read == []


@pytest.mark.parametrize("declared", ["\u00b2", "-1", "1e9", "9" * 40, "", " 12"])
def test_an_odd_content_length_is_left_to_the_count(declared: str) -> None:
    """Only plain digits are believed; anything else is neither trusted nor a crash."""
    response = httpx.Response(200, headers={"content-length": declared.encode("latin-1")})
    reader = BodyReader(response, REQUEST, 100, 1e18)
    reader.check_declared_length()  # 40 nines: absurd, and the count would stop it
    reader.feed(b"x" * 100)
    assert reader.finish() == b"x" * 100
