"""Non-2xx answers raise typed errors with the vendor's code, localized message and request id."""

from __future__ import annotations

import pickle

import httpx
import pytest

import partner_api
from partner_api import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    ClientError,
    ConflictError,
    MissingTokenError,
    NotFoundError,
    PartnerAPIError,
    PermissionDeniedError,
    ReauthenticationRequired,
    ResponseDecodingError,
    ServerError,
    Tokens,
    UnprocessableEntityError,
    UnsafeRedirectError,
)
from partner_api._errors import status_error_class
from partner_api_client.api.accounts import get_account
from partner_api_client.api.products import list_products
from partner_api_client.models import Error
from tests.overlay.conftest import VendorFlavor as Flavor
from tests.overlay.conftest import logged_in
from tests.overlay.fake_vendor import FakeVendor, raises


@pytest.mark.parametrize(("language", "message"), [("id", "Data tidak ditemukan."), ("en", "Not found.")])
def test_a_404_carries_code_message_language_and_request_id(
    language: str, message: str, flavor: Flavor, vendor: FakeVendor
) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor), language=language)
    with pytest.raises(NotFoundError) as caught:
        flavor.call(get_account, client, account_id="acc_999")
    error = caught.value
    sent_id = vendor.seen[0].headers["x-request-id"]
    assert (error.status_code, error.code, error.message, error.language) == (
        404,
        "NOT_FOUND",
        message,
        language,
    )
    assert error.request_id == sent_id
    assert error.response is not None
    assert error.response.status_code == 404
    assert str(error) == f"HTTP 404 NOT_FOUND: {message} (x-request-id {sent_id})"
    assert isinstance(error, ClientError)
    assert isinstance(error, PartnerAPIError)


def test_raise_for_status_off_gives_the_generated_return_value(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor)).with_options(raise_for_status=False)
    response = flavor.call(get_account, client, account_id="acc_999")
    assert response.status_code == 404
    assert isinstance(response.parsed, Error)
    assert response.parsed.code == "NOT_FOUND"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequestError),
        (403, PermissionDeniedError),
        (409, ConflictError),
        (418, ClientError),
        (422, UnprocessableEntityError),
        (500, ServerError),
        (599, ServerError),
        (302, APIStatusError),
    ],
)
def test_status_families(status: int, kind: type[APIStatusError]) -> None:
    assert status_error_class(status) is kind


# ---- every error pickles, without its request or response -------------------------------------

SECRET_HEADERS = {
    "authorization": "Bearer SENTINEL-ACCESS-7f3a",
    "x-user-token": "SENTINEL-USER-44de",
    "x-app-key": "SENTINEL-APPKEY-0c1d",
}


def _sample(kind: type[BaseException]) -> BaseException:
    """An instance of each exported error class, built as the client builds it."""
    request = httpx.Request(
        "POST",
        "https://api.test/v1/auth/token",
        headers={**SECRET_HEADERS, "x-request-id": "req-1"},
        json={"privateKey": "SENTINEL-PK-e5f6"},
    )
    if issubclass(kind, APIStatusError):
        response = httpx.Response(503, request=request, json={"code": "DOWN"})
        return kind(
            status_code=503, code="DOWN", message="m", language="en", request_id="req-1", response=response
        )
    if issubclass(kind, APIConnectionError):
        return kind("POST /v1/auth/token: ReadTimeout", request=request)
    if issubclass(kind, MissingTokenError):
        return kind("log in", kind="user", operation="getAccount")
    if issubclass(kind, UnsafeRedirectError):
        return kind("refused", request_id="req-1")
    if issubclass(kind, APIResponseValidationError):
        return kind(
            "getAccount answered 200 with a body that does not match", status_code=200, request_id="req-1"
        )
    return kind("a message")


ERRORS = [
    getattr(partner_api, name)
    for name in partner_api.__all__
    if isinstance(getattr(partner_api, name), type) and issubclass(getattr(partner_api, name), BaseException)
]


def test_the_error_list_is_complete() -> None:
    assert len(ERRORS) >= 20
    assert {APIConnectionError, APITimeoutError, MissingTokenError, ReauthenticationRequired} <= set(ERRORS)


