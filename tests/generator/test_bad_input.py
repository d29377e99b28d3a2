"""Bad input gets a message that names the operation and the place, a non-zero exit, and no change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests._paths import SPEC
from tests.generator.conftest import run_generator, spec_data, tree, write_spec

Edit = Callable[[dict[str, Any]], None]


def _drop_operation_id(spec: dict[str, Any]) -> None:
    del spec["paths"]["/v1/products"]["get"]["operationId"]


def _unknown_scheme(spec: dict[str, Any]) -> None:
    spec["paths"]["/v1/products"]["get"]["security"] = [{"apiKey": []}]


def _token_points_nowhere(spec: dict[str, Any]) -> None:
    spec["paths"]["/v1/auth/token"]["post"]["x-partner-issued-tokens"][0]["field"] = "/accessTokn"


def _no_request_id(spec: dict[str, Any]) -> None:
    parameters = spec["paths"]["/v1/transfers"]["post"]["parameters"]
    parameters[:] = [p for p in parameters if p.get("$ref") != "#/components/parameters/RequestId"]


def _dangling_reference(spec: dict[str, Any]) -> None:
    schema = spec["paths"]["/v1/products"]["get"]["responses"]["200"]["content"]["application/json"]
    schema["schema"] = {"$ref": "#/components/schemas/Nope"}


def _two_schemes(spec: dict[str, Any]) -> None:
    spec["paths"]["/v1/products"]["get"]["security"] = [{"accessToken": []}, {"userToken": []}]


CASES: dict[str, tuple[Edit | str, list[str]]] = {
    "yaml syntax error": (
        SPEC.read_text(encoding="utf-8").replace("paths:\n", "paths:\n  /broken: [unclosed\n", 1),
        ["not valid YAML", "line "],
    ),
    "duplicate key": (
        SPEC.read_text(encoding="utf-8").replace("  /v1/transfers:\n", "  /v1/products:\n", 1),
        ["duplicate key '/v1/products'", "line "],
    ),
    "missing operationId": (_drop_operation_id, ["$.paths['/v1/products'].get", "has no operationId"]),
    "unknown security scheme": (
        _unknown_scheme,
        ["listProducts at $.paths['/v1/products'].get.security", "unknown scheme 'apiKey'"],
    ),
    "token extension pointing nowhere": (
        _token_points_nowhere,
        [
            "obtainTokens at $.paths['/v1/auth/token'].post['x-partner-issued-tokens'][0].field",
            "'/accessTokn' does not exist in the 200 response schema",
            "/accessToken",
        ],
    ),
    "mandatory header missing": (_no_request_id, ["createTransfer", "mandatory header x-request-id"]),
    "dangling reference": (_dangling_reference, ["'#/components/schemas/Nope' points nowhere"]),
    "two alternative schemes": (_two_schemes, ["listProducts", "must name exactly one scheme"]),
}


def _bad_spec(tmp_path: Path, edit: Edit | str) -> Path:
    if isinstance(edit, str):
        path = tmp_path / "openapi.yaml"
        path.write_text(edit, encoding="utf-8")
        return path
    data = spec_data()
    edit(data)
    return write_spec(tmp_path, data)


@pytest.mark.parametrize("case", list(CASES))
def test_check_names_the_problem_and_fails(case: str, tmp_path: Path) -> None:
    edit, expected = CASES[case]
    result = run_generator("check", "--spec", _bad_spec(tmp_path, edit))
    assert result.returncode == 1
    for text in expected:
        assert text in result.stderr


@pytest.mark.parametrize("case", list(CASES))
def test_generate_leaves_the_output_untouched(case: str, tmp_path: Path, committed_copy: Path) -> None:
    edit, expected = CASES[case]
    before = tree(committed_copy)
    result = run_generator("generate", "--spec", _bad_spec(tmp_path, edit), "--output", committed_copy)
    assert result.returncode == 1
    assert expected[0] in result.stderr
    assert tree(committed_copy) == before
    assert sorted(path.name for path in committed_copy.parent.iterdir()) == ["generated", "openapi.yaml"]


def test_a_failing_codegen_tool_leaves_the_output_untouched(tmp_path: Path, committed_copy: Path) -> None:
    # Valid OpenAPI that passes our conventions, but the pinned tool cannot generate an
    # application/xml body and, with --fail-on-warning, fails.
    data = spec_data()
    data["paths"]["/v1/transfers"]["post"]["requestBody"]["content"] = {
        "application/xml": {"schema": {"type": "string"}}
    }
    spec = write_spec(tmp_path, data)
    # No baseline: the version policy would (rightly) ask for a new version first.
    assert run_generator("check", "--spec", spec, "--baseline", tmp_path / "none").returncode == 0
    before = tree(committed_copy)
    result = run_generator("generate", "--spec", spec, "--output", committed_copy)
    assert result.returncode == 1
    assert "openapi-python-client failed" in result.stderr
    assert "Unsupported content type application/xml" in result.stderr
    assert tree(committed_copy) == before
    assert sorted(path.name for path in committed_copy.parent.iterdir()) == ["generated", "openapi.yaml"]


def test_a_missing_spec_is_named(tmp_path: Path) -> None:
    result = run_generator("generate", "--spec", tmp_path / "nope.yaml", "--output", tmp_path / "out")
    assert result.returncode == 1
    assert "nope.yaml" in result.stderr
    assert "file not found" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_output_folder_holding_other_files_is_refused(tmp_path: Path) -> None:
    output = tmp_path / "mine"
    output.mkdir()
    (output / "notes.txt").write_text("keep me", encoding="utf-8")
    result = run_generator("generate", "--spec", SPEC, "--output", output)
    assert result.returncode == 1
    assert "notes.txt" in result.stderr
    assert (output / "notes.txt").read_text(encoding="utf-8") == "keep me"
