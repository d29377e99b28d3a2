"""Renewing tokens: what to send (sans-IO plans) and one renewal at a time (sync and async).

A plan is a generator that yields ``Send`` (a request to make) and ``Publish`` (a new token
generation to store, then announce) and returns the tokens to use. The sync and async drivers
below do the I/O; the plan is the same for both, so the two clients cannot drift apart.

Each ``TokenBook`` (the client identity's, or one session's) has one renewer: one renewal at a
time per token owner, so a client-scoped token is renewed once however many sessions wait for
it, and a user-scoped one once per user. Tokens are stored before anyone is told: a callback
that fails, raises ``BaseException`` or is cancelled never loses a token the vendor issued.
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
from typing import TYPE_CHECKING, Any, Final

import httpx

from partner_api._errors import (
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    InvalidHeaderValue,
    MissingTokenError,
    PartnerAPIError,
    ReauthenticationRequired,
)
from partner_api._headers import check_header_value
from partner_api._operations import Catalog, EncodedBody, Operation
from partner_api._status import status_error
from partner_api._tokens import (
    TOKEN_KINDS,
    Held,
    TokenKind,
    Tokens,
    checked_lifetime,
    resolve_pointer,
)
from partner_api.stores._flow import arenew_once, renew_once

if TYPE_CHECKING:
    from partner_api._keyring import Keyring, TokenBook

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


@dataclass(frozen=True, slots=True)
class Delegate:
    """Make ``kind`` usable through its own owner's renewer (another book: single flight there);
    the reply is that owner's view after it."""

    kind: TokenKind
    used: Held


# What a plan receives back: the response to a Send, a Held after a Delegate, None after a Publish.
Plan = Generator[Send | Publish | Delegate, Any, Held]


def margin(held: Held, kind: TokenKind) -> float:
    lifetime = held.lifetimes.get(kind)
    return RENEWAL_MARGIN if lifetime is None else min(RENEWAL_MARGIN, lifetime / 10)


class Renewal:
    """The plans: how each token is made usable again, decided from the operation catalog."""

    def __init__(self, catalog: Catalog, private_key: str | None, language: str) -> None:
        self._catalog = catalog
        self._private_key = private_key
        self._language = language

    def obtain(self, keyring: Keyring, kind: TokenKind, used: Held, *, rejected: bool = False) -> Plan:
        """Make ``kind`` usable, unless another caller already replaced the token ``used`` had."""
        current = keyring.held
        if current.token(kind) != used.token(kind) and current.usable(kind):
            return current
        if rejected:
            # Not announced: a 401 may be about something else (an x-user-token, say), and
            # the token stays until a new one replaces it.
            current = current.replaced(kind, None, None, 0.0)
        held = yield from self._obtain(kind, current, depth=0, keyring=keyring)
        if not held.usable(kind):
            # Never "Authorization: Bearer None": the renewal answered without the token.
            raise MissingTokenError(
                f"renewing the {kind} token gave no usable {kind} token; nothing was sent with it",
                kind=kind,
                operation=self._how(kind),
            )
        return held

    def capture(self, operation: Operation, response: httpx.Response, held: Held, sent_at: float) -> Plan:
        """Adopt the tokens a successful response of ``operation`` carries."""
        try:
            body = response.json()
        except (ValueError, RecursionError):
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
            seconds = checked_lifetime(lifetime, operation.operation_id, issued.kind)
            changed = changed.replaced(issued.kind, token, seconds, sent_at)
        if kinds:
            yield Publish(changed, frozenset(kinds))
        return changed

    def _obtain(self, kind: TokenKind, held: Held, depth: int, keyring: Keyring | None = None) -> Plan:
        if depth > len(TOKEN_KINDS):  # pragma: no cover (the catalog would have to be circular)
            raise self._cannot_obtain(kind, held)
        operation = self._catalog.renewal_of.get(kind)
        if operation is not None and operation.bearer is not None:
            bearer = operation.bearer
            for attempt in range(2):
                if not held.usable(bearer):
                    if not self._renewable(bearer, held) and self._first_tokens_issue(kind):
                        return (yield from self._first_tokens(held))
                    if keyring is not None and keyring.book_of(bearer) is not keyring.book_of(kind):
                        # Another owner's token (a user's, or the client's): renewed by its own
                        # renewer, once for everyone who needs it.
                        renewed: Held = yield Delegate(bearer, held)
                        held = held.adopted(renewed, frozenset({bearer}))
                    else:
                        held = yield from self._obtain(bearer, held, depth + 1, keyring)
                    if held.usable(kind):
                        return held
                bearer_token = held.token(bearer)
                if bearer_token is None:  # pragma: no cover (usable() implies a token)
                    raise self._cannot_obtain(bearer, held)
                sent_at = time.monotonic()
                response: httpx.Response = yield Send(operation, bearer_token, operation.request_body())
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

    def _how(self, kind: TokenKind) -> str:
        issuers = [
            op.operation_id for op in self._catalog.operations if any(i.kind == kind for i in op.issues)
        ]
        return " or ".join(issuers) or "an operation that issues it"

    def _cannot_obtain(self, kind: TokenKind, held: Held) -> MissingTokenError:
        how = self._how(kind)
        first = self._catalog.first_tokens
        if self._private_key is None and all(held.token(k) is None for k in TOKEN_KINDS):
            # Logging a user in needs an access token: "authenticate again" would be circular.
            where = f" ({first.operation_id})" if first is not None else ""
            return MissingTokenError(
                "the client holds no usable tokens and no private key: pass private_key= so that it "
                f"obtains the first tokens itself{where}, or tokens= with tokens saved earlier",
                kind=kind,
                operation=first.operation_id if first is not None else how,
            )
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


