"""The innermost transport: what must hold for every HTTP request that leaves, retries included.

It gives each request its own ``x-request-id``, keeps credentials from ever reaching another
origin (redirect hops pass through here too), and logs one line per request.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Final, cast

import httpx

from partner_api._errors import UnsafeRedirectError

logger = logging.getLogger("partner_api")

REQUEST_ID_EXTENSION: Final = "partner_api.request_id"
OPERATION_EXTENSION: Final = "partner_api.operation"
# The monotonic time (time.monotonic()) by which the whole call must end: retries, renewals,
# replays and waiting for another caller's renewal included. Set by the auth flow.
DEADLINE_EXTENSION: Final = "partner_api.deadline"
CREDENTIAL_HEADERS: Final = ("authorization", "x-user-token", "x-app-key")
# Marks a request object whose pinned x-request-id has been sent: its retries, 401 replay and
# redirect hops (which share the extensions) get fresh ids, as the vendor refuses a reused one.
_PINNED_ID_SENT: Final = "partner_api.request_id_sent"

Inner = httpx.BaseTransport | httpx.AsyncBaseTransport
_WIRES: weakref.WeakSet[Wire] = weakref.WeakSet()


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def _refuse_body(request: httpx.Request, request_id: str) -> None:
    """Refuse to carry a body to another origin (a 307/308 hop keeps it, private key included)."""
    headers = request.headers
    if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
        return
    url = request.url
    raise UnsafeRedirectError(
        f"{request.method} {url.path}: a redirect to {url.scheme}://{url.netloc.decode('ascii')} would "
        "re-send the request body (keys, passwords, payments) to another origin; refused, nothing "
        "was sent there",
        request_id=request_id,
    )


class Wire(httpx.BaseTransport, httpx.AsyncBaseTransport):
    def __init__(
        self,
        make_inner: Callable[[], Inner],
        base_url: httpx.URL,
        *,
        owned: bool,
        deadline_aware: bool = False,
    ) -> None:
        self._make_inner = make_inner
        self._inner = make_inner()
        self._origin = origin(base_url)
        # A pool we made is ours to renew after a fork; a client the user gave us is not.
        self._owned = owned
        # Whether every socket operation checks the call's deadline (see _deadline): our pools do.
        self.deadline_aware = owned or deadline_aware
        _WIRES.add(self)

    def _stamp(self, request: httpx.Request) -> str:
        extensions = request.extensions
        pinned = extensions.get(REQUEST_ID_EXTENSION)
        if pinned and not extensions.get(_PINNED_ID_SENT):
            extensions[_PINNED_ID_SENT] = True
            request_id = cast("str", pinned)
        else:
            request_id = str(uuid.uuid4())
        headers = request.headers
        headers["x-request-id"] = request_id
        if origin(request.url) != self._origin:
            _refuse_body(request, request_id)
            for name in CREDENTIAL_HEADERS:
                if name in headers:
                    del headers[name]
        return request_id

    def _log(self, request: httpx.Request, request_id: str, started: float, outcome: str) -> None:
        if logger.isEnabledFor(logging.INFO):
            elapsed_ms = (time.perf_counter() - started) * 1000
            operation = request.extensions.get(OPERATION_EXTENSION)
            # The same facts as fields, for structured logging (JSON formatters, log shippers).
            extra = {
                "operation": operation,
                "request_id": request_id,
                "status_code": int(outcome) if outcome.isdigit() else None,
                "error": None if outcome.isdigit() else outcome,
                "duration_ms": round(elapsed_ms, 1),
                "http_method": request.method,
                "url_path": request.url.path,
            }
            logger.info(
                "%s %s %s -> %s in %.1f ms, x-request-id %s",
                operation or "-",
                request.method,
                request.url.path,
                outcome,
                elapsed_ms,
                request_id,
                extra=extra,
            )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request_id = self._stamp(request)
        started = time.perf_counter()
        try:
            response = self._inner.handle_request(request)  # type: ignore[union-attr]
        except httpx.TransportError as error:
            self._log(request, request_id, started, type(error).__name__)
            raise
        self._log(request, request_id, started, str(response.status_code))
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request_id = self._stamp(request)
        started = time.perf_counter()
        try:
            response = await cast("httpx.AsyncBaseTransport", self._inner).handle_async_request(request)
        except httpx.TransportError as error:
            self._log(request, request_id, started, type(error).__name__)
            raise
        self._log(request, request_id, started, str(response.status_code))
        return response

    def close(self) -> None:
        if isinstance(self._inner, httpx.BaseTransport):
            self._inner.close()

    async def aclose(self) -> None:
        if isinstance(self._inner, httpx.AsyncBaseTransport):
            await self._inner.aclose()

    def _after_fork(self) -> None:
        # The parent's connections are the parent's: the child starts a pool of its own.
        if self._owned:
            self._inner = self._make_inner()


def _reset_after_fork() -> None:
    for wire in list(_WIRES):
        wire._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


class Borrowed(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A transport shared with the client it came from, which alone closes it."""

    def __init__(self, inner: httpx.BaseTransport | httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.deadline_aware = bool(getattr(inner, "deadline_aware", False))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)  # type: ignore[union-attr]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await cast("httpx.AsyncBaseTransport", self._inner).handle_async_request(request)

    def close(self) -> None:
        """Left to the owner."""

    async def aclose(self) -> None:
        """Left to the owner."""


class ThroughClient(httpx.BaseTransport):
    """Sends through an ``httpx.Client`` the user gave, so its proxies, TLS and hooks apply."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._client.send(request, auth=None, follow_redirects=False, stream=True)

    def close(self) -> None:
        """The user's client is the user's to close."""


class ThroughAsyncClient(httpx.AsyncBaseTransport):
    """Sends through an ``httpx.AsyncClient`` the user gave."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._client.send(request, auth=None, follow_redirects=False, stream=True)

    async def aclose(self) -> None:
        """The user's client is the user's to close."""
