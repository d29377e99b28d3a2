"""The testing kit as an integrator uses it: the ``partner_sandbox`` fixture, its clients and its
controls, behaving as the vendor does (the rules tests/integration/test_sandbox_rules.py checks)."""

from __future__ import annotations

import httpx
import pytest
import stamina

from partner_api import (
    APIConnectionError,
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    ReauthenticationRequired,
    ServerError,
)
from partner_api.testing import OPERATION_IDS, PartnerSandbox
from partner_api_client.api.accounts import get_account
from partner_api_client.api.products import list_products
from partner_api_client.api.users import authenticate_user
from partner_api_client.models import UserCredentials
from tests.testing.conftest import KitFlavor


@pytest.fixture
def no_retry_waits() -> object:
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


def _login(flavor: KitFlavor, client: object, username: str, password: str) -> object:
    return flavor.call(authenticate_user, client, body=UserCredentials(username=username, password=password))


def test_the_fixture_yields_a_reset_sandbox_with_the_demo_credentials(
    partner_sandbox: PartnerSandbox,
) -> None:
    assert partner_sandbox.url.startswith("http://127.0.0.1:")
    assert (partner_sandbox.app_key, partner_sandbox.private_key) == (
        "sandbox-app-key",
        "sandbox-private-key",
    )
    assert all(partner_sandbox.calls(operation) == 0 for operation in OPERATION_IDS)
    assert not partner_sandbox.state.rotate_refresh_tokens
    with partner_sandbox.client() as client:
        assert list_products.sync(client=client).total == 3
    assert partner_sandbox.calls("listProducts") == 1


def test_a_journey_through_the_kit(flavor: KitFlavor, partner_sandbox: PartnerSandbox) -> None:
    client = flavor.client(partner_sandbox)
    _login(flavor, client, partner_sandbox.username, partner_sandbox.password)
    assert flavor.call(get_account, client, account_id="acc_001").parsed.owner_id == "usr_01"
    partner_sandbox.expire("access")
    assert flavor.call(get_account, client, account_id="acc_001").status_code == 200
    assert partner_sandbox.calls("renewAccessToken") == 1
    partner_sandbox.revoke("user")
    partner_sandbox.expire("access")
    partner_sandbox.expire("refresh")
    with pytest.raises(ReauthenticationRequired):
        flavor.call(get_account, client, account_id="acc_001")


def test_many_users_see_only_their_own_data(flavor: KitFlavor, partner_sandbox: PartnerSandbox) -> None:
    budi = partner_sandbox.add_user("budi", "budi-pass", balances=("42.00",))
    siti_client = flavor.client(partner_sandbox)
    budi_client = flavor.client(partner_sandbox)
    _login(flavor, siti_client, partner_sandbox.username, partner_sandbox.password)
    _login(flavor, budi_client, "budi", "budi-pass")
    assert flavor.call(get_account, budi_client, account_id=budi.accounts[0]).parsed.balance == "42.00"
    with pytest.raises(NotFoundError):
        flavor.call(get_account, budi_client, account_id="acc_001")
    with pytest.raises(NotFoundError):
        flavor.call(get_account, siti_client, account_id=budi.accounts[0])
    assert partner_sandbox.calls("getAccount", user="budi") == 2
    assert partner_sandbox.calls("getAccount", user=partner_sandbox.username) == 1
    # Revoking Budi's user token leaves Siti logged in.
    partner_sandbox.revoke("user", user="budi")
    partner_sandbox.expire("access")
    partner_sandbox.expire("refresh")
    with pytest.raises(ReauthenticationRequired):
        flavor.call(get_account, budi_client, account_id=budi.accounts[0])
    assert flavor.call(get_account, siti_client, account_id="acc_001").status_code == 200


@pytest.mark.partner_sandbox(rotate_refresh_tokens=True)
def test_the_client_follows_rotated_refresh_tokens(
    flavor: KitFlavor, partner_sandbox: PartnerSandbox
) -> None:
    client = flavor.client(partner_sandbox)
    _login(flavor, client, partner_sandbox.username, partner_sandbox.password)
    first_refresh = client.tokens.refresh_token
    for renewals in (1, 2, 3):
        partner_sandbox.expire("access")
        assert flavor.call(get_account, client, account_id="acc_001").status_code == 200
        assert partner_sandbox.calls("renewAccessToken") == renewals
    assert client.tokens.refresh_token != first_refresh
    assert partner_sandbox.reuses == 0


@pytest.mark.partner_sandbox(rotate_refresh_tokens=True)
def test_a_reused_refresh_token_forces_a_new_login(
    flavor: KitFlavor, partner_sandbox: PartnerSandbox
) -> None:
    """Two clients that share tokens without sharing renewals: the vendor revokes the family."""
    client = flavor.client(partner_sandbox)
    _login(flavor, client, partner_sandbox.username, partner_sandbox.password)
    stale = flavor.client(partner_sandbox, tokens=client.tokens)
    partner_sandbox.expire("access")
    assert flavor.call(get_account, client, account_id="acc_001").status_code == 200  # rotates
    with pytest.raises((ReauthenticationRequired, AuthenticationError)):
        flavor.call(get_account, stale, account_id="acc_001")  # renews with the replaced token
    assert partner_sandbox.reuses == 1
    with pytest.raises((ReauthenticationRequired, AuthenticationError)):
        flavor.call(get_account, client, account_id="acc_001")  # its family is revoked too


