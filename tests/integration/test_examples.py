"""Every example runs against the sandbox and does what its docstring says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests._paths import ROOT


def _run(*commands: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The examples, one after the other, against one sandbox (the variables it sets)."""
    script = " && ".join(f'"{sys.executable}" "{ROOT / "examples" / command}"' for command in commands)
    return subprocess.run(
        [sys.executable, "-m", "tests.sandbox", "--run", "sh", "-c", script],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_async_quickstart(tmp_path: Path) -> None:
    result = _run("async_quickstart.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "logged in as Siti Rahma" in result.stdout
    assert "10 pages of 3 products; account acc_001" in result.stdout


def test_errors(tmp_path: Path) -> None:
    result = _run("errors.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "log in first: MissingTokenError (user token)" in lines
    assert "acc_002: None" in lines
    assert any(line.startswith("NotFoundError: status 404, code NOT_FOUND, request id ") for line in lines)
    assert "detailed: HTTP 404, parsed Error" in lines


def test_saving_tokens_second_run_obtains_none(tmp_path: Path) -> None:
    result = _run("saving_tokens.py", "saving_tokens.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    first, second = result.stdout.split("no saved tokens: the client obtains them")[1].split(
        "starting from saved tokens"
    )
    assert "obtainTokens" in first
    assert "obtainTokens" not in second
    assert "renewAccessToken" not in second
    assert "listProducts GET /v1/products -> 200" in second
    assert (tmp_path / "partner-api-tokens.json").stat().st_mode & 0o077 == 0


def test_structured_logging(tmp_path: Path) -> None:
    result = _run("structured_logging.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [record["operation"] for record in records] == ["obtainTokens", "listProducts"]
    assert all(record["status_code"] == 200 and record["request_id"] for record in records)


def test_tracing(tmp_path: Path) -> None:
    result = _run("tracing.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    spans = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("span ")]
    assert spans == ["obtainTokens:", "listProducts:"]
