"""Valid arguments for every generated operation, derived from the manifest and the spec.

No table per operation: path and query parameters come from their examples (or enum, default,
a placeholder), bodies from the request examples, turned into the generated model the
function takes. Tests against the sandbox swap in its credentials by field name.
"""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests._paths import SPEC

_LOADED: dict[Path, dict[str, Any]] = {}


def load_spec(path: Path = SPEC) -> dict[str, Any]:
    """The spec, parsed once per process (a large one takes a while)."""
    if path not in _LOADED:
        _LOADED[path] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return _LOADED[path]


def resolve(spec: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = spec
        for key in node["$ref"][2:].split("/"):
            target = target[key.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _example_of(spec: Mapping[str, Any], holder: Mapping[str, Any]) -> Any:
    if "example" in holder:
        return holder["example"]
    examples = holder.get("examples")
    if isinstance(examples, Mapping) and examples:
        return resolve(spec, next(iter(examples.values())))["value"]
    return _synthesized(spec, holder.get("schema"))


def _synthesized(spec: Mapping[str, Any], schema: Any) -> Any:  # noqa: PLR0911 (one per shape)
    """A value the schema accepts: its example, default, constant, first enum value, or one
    built from its required properties."""
    schema = resolve(spec, schema) or {}
    for key in ("example", "default", "const"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = _synthesized(spec, part)
            merged.update(value if isinstance(value, dict) else {})
        return merged
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        return {name: _synthesized(spec, properties[name]) for name in schema.get("required") or []}
    if schema.get("type") == "array":
        return [_synthesized(spec, schema.get("items"))]
    return {"integer": 1, "number": 1, "boolean": True}.get(schema.get("type"), "x1")


def operation_node(
    spec: Mapping[str, Any], entry: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    item = spec["paths"][entry["path"]]
    return item, item[entry["method"].lower()]


def success_example(spec: Mapping[str, Any], method: str, path: str) -> tuple[int, Any]:
    """The first 2xx status of an operation and a body its schema accepts (its example)."""
    node = spec["paths"][path][method.lower()]
    for status, response in sorted(node["responses"].items(), key=lambda item: str(item[0])):
        if str(status).startswith("2"):
            for media in (resolve(spec, response).get("content") or {}).values():
                return int(status), _example_of(spec, media)
            return int(status), None
    return 200, None


def request_example(spec: Mapping[str, Any], entry: Mapping[str, Any]) -> Any:
    _, node = operation_node(spec, entry)
    content = (resolve(spec, node.get("requestBody")) or {}).get("content") or {}
    for media in content.values():
        return _example_of(spec, media)
    return None


def arguments(
    spec: Mapping[str, Any], entry: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``entry``'s generated functions; ``overrides`` replaces body fields
    by name (the sandbox's credentials, say)."""
    module = importlib.import_module(entry["module"])
    signature = inspect.signature(module.sync_detailed)
    by_key = {_key(name): name for name in signature.parameters if name not in ("client", "body")}
    item, node = operation_node(spec, entry)
    found: dict[str, Any] = {}
    for raw in [*(item.get("parameters") or []), *(node.get("parameters") or [])]:
        parameter = resolve(spec, raw)
        name = by_key.get(_key(parameter["name"]))
        if name is None or parameter["in"] == "header":
            continue
        if parameter.get("required") or parameter["in"] == "path":
            value = _example_of(spec, parameter)
            schema = resolve(spec, parameter.get("schema")) or {}
            found[name] = [value] if schema.get("type") == "array" and not isinstance(value, list) else value
    if "body" in signature.parameters:
        example = request_example(spec, entry)
        if isinstance(example, dict) and overrides:
            example = {key: overrides.get(key, value) for key, value in example.items()}
        body_type = typing.get_type_hints(module.sync_detailed)["body"]
        model = next(
            (kind for kind in typing.get_args(body_type) or (body_type,) if hasattr(kind, "from_dict")), None
        )
        found["body"] = model.from_dict(example) if model is not None else example
    return found


def all_arguments(
    spec: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    from partner_api_client._manifest import OPERATIONS

    return {entry["operation_id"]: arguments(spec, entry, overrides) for entry in OPERATIONS}


def _sandbox_overrides() -> dict[str, Any]:
    from tests.sandbox.state import DEMO

    return {"username": DEMO.username, "password": DEMO.password, "privateKey": DEMO.private_key}


def __getattr__(name: str) -> Any:
    # ARGUMENTS: the committed spec's operations with the sandbox's credentials; built on first
    # use, so that a journey over another spec's package can import this module.
    if name != "ARGUMENTS":
        raise AttributeError(name)
    value = all_arguments(load_spec(), _sandbox_overrides())
    globals()[name] = value
    return value
