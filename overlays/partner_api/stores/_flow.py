"""Renewing a token once across processes: one sans-IO plan, a sync and an async driver.

The plan runs while the store's lock of that token is held: it re-reads the stored tokens,
adopts them if another process has already renewed, and otherwise asks for a renewal from the
freshest tokens and saves what changed before the lock is released.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Collection, Generator
from dataclasses import dataclass
from typing import Any

from partner_api._errors import TokenStoreError
from partner_api._tokens import TOKEN_KINDS, TokenKind, Tokens
from partner_api.stores._base import StoreKey, TokenStore

logger = logging.getLogger("partner_api")


@dataclass(frozen=True, slots=True)
class Load:
    """Read the stored tokens (reply: ``Tokens | None``)."""


@dataclass(frozen=True, slots=True)
class Renew:
    """Renew from ``current``, the freshest tokens known (reply: the new ``Tokens``)."""

    current: Tokens | None


@dataclass(frozen=True, slots=True)
class Save:
    """Store ``kinds`` of ``tokens`` (reply: None)."""

    tokens: Tokens
    kinds: frozenset[TokenKind]


Step = Load | Renew | Save
RenewPlan = Generator[Step, Any, Tokens]


def fresh(tokens: Tokens | None, kind: TokenKind, used_token: str | None, margin: float) -> bool:
    """Someone else renewed: the stored token differs from the one the caller had and is not
    known to expire within ``margin`` seconds (wall clock: processes share no other clock)."""
    if tokens is None:
        return False
    token = tokens.token(kind)
    if token is None or token == used_token:
        return False
    expires_at = tokens.expires_at(kind)
    return expires_at is None or (expires_at - dt.datetime.now(dt.UTC)).total_seconds() > margin


def _same(a: Tokens | None, b: Tokens, kind: TokenKind) -> bool:
    if a is None:
        return b.token(kind) is None
    return (a.token(kind), a.expires_at(kind), a.lifetime(kind)) == (
        b.token(kind),
        b.expires_at(kind),
        b.lifetime(kind),
    )


def renew_plan(
    kind: TokenKind, used_token: str | None, *, margin: float, kinds: Collection[TokenKind]
) -> RenewPlan:
    stored: Tokens | None = yield Load()
    if stored is not None and fresh(stored, kind, used_token, margin):
        return stored
    renewed: Tokens = yield Renew(stored)
    changed = frozenset(k for k in kinds if not _same(stored, renewed, k))
    if changed:
        yield Save(renewed, changed)
    return renewed


def renew_once(
    store: TokenStore,
    key: StoreKey,
    kind: TokenKind,
    used_token: str | None,
    renew: Callable[[Tokens | None], Tokens],
    *,
    margin: float = 0.0,
    kinds: Collection[TokenKind] = TOKEN_KINDS,
) -> Tokens:
    """The ``kind`` token of ``key`` renewed once across every process sharing ``store``.

    ``used_token`` is the token the caller found unusable (expired, or refused with a 401).
    Under the store's lock: if the stored token differs from it and is valid for more than
    ``margin`` seconds, it is returned and nothing is renewed; otherwise ``renew(stored)`` is
    called with the stored tokens (renew from those: another process may have rotated the
    refresh token) and the ``kinds`` that changed are saved before the lock is released.
    ``kinds`` are the kinds that belong to ``key`` (its scope). If saving fails, the new tokens
    are returned all the same (the vendor has issued them) and the store retries the save.
    """
    with store.renewing(key, kind):
        plan = renew_plan(kind, used_token, margin=margin, kinds=kinds)
        reply: object = None
        while True:
            try:
                step = plan.send(reply)
            except StopIteration as done:
                result: Tokens = done.value
                return result
            if isinstance(step, Load):
                reply = store.load(key)
            elif isinstance(step, Renew):
                reply = renew(step.current)
            else:
                reply = None
                try:
                    store.save(key, step.tokens, step.kinds)
                except TokenStoreError as error:
                    _unsaved(kind, error)


async def arenew_once(
    store: TokenStore,
    key: StoreKey,
    kind: TokenKind,
    used_token: str | None,
    renew: Callable[[Tokens | None], Awaitable[Tokens]],
    *,
    margin: float = 0.0,
    kinds: Collection[TokenKind] = TOKEN_KINDS,
) -> Tokens:
    """``renew_once`` for asyncio: the same plan, awaited."""
    async with store.arenewing(key, kind):
        plan = renew_plan(kind, used_token, margin=margin, kinds=kinds)
        reply: object = None
        while True:
            try:
                step = plan.send(reply)
            except StopIteration as done:
                result: Tokens = done.value
                return result
            if isinstance(step, Load):
                reply = await store.aload(key)
            elif isinstance(step, Renew):
                reply = await renew(step.current)
            else:
                reply = None
                try:
                    await store.asave(key, step.tokens, step.kinds)
                except TokenStoreError as error:
                    _unsaved(kind, error)


def _unsaved(kind: TokenKind, error: TokenStoreError) -> None:
    logger.warning(
        "the renewed %s token could not be saved to the token store (%s); it is used from memory "
        "and saved on the store's next operation",
        kind,
        error,
    )
