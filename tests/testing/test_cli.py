"""`python -m tests.sandbox` (and `python -m partner_api.testing`) serve the sandbox by hand, with
rotation, token scopes and extra users from the command line."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests._paths import ROOT

AGAINST_THE_SANDBOX = textwrap.dedent(
    """
    import os, uuid
    import httpx

    url, key = os.environ["PARTNER_API_BASE_URL"], os.environ["PARTNER_API_APP_KEY"]

    def post(path, bearer=None, body=None):
        headers = {"x-app-key": key, "x-request-id": str(uuid.uuid4())}
        if bearer:
            headers["authorization"] = f"Bearer {bearer}"
        return httpx.post(url + path, headers=headers, json=body)

    first = post("/v1/auth/token", body={"privateKey": os.environ["PARTNER_API_PRIVATE_KEY"]}).json()
    login = post("/v1/users/login", first["accessToken"], {"username": "budi", "password": "budi-pass"})
    print("login", login.status_code)
    renewed = post("/v1/auth/access-token", first["refreshToken"]).json()
    print("rotated", renewed["refreshToken"] != first["refreshToken"])
    print("reuse", post("/v1/auth/access-token", first["refreshToken"]).json()["code"])
    """
)


@pytest.mark.parametrize("module", ["tests.sandbox", "partner_api.testing"])
def test_the_command_line_turns_rotation_on_and_adds_users(module: str) -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-m", module, "--rotate-refresh-tokens", "--token-scopes", "per-user"),
            *("--user", "budi:budi-pass", "--run", sys.executable, "-c", AGAINST_THE_SANDBOX),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "token scopes per-user, rotating refresh tokens" in result.stdout
    assert result.stdout.splitlines()[1:] == ["login 200", "rotated True", "reuse TOKEN_REVOKED"]


def test_a_malformed_user_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.sandbox", "--user", "budi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "'budi' is not NAME:PASSWORD" in result.stderr
