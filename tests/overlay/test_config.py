"""Bad constructor input is refused up front with a ConfigurationError that says what to do."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from partner_api import AsyncPartnerClient, ConfigurationError, InvalidHeaderValue, PartnerClient, Tokens

GOOD: dict[str, Any] = {"app_key": "key", "base_url": "https://api.test"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"base_url": None}, "either environment= (one of staging, production) or base_url="),
        ({"environment": "staging"}, "not both or neither"),
        ({"base_url": None, "environment": "qa"}, "environment='qa' is not one of staging, production"),
        ({"base_url": None, "environment": "staging"}, "placeholder"),
        ({"base_url": "ftp://api.test"}, "absolute https:// URL"),
        ({"base_url": "https://user:pw@api.test"}, "must not carry credentials"),
        ({"language": "fr"}, "language must be 'id' or 'en'"),
        ({"timeout": None}, "would wait forever"),
        ({"timeout": httpx.Timeout(None)}, "would wait forever"),
        ({"timeout": 0}, "positive number of seconds"),
        ({"max_retries": -1}, "max_retries must be an int from 0 to 10"),
        ({"max_retries": 11}, "max_retries must be an int from 0 to 10"),
        ({"tokens": {"access_token": "x"}}, "tokens must be a partner_api.Tokens"),
        ({"on_tokens_changed": "print"}, "must be callable"),
        ({"private_key": ""}, "private_key must be a non-empty str"),
        ({"http_client": httpx.AsyncClient()}, "http_client must be an httpx.Client"),
        ({"transport": httpx.AsyncHTTPTransport()}, "transport must be an httpx.BaseTransport"),
        ({"transport": httpx.HTTPTransport(), "http_client": httpx.Client()}, "not both"),
    ],
)
def test_bad_input_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        PartnerClient(**{**GOOD, **changes})
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_the_async_client_wants_an_async_http_client() -> None:
    with pytest.raises(ConfigurationError, match=r"httpx\.AsyncClient"):
        AsyncPartnerClient(**GOOD, http_client=httpx.Client())


@pytest.mark.parametrize("app_key", ["", "Zq7\r\nx-evil: 1", "Zq7\x00", "Zq7é", " Zq7", "Zq7 ", 42])
def test_app_keys_that_cannot_travel_in_a_header_are_refused(app_key: Any) -> None:
    with pytest.raises(InvalidHeaderValue) as caught:
        PartnerClient(**{**GOOD, "app_key": app_key})
    assert "Zq7" not in str(caught.value)  # never echo what may be a secret


def test_tokens_that_cannot_travel_in_a_header_are_refused() -> None:
    with pytest.raises(InvalidHeaderValue, match="the access token"):
        Tokens(access_token="abc\ndef")


def test_a_request_id_that_cannot_travel_in_a_header_is_refused() -> None:
    client = PartnerClient(**GOOD)
    with pytest.raises(InvalidHeaderValue, match="request_id"):
        client.with_options(request_id="id\r\n")
    with pytest.raises(ConfigurationError, match="language"):
        client.with_options(language="de")  # type: ignore[arg-type]


def test_a_sync_client_refuses_async_use_and_vice_versa() -> None:
    with pytest.raises(ConfigurationError, match="use AsyncPartnerClient"):
        PartnerClient(**GOOD).get_async_httpx_client()
    with pytest.raises(ConfigurationError, match="use PartnerClient"):
        AsyncPartnerClient(**GOOD).get_httpx_client()


def test_the_default_timeout_is_explicit() -> None:
    timeout = PartnerClient(**GOOD).get_httpx_client().timeout
    assert (timeout.connect, timeout.read) == (5.0, 30.0)


def test_a_transport_is_used_as_given() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["x-app-key"])
        return httpx.Response(200, json={"items": [], "page": 1, "size": 20, "total": 0})

    from partner_api_client.api.products import list_products

    client = PartnerClient(**GOOD, transport=httpx.MockTransport(handler), tokens=Tokens(access_token="t"))
    assert list_products.sync_detailed(client=client).status_code == 200
    assert seen == ["key"]
