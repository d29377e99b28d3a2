"""The default store: tokens in this process's memory, as the client has always kept them."""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping

from partner_api._errors import TokenStoreError
from partner_api._tokens import TokenKind
from partner_api.stores._base import Changes, Record, StoreKey, TokenStore
from partner_api.stores._locks import poll_acquire


class MemoryTokenStore(TokenStore):
    """Tokens kept in this process only; its locks serialize threads and tasks of this process.

    ``lock_timeout`` bounds how long a renewal waits for another one (None: as long as it takes).
    """

    def __init__(self, *, lock_timeout: float | None = None) -> None:
        super().__init__()
        self._records: dict[StoreKey, dict[TokenKind, Record]] = {}
        self._locks: dict[tuple[StoreKey, TokenKind], threading.Lock] = {}
        self._guard = threading.Lock()
        self._lock_timeout = lock_timeout
        _STORES.add(self)

    def _after_fork(self) -> None:
        # A lock held by a thread of the parent at fork time would never be released here.
        self._guard = threading.Lock()
        self._locks = {}

    def _read(self, key: StoreKey) -> Mapping[str, object]:
        with self._guard:
            return {kind: dict(record) for kind, record in self._records.get(key, {}).items()}

    def _write(self, changes: Mapping[StoreKey, Changes]) -> None:
        with self._guard:
            for key, records in changes.items():
                stored = self._records.setdefault(key, {})
                for kind, record in records.items():
                    if record is None:
                        stored.pop(kind, None)
                    else:
                        stored[kind] = dict(record)

    def _token_lock(self, key: StoreKey, kind: TokenKind) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault((key, kind), threading.Lock())

    @contextlib.contextmanager
    def _lock(self, key: StoreKey, kind: TokenKind) -> Iterator[None]:
        lock = self._token_lock(key, kind)
        timeout = -1.0 if self._lock_timeout is None else self._lock_timeout
        if not lock.acquire(timeout=timeout):
            raise TokenStoreError(f"the {kind} token's lock was held for more than {self._lock_timeout} s")
        try:
            yield
        finally:
            lock.release()

    async def _aread(self, key: StoreKey) -> Mapping[str, object]:
        return self._read(key)

    async def _awrite(self, changes: Mapping[StoreKey, Changes]) -> None:
        self._write(changes)

    @contextlib.asynccontextmanager
    async def _alock(self, key: StoreKey, kind: TokenKind) -> AsyncIterator[None]:
        # A threading lock, polled: one store serves threads and event loops alike.
        lock = self._token_lock(key, kind)
        await poll_acquire(
            lambda: lock.acquire(blocking=False), self._lock_timeout, f"the {kind} token's lock"
        )
        try:
            yield
        finally:
            lock.release()


_STORES: weakref.WeakSet[MemoryTokenStore] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for store in list(_STORES):
        store._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
