"""Issue 9, the core's part: tokens are never lost, no wait outlives the call's deadline, renewal
stays single-flight whatever it meets, and the errors are the right ones. Each test failed on the
code before the fix (sync/async pairs where both flavours were affected)."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import logging
import math
import os
import signal
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from partner_api import (
    APITimeoutError,
    AsyncPartnerClient,
    ConfigurationError,
    MissingTokenError,
    PartnerAPIError,
    PartnerClient,
    ReauthenticationRequired,
    Tokens,
)
from partner_api._wire import DEADLINE_EXTENSION
from partner_api_client.api.accounts import get_account
from partner_api_client.api.auth import renew_access_token
from partner_api_client.api.products import list_products
from partner_api_client.api.users import authenticate_user
from partner_api_client.models import UserCredentials
from tests.overlay.conftest import VendorFlavor as Flavor
from tests.overlay.conftest import logged_in
from tests.overlay.fake_vendor import FakeVendor, status

ACCESS = "/v1/auth/access-token"
REFRESH = "/v1/auth/refresh-token"
FIRST = "/v1/auth/token"
LOGIN = UserCredentials(username="siti", password="pw")


def _no_user(vendor: FakeVendor) -> Tokens:
    return dataclasses.replace(logged_in(vendor), user_token=None, user_token_expires_at=None)


def _renewal_answer(**fields: Any) -> Any:
    def fault(request: httpx.Request) -> httpx.Response:
        body = json.dumps({"tokenType": "Bearer", **fields}, allow_nan=True)
        return httpx.Response(200, content=body.encode(), headers={"content-type": "application/json"})

    return fault


# ---- lifetimes -------------------------------------------------------------------------------

BAD_LIFETIMES = [math.nan, math.inf, -math.inf, 1e12, 10**400, 0, -5]


@pytest.mark.parametrize("lifetime", BAD_LIFETIMES, ids=repr)
def test_an_unusable_lifetime_keeps_the_token_and_renews_once(
    lifetime: float, flavor: Flavor, vendor: FakeVendor, caplog: pytest.LogCaptureFixture
) -> None:
    client = flavor.client(vendor, tokens=logged_in(vendor, access=-1.0))
    new = vendor.issue("access")
    vendor.fail_next(ACCESS, _renewal_answer(accessToken=new, expiresIn=lifetime))
    with caplog.at_level(logging.WARNING, logger="partner_api"):
        for _ in range(5):
            assert flavor.call(list_products, client).status_code == 200
    assert client.tokens.access_token == new
    assert vendor.calls[ACCESS] == 1  # not one renewal per call
    assert client.tokens.access_token_expires_at is None  # unknown: renewed after a 401


@pytest.mark.parametrize("lifetime", [math.nan, 10**400, 1e12], ids=repr)
def test_a_client_can_start_when_the_first_tokens_have_unusable_lifetimes(
    lifetime: float, flavor: Flavor, vendor: FakeVendor
) -> None:
    body = {"accessToken": vendor.issue("access"), "accessTokenExpiresIn": lifetime}
    body |= {"refreshToken": vendor.issue("refresh"), "refreshTokenExpiresIn": lifetime}
    vendor.fail_next(FIRST, _renewal_answer(**body))
    client = flavor.client(vendor, private_key=vendor.private_key)
    assert flavor.call(list_products, client).status_code == 200
    assert flavor.call(list_products, client).status_code == 200
    assert vendor.calls[FIRST] == 1


# ---- callbacks: store first, then notify --------------------------------------------------------


def test_cancelling_the_caller_during_an_async_callback_keeps_the_user_token(vendor: FakeVendor) -> None:
    """Property 23."""
    persisted: list[Tokens] = []

    async def persist(tokens: Tokens) -> None:
        await asyncio.sleep(0.2)
        persisted.append(tokens)

    async def scenario() -> AsyncPartnerClient:
        client = vendor.async_client(tokens=_no_user(vendor), on_tokens_changed=persist)
        login = asyncio.create_task(authenticate_user.asyncio_detailed(client=client, body=LOGIN))
        await asyncio.sleep(0.05)
        login.cancel()
        with pytest.raises(asyncio.CancelledError):
            await login
        assert client.tokens.user_token in vendor.valid["user"]
        await asyncio.sleep(0.3)  # the callback was not cancelled with the caller
        await client.aclose()
        return client

    client = asyncio.run(scenario())
    assert [tokens.user_token for tokens in persisted] == [client.tokens.user_token]


def test_concurrent_async_publications_end_with_every_token_held(vendor: FakeVendor) -> None:
    """Property 23: the last set persisted holds every token the client holds, even when the
    first publication's callback is still running as the second one comes."""
    persisted: list[Tokens] = []
    delays = iter([0.2, 0.0, 0.0, 0.0])

    async def persist(tokens: Tokens) -> None:
        await asyncio.sleep(next(delays, 0.0))
        persisted.append(tokens)

    async def scenario() -> AsyncPartnerClient:
        client = vendor.async_client(tokens=_no_user(vendor), on_tokens_changed=persist)
        renewal = asyncio.create_task(renew_access_token.asyncio_detailed(client=client))
        await asyncio.sleep(0.05)  # its callback is running (slowly) when the login publishes
        await authenticate_user.asyncio_detailed(client=client, body=LOGIN)
        await renewal
        await client.aclose()
        return client

    client = asyncio.run(scenario())
    assert client.tokens.user_token is not None
    assert persisted[-1] == client.tokens


