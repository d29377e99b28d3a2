"""A real package index on loopback: pypiserver with an htpasswd file, no fallback to PyPI."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

# libpass, the maintained fork of passlib (same import name), without the deprecated `crypt`.
from passlib.apache import HtpasswdFile

from tests._paths import ROOT

USER, PASSWORD = "publisher", "s3cret-Publisher-Pass"
# The runtime dependencies, fetched once through the machine's own package index settings,
# then served by the test index, so that installing from it needs nothing else.
WHEELHOUSE = ROOT / ".venv" / "wheelhouse"


@dataclass
class Index:
    url: str
    packages: Path

    def files(self) -> dict[str, float]:
        return {path.name: path.stat().st_mtime for path in self.packages.iterdir()}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The runtime dependencies, those of the `testing` extra, and pytest (which an integrator's
# environment brings to run the testing kit's plugin).
REQUIREMENTS = (
    "httpx",
    "attrs",
    "sniffio",
    "stamina",
    "anyio",
    "httpcore",
    "filelock",
    "fastapi",
    "uvicorn",
    "pydantic",
    "pytest",
)


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    marker = WHEELHOUSE / ".complete"
    wanted = " ".join(REQUIREMENTS)
    if not marker.exists() or marker.read_text(encoding="utf-8") != wanted:
        WHEELHOUSE.mkdir(parents=True, exist_ok=True)
        # The versions this environment has (uv installed them from uv.lock), so the fresh
        # environment gets what the tests ran with.
        constraints = tmp_path_factory.mktemp("wheelhouse") / "constraints.txt"
        constraints.write_text(
            "".join(f"{dist.metadata['Name']}=={dist.version}\n" for dist in metadata.distributions()),
            encoding="utf-8",
        )
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:"),
                *("--dest", str(WHEELHOUSE), "-c", str(constraints)),
                *REQUIREMENTS,
            ],
            check=True,
        )
        marker.write_text(wanted, encoding="utf-8")
    return WHEELHOUSE


@pytest.fixture
def index(tmp_path: Path, wheelhouse: Path) -> Iterator[Index]:
    packages = tmp_path / "packages"
    packages.mkdir()
    for wheel in wheelhouse.glob("*.whl"):
        shutil.copy(wheel, packages)
    htpasswd = HtpasswdFile(str(tmp_path / "htpasswd"), new=True)
    htpasswd.set_password(USER, PASSWORD)
    htpasswd.save()
    port = _free_port()
    log = (tmp_path / "pypiserver.log").open("w")
    process = subprocess.Popen(
        [
            *(str(Path(sys.executable).parent / "pypi-server"), "run", "-i", "127.0.0.1", "-p", str(port)),
            *("-a", "update", "-P", str(tmp_path / "htpasswd"), "--disable-fallback", str(packages)),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError((tmp_path / "pypiserver.log").read_text()) from None
                time.sleep(0.05)
        yield Index(f"http://127.0.0.1:{port}/", packages)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        log.close()


def publish(
    index: Index, user: str = USER, password: str = PASSWORD, simple_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "TWINE_USERNAME": user, "TWINE_PASSWORD": password}
    simple = ["--simple-url", simple_url] if simple_url else []
    return subprocess.run(
        [sys.executable, "-m", "generator", "publish", "--index-url", index.url, *simple],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
