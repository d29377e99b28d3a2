"""The benchmark's noise-free gates run as tests: call counts and exactly one renewal."""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.run import bench_renewal, count_calls
from tests._paths import ROOT


def test_the_overlay_adds_at_most_5_percent_python_calls_per_request() -> None:
    counts = count_calls(requests=50)
    assert counts["PartnerClient"] <= 1.05 * counts["bare generated client"], counts


def test_one_renewal_for_1000_concurrent_calls() -> None:
    result = bench_renewal(calls=1000)
    assert result["renewals"] == 1


def test_the_worst_case_operation_adds_at_most_5_percent_python_calls() -> None:
    # The last templated GET: with a regex scan per templated operation it cost the most.
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.worst_case", "--calls"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    calls = json.loads(result.stdout)["calls"]
    assert calls["PartnerClient"] <= 1.05 * calls["bare"], calls
