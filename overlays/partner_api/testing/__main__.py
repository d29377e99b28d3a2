"""Serve the sandbox on a free loopback port: ``python -m partner_api.testing [--run COMMAND ...]``.

With ``--run``, the command runs with ``PARTNER_API_*`` variables pointing at the sandbox and
its demo credentials, the sandbox stops after it, and its exit status is this one's.
Without, the sandbox serves until interrupted. ``--rotate-refresh-tokens`` turns on rotation with
reuse detection; ``--token-scopes per-user`` gives every user their own access and refresh
tokens; ``--user NAME:PASSWORD`` (repeatable) adds end users.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading

from partner_api.testing._server import SandboxServer
from partner_api.testing._state import DEMO, PER_CLIENT, PER_USER, Sandbox

SCOPE_MODELS = {"per-client": PER_CLIENT, "per-user": PER_USER}


def _user(text: str) -> tuple[str, str]:
    username, colon, password = text.partition(":")
    if not (username and colon and password):
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME:PASSWORD")
    return username, password


def main(prog: str = "python -m partner_api.testing") -> int:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--access-lifetime", type=float, default=900, help="seconds an access token lives")
    parser.add_argument(
        "--rotate-refresh-tokens",
        action="store_true",
        help="renewing the access token also replaces the refresh token; a replaced one presented "
        "again revokes every token of its family (RFC 9700 section 4.14.2)",
    )
    parser.add_argument(
        "--token-scopes",
        choices=sorted(SCOPE_MODELS),
        default="per-client",
        help="per-client: access and refresh tokens belong to the client, the user token to each "
        "user; per-user: every token belongs to a user",
    )
    parser.add_argument(
        "--user", type=_user, action="append", default=[], metavar="NAME:PASSWORD", help="add an end user"
    )
    parser.add_argument("--run", nargs=argparse.REMAINDER, help="command to run against the sandbox")
    arguments = parser.parse_args()
    state = Sandbox()
    state.set_lifetime("access", arguments.access_lifetime)
    state.set_rotation(arguments.rotate_refresh_tokens)
    state.set_token_scopes(SCOPE_MODELS[arguments.token_scopes])
    for username, password in arguments.user:
        state.add_user(username, password)
    with SandboxServer(state) as server:
        rotation = ", rotating refresh tokens" if arguments.rotate_refresh_tokens else ""
        print(
            f"sandbox serving on {server.url} (app key {DEMO.app_key!r}, "
            f"token scopes {arguments.token_scopes}{rotation})",
            flush=True,
        )
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
