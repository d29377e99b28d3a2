"""The operation manifest: per operation, what the overlay needs and the generated code lacks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from generator import _shapes, _spec
from generator._names import python_identifier
from generator._prepare import Prepared
from generator._spec import Spec
from generator._stamp import GENERATED_MARK

MANIFEST_FILE: Final = "_manifest.py"
PACKAGE: Final = "partner_api_client"
# The overlay refuses a manifest of another version: bump it with every change of shape.
MANIFEST_VERSION: Final = 3


@dataclass(frozen=True, slots=True)
class Entry:
    operation_id: str
    module: str
    method: str
    path: str
    security: str | None
    bearer: str | None
    user_token: bool
    body_required: bool
    request_body: dict[str, Any] | None
    accept: str | None
    issues: tuple[dict[str, str | None], ...]
    private_key_field: str | None
    removed_headers: tuple[str, ...]

    def module_file(self) -> Path:
        return Path(*self.module.split(".")[1:]).with_suffix(".py")

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def entries(spec: Spec, prepared: Prepared) -> list[Entry]:
    """One entry per operation of a checked spec, in operationId order."""
    found = []
    for operation in _spec.operations(spec):
        operation_id = str(operation.operation_id)
        # The same names openapi-python-client gives the tag package and the endpoint module.
        tag = python_identifier(str(operation.node["tags"][0]), prefix="tag")
        module = python_identifier(operation_id, prefix="field_")
        scheme = _spec.security_scheme(_spec.effective_security(spec, operation))
        removed = prepared.removed_headers[operation_id]
        found.append(
            Entry(
                operation_id=operation_id,
                module=f"{PACKAGE}.api.{tag}.{module}",
                method=operation.method.upper(),
                path=operation.path,
                security=scheme,
                bearer=_spec.TOKEN_OF_SCHEME.get(scheme or ""),
                user_token=any(header.name == _spec.USER_TOKEN for header in removed),
                body_required=_body_required(spec, operation),
                request_body=_request_body(spec, operation),
                accept=_spec.success_media_type(spec, operation),
                issues=tuple(
                    {"token": raw["token"], "field": raw["field"], "expires_in": raw.get("expiresIn")}
                    for raw in operation.node.get(_spec.ISSUED_TOKENS_EXTENSION) or []
                ),
                private_key_field=operation.node.get(_spec.PRIVATE_KEY_EXTENSION),
                removed_headers=tuple(header.name for header in removed),
            )
        )
    return sorted(found, key=lambda entry: entry.operation_id)


def _body_required(spec: Spec, operation: _spec.Operation) -> bool:
    body = _spec.resolve(spec, operation.node.get("requestBody"))
    return isinstance(body, dict) and body.get("required") is True


def _request_body(spec: Spec, operation: _spec.Operation) -> dict[str, Any] | None:
    """What the client needs to build this operation's body by itself, if it ever has to."""
    found = _spec.request_body(spec, operation)
    if found is None:
        return None
    media, schema = found
    private_key = operation.node.get(_spec.PRIVATE_KEY_EXTENSION)
    template = _shapes.body_template(spec, schema, private_key)
    return {
        "media_type": media,
        "template": template.template,
        "private_key": private_key,
        "complete": not template.needs,
    }


def render(found: list[Entry], environments: dict[str, str], spec: Spec, scopes: dict[str, str]) -> str:
    """The manifest as a typed Python module: imported, not parsed, and checked by mypy."""
    operations = "".join(f"    {entry.as_dict()!r},\n" for entry in found)
    envelopes = tuple(_shapes.error_envelopes(spec)[0])
    kinds = ", ".join(repr(kind) for kind in _spec.TOKEN_KINDS)
    headers = {
        "app_key": _spec.APP_KEY,
        "request_id": _spec.REQUEST_ID,
        "language": _spec.LANGUAGE,
        "user_token": _spec.USER_TOKEN,
    }
    return f'''{GENERATED_MARK}
"""What the overlay ``partner_api`` needs to know about each operation, taken from the spec.

``security`` is the spec's scheme name, ``bearer`` the token it carries; ``user_token`` says
whether ``x-user-token`` goes along; ``body_required`` whether a request body is required;
``issues`` lists the tokens the response carries, as JSON pointers into its body;
``request_body`` says how the client builds the body itself (first tokens, renewals): its
media type, a template of the schema's constants and defaults, where the private key goes,
and whether that is ``complete`` (nothing else is needed from a caller); ``accept`` is the
media type of its JSON success response, as the spec writes it;
``private_key_field`` points where the request body takes the client's private key;
``removed_headers`` are the convention headers the generator took out of the generated
signatures because the overlay supplies them. ``ENVIRONMENTS`` maps environment names to the
spec's server URLs; ``ERROR_ENVELOPES`` lists where error bodies keep the vendor's code,
message and echoed request id (JSON pointers). ``TOKEN_KINDS``, ``CONVENTION_HEADERS`` and
``LANGUAGES`` are the conventions' vocabulary, named here once for the overlay.
``TOKEN_SCOPES`` says which tokens belong to the client system (``client``: shared by every
user's session) and which to one end user (``user``).
"""

from typing import Any, Final, Literal, TypedDict

TokenKind = Literal[{kinds}]
TokenScope = Literal["client", "user"]

TOKEN_KINDS: Final[tuple[TokenKind, ...]] = ({kinds},)


class ConventionHeaders(TypedDict):
    app_key: str
    request_id: str
    language: str
    user_token: str


CONVENTION_HEADERS: Final[ConventionHeaders] = {headers!r}

LANGUAGES: Final = {tuple(_spec.LANGUAGES)!r}


class IssuedToken(TypedDict):
    token: TokenKind
    field: str
    expires_in: str | None


class RequestBody(TypedDict):
    media_type: str
    template: dict[str, Any]
    private_key: str | None
    complete: bool


class ErrorEnvelope(TypedDict):
    code: str | None
    message: str | None
    request_id: str | None


class Operation(TypedDict):
    operation_id: str
    module: str
    method: str
    path: str
    security: str | None
    bearer: TokenKind | None
    user_token: bool
    body_required: bool
    request_body: RequestBody | None
    accept: str | None
    issues: tuple[IssuedToken, ...]
    private_key_field: str | None
    removed_headers: tuple[str, ...]


MANIFEST_VERSION: Final = {MANIFEST_VERSION}

TOKEN_SCOPES: Final[dict[TokenKind, TokenScope]] = {scopes!r}

ENVIRONMENTS: Final[dict[str, str]] = {environments!r}

ERROR_ENVELOPES: Final[tuple[ErrorEnvelope, ...]] = {envelopes!r}

OPERATIONS: Final[tuple[Operation, ...]] = (
{operations})
'''
