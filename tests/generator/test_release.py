"""`release` in a git repository the test makes: CHANGELOG section closed, commit, annotated tag."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator._changelog import close_unreleased
from generator._errors import ReleaseError
from tests._paths import GENERATED, ROOT, SPEC
from tests.generator.conftest import CURRENT, NEXT_MINOR, run_generator, spec_data, tree, write_spec

CHANGELOG = """\
# Changelog

Notes before the first section stay where they are.

## [Unreleased]

### Added
- `listProducts` takes a page size.

## [0.9.0] - 2026-10-01

### Added
- The first operations.
"""


def _git(repo: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments],  # noqa: S607 (git from PATH, as a person runs it)
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with the committed spec, generated/ and a CHANGELOG, all committed."""
    repo = tmp_path / "repo"
    (repo / "spec").mkdir(parents=True)
    shutil.copy(SPEC, repo / "spec" / "openapi.yaml")
    shutil.copytree(GENERATED, repo / "generated", ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    (repo / ".gitignore").write_text("__pycache__/\n", encoding="utf-8")
    _git(repo, "init", "--quiet", "--initial-branch=main")
    _git(repo, "config", "user.name", "Release Tester")
    _git(repo, "config", "user.email", "release@example.invalid")
    _git(repo, "config", "commit.gpgsign", "false")
    _git(repo, "config", "tag.gpgsign", "false")
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "-m", "Initial")
    return repo


