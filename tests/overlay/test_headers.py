"""Each operation in the manifest gets exactly the headers and the token its spec entry names."""

from __future__ import annotations

import importlib
import uuid
from typing import Any

import pytest

from partner_api_client._manifest import OPERATIONS
from tests._operations import ARGUMENTS
from tests.overlay.conftest import VendorFlavor as Flavor
from tests.overlay.conftest import logged_in
from tests.overlay.fake_vendor import FakeVendor


def test_every_operation_has_arguments_here() -> None:
    assert set(ARGUMENTS) == {entry["operation_id"] for entry in OPERATIONS}


@pytest.mark.parametrize("entry", OPERATIONS, ids=[entry["operation_id"] for entry in OPERATIONS])
def test_operation_gets_exactly_its_headers(entry: Any, flavor: Flavor, vendor: FakeVendor) -> None:
    tokens = logged_in(vendor)
    client = flavor.client(vendor, tokens=tokens, language="en")
    module = importlib.import_module(entry["module"])
    response = flavor.call(module, client, **ARGUMENTS[entry["operation_id"]])
    assert response.status_code < 300, response.content
    [request] = vendor.seen
    headers = request.headers
    assert headers["x-app-key"] == vendor.app_key
    assert uuid.UUID(headers["x-request-id"]).version == 4
    assert headers["x-language"] == "en"
    expected_bearer = tokens.token(entry["bearer"]) if entry["bearer"] else None
    assert headers.get("authorization") == (f"Bearer {expected_bearer}" if expected_bearer else None)
    assert headers.get("x-user-token") == (tokens.user_token if entry["user_token"] else None)
    assert request.method == entry["method"]


def test_the_default_language_is_indonesian(flavor: Flavor, vendor: FakeVendor) -> None:
    from partner_api_client.api.products import list_products

    client = flavor.client(vendor, tokens=logged_in(vendor))
    flavor.call(list_products, client)
    assert vendor.seen[0].headers["x-language"] == "id"


def test_with_options_changes_language_and_pins_request_id(flavor: Flavor, vendor: FakeVendor) -> None:
    from partner_api_client.api.products import list_products

    client = flavor.client(vendor, tokens=logged_in(vendor))
    pinned = client.with_options(language="en", request_id="order-42")
    flavor.call(list_products, pinned)
    flavor.call(list_products, client)
    first = vendor.seen[0].headers
    assert (first["x-language"], first["x-request-id"]) == ("en", "order-42")
    assert vendor.seen[1].headers["x-language"] == "id"
    assert vendor.seen[1].headers["x-request-id"] != "order-42"
