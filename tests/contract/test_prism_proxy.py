"""The sandbox answers as the spec says, for the whole journey, with Prism validating in between."""

from __future__ import annotations

import pytest

from partner_api import ClientError, NotFoundError, ReauthenticationRequired
from partner_api_client.api.accounts import get_account
from partner_api_client.api.products import list_products
from partner_api_client.api.transfers import create_transfer
from partner_api_client.api.users import authenticate_user
from tests._operations import ARGUMENTS
from tests.contract.prism import Prism, Recorder
from tests.contract.test_prism_mock import _recording_client
from tests.integration.conftest import SandboxFlavor
from tests.sandbox import Fault, SandboxServer


def test_the_journey_through_prism_has_no_violation(
    flavor: SandboxFlavor, sandbox: SandboxServer, prism_proxy: Prism
) -> None:
    state = sandbox.state
    recorder = Recorder()
    client = _recording_client(flavor, prism_proxy.url, recorder)
    assert flavor.call(authenticate_user, client, **ARGUMENTS["authenticateUser"]).status_code == 200
    assert flavor.call(get_account, client, account_id="acc_001").status_code == 200
    assert flavor.call(create_transfer, client, **ARGUMENTS["createTransfer"]).status_code == 201
    with pytest.raises(NotFoundError):
        flavor.call(get_account, client, account_id="acc_002")
    state.expire("access")
    assert flavor.call(list_products, client).status_code == 200  # 401, renewal, replay
    state.expire("access")
    state.expire("refresh")
    assert flavor.call(list_products, client).status_code == 200  # the chain through the user token
    state.revoke("user")
    state.expire("access")
    state.expire("refresh")
    with pytest.raises(ReauthenticationRequired):
        flavor.call(get_account, client, account_id="acc_001")
    statuses = sorted({response.status_code for response in recorder.responses})
    assert statuses == [200, 201, 401, 404]
    assert recorder.violations() == []
    assert state.count("renewRefreshToken") == 2


def test_the_proxy_catches_an_answer_the_spec_does_not_allow(
    flavor: SandboxFlavor, sandbox: SandboxServer, prism_proxy: Prism
) -> None:
    recorder = Recorder()
    client = _recording_client(flavor, prism_proxy.url, recorder)
    sandbox.state.fail("listProducts", Fault(status=418))  # no 418 in the spec
    with pytest.raises(ClientError):
        flavor.call(list_products, client)
    assert any("/v1/products" in violation for violation in recorder.violations())
