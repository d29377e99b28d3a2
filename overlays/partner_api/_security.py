"""What the client does about what it is given and what it is sent: TLS, cookies, HTTP/2 headers.

- A transport or ``http_client`` with certificate verification off gets an
  ``InsecureTransportWarning`` (the opt-in is the warnings filter, as with urllib3).
- The vendor's API takes no cookies: the jar stores none and sends none, so a server cannot grow
  it or make every request carry it.
- Under HTTP/2, ``x-app-key`` and ``x-user-token`` are sent as never-indexed fields like
  ``Authorization`` (kept out of HPACK's tables, where compression-ratio attacks read them), and
  the ``hpack`` loggers never write their values.
"""

from __future__ import annotations

import http.cookiejar
import importlib
import logging
import ssl
import sys
import warnings
from typing import Any, Final

from partner_api._errors import InsecureTransportWarning

_SECRET_NAMES: Final = frozenset({"authorization", "proxy-authorization", "x-app-key", "x-user-token"})
_REDACTED: Final = b"REDACTED"


class _RefuseAll(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


class NoCookies(http.cookiejar.CookieJar):
    """A jar that keeps nothing: not even parsing a flood of ``Set-Cookie`` headers."""

    def __init__(self) -> None:
        super().__init__(policy=_RefuseAll())

    def extract_cookies(self, response: Any, request: Any) -> None:
        """The vendor sets no cookie we need."""

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        """Nor does the caller (``client.cookies`` set by hand would go to the vendor)."""


# ---- TLS verification ---------------------------------------------------------------------------


def _contexts(thing: object) -> list[ssl.SSLContext]:
    """The SSL contexts an httpx client or transport will use, as far as can be seen."""
    found: list[ssl.SSLContext] = []
    transports = [getattr(thing, "_transport", None), *getattr(thing, "_mounts", {}).values(), thing]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        for name in ("_ssl_context", "_proxy_ssl_context"):
            context = getattr(pool, name, None)
            if isinstance(context, ssl.SSLContext):
                found.append(context)
    return found


def warn_if_unverified(given: object) -> None:
    """Warn when ``given`` (an http_client or transport, or None) does not verify certificates."""
    if given is None:
        return
    if any(
        context.verify_mode == ssl.CERT_NONE or not context.check_hostname for context in _contexts(given)
    ):
        warnings.warn(
            "TLS certificate verification is off in the http_client/transport given to the Partner API "
            "client: tokens and keys would go to whoever answers. If this is meant (a local test "
            'server), silence it: warnings.filterwarnings("ignore", '
            "category=partner_api.InsecureTransportWarning)",
            InsecureTransportWarning,
            stacklevel=3,
        )


# ---- HTTP/2 ---------------------------------------------------------------------------------------


def never_index_credentials() -> None:
    """Make h2 send our credential headers never-indexed, as it does Authorization.

    h2 has one list of such headers and httpcore builds plain tuples, so the list is extended.
    It matters only once h2 is imported, which httpx does when an HTTP/2 transport is built: the
    client calls this when it is constructed.
    """
    if "h2" not in sys.modules:
        return  # no HTTP/2 in this process (yet): importing h2 would cost every user
    try:
        utilities = importlib.import_module("h2.utilities")
    except ImportError:  # pragma: no cover (h2 half-installed)
        return
    names = getattr(utilities, "_SECURE_HEADERS", None)
    if isinstance(names, frozenset) and b"x-user-token" not in names:
        extra = {"x-app-key", "x-user-token"}
        utilities._SECURE_HEADERS = names | extra | {name.encode() for name in extra}  # type: ignore[attr-defined]


def _is_secret(name: object) -> bool:
    if isinstance(name, bytes | bytearray | memoryview):
        name = bytes(name).decode("latin-1")
    return isinstance(name, str) and name.lower() in _SECRET_NAMES


def _redact_header(header: object) -> object:
    if isinstance(header, tuple) and len(header) >= 2 and _is_secret(header[0]):
        return (header[0], _REDACTED)
    return header


class HpackRedactor(logging.Filter):
    """Replaces the values of credential headers in hpack's DEBUG records with ``REDACTED``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args:
            if len(args) >= 2 and _is_secret(args[0]):
                # "Adding %s=%s to the header table" and "Evicting %s: %s from the header table".
                args = (args[0], _REDACTED, *args[2:])
            record.args = tuple(_redact_header(arg) for arg in args)
        return True


_REDACTOR: Final = HpackRedactor()


def install_log_redaction() -> None:
    for name in ("hpack.hpack", "hpack.table", "hpack"):
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
