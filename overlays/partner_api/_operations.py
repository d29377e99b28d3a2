"""The operations, read once from the generated manifest: what each needs and what it issues.

Everything the client does differently per operation is looked up here; nothing in the
overlay names a path or an operation.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode

from partner_api_client import _manifest
from partner_api_client._manifest import TokenKind

_FORM: Final = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    kind: TokenKind
    field: str
    expires_in: str | None


@dataclass(frozen=True, slots=True)
class EncodedBody:
    """A request body the client builds by itself, ready to send."""

    content: bytes = field(repr=False)
    content_type: str


@dataclass(frozen=True, slots=True)
class BodyTemplate:
    """How the client builds an operation's body itself: from the spec's constants and defaults,
    with the private key at its pointer, in the operation's media type."""

    media_type: str
    template: Mapping[str, Any]
    private_key: str | None
    complete: bool
    """Whether the template is the whole body: nothing else is needed from a caller."""


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    path: str
    bearer: TokenKind | None
    user_token: bool
    body_required: bool
    issues: tuple[IssuedToken, ...]
    body: BodyTemplate | None = field(default=None, compare=False)
    accept: str = "application/json"
    """The media type of its JSON success response, for the requests the client makes itself."""

    @property
    def templated(self) -> bool:
        return "{" in self.path

    @property
    def private_key_field(self) -> str | None:
        return None if self.body is None else self.body.private_key

    @property
    def needs_caller(self) -> bool:
        """Whether a body only a caller can give is required (credentials, say)."""
        return self.body_required and (self.body is None or not self.body.complete)

    def request_body(self, *, private_key: str | None = None) -> EncodedBody | None:
        """The body the client sends when it calls this operation itself; None if it has none."""
        if self.body is None:
            return None
        document: dict[str, Any] = copy.deepcopy(dict(self.body.template))
        if self.body.private_key is not None and private_key is not None:
            _put(document, self.body.private_key, private_key)
        # The media type as the spec writes it (application/json;charset=UTF-8, say).
        if self.body.media_type.partition(";")[0].strip().lower() == _FORM:
            form = {key: _form_value(value) for key, value in document.items()}
            return EncodedBody(urlencode(form).encode("ascii"), self.body.media_type)
        if not document and not self.body_required:
            return None
        content = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return EncodedBody(content.encode("utf-8"), self.body.media_type)


def _form_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _put(document: dict[str, Any], pointer: str, value: object) -> None:
    keys = [escaped.replace("~1", "/").replace("~0", "~") for escaped in pointer[1:].split("/")]
    node = document
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value


class _Node:
    """One level of the path trie: static segments first, then one templated segment."""

    __slots__ = ("operation", "param", "static")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.operation: Operation | None = None


