"""``diff``: the API changes of the current spec against generated/ or a git revision's."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

from generator import _diff, _stamp
from generator._errors import GeneratorError
from generator._generate import PACKAGE, generate


def _git(root: Path, *arguments: str) -> bytes:
    return subprocess.run(  # noqa: S603 (git, with our own arguments)
        ["git", *arguments],  # noqa: S607 (git from PATH, as a person runs it)
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout


def _extract(root: Path, revision: str, folder: str, into: Path) -> None:
    try:
        # Resolved to a commit first: a "revision" like --output=... must not become an option.
        commit = (
            _git(root, "rev-parse", "--verify", "--end-of-options", f"{revision}^{{commit}}").decode().strip()
        )
        archive = _git(root, "archive", "--format=tar", commit, folder)
    except (OSError, subprocess.CalledProcessError) as error:
        stderr = getattr(error, "stderr", b"") or b""
        raise GeneratorError(
            f"cannot read {folder} at {revision!r}: {stderr.decode().strip() or error}"
        ) from None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def diff(spec_path: Path, against: str | None, root: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="partner-api-diff-") as scratch:
        if against is None:
            old = root / "generated"
        else:
            _extract(root, against, "generated", Path(scratch))
            old = Path(scratch, "generated")
        old_stamp = _stamp.read(old / PACKAGE)
        if old_stamp is None:
            raise GeneratorError(f"{old} holds no generated package to compare with")
        new = Path(scratch, "new")
        outcome = generate(spec_path, new)
        print(_diff.render(_diff.compare(old, new), old_stamp.version, outcome.stamp.version))
    return 0
