"""What the bwrap sandbox costs over the process backend.

    python benchmarks/sandbox_overhead.py [--runs 40] [--out benchmarks/results/sandbox_overhead.json]

Two figures, each measured with both backends alternating in one run (so load
drift hits both alike):
1. one `python -c pass` start: the fixed cost every sandboxed command pays;
2. the README's Quick start job (`optimize case_studies/dedupe --target
   unique_ordered`), end to end, three times per backend.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandboxes import BwrapSandbox, ProcessSandbox, bwrap_problem  # noqa: E402


def start_cost(runs: int) -> dict:
    backends = {"process": ProcessSandbox(), "bwrap": BwrapSandbox()}
    seconds: dict[str, list[float]] = {name: [] for name in backends}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            order = list(backends) if i % 2 == 0 else list(reversed(backends))
            for name in order:
                start = time.perf_counter()
                result = backends[name].run([sys.executable, "-c", "pass"], Path(tmp), timeout=60)
                seconds[name].append(time.perf_counter() - start)
                assert result.ok, result.stderr
    return {name: round(statistics.median(s) * 1000, 1) for name, s in seconds.items()}   # ms


def quick_start(rounds: int) -> dict:
    seconds: dict[str, list[float]] = {"process": [], "bwrap": []}
    for i in range(rounds):
        order = ["process", "bwrap"] if i % 2 == 0 else ["bwrap", "process"]
        for name in order:
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                subprocess.run([str(Path(sys.executable).with_name("optimize")), str(ROOT / "case_studies" / "dedupe"),
                                "--target", "unique_ordered", "--sandbox", name, "--out", out,
                                "--json", os.path.join(out, "report.json")],
                               check=True, capture_output=True, cwd=ROOT)
                seconds[name].append(time.perf_counter() - start)
    return {name: round(statistics.median(s), 1) for name, s in seconds.items()}   # s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    problem = bwrap_problem()
    if problem:
        sys.exit(f"sandbox_overhead: {problem}")
    starts = start_cost(args.runs)
    jobs = quick_start(args.rounds)
    figures = {"python_start_ms": starts, "quick_start_s": jobs,
               "bwrap_extra_ms_per_command": round(starts["bwrap"] - starts["process"], 1)}
    print(json.dumps(figures, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
