"""--metric instructions: count instructions instead of seconds. A count does not
depend on the machine's load: `perf stat` where the kernel allows it, else
valgrind's cachegrind (some 20-50x slower, so on a reduced workload: the captured
calls that take the original longest, up to REDUCED_CALLS of them and
REDUCED_SECONDS of its time, one pass; they weigh most in the timed passes,
which add up every call's time). Each side's count is its run over those calls
minus a run that prepares the same calls (start-up, imports, unpickling the
arguments, reading which calls return an iterator to consume) and makes none of
them, so only the calls themselves are counted: work both sides do alike would
dilute the ratio toward 1.

warm=True (the second opinion on a time speedup, decide.second_opinion): both
runs first make every call once on copies of their own, so the count is of a
second pass, as the timed samples are after their warm-up. A first call in a
fresh process pays one-time costs the timed samples never see (the first
isinstance() against an abstract class walks its registry: toolz's frequencies
rewritten with collections.Counter counted 0.25x cold where it timed 1.30x warm,
and the second opinion vetoed an honest gain). As the primary metric
(--metric instructions) the pass stays cold: a candidate that caches results
would count its second pass as free."""
from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path

from sandboxes import Sandbox

from ..model import Measurement
from ..verify.capture import Baseline
from ..verify.runs import python_env, worker_command
from .runner import MeasureError

REDUCED_CALLS = 5
REDUCED_SECONDS = 0.05  # of the original's time per pass of the reduced calls: cachegrind makes that ~1-2 s


def reduced_calls(baseline: Baseline) -> list[int]:
    """The captured calls counted: the most expensive ones (the original's replay times),
    up to REDUCED_CALLS and REDUCED_SECONDS, at least one; in workload order."""
    seconds = {i: baseline.call_seconds.get(str(i), 0.0) for i in baseline.workload}
    chosen, total = [], 0.0
    for i in sorted(baseline.workload, key=lambda i: -seconds[i]):
        if chosen and (len(chosen) >= REDUCED_CALLS or total + seconds[i] > REDUCED_SECONDS):
            continue
        chosen.append(i)
        total += seconds[i]
    return [i for i in baseline.workload if i in chosen]


@functools.cache
def counter() -> str | None:
    """'perf', 'cachegrind' (valgrind's), or None when neither can count here."""
    if shutil.which("perf"):
        probe = subprocess.run(["perf", "stat", "-x,", "-e", "instructions:u", "true"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and "<not supported>" not in probe.stderr and "<not counted>" not in probe.stderr:
            return "perf"
    return "cachegrind" if shutil.which("valgrind") else None


def measure_instructions(sandbox: Sandbox, base: Path, candidate: Path, baseline: Baseline,
                         warm: bool = False, original_counts: dict[str, int] | None = None) -> Measurement:
    """original_counts: the original's net counts by mode, filled on first use and reused
    for the target's later candidates (the original's copy does not change: two of the
    four counter runs per candidate saved)."""
    tool = counter()
    if tool is None:
        raise MeasureError("no instruction counter: install valgrind, or allow perf")
    calls = reduced_calls(baseline)
    # valgrind runs code some 20-50 times slower, start-up included: the limit follows the original
    passes = 2 if warm else 1
    timeout = 60 + 100 * (baseline.startup_seconds + passes * sum(baseline.call_seconds.get(str(i), 0.0) for i in calls))
    mode = "count:warm" if warm else "count"

    def net(workspace: Path) -> int:
        return (_count(tool, sandbox, workspace, baseline, calls, timeout, mode=mode)
                - _count(tool, sandbox, workspace, baseline, calls, timeout, make_calls=False, mode=mode))

    memo = original_counts if original_counts is not None else {}
    if mode not in memo:
        memo[mode] = net(base)
    counts = [memo[mode], net(candidate)]
    if counts[1] <= 0 or counts[0] <= 0:
        raise MeasureError(f"instruction counts too small to compare: {counts}")
    ratio = counts[0] / counts[1]
    return Measurement(speedup=ratio, ci=(ratio, ratio), baseline_s=float(counts[0]), candidate_s=float(counts[1]),
                       samples=1, workload=f"instructions ({tool}) over {len(calls)} captured calls, one "
                                           f"{'warm ' if warm else ''}pass",
                       metric="instructions")


def _count(tool: str, sandbox: Sandbox, workspace: Path, baseline: Baseline, calls: list[int], timeout: float,
           make_calls: bool = True, mode: str = "count") -> int:
    t = baseline.target
    home = workspace / ".home"
    home.mkdir(exist_ok=True)
    indices, out, counted = home / "count-indices.json", home / "count.json", home / f"count-{tool}.out"
    indices.write_text(json.dumps(calls))
    counted.unlink(missing_ok=True)
    # The expected outcomes say which calls return an iterator, to be consumed as when timed.
    worker = worker_command("timeit_worker.py", t.module, t.qualname, baseline.calls_file, indices, out, 1,
                            int(make_calls), mode,
                            baseline.expected_file or "-", "0", "0")
    if tool == "perf":
        cmd = ["perf", "stat", "-x,", "-e", "instructions:u", "-o", str(counted), "--", *worker]
    else:
        # cachegrind without its cache simulation counts the same instructions as callgrind,
        # some 3 times faster (no call graph is kept).
        cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={counted}", *worker]
    result = sandbox.run(cmd, workspace, env=python_env(workspace, [t]), timeout=timeout)
    if not result.ok or not counted.exists():
        raise MeasureError(f"{tool} failed: {result.last_line()}")
    return _parse(tool, counted.read_text())


def _parse(tool: str, text: str) -> int:
    for line in text.splitlines():
        if tool == "perf" and ",instructions" in line:
            return int(line.split(",", 1)[0])
        if tool == "cachegrind" and line.startswith("summary:"):
            return int(line.split()[1])
    raise MeasureError(f"no instruction count in the {tool} output")