def test_a_base_exception_from_the_callback_never_drops_a_rotated_token_sync(vendor: FakeVendor) -> None:
    """Property 23: the vendor rotated the refresh token; the client keeps the new one."""

    def persist(tokens: Tokens) -> None:
        if tokens.refresh_token in vendor.valid["refresh"]:  # the rotated one
            raise KeyboardInterrupt

    client = vendor.sync_client(tokens=logged_in(vendor, access=-1.0), on_tokens_changed=persist)
    vendor.revoke("refresh")
    with pytest.raises(KeyboardInterrupt):
        list_products.sync_detailed(client=client)
    assert client.tokens.refresh_token in vendor.valid["refresh"]


def test_a_base_exception_from_the_callback_never_drops_a_rotated_token_async(vendor: FakeVendor) -> None:
    """Property 23."""

    async def persist(tokens: Tokens) -> None:
        if tokens.refresh_token in vendor.valid["refresh"]:  # the rotated one
            raise asyncio.CancelledError

    async def scenario() -> AsyncPartnerClient:
        client = vendor.async_client(tokens=logged_in(vendor, access=-1.0), on_tokens_changed=persist)
        vendor.revoke("refresh")
        with pytest.raises(asyncio.CancelledError):
            await list_products.asyncio_detailed(client=client)
        await client.aclose()
        return client

    client = asyncio.run(scenario())
    assert client.tokens.refresh_token in vendor.valid["refresh"]


def test_partner_client_refuses_an_object_with_an_async_call() -> None:
    class Saver:
        async def __call__(self, tokens: Tokens) -> None:
            await asyncio.sleep(0)

    with pytest.raises(ConfigurationError, match="coroutine function"):
        PartnerClient(app_key="k", base_url="https://api.test", on_tokens_changed=Saver())


def test_a_callback_returning_a_coroutine_fails_loudly_and_keeps_the_tokens(vendor: FakeVendor) -> None:
    async def save(tokens: Tokens) -> None:
        await asyncio.sleep(0)

    client = vendor.sync_client(private_key=vendor.private_key, on_tokens_changed=lambda tokens: save(tokens))  # noqa: PLW0108 (the case: a plain lambda)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a coroutine never awaited would warn: it is closed instead
        with pytest.raises(ConfigurationError, match="NOT persisted"):
            list_products.sync_detailed(client=client)
        gc.collect()
    assert client.tokens.access_token in vendor.valid["access"]


# ---- deadlines --------------------------------------------------------------------------------


def test_waiting_threads_give_up_at_their_deadline(vendor: FakeVendor) -> None:
    """Property 21: a renewal stuck for 2 s; callers with timeout=0.3 get APITimeoutError by then."""
    vendor.renewal_delay = 2.0
    client = vendor.sync_client(tokens=logged_in(vendor, access=-1.0))
    stuck = threading.Thread(target=lambda: list_products.sync_detailed(client=client))
    stuck.start()
    time.sleep(0.1)
    hasty = client.with_options(timeout=0.3)

    def call(_: int) -> tuple[str, float]:
        started = time.monotonic()
        try:
            list_products.sync_detailed(client=hasty)
        except APITimeoutError:
            return "timeout", time.monotonic() - started
        return "ok", time.monotonic() - started

    with ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = list(pool.map(call, range(5)))
    stuck.join()
    assert [outcome for outcome, _ in outcomes] == ["timeout"] * 5
    assert max(elapsed for _, elapsed in outcomes) < 1.0


