"""A small in-memory stand-in for the vendor, for unit tests through httpx.MockTransport.

It issues and checks tokens the way the vendor's conventions say, counts calls per path, and
can be told to delay or fail. The stateful sandbox of issue #4 is the real-HTTP counterpart.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from partner_api import AsyncPartnerClient, PartnerClient
from tests.sandbox.state import DEMO

Fault = Callable[[httpx.Request], httpx.Response | None]
# The committed spec's paths, which this fake answers itself; a larger spec's other operations
# are answered from their examples.
_IMPLEMENTED = ("/v1/auth/", "/v1/users/", "/v1/products", "/v1/accounts/", "/v1/transfers")


@dataclass
class FakeVendor:
    app_key: str = DEMO.app_key
    private_key: str = DEMO.private_key
    access_lifetime: int = 900
    refresh_lifetime: int = 86400
    user_lifetime: int = 604800
    renewal_delay: float = 0.0
    valid: dict[str, set[str]] = field(
        default_factory=lambda: {"access": set(), "refresh": set(), "user": set()}
    )
    calls: Counter[str] = field(default_factory=Counter)
    seen: list[httpx.Request] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- test controls -------------------------------------------------------------------

    def issue(self, kind: str) -> str:
        with self._lock:
            token = f"{kind}-{next(self._numbers)}"
            self.valid[kind].add(token)
        return token

    def revoke(self, kind: str, token: str | None = None) -> None:
        with self._lock:
            if token is None:
                self.valid[kind].clear()
            else:
                self.valid[kind].discard(token)

    def fail_next(self, path: str, *faults: Fault) -> None:
        self.faults.setdefault(path, []).extend(faults)

    def paths(self) -> list[str]:
        return [request.url.path for request in self.seen]

    # ---- the API ---------------------------------------------------------------------------

    def _error(self, request: httpx.Request, status: int, code: str) -> httpx.Response:
        english = request.headers.get("x-language") == "en"
        messages = {
            "BAD_REQUEST": ("Permintaan tidak valid.", "The request is invalid."),
            "UNAUTHORIZED": ("Token tidak valid.", "The token is invalid."),
            "NOT_FOUND": ("Data tidak ditemukan.", "Not found."),
        }
        message = messages.get(code, ("Terjadi kesalahan.", "An error occurred."))[english]
        return httpx.Response(
            status,
            json={"code": code, "message": message, "requestId": request.headers.get("x-request-id", "")},
        )

    def _bearer(self, request: httpx.Request, kind: str) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.valid[kind]

    def _tokens(self, **pairs: int) -> dict[str, object]:
        body: dict[str, object] = {"tokenType": "Bearer"}
        for name, lifetime in pairs.items():
            body[name] = self.issue(name.removesuffix("Token"))
            body[name + "ExpiresIn" if name != "userToken" else "expiresIn"] = lifetime
        return body

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.calls[request.url.path] += 1
            # A copy: a replayed request is the same object with new headers.
            self.seen.append(
                httpx.Request(
                    request.method, request.url, headers=request.headers.copy(), content=request.content
                )
            )
            pending = self.faults.get(request.url.path)
            fault = pending.pop(0) if pending else None
        if fault is not None:
            response = fault(request)
            if response is not None:
                return response
        if request.headers.get("x-app-key") != self.app_key or not request.headers.get("x-request-id"):
            return self._error(request, 400, "BAD_REQUEST")
        path = request.url.path
        if path == "/v1/auth/token":
            if json.loads(request.content).get("privateKey") != self.private_key:
                return self._error(request, 401, "UNAUTHORIZED")
            body = self._tokens(accessToken=self.access_lifetime, refreshToken=self.refresh_lifetime)
            return httpx.Response(200, json=body)
        if path == "/v1/auth/access-token":
            if not self._bearer(request, "refresh"):
                return self._error(request, 401, "UNAUTHORIZED")
            return httpx.Response(
                200,
                json={
                    "tokenType": "Bearer",
                    "accessToken": self.issue("access"),
                    "expiresIn": self.access_lifetime,
                },
            )
        if path == "/v1/auth/refresh-token":
            if not self._bearer(request, "user"):
                return self._error(request, 401, "UNAUTHORIZED")
            return httpx.Response(
                200,
                json={
                    "tokenType": "Bearer",
                    "refreshToken": self.issue("refresh"),
                    "expiresIn": self.refresh_lifetime,
                },
            )
        if not self._bearer(request, "access"):
            return self._error(request, 401, "UNAUTHORIZED")
        if path == "/v1/users/login":
            body = {
                "userToken": self.issue("user"),
                "expiresIn": self.user_lifetime,
                "user": {"id": "u1", "name": "Siti"},
            }
            return httpx.Response(200, json=body)
        if path == "/v1/products":
            return httpx.Response(200, json={"items": [], "page": 1, "size": 20, "total": 0})
        if not path.startswith(_IMPLEMENTED):
            return self._from_spec(request)
        if request.headers.get("x-user-token") not in self.valid["user"]:
            return self._error(request, 401, "USER_TOKEN_REVOKED")  # the spec's code: log in again
        if path.startswith("/v1/accounts/"):
            account = path.rsplit("/", 1)[1]
            if account != "acc_001":
                return self._error(request, 404, "NOT_FOUND")
            body = {"id": account, "ownerId": "u1", "currency": "IDR", "balance": "10.00", "status": "active"}
            return httpx.Response(200, json=body)
        if path == "/v1/transfers":
            body = {**json.loads(request.content), "id": "trf_1", "currency": "IDR", "status": "pending"}
            return httpx.Response(201, json={**body, "createdAt": "2026-11-28T09:30:00Z"})
        return self._error(request, 404, "NOT_FOUND")

    def _from_spec(self, request: httpx.Request) -> httpx.Response:
        """An operation this fake does not implement (a larger spec's): its success example."""
        from partner_api._operations import CATALOG
        from tests._operations import load_spec, success_example

        operation = CATALOG.match_request(request.method, request.url.raw_path)
        if operation is None:
            return self._error(request, 404, "NOT_FOUND")
        if operation.user_token and request.headers.get("x-user-token") not in self.valid["user"]:
            return self._error(request, 401, "UNAUTHORIZED")
        status, body = success_example(load_spec(), operation.method, operation.path)
        return httpx.Response(status, json=body) if body is not None else httpx.Response(status)

    def _is_renewal(self, request: httpx.Request) -> bool:
        return request.url.path in ("/v1/auth/access-token", "/v1/auth/refresh-token", "/v1/auth/token")

    def sync_handler(self, request: httpx.Request) -> httpx.Response:
        if self.renewal_delay and self._is_renewal(request):
            time.sleep(self.renewal_delay)
        return self.handle(request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        if self.renewal_delay and self._is_renewal(request):
            await asyncio.sleep(self.renewal_delay)
        return self.handle(request)

    def http_client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.sync_handler))

    def async_http_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.async_handler))

    def sync_client(self, **options: Any) -> PartnerClient:
        """A PartnerClient talking to this fake vendor."""
        return PartnerClient(
            app_key=self.app_key, base_url="https://api.test", http_client=self.http_client(), **options
        )

    def async_client(self, **options: Any) -> AsyncPartnerClient:
        """An AsyncPartnerClient talking to this fake vendor."""
        return AsyncPartnerClient(
            app_key=self.app_key, base_url="https://api.test", http_client=self.async_http_client(), **options
        )


def status(code: int, headers: dict[str, str] | None = None) -> Fault:
    """A fault: answer with this status (and headers) instead of the real answer."""

    def fault(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            code, headers=headers, json={"code": f"E{code}", "message": "x", "requestId": ""}
        )

    return fault


def raises(error: type[httpx.TransportError]) -> Fault:
    def fault(request: httpx.Request) -> httpx.Response:
        raise error("simulated", request=request)

    return fault
