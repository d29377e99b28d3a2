"""Saving tokens: persist every new set, start the next run from it.

    PARTNER_API_BASE_URL=... PARTNER_API_APP_KEY=... PARTNER_API_PRIVATE_KEY=... \
    python examples/saving_tokens.py   # twice: the second run obtains no tokens

The tokens are secrets: a real application keeps them encrypted, in its own database.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from partner_api import PartnerClient, Tokens
from partner_api_client.api.products import list_products

STORE = Path("partner-api-tokens.json")


def save(tokens: Tokens) -> None:
    """on_tokens_changed: called with every new set before any request uses it."""
    STORE.write_text(json.dumps(asdict(tokens), default=datetime.isoformat), encoding="utf-8")
    STORE.chmod(0o600)


def load() -> Tokens | None:
    if not STORE.exists():
        return None
    fields = json.loads(STORE.read_text(encoding="utf-8"))
    for name, value in fields.items():
        if name.endswith("_expires_at") and value is not None:
            fields[name] = datetime.fromisoformat(value)
    return Tokens(**fields)


def main() -> int:
    logging.basicConfig(format="%(message)s", stream=sys.stdout)
    logging.getLogger("partner_api").setLevel(logging.INFO)
    saved = load()
    print("starting from saved tokens" if saved else "no saved tokens: the client obtains them")
    with PartnerClient.from_env(tokens=saved, on_tokens_changed=save) as client:
        page = list_products.sync(client=client)
        print(f"{page.total} products")
    return 0


if __name__ == "__main__":
    sys.exit(main())
