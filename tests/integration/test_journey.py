"""The whole journey over loopback HTTP: first tokens, login, expiry, renewal, revocation."""

from __future__ import annotations

import time

import pytest

from partner_api import NotFoundError, ReauthenticationRequired
from partner_api_client.api.accounts import get_account
from partner_api_client.api.products import list_products
from partner_api_client.api.users import authenticate_user
from partner_api_client.models import UserCredentials
from tests.integration.conftest import SandboxFlavor
from tests.sandbox import DEMO, SandboxServer

LOGIN = UserCredentials(username=DEMO.username, password=DEMO.password)


def test_the_whole_journey(flavor: SandboxFlavor, sandbox: SandboxServer) -> None:
    state = sandbox.state
    client = flavor.client(sandbox)

    # First tokens (from the private key), then the user logs in.
    session = flavor.call(authenticate_user, client, body=LOGIN)
    assert session.status_code == 200
    assert (state.count("obtainTokens"), state.count("authenticateUser")) == (1, 1)
    assert client.tokens.user_token == session.parsed.user_token

    # A user-specific call.
    account = flavor.call(get_account, client, account_id="acc_001")
    assert account.parsed.owner_id == "usr_01"

    # The access token expires mid-run without the client knowing: 401, renewal, replay.
    state.expire("access")
    assert flavor.call(get_account, client, account_id="acc_001").status_code == 200
    assert state.count("renewAccessToken") == 1

    # The refresh token expires too: renewal goes through the user token.
    state.expire("access")
    state.expire("refresh")
    assert flavor.call(list_products, client).status_code == 200
    assert (state.count("renewRefreshToken"), state.count("renewAccessToken")) == (1, 3)

    # A short-lived access token the client knows about is renewed before it is used.
    state.set_lifetime("access", 1)
    state.expire("access")
    flavor.call(list_products, client)  # 401, renewal: the new token lives 1 s
    calls_before = state.count("listProducts")
    time.sleep(1.05)
    assert flavor.call(list_products, client).status_code == 200
    assert state.count("listProducts") == calls_before + 1  # renewed first, no 401

    # The user token is revoked: nothing more can be renewed for this user.
    state.revoke("user")
    state.expire("access")
    state.expire("refresh")
    with pytest.raises(ReauthenticationRequired):
        flavor.call(get_account, client, account_id="acc_001")

    # Logging in again starts over.
    flavor.call(authenticate_user, client, body=LOGIN)
    assert flavor.call(get_account, client, account_id="acc_001").status_code == 200


@pytest.mark.parametrize(("language", "message"), [("id", "Data tidak ditemukan."), ("en", "Not found.")])
def test_messages_come_back_in_the_requested_language(
    language: str, message: str, flavor: SandboxFlavor, sandbox: SandboxServer
) -> None:
    client = flavor.client(sandbox, language=language)
    flavor.call(authenticate_user, client, body=LOGIN)
    with pytest.raises(NotFoundError) as caught:
        flavor.call(get_account, client, account_id="acc_002")  # another user's account
    assert (caught.value.code, caught.value.message, caught.value.language) == (
        "NOT_FOUND",
        message,
        language,
    )
    assert caught.value.request_id in sandbox.state.request_ids
