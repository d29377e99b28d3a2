"""Cases found in review: each failed before its fix."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from partner_api import (
    APIConnectionError,
    AsyncPartnerClient,
    ConfigurationError,
    MissingTokenError,
    PartnerClient,
    ReauthenticationRequired,
    ServerError,
    Tokens,
)
from partner_api._keyring import Keyring, Notifier, TokenBook
from partner_api._renewal import Renewal, Send, run
from partner_api._tokens import Held
from partner_api_client.api.accounts import get_account
from partner_api_client.api.products import list_products
from partner_api_client.api.transfers import create_transfer
from partner_api_client.models import TransferRequest
from tests.overlay.conftest import VendorFlavor as Flavor
from tests.overlay.conftest import logged_in
from tests.overlay.fake_vendor import FakeVendor, raises, status
from tests.overlay.test_renewal import _expired_access


def test_exhausted_retries_on_a_plain_transport_raise_the_status_error(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    body = gzip.compress(json.dumps({"code": "DOWN", "message": "x", "requestId": "r"}).encode())

    def handler(request: httpx.Request) -> httpx.Response:
        vendor.calls[request.url.path] += 1
        return httpx.Response(503, content=body, headers={"content-encoding": "gzip"})

    transport = httpx.MockTransport(handler)
    kind = PartnerClient if flavor.name == "sync" else AsyncPartnerClient
    client = kind(app_key="k", base_url="https://api.test", transport=transport, tokens=logged_in(vendor))
    with pytest.raises(ServerError) as caught:
        flavor.call(list_products, client)
    assert (caught.value.code, vendor.calls["/v1/products"]) == ("DOWN", 3)


def test_a_post_stops_retrying_once_it_may_have_arrived(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor), max_retries=5)
    vendor.fail_next(
        "/v1/transfers", raises(httpx.ConnectError), raises(httpx.ReadTimeout), raises(httpx.ReadError)
    )
    transfer = TransferRequest(source_account_id="acc_001", destination_account_id="acc_002", amount="1.00")
    with pytest.raises(APIConnectionError):
        flavor.call(create_transfer, client, body=transfer)
    assert vendor.calls["/v1/transfers"] == 2


class _BrokenBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        yield b'{"items": '
        raise httpx.ReadError("connection dropped mid-body")

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield b'{"items": '
        raise httpx.ReadError("connection dropped mid-body")


def test_a_body_cut_short_is_retried_or_raised_as_a_connection_error(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor))
    vendor.fail_next("/v1/products", lambda request: httpx.Response(200, stream=_BrokenBody()))
    assert flavor.call(list_products, client).status_code == 200
    assert vendor.calls["/v1/products"] == 2
    vendor.fail_next("/v1/transfers", lambda request: httpx.Response(201, stream=_BrokenBody()))
    transfer = TransferRequest(source_account_id="acc_001", destination_account_id="acc_002", amount="1.00")
    with pytest.raises(APIConnectionError):
        flavor.call(create_transfer, client, body=transfer)


def test_a_401_about_the_user_token_keeps_a_valid_access_token(flavor: Flavor, vendor: FakeVendor) -> None:
    # Changed by issue 9: a refused user token raises ReauthenticationRequired at once, without
    # renewing the access token first (it used to renew it, here failing with a 503).
    tokens = logged_in(vendor)
    client = flavor.client(vendor, tokens=tokens, max_retries=0)
    vendor.revoke("user")
    vendor.fail_next("/v1/auth/access-token", status(503))
    with pytest.raises(ReauthenticationRequired):
        flavor.call(get_account, client, account_id="acc_001")
    assert client.tokens.access_token == tokens.access_token
    assert vendor.calls["/v1/auth/access-token"] == 0


def test_waiting_threads_share_a_failed_renewal(vendor: FakeVendor) -> None:
    vendor.renewal_delay = 0.05
    client = vendor.sync_client(
        tokens=_expired_access(vendor),
        max_retries=0,
    )
    vendor.fail_next("/v1/auth/access-token", *[status(503)] * 50)

    def call(_: int) -> str:
        try:
            list_products.sync_detailed(client=client)
        except ServerError:
            return "failed"
        return "ok"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(call, range(20)))
    assert outcomes == ["failed"] * 20
    assert vendor.calls["/v1/auth/access-token"] < 5  # one per wave of waiters, not one per thread


def test_publishing_keeps_tokens_changed_meanwhile(vendor: FakeVendor) -> None:
    from partner_api._operations import CATALOG

    held = Held.from_tokens(Tokens(access_token="old-access"))
    book = TokenBook(held, frozenset({"access", "refresh", "user"}), None)
    keyring = Keyring(TokenBook(held, frozenset(), None), book, Notifier(None))
    renewal = Renewal(CATALOG, None, "id")
    started_from = keyring.held
    # A login lands while a renewal, started from the older generation, is under way.
    book.held = book.held.adopted(Held.from_tokens(Tokens(user_token="fresh-user")), frozenset({"user"}))
    renew = next(op for op in CATALOG.operations if op.operation_id == "renewAccessToken")
    response = httpx.Response(200, json={"tokenType": "Bearer", "accessToken": "new-access", "expiresIn": 60})
    run(renewal.capture(renew, response, started_from, 0.0), lambda step: response, keyring)
    assert (keyring.held.tokens.access_token, keyring.held.tokens.user_token) == ("new-access", "fresh-user")


def test_a_server_token_that_cannot_be_a_header_is_ignored(
    flavor: Flavor, vendor: FakeVendor, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = _expired_access(vendor)
    client = flavor.client(vendor, tokens=tokens)
    bad = httpx.Response(200, json={"tokenType": "Bearer", "accessToken": "bad\r\ntoken", "expiresIn": 60})
    vendor.fail_next("/v1/auth/access-token", lambda request: bad)
    # Issue 9: no usable token came back, so the call fails before sending (MissingTokenError).
    with caplog.at_level(logging.WARNING, logger="partner_api"), pytest.raises(MissingTokenError):
        flavor.call(list_products, client)
    assert "cannot be sent in a header" in caplog.text
    assert "bad\r\ntoken" not in (client.tokens.access_token or "")


def test_a_coroutine_callback_needs_the_async_client() -> None:
    async def persist(tokens: Tokens) -> None:
        await asyncio.sleep(0)

    with pytest.raises(ConfigurationError, match="coroutine function"):
        PartnerClient(app_key="k", base_url="https://api.test", on_tokens_changed=persist)
    AsyncPartnerClient(app_key="k", base_url="https://api.test", on_tokens_changed=persist)


def test_internal_reprs_hold_no_secret(vendor: FakeVendor) -> None:
    from partner_api._operations import CATALOG

    client = PartnerClient(app_key="SECRET-APP-KEY", base_url="https://api.test")
    step = Send(CATALOG.operations[0], "SECRET-BEARER", {"privateKey": "SECRET-PK"})
    assert "SECRET" not in repr(client._runtime) + repr(client._runtime.config) + repr(
        client._keyring.session
    ) + repr(step)