def test_waiting_tasks_give_up_at_their_deadline(vendor: FakeVendor) -> None:
    """Property 21."""
    vendor.renewal_delay = 2.0

    async def scenario() -> list[tuple[str, float]]:
        client = vendor.async_client(tokens=logged_in(vendor, access=-1.0))
        stuck = asyncio.create_task(list_products.asyncio_detailed(client=client))
        await asyncio.sleep(0.1)
        hasty = client.with_options(timeout=0.3)

        async def call() -> tuple[str, float]:
            started = time.monotonic()
            try:
                await list_products.asyncio_detailed(client=hasty)
            except APITimeoutError:
                return "timeout", time.monotonic() - started
            return "ok", time.monotonic() - started

        outcomes = await asyncio.gather(*(call() for _ in range(5)))
        await stuck
        await client.aclose()
        return outcomes

    outcomes = asyncio.run(scenario())
    assert [outcome for outcome, _ in outcomes] == ["timeout"] * 5
    assert max(elapsed for _, elapsed in outcomes) < 1.0


def test_each_request_carries_the_calls_deadline(flavor: Flavor, vendor: FakeVendor) -> None:
    """The whole-call deadline is the largest part of the timeout, renewals included."""
    seen: dict[str, float] = {}

    def spy(request: httpx.Request) -> None:
        seen[request.url.path] = request.extensions[DEADLINE_EXTENSION]

    vendor.fail_next(ACCESS, spy)
    vendor.fail_next("/v1/products", spy)
    client = flavor.client(
        vendor, tokens=logged_in(vendor, access=-1.0), timeout=httpx.Timeout(2.0, read=7.0)
    )
    started = time.monotonic()
    flavor.call(list_products, client)
    assert seen["/v1/products"] == pytest.approx(started + 7.0, abs=0.5)
    assert seen[ACCESS] == seen["/v1/products"]


@pytest.mark.parametrize("timeout", [math.inf, 1e300, httpx.Timeout(5.0, read=math.inf)])
def test_an_endless_timeout_is_refused(timeout: Any) -> None:
    with pytest.raises(ConfigurationError, match="at most"):
        PartnerClient(app_key="k", base_url="https://api.test", timeout=timeout)
    client = PartnerClient(app_key="k", base_url="https://api.test")
    with pytest.raises(ConfigurationError, match="at most"):
        client.with_options(timeout=timeout)


# ---- single flight, whatever the renewal meets ---------------------------------------------------


def test_a_renewal_without_a_token_is_one_renewal_and_never_bearer_none_threads(vendor: FakeVendor) -> None:
    """Property 1 when the renewal yields no usable token: one renewal, 50 errors, no Bearer None."""
    vendor.renewal_delay = 0.05
    client = vendor.sync_client(tokens=logged_in(vendor, access=-1.0), max_retries=0)
    vendor.fail_next(ACCESS, _renewal_answer(expiresIn=60))  # no accessToken
    errors: list[BaseException] = []
    barrier = threading.Barrier(50)

    def call(_: int) -> None:
        barrier.wait()
        try:
            list_products.sync_detailed(client=client)
        except PartnerAPIError as error:
            errors.append(error)

    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(call, range(50)))
    assert vendor.calls[ACCESS] == 1
    assert len(errors) == 50
    assert all(isinstance(error, MissingTokenError) for error in errors)
    assert len({id(error) for error in errors}) == 50  # each waiter its own exception object
    assert "Bearer None" not in [r.headers.get("authorization") for r in vendor.seen]


def test_a_renewal_without_a_token_is_one_renewal_tasks(vendor: FakeVendor) -> None:
    """Property 1, asyncio."""
    vendor.renewal_delay = 0.05
    vendor.fail_next(ACCESS, _renewal_answer(expiresIn=60))

    async def scenario() -> list[BaseException]:
        client = vendor.async_client(tokens=logged_in(vendor, access=-1.0), max_retries=0)
        outcomes = await asyncio.gather(
            *(list_products.asyncio_detailed(client=client) for _ in range(200)), return_exceptions=True
        )
        await client.aclose()
        return [outcome for outcome in outcomes if isinstance(outcome, BaseException)]

    errors = asyncio.run(scenario())
    assert vendor.calls[ACCESS] == 1
    assert len(errors) == 200
    assert all(isinstance(error, MissingTokenError) for error in errors)
    assert len({id(error) for error in errors}) == 200
    assert "Bearer None" not in [r.headers.get("authorization") for r in vendor.seen]


