"""The sandbox's state, shared by the server thread and the test that controls it."""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Final

TOKEN_KINDS: Final = ("access", "refresh", "user")


@dataclass(frozen=True)
class Credentials:
    app_key: str
    private_key: str
    username: str
    password: str


# Known to the sandbox from the start; the demo and the tests use them.
DEMO: Final = Credentials(
    app_key="sandbox-app-key",
    private_key="sandbox-private-key",
    username="siti.rahma",
    password="sandbox-password",
)


@dataclass
class Fault:
    """What the next request to an operation meets instead of (or before) its answer."""

    delay: float = 0.0
    status: int | None = None
    retry_after: str | None = None
    drop: bool = False
    """Start answering, then drop the connection mid-body."""


@dataclass
class Issued:
    kind: str
    app_key: str
    user_id: str | None
    expires_at: float
    revoked: bool = False


@dataclass
class Account:
    owner: str
    balance: str


@dataclass
class Sandbox:
    """Everything the sandbox knows; every method is safe to call from the test's thread."""

    lifetimes: dict[str, float] = field(
        default_factory=lambda: {"access": 900, "refresh": 86400, "user": 604800}
    )
    clients: dict[str, str] = field(default_factory=lambda: {DEMO.app_key: DEMO.private_key})
    users: dict[str, tuple[str, str, str]] = field(
        default_factory=lambda: {DEMO.username: ("usr_01", "Siti Rahma", DEMO.password)}
    )
    accounts: dict[str, Account] = field(
        default_factory=lambda: {
            "acc_001": Account("usr_01", "1500000.00"),
            "acc_002": Account("usr_02", "250000.00"),
        }
    )
    tokens: dict[str, Issued] = field(default_factory=dict)
    request_ids: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)
    faults: dict[str, deque[Fault]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # ---- control, from tests -------------------------------------------------------------

    def set_lifetime(self, kind: str, seconds: float) -> None:
        with self._lock:
            self.lifetimes[kind] = seconds

    def expire(self, kind: str) -> None:
        """Every token of ``kind`` expires now (the client may not know yet)."""
        with self._lock:
            for issued in self.tokens.values():
                if issued.kind == kind:
                    issued.expires_at = min(issued.expires_at, time.monotonic())

    def revoke(self, kind: str) -> None:
        with self._lock:
            for issued in self.tokens.values():
                if issued.kind == kind:
                    issued.revoked = True

    def fail(self, operation: str, fault: Fault, times: int = 1) -> None:
        with self._lock:
            self.faults.setdefault(operation, deque()).extend([fault] * times)

    def count(self, operation: str) -> int:
        with self._lock:
            return self.calls[operation]

    def reset(self) -> None:
        fresh = Sandbox()
        with self._lock:
            for name in (
                "lifetimes",
                "clients",
                "users",
                "accounts",
                "tokens",
                "request_ids",
                "calls",
                "faults",
            ):
                setattr(self, name, getattr(fresh, name))

    # ---- used by the server ----------------------------------------------------------------

    def record_call(self, operation: str) -> Fault | None:
        with self._lock:
            self.calls[operation] += 1
            pending = self.faults.get(operation)
            return pending.popleft() if pending else None

    def first_use_of(self, request_id: str) -> bool:
        with self._lock:
            if request_id in self.request_ids:
                return False
            self.request_ids.add(request_id)
            return True

    def issue(self, kind: str, app_key: str, user_id: str | None = None) -> tuple[str, int]:
        with self._lock:
            lifetime = self.lifetimes[kind]
            token = f"{kind[:1]}t_{secrets.token_urlsafe(12)}"
            self.tokens[token] = Issued(kind, app_key, user_id, time.monotonic() + lifetime)
            return token, max(1, int(lifetime))  # whole seconds (the spec says integer), at least 1

    def check(self, token: str | None, kind: str, app_key: str) -> tuple[Issued | None, str]:
        """The token's record if it is a valid ``kind`` token of this client, else why not."""
        with self._lock:
            issued = self.tokens.get(token or "")
            if issued is None or issued.app_key != app_key:
                return None, "TOKEN_INVALID"
            if issued.kind != kind:
                return None, "TOKEN_WRONG_KIND"
            if issued.revoked:
                return None, "TOKEN_REVOKED"
            if time.monotonic() >= issued.expires_at:
                return None, "TOKEN_EXPIRED"
            return issued, ""
