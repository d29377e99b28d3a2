"""What changed for the people who import the package, between two generated outputs.

griffe compares the two Python APIs (what users import); the manifests add what only the spec
shows (security, the convention headers). Each change is classed as breaking or not.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import griffe

from generator._manifest import MANIFEST_FILE, PACKAGE

_API = f"{PACKAGE}.api"
_MODELS = f"{PACKAGE}.models"


@dataclass(frozen=True, order=True, slots=True)
class Change:
    breaking: bool
    what: str
    subject: str

    def __str__(self) -> str:
        return f"{'breaking' if self.breaking else 'compatible':10}  {self.what}: {self.subject}"


def _operations(output_dir: Path) -> dict[str, dict[str, Any]]:
    tree = ast.parse((output_dir / PACKAGE / MANIFEST_FILE).read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "OPERATIONS"
        ):
            entries = ast.literal_eval(node.value) if node.value is not None else ()
            return {entry["operation_id"]: entry for entry in entries}
    return {}


def _parameters(package: griffe.Module, module: str) -> list[griffe.Parameter]:
    """The parameters of an endpoint module's ``sync_detailed``; KeyError when it has none."""
    function = package[f"{module.removeprefix(PACKAGE + '.')}.sync_detailed"]
    if not isinstance(function, griffe.Function):
        raise KeyError(module)
    return list(function.parameters)


def _operation_changes(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[Change]:
    changes = []
    for name in sorted(old.keys() - new.keys()):
        changes.append(
            Change(True, "operation removed", f"{name} ({old[name]['method']} {old[name]['path']})")
        )
    for name in sorted(new.keys() - old.keys()):
        changes.append(
            Change(False, "operation added", f"{name} ({new[name]['method']} {new[name]['path']})")
        )
    for name in sorted(old.keys() & new.keys()):
        before, after = old[name], new[name]
        if (before["method"], before["path"]) != (after["method"], after["path"]):
            changes.append(
                Change(
                    True,
                    "operation moved",
                    f"{name}: {before['method']} {before['path']} -> {after['method']} {after['path']}",
                )
            )
        if before["security"] != after["security"]:
            changes.append(
                Change(
                    True,
                    "security changed",
                    f"{name}: {before['security'] or 'none'} -> {after['security'] or 'none'}",
                )
            )
        if before["user_token"] != after["user_token"]:
            needs = (
                "now needs x-user-token (a logged-in user)"
                if after["user_token"]
                else "no longer needs x-user-token"
            )
            changes.append(Change(after["user_token"], "convention headers changed", f"{name} {needs}"))
    return changes


def _parameter_additions(
    old: griffe.Module, new: griffe.Module, operations: dict[str, dict[str, Any]]
) -> list[Change]:
    changes = []
    for name, entry in sorted(operations.items()):
        try:
            before, after = _parameters(old, entry["module"]), _parameters(new, entry["module"])
        except KeyError:
            continue
        known = {parameter.name for parameter in before}
        for parameter in after:
            if parameter.name not in known and parameter.default is not None:
                changes.append(Change(False, "optional parameter added", f"{name}({parameter.name})"))
    return changes


def _model_additions(old: griffe.Module, new: griffe.Module) -> list[Change]:
    changes = []
    old_models, new_models = old["models"], new["models"]
    for name, model in sorted(new_models.members.items()):
        if name.startswith("_") or not model.is_class:
            continue
        if name not in old_models.members:
            changes.append(Change(False, "model added", name))
            continue
        known = set(old_models[name].members)
        for member, value in sorted(model.members.items()):
            if member not in known and value.is_attribute and not member.startswith("_"):
                what = (
                    "enum value added"
                    if any("Enum" in str(base) for base in model.bases)
                    else "model field added"
                )
                changes.append(Change(False, what, f"{name}.{member}"))
    return changes


def _breakages(old: griffe.Module, new: griffe.Module, removed_modules: set[str]) -> list[Change]:
    changes = []
    for breakage in griffe.find_breaking_changes(old, new):
        path = breakage.obj.path
        related = (
            path == module or path.startswith(module + ".") or module.startswith(path + ".")
            for module in removed_modules
        )
        if any(related):
            continue  # reported once, as "operation removed" (with its tag package, if emptied)
        subject = path.removeprefix(PACKAGE + ".")
        if breakage.kind in (griffe.BreakageKind.OBJECT_REMOVED,) and path.startswith(_MODELS):
            what = (
                "enum value or model field removed"
                if "." in subject.removeprefix("models.")
                else "model removed"
            )
        else:
            what = breakage.kind.value.lower()
        detail = (
            f" ({breakage.old_value} -> {breakage.new_value})"
            if breakage.kind.name.startswith("PARAMETER")
            else ""
        )
        changes.append(Change(True, what, subject + detail.replace("None", "-")))
    return changes


def compare(old_dir: Path, new_dir: Path) -> list[Change]:
    """Every change between the packages generated into ``old_dir`` and ``new_dir``, sorted
    breaking first."""
    old_operations, new_operations = _operations(old_dir), _operations(new_dir)
    old = griffe.load(PACKAGE, search_paths=[old_dir], resolve_aliases=False)
    new = griffe.load(PACKAGE, search_paths=[new_dir], resolve_aliases=False)
    if not (isinstance(old, griffe.Module) and isinstance(new, griffe.Module)):  # pragma: no cover
        raise TypeError(f"{PACKAGE} did not load as a module")
    removed_modules = {
        old_operations[name]["module"] for name in old_operations.keys() - new_operations.keys()
    }
    changes = {
        *_operation_changes(old_operations, new_operations),
        *_breakages(old, new, removed_modules),
        *_parameter_additions(old, new, {k: v for k, v in new_operations.items() if k in old_operations}),
        *_model_additions(old, new),
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
