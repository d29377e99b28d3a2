"""The pytest plugin (entry point ``pytest11``, so installing ``partner-api[testing]`` is enough):
the ``partner_sandbox`` fixture and the ``partner_sandbox`` marker.

One sandbox server serves the whole test session; each test gets it reset (the demo user only,
no tokens, no faults, counters at zero) and configured by the test's marker. This module imports
nothing beyond pytest and the package at load time: pytest loads it for every project that has
the package installed, with or without the extra.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from partner_api.testing._kit import PartnerSandbox
from partner_api.testing._server import SandboxServer

MARKER = (
    "partner_sandbox(rotate_refresh_tokens=False, token_scopes='per-client', lifetimes=None): "
    "how the partner_sandbox fixture behaves in this test"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)


@pytest.fixture(scope="session")
def partner_sandbox_server() -> Iterator[SandboxServer]:
    """The session's sandbox server (started on first use, stopped at the end)."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def partner_sandbox(
    partner_sandbox_server: SandboxServer, request: pytest.FixtureRequest
) -> Iterator[PartnerSandbox]:
    """The vendor's stand-in, reset for this test: ``url``, ``app_key``, ``private_key``,
    ``client()``, ``async_client()``, ``add_user()``, ``expire()``, ``revoke()``, ``calls()``,
    ``fail()``, ``delay()``, ``drop()``. Configure it with
    ``@pytest.mark.partner_sandbox(rotate_refresh_tokens=True, token_scopes="per-user")``."""
    partner_sandbox_server.state.reset()
    sandbox = PartnerSandbox(partner_sandbox_server)
    marker = request.node.get_closest_marker("partner_sandbox")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.partner_sandbox takes keyword arguments only")
        sandbox.configure(**marker.kwargs)
    yield sandbox
    sandbox.close()
