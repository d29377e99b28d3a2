"""An unchanged spec skips the codegen entirely; a hand edit to the output is undone."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests._paths import PACKAGE, ROOT, SPEC
from tests.generator.conftest import run_generator, tree

# Runs the CLI in-process with an audit hook that records every subprocess and every import of
# the codegen tool: proof, with no timing involved, that the fast path runs neither.
_AUDITED_RUN = textwrap.dedent(
    """
    import json, sys
    events = []
    def hook(event, args):
        if event == "subprocess.Popen":
            events.append("subprocess " + str(args[1]))
        elif event == "import" and str(args[0]).startswith("openapi_python_client"):
            events.append("import " + args[0])
    sys.addaudithook(hook)
    from generator._cli import main
    code = main(sys.argv[1:])
    print(json.dumps(events))
    raise SystemExit(code)
    """
)


def _audited(*args: str | Path) -> tuple[int, list[str], str]:
    result = subprocess.run(
        [sys.executable, "-c", _AUDITED_RUN, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    import json

    return result.returncode, json.loads(result.stdout.splitlines()[-1]), result.stdout


def test_unchanged_spec_runs_no_tool(committed_copy: Path) -> None:
    before = tree(committed_copy)
    code, events, stdout = _audited("generate", "--spec", SPEC, "--output", committed_copy)
    assert code == 0
    assert "up to date" in stdout
    assert events == []
    assert tree(committed_copy) == before


def test_the_audit_sees_the_tool_when_it_runs(committed_copy: Path) -> None:
    code, events, _ = _audited("generate", "--spec", SPEC, "--output", committed_copy, "--force")
    assert code == 0
    assert any(event.startswith("subprocess") and "openapi_python_client" in event for event in events)


def test_a_hand_edit_to_the_output_is_regenerated(committed_copy: Path) -> None:
    before = tree(committed_copy)
    client = committed_copy / PACKAGE / "client.py"
    client.write_text(client.read_text(encoding="utf-8") + "\n# a hand edit\n", encoding="utf-8")
    result = run_generator("generate", "--spec", SPEC, "--output", committed_copy)
    assert result.returncode == 0, result.stderr
    assert "regenerated" in result.stdout
    assert tree(committed_copy) == before
