"""Prism, the spec's independent validator, started on a free loopback port in its own process group."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from tests._paths import ROOT, SPEC

PRISM = ROOT / "node_modules" / ".bin" / "prism"
VIOLATION_TYPE = "https://stoplight.io/prism/errors#"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Prism:
    def __init__(self, mode: str, *arguments: str, log: Path, spec: Path = SPEC) -> None:
        if not PRISM.exists():
            raise RuntimeError(f"{PRISM} is missing: run `make setup` (npm ci) first")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        self._process = subprocess.Popen(
            [str(PRISM), mode, str(spec), *arguments, "--errors", "-h", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_listening(log)

    def _wait_until_listening(self, log: Path) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"prism exited with {self._process.returncode}:\n{log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"prism did not listen within 60 s:\n{log.read_text()}")

    def stop(self) -> None:
        # Stopped by its process group: prism may run node children of its own.
        try:
            os.killpg(self._process.pid, signal.SIGTERM)
            self._process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        self._log.close()


def violations(response: httpx.Response) -> list[str]:
    """What Prism found wrong with the request or the response, from either place it reports."""
    found = []
    if "sl-violations" in response.headers:
        found.extend(item["message"] for item in json.loads(response.headers["sl-violations"]))
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        response.read()
        problem = response.json()
        if str(problem.get("type", "")).startswith(VIOLATION_TYPE):
            found.append(f"{problem.get('title')}: {problem.get('detail')} {problem.get('validation', '')}")
    return found


class Recorder:
    """An httpx response hook that keeps every response, to look for violations afterwards."""

    def __init__(self) -> None:
        self.responses: list[httpx.Response] = []

    def __call__(self, response: httpx.Response) -> None:
        self.responses.append(response)

    async def record_async(self, response: httpx.Response) -> None:
        self.responses.append(response)

    def violations(self) -> list[str]:
        return [
            f"{r.request.method} {r.request.url.path}: {v}" for r in self.responses for v in violations(r)
        ]

    def paths(self) -> set[tuple[str, str]]:
        return {(r.request.method, r.request.url.path) for r in self.responses}
