"""Running the code generators (openapi-python-client, datamodel-code-generator), reproducibly."""

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
# Our templates for openapi-python-client (its --custom-template-path): typed results, typed
# client flavours, docstrings from the spec. Tied to the pinned tool version, like its output.
TEMPLATES: Final = Path(__file__).parent / "templates"


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


# Pydantic models of the spec's schemas, for the sandbox and the contract tests; strict, so an
# example with a misspelt field fails instead of being ignored.
_MODEL_OPTIONS: Final = (
    *("--input-file-type", "openapi", "--output-model-type", "pydantic_v2.BaseModel"),
    *("--target-python-version", "3.11", "--extra-fields", "forbid", "--enum-field-as-literal", "all"),
    *("--field-constraints", "--use-annotated", "--snake-case-field", "--use-standard-collections"),
    "--allow-population-by-field-name",
    *("--use-union-operator", "--use-double-quotes", "--disable-timestamp", "--formatters", "ruff-format"),
)


# openapi-python-client's library entry point, as its CLI calls it with --fail-on-warning:
# the CLI's own imports (typer, rich) cost a quarter of a second of CPU that the parallel
# check needs more.
_OPENAPI_PYTHON_CLIENT = """
import sys
from pathlib import Path
from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType
spec, config_file, output, templates = map(Path, sys.argv[1:5])
settings = ConfigFile.load_from_path(config_file)
config = Config.from_sources(settings, MetaType.NONE, spec, "utf-8", False, output)
errors = generate(config=config, custom_template_path=templates)
for error in errors:
    print(f"{error.level.name} {error.header}", file=sys.stderr)
    if error.detail:
        print(error.detail, file=sys.stderr)
sys.exit(1 if errors else 0)
"""


def _mark(path: Path) -> None:
    path.write_text(f"{GENERATED_MARK}\n{path.read_text(encoding='utf-8')}", encoding="utf-8")


class Codegen:
    """The code generators, running in the background while the caller checks the spec."""

    def __init__(
        self, processes: dict[str, subprocess.Popen[str]], package_dir: Path, models: tuple[Path, Path]
    ) -> None:
        self._processes = processes
        self._package_dir = package_dir
        self._models = models

    def wait(self) -> None:
        """Wait for every tool, then put their output in place, each file marked as generated."""
        for name, process in self._processes.items():
            try:
                stdout, stderr = process.communicate(timeout=_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                raise CodegenError(f"{name} took over {_TIMEOUT_SECONDS} s") from None
            if process.returncode != 0:
                raise _failure(name, process.returncode, stdout + stderr)
        # PEP 561: without it, mypy would not read the generated types from an installed wheel.
        (self._package_dir / "py.typed").write_text("", encoding="utf-8")
        written, models_package = self._models
        models_package.mkdir(parents=True)
        written.rename(models_package / "__init__.py")
        for folder in (self._package_dir, models_package):
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    _mark(path)

    def stop(self) -> None:
        for process in self._processes.values():
            if process.poll() is None:
                process.kill()
                process.communicate()


def _start(name: str, command: list[str], cwd: Path) -> subprocess.Popen[str]:
    try:
        return subprocess.Popen(  # noqa: S603 (our own fixed command)
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_tool_environment(),
            cwd=cwd,
        )
    except OSError as error:
        raise CodegenError(f"{name} could not start: {error}") from None


@contextlib.contextmanager
def generators(
    spec: Spec, prepared: Spec, package_dir: Path, package_name: str, models_package: Path
) -> Iterator[Codegen]:
    """Start openapi-python-client (the client package, from the prepared spec) and
    datamodel-code-generator (pydantic models, from the spec itself), side by side.

    They run in their own processes, in a scratch folder so that no configuration around the
    output can change what they write; leaving the block stops any the caller did not wait for
    (a spec problem found meanwhile, an interrupt).
    """
    with tempfile.TemporaryDirectory(prefix="partner-api-codegen-") as scratch_name:
        scratch = Path(scratch_name)
        (scratch / "prepared.json").write_text(json.dumps(prepared, indent=1), encoding="utf-8")
        (scratch / "openapi.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
        config = {"package_name_override": package_name, "post_hooks": list(_POST_HOOKS)}
        (scratch / "config.json").write_text(json.dumps(config), encoding="utf-8")
        processes: dict[str, subprocess.Popen[str]] = {}
        codegen = Codegen(processes, package_dir, (scratch / "models.py", models_package))
        try:
            processes["openapi-python-client"] = _start(
                "openapi-python-client",
                [
                    sys.executable,
                    "-c",
                    _OPENAPI_PYTHON_CLIENT,
                    "prepared.json",
                    "config.json",
                    str(package_dir),
                    str(TEMPLATES),
                ],
                scratch,
            )
            processes["datamodel-code-generator"] = _start(
                "datamodel-code-generator",
                [
                    *(sys.executable, "-m", "datamodel_code_generator"),
                    *("--input", "openapi.json", "--output", "models.py", *_MODEL_OPTIONS),
                ],
                scratch,
            )
            yield codegen
        finally:
            codegen.stop()


def format_files(paths: list[Path]) -> None:
    _run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--no-cache", *map(str, paths)],
        "ruff format",
    )
