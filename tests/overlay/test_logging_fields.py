"""Log records carry the request's facts as fields; operation_id() is public for metrics hooks."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

import partner_api
from partner_api_client.api.products import list_products
from tests.overlay.conftest import VendorFlavor, logged_in
from tests.overlay.fake_vendor import FakeVendor, raises


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "partner_api" and " -> " in record.message]


def test_each_record_carries_the_fields(
    flavor: VendorFlavor, vendor: FakeVendor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="partner_api")
    client = flavor.client(vendor, private_key=vendor.private_key)
    flavor.call(list_products, client)
    records = _records(caplog)
    assert [record.__dict__["operation"] for record in records] == ["obtainTokens", "listProducts"]
    for record, request in zip(records, vendor.seen, strict=True):
        fields: dict[str, Any] = record.__dict__
        assert fields["request_id"] == request.headers["x-request-id"]
        assert fields["status_code"] == 200
        assert fields["error"] is None
        assert isinstance(fields["duration_ms"], float)
        assert fields["duration_ms"] >= 0
        assert (fields["http_method"], fields["url_path"]) == (request.method, request.url.path)
        assert fields["request_id"] in record.getMessage()


def test_a_failed_attempt_has_no_status_but_names_the_error(
    flavor: VendorFlavor, vendor: FakeVendor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="partner_api")
    client = flavor.client(vendor, tokens=logged_in(vendor), max_retries=0)
    vendor.fail_next("/v1/products", raises(httpx.ConnectError))
    with pytest.raises(partner_api.APIConnectionError):
        flavor.call(list_products, client)
    (record,) = _records(caplog)
    assert (record.__dict__["status_code"], record.__dict__["error"]) == (None, "ConnectError")
    assert record.__dict__["operation"] == "listProducts"


def test_operation_id_of_requests_and_responses_in_event_hooks(
    flavor: VendorFlavor, vendor: FakeVendor
) -> None:
    seen: list[tuple[str, str | None]] = []

    def on_request(request: httpx.Request) -> None:
        seen.append(("request", partner_api.operation_id(request)))

    def on_response(response: httpx.Response) -> None:
        seen.append(("response", partner_api.operation_id(response)))

    async def on_request_async(request: httpx.Request) -> None:
        on_request(request)

    async def on_response_async(response: httpx.Response) -> None:
        on_response(response)

    if flavor.name == "sync":
        http: httpx.Client | httpx.AsyncClient = httpx.Client(
            transport=httpx.MockTransport(vendor.sync_handler),
            event_hooks={"request": [on_request], "response": [on_response]},
        )
    else:
        http = httpx.AsyncClient(
            transport=httpx.MockTransport(vendor.async_handler),
            event_hooks={"request": [on_request_async], "response": [on_response_async]},
        )
    client = flavor.make_client(
        app_key=vendor.app_key,
        base_url="https://api.test",
        private_key=vendor.private_key,
        http_client=flavor.closing(http),
    )
    flavor.call(list_products, client)
    assert seen == [
        ("request", "obtainTokens"),
        ("response", "obtainTokens"),
        ("request", "listProducts"),
        ("response", "listProducts"),
    ]


def test_operation_id_of_anything_else_is_none() -> None:
    assert partner_api.operation_id(httpx.Request("GET", "https://api.test/v1/products")) is None
    assert partner_api.operation_id(httpx.Response(200)) is None
    request = httpx.Request("GET", "https://api.test/", extensions={"partner_api.operation": 42})
    assert partner_api.operation_id(request) is None


def test_operation_id_of_an_extensions_mapping() -> None:
    # What transport-level hooks (OpenTelemetry's RequestInfo) hold instead of a Request.
    assert partner_api.operation_id({"partner_api.operation": "getAccount"}) == "getAccount"
    assert partner_api.operation_id({}) is None
