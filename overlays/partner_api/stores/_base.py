"""What every token store does, whatever keeps the tokens: keys, records, and saves that are
retried rather than lost."""

from __future__ import annotations

import abc
import contextlib
import hashlib
import logging
import os
import threading
import weakref
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from partner_api._errors import ConfigurationError, TokenStoreError
from partner_api._tokens import TOKEN_KINDS, TokenKind, Tokens
from partner_api.stores._locks import poll_acquire

logger = logging.getLogger("partner_api")

CLIENT_SESSION: Final = "client"
FLUSH_WAIT: Final = 30.0
# One token of one kind, as a store keeps it: {"token", "expires_at", "lifetime"}.
Record = dict[str, str | float | None]
# What a backend writes: a record per kind, None to delete that kind.
Changes = Mapping[TokenKind, Record | None]


def namespace_for(app_key: str, base_url: str = "") -> str:
    """The namespace of one client identity: a digest, so the app key never appears in a key name.

    The base URL is part of it (trailing slash ignored): staging tokens are never offered to
    production.
    """
    digest = hashlib.sha256(f"{base_url.rstrip('/')}\n{app_key}".encode()).hexdigest()
    return digest[:32]


@dataclass(frozen=True, slots=True)
class StoreKey:
    """Whose tokens: a client identity (``namespace``) and a session within it.

    ``StoreKey.client(ns)`` holds the tokens that belong to the client system; ``StoreKey.user(ns,
    key)`` those of one end user (the key your application uses for that user).
    """

    namespace: str
    session: str

    def __post_init__(self) -> None:
        if not self.namespace or not self.session:
            raise ConfigurationError("a StoreKey needs a non-empty namespace and session")

    @classmethod
    def client(cls, namespace: str) -> StoreKey:
        return cls(namespace, CLIENT_SESSION)

    @classmethod
    def user(cls, namespace: str, user_key: str) -> StoreKey:
        if not user_key:
            raise ConfigurationError("the user key of a session must be a non-empty string")
        return cls(namespace, f"user:{user_key}")

    def digest(self) -> str:
        """A name for this key that hides the user key too (for Redis keys and lock files)."""
        return f"{self.namespace}:{hashlib.sha256(self.session.encode()).hexdigest()[:32]}"


def records_of(tokens: Tokens, kinds: Iterable[TokenKind]) -> dict[TokenKind, Record | None]:
    flat = tokens.to_dict()
    changes: dict[TokenKind, Record | None] = {}
    for kind in kinds:
        if flat[f"{kind}_token"] is None:
            changes[kind] = None
        else:
            changes[kind] = {
                "token": flat[f"{kind}_token"],
                "expires_at": flat[f"{kind}_token_expires_at"],
                "lifetime": flat[f"{kind}_token_lifetime"],
            }
    return changes


def tokens_of(records: Mapping[str, object]) -> Tokens | None:
    """The Tokens kept as per-kind records; None when no kind is stored."""
    flat: dict[str, object] = {}
    for kind in TOKEN_KINDS:
        record = records.get(kind)
        if record is None:
            continue
        if not isinstance(record, Mapping):
            raise TokenStoreError(f"the stored {kind} token is not a record; the store is corrupt")
        flat[f"{kind}_token"] = record.get("token")
        flat[f"{kind}_token_expires_at"] = record.get("expires_at")
        flat[f"{kind}_token_lifetime"] = record.get("lifetime")
    if not flat:
        return None
    try:
        return Tokens.from_dict(flat)
    except ConfigurationError as error:
        raise TokenStoreError(f"the stored tokens cannot be read: {error}") from None


