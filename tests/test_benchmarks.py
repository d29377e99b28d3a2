"""The benchmark's noise-free gates run as tests: call counts and exactly one renewal."""

from __future__ import annotations

from benchmarks.run import bench_renewal, count_calls


def test_the_overlay_adds_at_most_5_percent_python_calls_per_request() -> None:
    counts = count_calls(requests=50)
    assert counts["PartnerClient"] <= 1.05 * counts["bare generated client"], counts


def test_one_renewal_for_1000_concurrent_calls() -> None:
    result = bench_renewal(calls=1000)
    assert result["renewals"] == 1
