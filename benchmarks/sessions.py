"""Many users on one client: what a session costs next to a client per user (issue 10).

For ``users`` end users, each way of serving them is built, then every user makes one call
from 32 threads against a loopback server: build time and memory per user (tracemalloc),
memory after the first call, and the connections the process holds open at the end.

    .venv/bin/python -m benchmarks.sessions [--users N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from benchmarks._servers import loopback_server
from partner_api import PartnerClient, Tokens
from partner_api_client.api.products import list_products

BODY = b'{"items": [], "page": 1, "size": 20, "total": 0}'
THREADS = 32


def _tokens() -> Tokens:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)
    return Tokens(
        access_token="bench-access",
        access_token_expires_at=later,
        refresh_token="bench-refresh",
        user_token="bench-user",
        user_token_expires_at=later,
    )


def _connections(clients: list[PartnerClient]) -> int:
    """Open connections held by the pools of ``clients`` (each counted once)."""
    pools: dict[int, Any] = {}
    for client in clients:
        inner = client._runtime.wire._inner
        pools[id(inner)] = inner
    return sum(
        len(pool._pool.connections) for pool in pools.values() if isinstance(pool, httpx.HTTPTransport)
    )


def _rss_kb() -> float:
    statm = Path("/proc/self/statm").read_text(encoding="ascii")
    return int(statm.split()[1]) * 4.0  # resident pages of 4 KB


def _build_seconds(build: Any, users: int) -> float:
    """Build time without tracemalloc (which slows allocation several times over)."""
    gc.collect()
    build = build()  # what every user shares (the root client, for sessions) is not counted
    started = time.perf_counter()
    clients = build(users)
    elapsed = time.perf_counter() - started
    for client in {id(c._runtime): c for c in clients}.values():
        client.close()
    return elapsed


def _measure(build: Any, users: int, base_url: str) -> dict[str, float]:
    elapsed = min(_build_seconds(build, users) for _ in range(3))
    gc.collect()
    build = build()
    rss_before = _rss_kb()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    clients = build(users)
    built = tracemalloc.get_traced_memory()[0]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        statuses = list(pool.map(lambda c: list_products.sync_detailed(client=c).status_code, clients))
    used = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    rss_after = _rss_kb()
    assert statuses == [200] * users, set(statuses)
    figures = {
        "build_ms_per_user": elapsed / users * 1000,
        "build_kb_per_user": (built - before) / users / 1024,
        "kb_per_user_after_a_call": (used - before) / users / 1024,
        "rss_kb_per_user": (rss_after - rss_before) / users,
        "open_connections": float(_connections(clients)),
    }
    for client in {id(c._runtime): c for c in clients}.values():
        client.close()
    return figures


def bench_sessions(users: int = 500) -> dict[str, Any]:
    with loopback_server(BODY) as base_url:
        saved = _tokens()  # as read back from the application's database, once per user

        def one_client_per_user() -> Any:
            def build(count: int) -> list[PartnerClient]:
                return [
                    PartnerClient(app_key="bench-app", base_url=base_url, tokens=saved) for _ in range(count)
                ]

            return build

        def sessions() -> Any:
            root = PartnerClient(app_key="bench-app", base_url=base_url, tokens=saved)

            def build(count: int) -> list[PartnerClient]:
                return [root.for_user(f"user-{n}", tokens=saved) for n in range(count)]

            return build

        per_client = _measure(one_client_per_user, users, base_url)
        per_session = _measure(sessions, users, base_url)
    return {
        "users": users,
        "one PartnerClient per user": per_client,
        "one client, for_user per user": per_session,
        "build time ratio": per_session["build_ms_per_user"] / per_client["build_ms_per_user"],
        "pool limit": 100,  # httpx's default max_connections
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=500)
    result = bench_sessions(parser.parse_args().users)
    print(f"{result['users']} users, {THREADS} threads, one call each")
    for variant in ("one PartnerClient per user", "one client, for_user per user"):
        row = result[variant]
        print(
            f"  {variant:32} build {row['build_ms_per_user']:7.3f} ms, {row['build_kb_per_user']:7.1f} KB"
            f" per user; {row['kb_per_user_after_a_call']:7.1f} KB per user after a call;"
            f" {row['rss_kb_per_user']:7.1f} KB RSS per user; {row['open_connections']:.0f} connections open"
        )
    print(f"  session build time vs a client: {result['build time ratio']:.4f}x")


if __name__ == "__main__":
    main()