class TokenStore(abc.ABC):
    """Where tokens live between processes, with a lock per token for single-flight renewal.

    One store object serves ``PartnerClient`` and ``AsyncPartnerClient`` alike: each method has
    an async twin (``aload``, ``asave``, ``arenewing``) that never blocks the event loop.
    Backends implement the underscored primitives; this class keeps every save that failed and
    retries it before the store's next operation, so a token the vendor has already rotated is
    never dropped because the store was briefly down.
    """

    def __init__(self) -> None:
        self._unsaved: dict[StoreKey, dict[TokenKind, Record | None]] = {}
        self._unsaved_lock = threading.Lock()
        # One flush at a time, threads and tasks alike: two concurrent writes of one kind could
        # otherwise land in the wrong order and leave the older token stored.
        self._flushing = threading.Lock()
        _STORES.add(self)

    def _after_fork_base(self) -> None:
        # A lock held by a thread of the parent at fork time would never be released here;
        # unsaved tokens stay: the child got them as the parent held them.
        self._unsaved_lock = threading.Lock()
        self._flushing = threading.Lock()

    # -- the public operations ------------------------------------------------------------

    def load(self, key: StoreKey) -> Tokens | None:
        """The tokens stored for ``key`` (None if none), read afresh from the backend."""
        self._flush()
        return tokens_of(self._read(key))

    def save(self, key: StoreKey, tokens: Tokens, kinds: Iterable[TokenKind] = TOKEN_KINDS) -> None:
        """Store ``kinds`` of ``tokens`` for ``key`` (a kind whose token is None is removed);
        other kinds stay as stored. Raises ``TokenStoreError`` if the backend fails: the tokens
        are then kept and written before the store's next operation."""
        self._remember(key, records_of(tokens, kinds))
        self._flush()

    @contextlib.contextmanager
    def renewing(self, key: StoreKey, kind: TokenKind) -> Iterator[None]:
        """Hold the lock of ``key``'s ``kind`` token, across every process sharing the store."""
        self._flush()
        with self._lock(key, kind):
            yield

    async def aload(self, key: StoreKey) -> Tokens | None:
        await self._aflush()
        return tokens_of(await self._aread(key))

    async def asave(self, key: StoreKey, tokens: Tokens, kinds: Iterable[TokenKind] = TOKEN_KINDS) -> None:
        self._remember(key, records_of(tokens, kinds))
        await self._aflush()

    @contextlib.asynccontextmanager
    async def arenewing(self, key: StoreKey, kind: TokenKind) -> AsyncIterator[None]:
        await self._aflush()
        async with self._alock(key, kind):
            yield

    def close(self) -> None:  # noqa: B027 (most stores hold nothing open: closing is optional)
        """Release what the store holds open (connections); the tokens stay stored."""

    async def aclose(self) -> None:
        self.close()

    @property
    def has_unsaved(self) -> bool:
        """Whether some tokens could not be written yet (they are retried on the next operation)."""
        return bool(self._unsaved)

    # -- what a backend implements --------------------------------------------------------

    @abc.abstractmethod
    def _read(self, key: StoreKey) -> Mapping[str, object]:
        """The records stored for ``key``, by kind."""

    @abc.abstractmethod
    def _write(self, changes: Mapping[StoreKey, Changes]) -> None:
        """Apply every change at once, or raise ``TokenStoreError``."""

    @abc.abstractmethod
    def _lock(self, key: StoreKey, kind: TokenKind) -> contextlib.AbstractContextManager[None]:
        """The cross-process lock of one token; ``TokenStoreError`` when it cannot be had."""

    @abc.abstractmethod
    async def _aread(self, key: StoreKey) -> Mapping[str, object]: ...

    @abc.abstractmethod
    async def _awrite(self, changes: Mapping[StoreKey, Changes]) -> None: ...

    @abc.abstractmethod
    def _alock(self, key: StoreKey, kind: TokenKind) -> contextlib.AbstractAsyncContextManager[None]: ...

    # -- saves that are retried, never lost -------------------------------------------------

    def _remember(self, key: StoreKey, changes: Mapping[TokenKind, Record | None]) -> None:
        with self._unsaved_lock:
            self._unsaved.setdefault(key, {}).update(changes)

    def _take_unsaved(self) -> dict[StoreKey, dict[TokenKind, Record | None]]:
        with self._unsaved_lock:
            pending, self._unsaved = self._unsaved, {}
        return pending

    def _restore_unsaved(self, pending: dict[StoreKey, dict[TokenKind, Record | None]]) -> None:
        # Changes remembered meanwhile are newer: they win over the ones being put back.
        with self._unsaved_lock:
            for key, changes in pending.items():
                self._unsaved[key] = {**changes, **self._unsaved.get(key, {})}

    def _flush(self) -> None:
        if not self._unsaved:
            return
        # Bounded: a sync save on an event loop's thread while a task of that loop is saving
        # would otherwise wait for ever. The tokens stay remembered for the next operation.
        if not self._flushing.acquire(timeout=FLUSH_WAIT):
            raise TokenStoreError(f"another save to the token store took more than {FLUSH_WAIT} s")
        try:
            pending = self._take_unsaved()
            if not pending:
                return
            try:
                self._write(pending)
            except BaseException:
                self._restore_unsaved(pending)
                raise
        finally:
            self._flushing.release()

    async def _aflush(self) -> None:
        if not self._unsaved:
            return
        await poll_acquire(lambda: self._flushing.acquire(blocking=False), None, "the store's save")
        try:
            pending = self._take_unsaved()
            if not pending:
                return
            try:
                await self._awrite(pending)
            except BaseException:
                self._restore_unsaved(pending)
                raise
        finally:
            self._flushing.release()


_STORES: weakref.WeakSet[TokenStore] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for store in list(_STORES):
        store._after_fork_base()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
