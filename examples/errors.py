"""Errors are caught by type: every one derives from partner_api.PartnerAPIError.

    PARTNER_API_BASE_URL=... PARTNER_API_APP_KEY=... PARTNER_API_PRIVATE_KEY=... \
    PARTNER_API_USERNAME=... PARTNER_API_PASSWORD=... python examples/errors.py
"""

from __future__ import annotations

import os
import sys

from partner_api import (
    APIConnectionError,
    APIStatusError,
    MissingTokenError,
    NotFoundError,
    PartnerAPIError,
    PartnerClient,
    RateLimitError,
    ReauthenticationRequired,
)
from partner_api_client.api.accounts import get_account
from partner_api_client.api.users import authenticate_user
from partner_api_client.models import Account, UserCredentials


def find_account(client: PartnerClient, account_id: str) -> Account | None:
    """The account, or None when the vendor says it does not exist (or is not this user's)."""
    try:
        return get_account.sync(client=client, account_id=account_id)
    except NotFoundError:
        return None


def main() -> int:
    with PartnerClient.from_env(language="en") as client:
        # 1. Before the user logs in, a user-specific call cannot be made: nothing is sent.
        #    (ReauthenticationRequired, a MissingTokenError, when the vendor refuses the user
        #    token later: send the user to log in again.)
        try:
            get_account.sync(client=client, account_id="acc_001")
        except ReauthenticationRequired:
            print("log in again")
        except MissingTokenError as error:
            print(f"log in first: {type(error).__name__} ({error.kind} token)")

        credentials = UserCredentials(
            username=os.environ["PARTNER_API_USERNAME"], password=os.environ["PARTNER_API_PASSWORD"]
        )
        authenticate_user.sync(client=client, body=credentials)

        # 2. An answer the vendor documents as an error is a typed exception.
        print(f"acc_001: {find_account(client, 'acc_001')}")
        print(f"acc_002: {find_account(client, 'acc_002')}")

        # 3. The error carries the status, the vendor's code and message, and the request id.
        try:
            get_account.sync(client=client, account_id="acc_404")
        except RateLimitError as error:
            print(f"slow down: {error.message}")
        except APIStatusError as error:
            print(
                f"{type(error).__name__}: status {error.status_code}, code {error.code}, "
                f"request id {error.request_id}"
            )
        except APIConnectionError as error:
            print(f"no answer: {error}")

        # 4. raise_for_status=False: the *_detailed functions return the parsed error instead.
        lenient = client.with_options(raise_for_status=False)
        response = get_account.sync_detailed(client=lenient, account_id="acc_002")
        print(f"detailed: HTTP {int(response.status_code)}, parsed {type(response.parsed).__name__}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except PartnerAPIError as error:  # anything else the client raises
        sys.exit(f"partner API error: {error}")
