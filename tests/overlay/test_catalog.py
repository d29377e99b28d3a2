"""The catalog: which operation a request is for, how the client builds bodies by itself, and
where the vendor's error envelope keeps its code and message. Driven by hand-made operations,
so shapes the committed spec does not have are covered too."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import httpx
import pytest

from partner_api import _status
from partner_api._operations import CATALOG, BodyTemplate, Catalog, IssuedToken, Operation


def _operation(operation_id: str, path: str, method: str = "GET", **options: object) -> Operation:
    defaults: dict[str, object] = {
        "bearer": "access",
        "user_token": False,
        "body_required": False,
        "issues": (),
    }
    return Operation(operation_id, method, path, **{**defaults, **options})  # type: ignore[arg-type]


ITEMS = Catalog(
    [
        _operation("getItem", "/items/{id}"),
        _operation("searchItems", "/items/search"),
        _operation("getLine", "/items/{id}/lines/{line}"),
        _operation("getSearchLine", "/items/search/lines/{line}"),
        _operation("getHistory", "/items/{id}/history"),
        _operation("deleteItem", "/items/{id}", "DELETE"),
    ]
)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/items/search", "searchItems"),
        ("GET", "/items/it_1", "getItem"),
        ("GET", "/items/INV%2F2026%2F11%2F0001", "getItem"),
        ("GET", "/items/it_1/lines/2", "getLine"),
        ("GET", "/items/search/lines/2", "getSearchLine"),
        ("GET", "/items/search/history", "getHistory"),  # backtracks from the static branch
        ("DELETE", "/items/it_1", "deleteItem"),
        ("GET", "/items/", None),
        ("GET", "/items/it_1/unknown", None),
        ("POST", "/items/it_1", None),
    ],
)
def test_static_segments_win_and_encoded_slashes_stay_in_their_segment(
    method: str, path: str, expected: str | None
) -> None:
    found = ITEMS.match(method, path)
    assert (found.operation_id if found else None) == expected


def test_a_request_is_matched_on_its_raw_path_without_base_path_or_query() -> None:
    request = httpx.Request("GET", "https://api.test/base/items/INV%2F2026%2F0001?x=%2F")
    found = ITEMS.match_request(request.method, request.url.raw_path, "/base")
    assert found is not None
    assert found.operation_id == "getItem"
    # The decoded path has four segments, and would have matched nothing (or the wrong thing).
    assert ITEMS.match("GET", request.url.path.removeprefix("/base")) is None


def test_the_committed_specs_operations_all_match_their_own_paths() -> None:
    for operation in CATALOG.operations:
        path = operation.path.replace("{", "").replace("}", "")
        assert CATALOG.match(operation.method, path) is operation


def _template(media: str, template: dict[str, object], private_key: str | None = None) -> BodyTemplate:
    return BodyTemplate(media, template, private_key, complete=True)


def test_a_form_body_carries_the_constants_and_the_private_key() -> None:
    operation = _operation(
        "token",
        "/oauth/token",
        "POST",
        bearer=None,
        body_required=True,
        body=_template(
            "application/x-www-form-urlencoded", {"grant_type": "client_credentials"}, "/client_secret"
        ),
    )
    body = operation.request_body(private_key="s3cret/+=")
    assert body is not None
    assert body.content_type == "application/x-www-form-urlencoded"
    assert parse_qs(body.content.decode()) == {
        "grant_type": ["client_credentials"],
        "client_secret": ["s3cret/+="],
    }
    assert "s3cret" not in repr(body)


def test_a_json_body_nests_the_private_key_in_the_spec_media_type() -> None:
    template = {"grantType": "client_credentials", "credentials": {"keyId": "k1"}}
    operation = _operation(
        "token",
        "/tokens",
        "POST",
        bearer=None,
        body_required=True,
        body=_template("application/json;charset=UTF-8", template, "/credentials/privateKey"),
    )
    body = operation.request_body(private_key="pk")
    assert body is not None
    assert body.content_type == "application/json;charset=UTF-8"
    assert json.loads(body.content) == {
        "grantType": "client_credentials",
        "credentials": {"keyId": "k1", "privateKey": "pk"},
    }
    assert template == {"grantType": "client_credentials", "credentials": {"keyId": "k1"}}  # untouched


def test_a_renewal_with_a_constant_only_body_is_a_renewal_and_a_login_is_not() -> None:
    renew = _operation(
        "renew",
        "/token/refresh",
        "POST",
        bearer="refresh",
        body_required=True,
        issues=(IssuedToken("access", "/accessToken", None),),
        body=_template("application/json", {"grantType": "refresh_token"}),
    )
    login = _operation(
        "login",
        "/login",
        "POST",
        body_required=True,
        issues=(IssuedToken("user", "/userToken", None),),
        body=BodyTemplate("application/json", {}, None, complete=False),
    )
    catalog = Catalog([renew, login])
    assert catalog.renewal_of == {"access": renew}
    assert catalog.is_renewal(renew)
    assert not catalog.is_renewal(login)
    body = renew.request_body()
    assert body is not None
    assert json.loads(body.content) == {"grantType": "refresh_token"}


@pytest.mark.parametrize(
    ("envelopes", "body", "expected"),
    [
        (
            ({"code": "/responseCode", "message": "/responseMessage", "request_id": None},),
            {"responseCode": "4040001", "responseMessage": "Data not found"},
            ("4040001", "Data not found", "sent-id"),
        ),
        (
            ({"code": "/error/code", "message": "/error/message", "request_id": "/requestId"},),
            {"error": {"code": 40401, "message": "Invoice not found"}, "requestId": "echoed"},
            ("40401", "Invoice not found", "echoed"),
        ),
        (
            (
                {"code": "/code", "message": "/message", "request_id": None},
                {"code": "/status/code", "message": "/status/text", "request_id": None},
            ),
            {"status": {"code": "E1", "text": "second envelope"}},
            ("E1", "second envelope", "sent-id"),
        ),
        (
            ({"code": "/code", "message": "/message", "request_id": None},),
            ["not", "an", "envelope"],
            (None, None, "sent-id"),
        ),
    ],
    ids=["springdoc names", "nested, numeric code", "the second envelope", "no envelope"],
)
def test_errors_are_read_where_the_spec_says(
    monkeypatch: pytest.MonkeyPatch, envelopes: object, body: object, expected: tuple[str | None, ...]
) -> None:
    monkeypatch.setattr(_status, "ERROR_ENVELOPES", envelopes)
    request = httpx.Request("GET", "https://api.test/x", headers={"x-request-id": "sent-id"})
    response = httpx.Response(404, json=body, request=request)
    error = _status.status_error(response, "en")
    assert (error.code, error.message, error.request_id) == expected
