"""partner_api.testing: the vendor's stand-in, to test an app that uses the Partner API.

    def test_my_app(partner_sandbox):            # the pytest fixture; nothing to import
        client = partner_sandbox.client()        # a PartnerClient pointed at the sandbox
        ...
        partner_sandbox.revoke("user")
        partner_sandbox.fail("listProducts", 503, retry_after=1)

A stateful server that behaves as the vendor documents (convention headers, the token chain,
lifetimes, revocation, user-specific data, messages in Indonesian or English; optionally
refresh-token rotation with reuse detection and per-user tokens), served over real HTTP on
loopback, failing on demand. The project's own integration suite runs against this very server,
so the rules integrators test against are the ones the client is tested against. Its bodies are
the pydantic models the generator makes from the spec (``partner_api_models``), so a spec change
reaches it too. Needs the extra: ``pip install 'partner-api[testing]'``; the pytest plugin comes
with it (entry point ``pytest11``). ``python -m partner_api.testing`` serves it by hand.
"""

from partner_api.testing._kit import OPERATION_IDS, PartnerSandbox
from partner_api.testing._server import SandboxServer
from partner_api.testing._state import DEMO, PER_CLIENT, PER_USER, Credentials, Fault, Sandbox, User

__all__ = [
    "DEMO",
    "OPERATION_IDS",
    "PER_CLIENT",
    "PER_USER",
    "Credentials",
    "Fault",
    "PartnerSandbox",
    "Sandbox",
    "SandboxServer",
    "User",
]
