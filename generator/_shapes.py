"""What the client builds and reads by itself, taken from the spec's schemas.

Bodies the client sends on its own (the first tokens, renewals) are a template of the body
schema's constants and defaults, with the private key put at its pointer at run time. Errors
are read through JSON pointers to the vendor's code, message and echoed request id. Both look
through ``allOf`` and ``$ref``, as springdoc writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from generator import _spec
from generator._errors import Problem
from generator._spec import Spec, json_path

_MISSING: Final = object()


def escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def type_names(node: dict[str, Any]) -> set[str]:
    """The JSON types a schema allows (3.1 writes ``type: [string, "null"]``)."""
    kind = node.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {str(item) for item in kind}
    if "const" in node:
        return {type(node["const"]).__name__.replace("str", "string").replace("int", "integer")}
    return set()


def walk(
    spec: Spec, schema: Any, pointer: Any, *, required: bool = True
) -> tuple[dict[str, Any] | None, str]:
    """The schema a JSON pointer reaches, or None with the reason it reaches none."""
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        return None, "is not a JSON pointer (like /accessToken)"
    node = _spec.merged(spec, schema)
    for escaped in pointer[1:].split("/"):
        token = _spec.unescape(escaped)
        properties = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(node, dict) or not isinstance(properties, dict) or token not in properties:
            return None, "does not exist"
        if required and token not in (node.get("required") or []):
            return None, "is not a required property"
        node = _spec.merged(spec, properties[token])
    if not isinstance(node, dict):
        return None, "does not exist"
    return node, ""


def pointers(spec: Spec, schema: Any, expected: set[str], *, required: bool = True) -> list[str]:
    """Every (required) property of one of the expected types, to suggest in an error message."""
    found: list[str] = []

    def visit(node: Any, prefix: str, depth: int) -> None:
        merged = _spec.merged(spec, node)
        if depth > 4 or merged is None:
            return
        needed = merged.get("required") or []
        for key, child in (merged.get("properties") or {}).items():
            if required and key not in needed:
                continue
            pointer = f"{prefix}/{escape(str(key))}"
            resolved = _spec.merged(spec, child)
            if resolved is not None and type_names(resolved) & expected:
                found.append(pointer)
            visit(child, pointer, depth + 1)

    visit(schema, "", 0)
    return found


def _fixed_value(node: dict[str, Any]) -> Any:
    """The one value a property may take (``const``, or an ``enum`` of one), if any."""
    if "const" in node:
        return node["const"]
    enum = node.get("enum")
    if isinstance(enum, list) and len(enum) == 1:
        return enum[0]
    return _MISSING


@dataclass(frozen=True, slots=True)
class BodyTemplate:
    template: dict[str, Any]
    """The constants, and the defaults of required properties, the body must carry."""
    needs: tuple[str, ...]
    """Pointers to required properties only the caller can fill (not the private key)."""


def body_template(spec: Spec, schema: Any, private_key: str | None) -> BodyTemplate:
    needs: list[str] = []

    def build(node: Any, prefix: str, depth: int) -> dict[str, Any]:
        merged = _spec.merged(spec, node)
        body: dict[str, Any] = {}
        if merged is None or depth > 8:
            return body
        required = merged.get("required") or []
        for key, child in (merged.get("properties") or {}).items():
            pointer = f"{prefix}/{escape(str(key))}"
            prop = _spec.merged(spec, child) or {}
            fixed = _fixed_value(prop)
            if pointer == private_key:
                continue
            if fixed is not _MISSING:
                body[key] = fixed
            elif key not in required:
                continue
            elif "default" in prop:
                body[key] = prop["default"]
            elif prop.get("properties") or (private_key or "").startswith(f"{pointer}/"):
                body[key] = build(child, pointer, depth + 1)
            else:
                needs.append(pointer)
        return body

    template = build(schema, "", 0)
    return BodyTemplate(template, tuple(needs))


# ---- the error envelope ----------------------------------------------------------------------


_KEYS: Final = {"code": "code", "message": "message", "requestId": "request_id"}
_TYPES: Final = {"code": {"string", "integer"}, "message": {"string"}, "requestId": {"string"}}


def error_envelopes(spec: Spec) -> tuple[list[dict[str, str | None]], list[Problem]]:
    """The distinct envelopes the error responses use, as pointers, and what is wrong with them."""
    envelopes: list[dict[str, str | None]] = []
    problems: list[Problem] = []
    unread: dict[str, tuple[str, str | None, str]] = {}
    seen: set[int] = set()
    for operation in _spec.operations(spec):
        for status, schema in _spec.error_responses(spec, operation):
            merged = _spec.merged(spec, schema)
            if merged is None or id(schema) in seen:
                continue
            seen.add(id(schema))
            where = json_path(*operation.where, "responses", status)
            declared = _declared_fields(spec, schema)
            if declared is not None:
                envelope, found = _declared(spec, schema, declared, where, operation.operation_id)
                problems.extend(found)
            else:
                envelope = _default(spec, schema)
            if envelope is None:
                if declared is None:  # a declared one that is wrong has its own problem already
                    name = str(merged.get("title") or _schema_name(spec, schema) or "its schema")
                    unread.setdefault(name, (where, operation.operation_id, name))
            elif envelope not in envelopes:
                envelopes.append(envelope)
    if not envelopes and unread:
        where, operation_id, name = next(iter(unread.values()))
        problems.append(
            Problem(
                where,
                f"the error envelope {name} has no code and message fields the client can read",
                operation=operation_id,
                fix=(
                    f"on the schema, declare {_spec.ERROR_FIELDS_EXTENSION}: "
                    "{code: /<its code field>, message: /<its message field>, requestId: /<optional>}"
                ),
            )
        )
    return envelopes, problems


def _schema_name(spec: Spec, schema: Any) -> str | None:
    for name, candidate in ((spec.get("components") or {}).get("schemas") or {}).items():
        if candidate is schema:
            return str(name)
    return None


def _declared_fields(spec: Spec, schema: Any) -> Any:
    node = _spec.resolve(spec, schema)
    if isinstance(node, dict) and _spec.ERROR_FIELDS_EXTENSION in node:
        return node[_spec.ERROR_FIELDS_EXTENSION]
    for part in node.get("allOf") or [] if isinstance(node, dict) else []:
        found = _declared_fields(spec, part)
        if found is not None:
            return found
    return None


def _declared(
    spec: Spec, schema: Any, declared: Any, where: str, operation: str | None
) -> tuple[dict[str, str | None] | None, list[Problem]]:
    here = f"{where} schema[{_spec.ERROR_FIELDS_EXTENSION!r}]"
    shape = "{code: /pointer, message: /pointer, requestId: /pointer (optional)}"
    if not isinstance(declared, dict) or not declared:
        return None, [Problem(here, f"must be a mapping {shape}", operation=operation)]
    problems = []
    unknown = sorted(set(map(str, declared)) - set(_KEYS))
    if unknown:
        problems.append(Problem(here, f"unknown keys {unknown}", operation=operation, fix=shape))
    if "code" not in declared and "message" not in declared:
        problems.append(Problem(here, "names neither code nor message", operation=operation, fix=shape))
    envelope: dict[str, str | None] = dict.fromkeys(_KEYS.values())
    for key, pointer in declared.items():
        if key not in _KEYS:
            continue
        node, reason = walk(spec, schema, pointer, required=False)
        if node is not None and not type_names(node) & _TYPES[key]:
            reason = f"is not of type {' or '.join(sorted(_TYPES[key]))}"
        if reason:
            suggestions = ", ".join(pointers(spec, schema, _TYPES[key], required=False)) or "(none)"
            problems.append(
                Problem(
                    f"{here}.{key}",
                    f"{pointer!r} {reason} in the error schema",
                    operation=operation,
                    fix=f"point at one of: {suggestions}",
                )
            )
        else:
            envelope[_KEYS[key]] = pointer
    return (None if problems else envelope), problems


def _default(spec: Spec, schema: Any) -> dict[str, str | None] | None:
    """The envelope ``{code, message, requestId}`` when the schema has those fields."""
    envelope: dict[str, str | None] = dict.fromkeys(_KEYS.values())
    for key, pointer in _spec.DEFAULT_ERROR_FIELDS.items():
        node, _ = walk(spec, schema, pointer, required=False)
        if node is not None and type_names(node) & _TYPES[key]:
            envelope[_KEYS[key]] = pointer
    if envelope["code"] is None and envelope["message"] is None:
        return None
    return envelope
