"""``PartnerClient`` and ``AsyncPartnerClient``: what users construct and pass to generated functions.

``PartnerClient`` subclasses the generated ``SyncAPIClient`` and ``AsyncPartnerClient`` the
generated ``AsyncAPIClient``, so mypy accepts each with its own flavour of generated function
and refuses the other; they hand the generated code an httpx client whose auth, transport and
options are ours.

What lives where:

- per process, ``_Runtime``: the configuration, the connection pool (``Wire``), the catalog,
  and the book of client-scoped tokens with its renewer (one client identity per app key);
- per session, a ``TokenBook`` of user-scoped tokens with its own renewer: the root client has
  one, and ``for_user(key)`` makes (or finds) the one for ``key``;
- per client object, a ``Keyring`` (the two books), and its options (``with_options``).

A base class owns everything; the two subclasses only do I/O (sync or async).
"""

from __future__ import annotations

import copy
import functools
import http.cookiejar
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, NoReturn, Self, Unpack

import httpx

from partner_api import _security
from partner_api._auth import Context, PartnerAuth, RequestOptions
from partner_api._body import DEFAULT_MAX_RESPONSE_BYTES
from partner_api._config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    Config,
    Language,
    _NotGiven,
    budget,
    check_callback,
    check_language,
    check_max_retries,
    check_timeout,
    check_tokens,
    configure,
)
from partner_api._deadline import bind_given
from partner_api._env import ClientOptions, arguments_from_env
from partner_api._errors import APIConnectionError, APITimeoutError, ClientClosedError, ConfigurationError
from partner_api._headers import check_header_value
from partner_api._keyring import Keyring, Notifier, TokenBook, split_kinds
from partner_api._operations import CATALOG, TOKEN_SCOPES
from partner_api._parsing import ParsingClient
from partner_api._renewal import AsyncRenewer, Renewal, Send, SyncRenewer
from partner_api._retry import REPEATABLE_EXTENSION, RetryPolicy, RetryTransport
from partner_api._tokens import Held, Tokens
from partner_api._transports import async_transport, sync_transport
from partner_api._wire import (
    DEADLINE_EXTENSION,
    OPERATION_EXTENSION,
    Borrowed,
    ThroughAsyncClient,
    ThroughClient,
    Wire,
)
from partner_api.stores import StoreKey, TokenStore, namespace_for
from partner_api_client._stamp import __version__
from partner_api_client.client import AsyncAPIClient, SyncAPIClient

