"""Every store, sync and async, against the real thing: round trips, namespacing, single flight."""

# Made-up tokens are compared with what the stores give back on purpose.
# ruff: noqa: S105

from __future__ import annotations

import datetime as dt
import json
import stat
import threading
import time
from pathlib import Path

import pytest
import redis
import redis.asyncio

from partner_api import Tokens, TokenStoreError
from partner_api.stores import FileTokenStore, RedisTokenStore, StoreKey, namespace_for
from tests.stores.conftest import Driver

NS = namespace_for("app-key-secret", "https://api.test")
CLIENT = StoreKey.client(NS)


def sample(access: str = "a1", refresh: str = "r1", seconds: float = 300) -> Tokens:
    now = dt.datetime.now(dt.UTC)
    return Tokens(
        access_token=access,
        access_token_expires_at=now + dt.timedelta(seconds=seconds),
        refresh_token=refresh,
        refresh_token_expires_at=now + dt.timedelta(days=30),
        user_token="u1",
        access_token_lifetime=float(abs(seconds)),
        refresh_token_lifetime=30 * 86400.0,
    )


def test_round_trip_keeps_every_field(drive: Driver) -> None:
    tokens = sample()
    assert drive.load(CLIENT) is None
    drive.save(CLIENT, tokens)
    assert drive.load(CLIENT) == tokens


def test_saving_some_kinds_leaves_the_others(drive: Driver) -> None:
    drive.save(CLIENT, sample())
    drive.save(CLIENT, Tokens(user_token="u2"), ["user"])
    stored = drive.load(CLIENT)
    assert stored is not None
    assert (stored.access_token, stored.refresh_token, stored.user_token) == ("a1", "r1", "u2")
    drive.save(CLIENT, Tokens(), ["user"])  # None removes that kind
    stored = drive.load(CLIENT)
    assert stored is not None
    assert stored.user_token is None
    assert stored.access_token == "a1"


def test_sessions_and_app_keys_do_not_see_each_other(drive: Driver) -> None:
    other_ns = namespace_for("another-app-key", "https://api.test")
    siti, budi = StoreKey.user(NS, "siti@example.com"), StoreKey.user(NS, "budi")
    drive.save(siti, Tokens(user_token="u-siti"), ["user"])
    drive.save(budi, Tokens(user_token="u-budi"), ["user"])
    drive.save(CLIENT, sample(), ["access", "refresh"])
    assert drive.load(siti) == Tokens(user_token="u-siti")
    assert drive.load(budi) == Tokens(user_token="u-budi")
    assert drive.load(StoreKey.user(other_ns, "siti@example.com")) is None
    assert drive.load(StoreKey.client(other_ns)) is None
    client_tokens = drive.load(CLIENT)
    assert client_tokens is not None
    assert client_tokens.user_token is None


def test_one_renewal_per_token_across_threads(drive: Driver) -> None:
    # Each thread drives the same store object (as the threads of one process do).
    drive.save(CLIENT, sample(seconds=-5))
    renewals: list[str | None] = []
    results: list[str | None] = []

    def renew(current: Tokens | None) -> Tokens:
        renewals.append(current.refresh_token if current else None)
        time.sleep(0.05)
        return sample(access="a2", refresh="r2")

    def worker() -> None:
        results.append(drive.renew_once(CLIENT, "access", "a1", renew, margin=5).access_token)

    if drive.mode == "async":
        # One event loop per driver: the async flavour contends from tasks instead.
        import asyncio

        from partner_api.stores import arenew_once

        async def arenew(current: Tokens | None) -> Tokens:
            renewals.append(current.refresh_token if current else None)
            await asyncio.sleep(0.05)
            return sample(access="a2", refresh="r2")

        async def many() -> list[Tokens]:
            return await asyncio.gather(
                *(arenew_once(drive.store, CLIENT, "access", "a1", arenew, margin=5) for _ in range(8))
            )

        results = [t.access_token for t in drive._run(many())]
    else:
        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert renewals == ["r1"]
    assert results == ["a2"] * 8
    stored = drive.load(CLIENT)
    assert stored is not None
    assert (stored.access_token, stored.refresh_token) == ("a2", "r2")


