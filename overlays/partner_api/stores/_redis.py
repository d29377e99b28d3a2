"""Tokens in Redis, shared by processes on many hosts (``pip install 'partner-api[redis]'``)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import math
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from partner_api._errors import ConfigurationError, TokenStoreError
from partner_api._tokens import TOKEN_KINDS, TokenKind
from partner_api.stores._base import Changes, Record, StoreKey, TokenStore

if TYPE_CHECKING:
    import redis
    import redis.asyncio

logger = logging.getLogger("partner_api")

# A renewal holding the lock longer than this loses it (a crashed process must not block
# everyone for long); keep it above the client's timeout, which bounds a renewal.
DEFAULT_LOCK_TIMEOUT: Final = 30.0
# How long a process waits for another one's renewal before giving up with TokenStoreError.
DEFAULT_BLOCKING_TIMEOUT: Final = 40.0
# A record outlives its token's expiry by this much (clocks of different hosts disagree a little).
TTL_GRACE: Final = 60.0
# Releases started after their caller was cancelled: kept referenced until they finish.
_RELEASING: set[asyncio.Task[None]] = set()


def _import_redis() -> Any:
    try:
        import redis.asyncio  # noqa: PLC0415 (an optional dependency, imported when used)
    except ImportError:
        raise ConfigurationError("RedisTokenStore needs redis-py: pip install 'partner-api[redis]'") from None
    return redis


class RedisTokenStore(TokenStore):
    """Tokens in Redis: one key per token, ``<prefix>:tokens:<namespace>:<session>:<kind>``
    (digests: neither the app key nor a user key appears), a JSON value whose TTL is the
    token's own expiry plus a minute (none when the expiry is unknown).

    Each token's renewal lock is a redis-py ``Lock`` on ``<prefix>:lock:...``: it carries an
    owner token, expires after ``lock_timeout`` seconds (default 30: keep it above your client's
    timeout) and is released only by its owner. A process waits up to ``blocking_timeout``
    seconds (default 40) for another's renewal, then gets ``TokenStoreError``; so does every
    operation while Redis is unreachable (no renewal happens without the lock).

    Give it a URL (``redis://host:6379/0``, ``rediss://`` for TLS), or your own clients: ``client``
    (``redis.Redis``) for ``PartnerClient``, ``async_client`` (``redis.asyncio.Redis``) for
    ``AsyncPartnerClient``. From a URL, the async client is made on first use in each event loop.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | None = None,
        async_client: redis.asyncio.Redis | None = None,
        prefix: str = "partner-api",
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        blocking_timeout: float = DEFAULT_BLOCKING_TIMEOUT,
    ) -> None:
        super().__init__()
        redis_module = _import_redis()
        if url is None and client is None and async_client is None:
            raise ConfigurationError("RedisTokenStore needs a url= or a client= / async_client=")
        for name, value in (("lock_timeout", lock_timeout), ("blocking_timeout", blocking_timeout)):
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigurationError(f"RedisTokenStore: {name} must be a positive number of seconds")
        self._redis = redis_module
        self._url = url
        self._client = client
        self._own_client = client is None
        self._async_client = async_client
        self._own_async_client = async_client is None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._prefix = prefix
        self._lock_timeout = float(lock_timeout)
        self._blocking_timeout = float(blocking_timeout)

    def __repr__(self) -> str:
        # The URL may hold a password: never shown.
        return f"RedisTokenStore(prefix={self._prefix!r})"

    # -- names and values ---------------------------------------------------------------------

    def _token_name(self, key: StoreKey, kind: TokenKind) -> str:
        return f"{self._prefix}:tokens:{key.digest()}:{kind}"

    def _lock_name(self, key: StoreKey, kind: TokenKind) -> str:
        return f"{self._prefix}:lock:{key.digest()}:{kind}"

    @staticmethod
    def _ttl_ms(record: Record) -> int | None:
        expires_at = record.get("expires_at")
        if not isinstance(expires_at, str):
            return None
        remaining = (dt.datetime.fromisoformat(expires_at) - dt.datetime.now(dt.UTC)).total_seconds()
        return max(1, int((max(remaining, 0.0) + TTL_GRACE) * 1000))

    @staticmethod
    def _decode(values: list[Any]) -> dict[str, object]:
        records: dict[str, object] = {}
        for kind, raw in zip(TOKEN_KINDS, values, strict=True):
            if raw is None:
                continue
            try:
                records[kind] = json.loads(raw)
            except ValueError:
                raise TokenStoreError(f"the stored {kind} token is not JSON; is the prefix shared?") from None
        return records

    def _failed(self, doing: str, error: Exception) -> TokenStoreError:
        # The error's text can hold the host but not the password; keep just its type.
        return TokenStoreError(f"Redis failed while {doing} ({type(error).__name__})")

    # -- sync ----------------------------------------------------------------------------------

    def _sync(self) -> redis.Redis:
        if self._client is None:
            if self._url is None:
                raise ConfigurationError("this RedisTokenStore has no sync client: pass client= or url=")
            self._client = self._redis.Redis.from_url(self._url)
        return self._client

    def _read(self, key: StoreKey) -> Mapping[str, object]:
        names = [self._token_name(key, kind) for kind in TOKEN_KINDS]
        try:
            values = self._sync().mget(names)
        except self._redis.RedisError as error:
            raise self._failed("reading tokens", error) from None
        return self._decode(values)

    def _write(self, changes: Mapping[StoreKey, Changes]) -> None:
        try:
            with self._sync().pipeline(transaction=True) as pipe:
                self._queue(pipe, changes)
                pipe.execute()
        except self._redis.RedisError as error:
            raise self._failed("saving tokens", error) from None

    def _queue(self, pipe: Any, changes: Mapping[StoreKey, Changes]) -> None:
        for key, records in changes.items():
            for kind, record in records.items():
                name = self._token_name(key, kind)
                if record is None:
                    pipe.delete(name)
                else:
                    pipe.set(name, json.dumps(record), px=self._ttl_ms(record))

    @contextlib.contextmanager
    def _lock(self, key: StoreKey, kind: TokenKind) -> Iterator[None]:
        lock = self._sync().lock(
            self._lock_name(key, kind),
            timeout=self._lock_timeout,
            blocking_timeout=self._blocking_timeout,
            thread_local=False,
        )
        try:
            acquired = lock.acquire()
        except self._redis.RedisError as error:
            raise self._failed(f"locking the {kind} token", error) from None
        if not acquired:
            raise self._held_too_long(kind)
        try:
            yield
        finally:
            try:
                lock.release()
            except self._redis.RedisError as error:
                self._release_failed(kind, error)

    def close(self) -> None:
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None

    # -- asyncio -------------------------------------------------------------------------------

    def _async(self) -> redis.asyncio.Redis:
        loop = asyncio.get_running_loop()
        if self._async_client is None or (self._own_async_client and self._async_loop is not loop):
            if self._url is None:
                raise ConfigurationError(
                    "this RedisTokenStore has no async client: pass async_client= or url="
                )
            # A redis.asyncio client belongs to the loop that made it.
            self._async_client = self._redis.asyncio.Redis.from_url(self._url)
            self._async_loop = loop
        return self._async_client

    async def _aread(self, key: StoreKey) -> Mapping[str, object]:
        names = [self._token_name(key, kind) for kind in TOKEN_KINDS]
        try:
            values = await self._async().mget(names)
        except self._redis.RedisError as error:
            raise self._failed("reading tokens", error) from None
        return self._decode(values)

    async def _awrite(self, changes: Mapping[StoreKey, Changes]) -> None:
        try:
            async with self._async().pipeline(transaction=True) as pipe:
                self._queue(pipe, changes)
                await pipe.execute()
        except self._redis.RedisError as error:
            raise self._failed("saving tokens", error) from None

    @contextlib.asynccontextmanager
    async def _alock(self, key: StoreKey, kind: TokenKind) -> AsyncIterator[None]:
        lock = self._async().lock(
            self._lock_name(key, kind),
            timeout=self._lock_timeout,
            blocking_timeout=self._blocking_timeout,
            thread_local=False,
        )
        # Shielded: a caller cancelled while Redis is taking the lock for it must not leave the
        # lock taken until it expires; the attempt runs on and lets go if it succeeded.
        attempt = asyncio.ensure_future(lock.acquire())
        try:
            acquired = await asyncio.shield(attempt)
        except asyncio.CancelledError:
            attempt.add_done_callback(lambda done: self._let_go(done, lock, kind))
            raise
        except self._redis.RedisError as error:
            raise self._failed(f"locking the {kind} token", error) from None
        if not acquired:
            raise self._held_too_long(kind)
        try:
            yield
        finally:
            try:
                await lock.release()
            except self._redis.RedisError as error:
                self._release_failed(kind, error)

    def _let_go(self, attempt: asyncio.Future[bool], lock: Any, kind: TokenKind) -> None:
        if attempt.cancelled() or attempt.exception() is not None or not attempt.result():
            return

        async def release() -> None:
            try:
                await lock.release()
            except self._redis.RedisError as error:
                self._release_failed(kind, error)

        task = asyncio.ensure_future(release())
        _RELEASING.add(task)
        task.add_done_callback(_RELEASING.discard)

    async def aclose(self) -> None:
        if self._own_async_client and self._async_client is not None:
            await self._async_client.aclose()
            self._async_client = None
        self.close()

    # -- lock outcomes ---------------------------------------------------------------------------

    def _held_too_long(self, kind: TokenKind) -> TokenStoreError:
        return TokenStoreError(
            f"the {kind} token's lock was held by another process for more than "
            f"{self._blocking_timeout} s (blocking_timeout)"
        )

    def _release_failed(self, kind: TokenKind, error: Exception) -> None:
        # Never raised: the renewal is done and its tokens must reach the caller. The lock
        # either expired (another process may hold it now: only its owner can release it) or
        # Redis is down (it expires by itself).
        logger.warning(
            "the %s token's renewal lock could not be released (%s): it had expired after %s s, "
            "or Redis is unreachable",
            kind,
            type(error).__name__,
            self._lock_timeout,
        )
