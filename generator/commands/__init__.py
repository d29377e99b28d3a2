"""The commands of ``python -m generator``, one module each: its options and its body.

Each module defines ``COMMAND``; ``generator._cli`` builds the parser from them, in this order.
The modules import what their body needs when it runs, so that ``--help`` and the unchanged
``generate`` path stay light.
"""

from __future__ import annotations

from generator.commands import check, diff, generate, publish, release
from generator.commands._common import Command

COMMANDS: tuple[Command, ...] = (
    check.COMMAND,
    generate.COMMAND,
    diff.COMMAND,
    publish.COMMAND,
    release.COMMAND,
)

__all__ = ["COMMANDS", "Command"]
