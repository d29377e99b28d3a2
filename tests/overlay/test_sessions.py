"""Sessions (``for_user``): one client, many users; no request carries another user's token;
renewal stays single-flight per token (issue 10, items 1 and 2; reliability property 26)."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from partner_api import AsyncPartnerClient, ClientClosedError, MissingTokenError, PartnerClient, Tokens
from partner_api_client.api.accounts import get_account
from partner_api_client.api.products import list_products
from partner_api_client.api.users import authenticate_user
from partner_api_client.models import UserCredentials
from tests.overlay.conftest import VendorFlavor as Flavor
from tests.overlay.conftest import logged_in
from tests.overlay.fake_vendor import FakeVendor

ACCESS = "/v1/auth/access-token"
ALL_USER = {"access": "user", "refresh": "user", "user": "user"}


class OwningVendor(FakeVendor):
    """A FakeVendor that knows whose user token is whose, and whose account is whose."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.owner_of: dict[str, str] = {}
        self.foreign = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/users/login" and self._bearer(request, "access"):
            username = json.loads(request.content)["username"]
            token = self.issue("user")
            self.owner_of[token] = username
            with self._lock:
                self.calls[path] += 1
            body = {"userToken": token, "expiresIn": 600, "user": {"id": username, "name": username}}
            return httpx.Response(200, json=body)
        if path.startswith("/v1/accounts/"):
            owner = self.owner_of.get(request.headers.get("x-user-token", ""))
            if owner is not None and path.rsplit("/", 1)[1] != f"acc_{owner}":
                with self._lock:
                    self.foreign += 1
                return self._error(request, 404, "NOT_FOUND")
            if owner is not None and self._bearer(request, "access"):
                account = {"id": f"acc_{owner}", "ownerId": owner, "currency": "IDR", "balance": "1.00"}
                return httpx.Response(200, json={**account, "status": "active"})
        return super().handle(request)


def _login(flavor: Flavor, client: Any, username: str) -> None:
    flavor.call(authenticate_user, client, body=UserCredentials(username=username, password="pw"))


def test_a_session_is_a_client_of_the_same_class_sharing_pool_and_client_tokens(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    root = flavor.client(vendor, tokens=logged_in(vendor))
    siti = root.for_user("siti")
    assert type(siti) is type(root)
    assert siti._runtime is root._runtime  # one pool, one configuration, one catalog
    assert siti.tokens.access_token == root.tokens.access_token  # client-scoped: shared
    assert siti.tokens.user_token is None  # user-scoped: its own (none yet)
    _login(flavor, siti, "siti")
    assert siti.tokens.user_token is not None
    assert root.tokens.user_token != siti.tokens.user_token
    assert root.for_user("budi").tokens.user_token is None
    # Asking again for a live session gives its tokens, not a fresh, empty one.
    assert root.for_user("siti").tokens.user_token == siti.tokens.user_token
    assert siti.session_key == "siti"
    assert root.session_key is None
    assert "siti" in repr(siti)


def test_a_session_starts_from_the_tokens_it_is_given(flavor: Flavor, vendor: FakeVendor) -> None:
    root = flavor.client(vendor, tokens=logged_in(vendor))
    saved = Tokens(user_token=vendor.issue("user"))
    session = root.for_user("u1", tokens=saved)
    assert flavor.call(get_account, session, account_id="acc_001").status_code == 200
    assert vendor.seen[-1].headers["x-user-token"] == saved.user_token
    # A stale set given again never replaces the token the live session holds.
    again = root.for_user("u1", tokens=Tokens(user_token="stale-user"))
    assert again.tokens.user_token == saved.user_token


def test_no_request_carries_another_sessions_user_token_threads() -> None:
    """Property 26: 40 users, 16 threads, 800 calls; every call reads its own user's account."""
    vendor = OwningVendor()
    root = vendor.sync_client(tokens=logged_in(vendor))
    users = [f"user{n}" for n in range(40)]
    sessions = {user: root.for_user(user) for user in users}
    for user, session in sessions.items():
        authenticate_user.sync_detailed(client=session, body=UserCredentials(username=user, password="pw"))

    def call(index: int) -> int:
        user = users[index % len(users)]
        return get_account.sync_detailed(client=sessions[user], account_id=f"acc_{user}").status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(call, range(800)))
    assert statuses == [200] * 800
    assert vendor.foreign == 0


