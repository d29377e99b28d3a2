"""The quick start with AsyncPartnerClient: concurrent calls share one pool and one set of tokens.

    PARTNER_API_BASE_URL=... PARTNER_API_APP_KEY=... PARTNER_API_PRIVATE_KEY=... \
    PARTNER_API_USERNAME=... PARTNER_API_PASSWORD=... python examples/async_quickstart.py
"""

from __future__ import annotations

import asyncio
import os
import sys

from partner_api import AsyncPartnerClient, Tokens
from partner_api_client.api.accounts import get_account
from partner_api_client.api.products import list_products
from partner_api_client.api.users import authenticate_user
from partner_api_client.models import UserCredentials


async def save(tokens: Tokens) -> None:
    # on_tokens_changed may be a coroutine function on the async client.
    print(f"tokens changed: {tokens}")


async def main() -> int:
    async with AsyncPartnerClient.from_env(on_tokens_changed=save) as client:
        credentials = UserCredentials(
            username=os.environ["PARTNER_API_USERNAME"], password=os.environ["PARTNER_API_PASSWORD"]
        )
        session = await authenticate_user.asyncio(client=client, body=credentials)
        print(f"logged in as {session.user.name}")
        # Ten calls at once: the first tokens were obtained once, and every call shares them.
        pages = await asyncio.gather(*(list_products.asyncio(client=client, page=1) for _ in range(10)))
        account = await get_account.asyncio(client=client, account_id="acc_001")
        print(f"{len(pages)} pages of {pages[0].total} products; account {account.id}: {account.balance}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
