"""Worker processes of one app, each with its own client, sharing a token store, against the
sandbox: one renewal per token per expiry, however many processes meet it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox import SandboxServer
from tests.stores.test_processes import PROCESSES, run_processes, start_worker
from tests.stores.workers import churn, churn_persisting, seed, serve

RENEWALS = ("obtainTokens", "renewAccessToken", "renewRefreshToken", "authenticateUser")


def counts(sandbox: SandboxServer) -> dict[str, int]:
    return {operation: sandbox.state.count(operation) for operation in RENEWALS}


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("backend", ["file", "redis"])
def test_four_processes_through_a_simultaneous_expiry_renew_each_token_once(
    backend: str, mode: str, sandbox: SandboxServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    location = request.getfixturevalue("redis_url") if backend == "redis" else str(tmp_path / "tokens.json")
    log = tmp_path / "errors.jsonl"
    # Refresh-token rotation with reuse detection on: a refresh token presented twice would
    # revoke the family and log everyone out.
    sandbox.state.set_rotation(True)
    seed(backend, location, sandbox.url)
    assert counts(sandbox) == {
        "obtainTokens": 1,
        "renewAccessToken": 0,
        "renewRefreshToken": 0,
        "authenticateUser": 1,
    }

    # Every access token expires at the vendor at once; the workers still think it is valid.
    sandbox.state.expire("access")
    results = run_processes(serve, backend, location, sandbox.url, mode, 3, str(log))
    assert results == ["ok"] * PROCESSES
    assert counts(sandbox) == {
        "obtainTokens": 1,  # the workers took the seeded tokens from the store
        "renewAccessToken": 1,
        "renewRefreshToken": 0,
        "authenticateUser": 1,
    }
    assert sandbox.state.count("getAccount") == 3 * PROCESSES
    assert sandbox.state.reuses == 0

    # Then the refresh token too: one renewal flow for both, whichever way the client takes.
    sandbox.state.expire("access")
    sandbox.state.expire("refresh")
    before = counts(sandbox)
    results = run_processes(serve, backend, location, sandbox.url, mode, 3, str(log))
    assert results == ["ok"] * PROCESSES
    after = counts(sandbox)
    delta = {operation: after[operation] - before[operation] for operation in RENEWALS}
    # One new refresh token (obtained with the private key, or renewed with the user token) ...
    assert delta["obtainTokens"] + delta["renewRefreshToken"] == 1
    # ... after exactly one attempt with the expired one, which the vendor refused.
    assert delta["renewAccessToken"] == 1 + (delta["renewRefreshToken"])
    assert delta["authenticateUser"] == 0
    assert sandbox.state.reuses == 0


def run_recycled(target: Callable[..., str], *args: Any, total: float, lifetime: float) -> list[str]:
    """PROCESSES worker slots for ``total`` seconds; each worker serves ``lifetime`` seconds,
    exits and is replaced at once; the slots start staggered, so recycling never stops."""
    results: list[str] = []
    slots: list[tuple[float, subprocess.Popen[str] | None]] = [
        (time.monotonic() + i * lifetime / PROCESSES, None) for i in range(PROCESSES)
    ]
    end = time.monotonic() + total
    try:
        while any(worker is not None for _, worker in slots) or time.monotonic() < end:
            for index, (start_at, worker) in enumerate(slots):
                if worker is not None and worker.poll() is not None:
                    out, _ = worker.communicate()
                    assert worker.returncode == 0, f"a worker exited with {worker.returncode}"
                    results.append(out.strip().splitlines()[-1])
                    slots[index] = (time.monotonic(), None)
                elif worker is None and time.monotonic() >= start_at and time.monotonic() < end:
                    fresh = start_worker(target, *args)
                    assert fresh.stdout is not None
                    assert fresh.stdin is not None
                    assert fresh.stdout.readline().strip() == "ready"
                    fresh.stdin.write("go\n")
                    fresh.stdin.flush()
                    slots[index] = (start_at, fresh)
            time.sleep(0.02)
    finally:
        for _, worker in slots:
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
    return results


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("backend", ["file", "redis"])
def test_recycled_workers_under_rotation_are_never_logged_out(
    backend: str, mode: str, sandbox: SandboxServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    location = request.getfixturevalue("redis_url") if backend == "redis" else str(tmp_path / "tokens.json")
    log = tmp_path / "errors.jsonl"
    sandbox.state.set_rotation(True)
    sandbox.state.set_lifetime("access", 1)  # a renewal, and a rotated refresh token, every second
    seed(backend, location, sandbox.url)
    results = run_recycled(
        churn, backend, location, sandbox.url, mode, 1.2, str(log), total=4.0, lifetime=1.2
    )
    assert len(results) >= 2 * PROCESSES  # workers were recycled
    assert all(result.startswith("ok ") for result in results), results  # 0 forced re-logins
    assert sandbox.state.reuses == 0
    renewals = sandbox.state.count("renewAccessToken")
    # About one renewal per second of access-token lifetime, not one per process.
    assert 1 <= renewals <= 8, renewals
    assert sandbox.state.count("obtainTokens") == 1
    assert sandbox.state.count("authenticateUser") == 1


def test_without_a_shared_store_recycled_workers_reuse_refresh_tokens(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    # The baseline the store is for: the same workers persisting with on_tokens_changed only.
    # Proves the sandbox's reuse detection fires in this very setup (so the test above can fail).
    saved = tmp_path / "tokens.json"
    log = tmp_path / "errors.jsonl"
    sandbox.state.set_rotation(True)
    sandbox.state.set_lifetime("access", 1)
    from partner_api import PartnerClient
    from partner_api.testing import DEMO
    from partner_api_client.api.products import list_products

    with PartnerClient(app_key=DEMO.app_key, private_key=DEMO.private_key, base_url=sandbox.url) as client:
        list_products.sync(client=client)
        saved.write_text(json.dumps(client.tokens.to_dict()))
    results = run_recycled(churn_persisting, str(saved), sandbox.url, 1.2, str(log), total=4.0, lifetime=1.2)
    assert sandbox.state.reuses >= 1
    assert any(result != "ok" for result in results)
