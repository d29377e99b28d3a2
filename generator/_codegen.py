"""Running openapi-python-client on a prepared spec, reproducibly."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
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


def _failure(what: str, returncode: int, output: str) -> CodegenError:
    return CodegenError(
        f"{what} failed (exit {returncode}); the output folder was not changed.\n{output.strip()[-4000:]}\n"
        "fix: correct the spec where the tool points, or reinstall the pinned tools with `make`."
    )


def _run(command: list[str], what: str) -> None:
    try:
        result = subprocess.run(  # noqa: S603 (our own fixed command)
            command,
            capture_output=True,
            text=True,
            env=_tool_environment(),
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CodegenError(f"{what} could not run: {error}") from None
    if result.returncode != 0:
        raise _failure(what, result.returncode, result.stdout + result.stderr)


class Codegen:
    """openapi-python-client running in the background while the caller checks the spec."""

    def __init__(self, process: subprocess.Popen[str], package_dir: Path) -> None:
        self._process = process
        self._package_dir = package_dir

    def wait(self) -> None:
        """Wait for the tool, then mark every file it wrote as generated."""
        try:
            stdout, stderr = self._process.communicate(timeout=_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise CodegenError(f"openapi-python-client took over {_TIMEOUT_SECONDS} s") from None
        if self._process.returncode != 0:
            raise _failure("openapi-python-client", self._process.returncode, stdout + stderr)
        # PEP 561: without it, mypy would not read the generated types from an installed wheel.
        (self._package_dir / "py.typed").write_text("", encoding="utf-8")
        for path in sorted(self._package_dir.rglob("*")):
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                path.write_text(f"{GENERATED_MARK}\n{text}", encoding="utf-8")


@contextlib.contextmanager
def openapi_python_client(prepared: Spec, package_dir: Path, package_name: str) -> Iterator[Codegen]:
    """Start generating the package into ``package_dir`` (which must not exist).

    The tool runs in its own process while the caller goes on; leaving the block stops it
    if the caller did not wait for it (a spec problem found meanwhile, an interrupt).
    """
    with tempfile.TemporaryDirectory(prefix="partner-api-codegen-") as scratch:
        spec_file = Path(scratch, "openapi.json")
        spec_file.write_text(json.dumps(prepared, indent=1), encoding="utf-8")
        config_file = Path(scratch, "config.json")
        config = {"package_name_override": package_name, "post_hooks": list(_POST_HOOKS)}
        config_file.write_text(json.dumps(config), encoding="utf-8")
        command = [
            *(sys.executable, "-m", "openapi_python_client", "generate"),
            *("--path", str(spec_file), "--output-path", str(package_dir)),
            *("--meta", "none", "--config", str(config_file), "--fail-on-warning"),
        ]
        try:
            process = subprocess.Popen(  # noqa: S603 (our own fixed command)
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_tool_environment(),
            )
        except OSError as error:
            raise CodegenError(f"openapi-python-client could not start: {error}") from None
        with process:
            try:
                yield Codegen(process, package_dir)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.communicate()


def format_files(paths: list[Path]) -> None:
    _run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--no-cache", *map(str, paths)],
        "ruff format",
    )
