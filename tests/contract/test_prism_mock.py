"""Every operation, called through the overlay, is what the spec says a request must be."""

from __future__ import annotations

import importlib
import re

import httpx
import pytest

from partner_api_client._manifest import OPERATIONS
from tests._operations import ARGUMENTS
from tests.contract.prism import Prism, Recorder, violations
from tests.integration.conftest import SandboxFlavor
from tests.sandbox import DEMO

# Log in first: the user-specific operations need the user token it issues.
ORDER = sorted(OPERATIONS, key=lambda entry: "user" not in {item["token"] for item in entry["issues"]})


def _recording_client(flavor: SandboxFlavor, url: str, recorder: Recorder) -> object:
    if flavor.name == "sync":
        http_client: httpx.Client | httpx.AsyncClient = httpx.Client(event_hooks={"response": [recorder]})
    else:
        http_client = httpx.AsyncClient(event_hooks={"response": [recorder.record_async]})
    flavor.closing(http_client)
    return flavor.make_client(
        app_key=DEMO.app_key, private_key=DEMO.private_key, base_url=url, http_client=http_client
    )


def test_every_operation_conforms(flavor: SandboxFlavor, prism_mock: Prism) -> None:
    recorder = Recorder()
    client = _recording_client(flavor, prism_mock.url, recorder)
    for entry in ORDER:
        response = flavor.call(
            importlib.import_module(entry["module"]), client, **ARGUMENTS[entry["operation_id"]]
        )
        assert response.status_code < 300, (entry["operation_id"], response.content)
    assert recorder.violations() == []
    called = recorder.paths()
    for entry in OPERATIONS:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", entry["path"])
        assert any(method == entry["method"] and re.fullmatch(pattern, path) for method, path in called), (
            entry
        )


def test_the_fixture_catches_a_violation(prism_mock: Prism) -> None:
    # Plain httpx, without the x-request-id the vendor demands.
    response = httpx.get(
        f"{prism_mock.url}/v1/products",
        headers={"x-app-key": DEMO.app_key, "authorization": "Bearer at_3b9f0c1d2e"},
    )
    found = violations(response)
    assert any("x-request-id" in violation for violation in found), found


@pytest.mark.parametrize("header", ["x-app-key", "authorization"])
def test_a_missing_convention_header_is_a_violation(prism_mock: Prism, header: str) -> None:
    headers = {"x-app-key": DEMO.app_key, "x-request-id": "r-1", "authorization": "Bearer at_3b9f0c1d2e"}
    del headers[header]
    assert violations(httpx.get(f"{prism_mock.url}/v1/products", headers=headers))
