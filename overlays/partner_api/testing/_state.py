"""The sandbox's state, shared by the server thread and the test that controls it.

Every token the sandbox issues belongs to a *family*: the tokens descended, renewal after
renewal, from one grant. The grants are the first tokens (``obtainTokens``) and, when access
tokens are user-scoped, each user's login (the user's own chain starts there); a login with a
client-scoped access token joins that token's family. With refresh-token rotation on
(RFC 9700 section 4.14.2), renewing the access token also replaces the refresh token, and a
replaced refresh token presented again revokes its whole family: access, refresh and user tokens.

Token scopes say which tokens are bound to an end user. The user token always is; access and
refresh tokens are the client's in the default model, or each user's (``token_scopes``). A token
bound to one user is refused (401 ``TOKEN_USER_MISMATCH``) next to another user's token, and a
user's data is served only with that user's token (404 otherwise, as the vendor does not say
whether another user's account exists).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from partner_api import ConfigurationError

TokenKind = Literal["access", "refresh", "user"]
TokenScope = Literal["client", "user"]
TOKEN_KINDS: Final[tuple[TokenKind, ...]] = ("access", "refresh", "user")
# The two models the vendor may follow (issue 10): the default keeps access and refresh tokens
# with the client system; PER_USER gives every end user a chain of their own.
PER_CLIENT: Final[Mapping[TokenKind, TokenScope]] = {"access": "client", "refresh": "client", "user": "user"}
PER_USER: Final[Mapping[TokenKind, TokenScope]] = {"access": "user", "refresh": "user", "user": "user"}
# What a caller may pass: one of the models above, or the spec's x-partner-token-scopes mapping.
Scopes = Mapping[TokenKind, TokenScope] | Mapping[str, str]


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
    kind: TokenKind
    app_key: str
    user_id: str | None
    """The end user the token is bound to; None for a client-scoped token."""
    expires_at: float
    family: str
    revoked: bool = False
    retired: bool = False
    """Replaced by rotation: presenting it again is a reuse."""


@dataclass(frozen=True)
class User:
    """An end user the sandbox knows: log in with ``username`` and ``password``."""

    username: str
    password: str = field(repr=False)
    user_id: str
    name: str
    accounts: tuple[str, ...]
    """The ids of the accounts this user owns (``getAccount``, ``createTransfer``)."""


@dataclass
class Account:
    owner: str
    balance: str


def _default_users() -> dict[str, User]:
    return {DEMO.username: User(DEMO.username, DEMO.password, "usr_01", "Siti Rahma", ("acc_001",))}


def _default_accounts() -> dict[str, Account]:
    # acc_002 belongs to a customer no test logs in as: "another user's account".
    return {"acc_001": Account("usr_01", "1500000.00"), "acc_002": Account("usr_02", "250000.00")}


def as_kind(kind: str) -> TokenKind:
    """``kind`` as a token kind, or a ConfigurationError naming the kinds."""
    for known in TOKEN_KINDS:
        if kind == known:
            return known
    raise ConfigurationError(f"kind must be one of {', '.join(TOKEN_KINDS)}, not {kind!r}")


def _check_scopes(scopes: Scopes) -> dict[TokenKind, TokenScope]:
    if set(scopes) != set(TOKEN_KINDS) or not set(scopes.values()) <= {"client", "user"}:
        raise ConfigurationError(
            f"token scopes must map each of access, refresh, user to 'client' or 'user', not {dict(scopes)}"
        )
    if scopes["user"] != "user":
        raise ConfigurationError("the user token identifies an end user: its scope must be 'user'")
    checked: dict[TokenKind, TokenScope] = {}
    for kind in TOKEN_KINDS:
        checked[kind] = "user" if scopes[kind] == "user" else "client"
    return checked


@dataclass
class Sandbox:
    """Everything the sandbox knows; every method is safe to call from the test's thread."""

    lifetimes: dict[str, float] = field(
        default_factory=lambda: {"access": 900, "refresh": 86400, "user": 604800}
    )
    clients: dict[str, str] = field(default_factory=lambda: {DEMO.app_key: DEMO.private_key})
    users: dict[str, User] = field(default_factory=_default_users)
    accounts: dict[str, Account] = field(default_factory=_default_accounts)
    tokens: dict[str, Issued] = field(default_factory=dict)
    request_ids: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)
    user_calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Calls per (operation, user id), for the calls the sandbox could attribute to a user."""
    faults: dict[str, deque[Fault]] = field(default_factory=dict)
    rotate_refresh_tokens: bool = False
    token_scopes: dict[TokenKind, TokenScope] = field(default_factory=lambda: dict(PER_CLIENT))
    reuses: int = 0
    """How many times a replaced refresh token came back (each revoked a family)."""
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # ---- control, from tests -------------------------------------------------------------

    def set_lifetime(self, kind: str, seconds: float) -> None:
        with self._lock:
            self.lifetimes[kind] = seconds

    def set_token_scopes(self, scopes: Scopes) -> None:
        checked = _check_scopes(scopes)
        with self._lock:
            self.token_scopes = checked

    def set_rotation(self, rotate: bool) -> None:
        with self._lock:
            self.rotate_refresh_tokens = rotate

    def add_user(
        self,
        username: str,
        password: str,
        *,
        name: str | None = None,
        balances: tuple[str, ...] = ("1000000.00",),
    ) -> User:
        """A new end user, owning one account per balance."""
        if not username or not password:
            raise ConfigurationError("add_user needs a non-empty username and password")
        with self._lock:
            if username in self.users:
                raise ConfigurationError(f"the sandbox already has a user {username!r}")
            number = len(self.users) + 2  # usr_02 is the owner of acc_002, who never logs in
            user_id = f"usr_{number:02d}"
            accounts = tuple(f"acc_{number:03d}{index}" for index in range(1, len(balances) + 1))
            for account_id, balance in zip(accounts, balances, strict=True):
                self.accounts[account_id] = Account(user_id, balance)
            user = User(username, password, user_id, name or username, accounts)
            self.users[username] = user
            return user

    def user(self, username: str) -> User:
        with self._lock:
            found = self.users.get(username)
        if found is None:
            raise ConfigurationError(f"the sandbox has no user {username!r}: add_user() first")
        return found

    def _matching(self, name: str, username: str | None) -> list[Issued]:
        kind = as_kind(name)
        if username is None:
            return [issued for issued in self.tokens.values() if issued.kind == kind]
        if self.token_scopes[kind] == "client":
            raise ConfigurationError(
                f"{kind} tokens belong to the client in this token-scope model: leave out user="
            )
        user_id = self.user(username).user_id
        return [
            issued for issued in self.tokens.values() if issued.kind == kind and issued.user_id == user_id
        ]

    def expire(self, kind: str, user: str | None = None) -> None:
        """Every token of ``kind`` (of ``user``'s, if given) expires now (the client may not know)."""
        with self._lock:
            for issued in self._matching(kind, user):
                issued.expires_at = min(issued.expires_at, time.monotonic())

    def revoke(self, kind: str, user: str | None = None) -> None:
        """Every token of ``kind`` (of ``user``'s, if given) is revoked now."""
        with self._lock:
            for issued in self._matching(kind, user):
                issued.revoked = True

    def fail(self, operation: str, fault: Fault, times: int = 1) -> None:
        with self._lock:
            self.faults.setdefault(operation, deque()).extend([fault] * times)

    def count(self, operation: str, user: str | None = None) -> int:
        with self._lock:
            if user is None:
                return self.calls[operation]
            return self.user_calls[(operation, self.user(user).user_id)]

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
                "user_calls",
                "faults",
                "rotate_refresh_tokens",
                "token_scopes",
                "reuses",
            ):
                setattr(self, name, getattr(fresh, name))

    # ---- used by the server ----------------------------------------------------------------

    def record_call(self, operation: str, user_id: str | None = None) -> Fault | None:
        with self._lock:
            self.calls[operation] += 1
            if user_id is not None:
                self.user_calls[(operation, user_id)] += 1
            pending = self.faults.get(operation)
            return pending.popleft() if pending else None

    def attribute(self, operation: str, user_id: str) -> None:
        """Count a call for a user the server identified only inside the route (a login)."""
        with self._lock:
            self.user_calls[(operation, user_id)] += 1

    def user_of_token(self, token: str | None) -> str | None:
        """The user a token (valid or not) is bound to, for counting calls per user."""
        with self._lock:
            issued = self.tokens.get(token or "")
            return issued.user_id if issued else None

    def first_use_of(self, request_id: str) -> bool:
        with self._lock:
            if request_id in self.request_ids:
                return False
            self.request_ids.add(request_id)
            return True

    def issue(
        self, kind: TokenKind, app_key: str, user_id: str | None = None, family: str | None = None
    ) -> tuple[str, int]:
        with self._lock:
            lifetime = self.lifetimes[kind]
            token = f"{kind[:1]}t_{secrets.token_urlsafe(12)}"
            self.tokens[token] = Issued(
                kind, app_key, user_id, time.monotonic() + lifetime, family or secrets.token_hex(6)
            )
            return token, max(1, int(lifetime))  # whole seconds (the spec says integer), at least 1

    def obtain(self, app_key: str) -> tuple[str, int, str, int]:
        """The first access and refresh tokens: a new family, bound to no user."""
        family = secrets.token_hex(6)
        access, access_in = self.issue("access", app_key, None, family)
        refresh, refresh_in = self.issue("refresh", app_key, None, family)
        return access, access_in, refresh, refresh_in

    def issue_derived(self, kind: TokenKind, bearer: Issued) -> tuple[str, int]:
        """A token obtained on the strength of ``bearer``: its family, and its user if ``kind``
        is user-scoped."""
        with self._lock:
            user_id = bearer.user_id if self.token_scopes[kind] == "user" else None
            return self.issue(kind, bearer.app_key, user_id, bearer.family)

    def login(self, access: Issued, user: User) -> tuple[str, int]:
        """The user token of a login made with ``access``."""
        with self._lock:
            own_chain = self.token_scopes["access"] == "user"
            return self.issue("user", access.app_key, user.user_id, None if own_chain else access.family)

    def renew_access(self, refresh_token: str, refresh: Issued) -> tuple[str, int, str, int]:
        """A new access token, and the refresh token to use next: a new one that retires the
        presented one under rotation, else the presented one with its remaining lifetime."""
        with self._lock:
            access, access_in = self.issue_derived("access", refresh)
            if not self.rotate_refresh_tokens:
                remaining = max(1, int(refresh.expires_at - time.monotonic()))
                return access, access_in, refresh_token, remaining
            refresh.retired = True
            new_refresh, refresh_in = self.issue_derived("refresh", refresh)
            return access, access_in, new_refresh, refresh_in

    def check(self, token: str | None, kind: str, app_key: str) -> tuple[Issued | None, str]:
        """The token's record if it is a valid ``kind`` token of this client, else why not."""
        with self._lock:
            issued = self.tokens.get(token or "")
            if issued is None or issued.app_key != app_key:
                return None, "TOKEN_INVALID"
            if issued.kind != kind:
                return None, "TOKEN_WRONG_KIND"
            if issued.retired and not issued.revoked:
                # Reuse of a replaced refresh token: someone holds a stolen or stale copy.
                self.reuses += 1
                for member in self.tokens.values():
                    if member.family == issued.family:
                        member.revoked = True
            if issued.revoked:
                return None, "TOKEN_REVOKED"
            if time.monotonic() >= issued.expires_at:
                return None, "TOKEN_EXPIRED"
            return issued, ""
