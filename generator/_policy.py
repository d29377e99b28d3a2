"""The version policy: the package version is the spec's ``info.version``, and it must say
what changed (a new version for any spec change, a new major one for a breaking change)."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from generator._diff import Change
from generator._errors import Problem

WHERE = "$.info.version"


def parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _allows_breaking(old: Version, new: Version) -> bool:
    if new.major > old.major:
        return True
    # 0.x promises nothing across minor versions, and a release candidate nothing to its release.
    if old.major == 0 and new.release[:2] > old.release[:2]:
        return True
    return old.is_prerelease and new.release == old.release and new > old


def next_breaking(old: Version) -> str:
    """The smallest version that may break what ``old`` promised."""
    return f"0.{old.minor + 1}.0" if old.major == 0 else f"{old.major + 1}.0.0"


def version_problems(
    old_version: str, new_version: str, spec_changed: bool, changes: list[Change]
) -> list[Problem]:
    """Problems with ``new_version`` given what changed since ``old_version``. A baseline whose
    own version is not a version (left by an older, laxer generator) sets no constraint."""
    new = parse_version(new_version)
    if new is None:
        return [Problem(WHERE, f"{new_version!r} is not a version", fix="use MAJOR.MINOR.PATCH, e.g. 1.2.0")]
    old = parse_version(old_version)
    if old is None:
        return []
    breaking = [change for change in changes if change.breaking]
    if spec_changed and new <= old:
        bump = next_breaking(old) if breaking else f"{old.major}.{old.minor + 1}.0 (or a patch release)"
        return [
            Problem(
                WHERE, f"is {new}, but the spec changed since {old} was generated", fix=f"set it to {bump}"
            )
        ]
    if breaking and not _allows_breaking(old, new):
        listing = "; ".join(change.subject for change in breaking[:5]) + (" ..." if len(breaking) > 5 else "")
        return [
            Problem(
                WHERE,
                f"is {new}, but {len(breaking)} breaking change(s) since {old} need a new major version "
                f"(a new minor one in 0.x): {listing}",
                fix=f"set it to {next_breaking(old)}, or make the change compatible",
            )
        ]
    return []
