"""Time original and candidate in fresh worker processes, alternating
A B, B A, A B ... so that drift in the machine's load hits both sides."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sandboxes import Sandbox

from ..model import Measurement
from ..verify.capture import Baseline
from ..verify.runs import python_env, worker_command
from . import stats


class MeasureError(Exception):
    """A worker failed; the message says how."""


@dataclass(frozen=True)
class MeasureSettings:
    rounds: int = 6                 # worker pairs per side
    samples_per_worker: int = 3
    sample_seconds: float = 0.02    # calibrated length of one sample
    timeout: float = 120.0


def measure(sandbox: Sandbox, base: Path, candidate: Path, baseline: Baseline,
            settings: MeasureSettings = MeasureSettings()) -> Measurement:
    loops = int(_run(sandbox, base, baseline, 0, settings.sample_seconds, settings.timeout)["loops"])
    sides: dict[Path, list[float]] = {base: [], candidate: []}
    for i in range(settings.rounds):
        order = (base, candidate) if i % 2 == 0 else (candidate, base)
        for workspace in order:
            out = _run(sandbox, workspace, baseline, loops, settings.samples_per_worker, settings.timeout)
            sides[workspace] += [float(s) for s in out["samples"]]
    a, b = sides[base], sides[candidate]
    return Measurement(speedup=stats.speedup(a, b), ci=stats.bootstrap_ci(a, b),
                       baseline_s=stats.median(a), candidate_s=stats.median(b), samples=len(a))


def _run(sandbox: Sandbox, workspace: Path, baseline: Baseline, loops: int, samples, timeout: float) -> dict:
    """One worker process; loops=0 asks it to calibrate instead."""
    t = baseline.target
    (workspace / ".home").mkdir(exist_ok=True)
    out_file = workspace / ".home" / "timing.json"
    out_file.unlink(missing_ok=True)
    indices = workspace / ".home" / "measure-indices.json"
    indices.write_text(json.dumps(baseline.workload))
    cmd = worker_command("timeit_worker.py", t.module, t.qualname, baseline.calls_file, indices,
                         out_file, loops, samples)
    result = sandbox.run(cmd, workspace, env=python_env(workspace, [t]), timeout=timeout)
    if result.timed_out:
        raise MeasureError(f"timing worker timed out after {timeout:.0f}s")
    if not result.ok or not out_file.exists():
        raise MeasureError("timing worker failed: " + result.last_line())
    return json.loads(out_file.read_text())
