"""The worst-case operation of whatever generated package is importable: overlay against bare.

Run in its own interpreter with the package of a large spec first on the path (the overlay
imports ``partner_api_client`` by name):

    PYTHONPATH=/tmp/gen800:overlays .venv/bin/python -m benchmarks.worst_case [--rounds N] [--calls]

The worst case is the last templated GET in the manifest: a regex scan per templated
operation reached it last; the trie reaches every operation in the same few steps. Prints JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import inspect
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from partner_api import PartnerClient, Tokens
from partner_api_client import AuthenticatedClient
from partner_api_client._manifest import OPERATIONS

# Parses as the committed spec's Account and ProductPage and as the size script's items (the
# other keys land in additional_properties), so both clients pay for a realistic response.
BODY = json.dumps(
    {
        **{"id": "x1", "name": "one", "amount": 1, "ownerId": "u", "currency": "IDR"},
        **{"balance": "1.00", "status": "active", "items": [], "page": 1, "size": 20, "total": 0},
    }
).encode()


def worst_case(operation_id: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The manifest entry of the last templated GET (or of ``operation_id``), and arguments
    that fill its path."""
    entry = [op for op in OPERATIONS if op["method"] == "GET" and "{" in op["path"]][-1]
    if operation_id is not None:
        entry = next(op for op in OPERATIONS if op["operation_id"] == operation_id)
    module = importlib.import_module(entry["module"])
    parameters = inspect.signature(module.sync_detailed).parameters.values()
    arguments = {
        p.name: "it_1" for p in parameters if p.name != "client" and p.default is inspect.Parameter.empty
    }
    return entry, arguments


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})


def variants(operation_id: str | None = None) -> dict[str, Callable[[], object]]:
    entry, arguments = worst_case(operation_id)
    module = importlib.import_module(entry["module"])
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)
    tokens = Tokens(
        access_token="bench-access",
        access_token_expires_at=later,
        refresh_token="bench-refresh",
        user_token="bench-user",
        user_token_expires_at=later,
    )
    overlay = PartnerClient(
        app_key="bench-app",
        base_url="https://api.test",
        tokens=tokens,
        transport=httpx.MockTransport(_answer),
    )
    headers = {"x-app-key": "bench-app", "x-language": "id"}
    if entry["user_token"]:
        headers["x-user-token"] = "bench-user"
    bare = AuthenticatedClient(
        base_url="https://api.test",
        token="bench-access",
        headers=headers,
        timeout=httpx.Timeout(30.0, connect=5.0),
        httpx_args={"transport": httpx.MockTransport(_answer)},
    )
    bare_headers = bare.get_httpx_client().headers

    def bare_call() -> object:
        bare_headers["x-request-id"] = str(uuid.uuid4())
        return module.sync_detailed(client=bare, **arguments)

    return {"PartnerClient": lambda: module.sync_detailed(client=overlay, **arguments), "bare": bare_call}


def cpu(call: Callable[[], object], requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        call()
    return (time.process_time() - started) / requests


def calls(call: Callable[[], object], requests: int = 100) -> float:
    cpu(call, 10)
    count = 0

    def hook(frame: object, event: str, argument: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(hook)
    for _ in range(requests):
        call()
    sys.setprofile(None)
    return count / requests


def _match_cost(entry: dict[str, Any], rounds: int = 20000) -> float:
    """Microseconds to find the operation of a request to ``entry`` (median of 5 batches)."""
    from partner_api._operations import CATALOG  # noqa: PLC0415

    raw = entry["path"].replace("{", "").replace("}", "").encode()
    method, samples = entry["method"], []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(rounds):
            CATALOG.match_request(method, raw)
        samples.append((time.perf_counter() - started) / rounds * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--calls", action="store_true", help="count calls only (noise-free)")
    parser.add_argument("--operation", help="another operation than the worst case, to compare")
    arguments = parser.parse_args()
    entry, _ = worst_case(arguments.operation)
    chosen = variants(arguments.operation)
    result: dict[str, Any] = {"operation": entry["operation_id"], "operations": len(OPERATIONS)}
    result["calls"] = {name: calls(call) for name, call in chosen.items()}
    result["match_us"] = _match_cost(entry)
    if not arguments.calls:
        for call in chosen.values():
            cpu(call, 50)
        times: dict[str, list[float]] = {name: [] for name in chosen}
        for index in range(arguments.rounds):
            for name in chosen if index % 2 == 0 else list(reversed(chosen)):
                times[name].append(cpu(chosen[name], arguments.requests))
        ratios = [o / b for o, b in zip(times["PartnerClient"], times["bare"], strict=True)]
        result["us_per_request"] = {name: statistics.median(values) * 1e6 for name, values in times.items()}
        result["ratio"] = statistics.median(ratios)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
