"""The benchmarks: what the overlay and the pipeline cost, each next to its baseline.

Variants are interleaved over several rounds and reported as medians; ratios are medians of
per-round (paired) ratios, so the noise of a shared machine mostly cancels. Absolute times are
not comparable between runs; ratios from one run are. Prints a table, writes results.json.

    .venv/bin/python benchmarks/run.py [--rounds N] [--quick]      (or: make bench)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks._servers import loopback_server
from benchmarks.sessions import bench_sessions
from partner_api import AsyncPartnerClient, PartnerClient, Tokens
from partner_api_client import AuthenticatedClient
from partner_api_client.api.products import list_products

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "openapi.yaml"
BODY = json.dumps({"items": [], "page": 1, "size": 20, "total": 0}).encode()
HEADERS = {"x-app-key": "bench-app", "x-language": "id", "authorization": "Bearer bench-access"}
IN_FLIGHT = 50


def _tokens() -> Tokens:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)
    return Tokens(access_token="bench-access", access_token_expires_at=later, refresh_token="bench-refresh")


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})


# ---- the variants: each returns a callable that makes one request ---------------------------


def sync_variants(base_url: str, mock: bool) -> dict[str, Callable[[], object]]:
    def transport() -> httpx.MockTransport | None:
        return httpx.MockTransport(_answer) if mock else None

    overlay = PartnerClient(app_key="bench-app", base_url=base_url, tokens=_tokens(), transport=transport())
    bare_args = {"transport": transport()} if mock else {}
    bare = AuthenticatedClient(
        base_url=base_url,
        token="bench-access",
        headers={"x-app-key": "bench-app", "x-language": "id"},
        timeout=httpx.Timeout(30.0, connect=5.0),
        httpx_args=bare_args,
    )
    bare_headers = bare.get_httpx_client().headers
    plain = httpx.Client(base_url=base_url, timeout=httpx.Timeout(30.0, connect=5.0), transport=transport())

    def bare_call() -> object:
        bare_headers["x-request-id"] = str(uuid.uuid4())
        return list_products.sync_detailed(client=bare)

    def plain_call() -> object:
        response = plain.get("/v1/products", headers={**HEADERS, "x-request-id": str(uuid.uuid4())})
        return response.json()

    return {
        "PartnerClient": lambda: list_products.sync_detailed(client=overlay),
        "bare generated client": bare_call,
        "plain httpx": plain_call,
    }


AsyncVariants = dict[str, Callable[[], Awaitable[object]]]


def async_variants(
    base_url: str, mock: bool, aiohttp: bool
) -> tuple[AsyncVariants, list[Callable[[], Awaitable[None]]]]:
    """The variants, and what closes their connections afterwards."""

    def transport() -> httpx.AsyncBaseTransport | None:
        return httpx.MockTransport(_answer) if mock else None

    overlay = AsyncPartnerClient(
        app_key="bench-app", base_url=base_url, tokens=_tokens(), transport=transport()
    )
    bare = AuthenticatedClient(
        base_url=base_url,
        token="bench-access",
        headers={"x-app-key": "bench-app", "x-language": "id"},
        timeout=httpx.Timeout(30.0, connect=5.0),
        httpx_args={"transport": transport()} if mock else {},
    )
    bare_headers = bare.get_async_httpx_client().headers
    plain = httpx.AsyncClient(
        base_url=base_url, timeout=httpx.Timeout(30.0, connect=5.0), transport=transport()
    )

    async def bare_call() -> object:
        bare_headers["x-request-id"] = str(uuid.uuid4())
        return await list_products.asyncio_detailed(client=bare)

    async def plain_call() -> object:
        response = await plain.get("/v1/products", headers={**HEADERS, "x-request-id": str(uuid.uuid4())})
        return response.json()

    closers: list[Callable[[], Awaitable[None]]] = [
        overlay.aclose,
        bare.get_async_httpx_client().aclose,
        plain.aclose,
    ]
    variants: AsyncVariants = {
        "AsyncPartnerClient": lambda: list_products.asyncio_detailed(client=overlay),
        "bare generated client": bare_call,
        "plain httpx": plain_call,
    }
    if aiohttp:
        import aiohttp as aiohttp_module  # noqa: PLC0415 (the optional extra)
        from httpx_aiohttp import AiohttpTransport  # noqa: PLC0415

        on_aiohttp = AsyncPartnerClient(
            app_key="bench-app", base_url=base_url, tokens=_tokens(), transport=AiohttpTransport()
        )
        variants["AsyncPartnerClient + aiohttp transport"] = lambda: list_products.asyncio_detailed(
            client=on_aiohttp
        )
        session: list[aiohttp_module.ClientSession] = []

        async def close_session() -> None:
            for opened in session:
                await opened.close()

        closers += [on_aiohttp.aclose, close_session]

        async def plain_aiohttp() -> object:
            if not session:
                session.append(aiohttp_module.ClientSession(base_url=base_url))
            headers = {**HEADERS, "x-request-id": str(uuid.uuid4())}
            async with session[0].get("/v1/products", headers=headers) as response:
                return await response.json()

        variants["plain aiohttp"] = plain_aiohttp
    return variants, closers


# ---- measuring ------------------------------------------------------------------------------


def _cpu_sync(call: Callable[[], object], requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        call()
    return (time.process_time() - started) / requests


async def _cpu_async(call: Callable[[], Awaitable[object]], requests: int) -> float:
    limit = asyncio.Semaphore(IN_FLIGHT)

    async def one() -> None:
        async with limit:
            await call()

    started = time.process_time()
    await asyncio.gather(*(one() for _ in range(requests)))
    return (time.process_time() - started) / requests


def _interleave(measure: Callable[[str], float], names: list[str], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        order = names if index % 2 == 0 else list(reversed(names))
        for name in order:
            times[name].append(measure(name))
    return times


def _summary(times: dict[str, list[float]], baseline: str) -> list[dict[str, Any]]:
    rows = []
    for name, values in times.items():
        ratios = [value / base for value, base in zip(values, times[baseline], strict=True)]
        rows.append(
            {
                "variant": name,
                "us_per_request": statistics.median(values) * 1e6,
                "ratio": statistics.median(ratios),
            }
        )
    return rows


def bench_sync(rounds: int, requests: int) -> dict[str, list[dict[str, Any]]]:
    results = {}
    with loopback_server(BODY) as url:
        for label, base_url, mock in (
            ("MockTransport", "https://api.test", True),
            ("loopback HTTP", url, False),
        ):
            variants = sync_variants(base_url, mock)
            for call in variants.values():
                _cpu_sync(call, 50)  # warm connections and caches
            times = _interleave(
                lambda name, variants=variants: _cpu_sync(variants[name], requests), list(variants), rounds
            )
            results[f"sync, {label}"] = _summary(times, "bare generated client")
    return results


def bench_async(rounds: int, requests: int) -> dict[str, list[dict[str, Any]]]:
    results = {}

    async def run() -> None:
        with loopback_server(BODY) as url:
            for label, base_url, mock in (
                ("MockTransport", "https://api.test", True),
                ("loopback HTTP", url, False),
            ):
                variants, closers = async_variants(base_url, mock, aiohttp=not mock)
                for call in variants.values():
                    await _cpu_async(call, 100)
                times: dict[str, list[float]] = {name: [] for name in variants}
                for index in range(rounds):
                    names = list(variants) if index % 2 == 0 else list(reversed(variants))
                    for name in names:
                        times[name].append(await _cpu_async(variants[name], requests))
                results[f"async ({IN_FLIGHT} in flight), {label}"] = _summary(times, "AsyncPartnerClient")
                for close in closers:
                    await close()

    asyncio.run(run())
    return results


def count_calls(requests: int = 200) -> dict[str, float]:
    """Python function calls per request (a profiler hook counts them: no timing noise)."""
    variants = sync_variants("https://api.test", mock=True)
    counts = {}
    for name in ("PartnerClient", "bare generated client"):
        call = variants[name]
        _cpu_sync(call, 20)
        calls = 0

        def hook(frame: object, event: str, argument: object) -> None:
            nonlocal calls
            if event in ("call", "c_call"):
                calls += 1

        sys.setprofile(hook)
        for _ in range(requests):
            call()
        sys.setprofile(None)
        counts[name] = calls / requests
    return counts


def bench_renewal(calls: int = 1000) -> dict[str, Any]:
    """1000 concurrent calls whose access token has expired: time to all-complete, renewals."""
    renewals = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal renewals
        if request.url.path == "/v1/auth/access-token":
            renewals += 1
            await asyncio.sleep(0.05)
            return httpx.Response(200, json={"tokenType": "Bearer", "accessToken": "fresh", "expiresIn": 900})
        return _answer(request)

    async def run(expired: bool) -> float:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1 if expired else -3600)
        tokens = Tokens(access_token="old", access_token_expires_at=past, refresh_token="bench-refresh")
        client = AsyncPartnerClient(
            app_key="bench-app",
            base_url="https://api.test",
            tokens=tokens,
            transport=httpx.MockTransport(handler),
        )
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(list_products.asyncio_detailed(client=client) for _ in range(calls))
        )
        elapsed = time.perf_counter() - started
        assert all(response.status_code == 200 for response in responses)
        return elapsed

    baseline = statistics.median(asyncio.run(run(expired=False)) for _ in range(3))
    renewals = 0
    with_renewal = asyncio.run(run(expired=True))
    return {
        "calls": calls,
        "all_complete_s": with_renewal,
        "without_expiry_s": baseline,
        "renewals": renewals,
    }


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # noqa: S603 (fixed commands)
    return time.perf_counter() - started


def bench_generate(rounds: int, spec: Path = SPEC) -> list[dict[str, Any]]:
    """``generate`` forced and unchanged against openapi-python-client alone, on ``spec``."""
    tool = str(Path(sys.executable).parent / "openapi-python-client")
    names = ["openapi-python-client alone", "generate (full)", "generate (unchanged spec)"]
    times: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as scratch:
        alone, ours = Path(scratch, "alone"), Path(scratch, "ours")
        generate = [sys.executable, "-m", "generator", "generate", "--spec", str(spec), "--output", str(ours)]
        _timed(generate)  # the output a forced run replaces, as in a maintainer's checkout
        for _ in range(rounds):
            shutil.rmtree(alone, ignore_errors=True)
            times[names[0]].append(
                _timed([tool, "generate", "--path", str(spec), "--output-path", str(alone), "--meta", "none"])
            )
            times[names[1]].append(_timed([*generate, "--force"]))
            times[names[2]].append(_timed(generate))
    rows = _summary(times, names[0])
    for row in rows:
        row["seconds"] = row.pop("us_per_request") / 1e6
    return rows


def bench_first_generate(spec: Path) -> dict[str, float]:
    """A first run: nothing to reuse (no earlier output, no validation remembered)."""
    with tempfile.TemporaryDirectory() as scratch:
        environment = {**os.environ, "XDG_CACHE_HOME": str(Path(scratch, "cache"))}
        command = [sys.executable, "-m", "generator", "generate", "--spec", str(spec)]
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 (fixed commands)
            [*command, "--output", str(Path(scratch, "out"))],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env=environment,
        )
        return {"seconds": time.perf_counter() - started}


def _with_package(generated: Path) -> dict[str, str]:
    """An environment whose ``partner_api_client`` is the one in ``generated``."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join((str(generated), str(ROOT / "overlays"), str(ROOT)))}


