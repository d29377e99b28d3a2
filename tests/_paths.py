"""Where things are in the repository, for every test.

``PARTNER_API_TEST_SPEC`` and ``PARTNER_API_TEST_GENERATED`` point the suites that derive their
cases from the spec and the manifest at another spec and its generated package (the size test
runs them on a large spec; ``PYTHONPATH`` must then put that package first).
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = Path(os.environ.get("PARTNER_API_TEST_SPEC") or ROOT / "spec" / "openapi.yaml")
GENERATED = Path(os.environ.get("PARTNER_API_TEST_GENERATED") or ROOT / "generated")
PACKAGE = "partner_api_client"
