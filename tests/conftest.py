"""Fixtures shared by the suites that need real servers.

The sandbox comes from the testing kit's pytest plugin (``partner_api.testing``), the one
integrators get, so the project's suites and theirs run against the same vendor rules. The plugin
is registered by the package's ``pytest11`` entry point; an editable install made before the
entry point existed lacks it, and then this conftest registers it, under the same name, so it is
never loaded twice.
"""

from __future__ import annotations

import pytest

from partner_api.testing import PartnerSandbox, SandboxServer

PLUGIN = "partner_api"  # the entry point's name in pyproject.toml


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(PLUGIN):
        from partner_api.testing import _plugin

        config.pluginmanager.register(_plugin, PLUGIN)


@pytest.fixture(scope="session")
def sandbox_server(partner_sandbox_server: SandboxServer) -> SandboxServer:
    return partner_sandbox_server


@pytest.fixture
def sandbox(partner_sandbox: PartnerSandbox) -> SandboxServer:
    """The session's sandbox, its state fresh for each test (the kit's fixture, seen from inside)."""
    return partner_sandbox.server
