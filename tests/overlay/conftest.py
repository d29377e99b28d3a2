from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stamina

from partner_api import AsyncPartnerClient, PartnerClient, Tokens
from tests._flavor import Flavor, flavors
from tests.overlay.fake_vendor import FakeVendor


@pytest.fixture(autouse=True)
def _no_retry_waits() -> Iterator[None]:
    # Backoff waits off, attempts as configured: retry tests count attempts, not seconds.
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
def vendor() -> FakeVendor:
    return FakeVendor()


class VendorFlavor(Flavor):
    """A Flavor whose clients talk to a FakeVendor through httpx.MockTransport."""

    def client(self, vendor: FakeVendor, **options: Any) -> PartnerClient | AsyncPartnerClient:
        options.setdefault("app_key", vendor.app_key)
        options.setdefault("base_url", "https://api.test")
        http_client = vendor.http_client() if self.name == "sync" else vendor.async_http_client()
        return self.make_client(http_client=http_client, **options)


flavor = flavors(VendorFlavor)


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
