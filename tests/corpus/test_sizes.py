"""A large spec (made by tests/sizes.py): generated, then the suites that derive their cases from
the manifest and the spec run on it unchanged, in their own interpreter with its package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests._paths import ROOT
from tests.generator.conftest import run_generator
from tests.sizes import make_spec

OPERATIONS = 400
# The suites whose cases come from the manifest and the spec (no table per operation).
SUITES = (
    "tests/overlay",
    "tests/contract/test_prism_mock.py",
    "tests/contract/test_examples.py",
    "tests/generator/test_manifest.py",
    "tests/test_benchmarks.py::test_the_worst_case_operation_adds_at_most_5_percent_python_calls",
)


def test_the_suites_run_unchanged_on_a_large_spec(tmp_path: Path) -> None:
    data = make_spec(OPERATIONS)
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    output = tmp_path / "generated"
    result = run_generator("generate", "--spec", spec, "--output", output)
    assert result.returncode == 0, result.stderr
    assert f"{OPERATIONS} operations" in result.stdout
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join((str(output), str(ROOT / "overlays"), str(ROOT))),
        "PARTNER_API_TEST_SPEC": str(spec),
        "PARTNER_API_TEST_GENERATED": str(output),
    }
    probe = subprocess.run(
        [sys.executable, "-c", "from partner_api_client._manifest import OPERATIONS; print(len(OPERATIONS))"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == str(OPERATIONS)
    suites = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *SUITES],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    assert suites.returncode == 0, suites.stdout[-4000:] + suites.stderr[-2000:]
