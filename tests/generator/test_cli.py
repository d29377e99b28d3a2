from __future__ import annotations

from tests._operations import load_spec
from tests._paths import SPEC
from tests.generator.conftest import run_generator


def test_check_accepts_the_committed_spec() -> None:
    result = run_generator("check")
    assert result.returncode == 0, result.stderr
    spec = load_spec()
    count = sum(1 for item in spec["paths"].values() for key in item if key != "parameters")
    assert f"{SPEC}: OK, {count} operations, version {spec['info']['version']}" in result.stdout


def test_without_a_command_it_shows_usage_and_exits_2() -> None:
    result = run_generator()
    assert result.returncode == 2
    assert "check" in result.stderr
    assert "generate" in result.stderr
