"""Many calls while the access token expires: exactly one renewal reaches the sandbox."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from partner_api import AsyncPartnerClient, PartnerClient
from partner_api_client.api.products import list_products
from partner_api_client.api.users import authenticate_user
from tests.integration.test_journey import LOGIN
from tests.sandbox import DEMO, SandboxServer


def test_200_concurrent_async_calls_while_the_token_expires(sandbox: SandboxServer) -> None:
    state = sandbox.state

    async def scenario() -> list[int]:
        async with AsyncPartnerClient(
            app_key=DEMO.app_key, private_key=DEMO.private_key, base_url=sandbox.url
        ) as client:
            await authenticate_user.asyncio_detailed(client=client, body=LOGIN)
            state.expire("access")
            responses = await asyncio.gather(
                *(list_products.asyncio_detailed(client=client) for _ in range(200))
            )
            return [response.status_code for response in responses]

    assert asyncio.run(scenario()) == [200] * 200
    assert state.count("renewAccessToken") == 1
    # Every request the sandbox saw had a new id (a repeated one would have been refused).
    assert len(state.request_ids) == sum(state.calls.values())


def test_50_threads_while_the_token_expires(sandbox: SandboxServer) -> None:
    state = sandbox.state
    with PartnerClient(app_key=DEMO.app_key, private_key=DEMO.private_key, base_url=sandbox.url) as client:
        authenticate_user.sync_detailed(client=client, body=LOGIN)
        state.expire("access")
        with ThreadPoolExecutor(max_workers=50) as pool:
            statuses = list(
                pool.map(lambda _: list_products.sync_detailed(client=client).status_code, range(200))
            )
    assert statuses == [200] * 200
    assert state.count("renewAccessToken") == 1
    assert len(state.request_ids) == sum(state.calls.values())
