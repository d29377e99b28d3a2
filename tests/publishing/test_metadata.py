"""The built wheel's metadata, and every third-party import declared in pyproject.toml."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Mapping
from email.message import Message
from email.parser import Parser
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests._paths import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Modules of this repository, not distributions.
OURS = {"generator", "tests", "benchmarks", "partner_api", "partner_api_client", "partner_api_models"}


@pytest.fixture(scope="module")
def wheel_metadata(tmp_path_factory: pytest.TempPathFactory) -> Message:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (name,) = (item for item in archive.namelist() if item.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode("utf-8"))


def test_the_wheel_carries_license_urls_and_classifiers(wheel_metadata: Message) -> None:
    assert wheel_metadata["License-Expression"] == "LicenseRef-Proprietary"
    assert wheel_metadata.get_all("License-File") == ["LICENSE"]
    classifiers = set(wheel_metadata.get_all("Classifier") or [])
    # The public index refuses any upload that carries it: the guard against a mistake.
    assert "Private :: Do Not Upload" in classifiers
    supported = {f"Programming Language :: Python :: 3.{minor}" for minor in (11, 12, 13)}
    assert supported <= classifiers
    assert wheel_metadata["Requires-Python"] == ">=3.11"
    urls = dict(entry.split(", ", 1) for entry in wheel_metadata.get_all("Project-URL") or [])
    assert {"Repository", "Documentation", "Changelog", "Issues"} <= set(urls)
    for url in urls.values():
        assert url.startswith(urls["Repository"]), url


def test_the_development_tools_are_not_a_published_extra(wheel_metadata: Message) -> None:
    extras = set(wheel_metadata.get_all("Provides-Extra") or [])
    assert "dev" not in extras
    requirements = [Requirement(text) for text in wheel_metadata.get_all("Requires-Dist") or []]
    names = {canonicalize_name(requirement.name) for requirement in requirements}
    for tool in ("pytest", "mypy", "ruff", "openapi-python-client", "twine"):
        assert tool not in names


def _imported_distributions(*folders: str) -> dict[str, set[str]]:
    """Third-party distribution -> the files that import it, for the modules under ``folders``."""
    by_module = metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_bytes())):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top in OURS or top == "__future__":
                        continue
                    for distribution in _providers(module, by_module):
                        found.setdefault(canonicalize_name(distribution), set()).add(
                            str(path.relative_to(ROOT))
                        )
    return found


def _providers(module: str, by_module: Mapping[str, list[str]]) -> list[str]:
    """The distributions that provide ``module``: for a namespace package shared by several
    (``opentelemetry.*``), only those holding the module's own files."""
    top = module.split(".", maxsplit=1)[0]
    candidates = by_module.get(top, [f"<no distribution provides {top}>"])
    if len(candidates) < 2:
        return list(candidates)
    prefix = module.replace(".", "/")
    owners = [
        name
        for name in candidates
        if any(
            str(file).startswith((f"{prefix}/", f"{prefix}.py"))
            for file in metadata.distribution(name).files or ()
        )
    ]
    return owners or list(candidates)


def _names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(text).name) for text in requirements}


def _declared_for_users() -> set[str]:
    project = PYPROJECT["project"]
    names = _names(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        names |= _names(extra)
    return names


def _declared() -> set[str]:
    names = _declared_for_users()
    for group in PYPROJECT.get("dependency-groups", {}).values():
        names |= _names([item for item in group if isinstance(item, str)])
    return names


def test_the_package_imports_only_its_declared_dependencies() -> None:
    undeclared = {
        name: sorted(files)
        for name, files in _imported_distributions("overlays", "generated/partner_api_client").items()
        if name not in _declared_for_users()
        # The testing kit's pytest plugin is loaded by pytest itself, which the integrator's
        # environment has: pytest stays out of the published requirements.
        and not (name == "pytest" and all(file.startswith("overlays/partner_api/testing/") for file in files))
    }
    assert undeclared == {}


def test_every_import_of_the_repository_is_declared() -> None:
    undeclared = {
        name: sorted(files)
        for name, files in _imported_distributions(
            "generator", "tests", "benchmarks", "examples", "generated"
        ).items()
        if name not in _declared()
    }
    assert undeclared == {}


def test_the_lock_file_is_committed_and_constraints_are_gone() -> None:
    assert (ROOT / "uv.lock").is_file()
    assert not (ROOT / "constraints.txt").exists()
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    sources = {str(package.get("source", {}).get("registry")) for package in lock["package"]}
    # Only the public index: never a machine's local mirror or extra index.
    assert sources <= {"https://pypi.org/simple", "None"}
