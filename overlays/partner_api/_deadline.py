"""The call's overall deadline, down to each read and write on the socket.

httpx's timeouts bound each network operation, not a call: a body dripped one byte just inside
the read timeout, or an endless run of ``100 Continue`` (h11 loops over informational responses
inside httpcore, where no timeout sees it), would never end. The retry transport publishes the
deadline of the attempt in flight in a context variable; the network streams of the pools the
client builds clip every operation to it and refuse to start one once it has passed.

The httpx pools of an ``http_client=`` or ``transport=`` are wrapped the same way. Any other
transport given (a MockTransport, aiohttp's) cannot be reached: in async, a cancel scope bounds
each of its attempts instead (it costs more than this: a timer per attempt); in sync, the
deadline is checked between the chunks of a body only.
"""

from __future__ import annotations

import contextvars
import functools
import time
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("partner_api_deadline", default=None)


def publish(deadline: float) -> contextvars.Token[float | None]:
    return _DEADLINE.set(deadline)


def withdraw(token: contextvars.Token[float | None]) -> None:
    _DEADLINE.reset(token)


def _clip(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the call's overall deadline has passed")
    return left if timeout is None else min(timeout, left)


@functools.cache
def _backends() -> tuple[type[Any], type[Any]]:
    """The backend wrappers, defined on first use: importing httpcore (and h2 with it, when
    installed) costs tens of milliseconds that ``import partner_api`` should not pay."""
    import httpcore  # noqa: PLC0415

    class _DeadlineStream(httpcore.NetworkStream):
        def __init__(self, inner: httpcore.NetworkStream) -> None:
            self._inner = inner

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return self._inner.read(max_bytes, _clip(timeout, httpcore.ReadTimeout))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._inner.write(buffer, _clip(timeout, httpcore.WriteTimeout))

        def close(self) -> None:
            self._inner.close()

        def start_tls(
            self,
            ssl_context: ssl.SSLContext,
            server_hostname: str | None = None,
            timeout: float | None = None,
        ) -> httpcore.NetworkStream:
            return _DeadlineStream(
                self._inner.start_tls(ssl_context, server_hostname, _clip(timeout, httpcore.ConnectTimeout))
            )

        def get_extra_info(self, info: str) -> Any:
            return self._inner.get_extra_info(info)

    class _DeadlineBackend(httpcore.NetworkBackend):
        def __init__(self, inner: httpcore.NetworkBackend) -> None:
            self._inner = inner

        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Iterable[Any] | None = None,
        ) -> httpcore.NetworkStream:
            stream = self._inner.connect_tcp(
                host, port, _clip(timeout, httpcore.ConnectTimeout), local_address, socket_options
            )
            return _DeadlineStream(stream)

        def connect_unix_socket(
            self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
        ) -> httpcore.NetworkStream:
            stream = self._inner.connect_unix_socket(
                path, _clip(timeout, httpcore.ConnectTimeout), socket_options
            )
            return _DeadlineStream(stream)

        def sleep(self, seconds: float) -> None:
            self._inner.sleep(seconds)

    class _AsyncDeadlineStream(httpcore.AsyncNetworkStream):
        def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
            self._inner = inner

        async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return await self._inner.read(max_bytes, _clip(timeout, httpcore.ReadTimeout))

        async def write(self, buffer: bytes, timeout: float | None = None) -> None:
            await self._inner.write(buffer, _clip(timeout, httpcore.WriteTimeout))

        async def aclose(self) -> None:
            await self._inner.aclose()

        async def start_tls(
            self,
            ssl_context: ssl.SSLContext,
            server_hostname: str | None = None,
            timeout: float | None = None,
        ) -> httpcore.AsyncNetworkStream:
            inner = await self._inner.start_tls(
                ssl_context, server_hostname, _clip(timeout, httpcore.ConnectTimeout)
            )
            return _AsyncDeadlineStream(inner)

        def get_extra_info(self, info: str) -> Any:
            return self._inner.get_extra_info(info)

    class _AsyncDeadlineBackend(httpcore.AsyncNetworkBackend):
        def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
            self._inner = inner

        async def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Iterable[Any] | None = None,
        ) -> httpcore.AsyncNetworkStream:
            stream = await self._inner.connect_tcp(
                host, port, _clip(timeout, httpcore.ConnectTimeout), local_address, socket_options
            )
            return _AsyncDeadlineStream(stream)

        async def connect_unix_socket(
            self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
        ) -> httpcore.AsyncNetworkStream:
            stream = await self._inner.connect_unix_socket(
                path, _clip(timeout, httpcore.ConnectTimeout), socket_options
            )
            return _AsyncDeadlineStream(stream)

        async def sleep(self, seconds: float) -> None:
            await self._inner.sleep(seconds)

    return _DeadlineBackend, _AsyncDeadlineBackend


def bound_by_deadline(transport: httpx.HTTPTransport) -> httpx.HTTPTransport:
    """``transport``, whose connections honour the published deadline.

    httpx has no public way to give its transport a network backend: this reaches its pool.
    If a future httpx moves it, the deadline still holds between reads (checked by the retry
    transport), only an endless stream of informational responses would then go unbounded.
    """
    import httpcore  # noqa: PLC0415 (httpx.HTTPTransport() has imported it already)

    wrapper = _backends()[0]
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend) and not isinstance(backend, wrapper):
        pool._network_backend = wrapper(backend)  # type: ignore[union-attr]
    return transport


def async_bound_by_deadline(transport: httpx.AsyncHTTPTransport) -> httpx.AsyncHTTPTransport:
    """``transport``, whose connections honour the published deadline (as ``bound_by_deadline``)."""
    import httpcore  # noqa: PLC0415 (httpx.AsyncHTTPTransport() has imported it already)

    wrapper = _backends()[1]
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.AsyncNetworkBackend) and not isinstance(backend, wrapper):
        pool._network_backend = wrapper(backend)  # type: ignore[union-attr]
    return transport


def bind_given(given: object) -> bool:
    """Make the httpx pools of a user's ``http_client`` or ``transport`` honour the deadline.

    Whether every transport it may send through now does (then no cancel scope is needed). The
    wrapping changes nothing for the user's own requests: it acts only while one of the client's
    calls has published its deadline, in that call's own context.
    """
    if given is None:
        return False
    if isinstance(given, httpx.Client | httpx.AsyncClient):
        transports = [getattr(given, "_transport", None), *getattr(given, "_mounts", {}).values()]
    else:
        transports = [given]
    bound = True
    for transport in transports:
        if isinstance(transport, httpx.HTTPTransport):
            bound_by_deadline(transport)
        elif isinstance(transport, httpx.AsyncHTTPTransport):
            async_bound_by_deadline(transport)
        elif transport is not None:
            bound = False  # a MockTransport, aiohttp, ...: its I/O cannot be reached
    return bound and _reached(transports)


def _reached(transports: list[object]) -> bool:
    return all(
        transport is None
        or isinstance(getattr(getattr(transport, "_pool", None), "_network_backend", None), _backends())
        for transport in transports
    )
