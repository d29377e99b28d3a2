"""Retries: transient failures of idempotent requests, POST only when it never left; fresh ids."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import httpx
import pytest

from partner_api import APIConnectionError, APITimeoutError, RateLimitError, ServerError
from partner_api._retry import RetryableResponse, RetryPolicy, RetryTransport, parse_retry_after
from partner_api._wire import DEADLINE_EXTENSION
from partner_api_client.api.products import list_products
from partner_api_client.api.transfers import create_transfer
from partner_api_client.models import TransferRequest
from tests.overlay.conftest import VendorFlavor as Flavor
from tests.overlay.conftest import logged_in
from tests.overlay.fake_vendor import FakeVendor, raises, status

TRANSFER = TransferRequest(source_account_id="acc_001", destination_account_id="acc_002", amount="1.00")


def test_a_get_is_retried_on_503_with_a_fresh_request_id(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor))
    vendor.fail_next("/v1/products", status(503), status(502))
    assert flavor.call(list_products, client).status_code == 200
    assert vendor.calls["/v1/products"] == 3
    ids = [request.headers["x-request-id"] for request in vendor.seen]
    assert len(set(ids)) == 3


@pytest.mark.parametrize("code", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(code: int, flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor))
    vendor.fail_next("/v1/products", status(code))
    assert flavor.call(list_products, client).status_code == 200
    assert vendor.calls["/v1/products"] == 2


def test_retries_are_bounded_and_the_last_answer_raises(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor), max_retries=2)
    vendor.fail_next("/v1/products", *[status(503)] * 5)
    with pytest.raises(ServerError) as caught:
        flavor.call(list_products, client)
    assert caught.value.status_code == 503
    assert vendor.calls["/v1/products"] == 3


def test_max_retries_zero_sends_once(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor), max_retries=0)
    vendor.fail_next("/v1/products", status(429))
    with pytest.raises(RateLimitError):
        flavor.call(list_products, client)
    assert vendor.calls["/v1/products"] == 1


def test_a_post_is_not_retried_after_it_may_have_arrived(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor))
    vendor.fail_next("/v1/transfers", status(503))
    with pytest.raises(ServerError):
        flavor.call(create_transfer, client, body=TRANSFER)
    vendor.fail_next("/v1/transfers", raises(httpx.ReadError))
    with pytest.raises(APIConnectionError):
        flavor.call(create_transfer, client, body=TRANSFER)
    vendor.fail_next("/v1/transfers", raises(httpx.ReadTimeout))
    with pytest.raises(APITimeoutError):
        flavor.call(create_transfer, client, body=TRANSFER)
    assert vendor.calls["/v1/transfers"] == 3


def test_a_post_is_retried_when_it_never_left(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor))
    vendor.fail_next("/v1/transfers", raises(httpx.ConnectError), raises(httpx.ConnectTimeout))
    assert flavor.call(create_transfer, client, body=TRANSFER).status_code == 201
    assert vendor.calls["/v1/transfers"] == 3
    assert len({request.headers["x-request-id"] for request in vendor.seen}) == 3


def test_a_get_is_retried_on_a_dropped_connection(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor))
    vendor.fail_next("/v1/products", raises(httpx.RemoteProtocolError), raises(httpx.ReadTimeout))
    assert flavor.call(list_products, client).status_code == 200


def test_a_pinned_request_id_is_sent_once_and_retries_get_fresh_ones(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    """Property 11: the vendor refuses a reused id, so only the first transmission carries the pinned one."""
    client = flavor.client(vendor, tokens=logged_in(vendor)).with_options(request_id="caller-7")
    vendor.fail_next("/v1/products", status(503), status(503))
    flavor.call(list_products, client)
    first, *retries = [request.headers["x-request-id"] for request in vendor.seen]
    assert first == "caller-7"
    assert len(retries) == 2
    assert len(set(retries)) == 2
    assert all(uuid.UUID(value).version == 4 for value in retries)
    flavor.call(list_products, client)  # a new call: the pinned id again
    assert vendor.seen[-1].headers["x-request-id"] == "caller-7"


def test_a_pinned_request_id_is_not_reused_by_the_401_replay(flavor: Flavor, vendor: FakeVendor) -> None:
    """Property 11."""
    client = flavor.client(vendor, tokens=logged_in(vendor)).with_options(request_id="caller-8")
    vendor.revoke("access")
    assert flavor.call(list_products, client).status_code == 200
    sent = [(request.url.path, request.headers["x-request-id"]) for request in vendor.seen]
    assert sent[0] == ("/v1/products", "caller-8")
    assert sent[-1][0] == "/v1/products"
    assert sent[-1][1] != "caller-8"
    assert len({request_id for _, request_id in sent}) == len(sent)


@pytest.mark.parametrize("code", [400, 401])
def test_the_renewal_call_is_not_retried_on_400_or_401(code: int, flavor: Flavor, vendor: FakeVendor) -> None:
    tokens = logged_in(vendor)
    client = flavor.client(vendor, tokens=tokens)
    vendor.revoke("access")
    vendor.fail_next("/v1/auth/access-token", status(code))
    vendor.revoke("user")
    with pytest.raises(Exception):  # noqa: B017, PT011 (400 raises BadRequestError, 401 ends in reauthentication)
        flavor.call(list_products, client)
    assert vendor.calls["/v1/auth/access-token"] == 1


def test_the_renewal_call_is_retried_on_503(flavor: Flavor, vendor: FakeVendor) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor))
    vendor.revoke("access")
    vendor.fail_next("/v1/auth/access-token", status(503))
    assert flavor.call(list_products, client).status_code == 200
    assert vendor.calls["/v1/auth/access-token"] == 2


# ---- the policy, without I/O ------------------------------------------------------------------


REQUEST = httpx.Request("GET", "https://api.test/v1/products")


def _retryable(headers: dict[str, str]) -> RetryableResponse:
    return RetryableResponse(httpx.Response(429, headers=headers))


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    policy = RetryPolicy(retry_after_cap=60, wait_jitter=0)
    assert policy.delay(REQUEST, _retryable({"retry-after": "7"}), 1) == 7.0
    assert policy.delay(REQUEST, _retryable({}), 1) == 0.5  # no Retry-After: the backoff
    assert policy.delay(REQUEST, _retryable({"retry-after": "61"}), 1) is None
    assert policy.delay(REQUEST, _retryable({"retry-after": "soon"}), 2) == 1.0


NOW = dt.datetime(2026, 11, 28, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("5", 5.0),
        ("0012", 12.0),
        ("9" * 400, 1e9),  # valid, absurd: longer than any cap, and no OverflowError
        ("Sat, 28 Nov 2026 12:00:30 GMT", 30.0),
        ("Sat, 28 Nov 2026 11:59:00 GMT", 0.0),
        ("Saturday, 28-Nov-26 12:00:30 GMT", 30.0),  # RFC 850, obsolete but allowed
        ("Sat Nov 28 12:00:30 2026", 30.0),  # asctime, obsolete but allowed
        # Not RFC 9110 (1*DIGIT or an HTTP-date): treated as absent.
        ("-3", None),
        ("+7", None),
        ("1.5", None),
        ("1_0", None),
        ("5e1", None),
        ("0x10", None),
        ("\u0667", None),  # Arabic-Indic seven: int() and float() would take it
        ("\u0661\u0660", None),  # Arabic-Indic ten
        ("\uff17", None),  # fullwidth seven
        (" 7 ", None),
        ("7 ", None),
        ("inf", None),
        ("-inf", None),
        ("nan", None),
        ("1e400", None),
        ("", None),
        ("soon", None),
        ("Sat, 99 Nov 2026 12:00:30 GMT", None),
        ("Sat, 28 Nov 99999 12:00:30 GMT", None),
        (None, None),
    ],
)
def test_retry_after_parsing(value: str | None, expected: float | None) -> None:
    """Property 12: only RFC 9110's forms of Retry-After are honoured; everything else is absent."""
    assert parse_retry_after(value, now=NOW) == expected


