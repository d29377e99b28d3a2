"""``PartnerSandbox``: the running sandbox as an integrator's test sees it (the ``partner_sandbox``
fixture yields one): where it is, the demo credentials, clients configured for it, and the
controls (users, expiry, revocation, faults, counters) named after the spec's operations."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from types import TracebackType
from typing import Any, Final, Literal

import httpx

# The public names only: the kit uses the client as integrators do.
from partner_api import AsyncPartnerClient, ConfigurationError, PartnerClient
from partner_api.testing._server import SandboxServer
from partner_api.testing._state import DEMO, PER_CLIENT, PER_USER, Fault, Sandbox, Scopes, User, as_kind
from partner_api_client._manifest import OPERATIONS

OPERATION_IDS: Final = frozenset(str(entry["operation_id"]) for entry in OPERATIONS)
NO_IDLE_CONNECTIONS: Final = httpx.Limits(max_keepalive_connections=0)
TOKEN_SCOPE_MODELS: Final[Mapping[str, Scopes]] = {"per-client": PER_CLIENT, "per-user": PER_USER}


def _operation(operation_id: str) -> str:
    if operation_id not in OPERATION_IDS:
        raise ConfigurationError(
            f"{operation_id!r} is not an operation of the spec; use one of {', '.join(sorted(OPERATION_IDS))}"
        )
    return operation_id


def _times(times: int) -> int:
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise ConfigurationError(f"times must be a positive int, not {times!r}")
    return times


def _close_outside_a_loop(aclose: Callable[[], Coroutine[Any, Any, None]]) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return  # called from a running loop, which cannot wait here: the caller's `async with` closes it
    try:
        asyncio.run(aclose())
    except RuntimeError:
        return  # bound to an event loop that is gone; its connections went with it


class PartnerSandbox:
    """The vendor's stand-in, served on a free loopback port, and its controls.

    Build one with ``PartnerSandbox.start()`` (stop it with ``close()`` or a ``with`` block), or
    take the ``partner_sandbox`` pytest fixture. Clients made by ``client()`` and
    ``async_client()`` point at it with the demo app key and private key, and are closed by
    ``close()``; the demo user is ``username`` / ``password``.
    """

    app_key: Final = DEMO.app_key
    private_key: Final = DEMO.private_key
    username: Final = DEMO.username
    """The demo end user, who owns account ``acc_001``."""
    password: Final = DEMO.password

    def __init__(self, server: SandboxServer, *, owns_server: bool = False) -> None:
        self.server = server
        self._owns_server = owns_server
        self._clients: list[PartnerClient] = []
        self._async_clients: list[AsyncPartnerClient] = []
        self._transports: list[httpx.AsyncHTTPTransport] = []

    @classmethod
    def start(
        cls,
        *,
        rotate_refresh_tokens: bool = False,
        token_scopes: str | Scopes = "per-client",
    ) -> PartnerSandbox:
        """A new sandbox on its own free loopback port (the caller stops it with ``close()``)."""
        sandbox = cls(SandboxServer(Sandbox()).start(), owns_server=True)
        sandbox.configure(rotate_refresh_tokens=rotate_refresh_tokens, token_scopes=token_scopes)
        return sandbox

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>``."""
        return self.server.url

    @property
    def state(self) -> Sandbox:
        """Everything the sandbox knows, for controls this class does not name."""
        return self.server.state

    # ---- clients ---------------------------------------------------------------------------

    def _options(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"app_key": self.app_key, "private_key": self.private_key, "base_url": self.url, **options}

    def client(self, **options: Any) -> PartnerClient:
        """A ``PartnerClient`` for this sandbox; ``options`` are its constructor's, and override."""
        client = PartnerClient(**self._options(options))
        self._clients.append(client)
        return client

    def async_client(self, **options: Any) -> AsyncPartnerClient:
        """An ``AsyncPartnerClient`` for this sandbox; ``options`` are its constructor's.

        Unless ``transport`` or ``http_client`` is given, it keeps no idle connection: a test
        that leaves it open (its event loop gone, nothing can close it there) leaks no socket."""
        if "transport" not in options and "http_client" not in options:
            transport = httpx.AsyncHTTPTransport(limits=NO_IDLE_CONNECTIONS)
            self._transports.append(transport)
            options["transport"] = transport
        client = AsyncPartnerClient(**self._options(options))
        self._async_clients.append(client)
        return client

    # ---- the vendor's side -----------------------------------------------------------------

    def configure(
        self,
        *,
        rotate_refresh_tokens: bool | None = None,
        token_scopes: str | Scopes | None = None,
        lifetimes: Mapping[str, float] | None = None,
    ) -> None:
        """Refresh-token rotation with reuse detection on or off; the token-scope model
        (``"per-client"``, ``"per-user"`` or the spec's ``x-partner-token-scopes`` mapping);
        token lifetimes in seconds per kind."""
        if rotate_refresh_tokens is not None:
            self.state.set_rotation(bool(rotate_refresh_tokens))
        if isinstance(token_scopes, str):
            if token_scopes not in TOKEN_SCOPE_MODELS:
                raise ConfigurationError(
                    f"token_scopes {token_scopes!r} is not a model: use per-client, per-user or a mapping"
                )
            token_scopes = TOKEN_SCOPE_MODELS[token_scopes]
        if token_scopes is not None:
            self.state.set_token_scopes(token_scopes)
        for kind, seconds in (lifetimes or {}).items():
            self.state.set_lifetime(as_kind(kind), float(seconds))

    def add_user(
        self,
        username: str,
        password: str,
        *,
        name: str | None = None,
        balances: tuple[str, ...] = ("1000000.00",),
    ) -> User:
        """A new end user who can log in, owning one account per balance (``User.accounts``)."""
        return self.state.add_user(username, password, name=name, balances=balances)

    def expire(self, kind: Literal["access", "refresh", "user"], user: str | None = None) -> None:
        """Every ``kind`` token (of ``user``'s only, for a user-scoped kind) expires now; the
        client learns it from the next 401 ``TOKEN_EXPIRED``."""
        self.state.expire(kind, user)

    def revoke(self, kind: Literal["access", "refresh", "user"], user: str | None = None) -> None:
        """Every ``kind`` token (of ``user``'s only, for a user-scoped kind) is revoked now."""
        self.state.revoke(kind, user)

    def calls(self, operation_id: str, user: str | None = None) -> int:
        """Requests the sandbox received for ``operation_id`` (all, or those of ``user``'s
        tokens), faults and refusals included."""
        return self.state.count(_operation(operation_id), user)

    @property
    def reuses(self) -> int:
        """How many times a replaced refresh token came back (each revoked its family)."""
        return self.state.reuses

    # ---- faults ------------------------------------------------------------------------------

    def fail(
        self, operation_id: str, status: int = 503, *, retry_after: float | str | None = None, times: int = 1
    ) -> None:
        """The next ``times`` requests for ``operation_id`` get ``status`` (a 5xx or 429, with
        the vendor's error body), with a ``Retry-After`` header if given (seconds or an HTTP date)."""
        if not isinstance(status, int) or not (status == 429 or 500 <= status <= 599):
            raise ConfigurationError(f"status must be 429 or a 5xx, not {status!r}")
        header = None if retry_after is None else str(retry_after)
        self.state.fail(_operation(operation_id), Fault(status=status, retry_after=header), _times(times))

    def delay(self, operation_id: str, seconds: float, *, times: int = 1) -> None:
        """The next ``times`` requests for ``operation_id`` are answered ``seconds`` late."""
        if not isinstance(seconds, int | float) or seconds < 0:
            raise ConfigurationError(f"seconds must be a number >= 0, not {seconds!r}")
        self.state.fail(_operation(operation_id), Fault(delay=float(seconds)), _times(times))

    def drop(self, operation_id: str, *, times: int = 1) -> None:
        """The next ``times`` requests for ``operation_id`` get the start of a 200 answer, then
        the connection drops mid-body: the client cannot tell whether the vendor acted (the
        sandbox did not), so it must not repeat a request that is not idempotent."""
        self.state.fail(_operation(operation_id), Fault(drop=True), _times(times))

    # ---- lifecycle ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the start: the demo user only, no tokens, no faults, counters at zero."""
        self.state.reset()

    def close(self) -> None:
        """Close the clients made here, and stop the server if this object started it."""
        clients, self._clients = self._clients, []
        for client in clients:
            client.close()
        async_clients, self._async_clients = self._async_clients, []
        transports, self._transports = self._transports, []
        for async_client in async_clients:
            _close_outside_a_loop(async_client.aclose)
        for transport in transports:  # given to the clients, which never close what they are given
            _close_outside_a_loop(transport.aclose)
        if self._owns_server:
            self.server.stop()

    def __enter__(self) -> PartnerSandbox:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PartnerSandbox(url={self.url!r})"
