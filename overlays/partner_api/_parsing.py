"""Where the generated functions parse a response: the overlay's side of the ``_parse`` seam.

The generated ``sync``/``asyncio`` raise ``errors.UnexpectedStatus`` for an answer that is not a
documented success, and the models raise ``ValueError``, ``KeyError``, ``TypeError`` or
``RecursionError`` for a body that does not match the spec. Neither should reach an integrator,
who catches ``PartnerAPIError``: this turns them into the typed errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx

from partner_api._errors import APIResponseValidationError
from partner_api._status import status_error
from partner_api_client.client import APIClient
from partner_api_client.errors import UnexpectedStatus

T = TypeVar("T")

# What a generated model's from_dict (or response.json()) raises on a body that is not what the
# spec says: JSONDecodeError and UnicodeDecodeError are ValueErrors; a missing field is a
# KeyError; a list where an object belongs, a TypeError or AttributeError; deeply nested JSON, a
# RecursionError.
_PARSE_ERRORS = (ValueError, KeyError, TypeError, AttributeError, RecursionError)


class ParsingClient(APIClient):
    """The base of both clients: parse through the generated code, raise only our errors."""

    def _parse(self, response: httpx.Response, parse: Callable[[httpx.Response], T]) -> T:
        try:
            return parse(response)
        except UnexpectedStatus:
            # Only reached with raise_for_status=False (otherwise the client raised already):
            # sync()/asyncio() promise the success model, so anything else is an error.
            raise status_error(response, _language(response)) from None
        except _PARSE_ERRORS as error:
            request_id = _request_id(response)
            raise APIResponseValidationError(
                f"HTTP {response.status_code}: the body does not match the spec "
                f"({type(error).__name__}); x-request-id {request_id}",
                status_code=response.status_code,
                request_id=request_id,
            ) from error


def _language(response: httpx.Response) -> str:
    try:
        return str(response.request.headers.get("x-language", "id"))
    except RuntimeError:  # a response built without its request
        return "id"


def _request_id(response: httpx.Response) -> str | None:
    try:
        value = response.request.headers.get("x-request-id")
    except RuntimeError:
        return None
    return str(value) if value is not None else None
