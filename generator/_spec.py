"""Reading the spec, and the vocabulary of our conventions shared by check, prepare and manifest."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from generator._errors import Problem, SpecError

HTTP_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Headers the vendor fixes for every request; the overlay injects them, so they leave the
# generated functions' signatures.
APP_KEY: Final = "x-app-key"
REQUEST_ID: Final = "x-request-id"
LANGUAGE: Final = "x-language"
USER_TOKEN: Final = "x-user-token"  # noqa: S105 (a header name, not a secret)
CONVENTION_HEADERS: Final = (APP_KEY, REQUEST_ID, LANGUAGE, USER_TOKEN)
MANDATORY_HEADERS: Final = (APP_KEY, REQUEST_ID)
LANGUAGES: Final = ("id", "en")

# The three bearer schemes and the token each one carries.
TOKEN_OF_SCHEME: Final = {"accessToken": "access", "refreshToken": "refresh", "userToken": "user"}
TOKEN_KINDS: Final = tuple(TOKEN_OF_SCHEME.values())

ISSUED_TOKENS_EXTENSION: Final = "x-partner-issued-tokens"
# Document-level: which tokens belong to the client system and which to one end user.
TOKEN_SCOPES_EXTENSION: Final = "x-partner-token-scopes"  # noqa: S105 (an extension name)
TOKEN_SCOPES: Final = ("client", "user")
PRIVATE_KEY_EXTENSION: Final = "x-partner-private-key"
ENVIRONMENT_EXTENSION: Final = "x-partner-environment"
ERROR_FIELDS_EXTENSION: Final = "x-partner-error-fields"

# The error envelope's fields the overlay reads, and where they are when the spec does not say.
ERROR_FIELDS: Final = ("code", "message", "requestId")
DEFAULT_ERROR_FIELDS: Final = {"code": "/code", "message": "/message", "requestId": "/requestId"}

JSON: Final = "application/json"
FORM: Final = "application/x-www-form-urlencoded"

Spec = dict[str, Any]


# libyaml's parser when PyYAML was built with it: four times faster on our spec.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A safe loader that refuses duplicate keys, which YAML would silently resolve to the last."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load(path: Path) -> Spec:
    """Parse the spec, turning every way it can be unreadable into a SpecError."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(shown, [Problem("$", "file not found", fix="pass --spec PATH")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(shown, [Problem("$", f"cannot be read: {error}")]) from None
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "$"
        reason = getattr(error, "problem", None) or str(error)
        lines = text.splitlines()
        if mark and mark.line < len(lines):  # the offending line, and a caret under the column
            reason += f"\n      {lines[mark.line]}\n      {' ' * mark.column}^"
        raise SpecError(
            shown, [Problem(where, f"not valid YAML: {reason}", fix="correct the YAML syntax there")]
        ) from None
    if not isinstance(document, dict):
        raise SpecError(shown, [Problem("$", "the document is not a mapping")])
    return document


def json_path(*parts: str | int) -> str:
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier():
            text += f".{part}"
        else:
            text += f"[{part!r}]"
    return text


def resolve(spec: Spec, node: Any) -> Any:
    """Follow local ``$ref`` chains; a dangling or foreign reference resolves to None."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            return None
        seen.add(ref)
        target: Any = spec
        for escaped in ref[2:].split("/"):
            token = unescape(escaped)
            if not isinstance(target, Mapping) or token not in target:
                return None
            target = target[token]
        node = target
    return node


def unescape(token: str) -> str:
    """One JSON pointer token as the key it names (RFC 6901)."""
    return token.replace("~1", "/").replace("~0", "~")


@dataclass(frozen=True, slots=True)
class Operation:
    path: str
    method: str
    node: dict[str, Any]
    path_item: dict[str, Any]

    @property
    def operation_id(self) -> str | None:
        value = self.node.get("operationId")
        return value if isinstance(value, str) and value else None

    @property
    def where(self) -> tuple[str, str, str]:
        return ("paths", self.path, self.method)

    def parameters(self, spec: Spec) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
        """Path-item and operation parameters, resolved, each with its JSON path."""
        for owner, base in ((self.path_item, ("paths", self.path)), (self.node, self.where)):
            for index, raw in enumerate(owner.get("parameters") or []):
                parameter = resolve(spec, raw)
                if isinstance(parameter, dict):
                    yield (*base, "parameters", index), parameter

    def header(self, spec: Spec, name: str) -> dict[str, Any] | None:
        for _, parameter in self.parameters(spec):
            if is_header(parameter, name):
                return parameter
        return None


def is_header(parameter: Mapping[str, Any], name: str | None = None) -> bool:
    if parameter.get("in") != "header" or not isinstance(parameter.get("name"), str):
        return False
    return name is None or parameter["name"].lower() == name


def operations(spec: Spec) -> Iterator[Operation]:
    paths = spec.get("paths")
    if not isinstance(paths, dict):
        return
    for path, path_item in paths.items():
        if not isinstance(path_item, dict):
            continue
        for method in HTTP_METHODS:
            node = path_item.get(method)
            if isinstance(node, dict):
                yield Operation(str(path), method, node, path_item)


def effective_security(spec: Spec, operation: Operation) -> Any:
    """The operation's security, or the document's when the operation declares none."""
    if "security" in operation.node:
        return operation.node["security"]
    return spec.get("security")


def security_scheme(security: Any) -> str | None:
    """The one scheme a well-formed requirement names; None for an explicit empty one."""
    if isinstance(security, list) and len(security) == 1 and isinstance(security[0], dict):
        names = list(security[0])
        if len(names) == 1 and isinstance(names[0], str):
            return names[0]
    return None


def media_type(key: object) -> str:
    """A content key without its parameters, lowercased: ``application/json;charset=UTF-8`` is JSON."""
    return str(key).split(";", 1)[0].strip().lower()


def is_json(key: object, *, response: bool = False) -> bool:
    """JSON, a ``+json`` type, or (for a response: what springdoc writes by default) ``*/*``."""
    media = media_type(key)
    return media == JSON or media.endswith("+json") or (response and media == "*/*")


