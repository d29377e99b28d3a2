"""Secrets stay secret: not in repr, logs, exceptions, pickles, URLs, or other origins."""

# ruff: noqa: S501 (verify=False is what these tests give the client, to see it warn)

from __future__ import annotations

import logging
import pickle
import traceback
import warnings

import httpx
import pytest

from partner_api import (
    APIStatusError,
    ConfigurationError,
    InsecureTransportWarning,
    NotFoundError,
    PartnerClient,
    Tokens,
    UnsafeRedirectError,
)
from partner_api_client.api.accounts import get_account
from partner_api_client.api.auth import obtain_tokens
from partner_api_client.api.products import list_products
from partner_api_client.api.users import authenticate_user
from partner_api_client.models import ObtainTokensRequest, UserCredentials
from tests.overlay.conftest import VendorFlavor as Flavor
from tests.overlay.conftest import logged_in
from tests.overlay.fake_vendor import FakeVendor, status

PAGE = {"items": [], "page": 1, "size": 20, "total": 0}

SENTINELS = (
    "SENTINEL-ACCESS-7f3a",
    "SENTINEL-REFRESH-91bc",
    "SENTINEL-USER-44de",
    "SENTINEL-APPKEY-0c1d",
    "SENTINEL-PK-e5f6",
)


@pytest.fixture
def secret_vendor() -> FakeVendor:
    vendor = FakeVendor(app_key="SENTINEL-APPKEY-0c1d", private_key="SENTINEL-PK-e5f6")
    vendor.valid["access"].add("SENTINEL-ACCESS-7f3a")
    vendor.valid["refresh"].add("SENTINEL-REFRESH-91bc")
    vendor.valid["user"].add("SENTINEL-USER-44de")
    return vendor


def _secret_tokens() -> Tokens:
    return Tokens(
        access_token="SENTINEL-ACCESS-7f3a",
        refresh_token="SENTINEL-REFRESH-91bc",
        user_token="SENTINEL-USER-44de",
    )


def _assert_clean(text: str) -> None:
    for sentinel in SENTINELS:
        assert sentinel not in text


def test_no_secret_in_reprs_logs_or_errors(
    flavor: Flavor, secret_vendor: FakeVendor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx's and httpcore's included
    client = flavor.client(secret_vendor, tokens=_secret_tokens(), private_key="SENTINEL-PK-e5f6")
    texts = [
        repr(client),
        str(client),
        repr(client.tokens),
        str(client.tokens),
        repr(client.with_options(language="en")),
    ]
    flavor.call(list_products, client)
    secret_vendor.revoke("access")
    flavor.call(list_products, client)  # 401, renewal, replay
    secret_vendor.fail_next("/v1/accounts/acc_404", status(404))
    with pytest.raises(NotFoundError) as caught:
        flavor.call(get_account, client, account_id="acc_404")
    texts += [str(caught.value), repr(caught.value), "".join(traceback.format_exception(caught.value))]
    texts.append(caplog.text)
    texts += [repr(record.args) for record in caplog.records]
    _assert_clean("\n".join(texts))
    assert "listProducts GET /v1/products -> 401" in caplog.text  # the log did record the requests


def test_a_client_cannot_be_pickled_and_an_error_pickles_without_secrets(secret_vendor: FakeVendor) -> None:
    client = PartnerClient(
        app_key=secret_vendor.app_key,
        base_url="https://api.test",
        http_client=secret_vendor.http_client(),
        tokens=_secret_tokens(),
    )
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(client)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret_vendor.async_client(tokens=_secret_tokens()))
    secret_vendor.fail_next("/v1/products", status(404))
    with pytest.raises(APIStatusError) as caught:
        list_products.sync_detailed(client=client)
    data = pickle.dumps(caught.value)
    _assert_clean(data.decode("latin-1"))
    restored = pickle.loads(data)  # noqa: S301 (our own bytes)
    assert (type(restored), restored.status_code, restored.response) == (NotFoundError, 404, None)


def _redirecting(vendor: FakeVendor, location: str) -> list[httpx.Request]:
    hops: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hops.append(request)
        if request.url.path == "/v1/products":
            return httpx.Response(302, headers={"location": location})
        return httpx.Response(200, json={"items": [], "page": 1, "size": 20, "total": 0})

    async def async_handler(request: httpx.Request) -> httpx.Response:
        return handler(request)

    vendor.sync_handler = handler  # type: ignore[method-assign]
    vendor.async_handler = async_handler  # type: ignore[method-assign]
    return hops


def test_a_cross_origin_redirect_carries_no_credentials(flavor: Flavor, secret_vendor: FakeVendor) -> None:
    hops = _redirecting(secret_vendor, "https://elsewhere.test/v1/other")
    client = flavor.client(secret_vendor, tokens=_secret_tokens(), follow_redirects=True)
    flavor.call(list_products, client)
    first, second = hops
    assert first.headers["authorization"] == "Bearer SENTINEL-ACCESS-7f3a"
    assert second.url.host == "elsewhere.test"
    for name in ("authorization", "x-user-token", "x-app-key"):
        assert name not in second.headers
    assert second.headers["x-request-id"] != first.headers["x-request-id"]