@pytest.mark.usefixtures("no_retry_waits")
def test_fault_controls(flavor: KitFlavor, partner_sandbox: PartnerSandbox) -> None:
    client = flavor.client(partner_sandbox, timeout=0.5)
    partner_sandbox.fail("listProducts", 503, retry_after=0, times=2)
    assert flavor.call(list_products, client).status_code == 200
    assert partner_sandbox.calls("listProducts") == 3
    partner_sandbox.fail("listProducts", 500, times=10)
    with pytest.raises(ServerError) as caught:
        flavor.call(list_products, client)
    assert caught.value.code == "INTERNAL_ERROR"
    partner_sandbox.reset()
    partner_sandbox.drop("listProducts")
    assert flavor.call(list_products, client).status_code == 200
    # The drop, then a 401 (reset() forgot every token) and the replay after new first tokens.
    assert partner_sandbox.calls("listProducts") == 3
    partner_sandbox.delay("listProducts", 1.0, times=10)
    with pytest.raises(APIConnectionError):
        flavor.call(list_products, client)


def test_retry_after_reaches_the_client(partner_sandbox: PartnerSandbox) -> None:
    partner_sandbox.fail("listProducts", 429, retry_after=7)
    answer = httpx.get(
        f"{partner_sandbox.url}/v1/products",
        headers={"x-app-key": partner_sandbox.app_key, "x-request-id": "r-1"},
    )
    assert (answer.status_code, answer.headers["retry-after"]) == (429, "7")


@pytest.mark.parametrize(
    ("control", "message"),
    [
        (lambda kit: kit.fail("listProduct"), "not an operation of the spec; use one of"),
        (lambda kit: kit.fail("listProducts", 404), "429 or a 5xx"),
        (lambda kit: kit.drop("listProducts", times=0), "positive int"),
        (lambda kit: kit.delay("listProducts", -1), ">= 0"),
        (lambda kit: kit.calls("nope"), "not an operation"),
        (lambda kit: kit.expire("acess"), "kind must be one of access, refresh, user"),
        (lambda kit: kit.expire("access", user="siti.rahma"), "belong to the client"),
        (lambda kit: kit.configure(token_scopes="per-team"), "per-client, per-user or a mapping"),
        (lambda kit: kit.add_user("siti.rahma", "x"), "already has a user"),
    ],
)
def test_bad_input_names_the_problem(partner_sandbox: PartnerSandbox, control: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        control(partner_sandbox)  # type: ignore[operator]


@pytest.mark.partner_sandbox(token_scopes="per-user", lifetimes={"access": 5})
def test_the_marker_configures_the_sandbox(partner_sandbox: PartnerSandbox) -> None:
    assert partner_sandbox.state.token_scopes == {"access": "user", "refresh": "user", "user": "user"}
    assert partner_sandbox.state.lifetimes["access"] == 5


def test_a_standalone_sandbox_stops_when_closed() -> None:
    with PartnerSandbox.start(rotate_refresh_tokens=True) as kit:
        url = kit.url
        assert kit.state.rotate_refresh_tokens
        client = kit.client()
        assert list_products.sync(client=client).total == 3
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v1/products", timeout=2)
    assert client.get_httpx_client().is_closed


def test_the_plugin_is_loaded_once_under_its_entry_point_name(pytestconfig: pytest.Config) -> None:
    from partner_api.testing import _plugin

    manager = pytestconfig.pluginmanager
    assert manager.get_plugin("partner_api") is _plugin
    assert [plugin for plugin in manager.get_plugins() if plugin is _plugin] == [_plugin]


def test_the_plugin_loads_without_the_extra_and_the_sandbox_names_it(tmp_path: object) -> None:
    """pytest loads the plugin wherever the package is installed, extra or not."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "for name in ('fastapi', 'uvicorn', 'pydantic'):\n"
        "    sys.modules[name] = None\n"
        "import partner_api.testing._plugin\n"
        "from partner_api import ConfigurationError\n"
        "from partner_api.testing import PartnerSandbox\n"
        "try:\n"
        "    PartnerSandbox.start()\n"
        "except ConfigurationError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "pip install 'partner-api[testing]'" in result.stdout


def test_the_kits_surface_is_explicit_and_sorted() -> None:
    import partner_api.testing as kit

    public = {name for name in dir(kit) if not name.startswith("_")}
    # Sorted as ruff sorts it (RUF022): constants first, then classes.
    assert kit.__all__ == sorted(kit.__all__, key=lambda name: (not name.isupper(), name))
    assert public <= set(kit.__all__)
    assert {"PartnerSandbox", "SandboxServer", "Sandbox", "Fault", "DEMO"} <= set(kit.__all__)


FORGETFUL = """
import asyncio, gc
from partner_api_client.api.products import list_products

def test_leaves_its_async_client_open(partner_sandbox):
    client = partner_sandbox.async_client()
    assert asyncio.run(list_products.asyncio(client=client)).total == 3

def test_next(partner_sandbox):
    gc.collect()  # an unclosed socket of the test before would be reported here
    assert list_products.sync(client=partner_sandbox.client()).total == 3
"""


def test_an_async_client_left_open_leaks_no_socket(tmp_path: object) -> None:
    import subprocess
    import sys
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "test_forgetful.py").write_text(FORGETFUL, encoding="utf-8")
    (folder / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_projects_sandbox_fixture_is_the_kits(sandbox: object, partner_sandbox: PartnerSandbox) -> None:
    """The project's suites and integrators' tests run on one server, so the rules cannot drift."""
    assert sandbox is partner_sandbox.server
