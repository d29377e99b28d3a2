"""``PartnerClient`` and ``AsyncPartnerClient``: what users construct and pass to generated functions.

``PartnerClient`` subclasses the generated ``SyncAPIClient`` and ``AsyncPartnerClient`` the
generated ``AsyncAPIClient``, so mypy accepts each with its own flavour of generated function
and refuses the other; they hand the generated code an httpx client whose auth, transport and
options are ours.
"""

from __future__ import annotations

import functools
import inspect
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, NoReturn, Self, Unpack

import httpx

from partner_api import _security
from partner_api._auth import AsyncPartnerAuth, PartnerAuth, RequestOptions
from partner_api._body import DEFAULT_MAX_RESPONSE_BYTES
from partner_api._deadline import bind_given
from partner_api._env import ClientOptions, arguments_from_env
from partner_api._errors import ConfigurationError
from partner_api._headers import check_header_value
from partner_api._operations import CATALOG, ENVIRONMENTS
from partner_api._parsing import ParsingClient
from partner_api._renewal import AsyncRenewer, Renewal, Send, SyncRenewer, TokenBook
from partner_api._retry import REPEATABLE_EXTENSION, RetryPolicy, RetryTransport
from partner_api._tokens import Tokens
from partner_api._transports import async_transport, sync_transport
from partner_api._wire import OPERATION_EXTENSION, Borrowed, ThroughAsyncClient, ThroughClient, Wire
from partner_api_client._stamp import __version__
from partner_api_client.client import AsyncAPIClient, SyncAPIClient

Language = Literal["id", "en"]
LANGUAGES: Final = ("id", "en")
DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES: Final = 2
MAX_RETRIES_LIMIT: Final = 10
USER_AGENT: Final = f"partner-api-python/{__version__}"


class _NotGiven:
    """Marks an option that ``with_options`` leaves as it is (None may be a real value)."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = _NotGiven()


@dataclass(frozen=True, slots=True)
class _Settings:
    """A client's own settings; ``with_options`` copies them with changes."""

    request: RequestOptions
    timeout: httpx.Timeout
    max_retries: int


@dataclass(slots=True)
class _Shared:
    """What a client shares with every client derived from it: pool, tokens, renewal."""

    app_key: str = field(repr=False)
    base_url: httpx.URL
    base_path: str
    book: TokenBook
    wire: Wire
    follow_redirects: bool
    renewer: Any = None
    """SyncRenewer or AsyncRenewer: one per family of clients, so one renewal at a time."""
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES


def _check_base_url(
    environment: str | None, base_url: str | httpx.URL | None, allow_insecure_http: bool
) -> httpx.URL:
    if (environment is None) == (base_url is None):
        raise ConfigurationError(
            f"pass either environment= (one of {', '.join(ENVIRONMENTS)}) or base_url=, not both or neither"
        )
    if environment is not None:
        if environment not in ENVIRONMENTS:
            raise ConfigurationError(f"environment={environment!r} is not one of {', '.join(ENVIRONMENTS)}")
        url = httpx.URL(ENVIRONMENTS[environment])
        if url.host.endswith(".invalid"):
            raise ConfigurationError(
                f"the spec's {environment} server ({url}) is a placeholder: the vendor publishes no URL. "
                "Pass base_url= with the URL your vendor contact gave you"
            )
        return url
    try:
        url = httpx.URL(base_url)  # type: ignore[arg-type]
    except (TypeError, httpx.InvalidURL) as error:
        raise ConfigurationError(f"base_url is not a URL: {error}") from None
    if url.scheme not in ("https", "http") or not url.host:
        raise ConfigurationError(f"base_url must be an absolute https:// URL, not {str(url)!r}")
    if url.query or url.fragment or url.userinfo:
        raise ConfigurationError("base_url must not carry credentials, a query or a fragment")
    if url.scheme == "http" and not _is_loopback(url.host) and not allow_insecure_http:
        raise ConfigurationError(
            f"base_url {str(url)!r} is plain http to a non-loopback host: tokens would travel in clear. "
            "Use https://, or pass allow_insecure_http=True if you really mean it"
        )
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if timeout is None:
        raise ConfigurationError("timeout=None would wait forever; pass seconds or an httpx.Timeout")
    if isinstance(timeout, httpx.Timeout):
        if None in (timeout.connect, timeout.read, timeout.write, timeout.pool):
            raise ConfigurationError("every part of the httpx.Timeout must be set: None would wait forever")
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ConfigurationError(f"timeout must be a positive number of seconds, not {timeout!r}")
    return httpx.Timeout(timeout)


def _check_max_response_bytes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"max_response_bytes must be a positive int, not {value!r}")
    return value


def _check_language(language: object) -> Language:
    if language not in LANGUAGES:
        raise ConfigurationError(f"language must be 'id' or 'en', not {language!r}")
    return language


def _check_max_retries(max_retries: object) -> int:
    if (
        isinstance(max_retries, bool)
        or not isinstance(max_retries, int)
        or not 0 <= max_retries <= MAX_RETRIES_LIMIT
    ):
        raise ConfigurationError(
            f"max_retries must be an int from 0 to {MAX_RETRIES_LIMIT}, not {max_retries!r}"
        )
    return max_retries


