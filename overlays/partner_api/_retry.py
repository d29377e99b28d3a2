"""Retries and the call's overall deadline: which failures are retried, how long to wait, and
the transport that does it (and reads each answer, capped).

The counting and sleeping is stamina's (with its test mode); the waits are computed here, so
that none is started that would end past the call's deadline. Each attempt passes through the
wire transport, which gives it a fresh ``x-request-id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import random
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, cast

import httpx

from partner_api import _deadline as deadline
from partner_api._body import DEFAULT_MAX_RESPONSE_BYTES, BodyReader, settled
from partner_api._errors import APIConnectionError, APITimeoutError
from partner_api._wire import DEADLINE_EXTENSION

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    import stamina

RETRYABLE_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# Failures that happen before a single byte of the request can have reached the server: the
# only ones after which a POST may be sent again.
NEVER_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Set on a request that is safe to repeat whatever its method: the client's own token renewals
# (a second renewal merely issues another token).
REPEATABLE_EXTENSION: Final = "partner_api.repeatable"
# For a request that carries neither a deadline nor a timeout (a transport used on its own).
DEFAULT_DEADLINE: Final = 30.0
# RFC 9110 section 10.2.3: delay-seconds = 1*DIGIT (ASCII digits only: no sign, point, exponent,
# underscore or other scripts' digits, all of which float() and int() would take).
_DELAY_SECONDS: Final = re.compile(r"[0-9]+")
_LONGEST_WAIT: Final = 10.0**9


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 2
    wait_initial: float = 0.5
    wait_max: float = 8.0
    wait_jitter: float = 0.5
    retry_after_cap: float = 60.0
    """A server asking for a longer wait than this gets its answer returned, not a retry."""
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    """What is read of one response body, decompressed; beyond it, ResponseTooLargeError."""

    def should_retry_error(self, request: httpx.Request, error: Exception) -> bool:
        if _never_sent(error):
            return True
        return _repeatable(request) and isinstance(error, httpx.TransportError)

    def should_retry_status(self, request: httpx.Request, status_code: int) -> bool:
        return _repeatable(request) and status_code in RETRYABLE_STATUSES

    def delay(self, request: httpx.Request, failure: Exception, attempt: int) -> float | None:
        """Seconds to wait after attempt number ``attempt`` (from 1) ended in ``failure``; None: stop."""
        if isinstance(failure, RetryableResponse):
            retry_after = parse_retry_after(failure.response.headers.get("retry-after"))
            if retry_after is not None:
                return retry_after if retry_after <= self.retry_after_cap else None
        # Asked again on every attempt: a POST whose later attempt may have arrived stops here.
        elif not self.should_retry_error(request, failure):
            return None
        return self.backoff(attempt)

    def backoff(self, attempt: int, jitter: float | None = None) -> float:
        """Exponential from ``wait_initial``, capped at ``wait_max``, plus up to ``wait_jitter``."""
        if jitter is None:
            jitter = random.uniform(0, self.wait_jitter)  # noqa: S311 (spreading load, not secrecy)
        return min(self.wait_max, self.wait_initial * 2.0 ** min(attempt - 1, 64)) + jitter


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
    """Seconds to wait from a Retry-After value; None when absent or not RFC 9110's (digits or a date)."""
    if value is None:
        return None
    if _DELAY_SECONDS.fullmatch(value):
        # 400 digits are a valid and absurd wait: longer than any cap, without float overflow.
        return float(min(int(value), _LONGEST_WAIT)) if len(value) < 20 else _LONGEST_WAIT
    if not value or not value[0].isalpha() or value != value.strip():
        return None  # an HTTP-date starts with the day's name
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return max(seconds, 0.0)