def bench_import(rounds: int = 10) -> dict[str, float]:
    script = (
        "import time, importlib, sys; t = time.perf_counter(); "
        "importlib.import_module(sys.argv[1]); print(time.perf_counter() - t)"
    )
    medians = {}
    for module in ("httpx", "partner_api"):
        samples = [
            float(
                subprocess.run(  # noqa: S603 (fixed commands)
                    [sys.executable, "-c", script, module], capture_output=True, text=True, check=True
                ).stdout
            )
            for _ in range(rounds)
        ]
        medians[module] = statistics.median(samples)
    return medians


def bench_worst_case(generated: Path, rounds: int) -> dict[str, Any]:
    """The last templated GET through the overlay against the bare client (its own interpreter)."""
    result = subprocess.run(  # noqa: S603 (fixed commands)
        [sys.executable, "-m", "benchmarks.worst_case", "--rounds", str(rounds)],
        cwd=ROOT,
        env=_with_package(generated),
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, Any] = json.loads(result.stdout)
    return found


_IMPORT = (
    "import time, importlib, sys; t = time.process_time(); "
    "importlib.import_module(sys.argv[1]); print(time.process_time() - t)"
)


def bench_endpoint_import(generated: Path, rounds: int = 10) -> dict[str, Any]:
    """CPU to import one endpoint module of ``generated`` against ``import httpx``, with bytecode
    (this machine sets PYTHONDONTWRITEBYTECODE; users have bytecode)."""
    manifest = (generated / "partner_api_client" / "_manifest.py").read_text(encoding="utf-8")
    module = [line.split('"')[3] for line in manifest.splitlines() if '"module":' in line][-1]
    with tempfile.TemporaryDirectory() as cache:
        environment = _with_package(generated)
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        environment["PYTHONPYCACHEPREFIX"] = cache
        medians: dict[str, Any] = {"module": module}
        for name in ("httpx", module):
            command = [sys.executable, "-c", _IMPORT, name]
            subprocess.run(command, env=environment, capture_output=True, check=True)  # noqa: S603 (writes bytecode)
            samples = [
                float(
                    subprocess.run(  # noqa: S603 (fixed commands)
                        command, env=environment, capture_output=True, text=True, check=True
                    ).stdout
                )
                for _ in range(rounds)
            ]
            medians["httpx" if name == "httpx" else "endpoint"] = statistics.median(samples)
        medians["ratio"] = medians["endpoint"] / medians["httpx"]
        return medians


