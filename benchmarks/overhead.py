"""Per-request client CPU of a generated operation through PartnerClient against the bare
generated AuthenticatedClient with the same headers set by hand, on the same transport.

Interleaves the variants over several rounds, reports the median CPU time per request of each
and the median of the per-round ratios (paired, so machine noise mostly cancels).
Run: .venv/bin/python benchmarks/overhead.py [--rounds N] [--requests N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from partner_api import PartnerClient, Tokens
from partner_api_client import AuthenticatedClient
from partner_api_client.api.products import list_products

BODY = json.dumps({"items": [], "page": 1, "size": 20, "total": 0}).encode()
TOKENS = Tokens(
    access_token="bench-access",
    access_token_expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=6),
    refresh_token="bench-refresh",
)


def _mock(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})


# A minimal keep-alive server in its own process, so that the CPU time measured here is the
# client's alone.
_SERVER = """
import http.server, sys
BODY = sys.argv[1].encode()
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    def do_GET(self):
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@contextmanager
def _loopback_server() -> Iterator[str]:
    process = subprocess.Popen(  # noqa: S603 (our own fixed command)
        [sys.executable, "-c", _SERVER, BODY.decode()],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()


def _overlay(base_url: str, transport: httpx.BaseTransport | None) -> Callable[[], object]:
    client = PartnerClient(app_key="bench-app", base_url=base_url, tokens=TOKENS, transport=transport)
    return lambda: list_products.sync_detailed(client=client)


def _bare(base_url: str, transport: httpx.BaseTransport | None) -> Callable[[], object]:
    args = {"transport": transport} if transport else {}
    client = AuthenticatedClient(
        base_url=base_url,
        token="bench-access",
        headers={"x-app-key": "bench-app", "x-language": "id"},
        timeout=httpx.Timeout(30.0, connect=5.0),
        httpx_args=args,
    )
    headers = client.get_httpx_client().headers

    def call() -> object:
        headers["x-request-id"] = str(uuid.uuid4())
        return list_products.sync_detailed(client=client)

    return call


def _cpu_per_request(call: Callable[[], object], requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        call()
    return (time.process_time() - started) / requests


def measure(
    name: str, base_url: str, transport: httpx.BaseTransport | None, rounds: int, requests: int
) -> dict[str, object]:
    overlay, bare = _overlay(base_url, transport), _bare(base_url, transport)
    for call in (overlay, bare):  # warm up connections and caches
        _cpu_per_request(call, 50)
    overlay_times, bare_times, ratios = [], [], []
    for index in range(rounds):
        order = [(overlay, overlay_times), (bare, bare_times)]
        for call, times in order if index % 2 == 0 else reversed(order):
            times.append(_cpu_per_request(call, requests))
        ratios.append(overlay_times[-1] / bare_times[-1])
    return {
        "transport": name,
        "overlay_us": statistics.median(overlay_times) * 1e6,
        "bare_us": statistics.median(bare_times) * 1e6,
        "ratio": statistics.median(ratios),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=300)
    arguments = parser.parse_args()
    results = [
        measure(
            "MockTransport",
            "https://api.test",
            httpx.MockTransport(_mock),
            arguments.rounds,
            arguments.requests,
        )
    ]
    with _loopback_server() as url:
        results.append(measure("loopback HTTP/1.1", url, None, arguments.rounds, arguments.requests))
    print(
        f"{dt.date.today()} {platform.node()} {platform.machine()} Python {platform.python_version()}, "
        f"{arguments.rounds} interleaved rounds x {arguments.requests} requests, sync, list_products"
    )
    print(
        f"{'transport':20} {'PartnerClient us':>17} {'bare client us':>15} {'ratio (median of paired)':>25}"
    )
    for row in results:
        print(f"{row['transport']:20} {row['overlay_us']:17.1f} {row['bare_us']:15.1f} {row['ratio']:24.3f}x")


if __name__ == "__main__":
    main()