__all__ = ["DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "NOT_GIVEN", "AsyncPartnerClient", "PartnerClient"]

USER_AGENT: Final = f"partner-api-python/{__version__}"
ROOT_SESSION: Final = "root"
_NO_TOKENS: Final = Held.from_tokens(Tokens())  # immutable: every new empty session shares it


@dataclass(frozen=True, slots=True)
class _Settings:
    """A client's own settings; ``with_options`` copies them with changes."""

    request: RequestOptions
    timeout: httpx.Timeout
    max_retries: int


class _Runtime:
    """Per process: what a root client shares with every client and session derived from it."""

    __slots__ = (
        "__weakref__",
        "client_kinds",
        "config",
        "context",
        "identity",
        "namespace",
        "notifier",
        "sessions",
        "user_kinds",
        "wire",
    )

    def __init__(self, config: Config, wire: Wire) -> None:
        self.config = config
        self.wire = wire
        self.context = Context(
            config.app_key, config.base_url, CATALOG, Renewal(CATALOG, config.private_key, config.language)
        )
        self.client_kinds, self.user_kinds = split_kinds(TOKEN_SCOPES)
        self.notifier = Notifier(config.on_tokens_changed)
        # Keys in the token store: one namespace per app key and base URL, then per session.
        self.namespace = namespace_for(config.app_key, str(config.base_url))
        # The client identity: its tokens are the client-scoped kinds, for every session.
        self.identity = TokenBook(
            Held.from_tokens(config.tokens), self.client_kinds, None, StoreKey.client(self.namespace)
        )
        # Live sessions by key: asking twice for one user gives the same tokens and renewer.
        self.sessions: weakref.WeakValueDictionary[str, TokenBook] = weakref.WeakValueDictionary()

    @property
    def store(self) -> TokenStore:
        return self.config.token_store

    def store_key(self, key: str | None) -> StoreKey:
        # The root client's own session has a key of its own, shared by processes alike.
        return StoreKey(self.namespace, ROOT_SESSION) if key is None else StoreKey.user(self.namespace, key)

    def __repr__(self) -> str:
        return f"_Runtime(base_url={str(self.config.base_url)!r}, sessions={len(self.sessions)})"


def _renewal_request(runtime: _Runtime, step: Send, deadline: float | None) -> httpx.Request:
    """A request the client makes for itself to renew a token, bounded by the caller's deadline."""
    config = runtime.config
    headers = {
        "user-agent": USER_AGENT,
        "accept": step.operation.accept,
        "x-app-key": config.app_key,
        "x-language": config.language,
    }
    if step.bearer is not None:
        headers["authorization"] = f"Bearer {step.bearer}"
    if step.body is not None:
        headers["content-type"] = step.body.content_type
    extensions: dict[str, Any] = {
        "timeout": config.timeout.as_dict(),
        REPEATABLE_EXTENSION: True,
        OPERATION_EXTENSION: step.operation.operation_id,
    }
    if deadline is not None:
        extensions[DEADLINE_EXTENSION] = deadline
    return httpx.Request(
        step.operation.method,
        str(config.base_url).rstrip("/") + step.operation.path,
        headers=headers,
        content=None if step.body is None else step.body.content,
        extensions=extensions,
    )


def _translate(error: Exception, request: httpx.Request, closed: bool) -> Exception | None:
    """The PartnerAPIError for what httpx raised outside our transports, if it is one of those."""
    request_id = request.headers.get("x-request-id")
    where = f"{request.method} {request.url.path}" + (f" (x-request-id {request_id})" if request_id else "")
    if type(error) is RuntimeError:
        if closed or "client has been closed" in str(error):
            return ClientClosedError(f"{where}: the client is closed")
        # httpx and httpcore raise plain RuntimeErrors for an event loop mix-up.
        return APIConnectionError(f"{where}: {error}", request=request)
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"{where}: {type(error).__name__}", request=request)
    if isinstance(error, httpx.HTTPError):
        # Redirect handling (too many, a bad Location) and decoding happen outside the transport.
        return APIConnectionError(f"{where}: {type(error).__name__}: {error}", request=request)
    return None


class _HTTPClient(httpx.Client):
    """The httpx client handed to generated code: what httpx raises becomes a PartnerAPIError."""

    _partner_context: Context

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        try:
            return super().send(request, **kwargs)
        except (RuntimeError, httpx.HTTPError) as error:
            typed = _translate(error, request, self._partner_context.closed)
            if typed is None:  # pragma: no cover (every case above returns)
                raise
            raise typed from error


class _AsyncHTTPClient(httpx.AsyncClient):
    _partner_context: Context

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        try:
            return await super().send(request, **kwargs)
        except (RuntimeError, httpx.HTTPError) as error:
            typed = _translate(error, request, self._partner_context.closed)
            if typed is None:  # pragma: no cover
                raise
            raise typed from error


