"""The sandbox enforces the vendor's conventions (checked with plain httpx, no overlay in between)."""

from __future__ import annotations

import itertools

import httpx
import pytest

from partner_api import ConfigurationError
from tests.sandbox import DEMO, SandboxServer

_ids = itertools.count()


def _headers(**extra: str) -> dict[str, str]:
    return {"x-app-key": DEMO.app_key, "x-request-id": f"rule-{next(_ids)}", **extra}


def _tokens(url: str) -> dict[str, str]:
    first = httpx.post(
        f"{url}/v1/auth/token", json={"privateKey": DEMO.private_key}, headers=_headers()
    ).json()
    login = httpx.post(
        f"{url}/v1/users/login",
        json={"username": DEMO.username, "password": DEMO.password},
        headers=_headers(authorization=f"Bearer {first['accessToken']}"),
    ).json()
    return {"access": first["accessToken"], "refresh": first["refreshToken"], "user": login["userToken"]}


def _code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def test_conventions(sandbox: SandboxServer) -> None:
    url = sandbox.url
    access = _tokens(url)["access"]
    products = f"{url}/v1/products"
    bearer = {"authorization": f"Bearer {access}"}
    assert _code(httpx.get(products, headers={**_headers(**bearer), "x-app-key": "unknown"})) == (
        400,
        "APP_KEY_UNKNOWN",
    )
    assert _code(httpx.get(products, headers={"x-app-key": DEMO.app_key, **bearer})) == (
        400,
        "REQUEST_ID_MISSING",
    )
    assert _code(httpx.get(products, headers=_headers(**bearer, **{"x-language": "fr"}))) == (
        400,
        "LANGUAGE_UNKNOWN",
    )
    once = _headers(**bearer)
    assert httpx.get(products, headers=once).status_code == 200
    assert _code(httpx.get(products, headers=once)) == (409, "DUPLICATE_REQUEST_ID")
    english = httpx.get(products, headers=_headers(authorization="Bearer nope", **{"x-language": "en"}))
    indonesian = httpx.get(products, headers=_headers(authorization="Bearer nope"))
    assert (english.json()["message"], indonesian.json()["message"]) == (
        "The token is not valid.",
        "Token tidak valid.",
    )


@pytest.mark.parametrize(
    ("method", "path", "kind", "needs_user"),
    [
        ("GET", "/v1/products", "refresh", False),
        ("GET", "/v1/products", "user", False),
        ("POST", "/v1/auth/access-token", "access", False),
        ("POST", "/v1/auth/access-token", "user", False),
        ("POST", "/v1/auth/refresh-token", "refresh", False),
        ("POST", "/v1/auth/refresh-token", "access", False),
        ("GET", "/v1/accounts/acc_001", "refresh", True),
    ],
)
def test_each_kind_of_token_is_refused_where_it_does_not_belong(
    sandbox: SandboxServer, method: str, path: str, kind: str, needs_user: bool
) -> None:
    tokens = _tokens(sandbox.url)
    extra = {"x-user-token": tokens["user"]} if needs_user else {}
    response = httpx.request(
        method, sandbox.url + path, headers=_headers(authorization=f"Bearer {tokens[kind]}", **extra)
    )
    assert _code(response) == (401, "TOKEN_WRONG_KIND")


def test_user_specific_data_needs_the_right_user(sandbox: SandboxServer) -> None:
    tokens = _tokens(sandbox.url)
    account = f"{sandbox.url}/v1/accounts/acc_001"
    bearer = {"authorization": f"Bearer {tokens['access']}"}
    assert _code(httpx.get(account, headers=_headers(**bearer))) == (400, "USER_TOKEN_REQUIRED")
    assert (
        httpx.get(account, headers=_headers(**bearer, **{"x-user-token": tokens["user"]})).status_code == 200
    )
    other = f"{sandbox.url}/v1/accounts/acc_002"  # another user's account
    assert _code(httpx.get(other, headers=_headers(**bearer, **{"x-user-token": tokens["user"]}))) == (
        404,
        "NOT_FOUND",
    )
    sandbox.state.revoke("user")
    assert _code(httpx.get(account, headers=_headers(**bearer, **{"x-user-token": tokens["user"]}))) == (
        401,
        "USER_TOKEN_REVOKED",  # the x-user-token, not the bearer token: log in again
    )


