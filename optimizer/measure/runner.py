"""Time original and candidate in fresh worker processes, alternating
A B, B A, A B ... so that drift in the machine's load hits both sides."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

from sandboxes import Sandbox

from ..model import Measurement
from ..verify.capture import Baseline
from ..verify.runs import new_seal, python_env, worker_command
from . import stats


class MeasureError(Exception):
    """A worker failed; the message says how."""


@dataclass(frozen=True)
class MeasureSettings:
    rounds: int = 6                 # worker pairs per side, at least
    max_rounds: int = 30            # ... and at most, while the decision is still open
    samples_per_worker: int = 3
    sample_seconds: float = 0.02    # calibrated length of one sample
    budget_seconds: float = 9.0     # wall time after which no more rounds are added (goal: 10 s)
    threshold: float = 1.05         # the decision the extra rounds try to settle
    timeout: float = 120.0


def measure(sandbox: Sandbox, base: Path, candidate: Path, baseline: Baseline,
            settings: MeasureSettings = MeasureSettings(), cold: bool = False) -> Measurement:
    """Interleaved A/B timing. Rounds are added (up to max_rounds and the time budget)
    while the interval still straddles the threshold. cold=True: one pass per fresh
    process, for candidates that cache results between calls."""
    start = time.monotonic()
    loops, mode, per_worker = 1, "cold", 1
    if not cold:
        loops = int(_run(sandbox, base, baseline, 0, settings.sample_seconds, settings.timeout)["loops"])
        mode, per_worker = "warm", settings.samples_per_worker
    scale = settings.samples_per_worker if cold else 1   # cold workers give one sample: more of them
    sides: dict[str, list[float]] = {"a": [], "b": []}
    rounds = 0
    while True:
        for side, workspace in _alternate(rounds, base, candidate):
            out = _run(sandbox, workspace, baseline, loops, per_worker, settings.timeout, mode)
            # One value per worker: samples of one process share its load and placement,
            # so they are not independent; the interval is over workers.
            sides[side].append(stats.median([float(x) for x in out["samples"]]))
        rounds += 1
        if rounds < settings.rounds * scale:
            continue
        ci = stats.bootstrap_ci(sides["a"], sides["b"])
        undecided = ci[0] < settings.threshold <= ci[1]
        if not undecided or rounds >= settings.max_rounds * scale or time.monotonic() - start > settings.budget_seconds:
            break
    a, b = sides["a"], sides["b"]
    workload = f"{len(baseline.workload)} captured calls"
    workload += ", one cold pass per process (the candidate caches results)" if cold else ""
    return Measurement(speedup=stats.speedup(a, b), ci=ci, baseline_s=stats.median(a),
                       candidate_s=stats.median(b), samples=len(a), workload=workload)   # samples: workers per side


def peak_memory(sandbox: Sandbox, base: Path, candidate: Path, baseline: Baseline,
                settings: MeasureSettings = MeasureSettings()) -> tuple[int, int]:
    """Peak traced memory of one pass over the captured calls: (original, candidate)."""
    return tuple(int(_run(sandbox, w, baseline, 1, 1, settings.timeout, "memory")["peak_bytes"])
                 for w in (base, candidate))


def measure_bench(sandbox: Sandbox, base: Path, candidate: Path, command: str, env_for,
                  rounds: int = 5, timeout: float = 1800.0) -> Measurement:
    """End-to-end confirmation: the --bench command's wall time, original and candidate
    alternating, as the same ratio of medians with its interval."""
    sides: dict[str, list[float]] = {"a": [], "b": []}
    for i in range(rounds):
        for side, workspace in _alternate(i, base, candidate):
            result = sandbox.run(["sh", "-c", command], workspace, env=env_for(workspace), timeout=timeout)
            if not result.ok:
                raise MeasureError(f"the benchmark failed (exit {result.returncode}): {result.last_line()}")
            sides[side].append(result.seconds)
    a, b = sides["a"], sides["b"]
    return Measurement(speedup=stats.speedup(a, b), ci=stats.bootstrap_ci(a, b), baseline_s=stats.median(a),
                       candidate_s=stats.median(b), samples=len(a), workload=f"--bench {command!r}")


def calibrate(sandbox: Sandbox, base: Path, copy: Path, baseline: Baseline,
              settings: MeasureSettings) -> tuple[MeasureSettings, Measurement, str]:
    """A/A: the original against an identical copy measures this machine's noise now.
    When that interval reaches the threshold, every candidate gets the most rounds
    (and the note says so) rather than a decision noise could have made."""
    noise = measure(sandbox, base, copy, baseline, replace(settings, max_rounds=settings.rounds))   # fixed rounds
    low, high = noise.ci
    if high < settings.threshold and low > 1 / settings.threshold:
        return settings, noise, ""
    more = replace(settings, rounds=min(settings.max_rounds, 2 * settings.rounds))
    note = (f"noisy machine: {baseline.target.name} against an identical copy measured {noise.speedup:.3f}x "
            f"[{low:.3f}, {high:.3f}], reaching the {settings.threshold}x threshold; each candidate gets "
            f"at least {more.rounds} rounds, and is kept only if its interval still clears it")
    return more, noise, note


def _alternate(i: int, base: Path, candidate: Path) -> tuple[tuple[str, Path], tuple[str, Path]]:
    """A B, then B A: whatever drifts during a pair of rounds hits both sides alike."""
    return (("a", base), ("b", candidate)) if i % 2 == 0 else (("b", candidate), ("a", base))


def _run(sandbox: Sandbox, workspace: Path, baseline: Baseline, loops: int, samples, timeout: float,
         mode: str = "warm") -> dict:
    """One worker process; loops=0 asks it to calibrate instead."""
    t = baseline.target
    (workspace / ".home").mkdir(exist_ok=True)
    out_file = workspace / ".home" / "timing.json"
    out_file.unlink(missing_ok=True)
    indices = workspace / ".home" / "measure-indices.json"
    indices.write_text(json.dumps(baseline.workload))
    cmd = worker_command("timeit_worker.py", t.module, t.qualname, baseline.calls_file, indices,
                         out_file, loops, samples, mode)
    seal = new_seal()
    result = sandbox.run(cmd, workspace, env=python_env(workspace, [t]), timeout=timeout, stdin=seal + "\n")
    if result.limit:
        raise MeasureError(f"timing worker {result.why_stopped()}")
    if not result.ok or not out_file.exists():
        raise MeasureError("timing worker failed: " + result.last_line())
    try:
        data = json.loads(out_file.read_text())
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("seal") != seal:
        raise MeasureError("the timing result was not written by the worker (forged)")
    return data
