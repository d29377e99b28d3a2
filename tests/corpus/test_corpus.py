"""Vendor-shaped specs, each through check, generate and a journey through the overlay against
Prism mocking it: zero violations, and the right bearer and user token on every request.

Each spec differs from the committed one the way real vendor specs do (see the comment at the
top of each). The journey runs in its own interpreter with that spec's generated package on
the path, since the overlay imports ``partner_api_client`` by name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests._paths import ROOT
from tests.contract.prism import Prism
from tests.generator.conftest import run_generator

CORPUS = sorted(Path(__file__).parent.glob("*.yaml"))


def for_prism(spec: dict[str, Any]) -> Any:
    """The spec with springdoc's ``*/*`` read as JSON, as the generator reads it: Prism cannot
    mock an object body under ``*/*`` ("Cannot serialise complex objects as text")."""
    if isinstance(spec, dict):
        return {
            ("application/json" if key == "*/*" else key): for_prism(value) for key, value in spec.items()
        }
    if isinstance(spec, list):
        return [for_prism(value) for value in spec]
    return spec


@pytest.fixture(scope="module", params=CORPUS, ids=[path.stem for path in CORPUS])
def generated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path, Prism]]:
    spec: Path = request.param
    scratch = tmp_path_factory.mktemp(spec.stem)
    checked = run_generator("check", "--spec", spec, "--baseline", scratch / "none")
    assert checked.returncode == 0, checked.stderr
    output = scratch / "generated"
    result = run_generator("generate", "--spec", spec, "--output", output)
    assert result.returncode == 0, result.stderr
    mocked = scratch / "prism.json"
    mocked.write_text(
        json.dumps(for_prism(yaml.safe_load(spec.read_text(encoding="utf-8")))), encoding="utf-8"
    )
    prism = Prism("mock", log=scratch / "prism.log", spec=mocked)
    yield spec, output, prism
    prism.stop()


def _journey(spec: Path, output: Path, url: str, flavor: str) -> dict[str, Any]:
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join((str(output), str(ROOT / "overlays"), str(ROOT))),
    }
    result = subprocess.run(
        [sys.executable, "-m", "tests.corpus.journey", str(spec), url, flavor],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_the_journey_through_prism(generated: tuple[Path, Path, Prism], flavor: str) -> None:
    spec, output, prism = generated
    report = _journey(spec, output, prism.url, flavor)
    assert report["violations"] == []
    assert report["wrong_credentials"] == []
    # Every request carried the latest token of its kind: a rotated refresh token is never sent.
    assert report["stale_tokens"] == []
    assert all(200 <= status < 300 for status in report["steps"].values()), report["steps"]
    called = [operation for operation, _ in report["operations"]]
    assert None not in called
    # The first tokens came from the private key, before anything else.
    assert called[0] == report["first_tokens"]
    # Expired access and refresh tokens: the refresh token renewed with the user token, then
    # the access token with the new refresh token.
    renewals = report["renewals"]
    chain = [renewals["refresh"], renewals["access"]]
    assert any(called[index : index + 2] == chain for index in range(len(called))), called
    # A 401 is renewed and replayed once; then the same operation succeeds.
    statuses = report["operations"]
    refused = next(index for index, (_, status) in enumerate(statuses) if status == 401)
    assert statuses[refused + 1][0] == renewals["access"]
    assert statuses[refused + 2] == [statuses[refused][0], 200]
    # A typed error carries the vendor's code and message, wherever its envelope keeps them.
    error = report["error"]
    assert error["type"] == "NotFoundError"
    assert error["code"]
    assert error["message"]


def test_the_journey_sees_a_rotated_out_token() -> None:
    import httpx

    from tests.corpus.journey import _stale_tokens

    def exchange(method: str, path: str, bearer: str | None, status: int, body: object) -> httpx.Response:
        headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
        request = httpx.Request(method, f"https://api.test{path}", headers=headers)
        return httpx.Response(status, json=body, request=request)

    first = {"accessToken": "a1", "refreshToken": "r1", "tokenType": "Bearer"}
    first |= {"accessTokenExpiresIn": 1, "refreshTokenExpiresIn": 1}
    responses = [
        exchange("POST", "/v1/auth/token", None, 200, first),
        exchange("GET", "/v1/products", "a1", 200, {}),
        exchange("POST", "/v1/auth/access-token", "r0", 200, {"accessToken": "a2", "expiresIn": 1}),
        exchange("GET", "/v1/products", "a1", 200, {}),
    ]
    found = _stale_tokens(responses)
    assert found == [
        "renewAccessToken (POST /v1/auth/access-token): sent an outdated refresh token",
        "listProducts (GET /v1/products): sent an outdated access token",
    ]
