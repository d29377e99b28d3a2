"""``check``: the spec is valid OpenAPI 3.1 and follows the conventions the overlay relies on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from generator import _spec
from generator._errors import Problem, SpecError
from generator._policy import parse_version
from generator._spec import Operation, Spec, json_path


def check(spec: Spec, spec_path: str) -> None:
    """Raise SpecError listing every problem found; return quietly when there is none."""
    problems = list(_references(spec, spec, ()))
    # The validator cannot walk a dangling reference (it raises instead of reporting), so it
    # only runs on a spec whose references all resolve.
    if not problems:
        problems.extend(_openapi_problems(spec))
    if not problems:
        problems.extend(_convention_problems(spec))
    if problems:
        raise SpecError(spec_path, problems)


def _references(spec: Spec, node: Any, where: tuple[str | int, ...]) -> Iterator[Problem]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#/"):
                yield Problem(
                    json_path(*where, "$ref"),
                    f"{ref!r} points outside this document",
                    fix="keep the spec in one file; move the target under #/components",
                )
            elif _spec.resolve(spec, {"$ref": ref}) is None:
                yield Problem(json_path(*where, "$ref"), f"{ref!r} points nowhere")
        for key, value in node.items():
            yield from _references(spec, value, (*where, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _references(spec, value, (*where, index))


def _openapi_problems(spec: Spec) -> Iterator[Problem]:
    version = spec.get("openapi")
    if not (isinstance(version, str) and version.startswith("3.1.")):
        yield Problem("$.openapi", f"is {version!r}; this project uses OpenAPI 3.1", fix="3.1.0")
        return
    # Imported here: it costs a third of a second, which the unchanged-spec path never pays.
    from openapi_spec_validator import OpenAPIV31SpecValidator  # noqa: PLC0415

    try:
        for error in OpenAPIV31SpecValidator(spec).iter_errors():
            yield Problem(json_path(*error.absolute_path), error.message)
    except Exception as error:  # noqa: BLE001 (the validator raises a variety of its own)
        yield Problem("$", f"openapi-spec-validator failed: {type(error).__name__}: {error}")


def _convention_problems(spec: Spec) -> Iterator[Problem]:
    version = str((spec.get("info") or {}).get("version", ""))
    if parse_version(version) is None:
        yield Problem(
            "$.info.version",
            f"{version!r} is not a version; it becomes the package's version",
            fix="use MAJOR.MINOR.PATCH, e.g. 1.2.0",
        )
    yield from _scheme_problems(spec)
    yield from _server_problems(spec)
    yield from _token_scope_problems(spec)
    ids = Counter(op.operation_id for op in _spec.operations(spec) if op.operation_id)
    issued: set[str] = set()
    needed: dict[str, Operation] = {}
    for operation in _spec.operations(spec):
        yield from _operation_problems(spec, operation, ids)
        issued.update(
            str(entry.get("token")) for entry in _issued_entries(operation) if isinstance(entry, dict)
        )
        scheme = _spec.security_scheme(_spec.effective_security(spec, operation))
        token = _spec.TOKEN_OF_SCHEME.get(scheme or "")
        if token:
            needed.setdefault(token, operation)
    for token, operation in needed.items():
        if token not in issued:
            yield Problem(
                json_path(*operation.where, "security"),
                f"needs the {token} token, but no operation issues one",
                operation=operation.operation_id,
                fix=f"declare the issuing operation's {_spec.ISSUED_TOKENS_EXTENSION}",
            )


def _server_problems(spec: Spec) -> Iterator[Problem]:
    names: Counter[str] = Counter()
    for index, server in enumerate(spec.get("servers") or []):
        name = server.get(_spec.ENVIRONMENT_EXTENSION) if isinstance(server, dict) else None
        if not isinstance(name, str) or not name.isidentifier():
            yield Problem(
                json_path("servers", index),
                f"has no {_spec.ENVIRONMENT_EXTENSION}",
                fix=f"{_spec.ENVIRONMENT_EXTENSION}: staging (a lowercase name clients pass as environment=)",
            )
        else:
            names[name] += 1
    for name, count in names.items():
        if count > 1:
            yield Problem(json_path("servers"), f"environment {name!r} is named {count} times")


def _token_scope_problems(spec: Spec) -> Iterator[Problem]:
    extension = _spec.TOKEN_SCOPES_EXTENSION
    declared = spec.get(extension)
    fix = f"{extension}: {{access: client, refresh: client, user: user}}"
    if not isinstance(declared, dict):
        yield Problem("$", f"has no {extension} saying whom each token belongs to", fix=fix)
        return
    for kind in sorted(set(declared) - set(_spec.TOKEN_KINDS)):
        yield Problem(json_path(extension, str(kind)), "is not a token kind", fix=fix)
    for kind in _spec.TOKEN_KINDS:
        if declared.get(kind) not in _spec.TOKEN_SCOPES:
            yield Problem(
                json_path(extension, kind),
                f"is {declared.get(kind)!r}, not one of {', '.join(_spec.TOKEN_SCOPES)}",
                fix=fix,
            )


def _scheme_problems(spec: Spec) -> Iterator[Problem]:
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    for name in _spec.TOKEN_OF_SCHEME:
        scheme = _spec.resolve(spec, schemes.get(name))
        if not isinstance(scheme, dict):
            yield Problem(
                json_path("components", "securitySchemes"),
                f"scheme {name!r} is missing",
                fix=f"add {name}: {{type: http, scheme: bearer}}",
            )
        elif scheme.get("type") != "http" or str(scheme.get("scheme", "")).lower() != "bearer":
            yield Problem(
                json_path("components", "securitySchemes", name),
                "must be an http bearer scheme",
                fix="type: http, scheme: bearer",
            )


def _operation_problems(spec: Spec, operation: Operation, ids: Counter[str]) -> Iterator[Problem]:
    where = operation.where
    name = operation.operation_id
    if name is None:
        yield Problem(
            json_path(*where),
            "has no operationId",
            fix="add a camelCase operationId: it names the generated module",
        )
    elif ids[name] > 1:
        yield Problem(json_path(*where, "operationId"), f"{name!r} is used by {ids[name]} operations")
    if not operation.node.get("tags"):
        yield Problem(
            json_path(*where), "has no tag", operation=name, fix="add tags: [<one tag>]: it names the package"
        )
    yield from _security_problems(spec, operation)
    yield from _header_problems(spec, operation)
    yield from _issued_token_problems(spec, operation)
    yield from _private_key_problems(spec, operation)


def _private_key_problems(spec: Spec, operation: Operation) -> Iterator[Problem]:
    pointer = operation.node.get(_spec.PRIVATE_KEY_EXTENSION)
    if pointer is None:
        return
    where = json_path(*operation.where, _spec.PRIVATE_KEY_EXTENSION)
    schema = _spec.request_body_schema(spec, operation)
    if not isinstance(schema, dict):
        yield Problem(
            where, "needs an application/json request body to point into", operation=operation.operation_id
        )
        return
    problem = _pointer_problem(spec, schema, pointer, "string")
    if problem:
        yield Problem(
            where,
            f"{pointer!r} {problem} in the request body schema",
            operation=operation.operation_id,
            fix=f"point at one of: {', '.join(_string_pointers(spec, schema, 'string')) or '(none)'}",
        )
    if operation.node.get("security") != []:
        yield Problem(
            where,
            "the operation that takes the private key must not need a bearer token",
            operation=operation.operation_id,
            fix="security: []",
        )


def _security_problems(spec: Spec, operation: Operation) -> Iterator[Problem]:
    security = _spec.effective_security(spec, operation)
    where = json_path(*operation.where, "security")
    allowed = ", ".join(_spec.TOKEN_OF_SCHEME)
    if security is None:
        yield Problem(
            where,
            "has no security requirement, and the document declares none",
            operation=operation.operation_id,
            fix=f"security: [{{<one of {allowed}>: []}}], or security: [] for none",
        )
        return
    if security == []:
        return
    scheme = _spec.security_scheme(security)
    if scheme is None:
        yield Problem(
            where,
            f"must name exactly one scheme, not {security!r}",
            operation=operation.operation_id,
            fix=f"security: [{{<one of {allowed}>: []}}]: the overlay sends one bearer token",
        )
    elif scheme not in _spec.TOKEN_OF_SCHEME:
        yield Problem(
            where,
            f"names unknown scheme {scheme!r}",
            operation=operation.operation_id,
            fix=f"use one of {allowed}",
        )


def _header_problems(spec: Spec, operation: Operation) -> Iterator[Problem]:
    for header in _spec.MANDATORY_HEADERS:
        parameter = operation.header(spec, header)
        if parameter is None or parameter.get("required") is not True:
            state = "does not declare" if parameter is None else "does not require"
            yield Problem(
                json_path(*operation.where, "parameters"),
                f"{state} the mandatory header {header}",
                operation=operation.operation_id,
                fix=f"add - $ref: '#/components/parameters/...' for {header} (required: true)",
            )
    user_token = operation.header(spec, _spec.USER_TOKEN)
    if user_token is not None and user_token.get("required") is not True:
        yield Problem(
            json_path(*operation.where, "parameters"),
            f"declares {_spec.USER_TOKEN} as optional",
            operation=operation.operation_id,
            fix="an operation either needs the user token (required: true) or does not declare it",
        )
    language = operation.header(spec, _spec.LANGUAGE)
    schema = _spec.resolve(spec, language.get("schema")) if language else None
    if language is not None and (not isinstance(schema, dict) or schema.get("enum") != list(_spec.LANGUAGES)):
        yield Problem(
            json_path(*operation.where, "parameters"),
            f"{_spec.LANGUAGE} must be an enum of {list(_spec.LANGUAGES)}",
            operation=operation.operation_id,
        )


def _issued_entries(operation: Operation) -> list[Any]:
    entries = operation.node.get(_spec.ISSUED_TOKENS_EXTENSION)
    return entries if isinstance(entries, list) else []


def _issued_token_problems(spec: Spec, operation: Operation) -> Iterator[Problem]:
    extension = _spec.ISSUED_TOKENS_EXTENSION
    raw = operation.node.get(extension)
    if raw is None:
        return
    where = (*operation.where, extension)
    name = operation.operation_id
    if not isinstance(raw, list) or not raw:
        yield Problem(
            json_path(*where), "must be a non-empty list of {token, field, expiresIn}", operation=name
        )
        return
    success = _spec.success_response(spec, operation)
    if success is None or not isinstance(success[1], dict):
        yield Problem(
            json_path(*operation.where, "responses"),
            f"{extension} needs a 2xx response with an application/json schema to point into",
            operation=name,
        )
        return
    status, schema = success
    kinds = Counter(entry.get("token") for entry in raw if isinstance(entry, dict))
    for index, entry in enumerate(raw):
        here = (*where, index)
        if not isinstance(entry, dict):
            yield Problem(json_path(*here), "must be a mapping {token, field, expiresIn}", operation=name)
            continue
        unknown = sorted(set(entry) - {"token", "field", "expiresIn"})
        if unknown:
            yield Problem(json_path(*here), f"unknown keys {unknown}", operation=name)
        token = entry.get("token")
        if token not in _spec.TOKEN_KINDS:
            yield Problem(
                json_path(*here, "token"),
                f"is {token!r}",
                operation=name,
                fix=f"one of {', '.join(_spec.TOKEN_KINDS)}",
            )
        elif kinds[token] > 1:
            yield Problem(json_path(*here, "token"), f"{token!r} is listed twice", operation=name)
        for key, expected, required in (("field", "string", True), ("expiresIn", "integer", False)):
            pointer = entry.get(key)
            if pointer is None and not required:
                continue
            problem = _pointer_problem(spec, schema, pointer, expected)
            if problem:
                yield Problem(
                    json_path(*here, key),
                    f"{pointer!r} {problem} in the {status} response schema",
                    operation=name,
                    fix=f"point at one of: {', '.join(_string_pointers(spec, schema, expected)) or '(none)'}",
                )


def _pointer_problem(spec: Spec, schema: Any, pointer: Any, expected: str) -> str | None:
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        return "is not a JSON pointer (like /accessToken)"
    node = schema
    for escaped in pointer[1:].split("/"):
        token = _spec.unescape(escaped)
        node = _spec.resolve(spec, node)
        properties = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(properties, dict) or token not in properties:
            return "does not exist"
        if token not in (node.get("required") or []):
            return "is not a required property"
        node = properties[token]
    node = _spec.resolve(spec, node)
    if not isinstance(node, dict) or node.get("type") != expected:
        return f"is not of type {expected}"
    return None


def _string_pointers(spec: Spec, schema: Any, expected: str, prefix: str = "", depth: int = 0) -> list[str]:
    """Every required property of the expected type, to suggest in an error message."""
    node = _spec.resolve(spec, schema)
    if depth > 4 or not isinstance(node, dict):
        return []
    found = []
    required = node.get("required") or []
    for key, child in (node.get("properties") or {}).items():
        if key not in required:
            continue
        pointer = f"{prefix}/{str(key).replace('~', '~0').replace('/', '~1')}"
        resolved = _spec.resolve(spec, child)
        if isinstance(resolved, dict) and resolved.get("type") == expected:
            found.append(pointer)
        found.extend(_string_pointers(spec, child, expected, pointer, depth + 1))
    return found
