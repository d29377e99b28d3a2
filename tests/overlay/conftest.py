from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import stamina

from partner_api import AsyncPartnerClient, PartnerClient, Tokens
from tests.overlay.fake_vendor import FakeVendor


@pytest.fixture(autouse=True)
def _no_retry_waits() -> Iterator[None]:
    # Backoff waits off, attempts as configured: retry tests count attempts, not seconds.
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
def vendor() -> FakeVendor:
    return FakeVendor()


class Flavor:
    """Runs the same scenario through PartnerClient (sync) or AsyncPartnerClient (async)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._runner = asyncio.Runner() if name == "async" else None

    def client(self, vendor: FakeVendor, **options: Any) -> PartnerClient | AsyncPartnerClient:
        options.setdefault("app_key", vendor.app_key)
        options.setdefault("base_url", "https://api.test")
        if self.name == "sync":
            return PartnerClient(http_client=vendor.http_client(), **options)
        return AsyncPartnerClient(http_client=vendor.async_http_client(), **options)

    def call(self, module: Any, client: Any, **arguments: Any) -> Any:
        """The generated module's ``*_detailed`` function, sync or awaited."""
        if self._runner is None:
            return module.sync_detailed(client=client, **arguments)
        return self._runner.run(module.asyncio_detailed(client=client, **arguments))

    def run(self, awaitable: Any) -> Any:
        assert self._runner is not None
        return self._runner.run(awaitable)

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()


@pytest.fixture(params=["sync", "async"])
def flavor(request: pytest.FixtureRequest) -> Iterator[Flavor]:
    runner = Flavor(request.param)
    yield runner
    runner.close()


def logged_in(vendor: FakeVendor, **lifetimes: float | None) -> Tokens:
    """Tokens as after obtaining the first tokens and logging a user in."""
    import datetime as dt

    now = dt.datetime.now(dt.UTC)

    def expiry(kind: str) -> dt.datetime | None:
        seconds = lifetimes.get(kind, 600.0)
        return None if seconds is None else now + dt.timedelta(seconds=seconds)

    return Tokens(
        access_token=vendor.issue("access"),
        access_token_expires_at=expiry("access"),
        refresh_token=vendor.issue("refresh"),
        refresh_token_expires_at=expiry("refresh"),
        user_token=vendor.issue("user"),
        user_token_expires_at=expiry("user"),
    )
