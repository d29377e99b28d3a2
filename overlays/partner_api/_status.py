"""Turning a non-2xx response into the typed error, with the vendor's code and message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from partner_api._errors import APIStatusError, status_error_class
from partner_api._operations import CONVENTION_HEADERS, ERROR_ENVELOPES
from partner_api._tokens import resolve_pointer

if TYPE_CHECKING:
    import httpx


def status_error(response: httpx.Response, language: str) -> APIStatusError:
    """The error for ``response`` (read), from the spec's error envelope when the body is one."""
    code, message, echoed_id = _envelope(response)
    try:
        sent_id = response.request.headers.get(CONVENTION_HEADERS["request_id"])
    except RuntimeError:  # a response built without its request
        sent_id = None
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
    except ValueError:
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
