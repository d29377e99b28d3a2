"""The operations page of the reference site, generated from the spec and its manifest.

mkdocs calls ``on_page_markdown`` (a hook, see mkdocs.yml) and the page's marker is replaced
by one section per operation: the token it needs, whether ``x-user-token`` goes along, the
tokens it issues, its errors, and the generated functions' reference. Nothing is written to
disk, so the page cannot go stale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from partner_api._errors import status_error_class
from partner_api_client._manifest import OPERATIONS, Operation

MARKER = "<!-- operations -->"
ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "openapi.yaml"

_TOKEN_WORDS = {
    "access": "the access token",
    "refresh": "the refresh token",
    "user": "the user token",
}


def _resolve(spec: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    reference = node.get("$ref")
    if not isinstance(reference, str):
        return node
    target: Any = spec
    for part in reference.removeprefix("#/").split("/"):
        target = target[part]
    return _resolve(spec, target)


def _errors(spec: Mapping[str, Any], operation: Operation) -> list[tuple[int, str, str]]:
    node = spec["paths"][operation["path"]][operation["method"].lower()]
    found = []
    for status, response in node.get("responses", {}).items():
        if str(status).isdigit() and int(status) >= 400:
            description = " ".join(str(_resolve(spec, response).get("description", "")).split())
            found.append((int(status), status_error_class(int(status)).__name__, description))
    return sorted(found)


def _section(spec: Mapping[str, Any], operation: Operation) -> str:
    node = spec["paths"][operation["path"]][operation["method"].lower()]
    bearer = operation["bearer"]
    needs = f"`Authorization: Bearer` with {_TOKEN_WORDS[bearer]}" if bearer else "no token"
    if operation["private_key_field"]:
        needs += " (the client sends its private key in the body)"
    issued = ", ".join(_TOKEN_WORDS[issued["token"]] for issued in operation["issues"]) or "none"
    lines = [
        f"## {operation['operation_id']}",
        "",
        f"`{operation['method']} {operation['path']}`: {' '.join(str(node.get('summary', '')).split())}",
        "",
        "| | |",
        "|---|---|",
        f"| token it needs | {needs} |",
        f"| `x-user-token` | {'yes: the user must have logged in' if operation['user_token'] else 'no'} |",
        f"| tokens it issues | {issued} |",
        f"| module | `{operation['module']}` |",
        "",
        "Errors:",
        "",
        "| status | raised | when |",
        "|---|---|---|",
    ]
    for status, error, description in _errors(spec, operation):
        lines.append(f"| {status} | [`{error}`][partner_api.{error}] | {description} |")
    lines += [
        "",
        f"::: {operation['module']}",
        "    options:",
        "      show_root_heading: false",
        "      show_root_toc_entry: false",
        "      members: [sync, sync_detailed, asyncio, asyncio_detailed]",
        "      heading_level: 3",
        "",
    ]
    return "\n".join(lines)


def render(spec: Mapping[str, Any], operations: Sequence[Operation]) -> str:
    ordered = sorted(operations, key=lambda operation: operation["operation_id"])
    summary = ["| operation | method and path | token | `x-user-token` | issues |", "|---|---|---|---|---|"]
    for operation in ordered:
        issued = ", ".join(issued["token"] for issued in operation["issues"]) or "-"
        summary.append(
            f"| [{operation['operation_id']}](#{operation['operation_id'].lower()}) "
            f"| `{operation['method']} {operation['path']}` | {operation['bearer'] or 'none'} "
            f"| {'yes' if operation['user_token'] else 'no'} | {issued} |"
        )
    return "\n".join([*summary, "", *(_section(spec, operation) for operation in ordered)])


def on_page_markdown(markdown: str, **_: object) -> str:
    """mkdocs hook: fill the operations page."""
    if MARKER not in markdown:
        return markdown
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return markdown.replace(MARKER, render(spec, OPERATIONS))