def bench_sizes(rounds: int, operations: int = 800) -> dict[str, Any]:
    """The figures that grow with the spec: at the committed spec's size and at ``operations``."""
    import yaml  # noqa: PLC0415

    from tests.sizes import make_spec  # noqa: PLC0415

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        large = Path(scratch, f"openapi-{operations}.yaml")
        large.write_text(yaml.safe_dump(make_spec(operations), sort_keys=False), encoding="utf-8")
        results[f"generate, first run, {operations} operations"] = bench_first_generate(large)
        generated = Path(scratch, "generated")
        subprocess.run(  # noqa: S603 (fixed commands)
            [sys.executable, "-m", "generator", "generate", "--spec", str(large), "--output", str(generated)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        results["worst case, committed spec"] = bench_worst_case(ROOT / "generated", rounds)
        results[f"worst case, {operations} operations"] = bench_worst_case(generated, rounds)
        results[f"endpoint import, {operations} operations"] = bench_endpoint_import(generated)
        results[f"generate, {operations} operations"] = bench_generate(max(1, rounds // 5), large)
    return results


def _targets(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    def ratio(section: str, variant: str) -> float:
        return next(row["ratio"] for row in results[section] if row["variant"] == variant)

    generate = {row["variant"]: row for row in results["generate"]}
    large_generate = {row["variant"]: row for row in results["sizes"]["generate, 800 operations"]}
    loopback_async = f"async ({IN_FLIGHT} in flight), loopback HTTP"
    checks = [
        (
            "overlay CPU/request vs bare client, sync loopback <= 1.05x",
            ratio("sync, loopback HTTP", "PartnerClient"),
            1.05,
        ),
        (
            "overlay CPU/request vs bare client, sync MockTransport <= 1.10x",
            ratio("sync, MockTransport", "PartnerClient"),
            1.10,
        ),
        (
            "overlay CPU/request vs bare client, async loopback <= 1.05x",
            1 / ratio(loopback_async, "bare generated client"),
            1.05,
        ),
        (
            "overlay CPU/request vs bare client, async MockTransport <= 1.10x",
            1 / ratio(f"async ({IN_FLIGHT} in flight), MockTransport", "bare generated client"),
            1.10,
        ),
        (
            "Python calls/request vs bare client <= 1.05x",
            results["calls"]["PartnerClient"] / results["calls"]["bare generated client"],
            1.05,
        ),
        ("generate, unchanged spec < 0.5 s", generate["generate (unchanged spec)"]["seconds"], 0.5),
        ("generate, full <= 1.5x openapi-python-client alone", generate["generate (full)"]["ratio"], 1.5),
        (
            "generate at 800 operations, full <= 1.5x openapi-python-client alone",
            large_generate["generate (full)"]["ratio"],
            1.5,
        ),
        (
            "worst-case operation at 800 operations, overlay CPU vs bare <= 1.03x",
            results["sizes"]["worst case, 800 operations"]["ratio"],
            1.03,
        ),
        (
            "import of one endpoint at 800 operations <= 1.5x import httpx (CPU)",
            results["sizes"]["endpoint import, 800 operations"]["ratio"],
            1.5,
        ),
        (
            "AsyncPartnerClient on aiohttp vs default transport <= 0.3x CPU",
            ratio(loopback_async, "AsyncPartnerClient + aiohttp transport"),
            0.3,
        ),
        ("renewals with 1000 concurrent calls == 1", results["renewal"]["renewals"], 1),
        (
            "for_user: build time per session <= 0.1 ms",
            results["sessions"]["one client, for_user per user"]["build_ms_per_user"],
            0.1,
        ),
        (
            "for_user: memory per session after a call <= 10 KB",
            results["sessions"]["one client, for_user per user"]["kb_per_user_after_a_call"],
            10.0,
        ),
        (
            "for_user: connections open for 500 sessions <= the pool's limit (100)",
            results["sessions"]["one client, for_user per user"]["open_connections"],
            100.0,
        ),
    ]
    return [
        (name, f"{value:.3f}", value <= limit if "==" not in name else value == limit)
        for name, value, limit in checks
    ]


def _sizes_only(rounds: int) -> None:
    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "rounds": rounds,
        "generate": bench_generate(max(3, rounds // 3)),
        "sizes": bench_sizes(rounds),
    }
    print(json.dumps(results, indent=2))
    (Path(__file__).parent / "results-sizes.json").write_text(
        json.dumps(results, indent=2) + "\n", encoding="utf-8"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and requests, for a smoke run")
    parser.add_argument(
        "--sizes",
        action="store_true",
        help="only the figures that grow with the spec (writes results-sizes.json)",
    )
    arguments = parser.parse_args()
    rounds = 3 if arguments.quick else arguments.rounds
    requests = 100 if arguments.quick else 300
    if arguments.sizes:
        _sizes_only(rounds)
        return
    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "rounds": rounds,
    }
    results.update(bench_sync(rounds, requests))
    results.update(bench_async(rounds, requests))
    results["calls"] = count_calls()
    results["renewal"] = bench_renewal()
    results["sessions"] = bench_sessions()
    results["generate"] = bench_generate(max(3, rounds // 3))
    results["import_s"] = bench_import()
    results["sizes"] = bench_sizes(rounds)
    results["targets"] = [
        {"target": name, "value": value, "holds": holds} for name, value, holds in _targets(results)
    ]
    print(f"{results['date']}, {results['machine']}, {rounds} interleaved rounds")
    for section, rows in results.items():
        if isinstance(rows, list) and rows and "variant" in rows[0]:
            print(f"\n{section}")
            for row in rows:
                figure = (
                    f"{row['seconds']:8.3f} s" if "seconds" in row else f"{row['us_per_request']:8.1f} us"
                )
                print(f"  {row['variant']:42} {figure}  {row['ratio']:6.3f}x")
    print(f"\nPython calls per request: {results['calls']}")
    print(f"renewal: {results['renewal']}")
    print(f"sessions: {results['sessions']}")
    print(f"import time (s): {results['import_s']}")
    for name, figures in results["sizes"].items():
        print(f"{name}: {figures}")
    print("\ntargets")
    for target in results["targets"]:
        print(f"  {'holds' if target['holds'] else 'FAILS':6} {target['target']}: {target['value']}")
    (Path(__file__).parent / "results.json").write_text(
        json.dumps(results, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