def test_a_renewal_failing_with_a_foreign_error_is_one_renewal_each_waiter_its_own(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    vendor.renewal_delay = 0.05

    def broken(request: httpx.Request) -> httpx.Response:
        raise ValueError("a parser's own error")

    vendor.fail_next(ACCESS, broken)
    client = flavor.client(vendor, tokens=logged_in(vendor, access=-1.0), max_retries=0)
    if flavor.name == "sync":
        errors: list[BaseException] = []
        barrier = threading.Barrier(30)

        def call(_: int) -> None:
            barrier.wait()
            try:
                list_products.sync_detailed(client=client)
            except PartnerAPIError as error:
                errors.append(error)

        with ThreadPoolExecutor(max_workers=30) as pool:
            list(pool.map(call, range(30)))
    else:

        async def gather() -> list[BaseException]:
            outcomes = await asyncio.gather(
                *(list_products.asyncio_detailed(client=client) for _ in range(30)), return_exceptions=True
            )
            return [outcome for outcome in outcomes if isinstance(outcome, BaseException)]

        errors = flavor.run(gather())
    assert vendor.calls[ACCESS] == 1
    assert len(errors) == 30
    assert all(isinstance(error, PartnerAPIError) for error in errors)
    assert len({id(error) for error in errors}) == 30
    for error in errors:  # chained to the renewal's own failure, tracebacks of bounded depth
        chain: BaseException | None = error
        depth = 0
        while chain is not None and not isinstance(chain, ValueError):
            chain, depth = chain.__cause__, depth + 1
        assert isinstance(chain, ValueError)
        frames, tb = 0, error.__traceback__
        while tb is not None:
            frames, tb = frames + 1, tb.tb_next
        assert frames < 60


def test_a_waiter_for_another_token_never_gets_this_renewals_error(vendor: FakeVendor) -> None:
    """A failed renewal of one token is no answer for a caller waiting to renew another one."""
    from partner_api._keyring import Keyring

    client = vendor.sync_client(tokens=logged_in(vendor, access=-1.0), max_retries=0)
    keyring: Keyring = client._keyring
    renewer = keyring.book_of("access").renewer
    vendor.fail_next(ACCESS, status(503))
    with pytest.raises(PartnerAPIError):
        list_products.sync_detailed(client=client)
    used = keyring.held
    # A renewal of the refresh token now runs, with no earlier failure to inherit.
    held = renewer.obtain(keyring, "refresh", used, rejected=True)
    assert held.tokens.refresh_token in vendor.valid["refresh"]


# ---- foreign origins ---------------------------------------------------------------------------


def _redirecting(vendor: FakeVendor, answer: httpx.Response) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "evil.test":
            vendor.seen.append(request)
            return answer
        if request.url.path == "/v1/users/login":
            return httpx.Response(303, headers={"location": "https://evil.test/v1/users/login"})
        if request.url.path == "/v1/products":
            return httpx.Response(302, headers={"location": "https://evil.test/v1/products"})
        return vendor.handle(request)

    return httpx.MockTransport(handler)


def test_tokens_from_a_foreign_origin_are_never_captured(vendor: FakeVendor) -> None:
    """Property 24."""
    answer = httpx.Response(
        200, json={"userToken": "evil-user", "expiresIn": 600, "user": {"id": "x", "name": "x"}}
    )
    client = PartnerClient(
        app_key=vendor.app_key,
        base_url="https://api.test",
        tokens=_no_user(vendor),
        transport=_redirecting(vendor, answer),
        follow_redirects=True,
    )
    authenticate_user.sync_detailed(client=client, body=LOGIN)
    assert client.tokens.user_token is None


def test_a_401_from_a_foreign_redirect_target_renews_nothing(vendor: FakeVendor) -> None:
    """Property 24."""
    answer = httpx.Response(401, json={"code": "TOKEN_EXPIRED", "message": "x", "requestId": ""})
    client = PartnerClient(
        app_key=vendor.app_key,
        base_url="https://api.test",
        tokens=logged_in(vendor),
        transport=_redirecting(vendor, answer),
        follow_redirects=True,
        raise_for_status=False,
    )
    for _ in range(3):
        assert list_products.sync_detailed(client=client).status_code == 401
    assert vendor.calls[ACCESS] == 0


# ---- the right errors ----------------------------------------------------------------------------


def test_a_refused_user_token_requires_reauthentication_without_renewing(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    """Property 3: a refused user token is a typed ReauthenticationRequired, no renewal, no loop."""
    client = flavor.client(vendor, tokens=logged_in(vendor))
    vendor.revoke("user")
    with pytest.raises(ReauthenticationRequired, match="authenticateUser"):
        flavor.call(get_account, client, account_id="acc_001")
    assert vendor.calls[ACCESS] == 0
    with pytest.raises(ReauthenticationRequired):  # known refused now: nothing is sent
        flavor.call(get_account, client, account_id="acc_001")
    assert vendor.calls["/v1/accounts/acc_001"] == 1


@pytest.mark.parametrize("call", ["listProducts", "getAccount"])
def test_without_a_private_key_or_tokens_the_error_says_how_to_get_first_tokens(
    call: str, flavor: Flavor, vendor: FakeVendor
) -> None:
    client = flavor.client(vendor)
    module, arguments = (list_products, {}) if call == "listProducts" else (get_account, {"account_id": "a"})
    with pytest.raises(MissingTokenError) as caught:
        flavor.call(module, client, **arguments)
    assert "private_key=" in str(caught.value)
    assert "tokens=" in str(caught.value)
    assert not isinstance(caught.value, ReauthenticationRequired)
    assert vendor.seen == []


def test_an_early_renewal_failing_with_a_foreign_error_leaves_the_call_on_the_valid_token(
    flavor: Flavor, vendor: FakeVendor, caplog: pytest.LogCaptureFixture
) -> None:
    """Property 4, whatever the failure (here a corrupt body)."""
    tokens = logged_in(vendor, access=2.0)  # valid, but within the renewal margin

    def corrupt(request: httpx.Request) -> httpx.Response:
        raise httpx.DecodingError("corrupt gzip", request=request)

    vendor.fail_next(ACCESS, corrupt)
    client = flavor.client(vendor, tokens=tokens, max_retries=0)
    with caplog.at_level(logging.WARNING, logger="partner_api"):
        assert flavor.call(list_products, client).status_code == 200
    assert vendor.seen[-1].headers["authorization"] == f"Bearer {tokens.access_token}"
    assert "renewing the access token early failed" in caplog.text


def test_async_renewal_in_flight_at_fork_does_not_break_the_child(vendor: FakeVendor) -> None:
    """Property 19, async: forked while a renewal task runs in another thread's event loop, the
    child (where that loop and its task will never run again) still makes calls."""
    vendor.renewal_delay = 0.5
    client = vendor.async_client(tokens=logged_in(vendor, access=-1.0))
    loop_thread = threading.Thread(target=lambda: asyncio.run(list_products.asyncio_detailed(client=client)))
    loop_thread.start()
    time.sleep(0.2)  # the renewal is in flight in the thread's loop
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        os.close(read)
        signal.alarm(5)  # a hang would otherwise never end
        try:
            vendor.renewal_delay = 0.0
            outcome = str(asyncio.run(list_products.asyncio_detailed(client=client)).status_code)
        except BaseException as error:  # noqa: BLE001 (reported to the parent)
            outcome = repr(error)
        os.write(write, outcome.encode())
        os._exit(0)
    os.close(write)
    _, exit_status = os.waitpid(pid, 0)
    loop_thread.join()
    with os.fdopen(read) as source:
        assert source.read() == "200"
    assert exit_status == 0


def test_too_many_redirects_is_a_partner_api_error_with_the_request_id(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    """Property 25."""
    vendor.fail_next(
        "/v1/products", *[lambda r: httpx.Response(302, headers={"location": "/v1/products"})] * 30
    )
    client = flavor.client(vendor, tokens=logged_in(vendor), follow_redirects=True)
    with pytest.raises(PartnerAPIError) as caught:
        flavor.call(list_products, client)
    assert "TooManyRedirects" in str(caught.value)
    assert any(request.headers["x-request-id"] in str(caught.value) for request in vendor.seen)


def test_a_bad_location_is_a_partner_api_error(flavor: Flavor, vendor: FakeVendor) -> None:
    """Property 25."""
    # httpx's own redirect handling (outside the transport) raises RemoteProtocolError here.
    vendor.fail_next("/v1/products", lambda r: httpx.Response(302, headers={"location": "https://[::1/v1"}))
    handler = vendor.sync_handler if flavor.name == "sync" else vendor.async_handler
    client = flavor.make_client(
        app_key=vendor.app_key,
        base_url="https://api.test",
        tokens=logged_in(vendor),
        transport=httpx.MockTransport(handler),
        follow_redirects=True,
    )
    with pytest.raises(PartnerAPIError, match="RemoteProtocolError"):
        flavor.call(list_products, client)


@pytest.mark.parametrize("kind", [PartnerClient, AsyncPartnerClient])
def test_a_token_store_that_is_not_one_is_refused(kind: type[PartnerClient | AsyncPartnerClient]) -> None:
    with pytest.raises(ConfigurationError, match="TokenStore"):
        kind(app_key="k", base_url="https://api.test", token_store={})  # type: ignore[arg-type]
