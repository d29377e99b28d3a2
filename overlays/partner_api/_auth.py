"""The credentials of every request: one ``httpx.Auth`` that picks headers and tokens per operation.

httpx runs it once per request (not per redirect hop, unlike event hooks), and it is where a
request waits for a renewal, is replayed once after a 401, and has its error raised.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from partner_api._errors import MissingTokenError, ReauthenticationRequired
from partner_api._renewal import EARLY_RENEWAL_FAILURES, AsyncRenewer, SyncRenewer, TokenBook, margin
from partner_api._status import status_error
from partner_api._wire import OPERATION_EXTENSION, REQUEST_ID_EXTENSION

if TYPE_CHECKING:
    from partner_api._operations import Catalog, Operation
    from partner_api._tokens import Held, TokenKind

logger = logging.getLogger("partner_api")


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """What may differ between a client and those derived from it with ``with_options``."""

    language: str
    request_id: str | None
    raise_for_status: bool


class _PartnerAuthBase(httpx.Auth):
    def __init__(
        self, *, app_key: str, catalog: Catalog, book: TokenBook, base_path: str, options: RequestOptions
    ) -> None:
        self._app_key = app_key
        self._catalog = catalog
        self._book = book
        self._base_path = base_path
        self._options = options

    def _operation(self, request: httpx.Request) -> Operation | None:
        return self._catalog.match_request(request.method, request.url.raw_path, self._base_path)

    def _authorize(self, request: httpx.Request, operation: Operation | None, held: Held) -> None:
        """Set the headers from one token generation, so a request never mixes two."""
        headers = request.headers
        headers["x-app-key"] = self._app_key
        headers["x-language"] = self._options.language
        if self._options.request_id is not None:
            request.extensions[REQUEST_ID_EXTENSION] = self._options.request_id
        if operation is None:
            return
        request.extensions[OPERATION_EXTENSION] = operation.operation_id
        if operation.bearer is not None:
            headers["authorization"] = f"Bearer {held.token(operation.bearer)}"
        if operation.user_token:
            headers["x-user-token"] = str(held.token("user"))

    def _needs_renewal(self, operation: Operation | None, held: Held) -> TokenKind | None:
        if operation is None or operation.bearer is None:
            return None
        kind = operation.bearer
        return None if held.usable(kind, margin(held, kind)) else kind

    def _check_user_token(self, operation: Operation | None, held: Held) -> None:
        if operation is None or not operation.user_token or held.usable("user"):
            return
        issuers = " or ".join(
            op.operation_id for op in self._catalog.operations if any(i.kind == "user" for i in op.issues)
        )
        if held.tokens.user_token is None:
            raise MissingTokenError(
                f"{operation.operation_id} acts for a user, and no user is authenticated: "
                f"call {issuers} first",
                kind="user",
                operation=operation.operation_id,
            )
        raise ReauthenticationRequired(
            f"{operation.operation_id} acts for a user, and the user token has expired or was refused: "
            f"call {issuers} again",
            kind="user",
            operation=operation.operation_id,
        )

    def _replayable(self, operation: Operation | None, response: httpx.Response) -> TokenKind | None:
        """The token to renew before replaying a request its 401 refused, if any."""
        if response.status_code != 401 or operation is None or operation.bearer is None:
            return None
        if self._catalog.is_renewal(operation) or operation.bearer not in self._catalog.renewal_of:
            return None
        return operation.bearer

    def _fails(self, response: httpx.Response) -> bool:
        """Whether this response is to be raised as a typed error rather than returned."""
        return response.status_code >= 400 and self._options.raise_for_status


class PartnerAuth(_PartnerAuthBase):
    def __init__(self, renewer: SyncRenewer, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._renewer = renewer

    def _ready(self, operation: Operation | None) -> Held:
        held = self._book.held
        kind = self._needs_renewal(operation, held)
        if kind is not None:
            if not held.usable(kind):
                held = self._renewer.obtain(kind, held)
            else:
                try:
                    held = self._renewer.obtain(kind, held, early=True)
                except EARLY_RENEWAL_FAILURES:
                    held = self._book.held  # still valid; the renewer logged why
        self._check_user_token(operation, held)
        return held

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        operation = self._operation(request)
        held = self._ready(operation)
        self._authorize(request, operation, held)
        sent_at = time.monotonic()
        response = yield request
        kind = self._replayable(operation, response)
        if kind is not None:
            response.read()  # frees its connection for the renewal
            held = self._renewer.obtain(kind, held, rejected=True)
            self._check_user_token(operation, held)
            self._authorize(request, operation, held)
            sent_at = time.monotonic()
            response = yield request
        if operation is not None and operation.issues and response.is_success:
            response.read()
            self._renewer.capture(operation, response, sent_at)
        if self._fails(response):
            response.read()
            raise status_error(response, self._options.language)


class AsyncPartnerAuth(_PartnerAuthBase):
    def __init__(self, renewer: AsyncRenewer, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._renewer = renewer

    async def _ready(self, operation: Operation | None) -> Held:
        held = self._book.held
        kind = self._needs_renewal(operation, held)
        if kind is not None:
            if not held.usable(kind):
                held = await self._renewer.obtain(kind, held)
            else:
                try:
                    held = await self._renewer.obtain(kind, held, early=True)
                except EARLY_RENEWAL_FAILURES:
                    held = self._book.held  # still valid; the renewer logged why
        self._check_user_token(operation, held)
        return held

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        operation = self._operation(request)
        held = await self._ready(operation)
        self._authorize(request, operation, held)
        sent_at = time.monotonic()
        response = yield request
        kind = self._replayable(operation, response)
        if kind is not None:
            await response.aread()  # frees its connection for the renewal
            held = await self._renewer.obtain(kind, held, rejected=True)
            self._check_user_token(operation, held)
            self._authorize(request, operation, held)
            sent_at = time.monotonic()
            response = yield request
        if operation is not None and operation.issues and response.is_success:
            await response.aread()
            await self._renewer.capture(operation, response, sent_at)
        if self._fails(response):
            await response.aread()
            raise status_error(response, self._options.language)
