"""The command line: ``python -m generator COMMAND``; each command is a module of
``generator.commands``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from generator._errors import GeneratorError
from generator.commands import COMMANDS
from generator.commands._common import DEFAULT_OUTPUT, HelpFormatter, paint

DESCRIPTION = """\
The codegen step of partner-api: spec/openapi.yaml -> generated/ (the client package
partner_api_client, its operation manifest and stamp, and the sandbox's models)."""

EPILOG = """\
a spec change, step by step:
  python -m generator check          after editing spec/openapi.yaml (and its info.version)
  python -m generator generate       regenerate; adds the API changes to CHANGELOG.md
  python -m generator diff --against v1.0.0 --exit-code=breaking
  python -m generator release        close Unreleased in CHANGELOG.md, commit, tag
  python -m generator publish --index-url URL

python -m generator COMMAND --help says more about each one.
Colour only on a terminal; NO_COLOR=1 turns it off."""


# What an interrupted command left behind, where it can promise something.
_AFTER_INTERRUPT = {
    "generate": "the output folder was not changed",
    "release": "the repository is as it was before",
}


def _version_text() -> str:
    # Imported here: --version is the only user of the stamp reader and the manifest's name.
    from generator import _stamp  # noqa: PLC0415
    from generator._manifest import PACKAGE  # noqa: PLC0415

    stamp = _stamp.read(DEFAULT_OUTPUT / PACKAGE)
    package = stamp.version if stamp else "(generated/ holds no package yet)"
    tools = []
    for tool in _stamp.TOOLS:
        try:
            tools.append(f"{tool} {metadata.version(tool)}")
        except metadata.PackageNotFoundError:
            tools.append(f"{tool} (not installed: run make)")
    return (
        f"partner-api generator {package} (generator sha256 {_stamp.generator_sha256()[:12]})\n"
        + ", ".join(tools)
    )


class _VersionAction(argparse.Action):
    """Like argparse's "version", computed only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(_version_text())
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m generator", description=DESCRIPTION, epilog=EPILOG, formatter_class=HelpFormatter
    )
    parser.add_argument(
        "--version",
        action=_VersionAction,
        help="show the package version generated/ holds, the generator's hash and the tool versions",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        sub = subparsers.add_parser(
            command.name,
            help=command.summary,
            description=command.description,
            formatter_class=HelpFormatter,
        )
        command.configure(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        code: int = arguments.run(arguments)
    except GeneratorError as error:
        print(f"{paint('error:', 'error', sys.stderr)} {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`python -m generator diff | head`): stop quietly, as cat does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        after = _AFTER_INTERRUPT.get(arguments.command)
        print(f"interrupted; {after}" if after else "interrupted", file=sys.stderr)
        return 130
    return code
