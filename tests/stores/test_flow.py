"""renew_once / arenew_once: one renewal per token however many callers find it unusable."""

# Made-up tokens are compared with what the stores give back on purpose.
# ruff: noqa: S105

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time

import pytest

from partner_api import Tokens, TokenStoreError
from partner_api.stores import MemoryTokenStore, StoreKey, arenew_once, namespace_for, renew_once

KEY = StoreKey.client(namespace_for("app-key", "https://api.test"))


def expiring_in(seconds: float, access: str = "a1", refresh: str = "r1") -> Tokens:
    now = dt.datetime.now(dt.UTC)
    return Tokens(
        access_token=access,
        access_token_expires_at=now + dt.timedelta(seconds=seconds),
        refresh_token=refresh,
        access_token_lifetime=60.0,
    )


class Vendor:
    """Renews with rotation: presenting a refresh token twice is reuse."""

    def __init__(self, delay: float = 0.02) -> None:
        self.delay = delay
        self.renewals = 0
        self.presented: list[str | None] = []
        self.lock = threading.Lock()

    def renew(self, current: Tokens | None) -> Tokens:
        refresh = current.refresh_token if current else None
        with self.lock:
            self.presented.append(refresh)
            self.renewals += 1
            n = self.renewals
        time.sleep(self.delay)
        return expiring_in(60, access=f"a{n + 1}", refresh=f"r{n + 1}")

    async def arenew(self, current: Tokens | None) -> Tokens:
        refresh = current.refresh_token if current else None
        self.presented.append(refresh)
        self.renewals += 1
        n = self.renewals
        await asyncio.sleep(self.delay)
        return expiring_in(60, access=f"a{n + 1}", refresh=f"r{n + 1}")


def test_threads_make_one_renewal_and_all_get_its_tokens() -> None:
    store, vendor = MemoryTokenStore(), Vendor()
    store.save(KEY, expiring_in(-1))
    results: list[Tokens] = []

    def worker() -> None:
        results.append(renew_once(store, KEY, "access", "a1", vendor.renew, margin=5))

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert vendor.renewals == 1
    assert vendor.presented == ["r1"]
    assert {t.access_token for t in results} == {"a2"}
    stored = store.load(KEY)
    assert stored is not None
    assert (stored.access_token, stored.refresh_token, stored.access_token_lifetime) == ("a2", "r2", 60.0)


def test_tasks_make_one_renewal_and_all_get_its_tokens() -> None:
    store, vendor = MemoryTokenStore(), Vendor()

    async def main() -> list[Tokens]:
        await store.asave(KEY, expiring_in(-1))
        return await asyncio.gather(
            *(arenew_once(store, KEY, "access", "a1", vendor.arenew, margin=5) for _ in range(20))
        )

    results = asyncio.run(main())
    assert vendor.renewals == 1
    assert vendor.presented == ["r1"]
    assert {t.access_token for t in results} == {"a2"}


def test_a_refused_token_is_renewed_even_if_it_has_not_expired() -> None:
    store, vendor = MemoryTokenStore(), Vendor(delay=0)
    store.save(KEY, expiring_in(600))
    renewed = renew_once(store, KEY, "access", "a1", vendor.renew)
    assert (renewed.access_token, vendor.renewals) == ("a2", 1)
    # A caller still holding a1 (its 401 arrived late) adopts a2 without renewing again.
    assert renew_once(store, KEY, "access", "a1", vendor.renew).access_token == "a2"
    assert vendor.renewals == 1


def test_a_stored_token_inside_the_margin_is_renewed() -> None:
    store, vendor = MemoryTokenStore(), Vendor(delay=0)
    store.save(KEY, expiring_in(3, access="a9"))
    renewed = renew_once(store, KEY, "access", "a1", vendor.renew, margin=5)
    assert renewed.access_token == "a2"
    assert vendor.presented == ["r1"]


