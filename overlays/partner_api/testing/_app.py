"""The sandbox's HTTP face: FastAPI routes for the spec's operations, and the conventions
(app key, request id, language, faults) checked in front of them for every request."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from partner_api.testing._state import Issued, Sandbox
from partner_api_models import (
    AccessToken,
    Account,
    ClientTokens,
    Error,
    ObtainTokensRequest,
    Product,
    ProductPage,
    RefreshToken,
    Transfer,
    TransferRequest,
    User,
    UserCredentials,
    UserSession,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MESSAGES: Final = {
    "BAD_REQUEST": ("Permintaan tidak valid.", "The request is invalid."),
    "APP_KEY_UNKNOWN": ("x-app-key tidak dikenal.", "x-app-key is not known."),
    "REQUEST_ID_MISSING": ("Header x-request-id wajib diisi.", "Header x-request-id is mandatory."),
    "DUPLICATE_REQUEST_ID": ("x-request-id sudah pernah digunakan.", "x-request-id has already been used."),
    "LANGUAGE_UNKNOWN": ("x-language harus id atau en.", "x-language must be id or en."),
    "TOKEN_INVALID": ("Token tidak valid.", "The token is not valid."),
    "TOKEN_WRONG_KIND": ("Jenis token salah untuk operasi ini.", "Wrong kind of token for this operation."),
    "TOKEN_REVOKED": ("Token sudah dicabut.", "The token has been revoked."),
    "TOKEN_EXPIRED": ("Token sudah kedaluwarsa.", "The token has expired."),
    "TOKEN_USER_MISMATCH": (
        "Token milik pengguna lain.",
        "The token belongs to another user.",
    ),
    "USER_TOKEN_REQUIRED": ("Header x-user-token wajib diisi.", "Header x-user-token is mandatory."),
    "USER_TOKEN_INVALID": ("x-user-token tidak valid.", "The x-user-token is not valid."),
    "USER_TOKEN_REVOKED": ("x-user-token sudah dicabut.", "The x-user-token has been revoked."),
    "USER_TOKEN_EXPIRED": ("x-user-token sudah kedaluwarsa.", "The x-user-token has expired."),
    "INVALID_CREDENTIALS": ("Kredensial salah.", "The credentials are wrong."),
    "NOT_FOUND": ("Data tidak ditemukan.", "Not found."),
    "RATE_LIMITED": ("Terlalu banyak permintaan. Coba lagi nanti.", "Too many requests. Try again later."),
    "INTERNAL_ERROR": ("Terjadi kesalahan pada sistem.", "An internal error occurred."),
    "SERVICE_UNAVAILABLE": ("Layanan sedang tidak tersedia.", "The service is temporarily unavailable."),
}
USER_TOKEN_REFUSALS: Final = {"TOKEN_EXPIRED": "USER_TOKEN_EXPIRED", "TOKEN_REVOKED": "USER_TOKEN_REVOKED"}
FAULT_CODES: Final = {429: "RATE_LIMITED", 500: "INTERNAL_ERROR", 503: "SERVICE_UNAVAILABLE"}
OPERATIONS: Final = {
    ("POST", "/v1/auth/token"): "obtainTokens",
    ("POST", "/v1/auth/access-token"): "renewAccessToken",
    ("POST", "/v1/auth/refresh-token"): "renewRefreshToken",
    ("POST", "/v1/users/login"): "authenticateUser",
    ("GET", "/v1/products"): "listProducts",
    ("POST", "/v1/transfers"): "createTransfer",
}
PRODUCTS: Final = [
    Product(id="prd_savings", name="Tabungan Harian", category="savings"),
    Product(id="prd_deposit", name="Deposito Berjangka", category="deposit"),
    Product(id="prd_loan", name="Pinjaman Usaha", category="loan"),
]


def operation_of(method: str, path: str) -> str:
    if method == "GET" and path.startswith("/v1/accounts/"):
        return "getAccount"
    return OPERATIONS.get((method, path), "unknown")


class Refusal(Exception):
    def __init__(self, status: int, code: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.status, self.code, self.headers = status, code, headers or {}


def envelope(
    status: int, code: str, language: str, request_id: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    message = MESSAGES.get(code, MESSAGES["BAD_REQUEST"])[language == "en"]
    body = Error(code=code, message=message, request_id=request_id).model_dump(by_alias=True)
    return JSONResponse(body, status_code=status, headers=headers)


def _model(model: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(model.model_dump(by_alias=True, mode="json", exclude_none=True), status_code=status)


async def _drop(send: Send) -> None:
    """Start a 200 answer, then break the connection in the middle of its body."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
    await send({"type": "http.response.body", "body": b'{"partial": ', "more_body": True})
    raise ConnectionAbortedError("sandbox fault: connection dropped mid-body")


