"""Serve the sandbox on a free loopback port: ``python -m partner_api.testing [--run COMMAND ...]``.

With ``--run``, the command runs with ``PARTNER_API_*`` variables pointing at the sandbox and
its demo credentials, the sandbox stops after it, and its exit status is this one's.
Without, the sandbox serves until interrupted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading

from partner_api.testing._server import SandboxServer
from partner_api.testing._state import DEMO, Sandbox


def main(prog: str = "python -m partner_api.testing") -> int:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--access-lifetime", type=float, default=900, help="seconds an access token lives")
    parser.add_argument("--run", nargs=argparse.REMAINDER, help="command to run against the sandbox")
    arguments = parser.parse_args()
    state = Sandbox()
    state.set_lifetime("access", arguments.access_lifetime)
    with SandboxServer(state) as server:
        print(f"sandbox serving on {server.url} (app key {DEMO.app_key!r})", flush=True)
        if not arguments.run:
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                return 0
        environment = {
            **os.environ,
            "PARTNER_API_BASE_URL": server.url,
            "PARTNER_API_APP_KEY": DEMO.app_key,
            "PARTNER_API_PRIVATE_KEY": DEMO.private_key,
            "PARTNER_API_USERNAME": DEMO.username,
            "PARTNER_API_PASSWORD": DEMO.password,
            "PARTNER_API_DEMO_WAIT": str(arguments.access_lifetime + 0.5),
        }
        return subprocess.run(arguments.run, env=environment, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