def test_a_same_origin_redirect_keeps_credentials(flavor: Flavor, secret_vendor: FakeVendor) -> None:
    hops = _redirecting(secret_vendor, "/v1/other")
    client = flavor.client(secret_vendor, tokens=_secret_tokens(), follow_redirects=True)
    flavor.call(list_products, client)
    assert hops[1].headers["x-app-key"] == "SENTINEL-APPKEY-0c1d"


def test_redirects_are_not_followed_by_default(flavor: Flavor, secret_vendor: FakeVendor) -> None:
    hops = _redirecting(secret_vendor, "https://elsewhere.test/v1/other")
    client = flavor.client(secret_vendor, tokens=_secret_tokens())
    assert flavor.call(list_products, client).status_code == 302
    assert len(hops) == 1


@pytest.mark.parametrize(
    "url", ["http://api.partner.example", "http://10.0.0.8:8080", "http://[2001:db8::1]/"]
)
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="plain http"):
        PartnerClient(app_key="k", base_url=url)
    PartnerClient(app_key="k", base_url=url, allow_insecure_http=True)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://localhost:9", "http://[::1]:80", "http://127.9.9.9"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    PartnerClient(app_key="k", base_url=url)


# ---- a redirect never carries a body to another origin -------------------------------------------


@pytest.mark.parametrize("code", [307, 308])
@pytest.mark.parametrize("operation", ["obtainTokens", "authenticateUser"])
def test_a_cross_origin_307_or_308_does_not_resend_a_credential_body(
    code: int, operation: str, flavor: Flavor, secret_vendor: FakeVendor
) -> None:
    """Property 24: the other host would receive the private key or the password."""
    foreign: list[httpx.Request] = []
    path = {"obtainTokens": "/v1/auth/token", "authenticateUser": "/v1/users/login"}[operation]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host != "api.test":
            foreign.append(request)
            return httpx.Response(200, json={"accessToken": "EVIL", "refreshToken": "EVIL", "expiresIn": 9})
        if request.url.path == path:
            return httpx.Response(code, headers={"location": f"https://evil.test{path}"})
        return secret_vendor.handle(request)

    async def async_handler(request: httpx.Request) -> httpx.Response:
        return handler(request)

    secret_vendor.sync_handler = handler  # type: ignore[method-assign]
    secret_vendor.async_handler = async_handler  # type: ignore[method-assign]
    client = flavor.client(
        secret_vendor, tokens=_secret_tokens(), private_key="SENTINEL-PK-e5f6", follow_redirects=True
    )
    module, body = (
        (obtain_tokens, ObtainTokensRequest(private_key="SENTINEL-PK-e5f6"))
        if operation == "obtainTokens"
        else (authenticate_user, UserCredentials(username="siti", password="hunter22"))
    )
    with pytest.raises(UnsafeRedirectError, match="another origin") as caught:
        flavor.call(module, client, body=body)
    assert foreign == []
    assert caught.value.request_id is not None
    assert "EVIL" not in repr(client.tokens)


# ---- cookies --------------------------------------------------------------------------------------


def test_a_flood_of_cookies_is_neither_kept_nor_sent(flavor: Flavor, vendor: FakeVendor) -> None:
    """The vendor's API takes no cookies: 5,000 Set-Cookie headers leave the jar empty."""
    cookies = [("set-cookie", f"c{index}={'x' * 40}; Path=/") for index in range(5000)]
    vendor.fail_next("/v1/products", lambda request: httpx.Response(200, headers=cookies, json=PAGE))
    client = flavor.client(vendor, tokens=logged_in(vendor))
    flavor.call(list_products, client)
    flavor.call(list_products, client)
    assert "cookie" not in vendor.seen[-1].headers
    http = client.get_httpx_client() if flavor.name == "sync" else client.get_async_httpx_client()
    assert len(http.cookies.jar) == 0
    http.cookies.set("session", "abc")  # set by hand: still not sent
    flavor.call(list_products, client)
    assert "cookie" not in vendor.seen[-1].headers


# ---- TLS verification -----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["http_client", "transport"])
def test_turning_tls_verification_off_warns(how: str, flavor: Flavor) -> None:
    """Property 16: verify=False in what the client is given warns, naming the way to silence it."""
    sync = flavor.name == "sync"
    if how == "http_client":
        given: object = flavor.closing(
            httpx.Client(verify=False) if sync else httpx.AsyncClient(verify=False)
        )
    else:
        given = httpx.HTTPTransport(verify=False) if sync else httpx.AsyncHTTPTransport(verify=False)
    with pytest.warns(InsecureTransportWarning, match="verification is off") as caught:
        flavor.make_client(app_key="k", base_url="https://api.test", **{how: given})
    assert caught[0].filename == __file__ or caught[0].filename.endswith("_flavor.py")


def test_verified_tls_and_an_opt_in_do_not_warn(flavor: Flavor) -> None:
    """Property 16: the default, and an explicit filter, stay silent (warnings are errors here)."""
    sync = flavor.name == "sync"
    flavor.make_client(app_key="k", base_url="https://api.test")
    flavor.make_client(
        app_key="k",
        base_url="https://api.test",
        http_client=flavor.closing(httpx.Client() if sync else httpx.AsyncClient()),
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=InsecureTransportWarning)
        flavor.make_client(
            app_key="k",
            base_url="https://api.test",
            transport=httpx.HTTPTransport(verify=False) if sync else httpx.AsyncHTTPTransport(verify=False),
        )
