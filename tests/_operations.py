"""Valid arguments for every generated operation, for tests that call them all."""

from __future__ import annotations

from typing import Any

from partner_api_client.models import ObtainTokensRequest, TransferRequest, UserCredentials
from tests.sandbox.state import DEMO

ARGUMENTS: dict[str, dict[str, Any]] = {
    "obtainTokens": {"body": ObtainTokensRequest(private_key=DEMO.private_key)},
    "renewAccessToken": {},
    "renewRefreshToken": {},
    "authenticateUser": {"body": UserCredentials(username=DEMO.username, password=DEMO.password)},
    "listProducts": {},
    "getAccount": {"account_id": "acc_001"},
    "createTransfer": {
        "body": TransferRequest(source_account_id="acc_001", destination_account_id="acc_002", amount="1.00")
    },
}
