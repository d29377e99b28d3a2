"""A stateful stand-in for the vendor's API, served over real HTTP on loopback.

It behaves as the vendor documents: convention headers, the token chain, lifetimes,
revocation, user-specific data, messages in Indonesian or English; and it fails on demand.
Tests control it through ``Sandbox`` (``state.py``) in their own process, never through
endpoints the spec does not have. Its bodies are the pydantic models the generator makes from
the spec (``partner_api_models``), so a spec change reaches it too.
"""

from tests.sandbox.server import SandboxServer
from tests.sandbox.state import DEMO, Fault, Sandbox

__all__ = ["DEMO", "Fault", "Sandbox", "SandboxServer"]
