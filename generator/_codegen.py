"""Running the code generators (openapi-python-client, datamodel-code-generator), reproducibly."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
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
# Our templates for openapi-python-client (its --custom-template-path), tied to its pinned version:
# typed results, typed client flavours, docstrings from the spec, and models imported on first use
# (models_init.py.jinja, PEP 562). A template missing here falls back to the tool's own.
TEMPLATES: Final = Path(__file__).resolve().parent / "templates"


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


# The pydantic models depend on the schemas alone: the line that records which, so that a run
# whose schemas did not change copies them instead of running datamodel-code-generator again.
_MODELS_KEY: Final = "# schemas sha256: "


def models_key(spec: Spec) -> str:
    from importlib import metadata  # noqa: PLC0415

    schemas = (spec.get("components") or {}).get("schemas") or {}
    digest = hashlib.sha256(json.dumps(schemas, sort_keys=True, default=str).encode())
    digest.update(" ".join((metadata.version("datamodel-code-generator"), *_MODEL_OPTIONS)).encode())
    return digest.hexdigest()


def reusable_models(models_file: Path, key: str) -> bytes | None:
    """The models an earlier run wrote from the same schemas, if that is what the file holds."""
    try:
        content = models_file.read_bytes()
    except OSError:
        return None
    lines = content.split(b"\n", 2)
    return content if len(lines) == 3 and lines[1] == f"{_MODELS_KEY}{key}".encode() else None


def _mark(path: Path) -> None:
    path.write_text(f"{GENERATED_MARK}\n{path.read_text(encoding='utf-8')}", encoding="utf-8")


class Codegen:
    """The code generators, running in the background while the caller checks the spec."""

    def __init__(
        self,
        processes: dict[str, subprocess.Popen[str]],
        package_dir: Path,
        models: tuple[Path, Path],
        models_source: str | bytes = "",
    ) -> None:
        self._processes = processes
        self._package_dir = package_dir
        self._models = models
        self._models_source = models_source
        """The models' key (they are being generated), or the models themselves (reused)."""

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
        if isinstance(self._models_source, bytes):
            (models_package / "__init__.py").write_bytes(self._models_source)
        else:
            text = written.read_text(encoding="utf-8")
            (models_package / "__init__.py").write_text(
                f"{GENERATED_MARK}\n{_MODELS_KEY}{self._models_source}\n{text}", encoding="utf-8"
            )
        for path in sorted(self._package_dir.rglob("*")):
            if path.is_file():
                _mark(path)

    def stop(self) -> None:
        for process in self._processes.values():
            if process.poll() is None:
                # With its children: openapi-python-client runs ruff as its post hooks, and a
                # ruff that outlived a killed tool went on writing into the staging folder while
                # it was being removed (the ".generated.staging-*" folder a refused spec left).
                # The tools stay in our process group, so killing a run still reaches them all.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGSTOP)  # it starts no more children meanwhile
                    for child in _descendants(process.pid):
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(child, signal.SIGKILL)
                    process.kill()
                process.communicate()


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid``, from /proc (Linux); none found elsewhere."""
    children: dict[int, list[int]] = {}
    try:
        entries = [entry for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    except OSError:
        return []
    for entry in entries:
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1 and fields[1].isdigit():
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


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
    spec: Spec,
    prepared: Spec,
    package_dir: Path,
    package_name: str,
    models_package: Path,
    *,
    previous_models: Path | None = None,
) -> Iterator[Codegen]:
    """Start openapi-python-client (the client package, from the prepared spec) and
    datamodel-code-generator (pydantic models, from the spec itself), side by side.

    They run in their own processes, in a scratch folder so that no configuration around the
    output can change what they write; leaving the block stops any the caller did not wait for
    (a spec problem found meanwhile, an interrupt). The models of ``previous_models`` are
    reused when they were generated from the same schemas by the same tool.
    """
    key = models_key(spec)
    reused = reusable_models(previous_models, key) if previous_models is not None else None
    with tempfile.TemporaryDirectory(prefix="partner-api-codegen-") as scratch_name:
        scratch = Path(scratch_name)
        (scratch / "prepared.json").write_text(json.dumps(prepared, separators=(",", ":")), encoding="utf-8")
        (scratch / "openapi.json").write_text(json.dumps(spec, separators=(",", ":")), encoding="utf-8")
        config = {
            "package_name_override": package_name,
            "post_hooks": list(_POST_HOOKS),
            # springdoc writes */* for JSON responses; the tool would warn and, with
            # --fail-on-warning, fail. The overlay reads them as JSON too.
            "content_type_overrides": {"*/*": "application/json"},
        }
        (scratch / "config.json").write_text(json.dumps(config), encoding="utf-8")
        processes: dict[str, subprocess.Popen[str]] = {}
        codegen = Codegen(
            processes, package_dir, (scratch / "models.py", models_package), key if reused is None else reused
        )
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
            if reused is None:
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
