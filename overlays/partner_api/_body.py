"""Reading a response body: decompressed by us, counted, capped, and bounded by the deadline.

httpx decompresses each chunk whole (64 KiB of gzip can become 64 MiB in one call) and keeps
every byte; here gzip and deflate are inflated with a bound on each output, so a body never
takes more than the cap plus one chunk of memory, whatever its compression ratio. Other
encodings (br, zstd when their packages are installed) go through httpx's decoders, counted
chunk by chunk.
"""

from __future__ import annotations

import time
import zlib
from typing import TYPE_CHECKING, Final

import httpx

from partner_api._errors import APITimeoutError, ResponseDecodingError, ResponseTooLargeError

if TYPE_CHECKING:
    from collections.abc import Callable

DEFAULT_MAX_RESPONSE_BYTES: Final = 32 * 1024 * 1024
_ZLIB_MODES: Final = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
_INFLATE_STEP: Final = 64 * 1024


def _describe(request: httpx.Request) -> str:
    return f"{request.method} {request.url.path}"


class BodyReader:
    """Takes the raw chunks of one response; gives the decoded body, or raises a typed error."""

    def __init__(self, response: httpx.Response, request: httpx.Request, cap: int, deadline: float) -> None:
        self._request = request
        self._cap = cap
        self._deadline = deadline
        self._size = 0
        self._parts: list[bytes] = []
        encodings = [
            value.strip().lower() for value in response.headers.get("content-encoding", "").split(",")
        ]
        encodings = [value for value in encodings if value and value != "identity"]
        self._inflate: Callable[[bytes], None] | None = None
        self._zlib: zlib._Decompress | None = None
        self._deflate_first = False
        if not encodings:
            self._inflate = self._keep
        elif len(encodings) == 1 and encodings[0] in _ZLIB_MODES:
            self._zlib = zlib.decompressobj(_ZLIB_MODES[encodings[0]])
            self._deflate_first = encodings[0] == "deflate"
            self._inflate = self._inflate_zlib
        # Anything else is decoded by httpx (the retry transport reads it with iter_bytes).
        self.decoded_by_httpx = self._inflate is None
        self._declared = response.headers.get("content-length", "") if not encodings else ""

    def check_declared_length(self) -> None:
        """Refuse an uncompressed body announced larger than the cap, before reading any of it."""
        declared = self._declared
        if declared.isascii() and declared.isdigit() and len(declared) < 20 and int(declared) > self._cap:
            raise self._too_large()

    def feed(self, chunk: bytes) -> None:
        """One chunk as read from the connection (decoded already when ``decoded_by_httpx``)."""
        if time.monotonic() >= self._deadline:
            raise APITimeoutError(
                f"{_describe(self._request)}: the call's timeout passed while reading the response body",
                request=self._request,
            )
        if self._inflate is None or self.decoded_by_httpx:
            self._keep(chunk)
        else:
            self._inflate(chunk)

    def _keep(self, data: bytes) -> None:
        if not data:
            return
        self._size += len(data)
        if self._size > self._cap:
            raise self._too_large()
        self._parts.append(data)

    def _too_large(self) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"{_describe(self._request)}: the response body is larger than max_response_bytes "
            f"({self._cap} bytes, decompressed); it was not read further",
            request=self._request,
        )

    def _inflate_zlib(self, data: bytes) -> None:
        assert self._zlib is not None  # noqa: S101 (set with _inflate)
        try:
            while data:
                # At most one step more than the cap allows, so a bomb is caught before it grows.
                room = min(_INFLATE_STEP, self._cap - self._size + 1)
                out = self._zlib.decompress(data, room)
                self._keep(out)
                data = self._zlib.unconsumed_tail
                self._deflate_first = False
        except zlib.error as error:
            if not self._deflate_first:
                raise self._corrupt(error) from None
            # "deflate" sent as raw deflate, without the zlib header: httpx accepts both.
            self._deflate_first = False
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            self._inflate_zlib(data)

    def _corrupt(self, error: Exception) -> ResponseDecodingError:
        return ResponseDecodingError(
            f"{_describe(self._request)}: the response body could not be decoded: {error}",
            request=self._request,
        )

    def decoding_error(self, error: httpx.DecodingError) -> ResponseDecodingError:
        return self._corrupt(error)

    def finish(self) -> bytes:
        if self._zlib is not None and not self.decoded_by_httpx:
            try:
                self._keep(self._zlib.flush())
            except zlib.error as error:
                raise self._corrupt(error) from None
        return b"".join(self._parts)


def settled(response: httpx.Response, reader: BodyReader) -> httpx.Response:
    """``response``, its body read, decoded and kept, as if ``read()`` had been called."""
    content = reader.finish()
    if not reader.decoded_by_httpx:
        if "content-encoding" in response.headers:
            # Decoded here: the encoding and length headers no longer describe the content.
            del response.headers["content-encoding"]
            response.headers["content-length"] = str(len(content))
        # What read() stores: httpx has no public way to hand a response the body read for it.
        response._content = content
    return response
