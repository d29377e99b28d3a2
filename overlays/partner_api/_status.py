"""Turning a non-2xx response into the typed error, with the vendor's code and message."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Final

import httpx

from partner_api._errors import APIStatusError, status_error_class
from partner_api._operations import CONVENTION_HEADERS, ERROR_ENVELOPES
from partner_api._tokens import resolve_pointer

# Shorter values are not secrets worth the name, and redacting them would garble the message.
_SHORTEST_SECRET: Final = 8
_CREDENTIAL_HEADERS: Final = ("authorization", "x-user-token", "x-app-key")
_SECRET_FIELD: Final = re.compile(r"key|password|secret|token", re.IGNORECASE)


def _body_secrets(request: httpx.Request) -> list[str]:
    """The private key or password a request body carried (obtainTokens, authenticateUser), as
    JSON or as a form, the two media types the client sends bodies in."""
    try:
        content = request.content
        if content[:1] == b"{":
            body = json.loads(content)
        elif "x-www-form-urlencoded" in request.headers.get("content-type", ""):
            body = dict(urllib.parse.parse_qsl(content.decode("ascii", "replace")))
        else:
            return []
    except (ValueError, RecursionError, httpx.RequestNotRead):
        return []
    if not isinstance(body, dict):
        return []
    return [value for key, value in body.items() if isinstance(value, str) and _SECRET_FIELD.search(str(key))]


def _redact(text: str | None, request: httpx.Request | None) -> str | None:
    """``text`` without the credentials ``request`` carried (a vendor may echo what it refused)."""
    if not text or request is None:
        return text
    secrets: set[str] = set()
    for name in _CREDENTIAL_HEADERS:
        for value in request.headers.get_list(name):
            secrets.add(value)
            scheme, _, credential = value.partition(" ")
            if credential and scheme.lower() == "bearer":
                secrets.add(credential.strip())
    secrets.update(_body_secrets(request))
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= _SHORTEST_SECRET:
            text = text.replace(secret, "[REDACTED]")
    return text


def status_error(response: httpx.Response, language: str) -> APIStatusError:
    """The error for ``response`` (read), from the spec's error envelope when the body is one."""
    code, message, echoed_id = _envelope(response)
    try:
        request: httpx.Request | None = response.request
    except RuntimeError:  # a response built without its request
        request = None
    sent_id = None if request is None else request.headers.get(CONVENTION_HEADERS["request_id"])
    code, message = _redact(code, request), _redact(message, request)
    return status_error_class(response.status_code)(
        status_code=response.status_code,
        code=code,
        message=message,
        language=language,
        request_id=echoed_id or sent_id,
        response=response,
    )


def _envelope(response: httpx.Response) -> tuple[str | None, str | None, str | None]:
    """The vendor's code, message and echoed request id, where the spec's error schemas keep them."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return None, None, None
    for envelope in ERROR_ENVELOPES:
        found = [
            None if pointer is None else _text(resolve_pointer(body, pointer))
            for pointer in (envelope["code"], envelope["message"], envelope["request_id"])
        ]
        if found[0] is not None or found[1] is not None:
            return found[0], found[1], found[2]
    return None, None, None


def _text(value: object) -> str | None:
    # A numeric code (responseCode: 4010001) is kept as its digits; anything else is no text.
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None
