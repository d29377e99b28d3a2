"""sync()/asyncio() return the success model and raise only partner_api errors; mypy refuses a
client of the wrong flavour."""

from __future__ import annotations

import datetime as dt
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from partner_api import (
    APIResponseValidationError,
    ConflictError,
    NotFoundError,
    PartnerAPIError,
    Tokens,
)
from partner_api_client.api.products import list_products
from partner_api_client.models import Error, ProductPage
from tests._flavor import Flavor, flavors
from tests._paths import ROOT

flavor = flavors(Flavor)

PAGE = {
    "items": [{"id": "p1", "name": "Tea", "category": "savings"}],
    "page": 1,
    "size": 20,
    "total": 1,
}


def _tokens() -> Tokens:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    return Tokens(access_token="access-1", access_token_expires_at=later)


def _client(flavor: Flavor, status: int, content: bytes, **options: Any) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers={"content-type": "application/json"})

    return flavor.make_client(
        app_key="app-1",
        base_url="https://api.test",
        tokens=_tokens(),
        transport=httpx.MockTransport(answer),
        **options,
    )


def _call(flavor: Flavor, client: Any, detailed: bool = False) -> Any:
    if flavor.name == "sync":
        return (list_products.sync_detailed if detailed else list_products.sync)(client=client)
    return flavor.run((list_products.asyncio_detailed if detailed else list_products.asyncio)(client=client))


def test_success_returns_the_model(flavor: Flavor) -> None:
    import json

    page = _call(flavor, _client(flavor, 200, json.dumps(PAGE).encode()))
    assert isinstance(page, ProductPage)
    assert page.items[0].name == "Tea"


# Bodies that do not match the spec, each failing the parser in its own way.
BAD_BODIES = {
    "not JSON": b"<html>oops</html>",
    "a field missing": b'{"items": [], "page": 1, "size": 20}',
    "a list for an object": b"[1, 2]",
    "a number for a list": b'{"items": 5, "page": 1, "size": 20, "total": 1}',
    "nested too deeply": b"[" * 200_000 + b"]" * 200_000,
}


@pytest.mark.parametrize("detailed", [False, True], ids=["plain", "detailed"])
@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_body_that_does_not_match_raises_a_typed_error(flavor: Flavor, body: bytes, detailed: bool) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["x-request-id"])
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    client = flavor.make_client(
        app_key="app-1", base_url="https://api.test", tokens=_tokens(), transport=httpx.MockTransport(answer)
    )
    with pytest.raises(APIResponseValidationError) as caught:
        _call(flavor, client, detailed)
    error = caught.value
    assert isinstance(error, PartnerAPIError)
    assert (error.status_code, error.request_id) == (200, seen[-1])
    assert isinstance(error.__cause__, ValueError | KeyError | TypeError | AttributeError | RecursionError)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own pickle)
    assert (type(copy), str(copy), copy.request_id) == (type(error), str(error), error.request_id)


def test_without_raise_for_status_sync_still_raises_and_detailed_returns(flavor: Flavor) -> None:
    body = b'{"code": "DUPLICATE_REQUEST_ID", "message": "Used.", "requestId": "r-1"}'
    client = _client(flavor, 409, body, raise_for_status=False)
    with pytest.raises(ConflictError) as caught:
        _call(flavor, client)
    assert (caught.value.code, caught.value.request_id) == ("DUPLICATE_REQUEST_ID", "r-1")
    response = _call(flavor, client, detailed=True)
    assert response.status_code == 409
    assert isinstance(response.parsed, Error)


def test_an_undocumented_status_raises_its_class_and_detailed_parses_nothing(flavor: Flavor) -> None:
    client = _client(flavor, 404, b'{"code": "NOT_FOUND", "message": "No."}', raise_for_status=False)
    with pytest.raises(NotFoundError):
        _call(flavor, client)
    assert _call(flavor, client, detailed=True).parsed is None


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    usage = tmp_path / "usage.py"
    usage.write_text(textwrap.dedent(source), encoding="utf-8")
    config = tmp_path / "mypy.ini"
    config.write_text(
        f"[mypy]\nstrict = True\nmypy_path = {ROOT / 'generated'}:{ROOT / 'overlays'}\n"
        f"cache_dir = {tmp_path / 'cache'}\n",
        encoding="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), str(usage)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )


def test_mypy_sees_the_success_model(tmp_path: Path) -> None:
    result = _mypy(
        tmp_path,
        """
        from partner_api import AsyncPartnerClient, PartnerClient
        from partner_api_client.api.accounts import get_account

        async def use(client: PartnerClient, async_client: AsyncPartnerClient) -> None:
            reveal_type(get_account.sync(client=client, account_id="a"))
            reveal_type(await get_account.asyncio(client=async_client, account_id="a"))
            print(get_account.sync(client=client, account_id="a").balance)
        """,
    )
    assert result.stdout.count('Revealed type is "partner_api_client.models.account.Account"') == 2, (
        result.stdout
    )
    assert "error" not in result.stdout.replace("Revealed", ""), result.stdout


def test_mypy_refuses_a_client_of_the_wrong_flavour(tmp_path: Path) -> None:
    result = _mypy(
        tmp_path,
        """
        from partner_api import AsyncPartnerClient, PartnerClient
        from partner_api_client.api.accounts import get_account

        async def use(client: PartnerClient, async_client: AsyncPartnerClient) -> None:
            get_account.sync(client=async_client, account_id="a")
            get_account.sync_detailed(client=async_client, account_id="a")
            await get_account.asyncio(client=client, account_id="a")
            await get_account.asyncio_detailed(client=client, account_id="a")
        """,
    )
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 4, result.stdout
    assert all('incompatible type "AsyncPartnerClient"' in line for line in errors[:2]), errors
    assert all('incompatible type "PartnerClient"' in line for line in errors[2:]), errors
