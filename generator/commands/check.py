"""``check``: the spec against OpenAPI, our conventions and the version policy; writes nothing."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from generator.commands._common import DEFAULT_OUTPUT, Command, add_spec_option, paint, paint_report

DESCRIPTION = """\
Validate the spec with openapi-spec-validator, then our conventions (every operation has an
operationId and a tag, one security scheme, the convention headers, token pointers that
resolve), then the version policy against the baseline: a changed spec needs a new
info.version, a breaking change a new major version. Every problem is listed with where it
is and how to fix it. Nothing is written."""


def _configure(parser: argparse.ArgumentParser) -> None:
    add_spec_option(parser)
    parser.add_argument(
        "--baseline",
        type=Path,
        default=DEFAULT_OUTPUT,
        metavar="DIR",
        help="generated output the version policy compares with (default: generated/)",
    )


def _run(arguments: argparse.Namespace) -> int:
    # Imported here: `generate`'s unchanged path must not pay for the validator.
    from generator import _spec  # noqa: PLC0415
    from generator._check import check  # noqa: PLC0415
    from generator._generate import policy_check  # noqa: PLC0415

    spec_path: Path = arguments.spec
    spec = _spec.load(spec_path)
    # The spec is validated once: the version policy's generate below finds it validated.
    check(spec, str(spec_path), spec_sha256=hashlib.sha256(spec_path.read_bytes()).hexdigest())
    report = policy_check(spec_path, spec, arguments.baseline)
    count = sum(1 for _ in _spec.operations(spec))
    ok = paint("OK", "green", sys.stdout)
    print(f"{spec_path}: {ok}, {count} operations, version {spec['info']['version']}")
    if report:
        print(paint_report(report, sys.stdout))
    return 0


COMMAND = Command(
    "check", "validate the spec, our conventions and the version policy", DESCRIPTION, _configure, _run
)
