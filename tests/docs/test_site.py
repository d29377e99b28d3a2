"""The reference site builds in strict mode (a broken reference fails it), and its operations
page says, for every operation in the manifest, what the spec says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from partner_api_client._manifest import OPERATIONS
from tests._paths import ROOT, SPEC


def _build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(config),
            "--site-dir",
            str(site),
        ],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    result = _build(ROOT / "mkdocs.yml", site)
    assert result.returncode == 0, result.stdout + result.stderr
    return site


def test_every_page_is_built(site: Path) -> None:
    pages = sorted(path.relative_to(site).as_posix() for path in site.rglob("index.html"))
    assert pages == [
        "index.html",
        "operations/index.html",
        "reference/clients/index.html",
        "reference/errors/index.html",
        "reference/generated/index.html",
        "reference/integration/index.html",
    ]


def test_the_guide_is_the_readme(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    for heading in re.findall(r"^## (.+)$", (ROOT / "README.md").read_text(encoding="utf-8"), re.M):
        assert heading.replace("`", "") in re.sub(r"<[^>]+>", "", html), heading


def test_the_operations_page_covers_the_manifest(site: Path) -> None:
    html = (site / "operations" / "index.html").read_text(encoding="utf-8")
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    for operation in OPERATIONS:
        operation_id = operation["operation_id"]
        start = html.index(f'<h2 id="{operation_id.lower()}"')
        end = html.find("<h2 ", start + 1)
        section = html[start : end if end != -1 else len(html)]
        text = re.sub(r"<[^>]+>", "", section)
        bearer = operation["bearer"]
        assert (f"the {bearer} token" if bearer else "no token") in text, operation_id
        assert (
            "yes: the user must have logged in" if operation["user_token"] else "x-user-token\nno"
        ) in text
        for issued in operation["issues"]:
            assert f"the {issued['token']} token" in text.split("tokens it issues")[1].split("module")[0]
        statuses = sorted(
            int(status)
            for status in spec["paths"][operation["path"]][operation["method"].lower()]["responses"]
            if int(status) >= 400
        )
        documented = [int(status) for status in re.findall(r"<td>(\d{3})</td>", section)]
        assert documented == statuses, operation_id
        # Each error links to its class in the errors reference (autorefs resolved it).
        assert section.count('href="../reference/errors/#partner_api._errors.') == len(statuses)
        assert f'id="{operation["module"]}.sync"' in section
        assert f'id="{operation["module"]}.asyncio_detailed"' in section


def test_a_broken_reference_fails_the_strict_build(tmp_path: Path) -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    (docs / "operations.md").write_text(
        (docs / "operations.md").read_text(encoding="utf-8")
        + "\nSee [the error][partner_api.NoSuchError].\n",
        encoding="utf-8",
    )
    config["docs_dir"] = str(docs)
    config["hooks"] = [str(ROOT / "docs" / "_operations.py")]
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            handler = plugin["mkdocstrings"]["handlers"]["python"]
            handler["paths"] = [str(ROOT / path) for path in handler["paths"]]
    broken = tmp_path / "mkdocs.yml"
    broken.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = _build(broken, tmp_path / "site")
    assert result.returncode != 0
    assert "partner_api.NoSuchError" in result.stdout + result.stderr
