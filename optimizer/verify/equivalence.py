"""Equivalence on captured calls: the original's replayed outcomes are the oracle."""
from __future__ import annotations

import json
from pathlib import Path

from sandboxes import Sandbox

from ..model import Verdict
from .capture import Baseline
from .runs import python_env, worker_command


def record_expected(sandbox: Sandbox, base: Path, scratch: Path, baseline: Baseline, timeout: float) -> str:
    """Replay the original twice on its captured calls; keep the deterministic ones.
    Returns a note for the report ('' when every call is replayable)."""
    if not baseline.calls_file:
        return ""
    t = baseline.target
    baseline.expected_file = scratch / f"expected-{t.name}.pkl"
    stable_json = scratch / f"stable-{t.name}.json"
    cmd = worker_command("replay.py", "record", t.module, t.qualname, baseline.calls_file,
                         baseline.expected_file, stable_json)
    result = sandbox.run(cmd, base, env=python_env(base, [t]), timeout=timeout)
    if not result.ok or not stable_json.exists():
        baseline.expected_file = None
        return f"captured calls of {t.name} could not be replayed: {result.last_line()}"
    info = json.loads(stable_json.read_text())
    baseline.stable = info["stable"]
    dropped = info["total"] - len(baseline.stable)
    if dropped:
        return (f"{dropped} of {info['total']} captured calls of {t.name} were set aside: their replay "
                "differs from the capture or between two runs (state, time or randomness)")
    return ""


def check(sandbox: Sandbox, workspace: Path, baseline: Baseline, timeout: float) -> Verdict:
    t = baseline.target
    verdict_json = workspace / ".home" / "verdict.json"
    cmd = worker_command("replay.py", "check", t.module, t.qualname, baseline.calls_file,
                         baseline.expected_file, verdict_json)
    result = sandbox.run(cmd, workspace, env=python_env(workspace, [t]), timeout=timeout)
    if result.timed_out:
        return Verdict(False, "equivalence", f"timed out after {timeout:.0f}s replaying captured calls")
    if not result.ok or not verdict_json.exists():
        return Verdict(False, "equivalence", "crashed replaying captured calls: " + result.last_line())
    data = json.loads(verdict_json.read_text())
    if not data.get("ok"):
        return Verdict(False, "equivalence", str(data.get("reason", "outputs differ")))
    return Verdict(True, "equivalence", calls_checked=int(data.get("checked", 0)))
