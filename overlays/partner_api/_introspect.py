"""What a hook can learn about a request or response the client sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from partner_api._wire import OPERATION_EXTENSION


def operation_id(message: httpx.Request | httpx.Response | Mapping[str, Any]) -> str | None:
    """The spec's operationId of the call a request (or its response) belongs to.

    For metrics and tracing hooks (httpx event hooks, OpenTelemetry hooks): ``getAccount``,
    ``renewAccessToken``, ... None for a request the client did not make for an operation.
    Token renewals carry their own operation, so they can be told apart from business calls.
    A request's ``extensions`` mapping works too (what transport-level hooks see).
    """
    if isinstance(message, httpx.Response):
        try:
            message = message.request
        except RuntimeError:  # a response built without its request
            return None
    extensions = message.extensions if isinstance(message, httpx.Request) else message
    value = extensions.get(OPERATION_EXTENSION)
    return value if isinstance(value, str) else None
