"""Four processes find the same token expired at the same moment: exactly one renewal."""

# Made-up tokens are compared with what the stores give back on purpose.

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests._paths import ROOT
from tests.stores.workers import KEY, contend, expiring, open_store

PROCESSES = 4


def start_worker(target: Callable[..., str], *args: Any) -> subprocess.Popen[str]:
    """``target(*args)`` in a worker process of its own process group; it says "ready" once
    imported and starts when told "go"."""
    env = dict(os.environ)
    # Bytecode is off on this project's machines (PYTHONDONTWRITEBYTECODE): a cache of the
    # workers' own saves each of them compiling everything again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = _PYCACHE
    command = [sys.executable, "-m", "tests.stores.workers", target.__name__, json.dumps(list(args))]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def run_processes(target: Callable[..., str], *args: Any) -> list[str]:
    """``target(*args)`` in PROCESSES worker processes, started together once every one has
    imported: each says "ready", then all are told "go"."""
    workers = [start_worker(target, *args) for _ in range(PROCESSES)]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready", "a worker failed to start"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = []
        for worker in workers:
            out, _ = worker.communicate(timeout=120)
            assert worker.returncode == 0, f"a worker exited with {worker.returncode}"
            results.append(out.strip().splitlines()[-1])
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
    return sorted(results)


_PYCACHE = tempfile.mkdtemp(prefix="partner-api-workers-pycache-")


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("backend", ["file", "redis"])
def test_four_processes_renew_an_expired_token_once(
    backend: str, mode: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    location = request.getfixturevalue("redis_url") if backend == "redis" else str(tmp_path / "tokens.json")
    store = open_store(backend, location)
    store.save(KEY, expiring(1, -1))
    store.close()
    log = tmp_path / "renewals.jsonl"
    log.touch()
    results = run_processes(contend, backend, location, mode, str(log))
    renewals = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["presented"] for r in renewals] == ["r1"]  # one renewal; r1 presented once
    assert results == ["a2/r2"] * PROCESSES
    store = open_store(backend, location)
    stored = store.load(KEY)
    store.close()
    assert stored is not None
    assert (stored.access_token, stored.refresh_token) == ("a2", "r2")