def _renewal_request(shared: _Shared, settings: _Settings, step: Send) -> httpx.Request:
    """A request the client makes for itself to renew a token, with the root client's settings."""
    headers = {
        "user-agent": USER_AGENT,
        "accept": step.operation.accept,
        "x-app-key": shared.app_key,
        "x-language": settings.request.language,
    }
    if step.bearer is not None:
        headers["authorization"] = f"Bearer {step.bearer}"
    if step.body is not None:
        headers["content-type"] = step.body.content_type
    return httpx.Request(
        step.operation.method,
        str(shared.base_url).rstrip("/") + step.operation.path,
        headers=headers,
        content=None if step.body is None else step.body.content,
        extensions={
            "timeout": settings.timeout.as_dict(),
            REPEATABLE_EXTENSION: True,
            OPERATION_EXTENSION: step.operation.operation_id,
        },
    )


class _PartnerClientBase(ParsingClient):
    _shared: _Shared
    _settings: _Settings
    _owns_transport: bool
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
                connect). ``None`` is refused: it would wait forever.
            max_retries: Retries of a transient failure, 0 to 10 (default 2).
            on_tokens_changed: Called with every new ``Tokens`` before any request uses them:
                persist them there. A coroutine function on ``AsyncPartnerClient``.
            http_client: Your own ``httpx.Client`` (``httpx.AsyncClient`` for the async client),
                whose proxies, TLS settings and event hooks apply; the client never closes it.
            transport: An httpx transport instead (not with ``http_client``).
            follow_redirects: Follow redirects (default off); credentials never go to another
                origin.
            allow_insecure_http: Allow ``http://`` to a host that is not loopback (default off).
            raise_for_status: Raise the typed error for a non-2xx answer (default on); off, the
                ``*_detailed`` functions return the parsed error instead.
            max_response_bytes: The most a response body may hold once decompressed (default
                32 MiB); a larger one raises ``ResponseTooLargeError``.
            trust_env: Honour ``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY`` and ``SSL_CERT_FILE`` as
                httpx does (default on).

        Raises:
            ConfigurationError: An option is missing, of the wrong type or out of range.
            InvalidHeaderValue: A value cannot travel in an HTTP header.
        """
        check_header_value(app_key, "app_key")
        _security.warn_if_unverified(http_client if http_client is not None else transport)
        _security.never_index_credentials()
        if private_key is not None and (not isinstance(private_key, str) or not private_key):
            raise ConfigurationError("private_key must be a non-empty str, or None")
        url = _check_base_url(environment, base_url, allow_insecure_http)
        if tokens is not None and not isinstance(tokens, Tokens):
            raise ConfigurationError(f"tokens must be a partner_api.Tokens, not {type(tokens).__name__}")
        if on_tokens_changed is not None and not callable(on_tokens_changed):
            raise ConfigurationError("on_tokens_changed must be callable")
        if inspect.iscoroutinefunction(on_tokens_changed) and not self._awaits_callbacks:
            raise ConfigurationError(
                "on_tokens_changed is a coroutine function, which PartnerClient cannot await: "
                "pass a plain function, or use AsyncPartnerClient"
            )
        if http_client is not None and transport is not None:
            raise ConfigurationError("pass http_client= or transport=, not both")
        # A pool we create is ours to renew after a fork; what the user passed is not.
        owned = http_client is None and transport is None
        settings = _Settings(
            RequestOptions(_check_language(language), None, bool(raise_for_status)),
            _check_timeout(timeout),
            _check_max_retries(max_retries),
        )
        book = TokenBook(tokens or Tokens(), on_tokens_changed)
        shared = _Shared(
            app_key=app_key,
            base_url=url,
            base_path=url.path.rstrip("/"),
            book=book,
            wire=Wire(
                self._inner_transport_factory(http_client, transport, bool(trust_env)),
                url,
                owned=owned,
                deadline_aware=bind_given(http_client if http_client is not None else transport),
            ),
            follow_redirects=bool(follow_redirects),
            max_response_bytes=_check_max_response_bytes(max_response_bytes),
        )
        renewal = Renewal(CATALOG, book, private_key, settings.request.language)
        sender = RetryTransport(
            Borrowed(shared.wire),
            RetryPolicy(max_retries=settings.max_retries, max_response_bytes=shared.max_response_bytes),
        )
        shared.renewer = self._make_renewer(
            renewal, book, sender, lambda step: _renewal_request(shared, settings, step)
        )
        self._setup(shared, settings, owns_transport=True)

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

    def _setup(self, shared: _Shared, settings: _Settings, *, owns_transport: bool) -> None:
        self._shared = shared
        self._settings = settings
        self._owns_transport = owns_transport

    def _inner_transport_factory(
        self, http_client: object, transport: object, trust_env: bool
    ) -> Callable[[], httpx.BaseTransport | httpx.AsyncBaseTransport]:
        raise NotImplementedError

    def _make_renewer(
        self,
        renewal: Renewal,
        book: TokenBook,
        sender: RetryTransport,
        build: Callable[[Send], httpx.Request],
    ) -> SyncRenewer | AsyncRenewer:
        raise NotImplementedError

    @property
    def tokens(self) -> Tokens:
        """The tokens held now (they change as the client renews them)."""
        return self._shared.book.held.tokens

    @property
    def language(self) -> Language:
        return self._settings.request.language  # type: ignore[return-value]

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
            request = replace(request, language=_check_language(language))
        if not isinstance(request_id, _NotGiven):
            checked = None if request_id is None else check_header_value(request_id, "request_id")
            request = replace(request, request_id=checked)
        if not isinstance(raise_for_status, _NotGiven):
            request = replace(request, raise_for_status=bool(raise_for_status))
        settings = _Settings(
            request,
            self._settings.timeout if isinstance(timeout, _NotGiven) else _check_timeout(timeout),
            self._settings.max_retries
            if isinstance(max_retries, _NotGiven)
            else _check_max_retries(max_retries),
        )
        derived = type(self).__new__(type(self))
        derived._setup(self._shared, settings, owns_transport=False)
        return derived

    def with_timeout(self, timeout: httpx.Timeout) -> Self:
        return self.with_options(timeout=timeout)

    def with_headers(self, headers: dict[str, str]) -> NoReturn:
        raise ConfigurationError(
            "the client sets the convention headers itself; use with_options(language=..., request_id=...)"
        )

    def with_cookies(self, cookies: dict[str, str]) -> NoReturn:
        raise ConfigurationError("the Partner API takes no cookies")

    def _transport(self) -> RetryTransport:
        wire: httpx.BaseTransport | httpx.AsyncBaseTransport = (
            self._shared.wire if self._owns_transport else Borrowed(self._shared.wire)
        )
        policy = RetryPolicy(
            max_retries=self._settings.max_retries, max_response_bytes=self._shared.max_response_bytes
        )
        return RetryTransport(wire, policy)

    def _client_args(self) -> dict[str, Any]:
        return {
            "base_url": self._shared.base_url,
            "timeout": self._settings.timeout,
            "follow_redirects": self._shared.follow_redirects,
            "headers": {"user-agent": USER_AGENT},
            "cookies": _security.NoCookies(),
            "transport": self._transport(),
        }

    def _auth_args(self) -> dict[str, Any]:
        shared = self._shared
        return {
            "app_key": shared.app_key,
            "catalog": CATALOG,
            "book": shared.book,
            "base_path": shared.base_path,
            "options": self._settings.request,
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={str(self._shared.base_url)!r}, "
            f"language={self.language!r}, tokens={self.tokens!r})"
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

    def _make_renewer(
        self,
        renewal: Renewal,
        book: TokenBook,
        sender: RetryTransport,
        build: Callable[[Send], httpx.Request],
    ) -> SyncRenewer:
        def send(step: Send) -> httpx.Response:
            request = build(step)
            response = sender.handle_request(request)
            response.request = request
            response.read()
            return response

        return SyncRenewer(renewal, book, send)

    def _setup(self, shared: _Shared, settings: _Settings, *, owns_transport: bool) -> None:
        super()._setup(shared, settings, owns_transport=owns_transport)
        self._http = None

    def get_httpx_client(self) -> httpx.Client:
        http = self._http
        if http is None:
            auth = PartnerAuth(self._shared.renewer, **self._auth_args())
            http = self._http = httpx.Client(auth=auth, **self._client_args())
        return http

    def get_async_httpx_client(self) -> NoReturn:
        raise ConfigurationError(
            "PartnerClient is synchronous: use AsyncPartnerClient with the asyncio functions"
        )

    def close(self) -> None:
        """Close this client's connections (a derived client leaves the shared pool open)."""
        if self._http is not None:
            self._http.close()
        elif self._owns_transport:
            self._shared.wire.close()

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

    def _make_renewer(
        self,
        renewal: Renewal,
        book: TokenBook,
        sender: RetryTransport,
        build: Callable[[Send], httpx.Request],
    ) -> AsyncRenewer:
        async def send(step: Send) -> httpx.Response:
            request = build(step)
            response = await sender.handle_async_request(request)
            response.request = request
            await response.aread()
            return response

        return AsyncRenewer(renewal, book, send)

    def _setup(self, shared: _Shared, settings: _Settings, *, owns_transport: bool) -> None:
        super()._setup(shared, settings, owns_transport=owns_transport)
        self._http = None

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        http = self._http
        if http is None:
            auth = AsyncPartnerAuth(self._shared.renewer, **self._auth_args())
            http = self._http = httpx.AsyncClient(auth=auth, **self._client_args())
        return http

    def get_httpx_client(self) -> NoReturn:
        raise ConfigurationError(
            "AsyncPartnerClient is asynchronous: use PartnerClient with the sync functions"
        )

    async def aclose(self) -> None:
        """Close this client's connections (a derived client leaves the shared pool open)."""
        if self._http is not None:
            await self._http.aclose()
        elif self._owns_transport:
            await self._shared.wire.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *args: object, **kwargs: object) -> None:
        await self.aclose()
