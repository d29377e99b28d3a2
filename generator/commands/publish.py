"""``publish``: build the package and upload it to an index, once per version."""

from __future__ import annotations

import argparse

from generator.commands._common import DEFAULT_OUTPUT, DEFAULT_SPEC, ROOT, Command

DESCRIPTION = """\
Check that generated/ matches the spec and the generator, ask the index's simple API whether
it already has this version (yanked files count: versions are never overwritten), build the
wheel and sdist, upload them with twine, and print the name, version and spec sha256.
Credentials come from TWINE_USERNAME and TWINE_PASSWORD or twine's keyring support, never
from the command line or the URL, and are never printed."""


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index-url", required=True, metavar="URL", help="the index's upload URL, e.g. https://pypi.example/"
    )
    parser.add_argument(
        "--simple-url",
        metavar="URL",
        help="its simple API, PEP 503 HTML or PEP 691 JSON (default: INDEX_URL/simple/)",
    )


def _run(arguments: argparse.Namespace) -> int:
    from generator._publish import publish  # noqa: PLC0415

    return publish(arguments.index_url, ROOT, DEFAULT_SPEC, DEFAULT_OUTPUT, arguments.simple_url)


COMMAND = Command(
    "publish", "build the package and upload it to an index, once per version", DESCRIPTION, _configure, _run
)
