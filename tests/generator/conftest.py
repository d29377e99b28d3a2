from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests._paths import GENERATED, ROOT, SPEC


def run_generator(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (bytecode caches aside) by relative path, with its bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def spec_data() -> dict[str, Any]:
    return copy.deepcopy(_SPEC_DATA)


_SPEC_DATA: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def write_spec(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "openapi.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def fresh_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generation from spec/ into a temporary folder, made once per session."""
    output = tmp_path_factory.mktemp("fresh") / "generated"
    result = run_generator("generate", "--spec", SPEC, "--output", output)
    assert result.returncode == 0, result.stderr
    return output


@pytest.fixture
def committed_copy(tmp_path: Path) -> Path:
    """A copy of the committed generated/ to run the generator against without touching it."""
    copy_dir = tmp_path / "generated"
    shutil.copytree(GENERATED, copy_dir, ignore=shutil.ignore_patterns("__pycache__"))
    return copy_dir


# Versions relative to the spec's own, so that a spec release needs no edit in the tests.
CURRENT = spec_data()["info"]["version"]
_MAJOR, _MINOR, _ = (int(part) for part in CURRENT.split("."))
NEXT_MINOR = f"{_MAJOR}.{_MINOR + 1}.0"
NEXT_MAJOR = f"{_MAJOR + 1}.0.0"
