"""Retries: which failures are retried, how long to wait, and the transport that does it.

The waiting and counting is stamina's (exponential backoff with jitter, a cap, a test mode);
this module decides what is transient. Each attempt passes through the wire transport below,
which gives it a fresh ``x-request-id``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import math
from dataclasses import dataclass
from typing import Final, cast

import httpx
import stamina

from partner_api._errors import APIConnectionError, APITimeoutError

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
        if isinstance(error, NEVER_SENT):
            return True
        return _repeatable(request) and isinstance(error, httpx.TransportError)

    def should_retry_status(self, request: httpx.Request, status_code: int) -> bool:
        return _repeatable(request) and status_code in RETRYABLE_STATUSES

    def backoff(self, failure: Exception) -> bool | float:
        """stamina's hook: False to stop, True for the computed backoff, seconds to wait exactly."""
        if isinstance(failure, RetryableResponse):
            delay = parse_retry_after(failure.response.headers.get("retry-after"))
            if delay is None:
                return True
            return delay if delay <= self.retry_after_cap else False
        return isinstance(failure, httpx.TransportError)


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


def _settled(response: httpx.Response) -> httpx.Response:
    """A read response, returned after the last retry, as if fresh from the transport."""
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        content=response.content,
        request=response.request,
        extensions=response.extensions,
    )


class RetryTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Retries transient failures; the first attempt runs without any retry machinery."""

    def __init__(self, inner: httpx.BaseTransport | httpx.AsyncBaseTransport, policy: RetryPolicy) -> None:
        self._inner = inner
        self._policy = policy
        self._attempts = functools.partial(
            stamina.retry_context,
            on=policy.backoff,
            attempts=policy.max_retries + 1,
            timeout=None,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        )

    def _first_failure(self, request: httpx.Request, outcome: httpx.Response | Exception) -> Exception | None:
        """The failure to retry after the first attempt, or None if ``outcome`` stands."""
        if isinstance(outcome, httpx.Response):
            if self._policy.max_retries and self._policy.should_retry_status(request, outcome.status_code):
                return RetryableResponse(outcome)
            return None
        if self._policy.max_retries and self._policy.should_retry_error(request, outcome):
            return outcome
        return None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        inner = cast("httpx.BaseTransport", self._inner)
        try:
            response = inner.handle_request(request)
        except httpx.TransportError as error:
            failure = self._first_failure(request, error)
            if failure is None:
                raise _connection_error(error, request) from error
            pending: Exception = failure
        else:
            failure = self._first_failure(request, response)
            if failure is None:
                return response
            pending = failure
            response.read()
        replayed = False
        try:
            for attempt in self._attempts():
                with attempt:
                    if not replayed:
                        # Replayed so that stamina decides about the first failure too.
                        replayed = True
                        raise pending
                    response = inner.handle_request(request)
                    if self._policy.should_retry_status(request, response.status_code):
                        response.read()
                        raise RetryableResponse(response)
                    return response
        except RetryableResponse as last:
            return _settled(last.response)
        except httpx.TransportError as error:
            raise _connection_error(error, request) from error
        raise AssertionError("stamina ends by returning or raising")  # pragma: no cover

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        inner = cast("httpx.AsyncBaseTransport", self._inner)
        try:
            response = await inner.handle_async_request(request)
        except httpx.TransportError as error:
            failure = self._first_failure(request, error)
            if failure is None:
                raise _connection_error(error, request) from error
            pending: Exception = failure
        else:
            failure = self._first_failure(request, response)
            if failure is None:
                return response
            pending = failure
            await response.aread()
        replayed = False
        try:
            async for attempt in self._attempts():
                with attempt:
                    if not replayed:
                        replayed = True
                        raise pending
                    response = await inner.handle_async_request(request)
                    if self._policy.should_retry_status(request, response.status_code):
                        await response.aread()
                        raise RetryableResponse(response)
                    return response
        except RetryableResponse as last:
            return _settled(last.response)
        except httpx.TransportError as error:
            raise _connection_error(error, request) from error
        raise AssertionError("stamina ends by returning or raising")  # pragma: no cover

    def close(self) -> None:
        if isinstance(self._inner, httpx.BaseTransport):
            self._inner.close()

    async def aclose(self) -> None:
        if isinstance(self._inner, httpx.AsyncBaseTransport):
            await self._inner.aclose()
