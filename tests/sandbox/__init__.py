"""The sandbox moved into the package, as ``partner_api.testing``; these names stay for the
project's tests."""

from partner_api.testing import DEMO, Fault, Sandbox, SandboxServer

__all__ = ["DEMO", "Fault", "Sandbox", "SandboxServer"]