def test_renew_from_an_empty_store_gets_none_and_saves_only_the_kinds_of_the_key() -> None:
    store, vendor = MemoryTokenStore(), Vendor(delay=0)

    def renew(current: Tokens | None) -> Tokens:
        assert current is None
        return Tokens(access_token="a", refresh_token="r", user_token="u")

    renew_once(store, KEY, "access", None, renew, kinds=("access", "refresh"))
    assert store.load(KEY) == Tokens(access_token="a", refresh_token="r")
    assert vendor.renewals == 0


def test_a_failing_renewal_saves_nothing_and_releases_the_lock() -> None:
    store = MemoryTokenStore(lock_timeout=1)
    store.save(KEY, expiring_in(-1))

    def broken(current: Tokens | None) -> Tokens:
        raise RuntimeError("vendor down")

    with pytest.raises(RuntimeError):
        renew_once(store, KEY, "access", "a1", broken)
    stored = store.load(KEY)
    assert stored is not None
    assert stored.access_token == "a1"
    assert renew_once(store, KEY, "access", "a1", Vendor(delay=0).renew).access_token == "a2"


def test_sessions_and_namespaces_are_kept_apart() -> None:
    store = MemoryTokenStore()
    ns_a, ns_b = namespace_for("key-a", "https://api.test"), namespace_for("key-b", "https://api.test")
    assert ns_a != ns_b
    assert namespace_for("key-a", "https://api.test/") == ns_a
    assert namespace_for("key-a", "https://staging.test") != ns_a
    assert "key-a" not in ns_a
    store.save(StoreKey.user(ns_a, "siti"), Tokens(user_token="u-siti"), ["user"])
    store.save(StoreKey.user(ns_a, "budi"), Tokens(user_token="u-budi"), ["user"])
    store.save(StoreKey.client(ns_a), Tokens(access_token="a"), ["access"])
    assert store.load(StoreKey.user(ns_a, "siti")) == Tokens(user_token="u-siti")
    assert store.load(StoreKey.user(ns_a, "budi")) == Tokens(user_token="u-budi")
    assert store.load(StoreKey.user(ns_b, "siti")) is None
    assert store.load(StoreKey.client(ns_a)) == Tokens(access_token="a")
    # A user called "client" is not the client session.
    assert store.load(StoreKey.user(ns_a, "client")) is None


def test_lock_wait_is_bounded_with_a_typed_error() -> None:
    store = MemoryTokenStore(lock_timeout=0.1)
    with store.renewing(KEY, "access"):
        started = time.monotonic()
        with pytest.raises(TokenStoreError, match="held"):
            renew_once(store, KEY, "access", "a1", Vendor(delay=0).renew)
        assert time.monotonic() - started < 2

        async def other() -> None:
            await arenew_once(store, KEY, "access", "a1", Vendor(delay=0).arenew)

        with pytest.raises(TokenStoreError, match="held"):
            asyncio.run(other())


def test_the_plan_driven_by_hand_adopts_a_fresh_stored_token() -> None:
    from partner_api.stores._flow import Load, renew_plan

    plan = renew_plan("access", "a1", margin=5, kinds=("access", "refresh"))
    assert isinstance(next(plan), Load)
    with pytest.raises(StopIteration) as done:
        plan.send(expiring_in(60, access="a2"))
    assert done.value.value.access_token == "a2"


def test_the_plan_driven_by_hand_renews_from_the_stored_tokens_and_saves_what_changed() -> None:
    from partner_api.stores._flow import Load, Renew, Save, renew_plan

    stored = expiring_in(60, access="a1", refresh="r1")
    plan = renew_plan("access", "a1", margin=5, kinds=("access", "refresh", "user"))
    assert isinstance(next(plan), Load)
    step = plan.send(stored)
    assert isinstance(step, Renew)
    assert step.current is stored  # renewed from the stored refresh token, not the caller's
    renewed = Tokens(
        access_token="a2",
        access_token_expires_at=stored.access_token_expires_at,
        refresh_token="r1",
        access_token_lifetime=60.0,
    )
    save = plan.send(renewed)
    assert isinstance(save, Save)
    assert save.kinds == frozenset({"access"})  # the refresh token did not change
    with pytest.raises(StopIteration) as done:
        plan.send(None)
    assert done.value.value is renewed
