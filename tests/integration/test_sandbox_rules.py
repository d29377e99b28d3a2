"""The sandbox enforces the vendor's conventions (checked with plain httpx, no overlay in between)."""

from __future__ import annotations

import itertools

import httpx
import pytest

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
