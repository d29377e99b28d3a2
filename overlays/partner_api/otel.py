"""OpenTelemetry: spans named after the operation, tagged with the request id.

    pip install 'partner-api[otel]'

    import partner_api.otel
    partner_api.otel.instrument()  # once, at start-up, after configuring your TracerProvider

OpenTelemetry's httpx instrumentation names every span after its HTTP method (``GET``,
``POST``), so a token renewal looks like any business call. ``instrument()`` installs it with
hooks that rename each span to the operation's id (``getAccount``, ``renewAccessToken``, ...)
and set the attributes ``partner_api.operation`` and ``partner_api.request_id`` (the
``x-request-id`` the vendor logs, for support requests). Every HTTP attempt is a span:
retries, replays and renewals included.

Already instrumenting httpx yourself? Pass these hooks, or call them from yours:
``request_hook`` (sync clients) and ``async_request_hook`` (async clients; the
instrumentation only accepts coroutine functions there).
"""

from __future__ import annotations

from typing import Any

from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor, RequestInfo
from opentelemetry.trace import Span

from partner_api._introspect import operation_id as _operation_id

__all__ = [
    "OPERATION_ATTRIBUTE",
    "REQUEST_ID_ATTRIBUTE",
    "async_request_hook",
    "instrument",
    "request_hook",
    "uninstrument",
]

OPERATION_ATTRIBUTE = "partner_api.operation"
REQUEST_ID_ATTRIBUTE = "partner_api.request_id"


def request_hook(span: Span, request: RequestInfo) -> None:
    """Name ``span`` after the request's operation and tag it with its ``x-request-id``.

    Requests that no partner_api client made (no operation) are left as they are.
    """
    operation = _operation_id(request.extensions or {})
    if operation is None or not span.is_recording():
        return
    span.update_name(operation)
    span.set_attribute(OPERATION_ATTRIBUTE, operation)
    request_id = request.headers.get("x-request-id") if request.headers is not None else None
    if request_id:
        span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)


async def async_request_hook(span: Span, request: RequestInfo) -> None:
    """``request_hook`` for ``httpx.AsyncClient`` requests."""
    request_hook(span, request)


def instrument(**options: Any) -> None:
    """Instrument httpx (every client in the process) with these hooks.

    ``options`` go to ``HTTPXClientInstrumentor().instrument`` (``tracer_provider``,
    ``meter_provider``, ``response_hook``, ...). Undo with ``uninstrument()``.
    """
    HTTPXClientInstrumentor().instrument(
        request_hook=request_hook, async_request_hook=async_request_hook, **options
    )


def uninstrument() -> None:
    """Remove the httpx instrumentation ``instrument()`` installed."""
    HTTPXClientInstrumentor().uninstrument()
