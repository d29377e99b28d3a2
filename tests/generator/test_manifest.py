"""The manifest has one entry per generated endpoint module, and says what the spec says."""

from __future__ import annotations

import re
from pathlib import Path

from partner_api_client._manifest import OPERATIONS
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
    summary = {
        entry["operation_id"]: (
            entry["bearer"],
            entry["user_token"],
            tuple((issued["token"], issued["field"], issued["expires_in"]) for issued in entry["issues"]),
        )
        for entry in OPERATIONS
    }
    assert summary == {
        "obtainTokens": (
            None,
            False,
            (
                ("access", "/accessToken", "/accessTokenExpiresIn"),
                ("refresh", "/refreshToken", "/refreshTokenExpiresIn"),
            ),
        ),
        "renewAccessToken": (
            "refresh",
            False,
            (
                ("access", "/accessToken", "/expiresIn"),
                ("refresh", "/refreshToken", "/refreshTokenExpiresIn"),
            ),
        ),
        "renewRefreshToken": ("user", False, (("refresh", "/refreshToken", "/expiresIn"),)),
        "authenticateUser": ("access", False, (("user", "/userToken", "/expiresIn"),)),
        "listProducts": ("access", False, ()),
        "getAccount": ("access", True, ()),
        "createTransfer": ("access", True, ()),
    }


def test_removed_convention_headers_are_recorded() -> None:
    for entry in OPERATIONS:
        expected = {"x-app-key", "x-request-id", "x-language"} | (
            {"x-user-token"} if entry["user_token"] else set()
        )
        assert set(entry["removed_headers"]) == expected, entry["operation_id"]
