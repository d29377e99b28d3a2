"""Our openapi-python-client templates: pinned with the tool, part of the generator's hash, and
what they write into the docstrings agrees with the overlay."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from generator import _stamp
from partner_api._errors import status_error_class
from tests._paths import GENERATED, PACKAGE, SPEC

API = GENERATED / PACKAGE / "api"
ENDPOINTS = sorted(path for path in API.rglob("*.py") if path.name != "__init__.py")


def _docstrings(path: Path) -> dict[str, str]:
    module = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name: ast.get_docstring(node) or ""
        for node in module.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_")
    }


def test_every_endpoint_module_has_the_four_functions() -> None:
    assert len(ENDPOINTS) >= 7
    for path in ENDPOINTS:
        assert set(_docstrings(path)) == {"sync", "sync_detailed", "asyncio", "asyncio_detailed"}, path


@pytest.mark.parametrize("path", ENDPOINTS, ids=lambda path: path.stem)
def test_docstrings_name_the_errors_the_overlay_raises(path: Path) -> None:
    for name, doc in _docstrings(path).items():
        assert "errors.UnexpectedStatus" not in doc
        assert "httpx.TimeoutException" not in doc
        raised = re.findall(r"^\s*partner_api\.(\w+): (\d{3}):", doc, re.M)
        assert raised, f"{path.stem}.{name}: no status errors documented"
        for error_name, status in raised:
            assert status_error_class(int(status)).__name__ == error_name, (path.stem, name, status)
        for common in ("APIConnectionError", "APIResponseValidationError"):
            assert f"partner_api.{common}:" in doc


def test_docstrings_carry_the_spec_parameter_descriptions() -> None:
    doc = _docstrings(API / "accounts" / "get_account.py")["sync"]
    assert "account_id (str): The account's identifier." in doc
    spec = SPEC.read_text(encoding="utf-8")
    assert "The account's identifier." in spec


def test_the_templates_are_part_of_the_generator_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A template edit must regenerate: the fast path trusts the generator's hash.
    copy = tmp_path / "generator"
    shutil.copytree(Path(_stamp.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(_stamp, "__file__", str(copy / "_stamp.py"))
    before = _stamp.generator_sha256()
    template = copy / "templates" / "endpoint_module.py.jinja"
    template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert _stamp.generator_sha256() != before
