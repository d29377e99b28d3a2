"""Running one scenario through PartnerClient (sync) or AsyncPartnerClient (async): the
fixture that makes sync and async tests come in pairs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from partner_api import AsyncPartnerClient, PartnerClient


class Flavor:
    def __init__(self, name: str) -> None:
        self.name = name
        self._runner = asyncio.Runner() if name == "async" else None
        self._clients: list[PartnerClient | AsyncPartnerClient | httpx.Client | httpx.AsyncClient] = []

    def closing(self, http_client: httpx.Client | httpx.AsyncClient) -> Any:
        """``http_client``, closed when the test ends (a client never closes what it was given)."""
        self._clients.append(http_client)
        return http_client

    def make_client(self, **options: Any) -> PartnerClient | AsyncPartnerClient:
        """A client, closed when the test ends."""
        kind = PartnerClient if self.name == "sync" else AsyncPartnerClient
        client = kind(**options)
        self._clients.append(client)
        return client

    def call(self, module: Any, client: Any, **arguments: Any) -> Any:
        """The generated module's ``*_detailed`` function, sync or awaited."""
        if self._runner is None:
            return module.sync_detailed(client=client, **arguments)
        return self._runner.run(module.asyncio_detailed(client=client, **arguments))

    def run(self, awaitable: Any) -> Any:
        assert self._runner is not None
        return self._runner.run(awaitable)

    def close(self) -> None:
        for client in self._clients:
            if isinstance(client, PartnerClient | httpx.Client):
                client.close()
            else:
                self.run(client.aclose())
        if self._runner is not None:
            self._runner.close()


def flavors(flavor_class: type[Flavor]) -> Any:
    """A fixture giving ``flavor_class`` once sync, once async."""

    @pytest.fixture(params=["sync", "async"])
    def flavor(request: pytest.FixtureRequest) -> Iterator[Flavor]:
        runner = flavor_class(request.param)
        yield runner
        runner.close()

    return flavor
