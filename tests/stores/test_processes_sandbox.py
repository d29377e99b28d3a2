"""Worker processes of one app, each with its own client, sharing a token store, against the
sandbox: one renewal per token per expiry, however many processes meet it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sandbox import SandboxServer
from tests.stores.test_processes import PROCESSES, run_processes
from tests.stores.workers import seed, serve

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
