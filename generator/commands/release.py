"""``release``: close "Unreleased" in CHANGELOG.md as the spec's version, commit, and tag it."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from generator._errors import ReleaseError
from generator.commands._common import ROOT, Command

DESCRIPTION = """\
Release the version the spec names (info.version, which generated/ must have been made from):
move what "## [Unreleased]" in CHANGELOG.md holds into a new section "## [VERSION] - DATE"
under a fresh, empty Unreleased, commit that ("Release VERSION"), and create the annotated
tag vVERSION on the commit. It refuses, changing nothing, when the working tree has
uncommitted changes, the tag exists, Unreleased is empty, or generated/ does not match the
spec. Nothing is pushed or published: it prints the commands that do."""


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo",
        type=Path,
        default=ROOT,
        metavar="DIR",
        help="the git repository, with spec/openapi.yaml, generated/ and CHANGELOG.md "
        "(default: this repository)",
    )
    parser.add_argument(
        "--date",
        type=datetime.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the release date in the CHANGELOG (default: today)",
    )


def _git(repo: Path, *arguments: str, check: bool = True) -> str:
    try:
        result = subprocess.run(  # noqa: S603 (git, with our own arguments)
            ["git", *arguments],  # noqa: S607 (git from PATH, as a person runs it)
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
            # Out of the terminal's process group: Ctrl-C must not kill git halfway through a
            # commit (it would leave .git/index.lock behind); see _interrupts_deferred.
            start_new_session=True,
        )
    except OSError as error:
        raise ReleaseError(f"cannot run git: {error.strerror}; install git") from None
    if check and result.returncode != 0:
        raise ReleaseError(f"git {arguments[0]} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout if result.returncode == 0 else ""


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[list[int]]:
    """Ctrl-C is noted, not raised, until the block is over: the commit and the tag happen both
    or neither. The list says whether an interrupt came."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = signal.signal(signal.SIGINT, lambda number, _frame: received.append(number))
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


def _refuse_unclean(repo: Path) -> None:
    if _git(repo, "rev-parse", "--is-inside-work-tree", check=False).strip() != "true":
        raise ReleaseError(f"{repo} is not a git working tree")
    if not _git(repo, "rev-parse", "--verify", "--quiet", "HEAD", check=False):
        raise ReleaseError(f"{repo} has no commit yet: commit the spec, generated/ and CHANGELOG.md first")
    dirty = _git(repo, "status", "--porcelain").splitlines()
    if dirty:
        listing = "; ".join(line.strip() for line in dirty[:8]) + (" ..." if len(dirty) > 8 else "")
        raise ReleaseError(
            f"the working tree has uncommitted changes ({listing}): commit or stash them, "
            "so that the tag names exactly what was checked"
        )


def _run(arguments: argparse.Namespace) -> int:
    # Imported here: only a release needs them.
    from generator._changelog import close_unreleased  # noqa: PLC0415
    from generator._publish import check_generated  # noqa: PLC0415

    repo: Path = arguments.repo.resolve()
    spec, output, changelog = repo / "spec" / "openapi.yaml", repo / "generated", repo / "CHANGELOG.md"
    _refuse_unclean(repo)
    stamp = check_generated(spec, output)
    version, tag = stamp.version, f"v{stamp.version}"
    if _git(repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}", check=False):
        raise ReleaseError(f"the tag {tag} exists already: set a new info.version in the spec, then generate")
    date = (arguments.date or datetime.datetime.now(tz=datetime.UTC).date()).isoformat()
    try:
        original = changelog.read_bytes()
        text = original.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ReleaseError(f"cannot read {changelog}: {error}") from None
    released = close_unreleased(text, version, date)
    head = _git(repo, "rev-parse", "HEAD").strip()
    newline = "\r\n" if "\r\n" in text else "\n"
    with _interrupts_deferred() as interrupted:
        changelog.write_bytes(released.replace("\n", newline).encode("utf-8"))
        try:
            _git(repo, "commit", "--quiet", "--message", f"Release {version}", "--", changelog.name)
            _git(
                repo,
                *("tag", "--annotate", tag, "--message"),
                f"partner-api {version} (spec sha256 {stamp.inputs.spec_sha256})",
            )
        except ReleaseError:
            # Back to where it started: the tree was clean, so nothing else is lost.
            _git(repo, "reset", "--quiet", "--hard", head, check=False)
            changelog.write_bytes(original)
            raise
    if interrupted:
        print("(interrupted while committing and tagging: the release was finished first)")
    print(f"released partner-api {version}: CHANGELOG.md section [{version}] - {date}, tag {tag}")
    print(f"next: git push origin HEAD {tag}, then make publish INDEX=<upload URL of your index>")
    return 0


COMMAND = Command(
    "release",
    "close Unreleased in the CHANGELOG as the spec's version, commit, tag v<version>",
    DESCRIPTION,
    _configure,
    _run,
)
