"""A generate run killed in the middle leaves the output as it was; the next run cleans up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests._paths import PACKAGE, ROOT, SPEC
from tests.generator.conftest import run_generator, tree


def _start(output: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "generator",
            "generate",
            "--spec",
            str(SPEC),
            "--output",
            str(output),
            "--force",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for_codegen(output: Path, process: subprocess.Popen[str]) -> Path:
    """The staging folder, once the codegen tool has started writing into it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        for stage in output.parent.glob(f".{output.name}.staging-*"):
            if (stage / PACKAGE).is_dir():
                return stage
        time.sleep(0.005)
    raise AssertionError(f"codegen never started (exit {process.poll()})")


def test_kill_during_codegen_leaves_output_untouched(committed_copy: Path) -> None:
    before = tree(committed_copy)
    process = _start(committed_copy)
    try:
        stage = _wait_for_codegen(committed_copy, process)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
    assert tree(committed_copy) == before
    assert stage.exists()  # the kill left it behind ...

    result = run_generator("generate", "--spec", SPEC, "--output", committed_copy)
    assert result.returncode == 0, result.stderr
    assert not stage.exists()  # ... and the next run removed it
    assert tree(committed_copy) == before


def test_interrupt_during_codegen_cleans_up_and_says_so(committed_copy: Path) -> None:
    before = tree(committed_copy)
    process = _start(committed_copy)
    try:
        _wait_for_codegen(committed_copy, process)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130
    assert "interrupted" in stderr
    assert tree(committed_copy) == before
    assert sorted(path.name for path in committed_copy.parent.iterdir()) == ["generated"]
