"""Non-2xx answers raise typed errors with the vendor's code, localized message and request id."""

from __future__ import annotations

import pytest

from partner_api import (
    APIStatusError,
    BadRequestError,
    ClientError,
    ConflictError,
    NotFoundError,
    PartnerAPIError,
    PermissionDeniedError,
    ServerError,
    UnprocessableEntityError,
)
from partner_api._errors import status_error_class
from partner_api_client.api.accounts import get_account
from partner_api_client.models import Error
from tests.overlay.conftest import VendorFlavor as Flavor
from tests.overlay.conftest import logged_in
from tests.overlay.fake_vendor import FakeVendor


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
