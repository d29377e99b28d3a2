"""The examples are what integrators copy: they type-check under mypy --strict as they are,
without a cast, an assert or an ignore."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests._paths import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def test_there_are_examples_for_each_topic() -> None:
    names = {path.stem for path in EXAMPLES}
    assert {"quickstart", "async_quickstart", "errors", "saving_tokens", "structured_logging"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_no_cast_assert_or_ignore(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    found = re.findall(r"\bcast\(|^\s*assert\b|type:\s*ignore|\bAny\b", source, re.M)
    assert found == [], f"{path.name}: {found}"


def test_examples_pass_mypy_strict(tmp_path: Path) -> None:
    config = tmp_path / "mypy.ini"
    # Only the installed packages' own types: what an integrator's mypy sees.
    config.write_text(f"[mypy]\nstrict = True\ncache_dir = {tmp_path / 'cache'}\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), *map(str, EXAMPLES)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"Success: no issues found in {len(EXAMPLES)} source files"
