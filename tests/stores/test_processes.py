"""Four processes find the same token expired at the same moment: exactly one renewal."""

# Made-up tokens are compared with what the stores give back on purpose.

from __future__ import annotations

import json
import multiprocessing
import queue as queue_module
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.stores.workers import KEY, contend, expiring, open_store, report

PROCESSES = 4


def run_processes(target: Callable[..., str], *args: Any) -> list[str]:
    """``target(*args)`` in PROCESSES spawned processes, started together once all have imported."""
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(PROCESSES), context.Queue()
    processes = [
        context.Process(target=report, args=(queue, barrier, target, *args)) for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    results: list[str] = []
    deadline = time.monotonic() + 60
    try:
        while len(results) < len(processes):
            try:
                results.append(queue.get(timeout=0.5))
            except queue_module.Empty:
                dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
                assert not dead, f"a worker process died: exit codes {dead}"
                assert time.monotonic() < deadline, "the workers did not finish within 60 s"
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    return sorted(results)


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