class _PartnerClientBase(ParsingClient):
    _http: httpx.Client | httpx.AsyncClient | None
    _runtime: _Runtime
    _keyring: Keyring
    _settings: _Settings
    _owns_transport: bool
    _template: _PartnerClientBase | None
    _awaits_callbacks = False

    def __init__(
        self,
        *,
        app_key: str,
        private_key: str | None = None,
        environment: str | None = None,
        base_url: str | httpx.URL | None = None,
        language: Language = "id",
        tokens: Tokens | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        on_tokens_changed: Callable[[Tokens], Any] | None = None,
        http_client: httpx.Client | httpx.AsyncClient | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        follow_redirects: bool = False,
        allow_insecure_http: bool = False,
        raise_for_status: bool = True,
        token_store: object = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        trust_env: bool = True,
    ) -> None:
        """Configure a client; it sends nothing until the first call.

        Args:
            app_key: The app key the vendor issued (sent as ``x-app-key`` on every request).
            private_key: The private key; with it, the client obtains its first tokens itself.
            environment: A server named in the spec (``staging``, ``production``); or pass
                ``base_url``, not both.
            base_url: The API's base URL: ``https://``, or ``http://`` to a loopback host.
            language: ``"id"`` (default) or ``"en"``: the language of the vendor's messages.
            tokens: Tokens to start from, e.g. as saved by ``on_tokens_changed`` last time.
            timeout: Seconds, or an ``httpx.Timeout`` with every part set (default 30 s, 5 s to
                connect). ``None`` is refused: it would wait forever. Its longest part bounds
                the whole call, retries and renewals included.
            max_retries: Retries of a transient failure, 0 to 10 (default 2).
            on_tokens_changed: Called with every new ``Tokens`` after they are stored and before
                any request uses them: persist them there. A coroutine function on
                ``AsyncPartnerClient``.
            http_client: Your own ``httpx.Client`` (``httpx.AsyncClient`` for the async client),
                whose proxies, TLS settings and event hooks apply; the client never closes it.
            transport: An httpx transport instead (not with ``http_client``).
            follow_redirects: Follow redirects (default off); credentials never go to another
                origin.
            allow_insecure_http: Allow ``http://`` to a host that is not loopback (default off).
            raise_for_status: Raise the typed error for a non-2xx answer (default on); off, the
                ``*_detailed`` functions return the parsed error instead.
            token_store: Where tokens live between processes and hosts (a
                ``partner_api.stores.TokenStore``); default: this process's memory.
            max_response_bytes: The most a response body may hold once decompressed (default
                32 MiB); a larger one raises ``ResponseTooLargeError``.
            trust_env: Honour ``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY`` and ``SSL_CERT_FILE`` as
                httpx does (default on).

        Raises:
            ConfigurationError: An option is missing, of the wrong type or out of range.
            InvalidHeaderValue: A value cannot travel in an HTTP header.
        """
        # Here, not in configure(): the warning's stack level points at the caller's line.
        _security.warn_if_unverified(http_client if http_client is not None else transport)
        _security.never_index_credentials()
        config = configure(
            awaits_callbacks=self._awaits_callbacks,
            app_key=app_key,
            private_key=private_key,
            environment=environment,
            base_url=base_url,
            language=language,
            tokens=tokens,
            timeout=timeout,
            max_retries=max_retries,
            on_tokens_changed=on_tokens_changed,
            http_client=http_client,
            transport=transport,
            follow_redirects=follow_redirects,
            allow_insecure_http=allow_insecure_http,
            raise_for_status=raise_for_status,
            token_store=token_store,
            max_response_bytes=max_response_bytes,
            trust_env=trust_env,
        )
        given = config.http_client if config.http_client is not None else config.transport
        wire = Wire(
            self._inner_transport_factory(config.http_client, config.transport, config.trust_env),
            config.base_url,
            owned=config.owns_pool,
            deadline_aware=bind_given(given),
        )
        runtime = _Runtime(config, wire)
        sender = RetryTransport(
            Borrowed(wire),
            RetryPolicy(max_retries=config.max_retries, max_response_bytes=config.max_response_bytes),
        )
        self._renewer_factory = self._make_renewer_factory(runtime, sender)
        runtime.identity.renewer = self._renewer_factory(runtime.identity)
        session = self._new_book(runtime, Held.from_tokens(config.tokens), None)
        settings = _Settings(
            RequestOptions(config.language, None, config.raise_for_status, budget(config.timeout)),
            config.timeout,
            config.max_retries,
        )
        keyring = Keyring(runtime.identity, session, runtime.notifier, runtime.store)
        self._setup(runtime, keyring, settings, owns_transport=True, template=None)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Unpack[ClientOptions]) -> Self:
        """A client configured from the ``PARTNER_API_*`` environment variables.

        ``PARTNER_API_APP_KEY`` (required), ``PARTNER_API_PRIVATE_KEY``,
        ``PARTNER_API_BASE_URL`` or ``PARTNER_API_ENVIRONMENT``, ``PARTNER_API_LANGUAGE``,
        ``PARTNER_API_TIMEOUT`` (seconds) and ``PARTNER_API_MAX_RETRIES``; an empty variable
        counts as unset. ``options`` are the constructor's and win over the variables;
        ``environ`` replaces ``os.environ``.

        Raises:
            ConfigurationError: A variable is missing or cannot be read; the message names it.
        """
        return cls(**arguments_from_env(environ, options))

    def _new_book(self, runtime: _Runtime, held: Held, key: str | None) -> TokenBook:
        book = TokenBook(held, runtime.user_kinds, key, runtime.store_key(key))
        book.renewer = self._renewer_factory(book)
        return book

    def _setup(
        self,
        runtime: _Runtime,
        keyring: Keyring,
        settings: _Settings,
        *,
        owns_transport: bool,
        template: _PartnerClientBase | None,
    ) -> None:
        self._runtime = runtime
        self._http = None  # made on first use, by the subclass's get_*httpx_client
        self._keyring = keyring
        self._settings = settings
        self._owns_transport = owns_transport
        self._template = template

    def _derive(self, keyring: Keyring, settings: _Settings, template: _PartnerClientBase | None) -> Self:
        derived = type(self).__new__(type(self))
        derived._renewer_factory = self._renewer_factory
        derived._setup(self._runtime, keyring, settings, owns_transport=False, template=template)
        return derived

    def _inner_transport_factory(
        self, http_client: object, transport: object, trust_env: bool
    ) -> Callable[[], httpx.BaseTransport | httpx.AsyncBaseTransport]:
        raise NotImplementedError

    def _make_renewer_factory(
        self, runtime: _Runtime, sender: RetryTransport
    ) -> Callable[[TokenBook], SyncRenewer | AsyncRenewer]:
        raise NotImplementedError

    @property
    def tokens(self) -> Tokens:
        """The tokens held now for this client's session (they change as the client renews them)."""
        return self._keyring.held.tokens

    @property
    def language(self) -> Language:
        return self._settings.request.language  # type: ignore[return-value]

    @property
    def session_key(self) -> str | None:
        """The key given to ``for_user`` (None for the root client's own session)."""
        return self._keyring.session.key

    def for_user(
        self,
        key: str,
        *,
        tokens: Tokens | None = None,
        on_tokens_changed: Callable[[Tokens], Any] | _NotGiven | None = NOT_GIVEN,
    ) -> Self:
        """A client for one end user: same pool, options and client-scoped tokens, its own user's.

        Cheap (no pool, no httpx client of its own). Asking again for a ``key`` whose session is
        still in use gives that session's tokens; ``tokens`` then fills only the user-scoped
        tokens the session lacks (it never replaces a newer, rotated one). Client-scoped tokens
        in ``tokens`` are taken only where the client holds none. ``on_tokens_changed`` (this
        session's own, by default the client's) receives this session's tokens.
        """
        check_header_value(key, "the session key")
        runtime = self._runtime
        if runtime.context.closed:
            raise ClientClosedError("the client is closed: for_user() needs an open client")
        book = runtime.sessions.get(key)
        identity = runtime.identity
        if tokens is None:
            if book is None:
                book = runtime.sessions[key] = self._new_book(runtime, _NO_TOKENS, key)
        else:
            given = check_tokens(tokens)
            held = Held.from_tokens(given)
            if book is None:
                book = runtime.sessions[key] = self._new_book(runtime, held, key)
            else:
                book.adopt(held, frozenset(k for k in book.kinds if book.held.token(k) is None))
            identity.adopt(
                held,
                frozenset(
                    k for k in identity.kinds if identity.held.token(k) is None and given.token(k) is not None
                ),
            )
        notifier = runtime.notifier
        if not isinstance(on_tokens_changed, _NotGiven):
            check_callback(on_tokens_changed, awaits_callbacks=self._awaits_callbacks)
            notifier = Notifier(on_tokens_changed)
        keyring = Keyring(identity, book, notifier, runtime.store)
        return self._derive(keyring, self._settings, self if self._template is None else self._template)

    def with_options(
        self,
        *,
        language: Language | _NotGiven = NOT_GIVEN,
        timeout: float | httpx.Timeout | _NotGiven = NOT_GIVEN,
        request_id: str | _NotGiven | None = NOT_GIVEN,
        max_retries: int | _NotGiven = NOT_GIVEN,
        raise_for_status: bool | _NotGiven = NOT_GIVEN,
    ) -> Self:
        """A client with some options changed that shares this one's connections and tokens."""
        request = self._settings.request
        if not isinstance(language, _NotGiven):
            request = replace(request, language=check_language(language))
        if not isinstance(request_id, _NotGiven):
            checked = None if request_id is None else check_header_value(request_id, "request_id")
            request = replace(request, request_id=checked)
        if not isinstance(raise_for_status, _NotGiven):
            request = replace(request, raise_for_status=bool(raise_for_status))
        new_timeout = self._settings.timeout if isinstance(timeout, _NotGiven) else check_timeout(timeout)
        settings = _Settings(
            replace(request, budget=budget(new_timeout)),
            new_timeout,
            self._settings.max_retries
            if isinstance(max_retries, _NotGiven)
            else check_max_retries(max_retries),
        )
        if self._runtime.context.closed:
            raise ClientClosedError("the client is closed: with_options() needs an open client")
        return self._derive(self._keyring, settings, None)

    def with_timeout(self, timeout: httpx.Timeout) -> Self:
        return self.with_options(timeout=timeout)

    def with_headers(self, headers: dict[str, str]) -> NoReturn:
        raise ConfigurationError(
            "the client sets the convention headers itself; use with_options(language=..., request_id=...)"
        )

    def with_cookies(self, cookies: dict[str, str]) -> NoReturn:
        raise ConfigurationError("the Partner API takes no cookies")

    def _transport(self) -> RetryTransport:
        wire = self._runtime.wire
        inner: httpx.BaseTransport | httpx.AsyncBaseTransport = (
            wire if self._owns_transport else Borrowed(wire)
        )
        policy = RetryPolicy(
            max_retries=self._settings.max_retries, max_response_bytes=self._runtime.config.max_response_bytes
        )
        return RetryTransport(inner, policy)

    def _client_args(self) -> dict[str, Any]:
        return {
            "base_url": self._runtime.config.base_url,
            "timeout": self._settings.timeout,
            "follow_redirects": self._runtime.config.follow_redirects,
            "headers": {"user-agent": USER_AGENT},
            "cookies": self._cookie_jar(),
            "transport": self._transport(),
            "auth": self._auth(),
        }

    def _cookie_jar(self) -> http.cookiejar.CookieJar:
        """The cookie jar of one httpx client: never shared between sessions, and one that keeps
        nothing (the vendor's API takes no cookies; a flood of Set-Cookie must not grow it)."""
        return _security.NoCookies()

    def _auth(self) -> PartnerAuth:
        return PartnerAuth(self._runtime.context, self._keyring, self._settings.request)

    def _check_open(self) -> None:
        if self._runtime.context.closed:
            raise ClientClosedError(
                "the client is closed (or the client this one was derived from with with_options or "
                "for_user): build a new client"
            )

    def __repr__(self) -> str:
        session = "" if self.session_key is None else f", session={self.session_key!r}"
        return (
            f"{type(self).__name__}(base_url={str(self._runtime.config.base_url)!r}, "
            f"language={self.language!r}{session}, tokens={self.tokens!r})"
        )

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            f"{type(self).__name__} holds credentials and cannot be pickled; pickle client.tokens"
        )


