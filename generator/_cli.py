"""The command line: ``python -m generator check|generate|diff|publish``."""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

from generator._errors import GeneratorError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "spec" / "openapi.yaml"
DEFAULT_OUTPUT = ROOT / "generated"
DEFAULT_CHANGELOG = ROOT / "CHANGELOG.md"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    spec = argparse.ArgumentParser(add_help=False)
    spec.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="the OpenAPI document")
    check = commands.add_parser(
        "check", parents=[spec], help="validate the spec, our conventions, the version"
    )
    check.add_argument(
        "--baseline",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="generated output the version policy compares with (default: generated/)",
    )
    generate = commands.add_parser(
        "generate", parents=[spec], help="check, then regenerate the client package"
    )
    generate.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="folder that receives partner_api_client/ (replaced whole; default: generated/)",
    )
    generate.add_argument("--force", action="store_true", help="regenerate even when the stamp matches")
    generate.add_argument(
        "--changelog", type=Path, help="CHANGELOG.md to add API changes to (default: ours, for generated/)"
    )
    diff = commands.add_parser(
        "diff", parents=[spec], help="report API changes of the spec against generated/"
    )
    diff.add_argument("--against", metavar="REV", help="compare with generated/ at this git revision instead")
    publish = commands.add_parser("publish", help="build and upload the package to an index")
    publish.add_argument(
        "--index-url", required=True, help="the index's upload URL, e.g. https://pypi.example/"
    )
    publish.add_argument("--simple-url", help="its PEP 503 simple API, if not INDEX_URL/simple/")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        if arguments.command == "check":
            return _check(arguments.spec, arguments.baseline)
        if arguments.command == "diff":
            from generator._commands import diff  # noqa: PLC0415

            return diff(arguments.spec, arguments.against, ROOT)
        if arguments.command == "publish":
            from generator._publish import publish  # noqa: PLC0415

            return publish(arguments.index_url, ROOT, DEFAULT_SPEC, DEFAULT_OUTPUT, arguments.simple_url)
        changelog = arguments.changelog
        if changelog is None and arguments.output.resolve() == DEFAULT_OUTPUT:
            changelog = DEFAULT_CHANGELOG
        return _generate(arguments.spec, arguments.output, force=arguments.force, changelog=changelog)
    except GeneratorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the output folder was not changed", file=sys.stderr)
        return 130


def _check(spec_path: Path, baseline: Path) -> int:
    from generator import _spec  # noqa: PLC0415 (keeps `generate`'s unchanged path light)
    from generator._check import check  # noqa: PLC0415
    from generator._generate import policy_check  # noqa: PLC0415

    spec = _spec.load(spec_path)
    # The spec is validated once: the version policy's generate below finds it validated.
    check(spec, str(spec_path), spec_sha256=hashlib.sha256(spec_path.read_bytes()).hexdigest())
    report = policy_check(spec_path, spec, baseline)
    count = sum(1 for _ in _spec.operations(spec))
    print(f"{spec_path}: OK, {count} operations, version {spec['info']['version']}")
    if report:
        print(report)
    return 0


def _generate(spec_path: Path, output: Path, *, force: bool, changelog: Path | None) -> int:
    from generator._generate import PACKAGE, generate  # noqa: PLC0415

    outcome = generate(spec_path, output, force=force, changelog=changelog)
    target = output / PACKAGE
    if outcome.regenerated:
        print(f"{target}: regenerated, {outcome.operations} operations, in {outcome.seconds:.2f} s")
        if outcome.report:
            print(outcome.report)
    else:
        print(f"{target}: up to date with {spec_path} (stamp matches), in {outcome.seconds:.2f} s")
    return 0
