"""partner_api.testing: the vendor's stand-in, to test an app that uses the Partner API.

A stateful server that behaves as the vendor documents (convention headers, the token chain,
lifetimes, revocation, user-specific data, messages in Indonesian or English), served over real
HTTP on loopback, failing on demand. The project's own integration suite runs against this very
server, so the rules integrators test against are the ones the client is tested against.
Its bodies are the pydantic models the generator makes from the spec (``partner_api_models``),
so a spec change reaches it too. Needs the extra: ``pip install 'partner-api[testing]'``.
"""

from partner_api.testing._server import SandboxServer
from partner_api.testing._state import DEMO, Credentials, Fault, Sandbox

__all__ = ["DEMO", "Credentials", "Fault", "Sandbox", "SandboxServer"]
