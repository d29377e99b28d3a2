"""A journey through the overlay against Prism mocking one corpus spec, chosen from its manifest.

Run in its own interpreter with that spec's generated package first on the path (the overlay
imports ``partner_api_client`` by name):

    PYTHONPATH=GENERATED:overlays:. python -m tests.corpus.journey SPEC PRISM_URL FLAVOR

First tokens (the private key), a regular call, login, a user call, expiry and the renewal
chain, a 401 answered by renewing and replaying, and a typed error. Prints a JSON report: the
operations called, Prism's violations, and every request whose bearer or user token was not
one the spec's examples issue for the kind the operation takes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import sys
from pathlib import Path
from typing import Any

import httpx

from partner_api import APIStatusError
from partner_api._operations import CATALOG, Operation
from partner_api._tokens import resolve_pointer
from partner_api_client._manifest import OPERATIONS
from tests._flavor import Flavor
from tests._operations import all_arguments, load_spec, operation_node, resolve
from tests.contract.prism import Recorder

PRIVATE_KEY = "pk_corpus_demo"


class Prefer:
    """A request hook that asks Prism for one status on the next request to one operation."""

    def __init__(self) -> None:
        self.planned: dict[str, str] = {}

    def __call__(self, request: httpx.Request) -> None:
        operation = CATALOG.match_request(request.method, request.url.raw_path)
        if operation is not None and operation.operation_id in self.planned:
            request.headers["prefer"] = f"code={self.planned.pop(operation.operation_id)}"
        else:
            request.headers.pop("prefer", None)  # a replay is the same request object

    async def hook_async(self, request: httpx.Request) -> None:
        self(request)


def issued_values(spec: dict[str, Any]) -> dict[str, set[str]]:
    """Every token value the spec's success examples issue, per kind."""
    values: dict[str, set[str]] = {"access": set(), "refresh": set(), "user": set()}
    for entry in OPERATIONS:
        _, node = operation_node(spec, entry)
        for status, response in node["responses"].items():
            if not str(status).startswith("2"):
                continue
            for media in (resolve(spec, response).get("content") or {}).values():
                example = media.get("example")
                for issued in entry["issues"]:
                    token = resolve_pointer(example, issued["field"])
                    if isinstance(token, str):
                        values[issued["token"]].add(token)
    return values


def _check_credentials(response: httpx.Response, values: dict[str, set[str]]) -> list[str]:
    request = response.request
    operation = CATALOG.match_request(request.method, request.url.raw_path)
    where = f"{request.method} {request.url.raw_path.decode()}"
    if operation is None:
        return [f"{where}: matches no operation"]
    found = []
    authorization = request.headers.get("authorization")
    if operation.bearer is None:
        if authorization is not None:
            found.append(f"{where}: sent a bearer to an operation that takes none")
    elif authorization is None or authorization.removeprefix("Bearer ") not in values[operation.bearer]:
        found.append(f"{where}: bearer is not a {operation.bearer} token")
    user_token = request.headers.get("x-user-token")
    if operation.user_token and user_token not in values["user"]:
        found.append(f"{where}: x-user-token is not a user token")
    if not operation.user_token and user_token is not None:
        found.append(f"{where}: x-user-token sent to an operation that is not user-specific")
    return found


def _stale_tokens(responses: list[httpx.Response]) -> list[str]:
    """Requests that carried a token other than the latest issued of its kind (a rotated-out
    refresh token, say), replaying the recorded exchanges in order."""
    latest: dict[str, str] = {}
    found = []
    for response in responses:
        request = response.request
        operation = CATALOG.match_request(request.method, request.url.raw_path)
        if operation is None:
            continue
        where = f"{operation.operation_id} ({request.method} {request.url.raw_path.decode()})"
        sent = {"user": request.headers.get("x-user-token")} if operation.user_token else {}
        if operation.bearer is not None:
            sent[operation.bearer] = request.headers.get("authorization", "").removeprefix("Bearer ")
        for kind, token in sent.items():
            if kind in latest and token != latest[kind]:
                found.append(f"{where}: sent an outdated {kind} token")
        if operation.issues and response.is_success:
            body = response.json()
            for issued in operation.issues:
                token = resolve_pointer(body, issued.field)
                if isinstance(token, str):
                    latest[issued.kind] = token
    return found


