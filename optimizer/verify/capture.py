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
    max_call_bytes: int = 0                           # the limits capture applied (CaptureLimits)
    max_total_bytes: int = 0
    heaviest_made: int = 0                            # the weight of the largest call the workload made
    heaviest_kept: int = 0                            # the weight of the largest call captured
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
    call_weights: dict[str, int] = field(default_factory=dict)     # a workload call's size (items it passes)
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

    def size_bands(self, spread: float = 4.0) -> dict[str, int]:
        """{"smallest", "median", "largest": a workload call's index} by the items the
        calls pass, when the workload has at least three calls and its largest passes
        `spread` times what its smallest does; else {} (one figure says it all)."""
        weighted = sorted((self.call_weights.get(str(i), 0), i) for i in self.workload)
        if len(weighted) < 3 or weighted[-1][0] < spread * max(1, weighted[0][0]):
            return {}
        return {"smallest": weighted[0][1], "median": weighted[len(weighted) // 2][1], "largest": weighted[-1][1]}

    def summary(self) -> dict:
        """What capture saw and kept, for the report: calls made and captured, the ones
        not captured by reason, and how large the largest made and kept were."""
        return {"made": self.seen_calls, "captured": self.n_calls, "dropped": dict(self.dropped),
                "largest_dropped_bytes": self.largest_dropped, "heaviest_made": self.heaviest_made,
                "heaviest_kept": self.heaviest_kept,
                "limits": {"max_calls": self.max_captured, "max_call_bytes": self.max_call_bytes,
                           "max_total_bytes": self.max_total_bytes}}

    def size_warning(self, ratio: float = 10.0) -> str:
        """'' unless the calls kept are much smaller than the largest the workload made
        (weights, sitecustomize.weight: about the items passed)."""
        if not self.n_calls or self.heaviest_made < ratio * max(1, self.heaviest_kept):
            return ""
        why = self._why_dropped() if self.dropped else "no reason was recorded"
        return (f"{self.target.name} is measured on calls much smaller than the workload's largest: the largest "
                f"captured passes about {self.heaviest_kept:,} items, the largest made about {self.heaviest_made:,}; "
                f"{why}. A speedup measured on small calls may not hold on large ones: raise --max-call-mb")

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
            parts.append(f"{self.dropped['too_large']} {_were(self.dropped['too_large'])} over the {_size(self.max_call_bytes)} limit per call "
                         f"(largest {_size(self.largest_dropped)})")
        if self.dropped.get("over_budget"):
            parts.append(f"{self.dropped['over_budget']} came after the {_size(self.max_total_bytes)} budget for "
                         "all captured calls of a process was spent")
        if self.dropped.get("beyond_max_calls"):
            parts.append(f"{self.dropped['beyond_max_calls']} {_were(self.dropped['beyond_max_calls'])} not among "
                         f"the {self.max_captured} kept (half the first seen, half the largest)")
        return ", ".join(parts) or "no reason was recorded"


@dataclass(frozen=True)
class CaptureLimits:
    """The bounds of capture, as bootstrap/sitecustomize.py applies them (it cannot import
    this module). Sized for the machine this runs on (2 cores, 24 GB): a call of up to
    64 MB serialized (a 30,000-node graph is a few MB), 1 GB per process in all; the
    settings max_call_mb and max_capture_mb change them."""

    max_calls: int = 64
    max_call_bytes: int = 64_000_000
    max_total_bytes: int = 1_000_000_000

    def to_json(self) -> dict:
        return {"max_calls": self.max_calls, "max_call_bytes": self.max_call_bytes,
                "max_total_bytes": self.max_total_bytes}


MAX_FAILED_TRIES = 1000      # sitecustomize.MAX_FAILED_TRIES


def _were(n: int) -> str:
    return "was" if n == 1 else "were"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} KB"


def capture(sandbox: Sandbox, base: Path, scratch: Path, targets: list[Target], bench: str | None,
            limits: CaptureLimits = CaptureLimits(), suite_timeout: float = 1800.0) \
        -> tuple[dict[str, Baseline], TestRun]:
    """One run of the whole suite (and one of the bench) with every target wrapped."""
    out_dir = scratch / "capture"
    out_dir.mkdir(parents=True, exist_ok=True)
    config = scratch / "capture.json"
    max_calls = limits.max_calls
    config.write_text(json.dumps({
        "targets": [{"key": t.name, "module": t.module, "qualname": t.qualname} for t in targets],
        "out_dir": str(out_dir), **limits.to_json(),
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
                            bench_seconds=bench_seconds, max_captured=max_calls, max_call_bytes=limits.max_call_bytes,
                            max_total_bytes=limits.max_total_bytes, **counts[t.name])
        if calls[t.name]:
            baseline.captured_file = calls_dir / f"{t.name}.pkl"
            baseline.captured_file.write_bytes(pickle.dumps(calls[t.name], protocol=4))
            baseline.n_calls = len(calls[t.name])
        baselines[t.name] = baseline
    return baselines, suite


def _merge(out_dir: Path, targets: list[Target], max_calls: int) \
        -> tuple[dict[str, set], dict[str, list], dict[str, dict]]:
    """Combine the records of every process of the run: tests, calls, and per target
    the counts for Baseline (seen_calls, dropped, largest_dropped, the heaviest calls).
    Of the distinct calls, as each process kept them: the first half of max_calls in the
    order the processes ran, the rest the heaviest (sitecustomize.weight). The files were
    written by the original code under its own tests, never by a candidate: safe to
    unpickle (with cloudpickle importable, as it is in this interpreter)."""
    tests: dict[str, set[str]] = {t.name: set() for t in targets}
    found: dict[str, dict[bytes, dict]] = {t.name: {} for t in targets}
    counts = {t.name: {"seen_calls": 0, "dropped": {}, "largest_dropped": 0, "heaviest_made": 0} for t in targets}
    for path in sorted(out_dir.glob("capture-*.pkl"), key=lambda p: p.stat().st_mtime):
        data = pickle.loads(path.read_bytes())
        for key, records in data["calls"].items():
            for rec in records:
                found[key].setdefault(rec["args"], rec)
        for key, ids in data["tests"].items():
            tests[key].update(ids)
        for key, n in data.get("seen", {}).items():
            counts[key]["seen_calls"] += n
        for key, reasons in data.get("dropped", {}).items():
            for why, n in reasons.items():
                counts[key]["dropped"][why] = counts[key]["dropped"].get(why, 0) + n
        for key, size in data.get("largest", {}).items():
            counts[key]["largest_dropped"] = max(counts[key]["largest_dropped"], size)
        for key, w in data.get("heaviest", {}).items():
            counts[key]["heaviest_made"] = max(counts[key]["heaviest_made"], w)
    calls: dict[str, list] = {}
    for key, by_args in found.items():
        records = list(by_args.values())
        first = records[:max(1, max_calls // 2)]
        rest = sorted(records[len(first):], key=lambda r: -r.get("weight", 0))[:max_calls - len(first)]
        calls[key] = first + rest
        left = len(records) - len(calls[key])
        if left:   # kept by their processes, but others' first and heaviest filled the sample
            dropped = counts[key]["dropped"]
            dropped["beyond_max_calls"] = dropped.get("beyond_max_calls", 0) + left
        counts[key]["heaviest_kept"] = max((r.get("weight", 0) for r in calls[key]), default=0)
    return tests, calls, counts
