"""What each worker process runs in the multi-process tests (importable: processes are spawned)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from partner_api import Tokens
from partner_api.stores import (
    FileTokenStore,
    RedisTokenStore,
    StoreKey,
    TokenStore,
    arenew_once,
    namespace_for,
    renew_once,
)

KEY = StoreKey.client(namespace_for("app-key", "https://api.test"))


def open_store(backend: str, location: str) -> TokenStore:
    return FileTokenStore(location) if backend == "file" else RedisTokenStore(location)


def expiring(n: int, seconds: float) -> Tokens:
    return Tokens(
        access_token=f"a{n}",
        access_token_expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds),
        refresh_token=f"r{n}",
        access_token_lifetime=abs(seconds),
    )


def contend(backend: str, location: str, mode: str, log: str) -> str:
    """Wait for the common start, then renew the expired access token through the store.

    Each renewal appends the refresh token it presented to ``log`` (one write with O_APPEND:
    lines from several processes never interleave), as a vendor with reuse detection would see.
    """
    store = open_store(backend, location)

    def renew(current: Tokens | None) -> Tokens:
        presented = current.refresh_token if current else None
        with Path(log).open("a") as out:
            out.write(json.dumps({"pid": os.getpid(), "presented": presented}) + "\n")
        time.sleep(0.2)  # the vendor takes a while: the others pile up on the lock
        return expiring(int((presented or "r0")[1:]) + 1, 60)

    async def arenew(current: Tokens | None) -> Tokens:
        return await asyncio.to_thread(renew, current)

    if mode == "sync":
        result = renew_once(store, KEY, "access", "a1", renew, margin=5)
        store.close()
    else:

        async def main() -> Tokens:
            try:
                return await arenew_once(store, KEY, "access", "a1", arenew, margin=5)
            finally:
                await store.aclose()

        result = asyncio.run(main())
    return f"{result.access_token}/{result.refresh_token}"


def serve(backend: str, location: str, url: str, mode: str, calls: int, log: str) -> str:  # noqa: PLR0917 (spawned with positional args)
    """A worker process of an app: its own client on the shared store, a few calls for the
    client and for the user "siti" (whose session another process logged in).

    Returns "ok", or the error a call ended with (a forced re-login is ReauthenticationRequired).
    """
    from partner_api import AsyncPartnerClient, PartnerAPIError, PartnerClient
    from partner_api.testing import DEMO
    from partner_api_client.api.accounts import get_account
    from partner_api_client.api.products import list_products

    store = open_store(backend, location)
    options: dict[str, Any] = {
        "app_key": DEMO.app_key,
        "private_key": DEMO.private_key,
        "base_url": url,
        "token_store": store,
    }
    try:
        if mode == "sync":
            with PartnerClient(**options) as client:
                siti = client.for_user("siti")
                for _ in range(calls):
                    list_products.sync(client=client)
                    get_account.sync(client=siti, account_id="acc_001")
            store.close()
        else:

            async def main() -> None:
                async with AsyncPartnerClient(**options) as client:
                    siti = client.for_user("siti")
                    for _ in range(calls):
                        await list_products.asyncio(client=client)
                        await get_account.asyncio(client=siti, account_id="acc_001")
                await store.aclose()

            asyncio.run(main())
    except PartnerAPIError as error:
        with Path(log).open("a") as out:
            out.write(json.dumps({"pid": os.getpid(), "error": type(error).__name__}) + "\n")
        return f"{type(error).__name__}"
    return "ok"


def churn(backend: str, location: str, url: str, mode: str, seconds: float, log: str) -> str:  # noqa: PLR0917 (spawned with positional args)
    """A worker that serves for ``seconds`` then exits, as a recycled worker (gunicorn's
    ``max_requests``) does: calls for the client and for siti all the while."""
    from partner_api import AsyncPartnerClient, PartnerAPIError, PartnerClient
    from partner_api.testing import DEMO
    from partner_api_client.api.accounts import get_account
    from partner_api_client.api.products import list_products

    store = open_store(backend, location)
    options: dict[str, Any] = {
        "app_key": DEMO.app_key,
        "private_key": DEMO.private_key,
        "base_url": url,
        "token_store": store,
    }
    until = time.monotonic() + seconds
    calls = 0
    try:
        if mode == "sync":
            with PartnerClient(**options) as client:
                siti = client.for_user("siti")
                while time.monotonic() < until:
                    list_products.sync(client=client)
                    get_account.sync(client=siti, account_id="acc_001")
                    calls += 2
                    time.sleep(0.02)
            store.close()
        else:

            async def main() -> None:
                nonlocal calls
                async with AsyncPartnerClient(**options) as client:
                    siti = client.for_user("siti")
                    while time.monotonic() < until:
                        await list_products.asyncio(client=client)
                        await get_account.asyncio(client=siti, account_id="acc_001")
                        calls += 2
                        await asyncio.sleep(0.02)
                await store.aclose()

            asyncio.run(main())
    except PartnerAPIError as error:
        with Path(log).open("a") as out:
            out.write(json.dumps({"pid": os.getpid(), "error": type(error).__name__}) + "\n")
        return f"{type(error).__name__}"
    return f"ok {calls}"


def churn_persisting(path: str, url: str, seconds: float, log: str) -> str:
    """The same worker without a store, persisting its tokens the way one would with only
    ``on_tokens_changed``: read the last saved set at start, save every new one. Each process
    renews on its own: the baseline the store is measured against."""
    from partner_api import PartnerAPIError, PartnerClient, Tokens
    from partner_api.testing import DEMO
    from partner_api_client.api.products import list_products

    saved = Path(path)

    def persist(tokens: Tokens) -> None:
        tmp = saved.with_name(f"{saved.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(tokens.to_dict()))
        tmp.replace(saved)

    tokens = Tokens.from_dict(json.loads(saved.read_text()))
    until = time.monotonic() + seconds
    try:
        with PartnerClient(
            app_key=DEMO.app_key, base_url=url, tokens=tokens, on_tokens_changed=persist
        ) as client:
            while time.monotonic() < until:
                list_products.sync(client=client)
                time.sleep(0.02)
    except PartnerAPIError as error:
        with Path(log).open("a") as out:
            out.write(json.dumps({"pid": os.getpid(), "error": type(error).__name__}) + "\n")
        return f"{type(error).__name__}"
    return "ok"


def seed(backend: str, location: str, url: str) -> None:
    """What happened before the workers started: the app obtained its tokens and logged siti in."""
    from partner_api import PartnerClient
    from partner_api.testing import DEMO
    from partner_api_client.api.users import authenticate_user
    from partner_api_client.models import UserCredentials

    store = open_store(backend, location)
    with PartnerClient(
        app_key=DEMO.app_key, private_key=DEMO.private_key, base_url=url, token_store=store
    ) as client:
        authenticate_user.sync(
            client=client.for_user("siti"),
            body=UserCredentials(username=DEMO.username, password=DEMO.password),
        )
    store.close()


def main() -> None:
    """``python -m tests.stores.workers NAME JSON_ARGS``: says "ready", waits for "go" on stdin,
    runs NAME(*JSON_ARGS) and prints its result on the last line."""
    name, args = sys.argv[1], json.loads(sys.argv[2])
    target = {"contend": contend, "serve": serve, "churn": churn, "churn_persisting": churn_persisting}[name]
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit(2)
    print(target(*args), flush=True)


if __name__ == "__main__":
    main()