class PartnerClient(_PartnerClientBase, SyncAPIClient):
    """The synchronous client: pass it as ``client=`` to the generated ``sync``/``sync_detailed``.

    ``with PartnerClient(...) as client:`` closes its connections at the end; so does ``close()``.
    """

    _http: httpx.Client | None

    def _inner_transport_factory(
        self, http_client: object, transport: object, trust_env: bool
    ) -> Callable[[], httpx.BaseTransport]:
        if transport is not None:
            if not isinstance(transport, httpx.BaseTransport):
                raise ConfigurationError(
                    f"transport must be an httpx.BaseTransport, not {type(transport).__name__}"
                )
            return lambda: transport
        if http_client is None:
            return functools.partial(sync_transport, trust_env=trust_env)
        if not isinstance(http_client, httpx.Client):
            raise ConfigurationError(f"http_client must be an httpx.Client, not {type(http_client).__name__}")
        return lambda: ThroughClient(http_client)

    def _make_renewer_factory(
        self, runtime: _Runtime, sender: RetryTransport
    ) -> Callable[[TokenBook], SyncRenewer]:
        def send(step: Send, deadline: float | None) -> httpx.Response:
            request = _renewal_request(runtime, step, deadline)
            response = sender.handle_request(request)
            response.request = request
            response.read()
            return response

        renewal = runtime.context.renewal
        return lambda book: SyncRenewer(renewal, book, send)

    def get_httpx_client(self) -> httpx.Client:
        http = self._http
        if http is None:
            self._check_open()
            template = self._template
            if isinstance(template, PartnerClient):
                # A session: the template's httpx client with this session's auth; no pool, no
                # transport, no settings of its own (a shallow copy shares them all).
                http = copy.copy(template.get_httpx_client())
                http.auth = self._auth()
                http.cookies = self._cookie_jar()  # its own: a user's cookies never reach another
            else:
                http = _HTTPClient(**self._client_args())
                http._partner_context = self._runtime.context
            self._http = http
        return http

    def get_async_httpx_client(self) -> NoReturn:
        raise ConfigurationError(
            "PartnerClient is synchronous: use AsyncPartnerClient with the asyncio functions"
        )

    def close(self) -> None:
        """Close the connections, if this is the root client; a derived client or a session
        has none of its own (calls through them fail with ClientClosedError once the root is closed)."""
        if not self._owns_transport:
            return
        self._runtime.context.closed = True
        if self._http is not None:
            self._http.close()
        else:
            self._runtime.wire.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *args: object, **kwargs: object) -> None:
        self.close()