def test_no_request_carries_another_sessions_user_token_tasks() -> None:
    """Property 26: 40 users, 800 concurrent tasks, each on its own user's account."""
    vendor = OwningVendor()

    async def scenario() -> list[int]:
        root = vendor.async_client(tokens=logged_in(vendor))
        users = [f"user{n}" for n in range(40)]
        sessions = {user: root.for_user(user) for user in users}
        await asyncio.gather(
            *(
                authenticate_user.asyncio_detailed(
                    client=session, body=UserCredentials(username=user, password="pw")
                )
                for user, session in sessions.items()
            )
        )
        responses = await asyncio.gather(
            *(
                get_account.asyncio_detailed(
                    client=sessions[users[i % 40]], account_id=f"acc_{users[i % 40]}"
                )
                for i in range(800)
            )
        )
        await root.aclose()
        return [response.status_code for response in responses]

    assert asyncio.run(scenario()) == [200] * 800
    assert vendor.foreign == 0


def test_with_options_shares_the_user_token_a_session_does_not(flavor: Flavor, vendor: FakeVendor) -> None:
    root = flavor.client(vendor, tokens=logged_in(vendor))
    english = root.with_options(language="en")
    assert english.tokens == root.tokens  # with_options: the same tokens, user token included
    session = root.for_user("other")
    assert session.tokens.user_token is None


def test_one_renewal_of_a_client_token_however_many_sessions_wait_threads(vendor: FakeVendor) -> None:
    """Property 1 across sessions: 200 sessions, 200 threads, an expired access token: 1 renewal."""
    vendor.renewal_delay = 0.05
    tokens = logged_in(vendor, access=-1.0)
    root = vendor.sync_client(tokens=tokens)
    sessions = [root.for_user(f"u{n}") for n in range(200)]
    barrier = threading.Barrier(50)

    def call(index: int) -> int:
        if index < 50:
            barrier.wait()
        return list_products.sync_detailed(client=sessions[index]).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(call, range(200)))
    assert statuses == [200] * 200
    assert vendor.calls[ACCESS] == 1
    assert (
        len(
            {
                request.headers["authorization"]
                for request in vendor.seen
                if request.url.path == "/v1/products"
            }
        )
        == 1
    )


def test_one_renewal_of_a_client_token_however_many_sessions_wait_tasks(vendor: FakeVendor) -> None:
    vendor.renewal_delay = 0.05

    async def scenario() -> list[int]:
        root = vendor.async_client(tokens=logged_in(vendor, access=-1.0))
        sessions = [root.for_user(f"u{n}") for n in range(500)]
        responses = await asyncio.gather(*(list_products.asyncio_detailed(client=s) for s in sessions))
        await root.aclose()
        return [response.status_code for response in responses]

    assert asyncio.run(scenario()) == [200] * 500
    assert vendor.calls[ACCESS] == 1