def run(
    plan: Plan, send: Sender, keyring: Keyring, delegate: Callable[[Delegate], Held] | None = None
) -> Held:
    reply: httpx.Response | Held | None = None
    try:
        while True:
            step = plan.send(reply)
            reply = None
            if isinstance(step, Send):
                reply = send(step)
            elif isinstance(step, Delegate):
                if delegate is None:  # pragma: no cover (capture plans never delegate)
                    raise AssertionError("a plan delegated without a renewer to delegate to")
                reply = delegate(step)
            else:
                keyring.store(step.held, step.kinds)
                keyring.save(step.kinds)
                notify(keyring)
    except StopIteration as done:
        held: Held = done.value
        return held


async def run_async(
    plan: Plan,
    send: AsyncSender,
    keyring: Keyring,
    delegate: Callable[[Delegate], Awaitable[Held]] | None = None,
) -> Held:
    reply: httpx.Response | Held | None = None
    try:
        while True:
            step = plan.send(reply)
            reply = None
            if isinstance(step, Send):
                reply = await send(step)
            elif isinstance(step, Delegate):
                if delegate is None:  # pragma: no cover (capture plans never delegate)
                    raise AssertionError("a plan delegated without a renewer to delegate to")
                reply = await delegate(step)
            else:
                keyring.store(step.held, step.kinds)
                await keyring.asave(step.kinds)
                await notify_async(keyring)
    except StopIteration as done:
        held: Held = done.value
        return held


_CALLBACK_FAILED: Final = "on_tokens_changed failed; the new tokens are held and used all the same"


def notify(keyring: Keyring) -> None:
    """Tell the owner the tokens changed, after they were stored; the set given is the latest."""
    notifier = keyring.notify
    callback = notifier.callback
    if callback is None:
        return
    with notifier.lock:
        try:
            outcome = callback(keyring.held.tokens)
        except Exception:
            # The server has already rotated the tokens: they are stored, whatever happens here.
            logger.exception(_CALLBACK_FAILED)
            return
    if inspect.isawaitable(outcome):
        if inspect.iscoroutine(outcome):
            outcome.close()
        raise ConfigurationError(
            "on_tokens_changed returned an awaitable, which PartnerClient cannot run: the new tokens "
            "are held but were NOT persisted. Pass a plain function, or use AsyncPartnerClient"
        )


async def notify_async(keyring: Keyring) -> None:
    """``notify`` for asyncio: serialized, and run as its own task so that cancelling the caller
    neither cancels a callback half-way nor loses what it was about to persist."""
    if keyring.notify.callback is None:
        return
    task = asyncio.get_running_loop().create_task(_notify_serialized(keyring))
    task.add_done_callback(_consume_outcome)
    await asyncio.shield(task)


async def _notify_serialized(keyring: Keyring) -> None:
    notifier = keyring.notify
    loop = asyncio.get_running_loop()
    if notifier.async_loop is not loop:
        notifier.async_lock, notifier.async_loop = asyncio.Lock(), loop
    async with notifier.async_lock:
        callback = notifier.callback
        if callback is None:  # pragma: no cover (checked before the task started)
            return
        try:
            # Read when this publication's turn comes: the last call gets every token held.
            outcome = callback(keyring.held.tokens)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            logger.exception(_CALLBACK_FAILED)


def own_copy(error: BaseException) -> BaseException:
    """A fresh exception like ``error`` for one waiter: re-raising one object in many threads
    grows its traceback without bound, and lets one caller's handling change another's."""
    try:
        clone = type(error).__new__(type(error))
        clone.args = error.args
        clone.__dict__.update(error.__dict__)
    except Exception:  # noqa: BLE001 (an exception type that cannot be copied this way)
        return PartnerAPIError(f"a token renewal failed: {type(error).__name__}")
    return clone


