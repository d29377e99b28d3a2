"""The command line: ``python -m generator check|generate``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from generator._errors import GeneratorError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "spec" / "openapi.yaml"
DEFAULT_OUTPUT = ROOT / "generated"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate the spec and our conventions")
    check.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="the OpenAPI document")
    generate = commands.add_parser("generate", help="check, then regenerate the client package")
    generate.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="the OpenAPI document")
    generate.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="folder that receives partner_api_client/ (replaced whole; default: generated/)",
    )
    generate.add_argument("--force", action="store_true", help="regenerate even when the stamp matches")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        if arguments.command == "check":
            return _check(arguments.spec)
        return _generate(arguments.spec, arguments.output, force=arguments.force)
    except GeneratorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the output folder was not changed", file=sys.stderr)
        return 130


def _check(spec_path: Path) -> int:
    from generator import _spec  # noqa: PLC0415 (keeps `generate`'s unchanged path light)
    from generator._check import check  # noqa: PLC0415

    spec = _spec.load(spec_path)
    check(spec, str(spec_path))
    print(f"{spec_path}: OK, {sum(1 for _ in _spec.operations(spec))} operations")
    return 0


def _generate(spec_path: Path, output: Path, *, force: bool) -> int:
    from generator._generate import PACKAGE, generate  # noqa: PLC0415

    outcome = generate(spec_path, output, force=force)
    target = output / PACKAGE
    if outcome.regenerated:
        print(f"{target}: regenerated, {outcome.operations} operations, in {outcome.seconds:.2f} s")
    else:
        print(f"{target}: up to date with {spec_path} (stamp matches), in {outcome.seconds:.2f} s")
    return 0