def _pick(condition: Any) -> Operation:
    return next(op for op in sorted(CATALOG.operations, key=lambda op: op.operation_id) if condition(op))


def journey(spec_path: Path, url: str, flavor_name: str) -> dict[str, Any]:
    spec = load_spec(spec_path)
    arguments = all_arguments(spec)
    values = issued_values(spec)
    flavor = Flavor(flavor_name)
    recorder, prefer = Recorder(), Prefer()
    if flavor_name == "sync":
        http_client: httpx.Client | httpx.AsyncClient = httpx.Client(
            event_hooks={"request": [prefer], "response": [recorder]}
        )
    else:
        http_client = httpx.AsyncClient(
            event_hooks={"request": [prefer.hook_async], "response": [recorder.record_async]}
        )
    flavor.closing(http_client)
    client = flavor.make_client(
        app_key="corpus-app", private_key=PRIVATE_KEY, base_url=url, http_client=http_client
    )
    module = {entry["operation_id"]: importlib.import_module(entry["module"]) for entry in OPERATIONS}

    def call(operation: Operation, on: Any = None) -> int:
        response = flavor.call(
            module[operation.operation_id], on or client, **arguments[operation.operation_id]
        )
        return int(response.status_code)

    report: dict[str, Any] = {"steps": {}}
    regular = _pick(lambda op: op.bearer == "access" and not op.user_token and not op.issues)
    login = _pick(lambda op: op.bearer is not None and any(i.kind == "user" for i in op.issues))
    personal = _pick(lambda op: op.user_token and not op.issues)
    try:
        report["steps"]["first tokens, then a regular call"] = call(regular)
        report["steps"]["login"] = call(login)
        report["steps"]["a user call"] = call(personal)
        # Expiry: the same tokens, the access and refresh tokens past their time.
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
        expired = dataclasses.replace(
            client.tokens, access_token_expires_at=past, refresh_token_expires_at=past
        )
        later = flavor.make_client(
            app_key="corpus-app",
            private_key=PRIVATE_KEY,
            base_url=url,
            http_client=http_client,
            tokens=expired,
        )
        report["steps"]["expired access and refresh: the renewal chain"] = call(personal, later)
        for operation in CATALOG.operations:
            if not operation.issues:
                report["steps"][f"every operation: {operation.operation_id}"] = call(operation, later)
        prefer.planned[regular.operation_id] = "401"
        report["steps"]["a 401, renewed and replayed"] = call(regular, later)
        prefer.planned[regular.operation_id] = "404"
        try:
            call(regular, later)
        except APIStatusError as error:
            report["error"] = {
                "type": type(error).__name__,
                "status": error.status_code,
                "code": error.code,
                "message": error.message,
            }
    finally:
        flavor.close()
    report["operations"] = [
        (
            getattr(CATALOG.match_request(r.request.method, r.request.url.raw_path), "operation_id", None),
            r.status_code,
        )
        for r in recorder.responses
    ]
    report["renewals"] = {kind: operation.operation_id for kind, operation in CATALOG.renewal_of.items()}
    report["first_tokens"] = CATALOG.first_tokens.operation_id if CATALOG.first_tokens else None
    report["violations"] = recorder.violations()
    report["wrong_credentials"] = [
        problem for r in recorder.responses for problem in _check_credentials(r, values)
    ]
    report["stale_tokens"] = _stale_tokens(recorder.responses)
    return report


if __name__ == "__main__":
    print(json.dumps(journey(Path(sys.argv[1]), sys.argv[2], sys.argv[3])))