def _as_partner_error(error: Exception, kind: TokenKind) -> PartnerAPIError:
    if isinstance(error, PartnerAPIError):
        return error
    # Anything else (a corrupt body, a parser's error) still reaches the caller typed.
    wrapped = PartnerAPIError(f"renewing the {kind} token failed: {type(error).__name__}: {error}")
    wrapped.__cause__ = error
    return wrapped


def _backing_off(book: TokenBook) -> bool:
    return time.monotonic() < book.early_renewal_not_before


def _early_renewal_failed(book: TokenBook, kind: TokenKind, error: BaseException) -> None:
    book.early_renewal_not_before = time.monotonic() + EARLY_RENEWAL_BACKOFF
    status = f" {error.status_code}" if isinstance(error, APIStatusError) else ""
    logger.warning(
        "renewing the %s token early failed (%s%s); the current one is used while it is valid",
        kind,
        type(error).__name__,
        status,
    )


def _timed_out(request: httpx.Request, kind: TokenKind) -> APITimeoutError:
    return APITimeoutError(
        f"{request.method} {request.url.path}: the call's deadline passed while waiting for the "
        f"renewal of the {kind} token",
        request=request,
    )


_SYNC_RENEWERS: weakref.WeakSet[SyncRenewer] = weakref.WeakSet()
_ASYNC_RENEWERS: weakref.WeakSet[AsyncRenewer] = weakref.WeakSet()


class SyncRenewer:
    """One renewal at a time across threads for one book; the others wait and take its result."""

    def __init__(
        self, renewal: Renewal, book: TokenBook, send: Callable[[Send, float | None], httpx.Response]
    ) -> None:
        self._renewal, self._book, self._send = renewal, book, send
        self._lock = threading.Lock()
        self._runs = 0
        self._failure: tuple[int, TokenKind, PartnerAPIError] | None = None
        _SYNC_RENEWERS.add(self)

    def obtain(
        self,
        keyring: Keyring,
        kind: TokenKind,
        used: Held,
        *,
        rejected: bool = False,
        early: bool = False,
        deadline: float | None = None,
        request: httpx.Request | None = None,
    ) -> Held:
        queued_after = self._runs
        if early:
            # Advisory: one caller renews, the others keep the token that is still valid.
            if not self._lock.acquire(blocking=False):
                return keyring.held
        else:
            timeout = -1.0 if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._lock.acquire(timeout=timeout):
                raise _timed_out(request or httpx.Request("POST", "/"), kind)
        try:
            if early and _backing_off(self._book):
                return keyring.held
            failure = self._failure
            if failure is not None and failure[0] >= queued_after and failure[1] == kind:
                # The renewal this thread waited for failed: that is its answer too, rather
                # than one more attempt per waiting thread; a copy of its own, chained.
                raise own_copy(failure[2]) from failure[2]
            try:
                return self._renew(keyring, kind, used, rejected=rejected, deadline=deadline)
            except Exception as error:
                failure_error = _as_partner_error(error, kind)
                self._failure = (self._runs, kind, failure_error)
                if early:
                    _early_renewal_failed(self._book, kind, failure_error)
                if failure_error is error:
                    raise
                raise failure_error from error
            finally:
                self._runs += 1
        finally:
            self._lock.release()

    def _renew(
        self, keyring: Keyring, kind: TokenKind, used: Held, *, rejected: bool, deadline: float | None
    ) -> Held:
        def send(step: Send) -> httpx.Response:
            return self._send(step, deadline)

        def delegate(step: Delegate) -> Held:
            renewer: SyncRenewer = keyring.book_of(step.kind).renewer  # type: ignore[assignment]
            return renewer.obtain(keyring, step.kind, step.used, deadline=deadline)

        backend, book = keyring.backend, self._book
        if backend is None or book.store_key is None:
            return run(self._renewal.obtain(keyring, kind, used, rejected=rejected), send, keyring, delegate)
        renewed: list[Held] = []

        def renew(stored: Tokens | None) -> Tokens:
            # Under the store's lock, from the freshest tokens: another process may have rotated.
            book.absorb(stored)
            held = run(self._renewal.obtain(keyring, kind, used, rejected=rejected), send, keyring, delegate)
            renewed.append(held)
            return held.tokens

        # Lock, re-read, renew only if no other process did; the plan saves what it publishes.
        tokens = renew_once(
            backend, book.store_key, kind, used.token(kind), renew, margin=margin(used, kind), kinds=()
        )
        if renewed:
            return renewed[0]
        book.absorb(tokens)
        return keyring.held

    def _after_fork(self) -> None:
        # The parent may have held the lock at fork time; the child's copy would stay locked.
        self._lock = threading.Lock()