def test_two_store_objects_on_one_backend_share_tokens(backend: str, tmp_path: Path, request) -> None:
    if backend == "memory":
        pytest.skip("a memory store is one process's own")
    from tests.stores.conftest import make_store

    url = request.getfixturevalue("redis_url") if backend == "redis" else None
    first, second = make_store(backend, tmp_path, url), make_store(backend, tmp_path, url)
    try:
        tokens = sample()
        first.save(CLIENT, tokens)
        assert second.load(CLIENT) == tokens
        second.save(CLIENT, Tokens(access_token="a2"), ["access"])
        stored = first.load(CLIENT)
        assert stored is not None
        assert (stored.access_token, stored.refresh_token) == ("a2", "r1")
    finally:
        first.close()
        second.close()


# -- the file store -------------------------------------------------------------------------


def test_file_is_private_json_and_replaced_atomically(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path)
    store.save(CLIENT, sample())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text())
    assert document["format"] == 1
    assert "app-key-secret" not in path.read_text()
    inode = path.stat().st_ino
    store.save(CLIENT, sample(access="a2"), ["access"])
    assert path.stat().st_ino != inode  # a new file renamed over the old one
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_file_store_reads_afresh_what_another_process_wrote(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    reader, writer = FileTokenStore(path), FileTokenStore(path)
    writer.save(CLIENT, sample())
    assert reader.load(CLIENT) is not None
    writer.save(CLIENT, sample(access="a9"), ["access"])
    stored = reader.load(CLIENT)
    assert stored is not None
    assert stored.access_token == "a9"


def test_file_store_bad_input_and_bad_files(tmp_path: Path) -> None:
    from partner_api import ConfigurationError

    with pytest.raises(ConfigurationError, match="does not exist"):
        FileTokenStore(tmp_path / "missing" / "tokens.json")
    path = tmp_path / "tokens.json"
    path.write_text("not json")
    with pytest.raises(TokenStoreError, match="not JSON"):
        FileTokenStore(path).load(CLIENT)
    path.write_text("[1, 2]")
    with pytest.raises(TokenStoreError, match="not a token store file"):
        FileTokenStore(path).load(CLIENT)


def test_file_lock_wait_is_bounded(tmp_path: Path) -> None:
    holder, waiter = (
        FileTokenStore(tmp_path / "t.json"),
        FileTokenStore(tmp_path / "t.json", lock_timeout=0.2),
    )
    with holder.renewing(CLIENT, "access"), pytest.raises(TokenStoreError, match="held"):
        waiter.renewing(CLIENT, "access").__enter__()
    # Another token's lock is not that one.
    with holder.renewing(CLIENT, "access"), waiter.renewing(CLIENT, "refresh"):
        pass


# -- the Redis store ------------------------------------------------------------------------


def test_redis_keys_are_namespaced_and_hide_the_keys(redis_url: str) -> None:
    store = RedisTokenStore(redis_url)
    store.save(CLIENT, sample())
    store.save(StoreKey.user(NS, "siti@example.com"), Tokens(user_token="u"), ["user"])
    with redis.Redis.from_url(redis_url) as admin:
        names = sorted(name.decode() for name in admin.keys("*"))
        assert len(names) == 4
        assert all(name.startswith(f"partner-api:tokens:{NS}:") for name in names)
        assert not any("app-key-secret" in n or "siti" in n for n in names)
        # TTL from the token's own expiry (plus a minute), none when the expiry is unknown.
        access_name = next(n for n in names if n.endswith(":access"))
        assert 300 < admin.pttl(access_name) / 1000 <= 360
        user_names = [n for n in names if n.endswith(":user")]
        assert [admin.pttl(n) for n in user_names] == [-1, -1]
    store.close()


def test_redis_lock_has_an_owner_and_an_expiry(redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    first = RedisTokenStore(redis_url, lock_timeout=0.3, blocking_timeout=0.1)
    second = RedisTokenStore(redis_url, lock_timeout=5, blocking_timeout=2)
    lock_name = f"partner-api:lock:{CLIENT.digest()}:access"
    with redis.Redis.from_url(redis_url) as admin:
        with first.renewing(CLIENT, "access"):
            owner_first = admin.get(lock_name)
            assert owner_first is not None
            assert 0 < admin.pttl(lock_name) <= 300
            # Held: a third party gives up after its blocking timeout, with a typed error.
            with pytest.raises(TokenStoreError, match="blocking_timeout"), first.renewing(CLIENT, "access"):
                pass
            # First overruns its lock_timeout: the lock expires and second takes it.
            with second.renewing(CLIENT, "access"):
                owner_second = admin.get(lock_name)
                assert owner_second not in (None, owner_first)
        # Leaving first's block after its lock expired: no error (the renewal's tokens must
        # reach the caller), a warning.
        assert admin.get(lock_name) is None
    assert any("could not be released" in r.getMessage() for r in caplog.records)
    first.close()
    second.close()


def test_redis_lock_is_released_only_by_its_owner(redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    first = RedisTokenStore(redis_url, lock_timeout=0.2)
    second = RedisTokenStore(redis_url, lock_timeout=30)
    lock_name = f"partner-api:lock:{CLIENT.digest()}:access"
    outer = first.renewing(CLIENT, "access")
    outer.__enter__()
    time.sleep(0.35)  # first's lock expires
    inner = second.renewing(CLIENT, "access")
    inner.__enter__()
    with redis.Redis.from_url(redis_url) as admin:
        owner = admin.get(lock_name)
        outer.__exit__(None, None, None)  # first tries to release: not its lock any more
        assert admin.get(lock_name) == owner
        assert any("could not be released" in r.getMessage() for r in caplog.records)
        inner.__exit__(None, None, None)
        assert admin.get(lock_name) is None
    first.close()
    second.close()


def test_redis_lock_is_released_only_by_its_owner_async(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio

    first = RedisTokenStore(redis_url, lock_timeout=0.2)
    second = RedisTokenStore(redis_url, lock_timeout=30)
    lock_name = f"partner-api:lock:{CLIENT.digest()}:access"

    async def scenario() -> None:
        admin = redis.asyncio.Redis.from_url(redis_url)
        outer = first.arenewing(CLIENT, "access")
        await outer.__aenter__()
        await asyncio.sleep(0.35)
        inner = second.arenewing(CLIENT, "access")
        await inner.__aenter__()
        owner = await admin.get(lock_name)
        await outer.__aexit__(None, None, None)
        assert await admin.get(lock_name) == owner
        await inner.__aexit__(None, None, None)
        assert await admin.get(lock_name) is None
        await admin.aclose()
        await first.aclose()
        await second.aclose()

    asyncio.run(scenario())
    assert any("could not be released" in r.getMessage() for r in caplog.records)


def test_redis_url_password_stays_out_of_repr_and_errors() -> None:
    store = RedisTokenStore("redis://:hunter2@127.0.0.1:1/0", blocking_timeout=0.5)
    assert "hunter2" not in repr(store)
    with pytest.raises(TokenStoreError) as info:
        store.load(CLIENT)
    assert "hunter2" not in str(info.value)
    assert info.value.__cause__ is None
    store.close()


def test_cancelling_a_task_waiting_for_the_lock_leaves_no_lock_behind(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    import asyncio

    from tests.stores.conftest import make_store

    url = request.getfixturevalue("redis_url") if backend == "redis" else None
    store = make_store(backend, tmp_path, url)

    async def scenario() -> None:
        entered = []

        async def waiter() -> None:
            async with store.arenewing(CLIENT, "access"):
                entered.append(True)

        async with store.arenewing(CLIENT, "access"):
            task = asyncio.create_task(waiter())
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert entered == []
        await asyncio.sleep(0.2)  # a cancelled Redis attempt that won the lock lets go meanwhile
        # Free again at once, long before any lock would expire by itself.
        async with asyncio.timeout(2), store.arenewing(CLIENT, "access"):
            pass
        await store.aclose()

    asyncio.run(scenario())


def test_redis_store_bad_configuration_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from partner_api import ConfigurationError

    with pytest.raises(ConfigurationError, match="url= or a client="):
        RedisTokenStore()
    for name in ("lock_timeout", "blocking_timeout"):
        with pytest.raises(ConfigurationError, match=name):
            RedisTokenStore("redis://127.0.0.1:1/0", **{name: 0})
    monkeypatch.setitem(__import__("sys").modules, "redis.asyncio", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'partner-api\[redis\]'"):
        RedisTokenStore("redis://127.0.0.1:1/0")


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_child_forked_while_a_save_is_in_progress_can_save(backend: str, tmp_path: Path, request) -> None:
    import os

    from tests.stores.conftest import make_store

    url = request.getfixturevalue("redis_url") if backend == "redis" else None
    store = make_store(backend, tmp_path, url)
    store._flushing.acquire()  # a parent thread is in the middle of a save at fork time
    pid = os.fork()
    if pid == 0:  # the child: its save must not wait for the parent's thread
        code = 1
        try:
            store.save(CLIENT, sample())
            code = 0 if store.load(CLIENT) is not None else 1
        finally:
            os._exit(code)
    store._flushing.release()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    store.close()
