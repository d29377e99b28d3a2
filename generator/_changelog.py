"""An entry under "Unreleased" in CHANGELOG.md for each regeneration that changed the API."""

from __future__ import annotations

import re
from pathlib import Path

from generator._diff import Change
from generator._errors import GeneratorError

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
