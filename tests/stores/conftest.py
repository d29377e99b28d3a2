"""Stores under test: memory, a real file, a real Redis server; each driven sync and async."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from partner_api import Tokens
from partner_api.stores import (
    FileTokenStore,
    MemoryTokenStore,
    RedisTokenStore,
    StoreKey,
    TokenStore,
    arenew_once,
    renew_once,
)
from partner_api.stores._base import TokenKind
from tests.stores.redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis server, emptied for each test."""
    with redis.Redis.from_url(redis_server.url) as admin:
        admin.flushdb()
    return redis_server.url


def make_store(backend: str, tmp_path: Path, redis_url: str | None, **options: Any) -> TokenStore:
    if backend == "memory":
        return MemoryTokenStore(**options)
    if backend == "file":
        return FileTokenStore(tmp_path / "tokens.json", **options)
    assert redis_url is not None
    return RedisTokenStore(redis_url, **options)


class Driver:
    """One store, driven through its sync or its async methods: tests come in pairs."""

    def __init__(self, store: TokenStore, mode: str) -> None:
        self.store, self.mode = store, mode
        self._runner = asyncio.Runner() if mode == "async" else None

    def _run(self, coroutine: Any) -> Any:
        assert self._runner is not None
        return self._runner.run(coroutine)

    def load(self, key: StoreKey) -> Tokens | None:
        return self.store.load(key) if self._runner is None else self._run(self.store.aload(key))

    def save(self, key: StoreKey, tokens: Tokens, kinds: Any = ("access", "refresh", "user")) -> None:
        if self._runner is None:
            self.store.save(key, tokens, kinds)
        else:
            self._run(self.store.asave(key, tokens, kinds))

    def renew_once(self, key: StoreKey, kind: TokenKind, used: str | None, renew: Any, **kw: Any) -> Tokens:
        if self._runner is None:
            return renew_once(self.store, key, kind, used, renew, **kw)

        async def arenew(current: Tokens | None) -> Tokens:
            return renew(current)

        return self._run(arenew_once(self.store, key, kind, used, arenew, **kw))

    def close(self) -> None:
        if self._runner is None:
            self.store.close()
        else:
            self._run(self.store.aclose())
            self._runner.close()


@pytest.fixture(params=["memory", "file", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def drive(backend: str, mode: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Driver]:
    url = request.getfixturevalue("redis_url") if backend == "redis" else None
    driver = Driver(make_store(backend, tmp_path, url), mode)
    yield driver
    driver.close()
