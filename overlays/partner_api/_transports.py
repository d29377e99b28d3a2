"""The connection pools the client builds when it is given neither ``http_client`` nor ``transport``.

A plain ``httpx.Client`` reads ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY``
(and ``SSL_CERT_FILE``/``SSL_CERT_DIR``) from the environment, but only when it builds its own
transport: the client hands httpx a transport of its own, so it routes by the environment here,
with httpx's own reading of it. ``trust_env=False`` turns all of it off, as it does for httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import httpx
from httpx._utils import URLPattern, get_environment_proxies

from partner_api._deadline import async_bound_by_deadline, bound_by_deadline

if TYPE_CHECKING:
    from collections.abc import Callable

Transport = httpx.BaseTransport | httpx.AsyncBaseTransport
Route = tuple[URLPattern, Transport | None]


class Routed(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Sends each request through the proxy the environment names for its URL, or directly."""

    def __init__(self, direct: Transport, routes: list[Route]) -> None:
        self._direct = direct
        # httpx's order: the most specific pattern first, so NO_PROXY hosts win over ALL_PROXY.
        self._routes = sorted(routes, key=lambda route: route[0])

    def _for(self, url: httpx.URL) -> Transport:
        for pattern, transport in self._routes:
            if pattern.matches(url):
                return transport or self._direct
        return self._direct

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return cast("httpx.BaseTransport", self._for(request.url)).handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = cast("httpx.AsyncBaseTransport", self._for(request.url))
        return await transport.handle_async_request(request)

    def _all(self) -> list[Transport]:
        return [self._direct, *(transport for _, transport in self._routes if transport is not None)]

    def close(self) -> None:
        for transport in self._all():
            cast("httpx.BaseTransport", transport).close()

    async def aclose(self) -> None:
        for transport in self._all():
            await cast("httpx.AsyncBaseTransport", transport).aclose()


def _routed(make: Callable[[str | None], Transport], trust_env: bool) -> Transport:
    direct = make(None)
    if not trust_env:
        return direct
    routes: list[Route] = [
        (URLPattern(pattern), None if proxy is None else make(proxy))
        for pattern, proxy in get_environment_proxies().items()
    ]
    return Routed(direct, routes) if routes else direct


def sync_transport(*, trust_env: bool) -> httpx.BaseTransport:
    """The pool of a ``PartnerClient`` (or its proxies), bound by each call's deadline."""

    def make(proxy: str | None) -> httpx.BaseTransport:
        return bound_by_deadline(httpx.HTTPTransport(trust_env=trust_env, proxy=proxy))

    return cast("httpx.BaseTransport", _routed(make, trust_env))


def async_transport(*, trust_env: bool) -> httpx.AsyncBaseTransport:
    """The pool of an ``AsyncPartnerClient`` (or its proxies), bound by each call's deadline."""

    def make(proxy: str | None) -> httpx.AsyncBaseTransport:
        return async_bound_by_deadline(httpx.AsyncHTTPTransport(trust_env=trust_env, proxy=proxy))

    return cast("httpx.AsyncBaseTransport", _routed(make, trust_env))
