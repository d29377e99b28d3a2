"""Retries: which failures are retried, how long to wait, and the transport that does it.

The waiting and counting is stamina's (exponential backoff with jitter, a cap, a test mode);
this module decides what is transient. Each attempt passes through the wire transport below,
which gives it a fresh ``x-request-id``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, cast

import httpx

from partner_api._errors import APIConnectionError, APITimeoutError

if TYPE_CHECKING:
    import stamina

RETRYABLE_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# Failures that happen before a single byte of the request can have reached the server: the
# only ones after which a POST may be sent again.
NEVER_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Set on a request that is safe to repeat whatever its method: the client's own token renewals
# (a second renewal merely issues another token).
REPEATABLE_EXTENSION: Final = "partner_api.repeatable"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 2
    wait_initial: float = 0.5
    wait_max: float = 8.0
    wait_jitter: float = 0.5
    retry_after_cap: float = 60.0
    """A server asking for a longer wait than this gets its answer returned, not a retry."""

    def should_retry_error(self, request: httpx.Request, error: Exception) -> bool:
        if _never_sent(error):
            return True
        return _repeatable(request) and isinstance(error, httpx.TransportError)

    def should_retry_status(self, request: httpx.Request, status_code: int) -> bool:
        return _repeatable(request) and status_code in RETRYABLE_STATUSES

    def backoff(self, request: httpx.Request, failure: Exception) -> bool | float:
        """stamina's hook: False to stop, True for the computed backoff, seconds to wait exactly."""
        if isinstance(failure, RetryableResponse):
            delay = parse_retry_after(failure.response.headers.get("retry-after"))
            if delay is None:
                return True
            return delay if delay <= self.retry_after_cap else False
        # Asked again on every attempt: a POST whose later attempt may have arrived stops here.
        return self.should_retry_error(request, failure)


def _never_sent(error: Exception) -> bool:
    if not isinstance(error, NEVER_SENT):
        return False
    cause = error.__cause__
    # httpx-aiohttp maps every aiohttp connection error to ConnectTimeout, a connection dropped
    # in the middle of a response included: there, only a connector error means it never left.
    if cause is not None and type(cause).__module__.partition(".")[0] == "aiohttp":
        return any(kind.__name__ == "ClientConnectorError" for kind in type(cause).__mro__)
    return True


def _repeatable(request: httpx.Request) -> bool:
    return request.method in IDEMPOTENT_METHODS or bool(request.extensions.get(REPEATABLE_EXTENSION))


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value; None when absent or unusable (inf, nan, junk)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
        return max(seconds, 0.0)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


class RetryableResponse(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _connection_error(error: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    return kind(f"{request.method} {request.url.path}: {type(error).__name__}: {error}", request=request)


def _settled(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    """The last answer, already read, returned as if fresh from the transport."""
    # The content is decoded already: the encoding and length headers no longer describe it.
    headers = [
        (k, v) for k, v in response.headers.multi_items() if k not in ("content-encoding", "content-length")
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=response.content,
        request=request,
        extensions=response.extensions,
    )


class RetryTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Retries transient failures; the first attempt runs without any retry machinery.

    Each response is read here, so that a connection dropped in the middle of a body is a
    transport failure like any other: retried where allowed, an APIConnectionError otherwise.
    """

    def __init__(self, inner: httpx.BaseTransport | httpx.AsyncBaseTransport, policy: RetryPolicy) -> None:
        self._inner = inner
        self._policy = policy

    def _attempts(self, request: httpx.Request) -> stamina._core._RetryContextIterator:
        # Imported on the first retry: a request that succeeds never needs stamina (or tenacity).
        import stamina  # noqa: PLC0415

        policy = self._policy
        return stamina.retry_context(
            on=functools.partial(policy.backoff, request),
            attempts=policy.max_retries + 1,
            timeout=None,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        )

    def _failure(self, request: httpx.Request, outcome: httpx.Response | Exception) -> Exception | None:
        """What to hand stamina after an attempt, or None if ``outcome`` stands."""
        if isinstance(outcome, httpx.Response):
            if self._policy.should_retry_status(request, outcome.status_code):
                return RetryableResponse(outcome)
            return None
        if self._policy.should_retry_error(request, outcome):
            return outcome
        return None

    def _send(self, request: httpx.Request) -> httpx.Response | httpx.TransportError:
        inner = cast("httpx.BaseTransport", self._inner)
        try:
            response = inner.handle_request(request)
        except httpx.TransportError as error:
            return error
        try:
            response.read()
        except httpx.TransportError as error:
            with contextlib.suppress(httpx.TransportError):
                response.close()  # give its connection back, broken as it is
            return error
        return response

    async def _send_async(self, request: httpx.Request) -> httpx.Response | httpx.TransportError:
        inner = cast("httpx.AsyncBaseTransport", self._inner)
        try:
            response = await inner.handle_async_request(request)
        except httpx.TransportError as error:
            return error
        try:
            await response.aread()
        except httpx.TransportError as error:
            with contextlib.suppress(httpx.TransportError):
                await response.aclose()  # give its connection back, broken as it is
            return error
        return response

    def _final(
        self, request: httpx.Request, outcome: httpx.Response | httpx.TransportError
    ) -> httpx.Response:
        if isinstance(outcome, httpx.TransportError):
            raise _connection_error(outcome, request) from outcome
        return outcome

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        outcome = self._send(request)
        failure = self._failure(request, outcome) if self._policy.max_retries else None
        if failure is None:
            return self._final(request, outcome)
        replayed = False
        try:
            for attempt in self._attempts(request):
                with attempt:
                    if not replayed:
                        # Replayed so that stamina decides about the first failure too.
                        replayed = True
                        raise failure
                    outcome = self._send(request)
                    failure = self._failure(request, outcome)
                    if failure is not None:
                        raise failure
                    return self._final(request, outcome)
        except RetryableResponse as last:
            return _settled(last.response, request)
        except httpx.TransportError as error:
            raise _connection_error(error, request) from error
        raise AssertionError("stamina ends by returning or raising")  # pragma: no cover

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        outcome = await self._send_async(request)
        failure = self._failure(request, outcome) if self._policy.max_retries else None
        if failure is None:
            return self._final(request, outcome)
        replayed = False
        try:
            async for attempt in self._attempts(request):
                with attempt:
                    if not replayed:
                        replayed = True
                        raise failure
                    outcome = await self._send_async(request)
                    failure = self._failure(request, outcome)
                    if failure is not None:
                        raise failure
                    return self._final(request, outcome)
        except RetryableResponse as last:
            return _settled(last.response, request)
        except httpx.TransportError as error:
            raise _connection_error(error, request) from error
        raise AssertionError("stamina ends by returning or raising")  # pragma: no cover

    def close(self) -> None:
        if isinstance(self._inner, httpx.BaseTransport):
            self._inner.close()

    async def aclose(self) -> None:
        if isinstance(self._inner, httpx.AsyncBaseTransport):
            await self._inner.aclose()
