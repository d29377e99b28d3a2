"""PartnerClient.from_env() / AsyncPartnerClient.from_env(): the PARTNER_API_* variables."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from partner_api import ConfigurationError, PartnerClient
from partner_api_client.api.products import list_products
from tests.overlay.conftest import VendorFlavor
from tests.overlay.fake_vendor import FakeVendor, status

ENV = {
    "PARTNER_API_APP_KEY": FakeVendor.app_key,
    "PARTNER_API_PRIVATE_KEY": FakeVendor.private_key,
    "PARTNER_API_BASE_URL": "https://api.test",
    "PARTNER_API_LANGUAGE": "en",
    "PARTNER_API_TIMEOUT": "7.5",
    "PARTNER_API_MAX_RETRIES": "0",
}


def _from_env(flavor: VendorFlavor, vendor: FakeVendor, environ: dict[str, str], **options: Any) -> Any:
    kind = type(flavor.make_client(app_key="x", base_url="https://api.test"))
    http_client = vendor.http_client() if flavor.name == "sync" else vendor.async_http_client()
    client = kind.from_env(environ, http_client=flavor.closing(http_client), **options)
    flavor._clients.append(client)
    return client


def _timeout(flavor: VendorFlavor, client: Any) -> httpx.Timeout:
    http = client.get_httpx_client() if flavor.name == "sync" else client.get_async_httpx_client()
    timeout: httpx.Timeout = http.timeout
    return timeout


def _list(flavor: VendorFlavor, client: Any) -> httpx.Response:
    response: httpx.Response = flavor.call(list_products, client)
    return response


def test_every_variable_is_read(flavor: VendorFlavor, vendor: FakeVendor) -> None:
    client = _from_env(flavor, vendor, ENV)
    assert _list(flavor, client).status_code == 200
    # The private key obtained the first tokens; the rest went on the wire.
    assert vendor.calls["/v1/auth/token"] == 1
    request = vendor.seen[-1]
    assert request.headers["x-app-key"] == FakeVendor.app_key
    assert request.headers["x-language"] == "en"
    assert _timeout(flavor, client) == httpx.Timeout(7.5)
    vendor.fail_next("/v1/products", status(503))
    with pytest.raises(Exception, match="503"):
        _list(flavor, client)
    assert vendor.calls["/v1/products"] == 2  # max_retries 0: no retry


def test_keywords_win_over_variables(flavor: VendorFlavor, vendor: FakeVendor) -> None:
    client = _from_env(flavor, vendor, ENV, language="id")
    _list(flavor, client)
    assert vendor.seen[-1].headers["x-language"] == "id"


def test_an_empty_variable_counts_as_unset(flavor: VendorFlavor, vendor: FakeVendor) -> None:
    client = _from_env(flavor, vendor, {**ENV, "PARTNER_API_LANGUAGE": "", "PARTNER_API_TIMEOUT": " "})
    _list(flavor, client)
    assert vendor.seen[-1].headers["x-language"] == "id"
    assert _timeout(flavor, client) == httpx.Timeout(30.0, connect=5.0)


def test_without_a_private_key_the_client_needs_tokens(flavor: VendorFlavor, vendor: FakeVendor) -> None:
    environ = {key: value for key, value in ENV.items() if key != "PARTNER_API_PRIVATE_KEY"}
    client = _from_env(flavor, vendor, environ)
    with pytest.raises(Exception, match="token"):
        _list(flavor, client)
    assert vendor.calls["/v1/auth/token"] == 0


def _without(name: str) -> dict[str, str]:
    return {key: value for key, value in ENV.items() if key != name}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (_without("PARTNER_API_APP_KEY"), "PARTNER_API_APP_KEY is not set"),
        ({**ENV, "PARTNER_API_APP_KEY": ""}, "PARTNER_API_APP_KEY is not set"),
        (_without("PARTNER_API_BASE_URL"), "PARTNER_API_BASE_URL is not set"),
        (
            {**ENV, "PARTNER_API_ENVIRONMENT": "staging"},
            "both PARTNER_API_BASE_URL and PARTNER_API_ENVIRONMENT",
        ),
        ({**ENV, "PARTNER_API_TIMEOUT": "soon"}, "PARTNER_API_TIMEOUT='soon' is not a positive number"),
        ({**ENV, "PARTNER_API_TIMEOUT": "0"}, "PARTNER_API_TIMEOUT='0' is not a positive number"),
        ({**ENV, "PARTNER_API_TIMEOUT": "inf"}, "PARTNER_API_TIMEOUT='inf' is not a positive number"),
        ({**ENV, "PARTNER_API_MAX_RETRIES": "two"}, "PARTNER_API_MAX_RETRIES='two' is not a whole number"),
        ({**ENV, "PARTNER_API_MAX_RETRIES": "-1"}, "PARTNER_API_MAX_RETRIES='-1' is not a whole number"),
        ({**ENV, "PARTNER_API_LANGUAGE": "fr"}, "PARTNER_API_LANGUAGE='fr' is not a language"),
        (_without("PARTNER_API_BASE_URL") | {"PARTNER_API_ENVIRONMENT": "qa"}, "environment='qa'"),
    ],
)
def test_bad_or_missing_variables_name_the_problem(
    flavor: VendorFlavor, vendor: FakeVendor, environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        _from_env(flavor, vendor, environ)
    assert expected in str(caught.value)
    assert FakeVendor.private_key not in str(caught.value)


def test_secrets_never_appear_in_the_error(flavor: VendorFlavor, vendor: FakeVendor) -> None:
    secret = "s3cr3t-app-key\nwith a newline"  # noqa: S105 (made up)
    with pytest.raises(ConfigurationError) as caught:
        _from_env(flavor, vendor, {**ENV, "PARTNER_API_APP_KEY": secret})
    assert "s3cr3t" not in str(caught.value)


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with PartnerClient.from_env(transport=httpx.MockTransport(lambda request: httpx.Response(500))) as client:
        assert client.language == "en"
    monkeypatch.delenv("PARTNER_API_APP_KEY")
    with pytest.raises(ConfigurationError, match="PARTNER_API_APP_KEY"):
        PartnerClient.from_env()
