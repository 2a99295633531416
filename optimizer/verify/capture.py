"""Capture: run the original under the tests (and --bench) with the target
functions wrapped, and learn per target which tests call it and with what."""
from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from sandboxes import Sandbox

from ..errors import UsageError
from ..model import Target
from .runs import python_env
from .tests import TestRun, run_tests


@dataclass
class Baseline:
    """What the original does, for one target."""

    target: Target
    tests: list[str] = field(default_factory=list)   # node ids of the tests that call it
    captured_file: Path | None = None                 # pickled list of captured call records
    n_calls: int = 0
    suite_seconds: float = 0.0
    startup_seconds: float = 0.0                      # of a pytest run: interpreter, imports, collection
    tests_seconds: float = 0.0                        # the original's own time in its tests (all, if none known)
    bench_seconds: float = 0.0                        # one run of --bench (with capture on)
    # Filled by equivalence.record_expected:
    calls_file: Path | None = None                    # the calls to judge by: captured + generated
    expected_file: Path | None = None                 # the original's outcome on each of them
    stable: list[int] = field(default_factory=list)   # indices of calls the original replays reliably
    workload: list[int] = field(default_factory=list) # of those, the captured ones: what is timed
    call_seconds: dict[str, float] = field(default_factory=dict)   # the original's time per call
    coverage: dict = field(default_factory=dict)       # what the calls reach of it (blockreach summary)

    def refusal(self, failed_tests: list[str]) -> str:
        """Why this target cannot be optimized ('' when it can)."""
        failing = [n for n in self.tests if n in set(failed_tests)]
        if failing:
            return "its tests fail on the original code: " + ", ".join(failing[:3])
        if not self.n_calls:
            return "no test or workload called it"
        return ""


def capture(sandbox: Sandbox, base: Path, scratch: Path, targets: list[Target], bench: str | None,
            max_calls: int = 64, suite_timeout: float = 1800.0) -> tuple[dict[str, Baseline], TestRun]:
    """One run of the whole suite (and one of the bench) with every target wrapped."""
    out_dir = scratch / "capture"
    out_dir.mkdir(parents=True, exist_ok=True)
    config = scratch / "capture.json"
    config.write_text(json.dumps({
        "targets": [{"key": t.name, "module": t.module, "qualname": t.qualname} for t in targets],
        "out_dir": str(out_dir), "max_calls": max_calls,
    }))
    suite = run_tests(sandbox, base, targets, [], suite_timeout, capture_config=config,
                      writable=(out_dir,))
    if suite.crashed:
        errors = [ln for ln in suite.result.stdout.splitlines() if ln.startswith("ERROR ")]
        raise UsageError("the test suite could not run in a copy of the repository: "
                         + (errors[0] if errors else suite.result.last_line()))
    bench_seconds = 0.0
    if bench:
        env = python_env(base, targets, capture_config=config)
        result = sandbox.run(["sh", "-c", bench], base, env=env, timeout=suite_timeout, writable=(out_dir,))
        if not result.ok:
            raise UsageError(f"the benchmark command failed (exit {result.returncode}): "
                             + result.last_line())
        bench_seconds = result.seconds
    tests, calls = _merge(out_dir, targets, max_calls)
    calls_dir = scratch / "calls"
    calls_dir.mkdir(exist_ok=True)
    baselines = {}
    for t in targets:
        own = [suite.seconds.get(n, 0.0) for n in tests[t.name]] or list(suite.seconds.values())
        baseline = Baseline(t, tests=sorted(tests[t.name]), suite_seconds=suite.result.seconds,
                            startup_seconds=suite.startup_seconds(), tests_seconds=sum(own),
                            bench_seconds=bench_seconds)
        if calls[t.name]:
            baseline.captured_file = calls_dir / f"{t.name}.pkl"
            baseline.captured_file.write_bytes(pickle.dumps(calls[t.name], protocol=4))
            baseline.n_calls = len(calls[t.name])
        baselines[t.name] = baseline
    return baselines, suite


def _merge(out_dir: Path, targets: list[Target], max_calls: int) -> tuple[dict[str, set], dict[str, list]]:
    """Combine the records of every process of the run. The files were written by
    the original code under its own tests, never by a candidate: safe to unpickle."""
    seen: dict[str, set[bytes]] = {t.name: set() for t in targets}
    tests: dict[str, set[str]] = {t.name: set() for t in targets}
    calls: dict[str, list] = {t.name: [] for t in targets}
    for path in sorted(out_dir.glob("capture-*.pkl")):
        data = pickle.loads(path.read_bytes())
        for key, records in data["calls"].items():
            for rec in records:
                if rec["args"] not in seen[key] and len(calls[key]) < max_calls:
                    seen[key].add(rec["args"])
                    calls[key].append(rec)
        for key, ids in data["tests"].items():
            tests[key].update(ids)
    return tests, calls
