"""Retry-After is waited for, for real (the other fault tests turn the waits off)."""

from __future__ import annotations

import time

from partner_api import PartnerClient
from partner_api_client.api.products import list_products
from tests.sandbox import DEMO, Fault, SandboxServer


def test_retry_after_is_waited_for(sandbox: SandboxServer) -> None:
    with PartnerClient(app_key=DEMO.app_key, private_key=DEMO.private_key, base_url=sandbox.url) as client:
        list_products.sync_detailed(client=client)
        sandbox.state.fail("listProducts", Fault(status=429, retry_after="1"))
        started = time.monotonic()
        assert list_products.sync_detailed(client=client).status_code == 200
        assert time.monotonic() - started >= 1.0
    assert sandbox.state.count("listProducts") == 3
