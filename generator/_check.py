"""``check``: the spec is valid OpenAPI 3.1 and follows the conventions the overlay relies on."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from generator import _shapes, _spec
from generator._errors import Problem, SpecError
from generator._policy import parse_version
from generator._spec import Operation, Spec, json_path


def check(spec: Spec, spec_path: str, *, spec_sha256: str | None = None) -> None:
    """Raise SpecError listing every problem found; return quietly when there is none.

    With the spec file's ``spec_sha256``, a document openapi-spec-validator already passed (in
    this process, or an earlier run: ``check`` then ``generate``) is not validated again: it
    costs ~7 ms per operation, more than the code generator at 800 operations.
    """
    problems = list(_references(spec, spec, ()))
    # The validator cannot walk a dangling reference (it raises instead of reporting), so it
    # only runs on a spec whose references all resolve.
    if not problems and not (spec_sha256 and _validated(spec_sha256)):
        problems.extend(_openapi_problems(spec))
        if not problems and spec_sha256:
            _remember_valid(spec_sha256)
    if not problems:
        problems.extend(_convention_problems(spec))
    if problems:
        raise SpecError(spec_path, problems)


_VALID_IN_THIS_RUN: set[str] = set()


def _validation_marker(spec_sha256: str) -> Path:
    from importlib import metadata  # noqa: PLC0415

    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    version = metadata.version("openapi-spec-validator")
    return Path(base, "partner-api-generator", "valid-specs", f"{spec_sha256}-{version}")


def _validated(spec_sha256: str) -> bool:
    if spec_sha256 in _VALID_IN_THIS_RUN:
        return True
    try:
        return _validation_marker(spec_sha256).is_file()
    except (OSError, RuntimeError):  # no home folder, say
        return False


def _remember_valid(spec_sha256: str) -> None:
    _VALID_IN_THIS_RUN.add(spec_sha256)
    try:
        marker = _validation_marker(spec_sha256)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except (OSError, RuntimeError):
        pass  # a cache only: the next run validates again


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
    yield from _shapes.error_envelopes(spec)[1]
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
    body = _spec.request_body(spec, operation)
    if body is None or not isinstance(body[1], dict):
        yield Problem(
            where,
            f"needs a request body ({_spec.JSON} or {_spec.FORM}) with a schema to point into",
            operation=operation.operation_id,
        )
        return
    media, schema = body
    problem = _pointer_problem(spec, schema, pointer, "string")
    if problem:
        yield Problem(
            where,
            f"{pointer!r} {problem} in the request body schema",
            operation=operation.operation_id,
            fix=f"point at one of: {', '.join(_shapes.pointers(spec, schema, {'string'})) or '(none)'}",
        )
    elif _spec.media_type(media) == _spec.FORM and pointer.count("/") != 1:
        yield Problem(
            where,
            f"{pointer!r} is nested, and a form-encoded body has only top-level fields",
            operation=operation.operation_id,
            fix="point at a top-level field, like /privateKey",
        )
    needs = _shapes.body_template(spec, schema, pointer).needs
    if not problem and needs:
        yield Problem(
            where,
            f"the client builds this body by itself, but {', '.join(needs)} "
            "has no const, single-value enum or default",
            operation=operation.operation_id,
            fix="give each a const (e.g. grantType: {type: string, const: client_credentials}) or a default",
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
    yield from _language_problems(spec, operation)
    yield from _explode_problems(spec, operation)


def _language_problems(spec: Spec, operation: Operation) -> Iterator[Problem]:
    """Strict on what matters (the client sends id or en, as a string); lenient on the rest:
    any order, more languages, or a plain string whose description lists them."""
    language = operation.header(spec, _spec.LANGUAGE)
    if language is None:
        return
    schema = _spec.merged(spec, language.get("schema"))
    kinds = _shapes.type_names(schema) if schema is not None else set()
    enum = schema.get("enum") if schema is not None else None
    if schema is None or (kinds and "string" not in kinds):
        problem = "must be a string"
    elif isinstance(enum, list) and not set(_spec.LANGUAGES) <= set(enum):
        missing = sorted(set(_spec.LANGUAGES) - set(enum))
        problem = f"must allow {' and '.join(_spec.LANGUAGES)}; its enum lacks {', '.join(missing)}"
    else:
        return
    yield Problem(
        json_path(*operation.where, "parameters"),
        f"{_spec.LANGUAGE} {problem}",
        operation=operation.operation_id,
        fix=f"schema: {{type: string, enum: {list(_spec.LANGUAGES)}}} (more languages, any order, are fine)",
    )


def _explode_problems(spec: Spec, operation: Operation) -> Iterator[Problem]:
    """openapi-python-client sends an array as ``a=1&a=2`` whatever the spec says: refuse the
    forms it would get wrong, rather than send a request the vendor may read differently."""
    for where, parameter in operation.parameters(spec):
        schema = _spec.merged(spec, parameter.get("schema"))
        if schema is None or "array" not in _shapes.type_names(schema):
            continue
        style = parameter.get("style", "form" if parameter.get("in") in ("query", "cookie") else "simple")
        explode = parameter.get("explode", style == "form")
        if parameter.get("in") == "query" and (style != "form" or explode is not True):
            yield Problem(
                json_path(*where),
                f"query parameter {parameter.get('name')!r} is an array with style {style}, "
                f"explode {str(explode).lower()}: the generated client would send "
                f"{parameter.get('name')}=a&{parameter.get('name')}=b, not what this asks for",
                operation=operation.operation_id,
                fix=(
                    "if the vendor accepts repeated parameters, drop explode: false (and style); "
                    "otherwise declare it type: string (the caller joins the values, e.g. 'a,b')"
                ),
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
        unknown = sorted(set(entry) - {"token", "field", "expiresIn", "optional"})
        if unknown:
            yield Problem(json_path(*here), f"unknown keys {unknown}", operation=name)
        # `optional: true`: the response may leave the token out (a rotated refresh token, say),
        # so its pointers may name optional properties.
        optional = entry.get("optional", False)
        if not isinstance(optional, bool):
            yield Problem(
                json_path(*here, "optional"), f"is {optional!r}", operation=name, fix="true or false"
            )
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
            problem = _pointer_problem(spec, schema, pointer, expected, optional is True)
            if problem:
                yield Problem(
                    json_path(*here, key),
                    f"{pointer!r} {problem} in the {status} response schema",
                    operation=name,
                    fix=f"point at one of: {', '.join(_shapes.pointers(spec, schema, {expected})) or '-'}",
                )


def _pointer_problem(
    spec: Spec, schema: Any, pointer: Any, expected: str, optional: bool = False
) -> str | None:
    node, reason = _shapes.walk(spec, schema, pointer, required=not optional)
    if node is None:
        if reason == "is not a required property":
            return f"{reason} (or mark the entry optional: true)"
        return reason
    if expected not in _shapes.type_names(node):
        return f"is not of type {expected}"
    return None
