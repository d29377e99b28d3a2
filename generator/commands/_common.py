"""What the commands share: where things are, how a command is described, colour on a terminal."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TextIO

ROOT: Final = Path(__file__).resolve().parent.parent.parent
DEFAULT_SPEC: Final = ROOT / "spec" / "openapi.yaml"
DEFAULT_OUTPUT: Final = ROOT / "generated"
DEFAULT_CHANGELOG: Final = ROOT / "CHANGELOG.md"


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    summary: str
    """One line, shown in the list of commands."""
    description: str
    """What ``python -m generator NAME --help`` says above the options."""
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions keep their line breaks; the options are wrapped as usual."""


def add_spec_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--spec",
        type=Path,
        default=DEFAULT_SPEC,
        metavar="PATH",
        help="the OpenAPI document (default: spec/openapi.yaml)",
    )


# https://no-color.org: NO_COLOR present and not empty turns colour off, whatever else is set.
_STYLES: Final = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "error": "1;31"}


def colour_enabled(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, style: str, stream: TextIO) -> str:
    if not colour_enabled(stream):
        return text
    return f"\033[{_STYLES[style]}m{text}\033[0m"


_REPORT_LINE: Final = re.compile(r"^(  )(breaking|compatible)\b", re.MULTILINE)


def paint_report(report: str, stream: TextIO) -> str:
    """A change report with its "breaking" and "compatible" words coloured (on a terminal)."""
    if not colour_enabled(stream):
        return report
    return _REPORT_LINE.sub(
        lambda match: match[1] + paint(match[2], "red" if match[2] == "breaking" else "green", stream),
        report,
    )
