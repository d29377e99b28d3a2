"""Quick start: what an integrator writes against the vendor's staging.

    PARTNER_API_BASE_URL=https://... PARTNER_API_APP_KEY=... PARTNER_API_PRIVATE_KEY=... \
    PARTNER_API_USERNAME=... PARTNER_API_PASSWORD=... python examples/quickstart.py

`make` runs it against the local sandbox (python -m tests.sandbox --run ...), which sets
those variables and issues access tokens that live two seconds, so a renewal shows.
"""

from __future__ import annotations

import logging
import os
import sys
import time

from partner_api import PartnerAPIError, PartnerClient, Tokens
from partner_api_client.api.accounts import get_account
from partner_api_client.api.products import list_products
from partner_api_client.api.users import authenticate_user
from partner_api_client.models import UserCredentials


def save(tokens: Tokens) -> None:
    # A real integration persists these (and passes them back as tokens= on restart):
    # see examples/saving_tokens.py.
    print(f"  tokens changed: {tokens}")


def main() -> int:
    # One line per HTTP request: operation, method, path, status, time, x-request-id.
    logging.basicConfig(format="  %(message)s", stream=sys.stdout)
    logging.getLogger("partner_api").setLevel(logging.INFO)

    # PARTNER_API_APP_KEY, PARTNER_API_PRIVATE_KEY and PARTNER_API_BASE_URL from the environment.
    with PartnerClient.from_env(language="en", on_tokens_changed=save) as client:
        print("1. list products (the client first obtains its tokens with the private key)")
        page = list_products.sync(client=client)
        print(f"   {page.total} products: {', '.join(product.name for product in page.items)}")

        print("2. log the user in (issues the user token)")
        credentials = UserCredentials(
            username=os.environ["PARTNER_API_USERNAME"], password=os.environ["PARTNER_API_PASSWORD"]
        )
        session = authenticate_user.sync(client=client, body=credentials)
        print(f"   logged in as {session.user.name}")

        print("3. a user-specific call (x-user-token goes along)")
        account = get_account.sync(client=client, account_id="acc_001")
        print(f"   account {account.id}: {account.currency} {account.balance}")

        wait = float(os.environ.get("PARTNER_API_DEMO_WAIT", "0"))
        if wait:
            print(f"4. wait {wait:g} s for the access token to expire, then call again (watch the renewal)")
            time.sleep(wait)
            account = get_account.sync(client=client, account_id="acc_001")
            print(f"   account {account.id}: {account.currency} {account.balance}")

        print("5. an error, typed, with the vendor's message and the request id")
        try:
            get_account.sync(client=client, account_id="acc_002")
        except PartnerAPIError as error:
            print(f"   {type(error).__name__}: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
