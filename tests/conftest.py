"""Fixtures shared by the suites that need real servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sandbox import SandboxServer


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> SandboxServer:
    """The session's sandbox, its state fresh for each test."""
    sandbox_server.state.reset()
    return sandbox_server
