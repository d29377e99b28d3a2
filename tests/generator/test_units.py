"""In-process checks of the generator's pieces: conventions, preparation, the swap, the stamp."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import _prepare, _stamp, _swap
from generator._check import check
from generator._errors import SpecError
from tests.generator.conftest import spec_data


def _problems(spec: dict[str, object]) -> list[str]:
    with pytest.raises(SpecError) as caught:
        check(spec, "spec.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_the_committed_spec_passes() -> None:
    check(spec_data(), "spec.yaml")


def test_optional_user_token_header_is_refused() -> None:
    spec = spec_data()
    spec["components"]["parameters"]["UserToken"]["required"] = False
    problems = _problems(spec)
    assert any("getAccount" in p and "x-user-token as optional" in p for p in problems)
    assert any("createTransfer" in p for p in problems)


def test_token_field_must_be_a_required_string() -> None:
    spec = spec_data()
    spec["paths"]["/v1/users/login"]["post"]["x-partner-issued-tokens"][0]["field"] = "/expiresIn"
    spec["paths"]["/v1/users/login"]["post"]["x-partner-issued-tokens"][0]["expiresIn"] = "/user/name"
    problems = _problems(spec)
    assert any("'/expiresIn' is not of type string" in p and "/userToken" in p for p in problems)
    assert any("'/user/name' is not of type integer" in p for p in problems)


def test_a_scheme_whose_token_nobody_issues_is_refused() -> None:
    spec = spec_data()
    del spec["paths"]["/v1/users/login"]["post"]["x-partner-issued-tokens"]
    problems = _problems(spec)
    assert any(
        "renewRefreshToken" in p and "needs the user token, but no operation issues one" in p
        for p in problems
    )


def test_the_three_bearer_schemes_are_required() -> None:
    spec = spec_data()
    spec["components"]["securitySchemes"]["refreshToken"] = {"type": "apiKey", "in": "header", "name": "x-r"}
    assert any("refreshToken" in p and "must be an http bearer scheme" in p for p in _problems(spec))


def test_prepare_pushes_security_down_and_removes_convention_headers() -> None:
    spec = spec_data()
    operation = spec["paths"]["/v1/products"]["get"]
    del operation["security"]
    spec["paths"]["/v1/products"]["parameters"] = [{"$ref": "#/components/parameters/UserToken"}]
    prepared = _prepare.prepare(spec)
    out = prepared.spec["paths"]["/v1/products"]
    assert "security" not in prepared.spec
    assert out["get"]["security"] == [{"accessToken": []}]
    assert out["parameters"] == []
    assert [p["name"] for p in out["get"]["parameters"]] == ["page", "size"]
    assert prepared.removed_headers["listProducts"] == (
        _prepare.RemovedHeader("x-app-key", True),
        _prepare.RemovedHeader("x-language", False),
        _prepare.RemovedHeader("x-request-id", True),
        _prepare.RemovedHeader("x-user-token", True),
    )
    assert spec["paths"]["/v1/products"]["get"].get("security") is None  # the input is not modified
    assert "UserToken" not in prepared.spec["components"]["parameters"]


def _folder(path: Path, text: str) -> Path:
    path.mkdir()
    (path / "file").write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("atomic", [True, False], ids=["renameat2", "two-renames"])
def test_replace_swaps_the_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, atomic: bool) -> None:
    if not atomic:
        monkeypatch.setattr(_swap, "_exchange", lambda first, second: False)
    target = _folder(tmp_path / "generated", "old")
    stage = _folder(tmp_path / "stage", "new")
    _swap.replace(stage, target)
    assert (target / "file").read_text(encoding="utf-8") == "new"
    assert (stage / "file").read_text(encoding="utf-8") == "old"


def test_recover_restores_a_backup_left_between_two_renames(tmp_path: Path) -> None:
    target = tmp_path / "generated"
    _folder(tmp_path / ".generated.old-1a2b3c4d", "old")
    _folder(tmp_path / ".generated.staging-999999999-00000000", "half")
    _swap.recover(target)
    assert (target / "file").read_text(encoding="utf-8") == "old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["generated"]


def test_recover_spares_the_staging_folder_of_a_live_run(tmp_path: Path) -> None:
    import os

    live = _folder(tmp_path / f".generated.staging-{os.getppid()}-00000000", "busy")
    _swap.recover(tmp_path / "generated")
    assert live.exists()


def test_stamp_round_trips(tmp_path: Path) -> None:
    stamp = _stamp.Stamp("1.2.3", _stamp.Inputs("a" * 64, "b" * 64, {"ruff": "0.17.5"}), "c" * 64)
    (tmp_path / _stamp.STAMP_FILE).write_text(_stamp.render(stamp), encoding="utf-8")
    assert _stamp.read(tmp_path) == stamp


def test_an_unreadable_stamp_means_regenerate(tmp_path: Path) -> None:
    (tmp_path / _stamp.STAMP_FILE).write_text("SPEC_SHA256 = (", encoding="utf-8")
    assert _stamp.read(tmp_path) is None


def test_private_key_pointer_must_reach_a_required_string_of_an_unsecured_operation() -> None:
    spec = spec_data()
    operation = spec["paths"]["/v1/auth/token"]["post"]
    operation["x-partner-private-key"] = "/secret"
    operation["security"] = [{"accessToken": []}]
    problems = _problems(spec)
    assert any(
        "'/secret' does not exist in the request body schema" in p and "/privateKey" in p for p in problems
    )
    assert any("must not need a bearer token" in p for p in problems)


def test_every_server_names_its_environment_once() -> None:
    spec = spec_data()
    del spec["servers"][0]["x-partner-environment"]
    assert any("$.servers[0]: has no x-partner-environment" in p for p in _problems(spec))
    spec = spec_data()
    spec["servers"][1]["x-partner-environment"] = "staging"
    assert any("environment 'staging' is named 2 times" in p for p in _problems(spec))


@pytest.mark.parametrize(
    "name",
    [
        "listProducts",
        "getAccount",
        "obtain-tokens",
        "HTTPStatus",
        "class",
        "id",
        "list",
        "_private",
        "2fa",
        "x.y z",
        "ÜberTag",
    ],
)
def test_names_match_the_tools_own(name: str) -> None:
    from openapi_python_client.strings import PythonIdentifier

    from generator._names import python_identifier

    for prefix in ("tag", "field_"):
        assert python_identifier(name, prefix) == PythonIdentifier(name, prefix=prefix)


CHANGELOGS = {
    "no newline at the end": (b"# Changelog\n\n## [Unreleased]", b"## [Unreleased]\n\n### API changes"),
    "CRLF": (
        b"# Changelog\r\n\r\n## [Unreleased]\r\n\r\n### Added\r\n- x\r\n",
        b"\r\n- model added: X\r\n\r\n### Added\r\n",
    ),
    "no blank line": (
        b"# Changelog\n\n## [Unreleased]\n### Added\n- x\n",
        b"- model added: X\n\n### Added\n",
    ),
    "trailing space": (b"# Changelog\n\n## [Unreleased] \n\n- x\n", b"## [Unreleased] \n\n### API changes"),
    "no brackets": (b"# Changelog\n\n## Unreleased\n\n## 1.0.0\n", b"## Unreleased\n\n### API changes"),
    "no Unreleased yet": (b"# Changelog\n\n## [1.0.0]\n- first\n", b"## [Unreleased]\n\n### API changes"),
}


@pytest.mark.parametrize("case", list(CHANGELOGS))
def test_changelog_entries_go_under_unreleased_once(case: str, tmp_path: Path) -> None:
    from generator._changelog import add_entry
    from generator._diff import Change

    before, expected = CHANGELOGS[case]
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_bytes(before)
    changes = [Change(False, "model added", "X")]
    assert add_entry(changelog, "1.1.0", "sha-1", changes)
    assert not add_entry(changelog, "1.1.0", "sha-1", changes)
    after = changelog.read_bytes()
    assert expected in after
    assert after.count(b"### API changes in 1.1.0") == 1
    assert after.lower().count(b"unreleased") == 1
    if b"[1.0.0]" in before:
        assert after.index(b"[Unreleased]") < after.index(b"[1.0.0]")


@pytest.mark.parametrize(
    ("old", "new", "breaking", "allowed"),
    [
        ("1.0.0", "2.0.0", True, True),
        ("1.0.0", "1.1.0", True, False),
        ("0.3.0", "0.4.0", True, True),
        ("2.0.0rc1", "2.0.0", True, True),
        ("1.0.0", "1.0.1", False, True),
        ("1.0.0", "1.0.0", False, False),
        ("banana", "1.0.1", True, True),
    ],
)
def test_version_policy(old: str, new: str, breaking: bool, allowed: bool) -> None:
    from generator._diff import Change
    from generator._policy import version_problems

    changes = [Change(breaking, "x", "y")]
    assert (version_problems(old, new, True, changes) == []) is allowed


def test_a_version_that_is_not_one_is_refused_by_check() -> None:
    spec = spec_data()
    spec["info"]["version"] = "banana"
    assert any("'banana' is not a version" in p for p in _problems(spec))


@pytest.mark.parametrize(
    ("filename", "version"),
    [
        ("partner_api-1.0.0-py3-none-any.whl", "1.0.0"),
        ("partner_api-1.1.0rc1.tar.gz", "1.1.0rc1"),
        ("Partner_API-2.0.0-py2.py3-none-any.whl", "2.0.0"),
        ("other_partner_api-9.9.9.tar.gz", None),
        ("partner_api_extras-1.0.0-py3-none-any.whl", None),
        ("not-a-package.txt", None),
    ],
)
def test_the_index_listing_is_read_by_distribution_and_version(filename: str, version: str | None) -> None:
    from generator._publish import _version_of

    found = _version_of(filename)
    assert (str(found) if found else None) == version


def test_credentials_in_the_index_url_are_refused() -> None:
    from generator._errors import GeneratorError
    from generator._publish import _check_url

    with pytest.raises(GeneratorError, match="not in the URL"):
        _check_url("https://user:secret@pypi.internal/")


def test_stopping_the_codegen_stops_the_tools_children(tmp_path: Path) -> None:
    # openapi-python-client runs ruff as post hooks; a child that outlives the stop writes into
    # the staging folder after it is removed (the ".generated.staging-*" a refused spec left).
    import sys
    import time

    from generator import _codegen

    late = tmp_path / "written-late"
    grandchild = f"import time; time.sleep(1); open({str(late)!r}, 'w').write('x')"
    child = (
        "import subprocess, sys, time; "
        f"subprocess.Popen([sys.executable, '-c', {grandchild!r}]); time.sleep(30)"
    )
    process = _codegen._start("tool", [sys.executable, "-c", child], tmp_path)
    time.sleep(0.5)  # the grandchild has started
    _codegen.Codegen({"tool": process}, tmp_path / "package", (tmp_path / "m.py", tmp_path / "m")).stop()
    time.sleep(1.5)
    assert not late.exists()
    assert process.returncode is not None


# ---- shapes real vendor specs have ------------------------------------------------------------


def test_an_array_query_parameter_sent_as_csv_is_refused_with_a_fix() -> None:
    spec = spec_data()
    spec["paths"]["/v1/products"]["get"]["parameters"].append(
        {
            "name": "types",
            "in": "query",
            "explode": False,
            "schema": {"type": "array", "items": {"type": "string"}},
        }
    )
    [problem] = _problems(spec)
    assert "listProducts" in problem
    assert "'types' is an array with style form, explode false" in problem
    assert "declare it type: string" in problem


def test_an_exploded_array_query_parameter_is_accepted() -> None:
    spec = spec_data()
    spec["paths"]["/v1/products"]["get"]["parameters"].append(
        {"name": "types", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}
    )
    check(spec, "spec.yaml")


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "enum": ["en", "id"]},
        {"type": "string", "enum": ["en", "zh", "id"]},
        {"type": "string"},
    ],
    ids=["another order", "more languages", "a plain string"],
)
def test_x_language_is_lenient_where_specs_differ(schema: dict[str, object]) -> None:
    spec = spec_data()
    spec["components"]["parameters"]["Language"]["schema"] = schema
    check(spec, "spec.yaml")


def test_x_language_must_allow_both_languages() -> None:
    spec = spec_data()
    spec["components"]["parameters"]["Language"]["schema"] = {"type": "string", "enum": ["en"]}
    problems = _problems(spec)
    assert any("x-language must allow id and en; its enum lacks id" in p for p in problems)


def _form_token_body(spec: dict[str, Any], schema: dict[str, Any]) -> None:
    operation = spec["paths"]["/v1/auth/token"]["post"]
    operation["requestBody"]["content"] = {"application/x-www-form-urlencoded": {"schema": schema}}


def test_a_private_key_in_a_form_body_is_accepted() -> None:
    spec = spec_data()
    _form_token_body(
        spec,
        {
            "type": "object",
            "required": ["grant_type", "privateKey"],
            "properties": {
                "grant_type": {"type": "string", "const": "client_credentials"},
                "privateKey": {"type": "string"},
            },
        },
    )
    check(spec, "spec.yaml")


def test_a_nested_private_key_in_a_form_body_is_refused() -> None:
    spec = spec_data()
    _form_token_body(
        spec,
        {
            "type": "object",
            "required": ["auth"],
            "properties": {
                "auth": {
                    "type": "object",
                    "required": ["privateKey"],
                    "properties": {"privateKey": {"type": "string"}},
                }
            },
        },
    )
    spec["paths"]["/v1/auth/token"]["post"]["x-partner-private-key"] = "/auth/privateKey"
    problems = _problems(spec)
    assert any("is nested, and a form-encoded body has only top-level fields" in p for p in problems)


def test_a_private_key_body_that_needs_a_caller_is_refused() -> None:
    spec = spec_data()
    schema = spec["components"]["schemas"]["ObtainTokensRequest"]
    schema["required"].append("clientId")
    schema["properties"]["clientId"] = {"type": "string"}
    problems = _problems(spec)
    assert any("/clientId has no const, single-value enum or default" in p for p in problems)


def test_an_error_envelope_the_client_cannot_read_is_refused_with_a_fix() -> None:
    spec = spec_data()
    spec["components"]["schemas"]["Error"] = {
        "type": "object",
        "required": ["responseCode", "responseMessage"],
        "properties": {"responseCode": {"type": "string"}, "responseMessage": {"type": "string"}},
    }
    problems = _problems(spec)
    assert any("has no code and message fields" in p and "x-partner-error-fields" in p for p in problems)
    spec["components"]["schemas"]["Error"]["x-partner-error-fields"] = {
        "code": "/responseCode",
        "message": "/responseMesage",
    }
    [problem] = _problems(spec)
    assert "'/responseMesage' does not exist in the error schema" in problem
    assert "/responseMessage" in problem
    spec["components"]["schemas"]["Error"]["x-partner-error-fields"]["message"] = "/responseMessage"
    check(spec, "spec.yaml")


def test_springdoc_shapes_are_accepted() -> None:
    # application/json;charset=UTF-8 and */* media types, a response schema wrapped in allOf.
    spec = spec_data()
    operation = spec["paths"]["/v1/auth/access-token"]["post"]
    media = operation["responses"]["200"]["content"].pop("application/json")
    media["schema"] = {"allOf": [media["schema"]]}
    operation["responses"]["200"]["content"]["*/*"] = media
    token = spec["paths"]["/v1/auth/token"]["post"]["requestBody"]["content"]
    token["application/json;charset=UTF-8"] = token.pop("application/json")
    check(spec, "spec.yaml")
