"""Tokens in one JSON file, shared by the processes of one host under file locks (``filelock``)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import filelock

from partner_api._errors import ConfigurationError, TokenStoreError
from partner_api._tokens import TokenKind
from partner_api.stores._base import Changes, StoreKey, TokenStore
from partner_api.stores._locks import poll_acquire

FORMAT: Final = 1
# Long enough for a renewal with its retries; the OS frees a dead process's lock at once.
DEFAULT_LOCK_TIMEOUT: Final = 60.0


class FileTokenStore(TokenStore):
    """Tokens in a JSON file (mode 0600) for the processes of one host.

    Every read loads the file afresh; every write takes a short lock on ``<path>.lock``,
    re-reads, changes only the records it was given and replaces the file atomically (a
    temporary file, fsync, rename), so a reader never sees half a file. Each token's renewal
    lock is its own file in ``<path>.locks/``, held with ``filelock`` (``flock``: the OS releases
    it if the process dies). ``lock_timeout`` bounds every wait for a lock (default 60 s), then
    ``TokenStoreError``. Put the file on a local disk: network file systems may not honour the
    locks.
    """

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        super().__init__()
        self._path = Path(path)
        if not self._path.parent.is_dir():
            raise ConfigurationError(f"FileTokenStore: the folder {self._path.parent} does not exist")
        if lock_timeout <= 0:
            raise ConfigurationError("FileTokenStore: lock_timeout must be a positive number of seconds")
        self._lock_timeout = lock_timeout
        self._data_lock_path = self._path.with_name(self._path.name + ".lock")
        self._lock_dir = self._path.with_name(self._path.name + ".locks")

    @property
    def path(self) -> Path:
        return self._path

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self._path)!r})"

    # -- reading and writing the file ---------------------------------------------------------

    def _load_file(self) -> dict[str, Any]:
        try:
            text = self._path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise TokenStoreError(f"cannot read the token file {self._path}: {error.strerror}") from None
        try:
            document = json.loads(text)
        except ValueError:
            raise TokenStoreError(
                f"the token file {self._path} is not JSON; was it written by this store?"
            ) from None
        sessions = document.get("sessions") if isinstance(document, dict) else None
        if not isinstance(sessions, dict):
            raise TokenStoreError(f"the token file {self._path} is not a token store file")
        return sessions

    def _read(self, key: StoreKey) -> Mapping[str, object]:
        records = self._load_file().get(key.digest(), {})
        return records if isinstance(records, dict) else {}

    def _write(self, changes: Mapping[StoreKey, Changes]) -> None:
        try:
            with filelock.FileLock(self._data_lock_path, timeout=self._lock_timeout, mode=0o600):
                sessions = self._load_file()
                for key, records in changes.items():
                    stored = sessions.get(key.digest())
                    if not isinstance(stored, dict):  # absent, or damaged: what we write replaces it
                        stored = sessions[key.digest()] = {}
                    for kind, record in records.items():
                        if record is None:
                            stored.pop(kind, None)
                        else:
                            stored[kind] = dict(record)
                    if not stored:
                        del sessions[key.digest()]
                self._replace({"format": FORMAT, "sessions": sessions})
        except filelock.Timeout:
            raise TokenStoreError(
                f"the token file's lock {self._data_lock_path} was held for more than {self._lock_timeout} s"
            ) from None
        except OSError as error:
            raise TokenStoreError(f"cannot write the token file {self._path}: {error.strerror}") from None

    def _replace(self, document: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(prefix=self._path.name + ".", suffix=".tmp", dir=self._path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(document, out, separators=(",", ":"))
                out.flush()
                os.fsync(out.fileno())
            Path(tmp).replace(self._path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- the per-token locks ------------------------------------------------------------------

    def _token_lock(self, key: StoreKey, kind: TokenKind) -> filelock.FileLock:
        try:
            self._lock_dir.mkdir(mode=0o700, exist_ok=True)
        except OSError as error:
            raise TokenStoreError(
                f"cannot create the lock folder {self._lock_dir}: {error.strerror}"
            ) from None
        name = hashlib.sha256(f"{key.digest()}:{kind}".encode()).hexdigest()[:32]
        return filelock.FileLock(self._lock_dir / f"{name}.lock", timeout=self._lock_timeout, mode=0o600)

    @contextlib.contextmanager
    def _lock(self, key: StoreKey, kind: TokenKind) -> Iterator[None]:
        lock = self._token_lock(key, kind)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise TokenStoreError(
                f"the {kind} token's lock was held by another process for more than {self._lock_timeout} s"
            ) from None
        try:
            yield
        finally:
            lock.release()

    # -- asyncio: file I/O in a thread, locks polled without blocking ---------------------------

    async def _aread(self, key: StoreKey) -> Mapping[str, object]:
        return await asyncio.to_thread(self._read, key)

    async def _awrite(self, changes: Mapping[StoreKey, Changes]) -> None:
        # Shielded: once the write has started in its thread, cancelling the caller must not
        # leave it half-reported (the thread finishes either way).
        await asyncio.shield(asyncio.to_thread(self._write, changes))

    @contextlib.asynccontextmanager
    async def _alock(self, key: StoreKey, kind: TokenKind) -> AsyncIterator[None]:
        lock = await asyncio.to_thread(self._token_lock, key, kind)

        def try_acquire() -> bool:
            try:
                lock.acquire(blocking=False)
            except filelock.Timeout:
                return False
            return True

        await poll_acquire(try_acquire, self._lock_timeout, f"the {kind} token's lock")
        try:
            yield
        finally:
            lock.release()
