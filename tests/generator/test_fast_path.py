"""An unchanged spec skips the codegen entirely; a hand edit to the output is undone."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests._paths import PACKAGE, ROOT, SPEC
from tests.generator.conftest import NEXT_MINOR, run_generator, tree

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


def test_a_forced_run_reuses_the_models_when_the_schemas_did_not_change(committed_copy: Path) -> None:
    models = committed_copy / "partner_api_models" / "__init__.py"
    before = models.read_bytes()
    code, events, _ = _audited("generate", "--spec", SPEC, "--output", committed_copy, "--force")
    assert code == 0
    assert not any("datamodel_code_generator" in event for event in events), events
    assert models.read_bytes() == before


def test_the_models_are_regenerated_when_a_schema_changes(tmp_path: Path, committed_copy: Path) -> None:
    from tests.generator.conftest import spec_data, write_spec

    data = spec_data()
    data["info"]["version"] = NEXT_MINOR
    data["components"]["schemas"]["Product"]["properties"]["rating"] = {"type": "integer"}
    spec = write_spec(tmp_path, data)
    code, events, stdout = _audited("generate", "--spec", spec, "--output", committed_copy)
    assert code == 0, stdout
    assert any("datamodel_code_generator" in event for event in events), events
    assert "rating" in (committed_copy / "partner_api_models" / "__init__.py").read_text(encoding="utf-8")


# Counts how often openapi-spec-validator runs in one CLI run.
_COUNTED_RUN = textwrap.dedent(
    """
    import json, sys
    from generator import _check
    calls = []
    original = _check._openapi_problems
    def counted(spec):
        calls.append(1)
        yield from original(spec)
    _check._openapi_problems = counted
    from generator._cli import main
    code = main(sys.argv[1:])
    print(json.dumps(len(calls)))
    raise SystemExit(code)
    """
)


def _validations(cache: Path, *args: str | Path) -> int:
    import json
    import os

    result = subprocess.run(
        [sys.executable, "-c", _COUNTED_RUN, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
    )
    assert result.returncode == 0, result.stderr
    count: int = json.loads(result.stdout.splitlines()[-1])
    return count


def test_the_spec_is_validated_once_per_run_and_remembered(tmp_path: Path, committed_copy: Path) -> None:
    from tests.generator.conftest import spec_data, write_spec

    data = spec_data()
    data["info"]["version"] = NEXT_MINOR
    data["paths"]["/v1/products"]["get"]["summary"] = "List the products"
    spec = write_spec(tmp_path, data)
    cache = tmp_path / "cache"
    # check --baseline generates to compare: one validation for both.
    assert _validations(cache, "check", "--spec", spec, "--baseline", committed_copy) == 1
    # The same document again (check, then generate): remembered by its sha256.
    assert _validations(cache, "generate", "--spec", spec, "--output", committed_copy) == 0