def _release(repo: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    return run_generator("release", "--repo", repo, "--date", "2026-12-01", *extra, env=env)


def _state(repo: Path) -> tuple[str, str, dict[str, bytes]]:
    return _git(repo, "rev-parse", "HEAD"), _git(repo, "tag", "--list"), tree(repo / "generated")


def test_release_closes_unreleased_commits_and_tags(repo: Path) -> None:
    before = _git(repo, "rev-parse", "HEAD")
    result = _release(repo)
    assert result.returncode == 0, result.stderr
    assert f"released partner-api {CURRENT}" in result.stdout
    assert f"git push origin HEAD v{CURRENT}" in result.stdout

    changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog == CHANGELOG.replace(
        "## [Unreleased]\n\n### Added\n- `listProducts`",
        f"## [Unreleased]\n\n## [{CURRENT}] - 2026-12-01\n\n### Added\n- `listProducts`",
    )
    # One commit on top, holding the CHANGELOG only, and a clean tree.
    assert _git(repo, "rev-parse", "HEAD~1") == before
    assert _git(repo, "log", "-1", "--format=%s") == f"Release {CURRENT}"
    assert _git(repo, "show", "--name-only", "--format=", "HEAD") == "CHANGELOG.md"
    assert _git(repo, "status", "--porcelain") == ""
    # An annotated tag (a tag object, not a lightweight ref) on that commit.
    assert _git(repo, "cat-file", "-t", f"v{CURRENT}") == "tag"
    assert _git(repo, "rev-parse", f"v{CURRENT}^{{commit}}") == _git(repo, "rev-parse", "HEAD")
    assert "spec sha256" in _git(repo, "tag", "--list", "--format=%(contents)", f"v{CURRENT}")


def test_releasing_the_same_version_again_is_refused(repo: Path) -> None:
    assert _release(repo).returncode == 0
    before = _state(repo)
    result = _release(repo)
    assert result.returncode == 1
    assert f"the tag v{CURRENT} exists already" in result.stderr
    assert _state(repo) == before


def test_a_dirty_tree_is_refused_and_left_alone(repo: Path) -> None:
    readme = repo / "CHANGELOG.md"
    readme.write_text(CHANGELOG + "\nan edit not committed\n", encoding="utf-8")
    before = _state(repo)
    result = _release(repo)
    assert result.returncode == 1
    assert "uncommitted changes" in result.stderr
    assert "CHANGELOG.md" in result.stderr
    assert _state(repo) == before
    assert readme.read_text(encoding="utf-8").endswith("an edit not committed\n")


def test_an_untracked_file_counts_as_dirty(repo: Path) -> None:
    (repo / "notes.txt").write_text("draft\n", encoding="utf-8")
    result = _release(repo)
    assert result.returncode == 1
    assert "notes.txt" in result.stderr
    assert _git(repo, "tag", "--list") == ""


def test_an_existing_tag_is_refused(repo: Path) -> None:
    _git(repo, "tag", f"v{CURRENT}")
    before = _state(repo)
    result = _release(repo)
    assert result.returncode == 1
    assert f"the tag v{CURRENT} exists already" in result.stderr
    assert _state(repo) == before
    assert (repo / "CHANGELOG.md").read_text(encoding="utf-8") == CHANGELOG


def test_an_empty_unreleased_is_refused(repo: Path) -> None:
    empty = CHANGELOG.replace("### Added\n- `listProducts` takes a page size.\n\n", "### Added\n\n")
    (repo / "CHANGELOG.md").write_text(empty, encoding="utf-8")
    _git(repo, "commit", "--quiet", "-am", "Empty")
    before = _state(repo)
    result = _release(repo)
    assert result.returncode == 1
    assert '"## [Unreleased]" in the CHANGELOG is empty' in result.stderr
    assert _state(repo) == before


def test_a_stamp_that_does_not_match_the_spec_is_refused(repo: Path) -> None:
    data = spec_data()
    data["info"]["version"] = NEXT_MINOR
    write_spec(repo / "spec", data)
    _git(repo, "commit", "--quiet", "-am", "Spec edited, not regenerated")
    before = _state(repo)
    result = _release(repo)
    assert result.returncode == 1
    assert "does not match" in result.stderr
    assert "make generate" in result.stderr
    assert _state(repo) == before


def test_a_failing_commit_leaves_the_repository_as_it_was(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho refused by the hook >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    before = _state(repo)
    result = _release(repo)
    assert result.returncode == 1
    assert "refused by the hook" in result.stderr
    assert _state(repo) == before
    assert (repo / "CHANGELOG.md").read_text(encoding="utf-8") == CHANGELOG
    assert _git(repo, "status", "--porcelain") == ""


def test_an_interrupt_while_committing_finishes_the_release_first(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "hook-started"
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch '{marker}'\nsleep 2\n", encoding="utf-8")
    hook.chmod(0o755)
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "release", "--repo", str(repo), "--date", "2026-12-01"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)  # as Ctrl-C would, while git runs the commit's hook
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "interrupted while committing and tagging" in stdout
    assert _git(repo, "cat-file", "-t", f"v{CURRENT}") == "tag"
    assert _git(repo, "status", "--porcelain") == ""
    assert not (repo / ".git" / "index.lock").exists()


def test_not_a_repository_is_refused(tmp_path: Path) -> None:
    result = _release(tmp_path)
    assert result.returncode == 1
    assert "not a git working tree" in result.stderr


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("# Changelog\n\n## [1.0.0] - 2026-01-01\n- x\n", "has no"),
        ("# Changelog\n\n## [Unreleased]\n\n<!-- a marker -->\n### Added\n\n## [0.1.0]\n- x\n", "is empty"),
        ("# Changelog\n\n## [Unreleased]\n- y\n\n## [2.0.0] - 2026-01-01\n- x\n", "already has a section"),
    ],
)
def test_close_unreleased_refuses(text: str, error: str) -> None:
    with pytest.raises(ReleaseError, match=error):
        close_unreleased(text, "2.0.0", "2026-12-01")


def test_close_unreleased_at_the_end_of_the_file() -> None:
    text = "# Changelog\n\n## [Unreleased]\n### Fixed\n- a bug\n"
    assert close_unreleased(text, "1.0.1", "2026-12-01") == (
        "# Changelog\n\n## [Unreleased]\n\n## [1.0.1] - 2026-12-01\n\n### Fixed\n- a bug\n"
    )
