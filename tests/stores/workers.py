"""What each worker process runs in the multi-process tests (importable: processes are spawned)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import time
from collections.abc import Callable
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


def report(queue: Any, barrier: Any, target: Callable[..., str], *args: Any) -> None:
    """Run ``target`` in a spawned process once every worker is ready; its result (or error) to ``queue``."""
    barrier.wait(timeout=60)
    try:
        queue.put(target(*args))
    except BaseException as error:  # noqa: BLE001 (whatever it is, the test reports it)
        queue.put(f"error: {type(error).__name__}: {error}")


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
