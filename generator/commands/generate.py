"""``generate``: check, regenerate generated/, and say what was written."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from generator.commands._common import (
    DEFAULT_CHANGELOG,
    DEFAULT_OUTPUT,
    ROOT,
    Command,
    add_spec_option,
    paint_report,
)

DESCRIPTION = """\
Check the spec, then regenerate the client package (partner_api_client), its operation
manifest and stamp, and the sandbox's models (partner_api_models) into the output folder,
swapped in atomically: on any failure the folder is left as it was. When the stamp shows that
nothing changed (spec, generator, tools, output), no tool runs. A regeneration that changed
the API adds the change report under "Unreleased" in CHANGELOG.md (once per spec version).
It prints the files it wrote and whether it touched the CHANGELOG."""

# How many changed files are named one by one before the rest are counted.
_LISTED = 12


def _configure(parser: argparse.ArgumentParser) -> None:
    add_spec_option(parser)
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        metavar="DIR",
        help="folder that receives partner_api_client/ and partner_api_models/, replaced whole "
        "(default: generated/)",
    )
    parser.add_argument(
        "--force", action="store_true", help="regenerate even when the stamp matches (default: off)"
    )
    parser.add_argument(
        "--changelog",
        type=Path,
        metavar="PATH",
        help="CHANGELOG.md to add the API changes to (default: CHANGELOG.md when the output is "
        "generated/, none otherwise)",
    )


def _snapshot(folder: Path) -> dict[str, str]:
    """Each file below ``folder`` (bytecode aside) by relative path, with the sha256 of its bytes."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def _read(path: Path | None) -> bytes | None:
    try:
        return path.read_bytes() if path is not None else None
    except OSError:
        return None


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _run(arguments: argparse.Namespace) -> int:
    from generator._generate import PACKAGE, generate  # noqa: PLC0415

    output: Path = arguments.output
    changelog: Path | None = arguments.changelog
    if changelog is None and output.resolve() == DEFAULT_OUTPUT:
        changelog = DEFAULT_CHANGELOG
    before, changelog_before = _snapshot(output), _read(changelog)
    outcome = generate(arguments.spec, output, force=arguments.force, changelog=changelog)
    target = output / PACKAGE
    if not outcome.regenerated:
        print(f"{target}: up to date with {arguments.spec} (stamp matches), in {outcome.seconds:.2f} s")
        return 0
    print(f"{target}: regenerated, {outcome.operations} operations, in {outcome.seconds:.2f} s")
    after = _snapshot(output)
    touched = [
        *(("added", name) for name in sorted(after.keys() - before.keys())),
        *(("changed", name) for name in sorted(after.keys() & before.keys()) if after[name] != before[name]),
        *(("removed", name) for name in sorted(before.keys() - after.keys())),
    ]
    if touched:
        counts = {
            what: sum(1 for kind, _ in touched if kind == what) for what in ("added", "changed", "removed")
        }
        print(f"wrote {_shown(output)}/: " + ", ".join(f"{n} {what}" for what, n in counts.items() if n))
        for what, name in touched[:_LISTED]:
            print(f"  {what:<8}{name}")
        if len(touched) > _LISTED:
            print(f"  ... and {len(touched) - _LISTED} more")
    else:
        print(f"wrote {_shown(output)}/: every file as it was")
    if changelog is not None and _read(changelog) != changelog_before:
        print(
            f"{_shown(changelog)}: added the API changes of {outcome.stamp.version} under Unreleased; "
            "edit them into words for people"
        )
    if outcome.report:
        print(paint_report(outcome.report, sys.stdout))
    return 0


COMMAND = Command(
    "generate", "check, then regenerate the client package and its models", DESCRIPTION, _configure, _run
)
