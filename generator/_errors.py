"""Errors of the codegen step.

    GeneratorError            the root: the CLI prints it and exits non-zero
    ├── SpecError             the spec cannot be read or breaks a rule (lists every problem)
    └── CodegenError          a tool failed, or its output is not what the overlay needs

Each error says what is wrong and how to fix it; none of them is raised after ``generated/``
has been touched.
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
