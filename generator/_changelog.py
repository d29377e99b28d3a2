"""CHANGELOG.md: an entry under "Unreleased" for each regeneration that changed the API, and
"Unreleased" closed into a versioned, dated section by a release."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from generator._errors import GeneratorError, ReleaseError

if TYPE_CHECKING:
    from generator._diff import Change

UNRELEASED = "## [Unreleased]"
_UNRELEASED_HEADING = re.compile(r"^##[ \t]*\[?unreleased\]?[ \t]*$", re.IGNORECASE | re.MULTILINE)
_ANY_SECTION = re.compile(r"^## ", re.MULTILINE)


def add_entry(changelog: Path, version: str, spec_sha256: str, changes: list[Change]) -> bool:
    """Add the entry, once per spec version (the marker says which); True if it was added."""
    marker = f"<!-- generated API changes, spec sha256 {spec_sha256} -->"
    try:
        raw = (
            changelog.read_bytes().decode("utf-8") if changelog.exists() else f"# Changelog\n\n{UNRELEASED}\n"
        )
    except (OSError, UnicodeDecodeError) as error:
        raise GeneratorError(f"cannot read {changelog}: {error}") from None
    if marker in raw or not changes:
        return False
    newline = "\r\n" if "\r\n" in raw else "\n"
    text = raw.replace("\r\n", "\n")
    lines = [f"### API changes in {version} (from `python -m generator generate`; edit as needed)", marker]
    lines += [
        f"- {'**Breaking**: ' if change.breaking else ''}{change.what}: {change.subject}"
        for change in changes
    ]
    entry = "\n".join(lines) + "\n\n"
    heading = _UNRELEASED_HEADING.search(text)
    if heading is None:
        # No Unreleased section: make one above the newest release (or at the end of a new file).
        first = _ANY_SECTION.search(text)
        at = first.start() if first else len(text)
        prefix = text[:at] if text[:at].endswith("\n\n") or not text[:at] else text[:at].rstrip("\n") + "\n\n"
        text = f"{prefix}{UNRELEASED}\n\n{entry}{text[at:]}"
    else:
        after = heading.end()
        rest = text[after:].lstrip("\n")
        text = f"{text[:after]}\n\n{entry}{rest}"
    changelog.write_bytes(text.rstrip("\n").replace("\n", newline).encode("utf-8") + newline.encode())
    return True


_RELEASE_HEADING = re.compile(
    r"^##[ \t]*\[?(?P<version>[^\]\s]+)\]?[ \t]*(?:-[ \t]*\S+)?[ \t]*$", re.MULTILINE
)


def unreleased(text: str) -> str:
    """What "Unreleased" holds (without its heading), or '' when there is no such section."""
    heading = _UNRELEASED_HEADING.search(text)
    if heading is None:
        return ""
    following = _ANY_SECTION.search(text, heading.end())
    return text[heading.end() : following.start() if following else len(text)]


def has_entries(section: str) -> bool:
    """Whether a section says anything: a line that is not blank, a heading or a comment."""
    return any(line.strip() and not line.lstrip().startswith(("#", "<!--")) for line in section.splitlines())


def close_unreleased(text: str, version: str, date: str) -> str:
    """The CHANGELOG with "Unreleased" become ``## [version] - date``, under a new empty
    "Unreleased". Raises ReleaseError when there is nothing to release or it was released."""
    text = text.replace("\r\n", "\n")
    heading = _UNRELEASED_HEADING.search(text)
    if heading is None:
        raise ReleaseError(
            f'the CHANGELOG has no "{UNRELEASED}" section to release; add one with the changes'
        )
    for match in _RELEASE_HEADING.finditer(text):
        if match["version"] == version:
            raise ReleaseError(
                f"the CHANGELOG already has a section for {version}: set a new info.version in the spec"
            )
    section = unreleased(text)
    if not has_entries(section):
        raise ReleaseError(
            f'"{UNRELEASED}" in the CHANGELOG is empty: say what changed in {version} before releasing it'
        )
    body = section.strip("\n")
    end = heading.end() + len(section)
    rest = text[end:]
    return f"{text[: heading.start()]}{UNRELEASED}\n\n## [{version}] - {date}\n\n{body}\n" + (
        f"\n{rest}" if rest else ""
    )
