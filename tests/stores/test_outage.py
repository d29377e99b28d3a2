"""Redis stopped in the middle of a renewal: a typed error, and no token the vendor rotated is lost."""

# Made-up tokens are compared with what the stores give back on purpose.
# ruff: noqa: S105

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterator

import pytest

from partner_api import Tokens, TokenStoreError
from partner_api.stores import RedisTokenStore, StoreKey, arenew_once, namespace_for, renew_once
from tests.stores.redis_server import RedisServer

KEY = StoreKey.client(namespace_for("app-key", "https://api.test"))


def tokens(n: int, seconds: float) -> Tokens:
    return Tokens(
        access_token=f"a{n}",
        access_token_expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds),
        refresh_token=f"r{n}",
        access_token_lifetime=60.0,
    )


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with RedisServer(persistent=True) as running:
        yield running


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_redis_down_mid_renewal_keeps_the_rotated_tokens(
    server: RedisServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedisTokenStore(server.url, blocking_timeout=1)
    store.save(KEY, tokens(1, -1))
    presented: list[str | None] = []

    def renew(current: Tokens | None) -> Tokens:
        presented.append(current.refresh_token if current else None)
        server.stop()  # Redis goes down while the vendor rotates the tokens
        return tokens(2, 60)

    async def arenew(current: Tokens | None) -> Tokens:
        return renew(current)

    caplog.set_level(logging.WARNING, logger="partner_api")
    runner = asyncio.Runner()  # one event loop: the store's async client belongs to it
    if mode == "sync":
        renewed = renew_once(store, KEY, "access", "a1", renew)
    else:
        renewed = runner.run(arenew_once(store, KEY, "access", "a1", arenew))
    # The caller gets the vendor's new tokens although they could not be saved.
    assert (renewed.access_token, renewed.refresh_token) == ("a2", "r2")
    assert presented == ["r1"]
    assert store.has_unsaved
    assert any("could not be saved" in r.getMessage() for r in caplog.records)

    # While Redis is down: typed errors, and no renewal without the lock.
    with pytest.raises(TokenStoreError, match="Redis failed"):
        store.load(KEY)
    with pytest.raises(TokenStoreError):
        renew_once(store, KEY, "access", "a2", renew)
    assert presented == ["r1"]
    if mode == "async":
        with pytest.raises(TokenStoreError):
            runner.run(store.aload(KEY))

    # Redis comes back with the stale r1 it had: the store's next operation writes r2 first.
    server.start()
    stored = store.load(KEY) if mode == "sync" else runner.run(store.aload(KEY))
    assert stored is not None
    assert (stored.access_token, stored.refresh_token) == ("a2", "r2")
    assert not store.has_unsaved
    # A second process reading now sees the rotated tokens, never r1.
    other = RedisTokenStore(server.url)
    other_view = other.load(KEY)
    assert other_view is not None
    assert other_view.refresh_token == "r2"
    other.close()
    runner.run(store.aclose())
    runner.close()


def test_redis_unreachable_from_the_start_is_a_typed_error() -> None:
    from tests.stores.redis_server import free_port

    store = RedisTokenStore(f"redis://127.0.0.1:{free_port()}/0", blocking_timeout=0.5)
    with pytest.raises(TokenStoreError, match="Redis failed while reading tokens"):
        store.load(KEY)
    with pytest.raises(TokenStoreError, match="Redis failed while locking"), store.renewing(KEY, "access"):
        pass
    with pytest.raises(TokenStoreError, match="Redis failed while saving"):
        store.save(KEY, tokens(1, 60))
    assert store.has_unsaved  # kept, to be written once Redis answers

    async def scenario() -> None:
        with pytest.raises(TokenStoreError, match="Redis failed"):
            await store.aload(KEY)
        with pytest.raises(TokenStoreError, match="Redis failed"):
            async with store.arenewing(KEY, "access"):
                pass
        await store.aclose()

    asyncio.run(scenario())
