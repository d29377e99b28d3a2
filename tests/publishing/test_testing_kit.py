"""The testing kit from a fresh virtual environment: install ``partner-api[testing]`` from the
index, and run an integrator's own pytest file against the ``partner_sandbox`` fixture (which
the plugin's entry point provides: nothing is imported or configured by hand)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from partner_api_client._stamp import __version__
from tests.publishing.conftest import Index, publish

INTEGRATORS_TESTS = textwrap.dedent(
    """
    import asyncio
    import sys

    import pytest

    import partner_api.testing
    from partner_api import ReauthenticationRequired
    from partner_api_client.api.accounts import get_account
    from partner_api_client.api.products import list_products
    from partner_api_client.api.users import authenticate_user
    from partner_api_client.models import UserCredentials


    def logged_in(partner_sandbox):
        client = partner_sandbox.client()
        login = UserCredentials(username=partner_sandbox.username, password=partner_sandbox.password)
        authenticate_user.sync(client=client, body=login)
        return client


    def test_the_kit_is_the_installed_one():
        assert partner_api.testing.__file__.startswith(sys.prefix)


    def test_login_and_a_user_call(partner_sandbox):
        account = get_account.sync(client=logged_in(partner_sandbox), account_id="acc_001")
        assert account.owner_id == "usr_01"


    def test_an_expired_access_token_is_renewed(partner_sandbox):
        client = logged_in(partner_sandbox)
        partner_sandbox.expire("access")
        assert get_account.sync(client=client, account_id="acc_001").owner_id == "usr_01"
        assert partner_sandbox.calls("renewAccessToken") == 1


    def test_a_revoked_user_token_sends_the_user_to_log_in(partner_sandbox):
        client = logged_in(partner_sandbox)
        partner_sandbox.revoke("user")
        partner_sandbox.expire("access")
        partner_sandbox.expire("refresh")
        with pytest.raises(ReauthenticationRequired):
            get_account.sync(client=client, account_id="acc_001")


    def test_a_5xx_is_retried(partner_sandbox):
        client = partner_sandbox.client()
        partner_sandbox.fail("listProducts", 503, retry_after=0)
        assert list_products.sync(client=client).total == 3
        assert partner_sandbox.calls("listProducts") == 2


    @pytest.mark.partner_sandbox(rotate_refresh_tokens=True)
    def test_my_own_user_async(partner_sandbox):
        user = partner_sandbox.add_user("budi", "budi-pass", balances=("42.00",))

        async def run():
            async with partner_sandbox.async_client() as client:
                login = UserCredentials(username="budi", password="budi-pass")
                await authenticate_user.asyncio(client=client, body=login)
                partner_sandbox.expire("access")
                return await get_account.asyncio(client=client, account_id=user.accounts[0])

        assert asyncio.run(run()).balance == "42.00"
        assert partner_sandbox.calls("getAccount", user="budi") == 2
        assert partner_sandbox.reuses == 0
    """
)


def test_an_integrators_tests_run_on_the_installed_kit(index: Index, tmp_path: Path) -> None:
    result = publish(index)
    assert result.returncode == 0, result.stdout + result.stderr

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    install = subprocess.run(
        [
            *(python, "-m", "pip", "--isolated", "--disable-pip-version-check", "install", "--quiet"),
            *("--index-url", f"{index.url}simple/", f"partner-api[testing]=={__version__}", "pytest"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr

    app = tmp_path / "app"
    app.mkdir()
    (app / "test_my_app.py").write_text(INTEGRATORS_TESTS, encoding="utf-8")
    (app / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\naddopts = --strict-markers\n")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    run = subprocess.run(
        [python, "-m", "pytest", "-p", "no:cacheprovider", "-v"],
        capture_output=True,
        text=True,
        check=False,
        cwd=app,
        env=environment,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "6 passed" in run.stdout
    assert f"partner-api-{__version__}" in run.stdout  # pytest lists the plugin it loaded
