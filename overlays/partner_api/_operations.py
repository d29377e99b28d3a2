"""The operations, read once from the generated manifest: what each needs and what it issues.

Everything the client does differently per operation is looked up here; nothing in the
overlay names a path or an operation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from partner_api._tokens import TokenKind
from partner_api_client import _manifest

_PARAMETER: Final = re.compile(r"\\\{[^}]*\\\}")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    kind: TokenKind
    field: str
    expires_in: str | None


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    path: str
    bearer: TokenKind | None
    user_token: bool
    body_required: bool
    issues: tuple[IssuedToken, ...]
    private_key_field: str | None

    @property
    def templated(self) -> bool:
        return "{" in self.path


class Catalog:
    """Finds the operation a request is for, and the operations that renew each token."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        self.operations = tuple(operations)
        self._static: dict[tuple[str, str], Operation] = {}
        self._templated: dict[str, list[tuple[re.Pattern[str], Operation]]] = {}
        for operation in self.operations:
            if operation.templated:
                pattern = re.compile(_PARAMETER.sub("[^/]+", re.escape(operation.path)))
                self._templated.setdefault(operation.method, []).append((pattern, operation))
            else:
                self._static[(operation.method, operation.path)] = operation
        # A token is renewed by the operation that issues it on the strength of another token
        # alone (no body: logging a user in needs the user's credentials, so it is no renewal);
        # the first tokens come from the operation that takes the private key.
        self.renewal_of: dict[TokenKind, Operation] = {}
        for operation in sorted(self.operations, key=lambda op: op.operation_id):
            if operation.bearer is None or operation.templated or operation.body_required:
                continue
            for issued in operation.issues:
                if issued.kind != operation.bearer:
                    self.renewal_of.setdefault(issued.kind, operation)
        self.first_tokens = next(
            (op for op in self.operations if op.private_key_field and not op.templated), None
        )
        self._renewals = frozenset(self.renewal_of.values())

    def match(self, method: str, path: str) -> Operation | None:
        found = self._static.get((method, path))
        if found is not None:
            return found
        for pattern, operation in self._templated.get(method, ()):
            if pattern.fullmatch(path):
                return operation
        return None

    def is_renewal(self, operation: Operation) -> bool:
        return operation in self._renewals


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
        private_key_field=entry["private_key_field"],
    )


SUPPORTED_MANIFEST_VERSION: Final = 2
if _manifest.MANIFEST_VERSION != SUPPORTED_MANIFEST_VERSION:  # pragma: no cover (a stale install)
    raise ImportError(
        f"partner_api reads operation manifest version {SUPPORTED_MANIFEST_VERSION}, but "
        f"partner_api_client has version {_manifest.MANIFEST_VERSION}: regenerate, or reinstall both"
    )

CATALOG: Final = Catalog(_operation(entry) for entry in _manifest.OPERATIONS)
ENVIRONMENTS: Final[Mapping[str, str]] = dict(_manifest.ENVIRONMENTS)
# Whose each token is: "client" (the client system's, shared by every session) or "user".
TOKEN_SCOPES: Final[Mapping[TokenKind, str]] = dict(_manifest.TOKEN_SCOPES)
