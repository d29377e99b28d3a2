"""with_options shares pool and tokens; logging; fork; async callbacks."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import warnings

import httpx
import pytest

from partner_api import PartnerClient, Tokens
from partner_api_client.api.products import list_products
from tests.overlay.conftest import VendorFlavor as Flavor
from tests.overlay.conftest import logged_in
from tests.overlay.fake_vendor import FakeVendor


def test_derived_clients_share_tokens_and_renewal(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor))
    english = client.with_options(language="en", timeout=5.0)
    vendor.revoke("access")
    flavor.call(list_products, english)
    assert client.tokens == english.tokens
    assert client.tokens.access_token in vendor.valid["access"]
    flavor.call(list_products, client)
    assert vendor.calls["/v1/auth/access-token"] == 1
    http = english.get_httpx_client() if flavor.name == "sync" else english.get_async_httpx_client()
    assert http.timeout.read == 5.0


class _CountingTransport(httpx.MockTransport):
    closed = 0

    def close(self) -> None:
        type(self).closed += 1


def test_closing_a_derived_client_leaves_the_shared_pool_open(vendor: FakeVendor) -> None:
    client = PartnerClient(app_key=vendor.app_key, base_url="https://api.test", tokens=logged_in(vendor))
    client._runtime.wire._inner = _CountingTransport(vendor.sync_handler)
    derived = client.with_options(language="en")
    assert list_products.sync_detailed(client=derived).status_code == 200
    derived.close()
    assert _CountingTransport.closed == 0
    assert list_products.sync_detailed(client=client).status_code == 200
    with client:
        pass
    assert _CountingTransport.closed == 1


def test_one_log_line_per_request(
    flavor: Flavor, vendor: FakeVendor, caplog: pytest.LogCaptureFixture
) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor))
    with caplog.at_level(logging.INFO, logger="partner_api"):
        flavor.call(list_products, client)
    [record] = [r for r in caplog.records if r.name == "partner_api"]
    request_id = vendor.seen[0].headers["x-request-id"]
    assert re.fullmatch(
        rf"listProducts GET /v1/products -> 200 in \d+\.\d ms, x-request-id {request_id}", record.getMessage()
    )


def test_an_async_callback_is_awaited_before_the_tokens_are_used(vendor: FakeVendor) -> None:
    seen: list[int] = []

    async def persist(tokens: Tokens) -> None:
        await asyncio.sleep(0.01)
        seen.append(len(vendor.seen))

    async def scenario() -> None:
        client = vendor.async_client(private_key=vendor.private_key, on_tokens_changed=persist)
        await list_products.asyncio_detailed(client=client)

    asyncio.run(scenario())
    assert seen == [1]  # awaited after the token request, before the products request


def test_a_forked_child_can_renew_even_if_the_parent_held_the_lock(vendor: FakeVendor) -> None:
    client = vendor.sync_client(
        tokens=logged_in(vendor),
    )
    vendor.revoke("access")
    renewer = client._keyring.book_of("access").renewer
    read, write = os.pipe()
    with renewer._lock, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
        if pid == 0:  # the child: the lock its parent holds must not block it
            os.close(read)
            try:
                status = list_products.sync_detailed(client=client).status_code
            except BaseException as error:  # noqa: BLE001 (reported to the parent)
                status = repr(error)
            os.write(write, str(status).encode())
            os._exit(0)
    os.close(write)
    _, exit_status = os.waitpid(pid, 0)
    with os.fdopen(read) as source:
        assert source.read() == "200"
    assert exit_status == 0