class Conventions:
    """ASGI middleware: the vendor's rules for every request, and faults on demand."""

    def __init__(self, app: FastAPI, state: Sandbox) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        request_id = headers.get("x-request-id", "")
        language = headers.get("x-language", "id")
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        user_id = self.state.user_of_token(headers.get("x-user-token")) or self.state.user_of_token(bearer)
        fault = self.state.record_call(operation_of(scope["method"], scope["path"]), user_id)
        refusal = self._refusal(headers, request_id, language)
        if fault is not None and refusal is None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.drop:
                await _drop(send)
            if fault.status is not None:
                extra = {"retry-after": fault.retry_after} if fault.retry_after is not None else None
                code = FAULT_CODES.get(fault.status, "INTERNAL_ERROR")
                refusal = Refusal(fault.status, code, extra)
        if refusal is not None:
            response = envelope(
                refusal.status,
                refusal.code,
                language if language in ("id", "en") else "id",
                request_id,
                refusal.headers,
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["language"] = language
        await self.app(scope, receive, send)

    def _refusal(self, headers: dict[str, str], request_id: str, language: str) -> Refusal | None:
        if language not in ("id", "en"):
            return Refusal(400, "LANGUAGE_UNKNOWN")
        if headers.get("x-app-key") not in self.state.clients:
            return Refusal(400, "APP_KEY_UNKNOWN")
        if not request_id:
            return Refusal(400, "REQUEST_ID_MISSING")
        if not self.state.first_use_of(request_id):
            return Refusal(409, "DUPLICATE_REQUEST_ID")
        return None


def create_app(state: Sandbox) -> Conventions:  # noqa: PLR0915 (one route per operation, side by side)
    app = FastAPI(title="Partner API sandbox", openapi_url=None, docs_url=None, redoc_url=None)

    def context(request: Request) -> tuple[str, str]:
        """The request id and language the conventions middleware let through."""
        return request.headers["x-request-id"], request.scope["state"]["language"]

    def bearer(request: Request, kind: str) -> Issued:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.startswith("Bearer ") else None
        issued, why = state.check(token, kind, request.headers["x-app-key"])
        if issued is None:
            raise Refusal(401, why)
        return issued

    def user_of(request: Request, access: Issued) -> Issued:
        """The valid user token in x-user-token, of the user ``access`` is bound to if it is."""
        token = request.headers.get("x-user-token")
        if not token:
            raise Refusal(400, "USER_TOKEN_REQUIRED")
        issued, why = state.check(token, "user", request.headers["x-app-key"])
        if issued is None:
            # The spec's assumed codes for a refused x-user-token: "log in again", not "renew".
            raise Refusal(401, USER_TOKEN_REFUSALS.get(why, "USER_TOKEN_INVALID"))
        if access.user_id is not None and access.user_id != issued.user_id:
            raise Refusal(401, "TOKEN_USER_MISMATCH")
        return issued

    @app.exception_handler(Refusal)
    async def refused(request: Request, refusal: Refusal) -> JSONResponse:
        request_id, language = context(request)
        return envelope(refusal.status, refusal.code, language, request_id, refusal.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        request_id, language = context(request)
        return envelope(400, "BAD_REQUEST", language, request_id)

    @app.post("/v1/auth/token")
    async def obtain_tokens(body: ObtainTokensRequest, request: Request) -> JSONResponse:
        app_key = request.headers["x-app-key"]
        if state.clients.get(app_key) != body.private_key:
            raise Refusal(401, "INVALID_CREDENTIALS")
        access, access_in, refresh, refresh_in = state.obtain(app_key)
        return _model(
            ClientTokens(
                token_type="Bearer",
                access_token=access,
                access_token_expires_in=access_in,
                refresh_token=refresh,
                refresh_token_expires_in=refresh_in,
            )
        )

    @app.post("/v1/auth/access-token")
    async def renew_access_token(request: Request) -> JSONResponse:
        presented = request.headers["authorization"][7:]
        access, lifetime, refresh, refresh_in = state.renew_access(presented, bearer(request, "refresh"))
        return _model(
            AccessToken(
                token_type="Bearer",
                access_token=access,
                expires_in=lifetime,
                refresh_token=refresh,
                refresh_token_expires_in=refresh_in,
            )
        )

    @app.post("/v1/auth/refresh-token")
    async def renew_refresh_token(request: Request) -> JSONResponse:
        refresh, lifetime = state.issue_derived("refresh", bearer(request, "user"))
        return _model(RefreshToken(token_type="Bearer", refresh_token=refresh, expires_in=lifetime))

    @app.post("/v1/users/login")
    async def authenticate_user(body: UserCredentials, request: Request) -> JSONResponse:
        access = bearer(request, "access")
        known = state.users.get(body.username)
        if known is not None:
            state.attribute("authenticateUser", known.user_id)
        if known is None or not secrets.compare_digest(known.password, body.password):
            raise Refusal(401, "INVALID_CREDENTIALS")
        if access.user_id is not None and access.user_id != known.user_id:
            raise Refusal(401, "TOKEN_USER_MISMATCH")
        token, lifetime = state.login(access, known)
        return _model(
            UserSession(user_token=token, expires_in=lifetime, user=User(id=known.user_id, name=known.name))
        )

    @app.get("/v1/products")
    async def list_products(
        request: Request, page: int = Query(1, ge=1), size: int = Query(20, ge=1, le=100)
    ) -> JSONResponse:
        bearer(request, "access")
        items = PRODUCTS[(page - 1) * size : page * size]
        return _model(ProductPage(items=items, page=page, size=size, total=len(PRODUCTS)))

    @app.get("/v1/accounts/{account_id}")
    async def get_account(account_id: str, request: Request) -> JSONResponse:
        user = user_of(request, bearer(request, "access"))
        account = state.accounts.get(account_id)
        if account is None or account.owner != user.user_id:
            raise Refusal(404, "NOT_FOUND")
        return _model(
            Account(
                id=account_id,
                owner_id=account.owner,
                currency="IDR",
                balance=account.balance,
                status="active",
            )
        )

    @app.post("/v1/transfers")
    async def create_transfer(body: TransferRequest, request: Request) -> JSONResponse:
        user = user_of(request, bearer(request, "access"))
        source = state.accounts.get(body.source_account_id)
        if (
            source is None
            or source.owner != user.user_id
            or body.destination_account_id not in state.accounts
        ):
            raise Refusal(404, "NOT_FOUND")
        transfer = Transfer(
            id=f"trf_{uuid.uuid4().hex[:8]}",
            source_account_id=body.source_account_id,
            destination_account_id=body.destination_account_id,
            amount=body.amount,
            currency="IDR",
            status="pending",
            created_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        )
        return _model(transfer, status=201)

    return Conventions(app, state)
