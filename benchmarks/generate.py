"""Wall time of `python -m generator generate` against openapi-python-client run alone.

Interleaves the three variants over several rounds on the same spec and prints medians and
ratios: absolute times differ between runs on shared machines, ratios from one run do not.
Run: .venv/bin/python benchmarks/generate.py [--rounds N]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "openapi.yaml"


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # noqa: S603 (fixed commands)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    tool = str(Path(sys.executable).parent / "openapi-python-client")
    results: dict[str, list[float]] = {
        "openapi-python-client alone": [],
        "generate (full)": [],
        "generate (unchanged)": [],
    }
    with tempfile.TemporaryDirectory() as scratch:
        alone, ours = Path(scratch, "alone"), Path(scratch, "ours")
        for _ in range(rounds):
            shutil.rmtree(alone, ignore_errors=True)
            results["openapi-python-client alone"].append(
                _timed([tool, "generate", "--path", str(SPEC), "--output-path", str(alone), "--meta", "none"])
            )
            generate = [
                sys.executable,
                "-m",
                "generator",
                "generate",
                "--spec",
                str(SPEC),
                "--output",
                str(ours),
            ]
            results["generate (full)"].append(_timed([*generate, "--force"]))
            results["generate (unchanged)"].append(_timed(generate))
    baseline = statistics.median(results["openapi-python-client alone"])
    print(f"{platform.node()} {platform.machine()} Python {platform.python_version()}, {rounds} rounds")
    print(f"{'variant':32} {'median s':>9} {'vs tool alone':>14}")
    for name, times in results.items():
        median = statistics.median(times)
        print(f"{name:32} {median:9.3f} {median / baseline:13.2f}x")


if __name__ == "__main__":
    main()
