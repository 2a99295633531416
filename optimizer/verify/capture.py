"""Capture: run the original under the tests (and --bench) with the target
functions wrapped, and learn per target which tests call it and with what."""
from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from sandboxes import Sandbox

from ..errors import WorkloadFailed
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
    seen_calls: int = 0                               # outermost calls made during capture, in total
    dropped: dict[str, int] = field(default_factory=dict)   # calls seen but not captured, by reason (see DROPS)
    largest_dropped: int = 0                          # bytes of the largest call over the per-call limit
    max_captured: int = 64                            # distinct calls kept at most
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
            if self.seen_calls:
                return f"called {self.seen_calls} times, but no call could be captured: {self._why_dropped()}"
            return "no test or workload called it"
        return ""

    def capture_notes(self) -> list[str]:
        """Plain-language notes on calls that were seen but not captured ([] when none
        were lost but for the max_captured sample, and when refusal says it already)."""
        lost = sum(n for why, n in self.dropped.items() if why != "beyond_max_calls")
        if not lost or not self.n_calls:
            return []
        n = sum(self.dropped.values())
        return [f"{n} call{'s' * (n != 1)} of {self.target.name} (of {self.seen_calls} made) {_were(n)} not "
                f"captured: {self._why_dropped()}"]

    def _why_dropped(self) -> str:
        unserializable = {why.split(": ", 1)[1]: n for why, n in self.dropped.items()
                          if why.startswith("unserializable: ")}
        parts = []
        if unserializable:
            total = sum(unserializable.values())
            ranked = sorted(unserializable.items(), key=lambda kv: -kv[1])
            detail = ranked[0][0] if len(ranked) == 1 else "; ".join(f"{n}: {why}" for why, n in ranked[:3]) \
                + ("; …" if len(ranked) > 3 else "")
            parts.append(f"{total} held values that cannot be serialized ({detail})")
        if self.dropped.get("not_tried"):
            parts.append(f"{self.dropped['not_tried']} {_were(self.dropped['not_tried'])} not tried after {MAX_FAILED_TRIES} of one process "
                         "could not be serialized")
        if self.dropped.get("too_large"):
            parts.append(f"{self.dropped['too_large']} {_were(self.dropped['too_large'])} over the {_size(MAX_CALL_BYTES)} limit per call "
                         f"(largest {_size(self.largest_dropped)})")
        if self.dropped.get("over_budget"):
            parts.append(f"{self.dropped['over_budget']} came after the {_size(MAX_TOTAL_BYTES)} budget for "
                         "all captured calls of a process was spent")
        if self.dropped.get("beyond_max_calls"):
            parts.append(f"{self.dropped['beyond_max_calls']} came after the first {self.max_captured} distinct "
                         "calls were captured")
        return ", ".join(parts) or "no reason was recorded"


# The bounds of capture, as bootstrap/sitecustomize.py applies them (it cannot import this
# module). 1 MB per call for now: issue #18 will raise it.
MAX_CALL_BYTES = 1_000_000
MAX_TOTAL_BYTES = 20_000_000
MAX_FAILED_TRIES = 1000      # sitecustomize.MAX_FAILED_TRIES


def _were(n: int) -> str:
    return "was" if n == 1 else "were"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} KB"


def capture(sandbox: Sandbox, base: Path, scratch: Path, targets: list[Target], bench: str | None,
            max_calls: int = 64, suite_timeout: float = 1800.0) -> tuple[dict[str, Baseline], TestRun]:
    """One run of the whole suite (and one of the bench) with every target wrapped."""
    out_dir = scratch / "capture"
    out_dir.mkdir(parents=True, exist_ok=True)
    config = scratch / "capture.json"
    config.write_text(json.dumps({
        "targets": [{"key": t.name, "module": t.module, "qualname": t.qualname} for t in targets],
        "out_dir": str(out_dir), "max_calls": max_calls,
        "max_call_bytes": MAX_CALL_BYTES, "max_total_bytes": MAX_TOTAL_BYTES,
    }))
    suite = run_tests(sandbox, base, targets, [], suite_timeout, capture_config=config,
                      writable=(out_dir,))
    if suite.crashed:
        errors = [ln for ln in suite.result.stdout.splitlines() if ln.startswith("ERROR ")]
        raise WorkloadFailed("the test suite could not run in a copy of the repository: "
                         + (errors[0] if errors else suite.result.last_line()))
    bench_seconds = 0.0
    if bench:
        env = python_env(base, targets, capture_config=config)
        result = sandbox.run(["sh", "-c", bench], base, env=env, timeout=suite_timeout, writable=(out_dir,))
        if not result.ok:
            raise WorkloadFailed(f"the benchmark command failed (exit {result.returncode}): "
                             + result.last_line())
        bench_seconds = result.seconds
    tests, calls, counts = _merge(out_dir, targets, max_calls)
    calls_dir = scratch / "calls"
    calls_dir.mkdir(exist_ok=True)
    baselines = {}
    for t in targets:
        own = [suite.seconds.get(n, 0.0) for n in tests[t.name]] or list(suite.seconds.values())
        baseline = Baseline(t, tests=sorted(tests[t.name]), suite_seconds=suite.result.seconds,
                            startup_seconds=suite.startup_seconds(), tests_seconds=sum(own),
                            bench_seconds=bench_seconds, max_captured=max_calls, **counts[t.name])
        if calls[t.name]:
            baseline.captured_file = calls_dir / f"{t.name}.pkl"
            baseline.captured_file.write_bytes(pickle.dumps(calls[t.name], protocol=4))
            baseline.n_calls = len(calls[t.name])
        baselines[t.name] = baseline
    return baselines, suite


def _merge(out_dir: Path, targets: list[Target], max_calls: int) \
        -> tuple[dict[str, set], dict[str, list], dict[str, dict]]:
    """Combine the records of every process of the run: tests, calls, and per target
    the counts for Baseline (seen_calls, dropped, largest_dropped). The files were
    written by the original code under its own tests, never by a candidate: safe to
    unpickle (with cloudpickle importable, as it is in this interpreter)."""
    seen: dict[str, set[bytes]] = {t.name: set() for t in targets}
    tests: dict[str, set[str]] = {t.name: set() for t in targets}
    calls: dict[str, list] = {t.name: [] for t in targets}
    counts = {t.name: {"seen_calls": 0, "dropped": {}, "largest_dropped": 0} for t in targets}
    for path in sorted(out_dir.glob("capture-*.pkl")):
        data = pickle.loads(path.read_bytes())
        for key, records in data["calls"].items():
            for rec in records:
                if rec["args"] in seen[key]:
                    continue
                if len(calls[key]) < max_calls:
                    seen[key].add(rec["args"])
                    calls[key].append(rec)
                else:   # kept by its process, but others filled the sample first
                    dropped = counts[key]["dropped"]
                    dropped["beyond_max_calls"] = dropped.get("beyond_max_calls", 0) + 1
        for key, ids in data["tests"].items():
            tests[key].update(ids)
        for key, n in data.get("seen", {}).items():
            counts[key]["seen_calls"] += n
        for key, reasons in data.get("dropped", {}).items():
            for why, n in reasons.items():
                counts[key]["dropped"][why] = counts[key]["dropped"].get(why, 0) + n
        for key, size in data.get("largest", {}).items():
            counts[key]["largest_dropped"] = max(counts[key]["largest_dropped"], size)
    return tests, calls, counts
