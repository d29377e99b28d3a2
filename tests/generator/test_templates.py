"""Our openapi-python-client templates: pinned with the tool, part of the generator's hash, and
what they write into the docstrings agrees with the overlay."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator import _stamp
from partner_api._errors import status_error_class
from tests._paths import GENERATED, PACKAGE, SPEC
from tests.generator.conftest import run_generator, spec_data, write_spec

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


_CALL_DELETE_SESSION = """
import sys
sys.path.insert(0, sys.argv[1])
import httpx
from partner_api_client import AuthenticatedClient
from partner_api_client.api.sessions import delete_session
from partner_api_client.errors import UnexpectedStatus

answers = iter([httpx.Response(204), httpx.Response(500, json={"code": "X", "message": "x"})])
client = AuthenticatedClient(base_url="https://api.test", token="t",
                             httpx_args={"transport": httpx.MockTransport(lambda request: next(answers))})
print(repr(delete_session.sync(client=client)))
try:
    delete_session.sync(client=client)
except UnexpectedStatus as error:
    print(error.status_code)
"""

_REVEAL = """
from partner_api_client import AuthenticatedClient
from partner_api_client.api.sessions import delete_session

def use(client: AuthenticatedClient) -> None:
    reveal_type(delete_session.sync(client=client))
"""


@pytest.mark.slow
def test_an_answer_without_a_body_is_none(tmp_path: Path) -> None:
    data = spec_data()
    common = [{"$ref": f"#/components/parameters/{name}"} for name in ("AppKey", "RequestId", "Language")]
    data["paths"]["/v1/sessions/current"] = {
        "delete": {
            "operationId": "deleteSession",
            "tags": ["sessions"],
            "summary": "End the session",
            "security": [{"accessToken": []}],
            "parameters": common,
            "responses": {
                "204": {"description": "Ended."},
                "404": {"$ref": "#/components/responses/NotFound"},
            },
        }
    }
    output = tmp_path / "generated"
    result = run_generator("generate", "--spec", write_spec(tmp_path, data), "--output", output)
    assert result.returncode == 0, result.stderr
    call = subprocess.run(
        [sys.executable, "-c", _CALL_DELETE_SESSION, str(output)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert call.stdout.split() == ["None", "500"], call.stderr
    usage = tmp_path / "usage.py"
    usage.write_text(_REVEAL, encoding="utf-8")
    (tmp_path / "mypy.ini").write_text(
        f"[mypy]\nstrict = True\nmypy_path = {output}\ncache_dir = {tmp_path / 'cache'}\n", encoding="utf-8"
    )
    reveal = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(tmp_path / "mypy.ini"), str(usage)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert 'Revealed type is "None"' in reveal.stdout, reveal.stdout
