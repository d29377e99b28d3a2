"""The quick start runs against the sandbox as `make` runs it, renewal included."""

from __future__ import annotations

import subprocess
import sys

from tests._paths import ROOT


def test_the_quickstart_runs_against_the_sandbox() -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-m", "tests.sandbox", "--access-lifetime", "1"),
            *("--run", sys.executable, "examples/quickstart.py"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    operations = [line.split()[0] for line in lines if " -> " in line]
    assert operations == [
        "obtainTokens",
        "listProducts",
        "authenticateUser",
        "getAccount",
        "renewAccessToken",
        "getAccount",
        "getAccount",
    ]
    assert any("NotFoundError: HTTP 404 NOT_FOUND: Not found." in line for line in lines)