class AsyncRenewer:
    """One renewal at a time across tasks for one book, run as its own task: cancelling a waiter,
    or the task that started it, does not cancel it; everyone waiting takes its result."""

    def __init__(
        self,
        renewal: Renewal,
        book: TokenBook,
        send: Callable[[Send, float | None], Awaitable[httpx.Response]],
    ) -> None:
        self._renewal, self._book, self._send = renewal, book, send
        self._inflight: tuple[asyncio.Task[Held], TokenKind] | None = None
        _ASYNC_RENEWERS.add(self)

    async def obtain(
        self,
        keyring: Keyring,
        kind: TokenKind,
        used: Held,
        *,
        rejected: bool = False,
        early: bool = False,
        deadline: float | None = None,
        request: httpx.Request | None = None,
    ) -> Held:
        if early and _backing_off(self._book):
            return keyring.held
        loop = asyncio.get_running_loop()
        while (inflight := self._inflight) is not None and not inflight[0].done():
            task, running_kind = inflight
            if task.get_loop() is not loop:
                break  # started in another event loop (that may be gone): never awaited here
            if early:
                return keyring.held  # advisory: the token is still valid, someone renews
            try:
                await self._wait(task, kind, deadline, request)
            except Exception as error:
                if running_kind == kind:
                    raise own_copy(error) from error
                continue
            # Never the renewal's own result: it is the view of the session that started it,
            # whose user-scoped tokens are not this caller's.
            held = keyring.held
            if held.usable(kind) and (held.token(kind) != used.token(kind) or not rejected):
                return held
            if running_kind == kind:
                # It ran for this very token and left it unusable: no renewal per waiter.
                raise MissingTokenError(
                    f"renewing the {kind} token gave no usable {kind} token", kind=kind, operation="-"
                )
        plan = self._renewal.obtain(keyring, kind, used, rejected=rejected)
        task = loop.create_task(self._run(plan, keyring, kind, used, early=early, deadline=deadline))
        task.add_done_callback(_consume_outcome)
        self._inflight = (task, kind)
        return await self._wait(task, kind, deadline, request)

    async def _wait(
        self, task: asyncio.Task[Held], kind: TokenKind, deadline: float | None, request: httpx.Request | None
    ) -> Held:
        if deadline is None:
            return await asyncio.shield(task)
        try:
            return await asyncio.wait_for(asyncio.shield(task), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            if task.done() and not task.cancelled() and task.exception() is None:
                return task.result()  # finished just as the deadline passed
            raise _timed_out(request or httpx.Request("POST", "/"), kind) from None

    async def _run(
        self,
        plan: Plan,
        keyring: Keyring,
        kind: TokenKind,
        used: Held,
        *,
        early: bool,
        deadline: float | None,
    ) -> Held:
        try:
            return await self._renew(plan, keyring, kind, used, deadline)
        except Exception as error:
            failure = _as_partner_error(error, kind)
            if early:
                _early_renewal_failed(self._book, kind, failure)
            if failure is error:
                raise
            raise failure from error

    async def _renew(
        self, plan: Plan, keyring: Keyring, kind: TokenKind, used: Held, deadline: float | None
    ) -> Held:
        async def send(step: Send) -> httpx.Response:
            return await self._send(step, deadline)

        async def delegate(step: Delegate) -> Held:
            renewer: AsyncRenewer = keyring.book_of(step.kind).renewer  # type: ignore[assignment]
            return await renewer.obtain(keyring, step.kind, step.used, deadline=deadline)

        backend, book = keyring.backend, self._book
        if backend is None or book.store_key is None:
            return await run_async(plan, send, keyring, delegate)
        renewed: list[Held] = []

        async def renew(stored: Tokens | None) -> Tokens:
            book.absorb(stored)
            held = await run_async(plan, send, keyring, delegate)
            renewed.append(held)
            return held.tokens

        tokens = await arenew_once(
            backend, book.store_key, kind, used.token(kind), renew, margin=margin(used, kind), kinds=()
        )
        if renewed:
            return renewed[0]
        plan.close()
        book.absorb(tokens)
        return keyring.held

    def _after_fork(self) -> None:
        # A renewal in flight at fork time belongs to the parent's event loop, gone in the child.
        self._inflight = None


def _consume_outcome(task: asyncio.Task[Any]) -> None:
    # Mark the outcome as seen: every waiter may have been cancelled.
    if not task.cancelled():
        task.exception()


def _reset_after_fork() -> None:
    for renewer in list(_SYNC_RENEWERS):
        renewer._after_fork()
    for async_renewer in list(_ASYNC_RENEWERS):
        async_renewer._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
