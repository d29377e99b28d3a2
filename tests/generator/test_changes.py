"""The change report classes spec edits, the version policy enforces them, the CHANGELOG records them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator._diff import compare
from tests._operations import load_spec
from tests._paths import GENERATED, ROOT
from tests.generator.conftest import (
    CURRENT,
    NEXT_MAJOR,
    NEXT_MINOR,
    run_generator,
    spec_data,
    tree,
    write_spec,
)

Edit = Callable[[dict[str, Any]], None]


def _remove_operation(spec: dict[str, Any]) -> None:
    del spec["paths"]["/v1/products"]


def _add_optional_parameter(spec: dict[str, Any]) -> None:
    spec["paths"]["/v1/products"]["get"]["parameters"].append(
        {
            "name": "q",
            "in": "query",
            "required": False,
            "description": "Search.",
            "schema": {"type": "string"},
        }
    )


def _make_parameter_required(spec: dict[str, Any]) -> None:
    page = spec["paths"]["/v1/products"]["get"]["parameters"][3]
    page["required"] = True
    del page["schema"]["default"]


def _remove_enum_value(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["Product"]["properties"]["category"]["enum"].remove("loan")


def _add_model_field(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["Product"]["properties"]["rating"] = {"type": "integer"}


def _change_security(spec: dict[str, Any]) -> None:
    spec["paths"]["/v1/products"]["get"]["security"] = [{"userToken": []}]


def _drop_security(spec: dict[str, Any]) -> None:
    spec["paths"]["/v1/products"]["get"]["security"] = []


def _add_required_request_field(spec: dict[str, Any]) -> None:
    request = spec["components"]["schemas"]["TransferRequest"]
    request["properties"]["currency"] = {"type": "string"}
    request["required"].append("currency")


def _change_response_field_type(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["ProductPage"]["properties"]["total"] = {"type": "string"}


def _change_response(spec: dict[str, Any]) -> None:
    media = spec["paths"]["/v1/products"]["get"]["responses"]["200"]["content"]["application/json"]
    media["schema"] = {"type": "array", "items": {"$ref": "#/components/schemas/Product"}}
    del media["examples"]


def _add_enum_value(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["Account"]["properties"]["status"]["enum"].append("dormant")


TABLE: dict[str, tuple[Edit, bool, str]] = {
    "remove an operation": (_remove_operation, True, "operation removed: listProducts"),
    "add an optional parameter": (
        _add_optional_parameter,
        False,
        "optional parameter added: listProducts(q)",
    ),
    "make a parameter required": (_make_parameter_required, True, "page"),
    "remove an enum value": (_remove_enum_value, True, "enum value removed: ProductCategory 'loan'"),
    "add a model field": (_add_model_field, False, "model field added: Product.rating"),
    "change an operation's security": (
        _change_security,
        True,
        "security changed: listProducts: accessToken -> userToken",
    ),
    "drop an operation's security": (
        _drop_security,
        False,
        "security changed: listProducts: accessToken -> none",
    ),
    "add a required request field": (
        _add_required_request_field,
        True,
        "required model field added: TransferRequest.currency",
    ),
    "change a response field's type": (_change_response_field_type, True, "ProductPage.total: int -> str"),
    "change a response's type": (_change_response, True, "response type changed: listProducts"),
    "add an enum value": (_add_enum_value, False, "enum value added: AccountStatus 'dormant'"),
}


def _generated_from(edit: Edit, tmp_path: Path, version: str | None = None) -> tuple[Path, Path]:
    data = spec_data()
    edit(data)
    if version:
        data["info"]["version"] = version
    spec = write_spec(tmp_path, data)
    output = tmp_path / "new"
    result = run_generator("generate", "--spec", spec, "--output", output)
    assert result.returncode == 0, result.stderr
    return spec, output


@pytest.mark.parametrize("case", list(TABLE))
def test_each_edit_is_classified(case: str, tmp_path: Path) -> None:
    edit, breaking, expected = TABLE[case]
    _, output = _generated_from(edit, tmp_path)
    changes = compare(GENERATED, output)
    matching = [change for change in changes if expected in str(change)]
    assert matching, "\n".join(map(str, changes))
    assert all(change.breaking == breaking for change in matching)
    assert any(change.breaking for change in changes) == breaking


def test_no_edit_no_change(tmp_path: Path) -> None:
    _, output = _generated_from(lambda spec: None, tmp_path)
    assert compare(GENERATED, output) == []


@pytest.mark.parametrize(
    ("edit", "version", "expected"),
    [
        (_remove_operation, NEXT_MINOR, "need a new major version"),
        (_remove_operation, CURRENT, f"the spec changed since {CURRENT} was generated"),
        (_add_optional_parameter, CURRENT, f"the spec changed since {CURRENT} was generated"),
    ],
)
def test_check_refuses_a_version_that_does_not_say_what_changed(
    edit: Edit, version: str, expected: str, tmp_path: Path
) -> None:
    data = spec_data()
    edit(data)
    data["info"]["version"] = version
    result = run_generator("check", "--spec", write_spec(tmp_path, data))
    assert result.returncode == 1
    assert "$.info.version" in result.stderr
    assert expected in result.stderr


@pytest.mark.parametrize(
    ("edit", "version"), [(_remove_operation, NEXT_MAJOR), (_add_optional_parameter, NEXT_MINOR)]
)
def test_check_accepts_a_version_that_does(edit: Edit, version: str, tmp_path: Path) -> None:
    data = spec_data()
    edit(data)
    data["info"]["version"] = version
    result = run_generator("check", "--spec", write_spec(tmp_path, data))
    assert result.returncode == 0, result.stderr
    assert f"-> {version}" in result.stdout


def test_generate_refuses_a_breaking_change_without_a_major_version(
    tmp_path: Path, committed_copy: Path
) -> None:
    data = spec_data()
    _remove_operation(data)
    data["info"]["version"] = NEXT_MINOR
    before = tree(committed_copy)
    result = run_generator("generate", "--spec", write_spec(tmp_path, data), "--output", committed_copy)
    assert result.returncode == 1
    assert "operation removed: listProducts" in result.stderr
    assert tree(committed_copy) == before


def test_generate_adds_one_changelog_entry(tmp_path: Path, committed_copy: Path) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    shutil.copy(ROOT / "CHANGELOG.md", changelog)
    data = spec_data()
    _add_optional_parameter(data)
    data["info"]["version"] = NEXT_MINOR
    spec = write_spec(tmp_path, data)
    pristine = tmp_path / "pristine"
    shutil.copytree(committed_copy, pristine)
    for _ in range(2):  # the same regeneration twice, from the same starting point
        shutil.rmtree(committed_copy)
        shutil.copytree(pristine, committed_copy)
        result = run_generator(
            "generate", "--spec", spec, "--output", committed_copy, "--changelog", changelog
        )
        assert result.returncode == 0, result.stderr
        assert "optional parameter added: listProducts(q)" in result.stdout
    text = changelog.read_text(encoding="utf-8")
    assert text.count(f"### API changes in {NEXT_MINOR}") == 1
    assert "- optional parameter added: listProducts(q)" in text
    unreleased = text.index("## [Unreleased]")
    assert unreleased < text.index(f"### API changes in {NEXT_MINOR}") < text.index("### Added")


def test_diff_against_a_revision(tmp_path: Path) -> None:
    result = run_generator("diff", "--against", "HEAD")
    assert result.returncode == 0, result.stderr
    version = load_spec()["info"]["version"]
    assert f"No API changes ({version} -> {version})" in result.stdout
    data = spec_data()
    _add_model_field(data)
    data["info"]["version"] = NEXT_MINOR
    result = run_generator("diff", "--spec", write_spec(tmp_path, data))
    assert "model field added: Product.rating" in result.stdout


def test_diff_names_a_bad_revision() -> None:
    result = run_generator("diff", "--against", "no-such-revision")
    assert result.returncode == 1
    assert "no-such-revision" in result.stderr


def test_a_revision_cannot_smuggle_a_git_option(tmp_path: Path) -> None:
    target = tmp_path / "smuggled.tar"
    result = run_generator("diff", f"--against=--output={target}")
    assert result.returncode == 1
    assert not target.exists()


def test_an_output_without_a_readable_stamp_is_not_overwritten(tmp_path: Path, committed_copy: Path) -> None:
    (committed_copy / "partner_api_client" / "_stamp.py").write_text("garbage = (", encoding="utf-8")
    before = tree(committed_copy)
    result = run_generator("generate", "--output", committed_copy)
    assert result.returncode == 1
    assert "no readable stamp" in result.stderr
    assert tree(committed_copy) == before
