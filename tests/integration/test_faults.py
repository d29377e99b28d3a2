"""Faults on demand: retried where the policy says, not where it does not; the sandbox counts."""

from __future__ import annotations

import socket

import httpx
import pytest

from partner_api import APIConnectionError, APITimeoutError, PartnerClient, ServerError
from partner_api_client.api.products import list_products
from partner_api_client.api.transfers import create_transfer
from tests._operations import ARGUMENTS
from tests.integration.conftest import SandboxFlavor
from tests.sandbox import DEMO, Fault, SandboxServer

TRANSFER = ARGUMENTS["createTransfer"]

pytestmark = pytest.mark.usefixtures("no_retry_waits")


def _logged_in(flavor: SandboxFlavor, sandbox: SandboxServer, **options: object) -> object:
    from partner_api_client.api.users import authenticate_user

    client = flavor.client(sandbox, **options)
    flavor.call(authenticate_user, client, body=ARGUMENTS["authenticateUser"]["body"])
    return client


def test_a_get_is_retried_after_a_503(flavor: SandboxFlavor, sandbox: SandboxServer) -> None:
    client = _logged_in(flavor, sandbox)
    sandbox.state.fail("listProducts", Fault(status=503), times=2)
    assert flavor.call(list_products, client).status_code == 200
    assert sandbox.state.count("listProducts") == 3


def test_a_post_is_not_retried_after_a_503(flavor: SandboxFlavor, sandbox: SandboxServer) -> None:
    client = _logged_in(flavor, sandbox)
    sandbox.state.fail("createTransfer", Fault(status=503, retry_after="0"))
    with pytest.raises(ServerError) as caught:
        flavor.call(create_transfer, client, **TRANSFER)
    assert caught.value.code == "SERVICE_UNAVAILABLE"
    assert sandbox.state.count("createTransfer") == 1


def test_a_dropped_connection_is_retried_for_a_get_only(
    flavor: SandboxFlavor, sandbox: SandboxServer
) -> None:
    client = _logged_in(flavor, sandbox)
    sandbox.state.fail("listProducts", Fault(drop=True))
    assert flavor.call(list_products, client).status_code == 200
    assert sandbox.state.count("listProducts") == 2
    sandbox.state.fail("createTransfer", Fault(drop=True))
    with pytest.raises(APIConnectionError):
        flavor.call(create_transfer, client, **TRANSFER)
    assert sandbox.state.count("createTransfer") == 1


def test_latency_beyond_the_timeout_is_retried_then_raised(
    flavor: SandboxFlavor, sandbox: SandboxServer
) -> None:
    # The call may last 1 s (its longest timeout): room for a second attempt after a 0.2 s read timeout.
    client = _logged_in(flavor, sandbox, timeout=httpx.Timeout(1.0, read=0.2), max_retries=1)
    sandbox.state.fail("listProducts", Fault(delay=0.5), times=2)
    with pytest.raises(APITimeoutError):
        flavor.call(list_products, client)
    assert sandbox.state.count("listProducts") == 2


def test_a_renewal_is_retried_after_a_500(flavor: SandboxFlavor, sandbox: SandboxServer) -> None:
    client = _logged_in(flavor, sandbox)
    sandbox.state.expire("access")
    sandbox.state.fail("renewAccessToken", Fault(status=500))
    assert flavor.call(list_products, client).status_code == 200
    assert sandbox.state.count("renewAccessToken") == 2


def test_a_post_to_a_closed_port_is_retried(
    flavor: SandboxFlavor, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    tokens = _logged_in(flavor, sandbox).tokens  # type: ignore[attr-defined]
    client = flavor.client(sandbox, base_url=closed, tokens=tokens, max_retries=2)
    with caplog.at_level("INFO", logger="partner_api"), pytest.raises(APIConnectionError):
        flavor.call(create_transfer, client, **TRANSFER)
    assert caplog.text.count("createTransfer POST /v1/transfers -> ConnectError") == 3


def test_a_401_frees_its_connection_for_the_renewal(sandbox: SandboxServer) -> None:
    # One connection in the pool: the renewal needs the one the 401 came on.
    transport = httpx.HTTPTransport(limits=httpx.Limits(max_connections=1))
    with PartnerClient(
        app_key=DEMO.app_key,
        private_key=DEMO.private_key,
        base_url=sandbox.url,
        transport=transport,
        timeout=3,
    ) as client:
        list_products.sync_detailed(client=client)
        sandbox.state.expire("access")
        assert list_products.sync_detailed(client=client).status_code == 200
