"""Who owns which token: the client identity's book, each session's book, and the view of both.

A token whose scope (the spec's ``x-partner-token-scopes``) is ``client`` lives in the book of
the client identity, shared by every session; a ``user`` token lives in the book of one
session. A ``Keyring`` is what one client object sees: the two books composed into one
``Held`` generation, so a request still takes all its tokens from one snapshot.

    per process          Runtime (pool, configuration, catalog)       _client.py
    per client identity  TokenBook(kinds with scope "client")  ─┐
    per session          TokenBook(kinds with scope "user")    ─┴─ Keyring (one per client object)
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from partner_api._errors import TokenStoreError
from partner_api._tokens import TOKEN_KINDS, Held, TokenKind, Tokens

if TYPE_CHECKING:
    from partner_api._renewal import AsyncRenewer, SyncRenewer
    from partner_api.stores import StoreKey, TokenStore

logger = logging.getLogger("partner_api")

TokensCallback = Callable[[Tokens], object]
CLIENT: Final = "client"
USER: Final = "user"


class TokenBook:
    """The current generation of the tokens one owner holds (``kinds``), and its renewer."""

    __slots__ = (
        "__weakref__",
        "_write",
        "early_renewal_not_before",
        "held",
        "key",
        "kinds",
        "loaded",
        "renewer",
        "store_key",
    )

    def __init__(
        self, held: Held, kinds: frozenset[TokenKind], key: str | None, store_key: StoreKey | None = None
    ) -> None:
        self.held = held
        self.kinds = kinds
        self.key = key
        """The session key (None for the client identity and the root client's own session)."""
        self.store_key = store_key
        self.loaded = store_key is None
        """Whether the store was read (at the first call: another process may hold newer tokens)."""
        self.early_renewal_not_before = 0.0
        self.renewer: SyncRenewer | AsyncRenewer | None = None
        self._write = threading.Lock()
        _BOOKS.add(self)

    def adopt(self, other: Held, kinds: frozenset[TokenKind]) -> None:
        """Take ``kinds`` (those this book owns) from ``other``; the rest stays as it is by now."""
        mine = kinds & self.kinds
        if mine:
            with self._write:  # read-modify-write: two threads storing must not lose one write
                self.held = self.held.adopted(other, mine)

    def absorb(self, stored: Tokens | None) -> None:
        """Take from the store the tokens that are newer than ours: another process renewed.

        A stored token is taken when ours is unusable (missing, expired, refused), or when it
        expires later than ours: the store may lag behind this process by a save in flight,
        and an older token must never replace a newer one.
        """
        if stored is None:
            return
        incoming = Held.from_tokens(stored)
        held = self.held
        kinds = frozenset(
            kind for kind in self.kinds if stored.token(kind) is not None and _newer(incoming, held, kind)
        )
        self.adopt(incoming, kinds)

    def __repr__(self) -> str:
        return f"TokenBook(kinds={sorted(self.kinds)}, held={self.held.tokens!r})"


def _newer(incoming: Held, held: Held, kind: TokenKind) -> bool:
    if incoming.token(kind) == held.token(kind) or not incoming.usable(kind):
        return False
    if not held.usable(kind):
        return True
    theirs, ours = incoming.deadlines.get(kind), held.deadlines.get(kind)
    return theirs is not None and ours is not None and theirs > ours


def split_kinds(scopes: Mapping[TokenKind, str]) -> tuple[frozenset[TokenKind], frozenset[TokenKind]]:
    """The kinds owned by the client identity, and those owned by each session."""
    client = frozenset(kind for kind in TOKEN_KINDS if scopes.get(kind) == CLIENT)
    return client, frozenset(TOKEN_KINDS) - client


class Keyring:
    """One client object's view: the identity's book and its session's book, as one generation."""

    __slots__ = ("_cache", "backend", "client", "notify", "session")

    def __init__(
        self, client: TokenBook, session: TokenBook, notify: Notifier, backend: TokenStore | None = None
    ) -> None:
        self.client = client
        self.session = session
        self.notify = notify
        self.backend = backend
        self._cache: tuple[Held, Held, Held] | None = None

    @property
    def loaded(self) -> bool:
        return self.client.loaded and self.session.loaded

    def load(self) -> None:
        """Read both books from the token store, once (``TokenStoreError`` if it cannot be read)."""
        for book in (self.client, self.session):
            if not book.loaded and self.backend is not None and book.store_key is not None:
                book.absorb(self.backend.load(book.store_key))
                book.loaded = True

    async def aload(self) -> None:
        for book in (self.client, self.session):
            if not book.loaded and self.backend is not None and book.store_key is not None:
                book.absorb(await self.backend.aload(book.store_key))
                book.loaded = True

    def reload(self) -> None:
        """Read both books from the store again, taking the tokens that differ and are usable."""
        for book in (self.client, self.session):
            if self.backend is not None and book.store_key is not None:
                book.absorb(self.backend.load(book.store_key))
                book.loaded = True

    async def areload(self) -> None:
        for book in (self.client, self.session):
            if self.backend is not None and book.store_key is not None:
                book.absorb(await self.backend.aload(book.store_key))
                book.loaded = True

    def save(self, kinds: frozenset[TokenKind]) -> None:
        """Write ``kinds`` to the token store, each under its owner's key; a store that fails keeps
        them to write on its next operation (the tokens stay held here all the same)."""
        for book, mine in self._owners(kinds):
            try:
                self.backend.save(book.store_key, book.held.tokens, mine)  # type: ignore[union-attr,arg-type]
            except TokenStoreError as error:
                _unsaved(mine, error)

    async def asave(self, kinds: frozenset[TokenKind]) -> None:
        for book, mine in self._owners(kinds):
            try:
                await self.backend.asave(book.store_key, book.held.tokens, mine)  # type: ignore[union-attr,arg-type]
            except TokenStoreError as error:
                _unsaved(mine, error)

    def _owners(self, kinds: frozenset[TokenKind]) -> list[tuple[TokenBook, frozenset[TokenKind]]]:
        if self.backend is None:
            return []
        return [
            (book, kinds & book.kinds)
            for book in (self.client, self.session)
            if kinds & book.kinds and book.store_key is not None
        ]

    def book_of(self, kind: TokenKind) -> TokenBook:
        return self.client if kind in self.client.kinds else self.session

    @property
    def held(self) -> Held:
        """The tokens to use now, every kind from its owner's current generation."""
        client, session = self.client.held, self.session.held
        cache = self._cache
        if cache is not None and cache[0] is client and cache[1] is session:
            return cache[2]
        combined = _compose(client, session, self.session.kinds)
        self._cache = (client, session, combined)
        return combined

    def store(self, held: Held, kinds: frozenset[TokenKind]) -> Held:
        """Adopt ``kinds`` from ``held`` into the books that own them; the new combined view."""
        self.client.adopt(held, kinds)
        self.session.adopt(held, kinds)
        return self.held


# Every field of Tokens, by the kind it belongs to (access_token, access_token_expires_at, ...).
_FIELDS: Final = {
    kind: tuple(f.name for f in dataclasses.fields(Tokens) if f.name.startswith(f"{kind}_token"))
    for kind in TOKEN_KINDS
}


def _compose(client: Held, session: Held, session_kinds: frozenset[TokenKind]) -> Held:
    """One generation from two: no new check of values both sides checked when they were made
    (and no datetime arithmetic, so a request never waits on, or fails over, the wall clock)."""
    tokens = object.__new__(Tokens)
    for kind in TOKEN_KINDS:
        source = session.tokens if kind in session_kinds else client.tokens
        for name in _FIELDS[kind]:
            object.__setattr__(tokens, name, getattr(source, name))
    deadlines: dict[str, float | None] = {
        k: (session if k in session_kinds else client).deadlines.get(k) for k in TOKEN_KINDS
    }
    lifetimes: dict[str, float | None] = {
        k: (session if k in session_kinds else client).lifetimes.get(k) for k in TOKEN_KINDS
    }
    return Held(tokens, deadlines, lifetimes)


def _unsaved(kinds: frozenset[TokenKind], error: TokenStoreError) -> None:
    logger.warning(
        "the new %s token(s) could not be saved to the token store (%s); they are used from memory "
        "and saved on the store's next operation",
        "/".join(sorted(kinds)),
        error,
    )


class Notifier:
    """Calls ``on_tokens_changed``; one per client identity, shared by its sessions."""

    __slots__ = ("__weakref__", "async_lock", "async_loop", "callback", "lock")

    def __init__(self, callback: TokensCallback | None) -> None:
        self.callback = callback
        # Reentrant: a callback may (against the advice) renew through another client.
        self.lock = threading.RLock()
        self.async_lock: Any = None
        self.async_loop: Any = None
        _NOTIFIERS.add(self)


_BOOKS: weakref.WeakSet[TokenBook] = weakref.WeakSet()
_NOTIFIERS: weakref.WeakSet[Notifier] = weakref.WeakSet()


def _reset_after_fork() -> None:
    # Locks another thread of the parent held at fork time stay held forever in the child.
    for book in list(_BOOKS):
        book._write = threading.Lock()
    for notifier in list(_NOTIFIERS):
        notifier.lock = threading.RLock()
        notifier.async_lock = notifier.async_loop = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
