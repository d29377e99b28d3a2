"""``publish``: build the package as generated from the spec and upload it to an index, once.

Credentials come from the environment (TWINE_USERNAME, TWINE_PASSWORD) or twine's keyring
support, never from the command line, and are never printed.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pypi_simple
import requests
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from generator import _stamp
from generator._errors import PublishError, StaleOutputError
from generator._manifest import PACKAGE

DISTRIBUTION = "partner-api"


def check_generated(spec: Path, output: Path) -> _stamp.Stamp:
    stamp = _stamp.read(output / PACKAGE)
    if (
        stamp is None
        or stamp.inputs != _stamp.current_inputs(spec)
        or stamp.output_sha256 != _stamp.output_sha256(output)
    ):
        raise StaleOutputError(
            f"{output} does not match {spec} (or the generator or its tools changed): "
            "run `make generate`, commit, then publish or release"
        )
    return stamp


def _check_url(index_url: str) -> httpx.URL:
    try:
        url = httpx.URL(index_url)
    except httpx.InvalidURL as error:
        raise PublishError(f"--index-url is not a URL: {error}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise PublishError("--index-url must be an http(s) URL")
    if url.userinfo:
        # It would show in twine's output and in ours; credentials belong in the environment.
        raise PublishError(
            "put credentials in TWINE_USERNAME/TWINE_PASSWORD (or the keyring), not in the URL"
        )
    return url


def _version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            name, version, *_ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return version if name == DISTRIBUTION else None


def published_versions(simple_url: str) -> set[Version]:
    """The versions of our distribution the index has files for, yanked ones included (a yanked
    file's name can never be used again). Reads the simple API as PEP 691 JSON or PEP 503 HTML,
    whichever the index serves."""
    user, password = os.environ.get("TWINE_USERNAME"), os.environ.get("TWINE_PASSWORD")
    auth = (user, password) if user and password else None
    endpoint = simple_url.rstrip("/") + "/"
    try:
        with pypi_simple.PyPISimple(endpoint=endpoint, auth=auth) as index:
            page = index.get_project_page(DISTRIBUTION, timeout=30)
    except pypi_simple.NoSuchProjectError:
        return set()
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else "an error"
        raise PublishError(
            f"the index answered {status} for {endpoint}{DISTRIBUTION}/; pass --simple-url if its "
            "simple API is elsewhere, and credentials that may read it"
        ) from None
    except requests.RequestException as error:
        # The exception's text can hold the URL; the type is enough to act on.
        raise PublishError(f"cannot reach the index at {simple_url}: {type(error).__name__}") from None
    except pypi_simple.UnsupportedContentTypeError as error:
        raise PublishError(
            f"{endpoint}{DISTRIBUTION}/ is not a simple API page ({error.content_type}); "
            "pass --simple-url with the index's simple API"
        ) from None
    return {
        version for version in map(_version_of, (p.filename for p in page.packages)) if version is not None
    }


def publish(index_url: str, root: Path, spec: Path, output: Path, simple_url: str | None = None) -> int:
    url = _check_url(index_url)
    stamp = check_generated(spec, output)
    for module in ("build", "twine"):
        if importlib.util.find_spec(module) is None:
            raise PublishError(f"{module} is not installed: run `make` (it installs the pinned tools)")
    simple = simple_url or f"{str(url).rstrip('/')}/simple/"
    if Version(stamp.version) in published_versions(simple):
        raise PublishError(
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
            raise PublishError(f"building the package failed:\n{(build.stdout + build.stderr)[-3000:]}")
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
            raise PublishError(
                f"uploading to {index_url} failed: {' '.join(reason[-3:])}\n"
                "Credentials come from TWINE_USERNAME/TWINE_PASSWORD or your keyring."
            )
    print(f"published {DISTRIBUTION} {stamp.version} (spec sha256 {stamp.inputs.spec_sha256}) to {index_url}")
    return 0