@pytest.mark.parametrize("kind", ERRORS, ids=lambda kind: kind.__name__)
def test_every_exported_error_pickles_without_secrets(kind: type[BaseException]) -> None:
    """Property 18: pickles of every error: no credential inside, the same error out."""
    error = _sample(kind)
    data = pickle.dumps(error)
    for secret in ("SENTINEL-ACCESS-7f3a", "SENTINEL-USER-44de", "SENTINEL-APPKEY-0c1d", "SENTINEL-PK-e5f6"):
        assert secret.encode() not in data
    restored = pickle.loads(data)  # noqa: S301 (our own bytes)
    assert type(restored) is kind
    assert str(restored) == str(error)
    for name in ("kind", "operation", "request_id", "status_code", "code", "message", "language"):
        assert getattr(restored, name, None) == getattr(error, name, None)
    for name in ("request", "response"):
        assert getattr(restored, name, None) is None


def test_a_connection_error_carries_the_request_id(flavor: Flavor, vendor: FakeVendor) -> None:
    """Property 25: the request id of the last attempt."""
    client = flavor.client(vendor, tokens=logged_in(vendor), max_retries=0)
    vendor.fail_next("/v1/products", raises(httpx.ReadError))
    with pytest.raises(APIConnectionError) as caught:
        flavor.call(list_products, client)
    assert caught.value.request_id == vendor.seen[-1].headers["x-request-id"]


# ---- what the vendor sends back is typed, whatever it is -------------------------------------------


def test_deeply_nested_json_in_an_error_body_still_gives_the_typed_error(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    """Property 25: json.loads raises RecursionError on this body."""
    body = b"[" * 100_000 + b"]" * 100_000
    vendor.fail_next("/v1/products", lambda request: httpx.Response(400, content=body))
    client = flavor.client(vendor, tokens=logged_in(vendor))
    with pytest.raises(BadRequestError) as caught:
        flavor.call(list_products, client)
    assert caught.value.code is None
    assert caught.value.request_id == vendor.seen[-1].headers["x-request-id"]


def test_a_corrupt_gzip_body_is_a_typed_error(flavor: Flavor, vendor: FakeVendor) -> None:
    """Property 25: httpx.DecodingError does not escape."""

    def corrupt(request: httpx.Request) -> httpx.Response:
        stream = httpx.ByteStream(b"\x1f\x8b\x08\x00garbage, not deflate")
        return httpx.Response(200, headers={"content-encoding": "gzip"}, stream=stream)

    vendor.fail_next("/v1/products", corrupt)
    client = flavor.client(vendor, tokens=logged_in(vendor))
    with pytest.raises(ResponseDecodingError) as caught:
        flavor.call(list_products, client)
    assert isinstance(caught.value, PartnerAPIError)
    assert caught.value.request_id == vendor.seen[-1].headers["x-request-id"]


@pytest.mark.parametrize("header", ["authorization", "x-user-token", "x-app-key"])
def test_a_vendor_message_echoing_a_credential_is_redacted(
    header: str, flavor: Flavor, vendor: FakeVendor
) -> None:
    """Property 18: the vendor echoes what it refused; str(error) and .message do not."""

    def echo(request: httpx.Request) -> httpx.Response:
        value = request.headers[header]
        return httpx.Response(
            403, json={"code": "NO", "message": f"refused {value} for this", "requestId": ""}
        )

    vendor.fail_next("/v1/accounts/acc_001", echo)
    vendor.app_key = "SENTINEL-APPKEY-0c1d"
    tokens = Tokens(access_token="SENTINEL-ACCESS-7f3a", user_token="SENTINEL-USER-44de")
    vendor.valid["access"].add("SENTINEL-ACCESS-7f3a")
    client = flavor.client(vendor, tokens=tokens)
    with pytest.raises(PermissionDeniedError) as caught:
        flavor.call(get_account, client, account_id="acc_001")
    sent = vendor.seen[-1].headers[header].removeprefix("Bearer ")
    assert sent not in str(caught.value)
    assert sent not in (caught.value.message or "")
    assert "refused" in (caught.value.message or "")
    assert "[REDACTED]" in str(caught.value)
