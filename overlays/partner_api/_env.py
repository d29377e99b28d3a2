"""Configuration from ``PARTNER_API_*`` environment variables, for ``from_env()``.

    PARTNER_API_APP_KEY          required: the app key the vendor issued
    PARTNER_API_PRIVATE_KEY      the private key (without it, pass tokens=)
    PARTNER_API_BASE_URL         the API's base URL (https://; http:// only to loopback)
    PARTNER_API_ENVIRONMENT      or a server named in the spec: staging, production
    PARTNER_API_LANGUAGE         id (default) or en: the language of the vendor's messages
    PARTNER_API_TIMEOUT          seconds for each request (default 30, 5 to connect)
    PARTNER_API_MAX_RETRIES      retries of a transient failure, 0 to 10 (default 2)

An empty variable counts as unset. Keyword arguments to ``from_env()`` win over the
variables. Errors name the variable, never its value when it is a secret.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, TypedDict

import httpx

from partner_api._errors import ConfigurationError
from partner_api._tokens import Tokens

PREFIX: Final = "PARTNER_API_"
VARIABLES: Final = (
    "APP_KEY",
    "PRIVATE_KEY",
    "BASE_URL",
    "ENVIRONMENT",
    "LANGUAGE",
    "TIMEOUT",
    "MAX_RETRIES",
)


class _Options(TypedDict, total=False):
    private_key: str | None
    environment: str | None
    base_url: str | httpx.URL | None
    language: Literal["id", "en"]
    tokens: Tokens | None
    timeout: float | httpx.Timeout
    max_retries: int
    on_tokens_changed: Callable[[Tokens], Any] | None
    http_client: httpx.Client | httpx.AsyncClient | None
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None
    follow_redirects: bool
    allow_insecure_http: bool
    raise_for_status: bool


class ClientOptions(_Options, total=False):
    """The constructor's options, each of which ``from_env()`` also takes as a keyword."""

    app_key: str


class ConstructorArguments(_Options):
    """What the constructor gets: the app key is required."""

    app_key: str


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(PREFIX + name, "").strip()
    return value or None


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise ConfigurationError(
            f"{PREFIX}TIMEOUT={text!r} is not a positive number of seconds: set it to e.g. 30"
        )
    return seconds


def _count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise ConfigurationError(f"{PREFIX}MAX_RETRIES={text!r} is not a whole number: set it to e.g. 2")
    return count


def _language(text: str) -> Literal["id", "en"]:
    if text == "id":
        return "id"
    if text == "en":
        return "en"
    raise ConfigurationError(
        f"{PREFIX}LANGUAGE={text!r} is not a language the API speaks: set it to id or en"
    )


def arguments_from_env(environ: Mapping[str, str] | None, options: ClientOptions) -> ConstructorArguments:
    """The constructor's arguments: ``options`` first, then the ``PARTNER_API_*`` variables."""
    environ = os.environ if environ is None else environ
    found: _Options = {}
    if (value := _get(environ, "PRIVATE_KEY")) is not None:
        found["private_key"] = value
    if (value := _get(environ, "LANGUAGE")) is not None:
        found["language"] = _language(value)
    if (value := _get(environ, "TIMEOUT")) is not None:
        found["timeout"] = _seconds(value)
    if (value := _get(environ, "MAX_RETRIES")) is not None:
        found["max_retries"] = _count(value)
    if "base_url" not in options and "environment" not in options:
        base_url, environment = _get(environ, "BASE_URL"), _get(environ, "ENVIRONMENT")
        if base_url is not None and environment is not None:
            raise ConfigurationError(
                f"both {PREFIX}BASE_URL and {PREFIX}ENVIRONMENT are set: unset one of them"
            )
        if base_url is None and environment is None:
            raise ConfigurationError(
                f"{PREFIX}BASE_URL is not set: set it to the API's base URL your vendor contact gave "
                f"you (or {PREFIX}ENVIRONMENT to staging or production), or pass base_url="
            )
        if base_url is not None:
            found["base_url"] = base_url
        if environment is not None:
            found["environment"] = environment
    app_key = options.get("app_key") or _get(environ, "APP_KEY")
    if app_key is None:
        raise ConfigurationError(
            f"{PREFIX}APP_KEY is not set: set it to the app key the vendor issued you, or pass app_key="
        )
    merged: ConstructorArguments = {**found, **options, "app_key": app_key}
    return merged
