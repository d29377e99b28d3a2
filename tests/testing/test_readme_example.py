"""The README's "Testing your app" example runs, as an integrator would run it, on the plugin."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests._paths import ROOT


def _section_code() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Testing your app", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```", section, re.M | re.S)
    assert blocks, "the section has no Python example"
    return blocks[0]


def test_the_readme_testing_example_passes(tmp_path: Path) -> None:
    (tmp_path / "test_readme_example.py").write_text(_section_code(), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