def test_user_scoped_tokens_renew_once_per_user(
    flavor: Flavor, vendor: FakeVendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other scope model: every token per user. 10 users x 20 calls, expired access tokens:
    exactly one renewal per user, each user's calls with that user's new token."""
    monkeypatch.setattr("partner_api._client.TOKEN_SCOPES", ALL_USER)
    vendor.renewal_delay = 0.02
    root = flavor.client(vendor)
    sessions = [root.for_user(f"u{n}", tokens=logged_in(vendor, access=-1.0)) for n in range(10)]
    assert len({s.tokens.access_token for s in sessions}) == 10  # access tokens are per user here

    if flavor.name == "sync":
        with ThreadPoolExecutor(max_workers=40) as pool:
            statuses = list(
                pool.map(
                    lambda i: list_products.sync_detailed(client=sessions[i % 10]).status_code, range(200)
                )
            )
    else:

        async def gather() -> list[int]:
            responses = await asyncio.gather(
                *(list_products.asyncio_detailed(client=sessions[i % 10]) for i in range(200))
            )
            return [response.status_code for response in responses]

        statuses = flavor.run(gather())
    assert statuses == [200] * 200
    assert vendor.calls[ACCESS] == 10
    assert len({s.tokens.access_token for s in sessions}) == 10


def test_client_scoped_user_token_is_shared_by_sessions(
    flavor: Flavor, vendor: FakeVendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both scopes for every kind: with the user token declared client-scoped, sessions share it."""
    monkeypatch.setattr(
        "partner_api._client.TOKEN_SCOPES", {"access": "user", "refresh": "user", "user": "client"}
    )
    root = flavor.client(vendor, tokens=logged_in(vendor))
    session = root.for_user("u1", tokens=logged_in(vendor))
    assert session.tokens.user_token == root.tokens.user_token
    assert session.tokens.access_token != root.tokens.access_token


def test_a_session_has_its_own_callback(flavor: Flavor, vendor: FakeVendor) -> None:
    seen: list[tuple[str, str | None]] = []
    root = flavor.client(
        vendor, tokens=logged_in(vendor), on_tokens_changed=lambda t: seen.append(("root", t.user_token))
    )
    session = root.for_user("siti", on_tokens_changed=lambda t: seen.append(("siti", t.user_token)))
    _login(flavor, session, "siti")
    assert seen == [("siti", session.tokens.user_token)]


def test_derived_clients_after_the_root_is_closed_raise_a_typed_error(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    root = flavor.client(vendor, tokens=logged_in(vendor))
    session, derived = root.for_user("siti"), root.with_options(language="en")
    assert flavor.call(list_products, session).status_code == 200
    if flavor.name == "sync":
        root.close()
        root.close()  # twice: no error
    else:
        flavor.run(root.aclose())
        flavor.run(root.aclose())
    for client in (session, derived, root):
        with pytest.raises(ClientClosedError):
            flavor.call(list_products, client)
    with pytest.raises(ClientClosedError):
        root.for_user("budi")
    with pytest.raises(ClientClosedError):
        root.with_options(language="en")


def test_closing_a_session_leaves_the_pool_open(flavor: Flavor, vendor: FakeVendor) -> None:
    root = flavor.client(vendor, tokens=logged_in(vendor))
    session = root.for_user("siti")
    assert flavor.call(list_products, session).status_code == 200
    if flavor.name == "sync":
        session.close()
    else:
        flavor.run(session.aclose())
    assert flavor.call(list_products, root).status_code == 200
    assert flavor.call(list_products, session).status_code == 200


def test_500_sessions_use_the_root_pool_and_no_httpx_client_of_their_own(vendor: FakeVendor) -> None:
    root = vendor.sync_client(tokens=logged_in(vendor))
    sessions = [root.for_user(f"u{n}") for n in range(500)]
    for session in sessions:
        assert list_products.sync_detailed(client=session).status_code == 200
    root_http = root.get_httpx_client()
    assert all(s.get_httpx_client()._transport is root_http._transport for s in sessions)
    root.close()


@pytest.mark.parametrize("kind", [PartnerClient, AsyncPartnerClient])
def test_a_session_key_must_be_a_header_safe_string(kind: type[PartnerClient | AsyncPartnerClient]) -> None:
    from partner_api import ConfigurationError

    root = kind(app_key="k", base_url="https://api.test")
    with pytest.raises(ConfigurationError):
        root.for_user("")
    with pytest.raises(ConfigurationError):
        root.for_user(42)  # type: ignore[arg-type]


def test_after_a_shared_renewal_each_session_replays_with_its_own_user_token(flavor: Flavor) -> None:
    """Property 26: 30 sessions wait for one renewal of the client's access token (a 401 each);
    each replay carries its own user's token, not the one of the session that renewed."""
    vendor = OwningVendor(renewal_delay=0.05)
    root = flavor.client(vendor, tokens=logged_in(vendor))
    users = [f"user{n}" for n in range(30)]
    sessions = {user: root.for_user(user) for user in users}
    for user, session in sessions.items():
        _login(flavor, session, user)
    vendor.revoke("access")  # the vendor refuses it; the client still thinks it valid
    if flavor.name == "sync":
        with ThreadPoolExecutor(max_workers=30) as pool:
            statuses = list(
                pool.map(
                    lambda u: (
                        get_account.sync_detailed(client=sessions[u], account_id=f"acc_{u}").status_code
                    ),
                    users,
                )
            )
    else:

        async def gather() -> list[int]:
            responses = await asyncio.gather(
                *(get_account.asyncio_detailed(client=sessions[u], account_id=f"acc_{u}") for u in users)
            )
            return [response.status_code for response in responses]

        statuses = flavor.run(gather())
    assert statuses == [200] * 30
    assert vendor.foreign == 0
    assert vendor.calls[ACCESS] == 1


def test_sessions_never_share_a_cookie_jar(flavor: Flavor, vendor: FakeVendor) -> None:
    """A cookie one user's answer sets never travels with another user's request."""

    def set_cookie(request: httpx.Request) -> httpx.Response | None:
        if request.headers.get("x-user-token") == first.tokens.user_token:
            response = vendor.handle(request)
            response.headers["set-cookie"] = "session=first-user; Path=/"
            return response
        return None

    handler = vendor.sync_handler if flavor.name == "sync" else vendor.async_handler
    root = flavor.make_client(
        app_key=vendor.app_key,
        base_url="https://api.test",
        tokens=logged_in(vendor),
        transport=httpx.MockTransport(handler),
    )
    first = root.for_user("first", tokens=Tokens(user_token=vendor.issue("user")))
    second = root.for_user("second", tokens=Tokens(user_token=vendor.issue("user")))
    vendor.fail_next("/v1/accounts/acc_001", set_cookie)
    assert flavor.call(get_account, first, account_id="acc_001").status_code == 200
    assert flavor.call(get_account, second, account_id="acc_001").status_code == 200
    assert "cookie" not in vendor.seen[-1].headers


def test_a_session_finds_a_login_another_process_made_through_the_store(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    """Two clients sharing one store stand for two processes: a user logged in by one is served
    by the other, and a user token refused here is replaced by the one the other holds now."""
    from partner_api.stores import MemoryTokenStore

    store = MemoryTokenStore()
    here = flavor.client(vendor, tokens=logged_in(vendor), token_store=store).for_user("siti")
    there = flavor.client(vendor, tokens=logged_in(vendor), token_store=store).for_user("siti")
    with pytest.raises(MissingTokenError):  # nobody has logged siti in yet
        flavor.call(get_account, here, account_id="acc_001")
    _login(flavor, there, "siti")
    assert flavor.call(get_account, here, account_id="acc_001").status_code == 200
    old = here.tokens.user_token
    vendor.revoke("user", old)
    _login(flavor, there, "siti")  # logged in again over there; the old token is revoked
    assert flavor.call(get_account, here, account_id="acc_001").status_code == 200
    assert here.tokens.user_token == there.tokens.user_token != old


def test_a_token_of_another_owner_in_a_renewal_chain_is_renewed_once(
    flavor: Flavor, vendor: FakeVendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mixed scopes (access per user, refresh per client): 10 sessions renew their own access
    tokens, each needing the client's expired refresh token first: 1 refresh renewal, 10 access
    renewals."""
    monkeypatch.setattr(
        "partner_api._client.TOKEN_SCOPES", {"access": "user", "refresh": "client", "user": "user"}
    )
    vendor.renewal_delay = 0.05
    root = flavor.client(vendor, tokens=logged_in(vendor, refresh=-1.0))
    sessions = [root.for_user(f"u{n}", tokens=logged_in(vendor, access=-1.0)) for n in range(10)]
    if flavor.name == "sync":
        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(pool.map(lambda s: list_products.sync_detailed(client=s).status_code, sessions))
    else:

        async def gather() -> list[int]:
            responses = await asyncio.gather(*(list_products.asyncio_detailed(client=s) for s in sessions))
            return [response.status_code for response in responses]

        statuses = flavor.run(gather())
    assert statuses == [200] * 10
    assert vendor.calls["/v1/auth/refresh-token"] == 1
    assert vendor.calls[ACCESS] == 10


def test_client_tokens_given_to_a_session_fill_only_what_the_client_lacks(
    flavor: Flavor, vendor: FakeVendor
) -> None:
    root = flavor.client(vendor)  # no tokens yet
    saved = logged_in(vendor)
    session = root.for_user("siti", tokens=saved)
    assert root.tokens.access_token == saved.access_token  # the client had none: taken
    newer = logged_in(vendor)
    root.for_user("budi", tokens=newer)
    assert root.tokens.access_token == saved.access_token  # the client has one: kept
    assert session.tokens.user_token == saved.user_token
