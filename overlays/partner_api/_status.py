"""Turning a non-2xx response into the typed error, with the vendor's code and message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from partner_api._errors import APIStatusError, status_error_class

if TYPE_CHECKING:
    import httpx


def status_error(response: httpx.Response, language: str) -> APIStatusError:
    """The error for ``response`` (read), from the spec's error envelope when the body is one."""
    # Imported on the first error: importing one model imports them all, a fifth of the import time.
    from partner_api_client.models.error import Error  # noqa: PLC0415

    code = message = echoed_id = None
    try:
        envelope = Error.from_dict(response.json())
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    else:
        code, message, echoed_id = envelope.code, envelope.message, envelope.request_id
    try:
        sent_id = response.request.headers.get("x-request-id")
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
