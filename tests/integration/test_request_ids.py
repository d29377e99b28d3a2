"""Request ids through the whole client, against the sandbox (which refuses a reused id with 409)."""

from __future__ import annotations

import uuid

import pytest

from partner_api_client.api.accounts import get_account
from partner_api_client.api.products import list_products
from partner_api_client.api.users import authenticate_user
from tests._operations import ARGUMENTS
from tests.integration.conftest import SandboxFlavor
from tests.sandbox import Fault, SandboxServer

pytestmark = pytest.mark.usefixtures("no_retry_waits")


def _logged_in(flavor: SandboxFlavor, sandbox: SandboxServer) -> object:
    client = flavor.client(sandbox)
    flavor.call(authenticate_user, client, body=ARGUMENTS["authenticateUser"]["body"])
    return client


def test_a_pinned_id_survives_a_5xx_retry(flavor: SandboxFlavor, sandbox: SandboxServer) -> None:
    """Property 11: the retry carries a fresh id; the vendor would answer 409 DUPLICATE_REQUEST_ID."""
    pinned = str(uuid.uuid4())
    client = _logged_in(flavor, sandbox).with_options(request_id=pinned)  # type: ignore[attr-defined]
    sandbox.state.fail("listProducts", Fault(status=503))
    assert flavor.call(list_products, client).status_code == 200
    assert sandbox.state.count("listProducts") == 2
    assert pinned in sandbox.state.request_ids


def test_a_pinned_id_survives_a_401_replay(flavor: SandboxFlavor, sandbox: SandboxServer) -> None:
    """Property 11: the replay after the renewal carries a fresh id."""
    pinned = str(uuid.uuid4())
    client = _logged_in(flavor, sandbox).with_options(request_id=pinned)  # type: ignore[attr-defined]
    sandbox.state.expire("access")  # the client does not know: 401, renewal, replay
    assert flavor.call(get_account, client, account_id="acc_001").status_code == 200
    assert sandbox.state.count("renewAccessToken") == 1
    assert sandbox.state.count("getAccount") == 2
    assert pinned in sandbox.state.request_ids


def test_every_request_of_a_journey_has_its_own_uuid4(flavor: SandboxFlavor, sandbox: SandboxServer) -> None:
    """Property 11 end to end: first tokens, login, retries, renewals and replays: all unique uuid4."""
    client = _logged_in(flavor, sandbox)
    sandbox.state.fail("listProducts", Fault(status=503), times=2)
    flavor.call(list_products, client)
    sandbox.state.expire("access")
    flavor.call(get_account, client, account_id="acc_001")
    ids = sandbox.state.request_ids
    total = sum(sandbox.state.calls.values())
    assert total >= 8
    assert len(ids) == total  # the sandbox counts an id once: no 409 was ever needed
    assert all(uuid.UUID(value).version == 4 for value in ids)
