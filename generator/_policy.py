"""The version policy: the package version is the spec's ``info.version``, and it must say
what changed (a new version for any spec change, a new major one for a breaking change)."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from generator._diff import Change
from generator._errors import Problem


def version_problems(
    old_version: str, new_version: str, spec_changed: bool, changes: list[Change]
) -> list[Problem]:
    where = "$.info.version"
    try:
        old, new = Version(old_version), Version(new_version)
    except InvalidVersion as error:
        return [Problem(where, f"is not a version: {error}", fix="use MAJOR.MINOR.PATCH, e.g. 1.2.0")]
    breaking = [change for change in changes if change.breaking]
    if spec_changed and new <= old:
        bump = f"{old.major + 1}.0.0" if breaking else f"{old.major}.{old.minor + 1}.0 (or a patch release)"
        return [
            Problem(
                where, f"is {new}, but the spec changed since {old} was generated", fix=f"set it to {bump}"
            )
        ]
    if breaking and new.major <= old.major:
        listing = "; ".join(change.subject for change in breaking[:5]) + (" ..." if len(breaking) > 5 else "")
        return [
            Problem(
                where,
                f"is {new}, but {len(breaking)} breaking change(s) since {old} need a new major version: "
                f"{listing}",
                fix=f"set it to {old.major + 1}.0.0, or make the change compatible",
            )
        ]
    return []
