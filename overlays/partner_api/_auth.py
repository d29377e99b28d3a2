"""The credentials of every request: one ``httpx.Auth`` that picks headers and tokens per operation.

httpx runs it once per request (not per redirect hop, unlike event hooks), and it is where a
request waits for a renewal, is replayed once after a 401, and has its error raised.

One flow, two thin drivers: ``_flow`` is a generator that yields what it needs done (send this
request, read this response, make this token usable, capture these tokens) and receives the
outcome; ``sync_auth_flow`` and ``async_auth_flow`` only do that I/O, the way httpx's own
``Auth.auth_flow`` serves both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import httpx

from partner_api._errors import (
    ClientClosedError,
    MissingTokenError,
    PartnerAPIError,
    ReauthenticationRequired,
)
from partner_api._renewal import margin, run, run_async
from partner_api._status import status_error
from partner_api._wire import DEADLINE_EXTENSION, OPERATION_EXTENSION, REQUEST_ID_EXTENSION, origin

if TYPE_CHECKING:
    from partner_api._keyring import Keyring
    from partner_api._operations import Catalog, Operation
    from partner_api._renewal import AsyncRenewer, Renewal, SyncRenewer
    from partner_api._tokens import Held, TokenKind

logger = logging.getLogger("partner_api")

# A 401 with one of these codes refused the x-user-token, not the bearer token (the spec's
# x-partner-token-scopes section): the user must log in again, and no renewal can help.
USER_TOKEN_REFUSED: Final = frozenset({"USER_TOKEN_EXPIRED", "USER_TOKEN_REVOKED", "USER_TOKEN_INVALID"})


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """What may differ between a client and those derived from it with ``with_options``."""

    language: str
    request_id: str | None
    raise_for_status: bool
    budget: float = 30.0
    """Seconds the whole call may take: retries, renewals, replays and waiting included."""


class Context:
    """What every request of a client needs that is per process: set up once by the client."""

    __slots__ = ("app_key", "base_origin", "base_path", "catalog", "closed", "renewal")

    def __init__(self, app_key: str, base_url: httpx.URL, catalog: Catalog, renewal: Renewal) -> None:
        self.app_key = app_key
        self.base_origin = origin(base_url)
        self.base_path = base_url.path.rstrip("/")
        self.catalog = catalog
        self.renewal = renewal
        self.closed = False

    def __repr__(self) -> str:
        return f"Context(base_origin={self.base_origin!r}, closed={self.closed})"


# What the flow asks its driver for.
@dataclass(frozen=True, slots=True)
class _Obtain:
    kind: TokenKind
    used: Held
    rejected: bool = False
    early: bool = False


@dataclass(frozen=True, slots=True)
class _Load:
    """Read the token store, once per book: another process may already hold newer tokens."""

    again: bool = False
    """Read it again: the user token is missing or refused here, and another process may have
    logged the user in since."""


@dataclass(frozen=True, slots=True)
class _Read:
    response: httpx.Response


@dataclass(frozen=True, slots=True)
class _Capture:
    operation: Operation
    response: httpx.Response
    sent_at: float


_Step = httpx.Request | _Load | _Obtain | _Read | _Capture


class PartnerAuth(httpx.Auth):
    """Serves both clients: ``sync_auth_flow`` for PartnerClient, ``async_auth_flow`` for the async one."""

    def __init__(self, context: Context, keyring: Keyring, options: RequestOptions) -> None:
        self._context = context
        self._keyring = keyring
        self._options = options

    # ---- the flow ---------------------------------------------------------------------------

    def _flow(self, request: httpx.Request) -> Generator[_Step, Any, None]:
        if self._context.closed:
            raise ClientClosedError(
                "the client this one was derived from (with_options or for_user) is closed: "
                "make calls before closing it, or build a new client"
            )
        request.extensions.setdefault(DEADLINE_EXTENSION, time.monotonic() + self._options.budget)
        operation = self._operation(request)
        held = yield from self._ready(operation)
        response, sent_at = yield from self._send(request, operation, held)
        # The status is looked at first: a successful call runs none of the refusal handling.
        if (
            response.status_code == 401
            and operation is not None
            and (yield from self._user_token_was_refused(operation, response, held))
        ):
            yield _Load(again=True)
            held = self._keyring.held
            if not held.usable("user"):
                raise self._reauthenticate(operation)
            # Another process logged the user in again: one replay with that token.
            response, sent_at = yield from self._send(request, operation, held)
            if (yield from self._user_token_was_refused(operation, response, held)):
                raise self._reauthenticate(operation)
        kind = self._replayable(operation, response)
        if kind is not None:
            yield _Read(response)  # frees its connection for the renewal
            held = yield _Obtain(kind, held, rejected=True)
            self._check_user_token(operation, held)
            response, sent_at = yield from self._send(request, operation, held)
        if operation is not None and operation.issues and response.is_success and self._ours(response):
            yield _Read(response)
            yield _Capture(operation, response, sent_at)
        if response.status_code >= 400 and self._options.raise_for_status:
            yield _Read(response)
            raise status_error(response, self._options.language)

    def _ready(self, operation: Operation | None) -> Generator[_Step, Any, Held]:
        """The tokens to send: read from the store at first, renewed if they must be."""
        if not self._keyring.loaded:
            yield _Load()
        held = self._keyring.held
        kind = self._needs_renewal(operation, held)
        if kind is not None:
            if not held.usable(kind):
                held = yield _Obtain(kind, held)
            else:
                try:
                    held = yield _Obtain(kind, held, early=True)
                except Exception:
                    held = self._keyring.held
                    if not held.usable(kind):
                        raise
        if self._lacks_user_token(operation, held):
            yield _Load(again=True)  # another process may have logged the user in since
            held = self._keyring.held
            self._check_user_token(operation, held)
        return held

    def _send(
        self, request: httpx.Request, operation: Operation | None, held: Held
    ) -> Generator[_Step, Any, tuple[httpx.Response, float]]:
        self._authorize(request, operation, held)
        sent_at = time.monotonic()
        response: httpx.Response = yield request
        return response, sent_at

    def _user_token_was_refused(
        self, operation: Operation, response: httpx.Response, held: Held
    ) -> Generator[_Step, Any, bool]:
        """Whether the vendor refused the user token ``held`` has (then marked refused here)."""
        if not self._refuses_user_token(operation, response):
            return False
        yield _Read(response)
        if not self._user_token_refused(response):
            return False
        self._keyring.book_of("user").adopt(held.refused("user"), frozenset({"user"}))
        return True

    def _ours(self, response: httpx.Response) -> bool:
        """Whether the response came from the base URL's origin (not a redirect's target)."""
        return origin(response.url) == self._context.base_origin

    # ---- the drivers ------------------------------------------------------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        flow = self._flow(request)
        outcome: Any = None
        failure: Exception | None = None
        while True:
            try:
                step = flow.send(outcome) if failure is None else flow.throw(failure)
            except StopIteration:
                return
            outcome, failure = None, None
            if isinstance(step, httpx.Request):
                outcome = yield step
                continue
            try:
                outcome = self._do(step, request)
            except Exception as error:  # noqa: BLE001 (handed to the flow, which decides)
                failure = error

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow = self._flow(request)
        outcome: Any = None
        failure: Exception | None = None
        while True:
            try:
                step = flow.send(outcome) if failure is None else flow.throw(failure)
            except StopIteration:
                return
            outcome, failure = None, None
            if isinstance(step, httpx.Request):
                outcome = yield step
                continue
            try:
                outcome = await self._do_async(step, request)
            except Exception as error:  # noqa: BLE001 (handed to the flow, which decides)
                failure = error

    def _do(self, step: _Load | _Obtain | _Read | _Capture, request: httpx.Request) -> Any:
        keyring = self._keyring
        if isinstance(step, _Read):
            return step.response.read()
        if isinstance(step, _Load):
            return keyring.reload() if step.again else keyring.load()
        if isinstance(step, _Capture):
            plan = self._context.renewal.capture(step.operation, step.response, keyring.held, step.sent_at)
            return run(plan, _no_send, keyring)
        renewer: SyncRenewer = keyring.book_of(step.kind).renewer  # type: ignore[assignment]
        return renewer.obtain(
            keyring,
            step.kind,
            step.used,
            rejected=step.rejected,
            early=step.early,
            deadline=request.extensions.get(DEADLINE_EXTENSION),
            request=request,
        )

    async def _do_async(self, step: _Load | _Obtain | _Read | _Capture, request: httpx.Request) -> Any:
        keyring = self._keyring
        if isinstance(step, _Read):
            return await step.response.aread()
        if isinstance(step, _Load):
            return await (keyring.areload() if step.again else keyring.aload())
        if isinstance(step, _Capture):
            plan = self._context.renewal.capture(step.operation, step.response, keyring.held, step.sent_at)
            return await run_async(plan, _no_send_async, keyring)
        renewer: AsyncRenewer = keyring.book_of(step.kind).renewer  # type: ignore[assignment]
        return await renewer.obtain(
            keyring,
            step.kind,
            step.used,
            rejected=step.rejected,
            early=step.early,
            deadline=request.extensions.get(DEADLINE_EXTENSION),
            request=request,
        )

    # ---- decisions --------------------------------------------------------------------------

    def _operation(self, request: httpx.Request) -> Operation | None:
        return self._context.catalog.match_request(
            request.method, request.url.raw_path, self._context.base_path
        )

    def _authorize(self, request: httpx.Request, operation: Operation | None, held: Held) -> None:
        """Set the headers from one token generation, so a request never mixes two."""
        headers = request.headers
        headers["x-app-key"] = self._context.app_key
        headers["x-language"] = self._options.language
        if self._options.request_id is not None:
            request.extensions[REQUEST_ID_EXTENSION] = self._options.request_id
        if operation is None:
            return
        request.extensions[OPERATION_EXTENSION] = operation.operation_id
        if operation.bearer is not None:
            bearer = held.token(operation.bearer)
            if bearer is None:
                raise self._missing(operation.bearer, operation)
            headers["authorization"] = f"Bearer {bearer}"
        if operation.user_token:
            user_token = held.token("user")
            if user_token is None:
                raise self._missing("user", operation)
            headers["x-user-token"] = user_token

    def _missing(self, kind: TokenKind, operation: Operation) -> MissingTokenError:
        # Never "Bearer None": say which token is missing, before anything is sent.
        return MissingTokenError(
            f"{operation.operation_id} needs the {kind} token, and the client has none",
            kind=kind,
            operation=operation.operation_id,
        )

    def _needs_renewal(self, operation: Operation | None, held: Held) -> TokenKind | None:
        if operation is None or operation.bearer is None:
            return None
        kind = operation.bearer
        return None if held.usable(kind, margin(held, kind)) else kind

    def _issuers(self, kind: TokenKind) -> str:
        catalog = self._context.catalog
        return " or ".join(
            op.operation_id for op in catalog.operations if any(i.kind == kind for i in op.issues)
        )

    def _lacks_user_token(self, operation: Operation | None, held: Held) -> bool:
        return operation is not None and operation.user_token and not held.usable("user")

    def _check_user_token(self, operation: Operation | None, held: Held) -> None:
        if operation is None or not operation.user_token or held.usable("user"):
            return
        if held.tokens.user_token is None:
            raise MissingTokenError(
                f"{operation.operation_id} acts for a user, and no user is authenticated: "
                f"call {self._issuers('user')} first",
                kind="user",
                operation=operation.operation_id,
            )
        raise self._reauthenticate(operation)

    def _reauthenticate(self, operation: Operation) -> ReauthenticationRequired:
        return ReauthenticationRequired(
            f"{operation.operation_id} acts for a user, and the user token has expired or was refused: "
            f"call {self._issuers('user')} again",
            kind="user",
            operation=operation.operation_id,
        )

    def _refuses_user_token(self, operation: Operation, response: httpx.Response) -> bool:
        return response.status_code == 401 and operation.user_token and self._ours(response)

    def _user_token_refused(self, response: httpx.Response) -> bool:
        try:
            code = status_error(response, self._options.language).code
        except PartnerAPIError:  # pragma: no cover (status_error builds, it does not raise)
            return False
        return code in USER_TOKEN_REFUSED

    def _replayable(self, operation: Operation | None, response: httpx.Response) -> TokenKind | None:
        """The token to renew before replaying a request its 401 refused, if any."""
        if response.status_code != 401 or operation is None or operation.bearer is None:
            return None
        if not self._ours(response):
            return None  # a 401 from a redirect's target says nothing about our tokens
        catalog = self._context.catalog
        if catalog.is_renewal(operation) or operation.bearer not in catalog.renewal_of:
            return None
        return operation.bearer


def _no_send(step: object) -> httpx.Response:  # pragma: no cover (capturing sends nothing)
    raise AssertionError("capturing tokens sends no request")


async def _no_send_async(step: object) -> httpx.Response:  # pragma: no cover
    raise AssertionError("capturing tokens sends no request")
