"""The tokens a client holds, and how it learns new ones from responses.

Expiry decisions use the monotonic clock, so a wall-clock jump neither forces a renewal nor
lets an expired token through; wall-clock expiries are kept only for people and persistence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from partner_api._errors import ConfigurationError
from partner_api._headers import check_header_value
from partner_api_client import _manifest

# The vocabulary comes from the spec, through the generated manifest: named once.
TokenKind = _manifest.TokenKind
TOKEN_KINDS: Final[tuple[TokenKind, ...]] = _manifest.TOKEN_KINDS

logger = logging.getLogger("partner_api")

# A lifetime this long is no lifetime (and 1e12 s would overflow a datetime): treated as unknown.
MAX_LIFETIME: Final = 1e11
_warned_lifetimes: set[tuple[str, str]] = set()


def checked_lifetime(value: object, operation: str, kind: str) -> float | None:
    """The token's lifetime in seconds, or None (unknown) when the vendor sent an unusable one.

    NaN, infinities, huge numbers, zero and negative lifetimes would either raise or make every
    call renew: the token is kept with an unknown lifetime instead (renewed after a 401), and
    the first such answer per operation and token is logged.
    """
    if value is None:
        return None
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            seconds = float(value)
        except OverflowError:  # an int of hundreds of digits
            seconds = None
    if seconds is not None and math.isfinite(seconds) and 0 < seconds <= MAX_LIFETIME:
        return seconds
    if (operation, kind) not in _warned_lifetimes:
        _warned_lifetimes.add((operation, kind))
        shown = (
            repr(value)
            if len(repr(value)) <= 40
            else f"a {type(value).__name__} of {len(repr(value))} characters"
        )
        logger.warning(
            "%s gave the %s token an unusable lifetime (%s); the token is kept, its lifetime unknown",
            operation,
            kind,
            shown,
        )
    return None


@dataclass(frozen=True, slots=True, repr=False)
class Tokens:
    """The access, refresh and user tokens, each with its expiry (UTC) and lifetime when known.

    Immutable: the client replaces the whole set when a token changes and passes the new set to
    ``on_tokens_changed``, which is where to persist it: ``to_dict()`` gives a JSON-safe dict and
    ``Tokens.from_dict()`` reads it back, lifetimes included, so the renewal margin (a tenth of
    a short lifetime) survives a restart. ``repr`` never shows a token.
    """

    access_token: str | None = None
    access_token_expires_at: dt.datetime | None = None
    refresh_token: str | None = None
    refresh_token_expires_at: dt.datetime | None = None
    user_token: str | None = None
    user_token_expires_at: dt.datetime | None = None
    # Seconds the vendor said each token lives (``expiresIn``); last, so positional use still works.
    access_token_lifetime: float | None = None
    refresh_token_lifetime: float | None = None
    user_token_lifetime: float | None = None

    def __post_init__(self) -> None:
        for kind in TOKEN_KINDS:
            token = self.token(kind)
            if token is not None:
                check_header_value(token, f"the {kind} token")
            expires_at = self.expires_at(kind)
            if expires_at is not None:
                _check_expiry(expires_at, f"{kind}_token_expires_at")
            lifetime = self.lifetime(kind)
            if lifetime is not None:
                _check_lifetime(lifetime, f"{kind}_token_lifetime")

    def token(self, kind: TokenKind) -> str | None:
        value: str | None = getattr(self, f"{kind}_token")
        return value

    def expires_at(self, kind: TokenKind) -> dt.datetime | None:
        value: dt.datetime | None = getattr(self, f"{kind}_token_expires_at")
        return value

    def lifetime(self, kind: TokenKind) -> float | None:
        value: float | None = getattr(self, f"{kind}_token_lifetime")
        return value

    def to_dict(self) -> dict[str, str | float | None]:
        """Every field, JSON-safe: expiries as ISO 8601 strings with their UTC offset.

        ``Tokens.from_dict(json.loads(json.dumps(tokens.to_dict()))) == tokens``. The dict holds
        the tokens themselves: store it where you would store a password.
        """
        out: dict[str, str | float | None] = {}
        for kind in TOKEN_KINDS:
            expires_at = self.expires_at(kind)
            out[f"{kind}_token"] = self.token(kind)
            out[f"{kind}_token_expires_at"] = None if expires_at is None else expires_at.isoformat()
            out[f"{kind}_token_lifetime"] = self.lifetime(kind)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Tokens:
        """The ``Tokens`` that ``to_dict()`` gave (or a dict read back from JSON or a database).

        Missing fields are None; fields it does not know are ignored, so records written by a
        newer version can be read. Expiries may be ISO 8601 strings or ``datetime`` objects, and
        must carry a timezone. Anything else raises ``ConfigurationError`` naming the field.
        """
        if not isinstance(data, Mapping):
            raise ConfigurationError(
                "Tokens.from_dict() takes a mapping such as Tokens.to_dict() gives, "
                f"not {type(data).__name__}"
            )
        fields: dict[str, Any] = {}
        for kind in TOKEN_KINDS:
            name = f"{kind}_token"
            token = data.get(name)
            if token is not None and not isinstance(token, str):
                raise ConfigurationError(f"{name} must be a string or None, not {type(token).__name__}")
            fields[name] = token
            fields[f"{name}_expires_at"] = _parse_expiry(data.get(f"{name}_expires_at"), f"{name}_expires_at")
            lifetime = data.get(f"{name}_lifetime")
            if lifetime is not None and (isinstance(lifetime, bool) or not isinstance(lifetime, int | float)):
                raise ConfigurationError(
                    f"{name}_lifetime must be a number of seconds or None, not {type(lifetime).__name__}"
                )
            fields[f"{name}_lifetime"] = None if lifetime is None else float(lifetime)
        return cls(**fields)

    def __repr__(self) -> str:
        parts = []
        for kind in TOKEN_KINDS:
            if self.token(kind) is None:
                parts.append(f"{kind}=None")
                continue
            expires_at = self.expires_at(kind)
            until = f" until {expires_at.isoformat(timespec='seconds')}" if expires_at else ""
            parts.append(f"{kind}=<set{until}>")
        return f"Tokens({', '.join(parts)})"

    __str__ = __repr__


def _check_expiry(value: object, name: str) -> None:
    if not isinstance(value, dt.datetime):
        raise ConfigurationError(f"{name} must be a datetime or None, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ConfigurationError(
            f"{name} is a naive datetime: pass a timezone-aware one, such as "
            "datetime.now(datetime.UTC) or, for a UTC value read from a database column, "
            "value.replace(tzinfo=datetime.UTC)"
        )


def _check_lifetime(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{name} must be a number of seconds or None, not {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ConfigurationError(f"{name} must be a finite, non-negative number of seconds, not {value!r}")


def _parse_expiry(value: object, name: str) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ConfigurationError(
            f"{name} must be an ISO 8601 string or a datetime, not {type(value).__name__}"
        )
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(
            f"{name} is not an ISO 8601 date and time (such as 2026-11-30T09:00:00+00:00)"
        ) from None


@dataclass(frozen=True, slots=True)
class Held:
    """One generation of tokens with their monotonic deadlines: a request uses exactly one."""

    tokens: Tokens
    deadlines: Mapping[str, float | None] = field(default_factory=dict)
    lifetimes: Mapping[str, float | None] = field(default_factory=dict)
    # The token of each kind, read once: every request looks several up (headers, renewal
    # checks), and a generation never changes.
    _values: Mapping[str, str | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_values", {kind: self.tokens.token(kind) for kind in TOKEN_KINDS})

    @classmethod
    def from_tokens(cls, tokens: Tokens) -> Held:
        now_mono, now_wall = time.monotonic(), dt.datetime.now(dt.UTC)
        deadlines: dict[str, float | None] = {}
        for kind in TOKEN_KINDS:
            expires_at = tokens.expires_at(kind)
            deadlines[kind] = (
                None if expires_at is None else now_mono + (expires_at - now_wall).total_seconds()
            )
        # A lifetime restored with the tokens keeps the renewal margin of a short-lived token.
        return cls(tokens, deadlines, {kind: tokens.lifetime(kind) for kind in TOKEN_KINDS})

    def token(self, kind: TokenKind) -> str | None:
        return self._values[kind]

    def usable(self, kind: TokenKind, margin: float = 0.0) -> bool:
        """Held, and not known to expire within ``margin`` seconds."""
        if self._values[kind] is None:
            return False
        deadline = self.deadlines.get(kind)
        return deadline is None or time.monotonic() + margin < deadline

    def adopted(self, other: Held, kinds: frozenset[TokenKind]) -> Held:
        """This generation with ``kinds`` taken from ``other``: publishing never undoes a change
        made by someone else meanwhile."""
        changes: dict[str, Any] = {}
        for kind in kinds:
            changes[f"{kind}_token"] = other.tokens.token(kind)
            changes[f"{kind}_token_expires_at"] = other.tokens.expires_at(kind)
            changes[f"{kind}_token_lifetime"] = other.tokens.lifetime(kind)
        return Held(
            dataclasses.replace(self.tokens, **changes),
            {**self.deadlines, **{kind: other.deadlines.get(kind) for kind in kinds}},
            {**self.lifetimes, **{kind: other.lifetimes.get(kind) for kind in kinds}},
        )

    def refused(self, kind: TokenKind) -> Held:
        """The server refused this token: kept (so it is known to have existed), but expired now."""
        changes: dict[str, Any] = {
            f"{kind}_token_expires_at": dt.datetime.now(dt.UTC).replace(microsecond=0),
            f"{kind}_token_lifetime": None,
        }
        tokens = dataclasses.replace(self.tokens, **changes)
        return Held(tokens, {**self.deadlines, kind: time.monotonic()}, {**self.lifetimes, kind: None})

    def replaced(self, kind: TokenKind, token: str | None, lifetime: float | None, sent_at: float) -> Held:
        """A new generation with ``kind`` replaced; the lifetime counts from when the request left."""
        expires_at = None
        deadline = None
        if token is not None and lifetime is not None:
            deadline = sent_at + lifetime
            # To the microsecond: another process restoring it must not see it expire early.
            expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=deadline - time.monotonic())
        kept = lifetime if expires_at is not None and math.isfinite(lifetime or 0.0) else None
        changes: dict[str, Any] = {
            f"{kind}_token": token,
            f"{kind}_token_expires_at": expires_at,
            f"{kind}_token_lifetime": None if kept is None or kept < 0 else kept,
        }
        tokens = dataclasses.replace(self.tokens, **changes)
        return Held(tokens, {**self.deadlines, kind: deadline}, {**self.lifetimes, kind: lifetime})


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer (RFC 6901), or None where the document has nothing there."""
    node = document
    for escaped in pointer[1:].split("/") if pointer else ():
        key = escaped.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node
