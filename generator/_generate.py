"""``generate``: check, prepare, run the codegen into a staging folder, then swap it in."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from generator import _codegen, _diff, _manifest, _prepare, _spec, _stamp, _swap
from generator._changelog import add_entry
from generator._check import check
from generator._errors import CodegenError, GeneratorError, Problem, SpecError, VersionPolicyError
from generator._policy import version_problems

PACKAGE = _manifest.PACKAGE
# Pydantic models of the spec, for the sandbox and contract tests; not part of the wheel.
MODELS_PACKAGE = "partner_api_models"


@dataclass(frozen=True, slots=True)
class Outcome:
    regenerated: bool
    operations: int | None
    seconds: float
    stamp: _stamp.Stamp
    report: str | None = None
    """The API changes against what the output folder held before, if it held anything."""


def generate(
    spec_path: Path, output_dir: Path, *, force: bool = False, changelog: Path | None = None
) -> Outcome:
    started = time.perf_counter()
    _swap.recover(output_dir)
    _refuse_foreign_output(output_dir)
    if not spec_path.is_file():
        raise SpecError(str(spec_path), [Problem("$", "file not found", fix="pass --spec PATH")])
    inputs = _stamp.current_inputs(spec_path)
    existing = _stamp.read(output_dir / PACKAGE)
    if existing is None and (output_dir / PACKAGE).exists():
        raise GeneratorError(
            f"{output_dir / PACKAGE} has no readable stamp, so what it holds cannot be compared "
            f"with the new output: restore it (git checkout {output_dir.name}) or delete it, then generate"
        )
    intact = existing is not None and existing.output_sha256 == _stamp.output_sha256(output_dir)
    if not force and existing is not None and existing.inputs == inputs and intact:
        return Outcome(False, None, time.perf_counter() - started, existing)

    spec = _spec.load(spec_path)
    try:
        prepared = _prepare.prepare(spec)
    except Exception:
        check(spec, str(spec_path))  # a spec too malformed to prepare: say what is wrong with it
        raise
    with _swap.staging_dir(output_dir) as stage:
        package_dir = stage / PACKAGE
        # The tool takes most of the time and needs only the prepared spec: it runs while the
        # spec is checked, and is stopped, its output unused, if the check fails.
        models_package = stage / MODELS_PACKAGE
        # Models from an untouched earlier output are reused when the schemas are the same.
        previous_models = output_dir / MODELS_PACKAGE / "__init__.py" if intact else None
        with _codegen.generators(
            spec, prepared.spec, package_dir, PACKAGE, models_package, previous_models=previous_models
        ) as codegen:
            check(spec, str(spec_path), spec_sha256=inputs.spec_sha256)
            entries = _manifest.entries(spec, prepared)
            codegen.wait()
        manifest_file = package_dir / _manifest.MANIFEST_FILE
        manifest_file.write_text(
            _manifest.render(entries, _spec.environments(spec), spec, _spec.token_scopes(spec)),
            encoding="utf-8",
        )
        _codegen.format_files([manifest_file])
        _verify_modules(package_dir, entries)
        stamp = _stamp.Stamp(str(spec["info"]["version"]), inputs, _stamp.output_sha256(stage))
        (package_dir / _stamp.STAMP_FILE).write_text(_stamp.render(stamp), encoding="utf-8")
        report = None
        changes: list[_diff.Change] = []
        if existing is not None:
            # Identical output has no API changes: griffe need not load both packages to say so.
            same = existing.output_sha256 == stamp.output_sha256
            changes = [] if same else _diff.compare(output_dir, stage)
            report = _diff.render(changes, existing.version, stamp.version)
            spec_changed = existing.inputs.spec_sha256 != inputs.spec_sha256
            problems = version_problems(existing.version, stamp.version, spec_changed, changes)
            if problems:
                raise VersionPolicyError(str(spec_path), problems, report)
        _swap.replace(stage, output_dir)
    if changelog is not None and changes:
        add_entry(changelog, stamp.version, inputs.spec_sha256, changes)
    return Outcome(True, len(entries), time.perf_counter() - started, stamp, report)


def policy_check(spec_path: Path, spec: _spec.Spec, baseline_dir: Path) -> str | None:
    """Enforce the version policy against the output in ``baseline_dir``; the report, if any."""
    baseline = _stamp.read(baseline_dir / PACKAGE)
    if baseline is None or baseline.inputs.spec_sha256 == _stamp.current_inputs(spec_path).spec_sha256:
        return None
    version = str(spec["info"]["version"])
    # Generated even when the version was not raised: the changes decide which version to suggest.
    with tempfile.TemporaryDirectory(prefix="partner-api-check-") as scratch:
        candidate = Path(scratch, "generated")
        generate(spec_path, candidate)
        changes = _diff.compare(baseline_dir, candidate)
    report = _diff.render(changes, baseline.version, version)
    problems = version_problems(baseline.version, version, True, changes)
    if problems:
        raise VersionPolicyError(str(spec_path), problems, report)
    return report


def _refuse_foreign_output(output_dir: Path) -> None:
    """The whole output folder is replaced, so it must hold nothing but what we generate."""
    if not output_dir.exists():
        return
    if not output_dir.is_dir():
        raise GeneratorError(f"{output_dir} is not a folder; pass --output DIR")
    foreign = sorted(path.name for path in output_dir.iterdir() if path.name not in (PACKAGE, MODELS_PACKAGE))
    if foreign:
        raise GeneratorError(
            f"{output_dir} holds {', '.join(foreign)}, which the generator did not write; "
            "generate replaces the whole folder. Move them out, or pass --output to another folder."
        )


def _verify_modules(package_dir: Path, entries: list[_manifest.Entry]) -> None:
    """The manifest must name exactly the endpoint modules the tool wrote."""
    written = {
        path.relative_to(package_dir)
        for path in (package_dir / "api").glob("*/*.py")
        if path.name != "__init__.py"
    }
    named = {entry.module_file() for entry in entries}
    if written != named:
        raise CodegenError(
            "the operation manifest and the generated modules disagree: "
            f"modules without an entry {sorted(map(str, written - named))}, "
            f"entries without a module {sorted(map(str, named - written))}. "
            "openapi-python-client may name modules differently from the pinned version."
        )