def request_body(spec: Spec, operation: Operation) -> tuple[str, Any] | None:
    """The request body's media type as written (JSON first, else form) and its schema (resolved)."""
    content = _spec_get(resolve(spec, operation.node.get("requestBody")), "content")
    if not isinstance(content, dict):
        return None
    for wanted in (JSON, FORM):
        for key, media in content.items():
            if (is_json(key) if wanted == JSON else media_type(key) == FORM) and isinstance(media, dict):
                return str(key), resolve(spec, media.get("schema"))
    return None


def json_schema(spec: Spec, response: Any) -> Any:
    """The JSON schema (resolved) of a response object, if it has one."""
    content = _spec_get(resolve(spec, response), "content")
    if not isinstance(content, dict):
        return None
    for key, media in content.items():
        if is_json(key, response=True) and isinstance(media, dict) and "schema" in media:
            return resolve(spec, media["schema"])
    return None


def success_media_type(spec: Spec, operation: Operation) -> str | None:
    """The media type of the first 2xx response's JSON body, as the spec writes it."""
    responses = operation.node.get("responses")
    if not isinstance(responses, dict):
        return None
    for status in sorted(str(code) for code in responses):
        if len(status) == 3 and status.startswith("2"):
            content = _spec_get(resolve(spec, responses.get(status, responses.get(int(status)))), "content")
            for key in content if isinstance(content, dict) else ():
                if is_json(key, response=True):
                    return str(key)
    return None


def merged(spec: Spec, schema: Any, depth: int = 0) -> dict[str, Any] | None:
    """An object schema with its ``allOf`` parts folded in (properties and required), resolved.

    springdoc wraps response schemas in ``allOf``; pointers and body templates look through it.
    """
    node = resolve(spec, schema)
    if not isinstance(node, dict) or depth > 8:
        return None
    parts = node.get("allOf")
    if not isinstance(parts, list) or not parts:
        return node
    properties: dict[str, Any] = {}
    required: list[str] = []
    folded = {key: value for key, value in node.items() if key != "allOf"}
    for part in [*parts, {key: node[key] for key in ("properties", "required") if key in node}]:
        inner = merged(spec, part, depth + 1)
        if inner is None:
            continue
        properties.update(inner.get("properties") or {})
        required.extend(name for name in inner.get("required") or [] if name not in required)
        for key in ("type", "title", ERROR_FIELDS_EXTENSION):
            if key in inner and key not in folded:
                folded[key] = inner[key]
    folded["properties"] = properties
    folded["required"] = required
    return folded


def _spec_get(node: Any, *keys: str) -> Any:
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def token_scopes(spec: Spec) -> dict[str, str]:
    """The scope of each token kind, from a checked spec."""
    declared = spec.get(TOKEN_SCOPES_EXTENSION) or {}
    return {kind: str(declared[kind]) for kind in TOKEN_KINDS}


def environments(spec: Spec) -> dict[str, str]:
    """Environment name -> server URL, from the servers' environment extension."""
    found = {}
    for server in spec.get("servers") or []:
        if isinstance(server, dict) and isinstance(server.get(ENVIRONMENT_EXTENSION), str):
            found[server[ENVIRONMENT_EXTENSION]] = str(server.get("url"))
    return found


def success_response(spec: Spec, operation: Operation) -> tuple[str, Any] | None:
    """The first 2xx status of the operation and its JSON schema (resolved), if any."""
    responses = operation.node.get("responses")
    if not isinstance(responses, dict):
        return None
    for status in sorted(str(code) for code in responses):
        if len(status) == 3 and status.startswith("2"):
            return status, json_schema(spec, responses.get(status, responses.get(int(status))))
    return None


def error_responses(spec: Spec, operation: Operation) -> Iterator[tuple[str, Any]]:
    """Each 4xx/5xx (and default) status of the operation with its JSON schema (resolved)."""
    responses = operation.node.get("responses")
    if not isinstance(responses, dict):
        return
    for status, response in responses.items():
        if str(status)[:1] in ("4", "5") or str(status) == "default":
            yield str(status), json_schema(spec, response)
