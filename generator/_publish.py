"""``publish``: build the package as generated from the spec and upload it to an index, once.

Credentials come from the environment (TWINE_USERNAME, TWINE_PASSWORD) or twine's keyring
support, never from the command line, and are never printed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from generator import _stamp
from generator._errors import GeneratorError
from generator._generate import PACKAGE

DISTRIBUTION = "partner-api"


def _check_generated(spec: Path, output: Path) -> _stamp.Stamp:
    stamp = _stamp.read(output / PACKAGE)
    if (
        stamp is None
        or stamp.inputs != _stamp.current_inputs(spec)
        or stamp.output_sha256 != _stamp.output_sha256(output)
    ):
        raise GeneratorError(
            f"{output} does not match {spec} (or the generator or its tools changed): "
            "run `make generate`, commit, then publish"
        )
    return stamp


def _published_versions(index_url: str) -> set[str]:
    """The versions of our distribution the index lists (PEP 503 simple API)."""
    simple = f"{index_url.rstrip('/')}/simple/{DISTRIBUTION}/"
    user, password = os.environ.get("TWINE_USERNAME"), os.environ.get("TWINE_PASSWORD")
    auth = (user, password) if user and password else None
    try:
        response = httpx.get(simple, auth=auth, follow_redirects=True, timeout=30)
    except httpx.HTTPError as error:
        raise GeneratorError(f"cannot reach the index at {index_url}: {type(error).__name__}") from None
    if response.status_code == 404:
        return set()
    if response.status_code != 200:
        raise GeneratorError(f"the index answered {response.status_code} for {simple}")
    names = re.findall(r"partner[_-]api-([0-9][^-]*?)(?:-py3|\.tar\.gz)", response.text)
    return set(names)


def publish(index_url: str, root: Path, spec: Path, output: Path) -> int:
    stamp = _check_generated(spec, output)
    if stamp.version in _published_versions(index_url):
        raise GeneratorError(
            f"the index already has {DISTRIBUTION} {stamp.version}; nothing was uploaded. "
            "Set a new info.version in the spec and regenerate"
        )
    with tempfile.TemporaryDirectory(prefix="partner-api-dist-") as dist:
        build = subprocess.run(  # noqa: S603 (our own fixed command)
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
        if build.returncode != 0:
            raise GeneratorError(f"building the package failed:\n{(build.stdout + build.stderr)[-3000:]}")
        files = sorted(str(path) for path in Path(dist).iterdir())
        upload = subprocess.run(  # noqa: S603 (our own fixed command)
            [
                *(sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar"),
                *("--repository-url", index_url, *files),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if upload.returncode != 0:
            reason = (upload.stdout + upload.stderr).strip().splitlines()
            raise GeneratorError(
                f"uploading to {index_url} failed: {' '.join(reason[-3:])}\n"
                "Credentials come from TWINE_USERNAME/TWINE_PASSWORD or your keyring."
            )
    print(f"published {DISTRIBUTION} {stamp.version} (spec sha256 {stamp.inputs.spec_sha256}) to {index_url}")
    return 0
