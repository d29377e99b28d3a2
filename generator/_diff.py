"""What changed for the people who import the package, between two generated outputs.

griffe reads both generated packages (it parses, it does not import); this module compares
what users touch: each operation's parameters and return type, each model's fields and each
enum's values, and, from the manifests, what only the spec shows (security, x-user-token,
environments). Anything else griffe finds breaking (the client module, errors, types) is
reported as griffe words it. Each change is classed as breaking or not.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import griffe

from generator._errors import GeneratorError
from generator._manifest import MANIFEST_FILE, PACKAGE


@dataclass(frozen=True, order=True, slots=True)
class Change:
    breaking: bool
    what: str
    subject: str

    def __str__(self) -> str:
        return f"{'breaking' if self.breaking else 'compatible':10}  {self.what}: {self.subject}"


@dataclass(frozen=True, slots=True)
class _Manifest:
    operations: dict[str, dict[str, Any]]
    environments: dict[str, str]


def _manifest(output_dir: Path) -> _Manifest:
    path = output_dir / PACKAGE / MANIFEST_FILE
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError) as error:
        raise GeneratorError(f"cannot read the operation manifest {path}: {error}") from None
    values: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            values[node.target.id] = ast.literal_eval(node.value)
    return _Manifest(
        {entry["operation_id"]: entry for entry in values.get("OPERATIONS", ())},
        dict(values.get("ENVIRONMENTS", {})),
    )


def _load(output_dir: Path) -> griffe.Module:
    package = griffe.load(PACKAGE, search_paths=[output_dir], resolve_aliases=False)
    if not isinstance(package, griffe.Module):  # pragma: no cover
        raise GeneratorError(f"{output_dir / PACKAGE} did not load as a package")
    return package


def _operation_changes(old: _Manifest, new: _Manifest) -> Iterator[Change]:
    before_all, after_all = old.operations, new.operations
    for name in sorted(before_all.keys() - after_all.keys()):
        yield Change(
            True, "operation removed", f"{name} ({before_all[name]['method']} {before_all[name]['path']})"
        )
    for name in sorted(after_all.keys() - before_all.keys()):
        yield Change(
            False, "operation added", f"{name} ({after_all[name]['method']} {after_all[name]['path']})"
        )
    for name in sorted(before_all.keys() & after_all.keys()):
        before, after = before_all[name], after_all[name]
        if (before["method"], before["path"]) != (after["method"], after["path"]):
            moved = f"{before['method']} {before['path']} -> {after['method']} {after['path']}"
            yield Change(True, "operation moved", f"{name}: {moved}")
        if before["security"] != after["security"]:
            # Needing no token any more breaks nobody; needing another one may.
            yield Change(
                after["security"] is not None,
                "security changed",
                f"{name}: {before['security'] or 'none'} -> {after['security'] or 'none'}",
            )
        if before["user_token"] != after["user_token"]:
            needs = (
                "now needs x-user-token (a logged-in user)"
                if after["user_token"]
                else "no longer needs x-user-token"
            )
            yield Change(after["user_token"], "convention headers changed", f"{name} {needs}")
    for environment in sorted(old.environments.keys() - new.environments.keys()):
        yield Change(True, "environment removed", environment)
    for environment in sorted(new.environments.keys() - old.environments.keys()):
        yield Change(False, "environment added", environment)
    for environment in sorted(old.environments.keys() & new.environments.keys()):
        if old.environments[environment] != new.environments[environment]:
            urls = f"{old.environments[environment]} -> {new.environments[environment]}"
            yield Change(False, "environment URL changed", f"{environment}: {urls}")


def _function(package: griffe.Module, module: str, name: str) -> griffe.Function | None:
    try:
        found = package[f"{module.removeprefix(PACKAGE + '.')}.{name}"]
    except KeyError:
        return None
    return found if isinstance(found, griffe.Function) else None


def _signature_changes(
    old: griffe.Module, new: griffe.Module, operations: dict[str, dict[str, Any]]
) -> Iterator[Change]:
    """One change per operation and parameter (not one per sync/async variant)."""
    for name, entry in sorted(operations.items()):
        before, after = (
            _function(old, entry["module"], "sync_detailed"),
            _function(new, entry["module"], "sync_detailed"),
        )
        if before is None or after is None:
            continue
        old_parameters = {p.name: p for p in before.parameters if p.name != "client"}
        new_parameters = {p.name: p for p in after.parameters if p.name != "client"}
        for parameter in sorted(old_parameters.keys() - new_parameters.keys()):
            yield Change(True, "parameter removed", f"{name}({parameter})")
        for parameter in sorted(new_parameters.keys() - old_parameters.keys()):
            required = new_parameters[parameter].default is None
            what = "required parameter added" if required else "optional parameter added"
            yield Change(required, what, f"{name}({parameter})")
        for parameter in sorted(old_parameters.keys() & new_parameters.keys()):
            was, now = old_parameters[parameter], new_parameters[parameter]
            if str(was.annotation) != str(now.annotation):
                yield Change(
                    True,
                    "parameter type changed",
                    f"{name}({parameter}): {was.annotation} -> {now.annotation}",
                )
            elif was.default is not None and now.default is None:
                yield Change(True, "parameter now required", f"{name}({parameter})")
        returns = _function(old, entry["module"], "sync"), _function(new, entry["module"], "sync")
        if (
            returns[0] is not None
            and returns[1] is not None
            and str(returns[0].returns) != str(returns[1].returns)
        ):
            yield Change(
                True, "response type changed", f"{name}: {returns[0].returns} -> {returns[1].returns}"
            )


def _fields(model: Any) -> dict[str, tuple[str, bool]]:
    """A model's public fields: annotation, and whether it is required (has no default)."""
    fields = {}
    for name, member in model.members.items():
        annotation = getattr(member, "annotation", None)
        public = not name.startswith("_") and name != "additional_properties"
        if member.is_attribute and annotation is not None and public:
            fields[name] = (str(annotation), getattr(member, "value", None) is None)
    return fields