class Catalog:
    """Finds the operation a request is for, and the operations that renew each token."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        self.operations = tuple(operations)
        # Per method, a trie of path segments: a lookup costs the same at 7 operations or 800,
        # a static segment wins over a templated one (/items/search before /items/{id}), and a
        # percent-encoded slash stays inside its segment.
        self._static: dict[str, dict[str, Operation]] = {}
        self._tries: dict[str, _Node] = {}
        for operation in self.operations:
            if not operation.templated:
                self._static.setdefault(operation.method, {})[operation.path] = operation
                continue
            node = self._tries.setdefault(operation.method, _Node())
            for segment in operation.path.split("/"):
                if "{" in segment:
                    node.param = node.param or _Node()
                    node = node.param
                else:
                    node = node.static.setdefault(segment, _Node())
            node.operation = node.operation or operation
        # A token is renewed by the operation that issues it on the strength of another token
        # alone, with a body (if any) the client can build by itself: logging a user in needs
        # the user's credentials, so it is no renewal. The first tokens come from the operation
        # that takes the private key.
        self.renewal_of: dict[TokenKind, Operation] = {}
        for operation in sorted(self.operations, key=lambda op: op.operation_id):
            if operation.bearer is None or operation.templated or operation.needs_caller:
                continue
            for issued in operation.issues:
                if issued.kind != operation.bearer:
                    self.renewal_of.setdefault(issued.kind, operation)
        self.first_tokens = next(
            (
                op
                for op in sorted(self.operations, key=lambda op: op.operation_id)
                if op.private_key_field and not op.templated and op.body is not None and op.body.complete
            ),
            None,
        )
        self._renewals = frozenset(self.renewal_of.values())

    def match(self, method: str, path: str) -> Operation | None:
        """The operation for a path as the spec writes it (percent-encoded, without the base path)."""
        statics = self._static.get(method)
        found = statics.get(path) if statics is not None else None
        if found is not None:
            return found
        root = self._tries.get(method)
        if root is None:
            return None
        node, segments = root, path.split("/")
        # Greedy first (a static segment, else the templated one): one dict lookup per segment.
        for segment in segments:
            child = node.static.get(segment)
            if child is None:
                if node.param is None or not segment:
                    break
                child = node.param
            node = child
        else:
            if node.operation is not None:
                return node.operation
        # Only where a static branch dead-ends: the full search, with backtracking.
        return _walk(root, segments)

    def match_request(self, method: str, raw_path: bytes | str, base_path: str = "") -> Operation | None:
        """The operation for a request's raw path (``httpx.URL.raw_path``: query included, encoded)."""
        path = raw_path.decode("ascii") if isinstance(raw_path, bytes) else raw_path
        if "?" in path:
            path = path.partition("?")[0]
        if base_path and path.startswith(base_path):
            path = path[len(base_path) :]
        return self.match(method, path)

    def is_renewal(self, operation: Operation) -> bool:
        return operation in self._renewals


def _walk(node: _Node, segments: list[str]) -> Operation | None:
    """Static segments first; a templated segment is tried only where no static path matched."""
    alternatives: list[tuple[_Node, int]] = []
    index, count = 0, len(segments)
    while True:
        if index == count:
            if node.operation is not None:
                return node.operation
        else:
            segment = segments[index]
            if node.param is not None and segment:
                alternatives.append((node.param, index + 1))
            child = node.static.get(segment)
            if child is not None:
                node, index = child, index + 1
                continue
        if not alternatives:
            return None
        node, index = alternatives.pop()


def _body(entry: _manifest.Operation) -> BodyTemplate | None:
    body = entry["request_body"]
    if body is None:
        return None
    return BodyTemplate(body["media_type"], body["template"], body["private_key"], body["complete"])


def _operation(entry: _manifest.Operation) -> Operation:
    return Operation(
        operation_id=entry["operation_id"],
        method=entry["method"],
        path=entry["path"],
        bearer=entry["bearer"],
        user_token=entry["user_token"],
        body_required=entry["body_required"],
        issues=tuple(
            IssuedToken(item["token"], item["field"], item["expires_in"]) for item in entry["issues"]
        ),
        body=_body(entry),
        accept=entry["accept"] or "application/json",
    )


SUPPORTED_MANIFEST_VERSION: Final = 3
if _manifest.MANIFEST_VERSION != SUPPORTED_MANIFEST_VERSION:  # pragma: no cover (a stale install)
    raise ImportError(
        f"partner_api reads operation manifest version {SUPPORTED_MANIFEST_VERSION}, but "
        f"partner_api_client has version {_manifest.MANIFEST_VERSION}: regenerate, or reinstall both"
    )

CATALOG: Final = Catalog(_operation(entry) for entry in _manifest.OPERATIONS)
ENVIRONMENTS: Final[Mapping[str, str]] = dict(_manifest.ENVIRONMENTS)
ERROR_ENVELOPES: Final = _manifest.ERROR_ENVELOPES
CONVENTION_HEADERS: Final = _manifest.CONVENTION_HEADERS
# Whose each token is: "client" (the client system's, shared by every session) or "user".
TOKEN_SCOPES: Final[Mapping[TokenKind, str]] = dict(_manifest.TOKEN_SCOPES)
