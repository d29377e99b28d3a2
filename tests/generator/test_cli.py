from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import pty
import re
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import generator
from generator._errors import GeneratorError
from partner_api_client._stamp import TOOL_VERSIONS, __version__
from tests._operations import load_spec
from tests._paths import ROOT, SPEC
from tests.generator.conftest import NEXT_MAJOR, NEXT_MINOR, run_generator, spec_data, write_spec


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


def test_version_names_the_package_and_the_tools() -> None:
    result = run_generator("--version")
    assert result.returncode == 0, result.stderr
    assert f"partner-api generator {__version__} " in result.stdout
    for tool, version in TOOL_VERSIONS.items():
        assert f"{tool} {version}" in result.stdout


def test_top_level_help_lists_every_command_without_markup() -> None:
    result = run_generator("--help")
    assert result.returncode == 0
    for command in ("check", "generate", "diff", "publish", "release"):
        assert re.search(rf"^\s+{command}\s+\w", result.stdout, re.MULTILINE), command
    assert "``" not in result.stdout
    assert "NO_COLOR" in result.stdout


@pytest.mark.parametrize(
    ("command", "defaults"),
    [
        ("check", ["--spec", "--baseline"]),
        ("generate", ["--spec", "--output", "--force", "--changelog"]),
        ("diff", ["--spec", "--against", "--exit-code"]),
        ("publish", ["--simple-url"]),
        ("release", ["--repo", "--date"]),
    ],
)
def test_each_command_has_a_description_and_shows_its_defaults(command: str, defaults: list[str]) -> None:
    result = run_generator(command, "--help")
    assert result.returncode == 0
    _, _, rest = result.stdout.partition("\n\n")
    description, _, options = rest.partition("options:")
    assert len(description.split()) > 20, description
    # Each option's help (up to the next option) says what happens when it is not given.
    for option in defaults:
        after = options.split(f"  {option}", 1)[1]
        help_text = re.split(r"\n  -", after, maxsplit=1)[0]
        assert "(default:" in " ".join(help_text.split()), (option, help_text)


def _edited_spec(tmp_path: Path, edit: str, version: str | None = None) -> Path:
    data = spec_data()
    if edit == "breaking":
        del data["paths"]["/v1/products"]
    else:
        data["components"]["schemas"]["Product"]["properties"]["rating"] = {"type": "integer"}
    if version:
        data["info"]["version"] = version
    return write_spec(tmp_path, data)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("edit", "flag", "code"),
    [
        ("breaking", None, 0),
        ("breaking", "--exit-code", 1),
        ("breaking", "--exit-code=breaking", 1),
        ("compatible", "--exit-code", 1),
        ("compatible", "--exit-code=breaking", 0),
    ],
)
def test_diff_exit_code_gates_on_changes(tmp_path: Path, edit: str, flag: str | None, code: int) -> None:
    spec = _edited_spec(tmp_path, edit)
    result = run_generator("diff", "--spec", spec, *([flag] if flag else []))
    assert result.returncode == code, result.stdout + result.stderr
    assert ("1 breaking" if edit == "breaking" else "0 breaking, 1 compatible") in result.stdout


def test_diff_exit_code_is_0_without_changes() -> None:
    result = run_generator("diff", "--exit-code")
    assert result.returncode == 0, result.stderr
    assert "No API changes" in result.stdout


@pytest.mark.slow
def test_check_suggests_the_major_version_for_a_breaking_change_the_first_time(tmp_path: Path) -> None:
    spec = _edited_spec(tmp_path, "breaking")  # info.version left at 1.0.0
    result = run_generator("check", "--spec", spec)
    assert result.returncode == 1
    assert f"fix: set it to {NEXT_MAJOR}" in result.stderr
    assert "operation removed: listProducts" in result.stderr


@pytest.mark.slow
def test_check_suggests_a_minor_version_for_a_compatible_change(tmp_path: Path) -> None:
    spec = _edited_spec(tmp_path, "compatible")
    result = run_generator("check", "--spec", spec)
    assert result.returncode == 1
    assert f"fix: set it to {NEXT_MINOR} (or a patch release)" in result.stderr


@pytest.mark.slow
def test_generate_says_which_files_it_wrote_and_that_it_added_to_the_changelog(
    tmp_path: Path, committed_copy: Path
) -> None:
    spec = _edited_spec(tmp_path, "compatible", version=NEXT_MINOR)
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## [Unreleased]\n", encoding="utf-8")
    result = run_generator("generate", "--spec", spec, "--output", committed_copy, "--changelog", changelog)
    assert result.returncode == 0, result.stderr
    assert f"wrote {committed_copy}/: " in result.stdout
    assert "  changed partner_api_client/models/product.py" in result.stdout
    assert "  changed partner_api_client/_stamp.py" in result.stdout
    assert f"{changelog}: added the API changes of {NEXT_MINOR} under Unreleased" in result.stdout
    assert "model field added: Product.rating" in changelog.read_text(encoding="utf-8")

    again = run_generator("generate", "--spec", spec, "--output", committed_copy, "--changelog", changelog)
    assert "up to date" in again.stdout
    assert "CHANGELOG" not in again.stdout


def test_a_yaml_error_shows_line_column_and_the_offending_line(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.1.0\ninfo:\n  title: x\n   version: 1.0.0\npaths: {}\n", encoding="utf-8")
    result = run_generator("check", "--spec", spec)
    assert result.returncode == 1
    assert "line 4, column 11: not valid YAML: mapping values are not allowed" in result.stderr
    lines = result.stderr.splitlines()
    offending = next(index for index, line in enumerate(lines) if line.strip() == "version: 1.0.0")
    # The caret stands under the column named.
    assert lines[offending + 1].index("^") == lines[offending].index("version") + len("version")


def _on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """Run the CLI with stdout and stderr on a pseudo-terminal; what it wrote there."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        env=env,
    )
    os.close(terminal)
    chunks = []
    while True:
        ready, _, _ = select.select([controller], [], [], 120)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(controller)
    return b"".join(chunks).decode()


def _environment(**changes: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "TERM")}
    env["TERM"] = "xterm"
    env.update({key: value for key, value in changes.items() if value is not None})
    return env


def test_colour_on_a_terminal_only_and_never_with_no_color(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")
    coloured = _on_a_terminal("check", "--spec", missing, env=_environment())
    assert "\033[1;31merror:\033[0m" in coloured
    plain = _on_a_terminal("check", "--spec", missing, env=_environment(NO_COLOR="1"))
    assert "error:" in plain
    assert "\033[" not in plain
    piped = run_generator("check", "--spec", missing, env=_environment())
    assert "error:" in piped.stderr
    assert "\033[" not in piped.stderr


def test_every_error_class_of_the_generator_derives_from_generator_error() -> None:
    classes: dict[str, Any] = {}
    for module_info in pkgutil.walk_packages(generator.__path__, "generator."):
        if module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.startswith("generator"):
                classes[f"{value.__module__}.{name}"] = value
    assert "generator._errors.VersionPolicyError" in classes
    assert {name for name, value in classes.items() if not issubclass(value, GeneratorError)} == set()
    # All of them in one module, drawn in its docstring.
    assert {value.__module__ for value in classes.values()} == {"generator._errors"}
    from generator import _errors

    for value in classes.values():
        assert value.__name__ in (_errors.__doc__ or "")


def test_a_reader_that_goes_away_ends_it_quietly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "check"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()  # like `| head` that has read enough
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 141
    assert b"Traceback" not in stderr
    assert b"BrokenPipeError" not in stderr
