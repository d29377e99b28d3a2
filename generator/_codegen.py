"""Running openapi-python-client on a prepared spec, reproducibly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

from generator._errors import CodegenError
from generator._spec import Spec
from generator._stamp import GENERATED_MARK

# --isolated: the output must not depend on whichever ruff config encloses the output folder.
# --no-cache: otherwise .ruff_cache/ lands in the output and runs differ.
# --select: the tool's intent (ruff's classic defaults plus import sorting), spelled out because
# newer ruff defaults add PYI036, whose fix turns `*args: Any` into `*args: object` in
# client.py and breaks mypy --strict there.
_POST_HOOKS: Final = (
    "ruff check --isolated --no-cache --fix-only --select=E4,E7,E9,F,I .",
    "ruff format --isolated --no-cache .",
)
_TIMEOUT_SECONDS: Final = 600


def _tool_environment() -> dict[str, str]:
    # The post hooks must find the pinned ruff installed beside this interpreter.
    tools = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": os.pathsep.join((tools, os.environ.get("PATH", "")))}


def _run(command: list[str], what: str, cwd: Path | None = None) -> None:
    try:
        result = subprocess.run(  # noqa: S603 (our own fixed command)
            command,
            capture_output=True,
            text=True,
            env=_tool_environment(),
            cwd=cwd,
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CodegenError(f"{what} could not run: {error}") from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-4000:]
        raise CodegenError(
            f"{what} failed (exit {result.returncode}); the output folder was not changed.\n{output}\n"
            "fix: correct the spec where the tool points, or reinstall the pinned tools with `make`."
        )


def run_openapi_python_client(prepared: Spec, package_dir: Path, package_name: str) -> None:
    """Generate the package into ``package_dir`` (which must not exist) and mark every file."""
    with tempfile.TemporaryDirectory(prefix="partner-api-codegen-") as scratch:
        spec_file = Path(scratch, "openapi.json")
        spec_file.write_text(json.dumps(prepared, indent=1, sort_keys=False), encoding="utf-8")
        config_file = Path(scratch, "config.json")
        config = {"package_name_override": package_name, "post_hooks": list(_POST_HOOKS)}
        config_file.write_text(json.dumps(config), encoding="utf-8")
        _run(
            [
                *(sys.executable, "-m", "openapi_python_client", "generate"),
                *("--path", str(spec_file), "--output-path", str(package_dir)),
                *("--meta", "none", "--config", str(config_file), "--fail-on-warning"),
            ],
            "openapi-python-client",
        )
    # PEP 561: without it, mypy would not read the generated types from an installed wheel.
    (package_dir / "py.typed").write_text("", encoding="utf-8")
    for path in sorted(package_dir.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            path.write_text(f"{GENERATED_MARK}\n{text}", encoding="utf-8")


def format_files(paths: list[Path]) -> None:
    _run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--no-cache", *map(str, paths)],
        "ruff format",
    )
