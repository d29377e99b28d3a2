from __future__ import annotations

from tests._paths import SPEC
from tests.generator.conftest import run_generator


def test_check_accepts_the_committed_spec() -> None:
    result = run_generator("check")
    assert result.returncode == 0, result.stderr
    assert f"{SPEC}: OK, 7 operations" in result.stdout


def test_without_a_command_it_shows_usage_and_exits_2() -> None:
    result = run_generator()
    assert result.returncode == 2
    assert "check" in result.stderr
    assert "generate" in result.stderr