class AsyncPartnerClient(_PartnerClientBase, AsyncAPIClient):
    """The asynchronous client: pass it as ``client=`` to the generated ``asyncio``/``asyncio_detailed``.

    ``async with AsyncPartnerClient(...) as client:`` closes its connections at the end; so does
    ``await client.aclose()``. ``on_tokens_changed`` may be a coroutine function here.
    """

    _http: httpx.AsyncClient | None
    _awaits_callbacks = True

    def _inner_transport_factory(
        self, http_client: object, transport: object, trust_env: bool
    ) -> Callable[[], httpx.AsyncBaseTransport]:
        if transport is not None:
            if not isinstance(transport, httpx.AsyncBaseTransport):
                raise ConfigurationError(
                    f"transport must be an httpx.AsyncBaseTransport, not {type(transport).__name__}"
                )
            return lambda: transport
        if http_client is None:
            return functools.partial(async_transport, trust_env=trust_env)
        if not isinstance(http_client, httpx.AsyncClient):
            raise ConfigurationError(
                f"http_client must be an httpx.AsyncClient, not {type(http_client).__name__}"
            )
        return lambda: ThroughAsyncClient(http_client)

    def _make_renewer_factory(
        self, runtime: _Runtime, sender: RetryTransport
    ) -> Callable[[TokenBook], AsyncRenewer]:
        async def send(step: Send, deadline: float | None) -> httpx.Response:
            request = _renewal_request(runtime, step, deadline)
            response = await sender.handle_async_request(request)
            response.request = request
            await response.aread()
            return response

        renewal = runtime.context.renewal
        return lambda book: AsyncRenewer(renewal, book, send)

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        http = self._http
        if http is None:
            self._check_open()
            template = self._template
            if isinstance(template, AsyncPartnerClient):
                http = copy.copy(template.get_async_httpx_client())
                http.auth = self._auth()
                http.cookies = self._cookie_jar()  # its own: a user's cookies never reach another
            else:
                http = _AsyncHTTPClient(**self._client_args())
                http._partner_context = self._runtime.context
            self._http = http
        return http

    def get_httpx_client(self) -> NoReturn:
        raise ConfigurationError(
            "AsyncPartnerClient is asynchronous: use PartnerClient with the sync functions"
        )

    async def aclose(self) -> None:
        """Close the connections, if this is the root client (see ``PartnerClient.close``)."""
        if not self._owns_transport:
            return
        self._runtime.context.closed = True
        try:
            if self._http is not None:
                await self._http.aclose()
            else:
                await self._runtime.wire.aclose()
        except RuntimeError as error:
            # Closed from another event loop than the one its connections belong to.
            raise ClientClosedError(f"closing the client failed: {error}") from error

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *args: object, **kwargs: object) -> None:
        await self.aclose()
