"""Publish to a real index, install from it into a fresh virtual environment, and use it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator._errors import GeneratorError
from generator._publish import _check_generated
from partner_api_client._stamp import SPEC_SHA256
from partner_api_client._stamp import __version__ as VERSION
from tests._paths import GENERATED, SPEC
from tests.publishing.conftest import PASSWORD, Index, publish
from tests.sandbox import DEMO, SandboxServer

USE_IT = textwrap.dedent(
    """
    import importlib.metadata, json, sys
    import partner_api, partner_api_client
    from partner_api import PartnerClient
    from partner_api_client.api.products import list_products

    with PartnerClient(app_key=sys.argv[2], private_key=sys.argv[3], base_url=sys.argv[1]) as client:
        page = list_products.sync(client=client)
    provenance = importlib.metadata.distribution("partner-api").read_text("extra_metadata/provenance.py")
    print(json.dumps({
        "total": page.total,
        "version": partner_api.__version__,
        "spec_sha256": partner_api.__provenance__["spec_sha256"],
        "in_metadata": partner_api.__spec_sha256__ in provenance,
        "where": partner_api_client.__file__,
    }))
    """
)


def test_publish_then_install_from_the_index_and_call_the_sandbox(
    index: Index, sandbox: SandboxServer, tmp_path: Path
) -> None:
    result = publish(index)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"published partner-api {VERSION} (spec sha256 {SPEC_SHA256}) to {index.url}" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    assert {f"partner_api-{VERSION}-py3-none-any.whl", f"partner_api-{VERSION}.tar.gz"} <= set(index.files())

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--isolated", "--disable-pip-version-check"]
    install = subprocess.run(
        [*pip, "install", "--quiet", "--index-url", f"{index.url}simple/", f"partner-api=={VERSION}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    use = subprocess.run(
        [str(venv / "bin" / "python"), "-c", USE_IT, sandbox.url, DEMO.app_key, DEMO.private_key],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert use.returncode == 0, use.stderr
    import json

    outcome = json.loads(use.stdout)
    assert outcome["total"] == 3
    assert (outcome["version"], outcome["spec_sha256"], outcome["in_metadata"]) == (
        VERSION,
        SPEC_SHA256,
        True,
    )
    assert outcome["where"].startswith(str(venv))


def test_wrong_credentials_fail_clearly_and_upload_nothing(index: Index) -> None:
    before = index.files()
    result = publish(index, password="not-the-password")
    assert result.returncode == 1
    assert "uploading to" in result.stderr
    assert "failed" in result.stderr
    assert "TWINE_USERNAME" in result.stderr
    assert "not-the-password" not in result.stdout + result.stderr
    assert index.files() == before


def test_publishing_the_same_version_twice_fails_and_changes_nothing(index: Index) -> None:
    assert publish(index).returncode == 0
    before = index.files()
    result = publish(index)
    assert result.returncode == 1
    assert f"the index already has partner-api {VERSION}; nothing was uploaded" in result.stderr
    assert index.files() == before


def test_an_output_that_does_not_match_the_spec_is_not_published(tmp_path: Path) -> None:
    copy = tmp_path / "generated"
    shutil.copytree(GENERATED, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "partner_api_client" / "client.py").open("a") as client:
        client.write("# edited by hand\n")
    with pytest.raises(GeneratorError, match="run `make generate`"):
        _check_generated(SPEC, copy)
    assert _check_generated(SPEC, GENERATED).inputs.spec_sha256 == SPEC_SHA256
