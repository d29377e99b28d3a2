"""Errors of the codegen step, and of the commands around it.

    GeneratorError            the root: the CLI prints it and exits 1
    ├── SpecError             the spec cannot be read or breaks a rule (lists every problem)
    │   └── VersionPolicyError    info.version does not say what changed (carries the report)
    ├── CodegenError          a tool failed, or its output is not what the overlay needs
    ├── StaleOutputError      generated/ was not made from this spec, generator and tools
    ├── PublishError          the index refused, has this version already, or cannot be read
    └── ReleaseError          the repository is not in a state to release from

Each error says what is wrong and how to fix it; none of them is raised after ``generated/``
has been touched. Anything the generator raises on purpose derives from GeneratorError.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the spec, where it is, and what would fix it."""

    where: str
    """A JSON path into the spec, e.g. ``$.paths['/v1/products'].get.security``."""
    message: str
    operation: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        subject = f"{self.operation} at {self.where}" if self.operation else self.where
        text = f"{subject}: {self.message}"
        return f"{text}\n    fix: {self.fix}" if self.fix else text


class GeneratorError(Exception):
    """Root of the generator's errors."""


class SpecError(GeneratorError):
    def __init__(self, spec_path: str, problems: Sequence[Problem]) -> None:
        self.spec_path = spec_path
        self.problems = tuple(problems)
        count = len(self.problems)
        listing = "\n".join(f"  - {problem}" for problem in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{spec_path}: {count} {noun}; nothing was written.\n{listing}")


class CodegenError(GeneratorError):
    """A tool failed or produced output the generator cannot use."""


class VersionPolicyError(SpecError):
    """The spec's version does not say what changed; carries the change report."""

    def __init__(self, spec_path: str, problems: Sequence[Problem], report: str) -> None:
        super().__init__(spec_path, problems)
        self.report = report
        self.args = (f"{self.args[0]}\n{report}",)


class StaleOutputError(GeneratorError):
    """The generated output does not match the spec, the generator or the tools."""


class PublishError(GeneratorError):
    """Publishing stopped before anything was uploaded, or the upload failed."""


class ReleaseError(GeneratorError):
    """A release was refused; the repository was left as it was."""