def _is_enum(model: Any) -> bool:
    return any("Enum" in str(base) for base in getattr(model, "bases", ()))


def _classes(models: Any) -> dict[str, Any]:
    """The model classes ``models`` exports; imports from outside the package (the standard
    library's, say) are not models and cannot be resolved from the package's folder."""
    found = {}
    for name, member in models.members.items():
        if member.is_alias and not str(member.target_path).startswith(f"{PACKAGE}."):
            continue
        if member.is_class:
            found[name] = member
    return found


def _model_changes(old: griffe.Module, new: griffe.Module) -> Iterator[Change]:
    old_models, new_models = _classes(old["models"]), _classes(new["models"])
    old_names, new_names = set(old_models), set(new_models)
    for name in sorted(old_names - new_names):
        yield Change(True, "model removed", name)
    for name in sorted(new_names - old_names):
        yield Change(False, "model added", name)
    for name in sorted(old_names & new_names):
        before, after = old_models[name], new_models[name]
        if _is_enum(before) or _is_enum(after):
            old_values = {str(getattr(m, "value", "")) for m in before.members.values() if m.is_attribute}
            new_values = {str(getattr(m, "value", "")) for m in after.members.values() if m.is_attribute}
            for value in sorted(old_values - new_values):
                yield Change(True, "enum value removed", f"{name} {value}")
            for value in sorted(new_values - old_values):
                yield Change(False, "enum value added", f"{name} {value}")
            continue
        old_fields, new_fields = _fields(before), _fields(after)
        for field in sorted(old_fields.keys() - new_fields.keys()):
            yield Change(True, "model field removed", f"{name}.{field}")
        for field in sorted(new_fields.keys() - old_fields.keys()):
            required = new_fields[field][1]
            yield Change(
                required, f"{'required' if required else 'optional'} model field added", f"{name}.{field}"
            )
        for field in sorted(old_fields.keys() & new_fields.keys()):
            (old_type, was_required), (new_type, now_required) = old_fields[field], new_fields[field]
            if old_type != new_type:
                yield Change(True, "model field type changed", f"{name}.{field}: {old_type} -> {new_type}")
            elif was_required != now_required:
                yield Change(
                    True,
                    "model field now required" if now_required else "model field now optional",
                    f"{name}.{field}",
                )


def _other_breakages(old: griffe.Module, new: griffe.Module) -> Iterator[Change]:
    """What griffe finds breaking outside the operations and models compared above."""
    covered = (f"{PACKAGE}.api", f"{PACKAGE}.models")
    for breakage in griffe.find_breaking_changes(old, new):
        path = breakage.obj.path
        if path.startswith(covered) or path.rpartition(".")[2].startswith("_"):
            continue
        yield Change(True, breakage.kind.value.lower(), path.removeprefix(PACKAGE + "."))


def compare(old_dir: Path, new_dir: Path) -> list[Change]:
    """Every change between the packages generated into ``old_dir`` and ``new_dir``, breaking first."""
    old_manifest, new_manifest = _manifest(old_dir), _manifest(new_dir)
    old, new = _load(old_dir), _load(new_dir)
    common = {
        name: entry for name, entry in new_manifest.operations.items() if name in old_manifest.operations
    }
    changes = {
        *_operation_changes(old_manifest, new_manifest),
        *_signature_changes(old, new, common),
        *_model_changes(old, new),
        *_other_breakages(old, new),
    }
    return sorted(changes, key=lambda change: (not change.breaking, change.what, change.subject))


def render(changes: list[Change], old_version: str, new_version: str) -> str:
    if not changes:
        return f"No API changes ({old_version} -> {new_version})."
    breaking = sum(change.breaking for change in changes)
    compatible = len(changes) - breaking
    lines = [f"API changes {old_version} -> {new_version}: {breaking} breaking, {compatible} compatible"]
    lines += [f"  {change}" for change in changes]
    return "\n".join(lines)
