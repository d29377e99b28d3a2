"""The client's options, checked in one place: each bad value gets a ConfigurationError naming
the problem and the fix, before any I/O. ``Config`` is what one ``PartnerClient(...)`` call
decided; every client and session derived from it shares it."""

from __future__ import annotations

import inspect
import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import httpx

from partner_api._errors import ConfigurationError
from partner_api._headers import check_header_value
from partner_api._operations import ENVIRONMENTS
from partner_api._tokens import Tokens
from partner_api.stores import MemoryTokenStore, TokenStore

Language = Literal["id", "en"]
LANGUAGES: Final = ("id", "en")
DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES: Final = 2
MAX_RETRIES_LIMIT: Final = 10
# A call that may take longer than a day is a mistake (and an infinite one would overflow).
MAX_TIMEOUT: Final = 86400.0


class _NotGiven:
    """Marks an option that ``with_options`` leaves as it is (None may be a real value)."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = _NotGiven()


@dataclass(frozen=True, slots=True)
class Config:
    """Everything one constructor call decided, checked."""

    app_key: str = field(repr=False)
    private_key: str | None = field(repr=False)
    base_url: httpx.URL
    language: Language
    tokens: Tokens
    timeout: httpx.Timeout
    max_retries: int
    on_tokens_changed: Callable[[Tokens], Any] | None
    http_client: httpx.Client | httpx.AsyncClient | None
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None
    follow_redirects: bool
    raise_for_status: bool
    token_store: TokenStore
    max_response_bytes: int
    trust_env: bool

    @property
    def owns_pool(self) -> bool:
        """A pool we create is ours to renew after a fork; what the user passed is not."""
        return self.http_client is None and self.transport is None


def configure(
    *,
    awaits_callbacks: bool,
    app_key: str,
    private_key: str | None,
    environment: str | None,
    base_url: str | httpx.URL | None,
    language: object,
    tokens: Tokens | None,
    timeout: float | httpx.Timeout,
    max_retries: object,
    on_tokens_changed: Callable[[Tokens], Any] | None,
    http_client: httpx.Client | httpx.AsyncClient | None,
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
    follow_redirects: bool,
    allow_insecure_http: bool,
    raise_for_status: bool,
    token_store: object,
    max_response_bytes: object,
    trust_env: bool,
) -> Config:
    check_header_value(app_key, "app_key")
    if private_key is not None and (not isinstance(private_key, str) or not private_key):
        raise ConfigurationError("private_key must be a non-empty str, or None")
    url = check_base_url(environment, base_url, allow_insecure_http)
    check_callback(on_tokens_changed, awaits_callbacks=awaits_callbacks)
    if http_client is not None and transport is not None:
        raise ConfigurationError("pass http_client= or transport=, not both")
    return Config(
        app_key=app_key,
        private_key=private_key,
        base_url=url,
        language=check_language(language),
        tokens=check_tokens(tokens),
        timeout=check_timeout(timeout),
        max_retries=check_max_retries(max_retries),
        on_tokens_changed=on_tokens_changed,
        http_client=http_client,
        transport=transport,
        follow_redirects=bool(follow_redirects),
        raise_for_status=bool(raise_for_status),
        token_store=check_store(token_store),
        max_response_bytes=check_max_response_bytes(max_response_bytes),
        trust_env=bool(trust_env),
    )


def check_max_response_bytes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"max_response_bytes must be a positive int, not {value!r}")
    return value


def check_store(store: object) -> TokenStore:
    if store is None:
        return MemoryTokenStore()  # this process only: the client's behaviour without a store
    if not isinstance(store, TokenStore):
        raise ConfigurationError(
            "token_store must be a partner_api.stores.TokenStore (MemoryTokenStore, FileTokenStore, "
            f"RedisTokenStore), not {type(store).__name__}"
        )
    return store


def check_tokens(tokens: object) -> Tokens:
    if tokens is None:
        return Tokens()
    if not isinstance(tokens, Tokens):
        raise ConfigurationError(f"tokens must be a partner_api.Tokens, not {type(tokens).__name__}")
    return tokens


def check_callback(callback: object, *, awaits_callbacks: bool) -> None:
    if callback is None:
        return
    if not callable(callback):
        raise ConfigurationError("on_tokens_changed must be callable")
    # An object whose __call__ is async counts too: calling it only makes a coroutine.
    is_async = inspect.iscoroutinefunction(callback) or inspect.iscoroutinefunction(
        getattr(callback, "__call__", None)  # noqa: B004 (the method itself is what matters)
    )
    if is_async and not awaits_callbacks:
        raise ConfigurationError(
            "on_tokens_changed is a coroutine function, which PartnerClient cannot await: "
            "pass a plain function, or use AsyncPartnerClient"
        )


def check_base_url(
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


def check_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if timeout is None:
        raise ConfigurationError("timeout=None would wait forever; pass seconds or an httpx.Timeout")
    if isinstance(timeout, httpx.Timeout):
        parts = (timeout.connect, timeout.read, timeout.write, timeout.pool)
        if None in parts:
            raise ConfigurationError("every part of the httpx.Timeout must be set: None would wait forever")
        for part in parts:
            _check_seconds(part)
        return timeout
    _check_seconds(timeout)
    return httpx.Timeout(timeout)


def _check_seconds(seconds: object) -> None:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise ConfigurationError(f"timeout must be a positive number of seconds, not {seconds!r}")
    if not math.isfinite(seconds) or seconds > MAX_TIMEOUT:
        raise ConfigurationError(
            f"timeout must be at most {MAX_TIMEOUT:.0f} s (a day), not {seconds!r}: "
            "an endless call cannot be bounded"
        )


def budget(timeout: httpx.Timeout) -> float:
    """Seconds a whole call may take: the largest part of its timeout (timeout=1: done by ~1 s)."""
    parts = (timeout.connect, timeout.read, timeout.write, timeout.pool)
    return max(part for part in parts if part is not None)


def check_language(language: object) -> Language:
    if language not in LANGUAGES:
        raise ConfigurationError(f"language must be 'id' or 'en', not {language!r}")
    return language


def check_max_retries(max_retries: object) -> int:
    if (
        isinstance(max_retries, bool)
        or not isinstance(max_retries, int)
        or not 0 <= max_retries <= MAX_RETRIES_LIMIT
    ):
        raise ConfigurationError(
            f"max_retries must be an int from 0 to {MAX_RETRIES_LIMIT}, not {max_retries!r}"
        )
    return max_retries