def test_lifetimes_are_set_per_test(sandbox: SandboxServer) -> None:
    sandbox.state.set_lifetime("access", 0.01)
    response = httpx.post(
        f"{sandbox.url}/v1/auth/token", json={"privateKey": DEMO.private_key}, headers=_headers()
    )
    assert response.json()["accessTokenExpiresIn"] == 1  # whole seconds, at least 1
    import time

    time.sleep(0.02)
    access = response.json()["accessToken"]
    expired = httpx.get(f"{sandbox.url}/v1/products", headers=_headers(authorization=f"Bearer {access}"))
    assert _code(expired) == (401, "TOKEN_EXPIRED")


# ---- refresh-token rotation with reuse detection (RFC 9700 section 4.14.2) ------------------


def _renew(url: str, refresh: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/auth/access-token", headers=_headers(authorization=f"Bearer {refresh}"))


def _account(url: str, access: str, user: str, account: str = "acc_001") -> httpx.Response:
    return httpx.get(
        f"{url}/v1/accounts/{account}",
        headers=_headers(authorization=f"Bearer {access}", **{"x-user-token": user}),
    )


def test_without_rotation_the_renewal_hands_back_the_same_refresh_token(sandbox: SandboxServer) -> None:
    tokens = _tokens(sandbox.url)
    for _ in range(2):
        renewed = _renew(sandbox.url, tokens["refresh"])
        assert renewed.status_code == 200
        assert renewed.json()["refreshToken"] == tokens["refresh"]
    assert _account(sandbox.url, renewed.json()["accessToken"], tokens["user"]).status_code == 200


def test_rotation_replaces_the_refresh_token_and_a_reuse_revokes_the_family(sandbox: SandboxServer) -> None:
    sandbox.state.set_rotation(True)
    tokens = _tokens(sandbox.url)
    bystander = _tokens(sandbox.url)  # another grant: first tokens and a login of their own
    renewed = _renew(sandbox.url, tokens["refresh"]).json()
    assert renewed["refreshToken"] != tokens["refresh"]
    assert renewed["refreshTokenExpiresIn"] == 86400
    # The new chain works, and renews again with the new refresh token.
    assert _account(sandbox.url, renewed["accessToken"], tokens["user"]).status_code == 200
    again = _renew(sandbox.url, renewed["refreshToken"]).json()
    assert sandbox.state.reuses == 0

    # The replaced refresh token comes back: reuse. Its whole family is revoked.
    assert _code(_renew(sandbox.url, tokens["refresh"])) == (401, "TOKEN_REVOKED")
    assert sandbox.state.reuses == 1
    assert _code(_account(sandbox.url, again["accessToken"], tokens["user"])) == (401, "TOKEN_REVOKED")
    assert _code(_renew(sandbox.url, again["refreshToken"])) == (401, "TOKEN_REVOKED")
    # With access tokens per client, the user token descends from the first tokens: gone too.
    fresh = _tokens(sandbox.url)
    assert _code(_account(sandbox.url, fresh["access"], tokens["user"])) == (401, "USER_TOKEN_REVOKED")
    # Another family is untouched.
    assert _account(sandbox.url, bystander["access"], bystander["user"]).status_code == 200
    assert _renew(sandbox.url, bystander["refresh"]).status_code == 200


# ---- many users, ownership, token scopes -----------------------------------------------------


def _login(url: str, access: str, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/users/login",
        json={"username": username, "password": password},
        headers=_headers(authorization=f"Bearer {access}"),
    )


def test_each_user_sees_only_their_own_accounts(sandbox: SandboxServer) -> None:
    budi = sandbox.state.add_user("budi", "budi-pass", balances=("10.00", "20.00"))
    assert budi.user_id != "usr_01"
    assert len(budi.accounts) == 2
    tokens = _tokens(sandbox.url)
    budi_token = _login(sandbox.url, tokens["access"], "budi", "budi-pass").json()["userToken"]
    own = _account(sandbox.url, tokens["access"], budi_token, budi.accounts[1])
    assert own.status_code == 200
    assert (own.json()["ownerId"], own.json()["balance"]) == (budi.user_id, "20.00")
    # Siti's account with Budi's user token, and the reverse: not found, as the vendor answers.
    assert _code(_account(sandbox.url, tokens["access"], budi_token, "acc_001")) == (404, "NOT_FOUND")
    assert _code(_account(sandbox.url, tokens["access"], tokens["user"], budi.accounts[0])) == (
        404,
        "NOT_FOUND",
    )
    transfer = httpx.post(
        f"{sandbox.url}/v1/transfers",
        json={"sourceAccountId": "acc_001", "destinationAccountId": budi.accounts[0], "amount": "1.00"},
        headers=_headers(authorization=f"Bearer {tokens['access']}", **{"x-user-token": budi_token}),
    )
    assert _code(transfer) == (404, "NOT_FOUND")
    assert _code(_login(sandbox.url, tokens["access"], "budi", "wrong")) == (401, "INVALID_CREDENTIALS")
    assert sandbox.state.count("getAccount", user="budi") == 2  # the two with Budi's token
    assert sandbox.state.count("getAccount", user=DEMO.username) == 1
    assert sandbox.state.count("authenticateUser", user="budi") == 2
    assert sandbox.state.count("getAccount") == 3


def test_revoke_and_expire_one_users_tokens(sandbox: SandboxServer) -> None:
    budi_user = sandbox.state.add_user("budi", "budi-pass")
    tokens = _tokens(sandbox.url)
    budi_token = _login(sandbox.url, tokens["access"], "budi", "budi-pass").json()["userToken"]
    products = f"{sandbox.url}/v1/products"
    sandbox.state.revoke("user", user="budi")
    assert _code(_account(sandbox.url, tokens["access"], budi_token, budi_user.accounts[0])) == (
        401,
        "USER_TOKEN_REVOKED",
    )
    assert _account(sandbox.url, tokens["access"], tokens["user"]).status_code == 200
    with pytest.raises(ConfigurationError, match="belong to the client"):
        sandbox.state.expire("access", user="budi")
    with pytest.raises(ConfigurationError, match="no user 'nobody'"):
        sandbox.state.revoke("user", user="nobody")
    with pytest.raises(ConfigurationError, match="kind must be one of"):
        sandbox.state.expire("acess")
    sandbox.state.expire("access")
    expired = httpx.get(products, headers=_headers(authorization=f"Bearer {tokens['access']}"))
    assert _code(expired) == (401, "TOKEN_EXPIRED")


def _own_chain(url: str, access: str, username: str, password: str) -> dict[str, str]:
    """Per-user tokens: log in, then the user's own refresh and access tokens."""
    user = _login(url, access, username, password).json()["userToken"]
    refresh = httpx.post(f"{url}/v1/auth/refresh-token", headers=_headers(authorization=f"Bearer {user}"))
    renewed = _renew(url, refresh.json()["refreshToken"]).json()
    return {"user": user, "refresh": renewed["refreshToken"], "access": renewed["accessToken"]}


def test_per_user_tokens_are_refused_beside_another_users_token(sandbox: SandboxServer) -> None:
    sandbox.state.set_token_scopes({"access": "user", "refresh": "user", "user": "user"})
    sandbox.state.set_rotation(True)
    budi_account = sandbox.state.add_user("budi", "budi-pass").accounts[0]
    first = _tokens(sandbox.url)
    siti = _own_chain(sandbox.url, first["access"], DEMO.username, DEMO.password)
    budi = _own_chain(sandbox.url, first["access"], "budi", "budi-pass")
    assert _account(sandbox.url, siti["access"], siti["user"]).status_code == 200
    # Siti's access token with Budi's user token: the token belongs to another user.
    assert _code(_account(sandbox.url, siti["access"], budi["user"], budi_account)) == (
        401,
        "TOKEN_USER_MISMATCH",
    )
    assert _code(_login(sandbox.url, budi["access"], DEMO.username, DEMO.password)) == (
        401,
        "TOKEN_USER_MISMATCH",
    )
    # Expire and revoke per user.
    sandbox.state.expire("access", user="budi")
    assert _code(_account(sandbox.url, budi["access"], budi["user"], budi_account)) == (401, "TOKEN_EXPIRED")
    assert _account(sandbox.url, siti["access"], siti["user"]).status_code == 200
    # Each login is a grant of its own: Budi's reuse revokes Budi's tokens only.
    assert _renew(sandbox.url, budi["refresh"]).status_code == 200
    assert _code(_renew(sandbox.url, budi["refresh"])) == (401, "TOKEN_REVOKED")
    refresh_again = httpx.post(
        f"{sandbox.url}/v1/auth/refresh-token", headers=_headers(authorization=f"Bearer {budi['user']}")
    )
    assert _code(refresh_again) == (401, "TOKEN_REVOKED")
    assert _account(sandbox.url, siti["access"], siti["user"]).status_code == 200
    assert _renew(sandbox.url, siti["refresh"]).status_code == 200


@pytest.mark.parametrize(
    "scopes",
    [
        {"access": "user", "refresh": "user"},
        {"access": "user", "refresh": "user", "user": "client"},
        {"access": "team", "refresh": "user", "user": "user"},
    ],
)
def test_bad_token_scopes_are_refused(sandbox: SandboxServer, scopes: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="scope"):
        sandbox.state.set_token_scopes(scopes)
