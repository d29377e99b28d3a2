"""The manifest has one entry per generated endpoint module, and says what the spec says."""

from __future__ import annotations

import re
from pathlib import Path

from partner_api_client._manifest import OPERATIONS
from tests._operations import load_spec, operation_node, resolve
from tests._paths import GENERATED, PACKAGE

_PARAMETER = re.compile(r"\{[^}]*\}")


def _endpoint_modules() -> dict[str, Path]:
    package = GENERATED / PACKAGE
    return {
        ".".join((PACKAGE, *path.relative_to(package).with_suffix("").parts)): path
        for path in (package / "api").glob("*/*.py")
        if path.name != "__init__.py"
    }


def test_every_endpoint_module_has_exactly_one_entry_and_vice_versa() -> None:
    named = [entry["module"] for entry in OPERATIONS]
    assert len(named) == len(set(named))
    assert sorted(named) == sorted(_endpoint_modules())


def test_each_entry_has_the_method_and_path_of_its_module() -> None:
    modules = _endpoint_modules()
    for entry in OPERATIONS:
        source = modules[entry["module"]].read_text(encoding="utf-8")
        method = re.search(r'"method": "(\w+)"', source)
        url = re.search(r'"url": "([^"]+)"', source)
        assert method, entry["module"]
        assert url, entry["module"]
        assert method.group(1).upper() == entry["method"]
        # The tool renames path parameters to snake_case; the shape is what must agree.
        assert _PARAMETER.sub("{}", url.group(1)) == _PARAMETER.sub("{}", entry["path"])


def test_tokens_and_headers_per_operation_follow_the_spec() -> None:
    spec = load_spec()
    schemes = {"accessToken": "access", "refreshToken": "refresh", "userToken": "user"}
    for entry in OPERATIONS:
        item, node = operation_node(spec, entry)
        security = node.get("security", spec.get("security"))
        bearer = schemes[next(iter(security[0]))] if security else None
        headers = {
            resolve(spec, raw)["name"]
            for raw in [*(item.get("parameters") or []), *(node.get("parameters") or [])]
            if resolve(spec, raw)["in"] == "header"
        }
        issued = tuple(
            (raw["token"], raw["field"], raw.get("expiresIn"))
            for raw in node.get("x-partner-issued-tokens", [])
        )
        summary = (
            entry["bearer"],
            entry["user_token"],
            tuple((issued["token"], issued["field"], issued["expires_in"]) for issued in entry["issues"]),
        )
        assert summary == (bearer, "x-user-token" in headers, issued), entry["operation_id"]


def test_bodies_the_client_builds_follow_the_spec() -> None:
    spec = load_spec()
    for entry in OPERATIONS:
        _, node = operation_node(spec, entry)
        body = entry["request_body"]
        if "requestBody" not in node:
            assert body is None, entry["operation_id"]
            continue
        assert body is not None
        assert body["media_type"] in resolve(spec, node["requestBody"])["content"]
        assert body["private_key"] == node.get("x-partner-private-key")
    [first] = [entry for entry in OPERATIONS if entry["private_key_field"]]
    assert first["request_body"] is not None
    assert first["request_body"]["complete"]


def test_removed_convention_headers_are_recorded() -> None:
    for entry in OPERATIONS:
        expected = {"x-app-key", "x-request-id", "x-language"} | (
            {"x-user-token"} if entry["user_token"] else set()
        )
        assert set(entry["removed_headers"]) == expected, entry["operation_id"]
