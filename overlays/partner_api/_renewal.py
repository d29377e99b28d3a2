"""Renewing tokens: what to send (sans-IO plans) and one renewal at a time (sync and async).

A plan is a generator that yields ``Send`` (a request to make) and ``Publish`` (a new token
generation to announce and adopt) and returns the tokens to use. The sync and async drivers
below do the I/O; the plan is the same for both, so the two clients cannot drift apart.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from partner_api._errors import (
    APIConnectionError,
    APIStatusError,
    InvalidHeaderValue,
    MissingTokenError,
    PartnerAPIError,
    ReauthenticationRequired,
)
from partner_api._headers import check_header_value
from partner_api._operations import Catalog, EncodedBody, Operation
from partner_api._status import status_error
from partner_api._tokens import TOKEN_KINDS, Held, TokenKind, Tokens, resolve_pointer

logger = logging.getLogger("partner_api")

# Renew this long before expiry, or a tenth of the lifetime if that is shorter: early enough
# that a request in flight does not meet an expired token, late enough not to renew in storms.
RENEWAL_MARGIN: Final = 30.0
# After an early renewal failed, the still-valid token is used this long before trying again.
EARLY_RENEWAL_BACKOFF: Final = 5.0


@dataclass(frozen=True, slots=True)
class Send:
    operation: Operation
    bearer: str | None = field(repr=False)
    body: EncodedBody | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Publish:
    """Adopt these kinds of token from ``held``; the others stay as they are by then."""

    held: Held
    kinds: frozenset[TokenKind]


# What a plan receives back: the response to a Send, None after a Publish.
Plan = Generator[Send | Publish, Any, Held]
TokensCallback = Callable[[Tokens], object]


class TokenBook:
    """The current token generation, shared by a client and all clients derived from it."""

    def __init__(self, tokens: Tokens, on_change: TokensCallback | None) -> None:
        self.held = Held.from_tokens(tokens)
        self.on_change = on_change
        self.early_renewal_not_before = 0.0


def margin(held: Held, kind: TokenKind) -> float:
    lifetime = held.lifetimes.get(kind)
    return RENEWAL_MARGIN if lifetime is None else min(RENEWAL_MARGIN, lifetime / 10)


class Renewal:
    """The plans: how each token is made usable again, decided from the operation catalog."""

    def __init__(self, catalog: Catalog, book: TokenBook, private_key: str | None, language: str) -> None:
        self._catalog = catalog
        self._book = book
        self._private_key = private_key
        self._language = language

    def obtain(self, kind: TokenKind, used: Held, *, rejected: bool = False) -> Plan:
        """Make ``kind`` usable, unless another caller already replaced the token ``used`` had."""
        current = self._book.held
        if current.token(kind) != used.token(kind) and current.usable(kind):
            return current
        if rejected:
            # Not announced: a 401 may be about something else (an x-user-token, say), and
            # the token stays until a new one replaces it.
            current = current.replaced(kind, None, None, 0.0)
        return (yield from self._obtain(kind, current, depth=0))

    def capture(self, operation: Operation, response: httpx.Response, held: Held, sent_at: float) -> Plan:
        """Adopt the tokens a successful response of ``operation`` carries."""
        try:
            body = response.json()
        except ValueError:
            logger.warning(
                "%s answered %d without a JSON body; no token taken",
                operation.operation_id,
                response.status_code,
            )
            return held
        changed = held
        kinds: set[TokenKind] = set()
        for issued in operation.issues:
            token = resolve_pointer(body, issued.field)
            if not isinstance(token, str):
                logger.warning(
                    "%s answered without the %s token at %s",
                    operation.operation_id,
                    issued.kind,
                    issued.field,
                )
                continue
            try:
                check_header_value(token, f"the {issued.kind} token")
            except InvalidHeaderValue:
                logger.warning(
                    "%s issued a %s token that cannot be sent in a header; it is ignored",
                    operation.operation_id,
                    issued.kind,
                )
                continue
            kinds.add(issued.kind)
            lifetime = resolve_pointer(body, issued.expires_in) if issued.expires_in else None
            seconds = (
                float(lifetime)
                if isinstance(lifetime, int | float) and not isinstance(lifetime, bool)
                else None
            )
            changed = changed.replaced(issued.kind, token, seconds, sent_at)
        if kinds:
            yield Publish(changed, frozenset(kinds))
        return changed

    def _obtain(self, kind: TokenKind, held: Held, depth: int) -> Plan:
        if depth > len(TOKEN_KINDS):  # pragma: no cover (the catalog would have to be circular)
            raise self._cannot_obtain(kind, held)
        operation = self._catalog.renewal_of.get(kind)
        if operation is not None and operation.bearer is not None:
            bearer = operation.bearer
            for attempt in range(2):
                if not held.usable(bearer):
                    if not self._renewable(bearer, held) and self._first_tokens_issue(kind):
                        return (yield from self._first_tokens(held))
                    held = yield from self._obtain(bearer, held, depth + 1)
                    if held.usable(kind):
                        return held
                sent_at = time.monotonic()
                response: httpx.Response = yield Send(operation, held.token(bearer), operation.request_body())
                if response.is_success:
                    return (yield from self.capture(operation, response, held, sent_at))
                if response.status_code != 401 or attempt == 1:
                    raise status_error(response, self._language)
                # The renewal operation checks nothing but its bearer token, so that token is
                # dead: mark it expired for good, and renew it first in the next round.
                held = held.refused(bearer)
                yield Publish(held, frozenset({bearer}))
        if self._first_tokens_issue(kind):
            return (yield from self._first_tokens(held))
        raise self._cannot_obtain(kind, held)

    def _renewable(self, kind: TokenKind, held: Held, depth: int = 0) -> bool:
        operation = self._catalog.renewal_of.get(kind)
        if operation is None or operation.bearer is None or depth > len(TOKEN_KINDS):
            return False
        return held.usable(operation.bearer) or self._renewable(operation.bearer, held, depth + 1)

    def _first_tokens_issue(self, kind: TokenKind) -> bool:
        first = self._catalog.first_tokens
        return bool(self._private_key and first and any(issued.kind == kind for issued in first.issues))

    def _first_tokens(self, held: Held) -> Plan:
        first = self._catalog.first_tokens
        if first is None or first.private_key_field is None or self._private_key is None:
            raise self._cannot_obtain("access", held)  # pragma: no cover (guarded by the caller)
        body = first.request_body(private_key=self._private_key)
        sent_at = time.monotonic()
        response: httpx.Response = yield Send(first, None, body)
        if not response.is_success:
            raise status_error(response, self._language)
        return (yield from self.capture(first, response, held, sent_at))

    def _cannot_obtain(self, kind: TokenKind, held: Held) -> MissingTokenError:
        issuers = [
            op.operation_id for op in self._catalog.operations if any(i.kind == kind for i in op.issues)
        ]
        how = " or ".join(issuers) or "an operation that issues it"
        if kind == "user":
            state = "was refused or has expired" if held.tokens.user_token else "is missing"
            return ReauthenticationRequired(
                f"the user token {state}: authenticate the user again ({how})", kind=kind, operation=how
            )
        return MissingTokenError(
            f"no usable {kind} token and no way to renew it: pass tokens=, call {how}, "
            "or give the client its private_key",
            kind=kind,
            operation=how,
        )


Sender = Callable[[Send], httpx.Response]
AsyncSender = Callable[[Send], Awaitable[httpx.Response]]


def run(plan: Plan, send: Sender, book: TokenBook) -> Held:
    reply: httpx.Response | None = None
    try:
        while True:
            step = plan.send(reply)
            reply = None
            if isinstance(step, Send):
                reply = send(step)
            else:
                merged = book.held.adopted(step.held, step.kinds)
                _announce(book, merged)
                book.held = merged
    except StopIteration as done:
        held: Held = done.value
        return held


async def run_async(plan: Plan, send: AsyncSender, book: TokenBook) -> Held:
    reply: httpx.Response | None = None
    try:
        while True:
            step = plan.send(reply)
            reply = None
            if isinstance(step, Send):
                reply = await send(step)
            else:
                merged = book.held.adopted(step.held, step.kinds)
                outcome = _announce(book, merged)
                if inspect.isawaitable(outcome):
                    try:
                        await outcome
                    except Exception:
                        logger.exception("on_tokens_changed failed; the new tokens are used all the same")
                # Merged again: another task may have published while the callback ran.
                book.held = book.held.adopted(step.held, step.kinds)
    except StopIteration as done:
        held: Held = done.value
        return held


def _announce(book: TokenBook, held: Held) -> object:
    """Tell the owner about new tokens before any request uses them; never lose them over it."""
    if book.on_change is None:
        return None
    try:
        return book.on_change(held.tokens)
    except Exception:
        # The server has already rotated the tokens: dropping the new ones would lock us out.
        logger.exception("on_tokens_changed failed; the new tokens are used all the same")
        return None


# An early renewal that fails leaves the still-valid token in use: these failures can be waited out.
EARLY_RENEWAL_FAILURES: Final = (APIConnectionError, APIStatusError, MissingTokenError)


def _backing_off(book: TokenBook) -> bool:
    return time.monotonic() < book.early_renewal_not_before


def _early_renewal_failed(book: TokenBook, kind: TokenKind, error: Exception) -> None:
    book.early_renewal_not_before = time.monotonic() + EARLY_RENEWAL_BACKOFF
    status = f" {error.status_code}" if isinstance(error, APIStatusError) else ""
    logger.warning(
        "renewing the %s token early failed (%s%s); the current one is used while it is valid",
        kind,
        type(error).__name__,
        status,
    )


_SYNC_RENEWERS: weakref.WeakSet[SyncRenewer] = weakref.WeakSet()


class SyncRenewer:
    """One renewal at a time across threads; the others wait and take its result."""

    def __init__(self, renewal: Renewal, book: TokenBook, send: Sender) -> None:
        self._renewal, self._book, self._send = renewal, book, send
        self._lock = threading.Lock()
        self._runs = 0
        self._last_failure: PartnerAPIError | None = None
        _SYNC_RENEWERS.add(self)

    def obtain(self, kind: TokenKind, used: Held, *, rejected: bool = False, early: bool = False) -> Held:
        queued_after = self._runs
        with self._lock:
            if early and _backing_off(self._book):
                return self._book.held
            if self._runs != queued_after and self._last_failure is not None:
                # A renewal ran while this thread waited, and failed: that is this call's answer
                # too, rather than one more attempt per waiting thread.
                raise self._last_failure
            try:
                held = run(self._renewal.obtain(kind, used, rejected=rejected), self._send, self._book)
            except PartnerAPIError as error:
                self._last_failure = error
                if early and isinstance(error, EARLY_RENEWAL_FAILURES):
                    _early_renewal_failed(self._book, kind, error)
                raise
            else:
                self._last_failure = None
                return held
            finally:
                self._runs += 1

    def capture(self, operation: Operation, response: httpx.Response, sent_at: float) -> None:
        with self._lock:
            run(self._renewal.capture(operation, response, self._book.held, sent_at), self._send, self._book)

    def _after_fork(self) -> None:
        # The parent may have held the lock at fork time; the child's copy would stay locked.
        self._lock = threading.Lock()


def _reset_after_fork() -> None:
    for renewer in list(_SYNC_RENEWERS):
        renewer._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


class AsyncRenewer:
    """One renewal at a time across tasks, run as its own task: cancelling a waiter, or the
    task that started it, does not cancel it; everyone waiting takes its result."""

    def __init__(self, renewal: Renewal, book: TokenBook, send: AsyncSender) -> None:
        self._renewal, self._book, self._send = renewal, book, send
        self._inflight: asyncio.Task[Held] | None = None

    async def obtain(
        self, kind: TokenKind, used: Held, *, rejected: bool = False, early: bool = False
    ) -> Held:
        if early and _backing_off(self._book):
            return self._book.held
        while (inflight := self._inflight) is not None and not inflight.done():
            # Another renewal is running: its outcome, failure included, is this call's too.
            held = await asyncio.shield(inflight)
            if held.usable(kind) and (held.token(kind) != used.token(kind) or not rejected):
                return held
        plan = self._renewal.obtain(kind, used, rejected=rejected)
        inflight = asyncio.get_running_loop().create_task(self._run(plan, kind, early=early))
        inflight.add_done_callback(_consume_outcome)
        self._inflight = inflight
        return await asyncio.shield(inflight)

    async def _run(self, plan: Plan, kind: TokenKind, *, early: bool) -> Held:
        try:
            return await run_async(plan, self._send, self._book)
        except EARLY_RENEWAL_FAILURES as error:
            if early:
                _early_renewal_failed(self._book, kind, error)
            raise

    async def capture(self, operation: Operation, response: httpx.Response, sent_at: float) -> None:
        await run_async(
            self._renewal.capture(operation, response, self._book.held, sent_at), self._send, self._book
        )


def _consume_outcome(task: asyncio.Task[Held]) -> None:
    # Mark the outcome as seen: every waiter may have been cancelled.
    if not task.cancelled():
        task.exception()
