"""``diff``: the API changes of the current spec against generated/ or a git revision's."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from generator._errors import GeneratorError
from generator.commands._common import ROOT, Command, add_spec_option, paint_report

DESCRIPTION = """\
Generate the current spec into a scratch folder and report what changed for the people who
import the package, against generated/ (or generated/ at a git revision, such as the last
release tag v1.0.0), each change classed as breaking or compatible. Writes nothing.

exit status: 0, or with --exit-code 1 when there are API changes (--exit-code=breaking: only
when one of them is breaking), so CI can gate on it; 1 on an error too."""


def _configure(parser: argparse.ArgumentParser) -> None:
    add_spec_option(parser)
    parser.add_argument(
        "--against",
        metavar="REV",
        help="compare with generated/ at this git revision, e.g. v1.0.0 (default: generated/ as it is)",
    )
    parser.add_argument(
        "--exit-code",
        nargs="?",
        const="any",
        choices=("any", "breaking"),
        metavar="any|breaking",
        help="exit 1 when there are API changes (any, the value when none is given) or breaking ones "
        "(default: exit 0 whatever changed)",
    )


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


def _run(arguments: argparse.Namespace) -> int:
    from generator import _diff, _stamp  # noqa: PLC0415
    from generator._generate import PACKAGE, generate  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="partner-api-diff-") as scratch:
        if arguments.against is None:
            old = ROOT / "generated"
        else:
            _extract(ROOT, arguments.against, "generated", Path(scratch))
            old = Path(scratch, "generated")
        old_stamp = _stamp.read(old / PACKAGE)
        if old_stamp is None:
            raise GeneratorError(f"{old} holds no generated package to compare with")
        new = Path(scratch, "new")
        outcome = generate(arguments.spec, new)
        changes = _diff.compare(old, new)
        print(paint_report(_diff.render(changes, old_stamp.version, outcome.stamp.version), sys.stdout))
    if arguments.exit_code == "any" and changes:
        return 1
    if arguments.exit_code == "breaking" and any(change.breaking for change in changes):
        return 1
    return 0


COMMAND = Command(
    "diff", "report the API changes of the spec against generated/ (or a tag)", DESCRIPTION, _configure, _run
)