class RetryableResponse(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _connection_error(error: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    return kind(f"{request.method} {request.url.path}: {type(error).__name__}: {error}", request=request)


def _deadline_of(request: httpx.Request) -> float:
    deadline = request.extensions.get(DEADLINE_EXTENSION)
    if isinstance(deadline, int | float):
        return float(deadline)
    # Set by the auth flow for every call; a request without one (the client's own renewals, a
    # transport used on its own) gets the longest of its timeouts.
    parts = [value for value in (request.extensions.get("timeout") or {}).values() if value is not None]
    deadline = time.monotonic() + (max(parts) if parts else DEFAULT_DEADLINE)
    request.extensions[DEADLINE_EXTENSION] = deadline
    return deadline


Outcome = httpx.Response | httpx.TransportError


def _read_already(response: httpx.Response, reader: BodyReader) -> bool:
    """Whether the transport handed over a response it had read (and decoded) itself."""
    if not response.is_stream_consumed:
        return False
    reader.decoded_by_httpx = True
    return True


def _chunks(response: httpx.Response, reader: BodyReader) -> Iterator[bytes]:
    if _read_already(response, reader):
        return iter((response.content,))
    return response.iter_bytes() if reader.decoded_by_httpx else response.iter_raw()


def _achunks(response: httpx.Response, reader: BodyReader) -> AsyncIterator[bytes]:
    if _read_already(response, reader):

        async def single() -> AsyncIterator[bytes]:
            yield response.content

        return single()
    return response.aiter_bytes() if reader.decoded_by_httpx else response.aiter_raw()


class _Call:
    """One request through the retry transport: its deadline, attempts and verdicts (no I/O)."""

    __slots__ = ("attempts_made", "deadline", "policy", "request", "timeouts")

    def __init__(self, policy: RetryPolicy, request: httpx.Request) -> None:
        self.policy = policy
        self.request = request
        self.deadline = _deadline_of(request)
        self.timeouts: dict[str, float | None] = dict(request.extensions.get("timeout") or {})
        self.attempts_made = 1

    def begin(self) -> float:
        """Before an attempt: clip its timeouts to the time left; the time left."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.timed_out()
        self.request.extensions["timeout"] = {
            name: left if value is None else min(value, left) for name, value in self.timeouts.items()
        }
        return left

    def timed_out(self) -> APITimeoutError:
        request = self.request
        return APITimeoutError(
            f"{request.method} {request.url.path}: the call's timeout passed", request=request
        )

    def reader(self, response: httpx.Response) -> BodyReader:
        return BodyReader(response, self.request, self.policy.max_response_bytes, self.deadline)

    def failure(self, outcome: Outcome | None) -> Exception | None:
        """What to hand stamina after an attempt, or None if ``outcome`` stands."""
        if not self.policy.max_retries or outcome is None:
            return None
        if isinstance(outcome, httpx.Response):
            if self.policy.should_retry_status(self.request, outcome.status_code):
                return RetryableResponse(outcome)
            return None
        if self.policy.should_retry_error(self.request, outcome):
            return outcome
        return None

    def check(self, outcome: Outcome) -> httpx.Response:
        """The outcome of an attempt under stamina: raises what is to be retried."""
        failure = self.failure(outcome)
        if failure is not None:
            raise failure
        return self.final(outcome)

    def final(self, outcome: Outcome | None) -> httpx.Response:
        assert outcome is not None  # noqa: S101 (an attempt always has one)
        if isinstance(outcome, httpx.TransportError):
            if time.monotonic() >= self.deadline:
                raise self.timed_out() from outcome
            raise _connection_error(outcome, self.request) from outcome
        return outcome

    def exhausted(self, last: RetryableResponse | httpx.TransportError) -> httpx.Response:
        """The outcome once stamina gives up: the last answer, or the last error, typed."""
        return self.final(last.response if isinstance(last, RetryableResponse) else last)

    def backoff(self, failure: Exception) -> bool | float:
        """stamina's hook: False to stop, else the seconds to wait (never past the deadline)."""
        if not isinstance(failure, RetryableResponse | httpx.TransportError):
            return False  # ours (a deadline, a cap): final
        delay = self.policy.delay(self.request, failure, self.attempts_made)
        if delay is None:
            return False
        import stamina  # noqa: PLC0415 (loaded by attempts() already)

        # In stamina's test mode the wait is skipped: only the deadline itself then counts.
        if time.monotonic() + (0.0 if stamina.is_testing() else delay) >= self.deadline:
            return False
        return delay

    def attempts(self) -> stamina._core._RetryContextIterator:
        # Imported on the first retry: a request that succeeds never needs stamina (or tenacity).
        import stamina  # noqa: PLC0415

        def hook(failure: Exception) -> bool | float:
            wait = self.backoff(failure)
            self.attempts_made += 1
            return wait

        return stamina.retry_context(on=hook, attempts=self.policy.max_retries + 1, timeout=None)


def _on_asyncio() -> bool:
    try:
        return asyncio.current_task() is not None
    except RuntimeError:  # trio
        return False


class RetryTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Retries transient failures within the call's deadline, and reads each answer whole.

    The flow is ``_Call``'s; the two drivers below only do the I/O. The first attempt runs
    without any retry machinery. Each response is read here, so that a connection dropped in
    the middle of a body is a transport failure like any other (retried where allowed, an
    APIConnectionError otherwise), and so that what is read is capped and decoded safely.
    """

    def __init__(self, inner: httpx.BaseTransport | httpx.AsyncBaseTransport, policy: RetryPolicy) -> None:
        self._inner = inner
        self._policy = policy
        # A transport that does not check the deadline on each socket operation gets a cancel
        # scope around each async attempt (a timer each: our own pools do without).
        self._scoped = not getattr(inner, "deadline_aware", False)

    # ---- sync driver ---------------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        call = _Call(self._policy, request)
        pending: Outcome | None = self._attempt(call)
        if call.failure(pending) is None:
            return call.final(pending)
        try:
            for attempt in call.attempts():
                # The first pass hands stamina the first failure, so that it decides about it too.
                outcome, pending = pending, None
                with attempt:
                    return call.check(outcome if outcome is not None else self._attempt(call))
        except (RetryableResponse, httpx.TransportError) as last:
            return call.exhausted(last)
        raise AssertionError("stamina ends by returning or raising")  # pragma: no cover

    def _attempt(self, call: _Call) -> Outcome:
        call.begin()
        published = deadline.publish(call.deadline)
        try:
            try:
                response = self._inner.handle_request(call.request)  # type: ignore[union-attr]
            except httpx.TransportError as error:
                return error
            reader = call.reader(response)
            try:
                reader.check_declared_length()
                for chunk in _chunks(response, reader):
                    reader.feed(chunk)
                return settled(response, reader)
            except httpx.TransportError as error:
                return error
            except httpx.DecodingError as error:
                raise reader.decoding_error(error) from error
            finally:
                with contextlib.suppress(httpx.TransportError):
                    response.close()  # give its connection back (closed if the body was cut short)
        finally:
            deadline.withdraw(published)

    # ---- async driver --------------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        call = _Call(self._policy, request)
        pending: Outcome | None = await self._attempt_async(call)
        if call.failure(pending) is None:
            return call.final(pending)
        try:
            async for attempt in call.attempts():
                # The first pass hands stamina the first failure, so that it decides about it too.
                outcome, pending = pending, None
                with attempt:
                    return call.check(outcome if outcome is not None else await self._attempt_async(call))
        except (RetryableResponse, httpx.TransportError) as last:
            return call.exhausted(last)
        raise AssertionError("stamina ends by returning or raising")  # pragma: no cover

    async def _attempt_async(self, call: _Call) -> Outcome:
        left = call.begin()
        published = deadline.publish(call.deadline)
        try:
            if not self._scoped:
                return await self._exchange_async(call)
            # The whole attempt, informational responses included.
            if _on_asyncio():
                async with asyncio.timeout(left):  # a third of anyio's cost per attempt
                    return await self._exchange_async(call)
            import anyio  # noqa: PLC0415 (trio, say: asyncio needs no anyio here)

            with anyio.fail_after(left):
                return await self._exchange_async(call)
        except TimeoutError:
            raise call.timed_out() from None
        finally:
            deadline.withdraw(published)

    async def _exchange_async(self, call: _Call) -> Outcome:
        try:
            response = await cast("httpx.AsyncBaseTransport", self._inner).handle_async_request(call.request)
        except httpx.TransportError as error:
            return error
        reader = call.reader(response)
        try:
            reader.check_declared_length()
            async for chunk in _achunks(response, reader):
                reader.feed(chunk)
            return settled(response, reader)
        except httpx.TransportError as error:
            return error
        except httpx.DecodingError as error:
            raise reader.decoding_error(error) from error
        finally:
            with contextlib.suppress(httpx.TransportError):
                await response.aclose()  # httpcore shields its own clean-up from cancellation

    def close(self) -> None:
        if isinstance(self._inner, httpx.BaseTransport):
            self._inner.close()

    async def aclose(self) -> None:
        if isinstance(self._inner, httpx.AsyncBaseTransport):
            await self._inner.aclose()