def test_a_huge_retry_after_is_not_waited_for() -> None:
    assert RetryPolicy().delay(REQUEST, _retryable({"retry-after": "99999999999"}), 1) is None
    assert RetryPolicy().delay(REQUEST, _retryable({"retry-after": "9" * 400}), 1) is None


@pytest.mark.parametrize(
    ("attempt", "expected"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]
)
def test_backoff_is_exponential_and_capped(attempt: int, expected: float) -> None:
    """Property 12: 0.5 s doubling, capped at 8 s, plus up to 0.5 s of jitter."""
    policy = RetryPolicy()
    assert policy.backoff(attempt, jitter=0) == expected
    waits = [policy.backoff(attempt) for _ in range(200)]
    assert all(expected <= wait <= expected + 0.5 for wait in waits)
    assert len(set(waits)) > 1  # jittered


# ---- the call's deadline ------------------------------------------------------------------------------


def test_each_attempt_gets_only_the_time_left(flavor: Flavor, vendor: FakeVendor) -> None:
    """Property 21: per-attempt httpx timeouts are clipped to what is left of the call's timeout."""
    seen: list[dict[str, float]] = []

    def slow_503(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        time.sleep(0.3)
        return httpx.Response(503, json={"code": "DOWN", "message": "x", "requestId": ""})

    def record(request: httpx.Request) -> None:
        seen.append(dict(request.extensions["timeout"]))

    vendor.fail_next("/v1/products", slow_503, record)  # type: ignore[arg-type]
    client = flavor.client(vendor, tokens=logged_in(vendor), timeout=httpx.Timeout(2.0, connect=0.5))
    assert flavor.call(list_products, client).status_code == 200
    first, second = seen
    assert first["read"] <= 2.0
    assert first["connect"] == 0.5
    assert second["read"] <= 1.75  # 0.3 s went by in the first attempt
    assert second["connect"] <= 0.5


def test_an_attempt_past_the_deadline_is_not_started(vendor: FakeVendor) -> None:
    """Property 21: the transport on its own, with a deadline already past."""
    transport = RetryTransport(httpx.MockTransport(vendor.sync_handler), RetryPolicy())
    request = httpx.Request("GET", "https://api.test/v1/products")
    request.extensions[DEADLINE_EXTENSION] = time.monotonic() - 1
    with pytest.raises(APITimeoutError, match="timeout passed"):
        transport.handle_request(request)
    assert vendor.calls["/v1/products"] == 0


@pytest.fixture
def recorded_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """stamina's waits, real values, without sleeping (its test mode would make them 0)."""
    import stamina._core
    import tenacity.nap

    sleeps: list[float] = []

    async def asleep(seconds: float) -> None:
        sleeps.append(seconds)

    monkeypatch.setattr(tenacity.nap.time, "sleep", sleeps.append)
    monkeypatch.setattr(stamina._core, "_smart_sleep", asleep)
    stamina.set_testing(False)
    return sleeps


def test_no_wait_is_started_that_would_end_past_the_deadline(
    flavor: Flavor, vendor: FakeVendor, recorded_sleeps: list[float]
) -> None:
    """Property 21: a wait beyond the call's timeout is not started: the answer is returned."""
    client = flavor.client(vendor, tokens=logged_in(vendor), timeout=1.0)
    vendor.fail_next("/v1/products", status(503, {"retry-after": "5"}))
    with pytest.raises(ServerError):
        flavor.call(list_products, client)
    client = flavor.client(vendor, tokens=logged_in(vendor), timeout=0.4)
    vendor.fail_next("/v1/products", status(503))  # the backoff, 0.5 s at least, is too long too
    with pytest.raises(ServerError):
        flavor.call(list_products, client)
    assert vendor.calls["/v1/products"] == 2
    assert recorded_sleeps == []


def test_backoff_delays_are_exponential_jittered_and_retry_after_is_exact(
    flavor: Flavor, vendor: FakeVendor, recorded_sleeps: list[float]
) -> None:
    """Property 12: the waits actually slept between attempts."""
    client = flavor.client(vendor, tokens=logged_in(vendor), max_retries=3)
    vendor.fail_next("/v1/products", status(503), status(502), status(429, {"retry-after": "3"}))
    assert flavor.call(list_products, client).status_code == 200
    first, second, third = recorded_sleeps
    assert 0.5 <= first <= 1.0
    assert 1.0 <= second <= 1.5
    assert third == 3.0
    assert vendor.calls["/v1/products"] == 4
