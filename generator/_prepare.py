"""Prepare a checked spec for openapi-python-client.

The tool records only whether an operation is secured and ignores a document-level
``security``; and the overlay, not the caller, supplies the convention headers. So the
prepared copy has security on every operation and no convention header parameters. What was
removed is returned, so the manifest keeps it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from generator import _spec
from generator._spec import Spec


@dataclass(frozen=True, slots=True)
class RemovedHeader:
    name: str
    required: bool


@dataclass(frozen=True, slots=True)
class Prepared:
    spec: Spec
    removed_headers: dict[str, tuple[RemovedHeader, ...]]
    """Per operationId, the convention headers taken out of its parameters."""


def prepare(spec: Spec) -> Prepared:
    prepared = copy.deepcopy(spec)
    removed: dict[str, tuple[RemovedHeader, ...]] = {}
    document_security = prepared.pop("security", None)
    for operation in _spec.operations(prepared):
        if "security" not in operation.node and document_security is not None:
            operation.node["security"] = copy.deepcopy(document_security)
        headers = [
            RemovedHeader(parameter["name"].lower(), parameter.get("required") is True)
            for _, parameter in operation.parameters(prepared)
            if _is_convention(parameter)
        ]
        removed[str(operation.operation_id)] = tuple(sorted(headers, key=lambda header: header.name))
    for operation in _spec.operations(prepared):
        for owner in (operation.node, operation.path_item):
            if "parameters" in owner:
                owner["parameters"] = [
                    raw
                    for raw in owner["parameters"]
                    if not _is_convention(_spec.resolve(prepared, raw) or {})
                ]
    for operation in _spec.operations(prepared):
        for _, parameter in operation.parameters(prepared):
            _describe_schema(parameter)
    components = prepared.get("components") or {}
    parameters = components.get("parameters") or {}
    for name in [
        name for name, raw in parameters.items() if _is_convention(_spec.resolve(prepared, raw) or {})
    ]:
        del parameters[name]
    return Prepared(prepared, removed)


def _is_convention(parameter: dict[str, object]) -> bool:
    return any(_spec.is_header(parameter, name) for name in _spec.CONVENTION_HEADERS)


def _describe_schema(parameter: dict[str, object]) -> None:
    # openapi-python-client documents a parameter from its schema alone; the spec's description
    # sits on the parameter, so the generated docstrings would lose it.
    schema = parameter.get("schema")
    description = parameter.get("description")
    if isinstance(schema, dict) and isinstance(description, str) and "description" not in schema:
        schema["description"] = description
