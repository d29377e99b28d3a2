"""AsyncPartnerClient on the aiohttp transport (the `aiohttp` extra) keeps every promise."""

from __future__ import annotations

import asyncio

from httpx_aiohttp import AiohttpTransport

from partner_api import APIConnectionError, AsyncPartnerClient
from partner_api_client.api.accounts import get_account
from partner_api_client.api.products import list_products
from partner_api_client.api.transfers import create_transfer
from partner_api_client.api.users import authenticate_user
from tests._operations import ARGUMENTS
from tests.sandbox import DEMO, Fault, SandboxServer


def test_the_journey_and_the_retry_policy_on_aiohttp(sandbox: SandboxServer, no_retry_waits: None) -> None:
    state = sandbox.state

    async def scenario() -> None:
        async with AsyncPartnerClient(
            app_key=DEMO.app_key,
            private_key=DEMO.private_key,
            base_url=sandbox.url,
            transport=AiohttpTransport(),
        ) as client:
            await authenticate_user.asyncio_detailed(client=client, **ARGUMENTS["authenticateUser"])
            state.expire("access")
            responses = await asyncio.gather(
                *(get_account.asyncio_detailed(client=client, account_id="acc_001") for _ in range(50))
            )
            assert {response.status_code for response in responses} == {200}
            assert state.count("renewAccessToken") == 1
            state.fail("listProducts", Fault(drop=True))
            assert (await list_products.asyncio_detailed(client=client)).status_code == 200
            assert state.count("listProducts") == 2
            # aiohttp reports a dropped response as a connection error: still, a POST that may
            # have arrived is not sent again.
            state.fail("createTransfer", Fault(drop=True))
            try:
                await create_transfer.asyncio_detailed(client=client, **ARGUMENTS["createTransfer"])
            except APIConnectionError:
                pass
            else:
                raise AssertionError("the dropped transfer should have raised")
            assert state.count("createTransfer") == 1

    asyncio.run(scenario())
