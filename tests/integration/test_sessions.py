"""Sessions and the core's error handling against the sandbox (real HTTP, a vendor that checks
who owns what)."""

from __future__ import annotations

import asyncio
import contextlib
import gc

import pytest

from partner_api import (
    APIConnectionError,
    AsyncPartnerClient,
    ClientClosedError,
    PartnerAPIError,
    ReauthenticationRequired,
)
from partner_api_client.api.accounts import get_account
from partner_api_client.api.products import list_products
from partner_api_client.api.users import authenticate_user
from partner_api_client.models import UserCredentials
from tests.integration.conftest import SandboxFlavor
from tests.sandbox import DEMO, SandboxServer

LOGIN = UserCredentials(username=DEMO.username, password=DEMO.password)


def test_a_user_token_the_vendor_refuses_requires_reauthentication_without_renewing(
    flavor: SandboxFlavor, sandbox: SandboxServer
) -> None:
    client = flavor.client(sandbox)
    session = client.for_user("siti")
    flavor.call(authenticate_user, session, body=LOGIN)
    assert flavor.call(get_account, session, account_id="acc_001").status_code == 200
    sandbox.state.revoke("user")
    with pytest.raises(ReauthenticationRequired, match="authenticateUser"):
        flavor.call(get_account, session, account_id="acc_001")
    assert sandbox.state.count("renewAccessToken") == 0
    # The client's own calls go on; logging in again gives the session a working user token.
    assert flavor.call(list_products, session).status_code == 200
    flavor.call(authenticate_user, session, body=LOGIN)
    assert flavor.call(get_account, session, account_id="acc_001").status_code == 200


def test_a_closed_root_closes_its_sessions(flavor: SandboxFlavor, sandbox: SandboxServer) -> None:
    client = flavor.client(sandbox)
    session, english = client.for_user("siti"), client.with_options(language="en")
    assert flavor.call(list_products, session).status_code == 200
    if flavor.name == "sync":
        client.close()  # type: ignore[union-attr]
    else:
        flavor.run(client.aclose())  # type: ignore[union-attr]
    for derived in (session, english, client):
        with pytest.raises(ClientClosedError):
            flavor.call(list_products, derived)


# The misuse under test leaves the first loop's connection to the garbage collector.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning", "ignore::ResourceWarning")
def test_an_async_client_used_from_another_event_loop_raises_a_typed_error(sandbox: SandboxServer) -> None:
    """Property 25: a connection pool belongs to one event loop; the next loop gets a
    PartnerAPIError, not httpx's or asyncio's RuntimeError."""
    client = AsyncPartnerClient(app_key=DEMO.app_key, private_key=DEMO.private_key, base_url=sandbox.url)
    assert asyncio.run(list_products.asyncio_detailed(client=client)).status_code == 200
    with pytest.raises(PartnerAPIError) as caught:
        asyncio.run(list_products.asyncio_detailed(client=client))
    assert isinstance(caught.value, APIConnectionError)
    assert "x-request-id" in str(caught.value)
    with contextlib.suppress(PartnerAPIError):  # its connections belong to a loop that is gone
        asyncio.run(client.aclose())
    del client, caught
    gc.collect()  # the abandoned socket's warning comes now, while this test ignores it
