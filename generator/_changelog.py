"""An entry under "Unreleased" in CHANGELOG.md for each regeneration that changed the API."""

from __future__ import annotations

from pathlib import Path

from generator._diff import Change

UNRELEASED = "## [Unreleased]"


def add_entry(changelog: Path, version: str, spec_sha256: str, changes: list[Change]) -> bool:
    """Add the entry, once per spec version (the marker says which); True if it was added."""
    marker = f"<!-- generated API changes, spec sha256 {spec_sha256} -->"
    text = changelog.read_text(encoding="utf-8") if changelog.exists() else f"# Changelog\n\n{UNRELEASED}\n"
    if marker in text or not changes:
        return False
    lines = [f"### API changes in {version} (from `python -m generator generate`; edit as needed)", marker]
    lines += [
        f"- {'**Breaking**: ' if change.breaking else ''}{change.what}: {change.subject}"
        for change in changes
    ]
    entry = "\n".join(lines) + "\n"
    if UNRELEASED not in text:
        text = text.rstrip("\n") + f"\n\n{UNRELEASED}\n"
    head, _, rest = text.partition(UNRELEASED + "\n")
    changelog.write_text(f"{head}{UNRELEASED}\n\n{entry}{rest}", encoding="utf-8")
    return True
