"""Reliability properties of ../shared/notes/reliability.md that had no test (the core's part):
expiry on a fake clock, an endpoint down for 10 s, rotation reaching the callback, wall-clock
jumps both ways, and one token generation per request."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from partner_api import ServerError, Tokens
from partner_api_client.api.accounts import get_account
from partner_api_client.api.auth import renew_access_token
from partner_api_client.api.products import list_products
from partner_api_client.api.users import authenticate_user
from partner_api_client.models import UserCredentials
from tests.overlay.conftest import VendorFlavor as Flavor
from tests.overlay.conftest import logged_in
from tests.overlay.fake_vendor import FakeVendor, status

ACCESS = "/v1/auth/access-token"
REFRESH = "/v1/auth/refresh-token"
LOGIN = UserCredentials(username="siti", password="pw")


class FakeClock:
    """The monotonic clock the token code reads, moved by the test; everything else is real."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    for module in ("partner_api._tokens", "partner_api._renewal", "partner_api._auth"):
        monkeypatch.setattr(f"{module}.time", fake)
    return fake


def test_proactive_renewal_windows_on_a_fake_clock(
    flavor: Flavor, vendor: FakeVendor, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Property 4: a renewal failing while the token is valid leaves the call on the old token
    (warning); failing once it has expired raises."""
    tokens = logged_in(vendor, access=900.0, refresh=None, user=None)
    client = flavor.client(vendor, tokens=tokens, max_retries=0)
    assert flavor.call(list_products, client).status_code == 200
    assert vendor.calls[ACCESS] == 0
    clock.advance(880)  # within the 30 s margin
    vendor.fail_next(ACCESS, status(503))
    with caplog.at_level(logging.WARNING, logger="partner_api"):
        assert flavor.call(list_products, client).status_code == 200
    assert vendor.seen[-1].headers["authorization"] == f"Bearer {tokens.access_token}"
    assert "renewing the access token early failed" in caplog.text
    clock.advance(30)  # expired now
    vendor.fail_next(ACCESS, status(503))
    with pytest.raises(ServerError):
        flavor.call(list_products, client)
    assert vendor.calls[ACCESS] == 2


def test_an_endpoint_down_for_10_s_gets_a_couple_of_attempts(
    flavor: Flavor, vendor: FakeVendor, clock: FakeClock
) -> None:
    """Property 5: renewal endpoint down for 10 s in the early window; 100 calls over those 10 s
    all succeed on the valid token and make at most a couple of attempts, not 100."""
    client = flavor.client(
        vendor, tokens=logged_in(vendor, access=900.0, refresh=None, user=None), max_retries=0
    )
    clock.advance(875)
    vendor.fail_next(ACCESS, *[status(503)] * 100)
    for _ in range(100):
        assert flavor.call(list_products, client).status_code == 200
        clock.advance(0.1)
    assert 1 <= vendor.calls[ACCESS] <= 3


def test_rotated_refresh_and_user_tokens_reach_the_callback_before_any_request_uses_them(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    """Property 7."""
    told: list[tuple[Tokens, int]] = []

    def persist(tokens: Tokens) -> None:
        told.append((tokens, len(vendor.seen)))

    client = flavor.client(vendor, tokens=logged_in(vendor, access=-1.0), on_tokens_changed=persist)
    vendor.revoke("refresh")
    flavor.call(get_account, client, account_id="acc_001")  # refresh rotated through the user token
    flavor.call(authenticate_user, client, body=LOGIN)  # the user token rotated
    flavor.call(get_account, client, account_id="acc_001")
    for kind, header in (("refresh", "authorization"), ("user", "x-user-token")):
        token = getattr(client.tokens, f"{kind}_token")
        first_use = next(
            index
            for index, request in enumerate(vendor.seen)
            if request.headers.get(header, "").removeprefix("Bearer ") == token
        )
        told_at = next(seen for tokens, seen in told if getattr(tokens, f"{kind}_token") == token)
        assert told_at <= first_use, kind
    assert vendor.paths().count(REFRESH) == 1


@pytest.mark.parametrize("hours", [1, -1])
def test_wall_clock_jumps_change_nothing(
    hours: int, flavor: Flavor, vendor: FakeVendor, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Property 9: a jump of +-1 h neither renews a valid token nor lets an expired one through."""
    client = flavor.client(vendor, tokens=logged_in(vendor, access=600.0, refresh=None, user=None))
    real = dt.datetime

    class AnyDatetime(type):
        def __instancecheck__(cls, value: object) -> bool:
            return isinstance(value, real)  # datetimes made before the jump are datetimes too

    class Jumped(dt.datetime, metaclass=AnyDatetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return real.now(tz) + dt.timedelta(hours=hours)

    monkeypatch.setattr(dt, "datetime", Jumped)
    for _ in range(5):
        assert flavor.call(list_products, client).status_code == 200
    assert vendor.calls[ACCESS] == 0  # no renewal storm after a jump forward
    clock.advance(601)  # expired on the monotonic clock, whatever the wall clock says
    old = client.tokens.access_token
    vendor.revoke("access", old)
    assert flavor.call(list_products, client).status_code == 200
    assert vendor.calls[ACCESS] == 1
    assert vendor.paths()[-2:] == [ACCESS, "/v1/products"]  # renewed before, never sent expired


def _generations_check(vendor: FakeVendor, announced: list[Tokens], initial: Tokens) -> None:
    pairs = {(t.access_token, t.user_token) for t in [initial, *announced]}
    used = [
        (r.headers["authorization"].removeprefix("Bearer "), r.headers["x-user-token"])
        for r in vendor.seen
        if r.url.path.startswith("/v1/accounts/")
    ]
    assert used
    assert set(used) <= pairs


def test_no_request_mixes_two_token_generations_threads(vendor: FakeVendor) -> None:
    """Property 10: while one thread rotates the access and user tokens, 8 threads' requests
    each carry an access token and a user token the client held at the same time."""
    announced: list[Tokens] = []
    initial = logged_in(vendor)
    client = vendor.sync_client(tokens=initial, on_tokens_changed=announced.append)
    done = threading.Event()

    def rotate() -> None:
        for _ in range(30):
            renew_access_token.sync_detailed(client=client)
            authenticate_user.sync_detailed(client=client, body=LOGIN)
        done.set()

    def read(_: int) -> None:
        while True:  # at least once, however fast the rotation ends
            get_account.sync_detailed(client=client, account_id="acc_001")
            if done.is_set():
                return

    rotator = threading.Thread(target=rotate)
    rotator.start()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(read, range(8)))
    rotator.join()
    _generations_check(vendor, announced, initial)


def test_no_request_mixes_two_token_generations_tasks(vendor: FakeVendor) -> None:
    """Property 10, asyncio."""
    announced: list[Tokens] = []
    initial = logged_in(vendor)

    async def scenario() -> None:
        client = vendor.async_client(tokens=initial, on_tokens_changed=announced.append)
        done = asyncio.Event()

        async def rotate() -> None:
            for _ in range(30):
                await renew_access_token.asyncio_detailed(client=client)
                await authenticate_user.asyncio_detailed(client=client, body=LOGIN)
            done.set()

        async def read() -> None:
            while True:  # at least once, however fast the rotation ends
                await get_account.asyncio_detailed(client=client, account_id="acc_001")
                await asyncio.sleep(0)  # a mock transport never suspends: let the rotation run
                if done.is_set():
                    return

        await asyncio.gather(rotate(), *(read() for _ in range(8)))
        await client.aclose()

    asyncio.run(scenario())
    _generations_check(vendor, announced, initial)
