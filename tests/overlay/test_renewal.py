"""Renewal: one at a time, chained when a token is refused, never losing a valid token."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from partner_api import (
    AuthenticationError,
    MissingTokenError,
    PartnerClient,
    ReauthenticationRequired,
    ServerError,
    Tokens,
)
from partner_api_client.api.accounts import get_account
from partner_api_client.api.products import list_products
from tests.overlay.conftest import VendorFlavor as Flavor
from tests.overlay.conftest import logged_in
from tests.overlay.fake_vendor import FakeVendor, status

ACCESS, REFRESH, LOGIN, FIRST = (
    "/v1/auth/access-token",
    "/v1/auth/refresh-token",
    "/v1/users/login",
    "/v1/auth/token",
)


def _expired_access(vendor: FakeVendor, **lifetimes: float | None) -> Tokens:
    tokens = logged_in(vendor, **lifetimes)
    vendor.revoke("access")
    return Tokens(
        access_token=tokens.access_token,
        access_token_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
        refresh_token=tokens.refresh_token,
        refresh_token_expires_at=tokens.refresh_token_expires_at,
        user_token=tokens.user_token,
        user_token_expires_at=tokens.user_token_expires_at,
    )


def test_an_expired_access_token_is_renewed_before_the_call(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=_expired_access(vendor))
    response = flavor.call(list_products, client)
    assert response.status_code == 200
    assert vendor.paths() == [ACCESS, "/v1/products"]
    assert vendor.seen[1].headers["authorization"] == f"Bearer {client.tokens.access_token}"


def test_a_401_renews_once_and_replays_once(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor))
    vendor.revoke("access")
    assert flavor.call(list_products, client).status_code == 200
    assert vendor.paths() == ["/v1/products", ACCESS, "/v1/products"]
    first, replay = vendor.seen[0], vendor.seen[2]
    assert first.headers["authorization"] != replay.headers["authorization"]
    assert first.headers["x-request-id"] != replay.headers["x-request-id"]


def test_a_second_401_raises(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor))
    vendor.fail_next("/v1/products", status(401), status(401))
    with pytest.raises(AuthenticationError) as caught:
        flavor.call(list_products, client)
    assert caught.value.status_code == 401
    assert vendor.paths() == ["/v1/products", ACCESS, "/v1/products"]


def test_a_stale_401_triggers_no_renewal(vendor: FakeVendor) -> None:
    tokens = logged_in(vendor)
    client = PartnerClient(
        http_client=vendor.http_client(), base_url="https://api.test", app_key=vendor.app_key, tokens=tokens
    )
    keyring = client._keyring
    used = keyring.held
    fresh = Tokens(
        access_token=vendor.issue("access"), refresh_token=tokens.refresh_token, user_token=tokens.user_token
    )
    keyring.store(type(used).from_tokens(fresh), frozenset({"access", "refresh", "user"}))
    held = keyring.book_of("access").renewer.obtain(keyring, "access", used, rejected=True)
    assert held.tokens.access_token == fresh.access_token
    assert vendor.calls[ACCESS] == 0


def test_refresh_rejected_renews_through_the_user_token(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=_expired_access(vendor))
    vendor.revoke("refresh")
    assert flavor.call(get_account, client, account_id="acc_001").status_code == 200
    assert vendor.paths() == [ACCESS, REFRESH, ACCESS, "/v1/accounts/acc_001"]
    assert client.tokens.refresh_token in vendor.valid["refresh"]


def test_a_rejected_user_token_requires_reauthentication_without_a_loop(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    client = flavor.client(vendor, tokens=_expired_access(vendor))
    vendor.revoke("refresh")
    vendor.revoke("user")
    with pytest.raises(ReauthenticationRequired) as caught:
        flavor.call(list_products, client)
    assert "authenticateUser" in str(caught.value)
    assert vendor.paths() == [ACCESS, REFRESH]
    expires_at = client.tokens.user_token_expires_at
    assert expires_at is not None
    assert expires_at <= dt.datetime.now(dt.UTC)  # refused, so marked expired
    with pytest.raises(ReauthenticationRequired):
        flavor.call(list_products, client)
    assert vendor.paths() == [ACCESS, REFRESH]  # nothing more was sent


def test_no_token_and_no_private_key_raises_before_sending(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor)
    with pytest.raises(MissingTokenError) as caught:
        flavor.call(list_products, client)
    assert caught.value.kind in ("access", "refresh", "user")
    assert vendor.seen == []


def test_a_user_operation_without_a_user_raises_before_sending(flavor: Flavor, vendor: FakeVendor) -> None:
    tokens = logged_in(vendor)
    client = flavor.client(
        vendor, tokens=Tokens(access_token=tokens.access_token, refresh_token=tokens.refresh_token)
    )
    with pytest.raises(MissingTokenError) as caught:
        flavor.call(get_account, client, account_id="acc_001")
    assert not isinstance(caught.value, ReauthenticationRequired)
    assert "authenticateUser" in str(caught.value)
    assert vendor.seen == []


def test_the_private_key_obtains_the_first_tokens(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, private_key=vendor.private_key)
    assert flavor.call(list_products, client).status_code == 200
    assert vendor.paths() == [FIRST, "/v1/products"]
    assert client.tokens.access_token in vendor.valid["access"]
    assert client.tokens.refresh_token in vendor.valid["refresh"]


def test_new_tokens_reach_the_callback_before_any_request_uses_them(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    seen_by_callback: list[tuple[str | None, int]] = []

    def persist(tokens: Tokens) -> None:
        seen_by_callback.append((tokens.access_token, len(vendor.seen)))

    client = flavor.client(vendor, tokens=_expired_access(vendor), on_tokens_changed=persist)
    flavor.call(list_products, client)
    [(token, requests_before)] = seen_by_callback
    assert token == client.tokens.access_token
    assert requests_before == 1  # only the renewal itself had been sent
    assert vendor.seen[1].headers["authorization"] == f"Bearer {token}"


def test_a_failing_callback_does_not_lose_the_new_tokens(
    flavor: Flavor, vendor: FakeVendor, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(tokens: Tokens) -> None:
        raise OSError("disk full")

    client = flavor.client(vendor, tokens=_expired_access(vendor), on_tokens_changed=broken)
    assert flavor.call(list_products, client).status_code == 200
    assert client.tokens.access_token in vendor.valid["access"]
    assert "on_tokens_changed failed" in caplog.text


def test_a_renewal_that_fails_keeps_the_tokens(flavor: Flavor, vendor: FakeVendor) -> None:
    tokens = _expired_access(vendor)
    client = flavor.client(vendor, tokens=tokens, max_retries=0)
    vendor.fail_next(ACCESS, status(503))
    with pytest.raises(ServerError):
        flavor.call(list_products, client)
    assert client.tokens == tokens
    assert flavor.call(list_products, client).status_code == 200


def test_an_early_renewal_failure_uses_the_valid_token_and_backs_off(
    flavor: Flavor, vendor: FakeVendor, caplog: pytest.LogCaptureFixture
) -> None:
    # 20 s left of a 600 s lifetime: inside the 30 s renewal margin, still valid.
    client = flavor.client(vendor, tokens=logged_in(vendor, access=20.0), max_retries=0)
    vendor.fail_next(ACCESS, *[status(503)] * 100)
    with caplog.at_level(logging.WARNING, logger="partner_api"):
        for _ in range(100):
            assert flavor.call(list_products, client).status_code == 200
    assert vendor.calls[ACCESS] == 1
    assert vendor.calls["/v1/products"] == 100
    assert "renewing the access token early failed (ServerError 503)" in caplog.text


def test_a_response_without_a_token_keeps_the_old_one(flavor: Flavor, vendor: FakeVendor) -> None:
    tokens = _expired_access(vendor)
    client = flavor.client(vendor, tokens=tokens)
    vendor.fail_next(ACCESS, lambda request: __import__("httpx").Response(200, json={"tokenType": "Bearer"}))
    # Issue 9: no usable token came back, so the call fails before sending (it used to go out
    # with the expired token); the tokens held are kept all the same.
    with pytest.raises(MissingTokenError):
        flavor.call(list_products, client)
    assert client.tokens.refresh_token == tokens.refresh_token
    assert vendor.paths() == [ACCESS]


def test_a_wall_clock_jump_changes_nothing(
    flavor: Flavor, vendor: FakeVendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor))
    real = dt.datetime

    class Jumped(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return real.now(tz) + dt.timedelta(hours=1)

    monkeypatch.setattr(dt, "datetime", Jumped)
    for _ in range(3):
        flavor.call(list_products, client)
    assert vendor.calls[ACCESS] == 0


# ---- concurrency: exactly one renewal -------------------------------------------------------


def test_1000_threads_with_an_expired_token_renew_once(vendor: FakeVendor) -> None:
    vendor.renewal_delay = 0.05
    client = vendor.sync_client(
        tokens=_expired_access(vendor),
    )
    barrier = threading.Barrier(50)

    def call(index: int) -> int:
        if index < 50:
            barrier.wait()
        return list_products.sync_detailed(client=client).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(call, range(1000)))
    assert statuses == [200] * 1000
    assert vendor.calls[ACCESS] == 1
    new = f"Bearer {client.tokens.access_token}"
    assert {r.headers["authorization"] for r in vendor.seen if r.url.path == "/v1/products"} == {new}
    # A second wave after the renewal makes no other.
    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(call, range(50, 150)))
    assert vendor.calls[ACCESS] == 1


def test_1000_tasks_with_an_expired_token_renew_once(vendor: FakeVendor) -> None:
    vendor.renewal_delay = 0.05

    async def scenario() -> list[int]:
        client = vendor.async_client(tokens=_expired_access(vendor))
        responses = await asyncio.gather(
            *(list_products.asyncio_detailed(client=client) for _ in range(1000))
        )
        second = await asyncio.gather(*(list_products.asyncio_detailed(client=client) for _ in range(100)))
        new = f"Bearer {client.tokens.access_token}"
        assert {r.headers["authorization"] for r in vendor.seen if r.url.path == "/v1/products"} == {new}
        return [response.status_code for response in [*responses, *second]]

    assert asyncio.run(scenario()) == [200] * 1100
    assert vendor.calls[ACCESS] == 1


def test_the_chain_runs_once_for_100_threads(vendor: FakeVendor) -> None:
    vendor.renewal_delay = 0.02
    client = vendor.sync_client(
        tokens=_expired_access(vendor),
    )
    vendor.revoke("refresh")
    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(
            pool.map(lambda _: list_products.sync_detailed(client=client).status_code, range(100))
        )
    assert statuses == [200] * 100
    assert (vendor.calls[ACCESS], vendor.calls[REFRESH]) == (2, 1)


def test_the_chain_runs_once_for_100_tasks(vendor: FakeVendor) -> None:
    vendor.renewal_delay = 0.02

    async def scenario() -> list[int]:
        client = vendor.async_client(tokens=_expired_access(vendor))
        vendor.revoke("refresh")
        responses = await asyncio.gather(*(list_products.asyncio_detailed(client=client) for _ in range(100)))
        return [response.status_code for response in responses]

    assert asyncio.run(scenario()) == [200] * 100
    assert (vendor.calls[ACCESS], vendor.calls[REFRESH]) == (2, 1)


def test_a_rejected_user_token_under_concurrency_makes_one_attempt(vendor: FakeVendor) -> None:
    client = vendor.sync_client(
        tokens=_expired_access(vendor),
    )
    vendor.revoke("refresh")
    vendor.revoke("user")

    def call(_: int) -> str:
        try:
            list_products.sync_detailed(client=client)
        except ReauthenticationRequired:
            return "reauthenticate"
        return "ok"

    with ThreadPoolExecutor(max_workers=100) as pool:
        outcomes = list(pool.map(call, range(100)))
    assert outcomes == ["reauthenticate"] * 100
    assert (vendor.calls[ACCESS], vendor.calls[REFRESH]) == (1, 1)


def test_a_cancelled_waiter_does_not_cancel_the_renewal(vendor: FakeVendor) -> None:
    vendor.renewal_delay = 0.1

    async def scenario() -> None:
        client = vendor.async_client(tokens=_expired_access(vendor))
        starter = asyncio.ensure_future(list_products.asyncio_detailed(client=client))
        waiter = asyncio.ensure_future(list_products.asyncio_detailed(client=client))
        await asyncio.sleep(0.02)
        waiter.cancel()
        assert (await starter).status_code == 200
        assert waiter.cancelled()

    asyncio.run(scenario())
    assert vendor.calls[ACCESS] == 1


def test_cancelling_the_renewing_task_leaves_the_renewal_to_the_waiters(vendor: FakeVendor) -> None:
    vendor.renewal_delay = 0.1

    async def scenario() -> None:
        client = vendor.async_client(tokens=_expired_access(vendor))
        starter = asyncio.ensure_future(list_products.asyncio_detailed(client=client))
        await asyncio.sleep(0.01)
        waiters = [asyncio.ensure_future(list_products.asyncio_detailed(client=client)) for _ in range(5)]
        await asyncio.sleep(0.01)
        starter.cancel()
        done = await asyncio.wait_for(asyncio.gather(*waiters), timeout=2)
        assert [response.status_code for response in done] == [200] * 5

    asyncio.run(scenario())
    assert vendor.calls[ACCESS] == 1
