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

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from partner_api._tokens import TOKEN_KINDS, Held, TokenKind, Tokens

if TYPE_CHECKING:
    from partner_api._renewal import AsyncRenewer, SyncRenewer

TokensCallback = Callable[[Tokens], object]
CLIENT: Final = "client"
USER: Final = "user"


class TokenBook:
    """The current generation of the tokens one owner holds (``kinds``), and its renewer."""

    __slots__ = ("_write", "early_renewal_not_before", "held", "key", "kinds", "renewer", "store_key")

    def __init__(self, held: Held, kinds: frozenset[TokenKind], key: str | None) -> None:
        self.held = held
        self.kinds = kinds
        self.key = key
        """The session key (None for the client identity and the root client's own session)."""
        self.store_key: Any = None
        self.early_renewal_not_before = 0.0
        self.renewer: SyncRenewer | AsyncRenewer | None = None
        self._write = threading.Lock()

    def adopt(self, other: Held, kinds: frozenset[TokenKind]) -> None:
        """Take ``kinds`` (those this book owns) from ``other``; the rest stays as it is by now."""
        mine = kinds & self.kinds
        if mine:
            with self._write:  # read-modify-write: two threads storing must not lose one write
                self.held = self.held.adopted(other, mine)

    def __repr__(self) -> str:
        return f"TokenBook(kinds={sorted(self.kinds)}, held={self.held.tokens!r})"


def split_kinds(scopes: Mapping[TokenKind, str]) -> tuple[frozenset[TokenKind], frozenset[TokenKind]]:
    """The kinds owned by the client identity, and those owned by each session."""
    client = frozenset(kind for kind in TOKEN_KINDS if scopes.get(kind) == CLIENT)
    return client, frozenset(TOKEN_KINDS) - client


class Keyring:
    """One client object's view: the identity's book and its session's book, as one generation."""

    __slots__ = ("_cache", "client", "notify", "session")

    def __init__(self, client: TokenBook, session: TokenBook, notify: Notifier) -> None:
        self.client = client
        self.session = session
        self.notify = notify
        self._cache: tuple[Held, Held, Held] | None = None

    def book_of(self, kind: TokenKind) -> TokenBook:
        return self.client if kind in self.client.kinds else self.session

    @property
    def held(self) -> Held:
        """The tokens to use now, every kind from its owner's current generation."""
        client, session = self.client.held, self.session.held
        cache = self._cache
        if cache is not None and cache[0] is client and cache[1] is session:
            return cache[2]
        combined = client.adopted(session, self.session.kinds)
        self._cache = (client, session, combined)
        return combined

    def store(self, held: Held, kinds: frozenset[TokenKind]) -> Held:
        """Adopt ``kinds`` from ``held`` into the books that own them; the new combined view."""
        self.client.adopt(held, kinds)
        self.session.adopt(held, kinds)
        return self.held


class Notifier:
    """Calls ``on_tokens_changed``; one per client identity, shared by its sessions."""

    __slots__ = ("async_lock", "async_loop", "callback", "lock")

    def __init__(self, callback: TokensCallback | None) -> None:
        self.callback = callback
        # Reentrant: a callback may (against the advice) renew through another client.
        self.lock = threading.RLock()
        self.async_lock: Any = None
        self.async_loop: Any = None
