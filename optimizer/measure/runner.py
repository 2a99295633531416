"""Time original and candidate in fresh worker processes, side by side, so that
what the machine does meanwhile hits both alike (issue #13).

A round is two workers started at once, the original's and the candidate's
(Pairing): both prepare, then pin themselves to one CPU and take turns, handing
the turn to each other through a pair of FIFOs (A B B A A B ...;
bootstrap/timeit_worker.py's paired mode), so that the two samples of a pair are
taken one right after the other. The cold mode (one pass per fresh process, for
caches) runs its workers one after the other, A B then B A. Each round gives
one ratio (Sides): for paired workers, the median of its quiet pairs' ratios
(Sides.add_pair); the speedup and its interval are the trimmed mean of the
rounds' log ratios and its bootstrap (stats.ratio_speedup, ratio_ci), over
rounds because separate processes differ (memory layout) more than samples in
one process do. The measure is the CPU time of the timing thread (user +
system), in which time spent waiting for a CPU while other processes run does
not count; when either side blocks (its wall time exceeds CPU time plus time
waiting for a CPU by more than BLOCKING: I/O, sleeps), CPU time would miss
that cost, and wall time decides instead (Sides.metric). Workers report how
many samples they took and how many were disturbed (waited for a CPU for
DISTURBED of their time or more); while a measurement's share of disturbed samples is
BUSY_SHARE or more, its time budget is busy_budget_seconds instead of
budget_seconds. Whether that was enough to decide is decide.py's business: the
measurement carries the share.

Two checks keep a candidate from faking speed in the timing workers:

- What is timed is judged (bootstrap/timeit_worker.py): in every mode but the
  instruction count, the worker compares the results of calls it actually timed
  (one random pass per sample) with the original's recorded outcomes, under the
  replay's --rtol/--loose-errors. A difference raises TimedOutcomeMismatch for
  the candidate (evaluate rejects it: "its timed calls behaved differently from
  the replay: ..."); on the original's side it is a plain MeasureError (the
  oracle itself does not hold), and in the A/A calibration either one means the
  original cannot be timed.
- Caches are found by behaviour, not only by syntax (caching.memoizes): each warm
  worker first times one pass on its own, the captured calls' first calls in a
  fresh process (a cold pass, at no extra process). After the minimum warm rounds
  (at least FIRST_CALL_WORKERS per side), a candidate whose repeated calls gain
  more than FIRST_CALL_FACTOR times what the original's gain over their first
  calls (medians over workers), and whose first-call speedup interval lies wholly
  below its warm one, caches results between calls: it is judged on first calls
  instead (the whole measurement in cold mode, the first passes counting as its
  first rounds), and the workload text says why. Why 2x: a cache's repeated calls
  skip the work, gaining 10x-1000x on the captured calls; a correct rewrite's first
  calls are dearer than its repeated ones for the same reasons as the original's
  (imports, a cold interpreter and caches), which cancel in the ratio, so 2x leaves
  room for noise and catches caches that merely halve the cost of a repeat. See
  stats.caches for the rule.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path

from sandboxes import Sandbox

from ..model import Measurement
from ..verify.capture import Baseline
from ..verify.equivalence import Strictness
from ..verify.runs import new_seal, python_env, worker_command
from . import stats
from .decide import BUSY_SHARE

DISTURBED = 0.05   # timeit_worker.DISTURBED: a sample that waited this share of its time for a CPU

BLOCKING = 0.10            # either side's samples blocked (neither on a CPU nor waiting) this share: wall time decides
CALIBRATION_FACTOR = 2     # the A/A takes this times the minimum rounds: its interval sets every candidate's bar
FIRST_CALL_WORKERS = 3     # at least this many workers per side time the calls' first pass
FIRST_CALL_FACTOR = 2.0    # repeated calls gaining more than this times the original's gain: a cache
JUDGED_COLD = "judged on first calls"


class MeasureError(Exception):
    """A worker failed; the message says how."""


class TimedOutcomeMismatch(MeasureError):
    """The candidate's timed calls did not do what the replay recorded of the original:
    it behaves for the replay worker and differently while it is timed. The message
    names the call, the run it was timed in, and what differed."""


@dataclass(frozen=True)
class MeasureSettings:
    rounds: int = 6                 # worker pairs per side, at least
    max_rounds: int = 30            # ... and at most, while the decision is still open
    samples_per_worker: int = 2     # paired: each worker takes twice this many samples, one per pair
    sample_seconds: float = 0.02    # calibrated length of one sample
    budget_seconds: float = 9.0     # wall time after which no more rounds are added (goal: 10 s)
    busy_budget_seconds: float = 18.0   # ... on a busy machine (BUSY_SHARE; goal: 20 s)
    threshold: float = 1.05         # the decision the extra rounds try to settle
    timeout: float = 120.0
    noise: tuple[float, float, float] | None = None   # this target's A/A (speedup, low, high): calibrate
    lock: str = ""                  # a file every timing on this machine locks (executors: Ray); "": none


@dataclass
class Sides:
    """What the workers of a measurement reported, one entry per worker in round order
    per side ("a" the original, "b" the candidate), and one ratio per round and
    measure: the workers of a round are a pair."""

    wall: dict[str, list[float]]
    cpu: dict[str, list[float]]
    blocked: dict[str, list[float]]   # share of a sample neither on a CPU nor waiting for one
    waited: list[float]               # share of a sample spent waiting for a CPU, per worker
    ratios: dict[str, list[float]]    # per measure ("cpu time", "wall time"): a / b per round
    taken: int = 0                    # samples taken, retakes and spare blocks included
    disturbed: int = 0                # ... of which waited for a CPU

    @classmethod
    def empty(cls) -> "Sides":
        return cls({"a": [], "b": []}, {"a": [], "b": []}, {"a": [], "b": []}, [],
                   {"cpu time": [], "wall time": []})

    def add(self, side: str, out: dict) -> None:
        """One worker's result (workers run one after the other): its median sample, per
        measure; the second side of a round completes the round's ratios."""
        self._side(side, out, range(len(out["samples"])))
        if len(self.wall["a"]) == len(self.wall["b"]):
            for metric, values in (("cpu time", self.cpu), ("wall time", self.wall)):
                self.ratios[metric].append(values["a"][-1] / max(values["b"][-1], 1e-12))

    def add_pair(self, a: dict, b: dict) -> bool:
        """A round of two paired workers (timeit_worker's paired mode): their samples pair
        by turn ("blocks": the two samples of a pair were taken one right after the
        other), and only pairs of which both samples were taken count. Pairs with a
        sample that waited for a CPU are left out while at least half remain. The
        round's ratio, per measure, is the median of its pairs' ratios: the speed of a
        virtual CPU changes by up to half within tens of milliseconds, and a pair's two
        samples share it where samples of separate pairs do not. Per side, the mean of
        the lower half of the chosen samples (low_half) is kept as its typical time.
        False when the two workers took no pair in common."""
        where = [{blk: k for k, blk in enumerate(out.get("blocks", []))} for out in (a, b)]
        common = [blk for blk in where[0] if blk in where[1]]
        if not common:
            return False
        quiet = [blk for blk in common if max(_disturbance(out, pos[blk]) for out, pos in zip((a, b), where)) == 0]
        chosen = quiet if 2 * len(quiet) >= len(common) else common
        for side, out, pos in (("a", a, where[0]), ("b", b, where[1])):
            self._side(side, out, [pos[blk] for blk in chosen], low_half)
        for metric, key in (("cpu time", "cpu"), ("wall time", "samples")):
            self.ratios[metric].append(stats.median([
                float(a[key][where[0][blk]]) / max(float(b[key][where[1][blk]]), 1e-12) for blk in chosen]))
        return True

    def _side(self, side: str, out: dict, picked, typical=stats.median) -> None:
        walls = [float(out["samples"][k]) for k in picked]
        cpus = [float(out.get("cpu", out["samples"])[k]) for k in picked]
        waits = [float(out["waited"][k]) if "waited" in out else 0.0 for k in picked]
        self.wall[side].append(typical(walls))
        self.cpu[side].append(typical(cpus))
        self.blocked[side].append(stats.median([max(0.0, 1 - c / max(w, 1e-12) - s)
                                                for w, c, s in zip(walls, cpus, waits)]))
        self.waited.append(stats.median(waits))
        self.taken += int(out.get("taken", len(out["samples"])))
        self.disturbed += int(out.get("disturbed", 0))

    def __len__(self) -> int:
        return len(self.ratios["wall time"])

    @property
    def metric(self) -> str:
        blocked = max((stats.median(v) for v in self.blocked.values() if v), default=0.0)
        return "wall time" if blocked > BLOCKING else "cpu time"

    def values(self, side: str) -> list[float]:
        return (self.cpu if self.metric == "cpu time" else self.wall)[side][:len(self)]

    def speedup(self, metric: str | None = None) -> float:
        return stats.ratio_speedup(self.ratios[metric or self.metric])

    def interval(self, metric: str | None = None) -> tuple[float, float]:
        return stats.ratio_ci(self.ratios[metric or self.metric])

    @property
    def disturbed_share(self) -> float:
        return self.disturbed / self.taken if self.taken else 0.0

    @staticmethod
    def first_pass(out: dict) -> dict:
        """A warm worker's first (cold) pass, as a cold worker would report it."""
        return {"samples": [out["first_pass"]], "cpu": [out.get("first_cpu", out["first_pass"])],
                "waited": [out.get("first_waited", 0.0)], "taken": 1, "disturbed": 0}


def _disturbance(out: dict, k: int) -> float:
    """How disturbed a paired sample was: 0 if not, else the share of it spent waiting for a CPU."""
    waited = float(out["waited"][k])
    return waited if waited >= DISTURBED else 0.0


def low_half(values: list[float]) -> float:
    """The mean of the lower half (at least one value). What disturbs a sample only ever
    adds time (another process, the host taking the virtual CPU away: CPU time counts
    that too), and it comes in spikes of 20-50% on one sample in several; the lower
    half leaves them out without resting on the single luckiest sample."""
    ordered = sorted(values)
    low = ordered[:max(1, len(ordered) // 2)]
    return sum(low) / len(low)


@contextlib.contextmanager
def quiet_machine(lock: str):
    """Hold this machine's measurement slot while timing: with several targets judged at
    once on one machine (Ray), their timings take turns, so no two candidates are ever
    timed side by side. An flock: the kernel frees it when its holder dies."""
    if not lock:
        yield
        return
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def measure(sandbox: Sandbox, base: Path, candidate: Path, baseline: Baseline,
            settings: MeasureSettings = MeasureSettings(), cold: bool | str = False,
            strictness: Strictness | None = None, probe_caching: bool = True) -> Measurement:
    """Interleaved A/B timing, holding the machine's measurement slot (quiet_machine). Rounds are added (up to max_rounds and the time budget)
    while the interval still straddles the threshold. cold=True (or a reason, as
    caching.memoizes gives): one pass per fresh process, for candidates that cache
    results between calls. probe_caching: also time first calls in fresh processes
    and switch to cold mode when the candidate's repeated calls gain far more than
    the original's (see the module docstring); calibrate's A/A leaves it off."""
    with quiet_machine(settings.lock):   # the time budget starts once the slot is held
        return _measure(sandbox, base, candidate, baseline, settings, cold, strictness, probe_caching)


def _measure(sandbox: Sandbox, base: Path, candidate: Path, baseline: Baseline, settings: MeasureSettings,
             cold: bool | str, strictness: Strictness | None, probe_caching: bool) -> Measurement:
    start = time.monotonic()
    options = _options(strictness)
    run = functools.partial(_run, sandbox, baseline=baseline, timeout=settings.timeout, options=options)
    n = len(baseline.workload)
    if cold:
        why = cold if isinstance(cold, str) else "state kept between calls"
        sides = _rounds(run, base, candidate, settings, start, "cold", 1, 1, cold=True)
        return _measurement(sides, f"{n} captured calls, {JUDGED_COLD} (one cold pass per process): "
                                   f"its source suggests a cache ({why})")
    calibrated = run(base, loops=0, samples=settings.sample_seconds, judged="original")
    loops = int(calibrated["loops"])
    pairing = Pairing()
    sides = None
    if probe_caching:
        # The warm rounds the caching decision needs (at least FIRST_CALL_WORKERS); more
        # only once it is taken. Each warm worker also times its first pass, cold.
        first = Sides.empty()
        check = replace(settings, rounds=max(settings.rounds, FIRST_CALL_WORKERS))
        sides = _rounds(run, base, candidate, replace(check, max_rounds=check.rounds), start,
                        "warm", loops, settings.samples_per_worker, first=first, pairing=pairing)
        warm_a, warm_b, first_a, first_b = (sides.values("a"), sides.values("b"),
                                            first.values("a"), first.values("b"))
        if stats.caches(first_a, warm_a, first_b, warm_b, FIRST_CALL_FACTOR):
            gains = stats.first_call_gains(first_a, warm_a, first_b, warm_b)
            cold_sides = _rounds(run, base, candidate, settings, start, "cold", 1, 1, cold=True, sides=first)
            return _measurement(cold_sides, f"{n} captured calls, {JUDGED_COLD} (one cold pass per process): "
                                            f"its repeated calls gain {_x(gains[1])} over its first, the "
                                            f"original's {_x(gains[0])} (it caches results between calls)")
    sides = _rounds(run, base, candidate, settings, start, "warm", loops, settings.samples_per_worker, sides=sides,
                    pairing=pairing)
    return _measurement(sides, f"{n} captured calls")


def first_calls_note(m: Measurement) -> str:
    """'judged on first calls: ...' when the measurement was made cold, for the outcome's reason."""
    at = m.workload.find(JUDGED_COLD)
    if at < 0:
        return ""
    rest = m.workload[at + len(JUDGED_COLD):]
    rest = rest.split(": ", 1)[1] if ": " in rest else rest
    return f"{JUDGED_COLD}: {rest}"


def _rounds(run, base: Path, candidate: Path, settings: MeasureSettings, start: float, mode: str, loops: int,
            per_worker: int, cold: bool = False, sides: Sides | None = None, first: Sides | None = None,
            pairing: "Pairing | None" = None) -> Sides:
    """Rounds (continuing `sides`, if given) until decided: with `pairing`, each round is
    two workers at once taking turns (Pairing.round); else one worker after the other,
    A B, then B A. first: where the warm workers' first (cold) passes go."""
    scale = settings.samples_per_worker if cold else 1   # cold workers give one sample: more of them
    sides = sides or Sides.empty()
    rounds = len(sides)
    while True:
        if rounds >= settings.rounds * scale:
            low, high = sides.interval()
            budget = settings.busy_budget_seconds if sides.disturbed_share >= BUSY_SHARE \
                else settings.budget_seconds
            if not low < settings.threshold <= high or rounds >= settings.max_rounds * scale \
                    or time.monotonic() - start > budget:
                return sides
        if pairing:
            outs = pairing.round(run, base, candidate, loops, per_worker, rounds)
            if not sides.add_pair(*outs):
                pairing.missed()
                continue
            done = zip("ab", outs)
        else:
            done = []
            for side, workspace in _alternate(rounds, base, candidate):
                out = run(workspace, loops=loops, samples=per_worker, mode=mode, judged=_who(side))
                # One value per worker: samples of one process share its load and placement,
                # so they are not independent; the interval is over pairs of workers.
                sides.add(side, out)
                done.append((side, out))
        if first is not None:
            for side, out in done:
                first.add(side, Sides.first_pass(out))
        rounds += 1


class Pairing:
    """How the two workers of a paired round meet (timeit_worker's paired mode): a
    folder with one FIFO per side through which they pass the turn, and the CPU they
    share (rounds go round the CPUs this process may use, so no one CPU's speed
    decides)."""

    MISSES = 3            # rounds without a common sample (in all): the workers cannot meet

    def __init__(self):
        self.misses = 0
        self.cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [-1]

    def round(self, run, base: Path, candidate: Path, loops: int, per_worker: int, number: int):
        """(original's result, candidate's result): both workers started at once, 2 x
        per_worker samples each, in turns (Sides.add_pair: the median pair ratio counts).
        A worker that reports its partner lost while neither failed is a MeasureError."""
        cpu = self.cpus[number % len(self.cpus)]
        with tempfile.TemporaryDirectory(prefix="optimize-turns-") as folder:
            for side in "ab":
                os.mkfifo(os.path.join(folder, side), 0o600)
            with ThreadPoolExecutor(2) as pool:
                futures = [pool.submit(run, workspace, loops=loops, samples=2 * per_worker, tag=side,
                                       mode=f"paired:{folder}:{side}:{number % 2}:{cpu}",
                                       judged=_who(side), writable=(Path(folder),))
                           for side, workspace in (("a", base), ("b", candidate))]
                wait(futures)
        outs = [f.result() for f in futures]   # the original's failure first: it decides what a failure means
        lost = next((out["lost"] for out in outs if out.get("lost")), "")
        if lost:   # the other worker ended without failing: the turns were not taken as agreed
            raise MeasureError(f"the paired timing workers could not take turns: {lost}")
        return outs

    def missed(self) -> None:
        self.misses += 1
        if self.misses >= self.MISSES:
            raise MeasureError(f"the paired timing workers took no sample in common in {self.misses} rounds")


def _measurement(sides: Sides, workload: str) -> Measurement:
    a, b = sides.values("a"), sides.values("b")
    wall = (sides.speedup("wall time"), *sides.interval("wall time")) if sides.metric == "cpu time" else None
    return Measurement(speedup=sides.speedup(), ci=sides.interval(), baseline_s=stats.median(a),
                       candidate_s=stats.median(b), samples=len(sides), workload=workload,   # samples: rounds
                       metric=sides.metric, wall=wall, disturbed=sides.disturbed_share,
                       waited=stats.median(sides.waited))


def _x(gain: float) -> str:
    return f"{gain:.1f}x" if gain < 10 else f"{gain:.0f}x"


def _who(side: str) -> str:
    return "original" if side == "a" else "candidate"


def peak_memory(sandbox: Sandbox, base: Path, candidate: Path, baseline: Baseline,
                settings: MeasureSettings = MeasureSettings(),
                strictness: Strictness | None = None) -> tuple[int, int]:
    """Peak traced memory of one pass over the captured calls: (original, candidate).
    Each call's result is judged too, outside the traced peak."""
    options = _options(strictness)
    return tuple(int(_run(sandbox, w, baseline=baseline, loops=1, samples=1, timeout=settings.timeout,
                          mode="memory", options=options, judged=who)["peak_bytes"])
                 for w, who in ((base, "original"), (candidate, "candidate")))


def measure_bench(sandbox: Sandbox, base: Path, candidate: Path, command: str, env_for,
                  rounds: int = 5, timeout: float = 1800.0, lock: str = "") -> Measurement:
    """End-to-end confirmation: the --bench command's wall time, original and candidate
    alternating, as the same ratio of medians with its interval."""
    sides: dict[str, list[float]] = {"a": [], "b": []}
    with quiet_machine(lock):
        _bench_rounds(sandbox, base, candidate, command, env_for, rounds, timeout, sides)
    a, b = sides["a"], sides["b"]
    return Measurement(speedup=stats.paired_speedup(a, b), ci=stats.paired_ci(a, b), baseline_s=stats.median(a),
                       candidate_s=stats.median(b), samples=len(a), workload=f"--bench {command!r}")


def _bench_rounds(sandbox: Sandbox, base: Path, candidate: Path, command: str, env_for, rounds: int,
                  timeout: float, sides: dict[str, list[float]]) -> None:
    for i in range(rounds):
        for side, workspace in _alternate(i, base, candidate):
            result = sandbox.run(["sh", "-c", command], workspace, env=env_for(workspace), timeout=timeout)
            if not result.ok:
                raise MeasureError(f"the benchmark failed (exit {result.returncode}): {result.last_line()}")
            sides[side].append(result.seconds)


def calibrate(sandbox: Sandbox, base: Path, copy: Path, baseline: Baseline, settings: MeasureSettings,
              strictness: Strictness | None = None) -> tuple[MeasureSettings, Measurement, str]:
    """A/A: the original against an identical copy measures this machine's noise now.
    The returned settings carry it (noise), which the decision uses: a candidate must
    clear the threshold raised by the copy's offset (decide.required). When the A/A
    interval reaches the threshold, every candidate also gets the most rounds (and the
    note says so), and one still undecided at the end is reported so, never kept. Both
    sides' timed calls are judged: a mismatch here means the original itself cannot be timed."""
    rounds = CALIBRATION_FACTOR * settings.rounds
    noise = measure(sandbox, base, copy, baseline, replace(settings, rounds=rounds, max_rounds=rounds),   # fixed
                    strictness=strictness, probe_caching=False)
    low, high = noise.ci
    settings = replace(settings, noise=(noise.speedup, low, high))
    if high < settings.threshold and low > 1 / settings.threshold:
        return settings, noise, ""
    more = replace(settings, rounds=min(settings.max_rounds, 2 * settings.rounds),
                   budget_seconds=settings.busy_budget_seconds)
    note = (f"noisy machine: {baseline.target.name} against an identical copy measured {noise.speedup:.3f}x "
            f"[{low:.3f}, {high:.3f}] ({noise.metric}, {noise.disturbed:.0%} of samples waited for a CPU), "
            f"reaching the {settings.threshold}x threshold; each candidate gets at least {more.rounds} rounds "
            f"and up to {more.budget_seconds:.0f} s, "
            f"is kept only if its interval still clears it, and is reported undecided if it cannot tell")
    return more, noise, note


def _alternate(i: int, base: Path, candidate: Path) -> tuple[tuple[str, Path], tuple[str, Path]]:
    """A B, then B A: whatever drifts during a pair of rounds hits both sides alike."""
    return (("a", base), ("b", candidate)) if i % 2 == 0 else (("b", candidate), ("a", base))


def _options(strictness: Strictness | None) -> tuple[str, str]:
    """The replay's comparison options, as the timing worker's last two arguments."""
    strictness = strictness or Strictness()
    return repr(float(strictness.rtol)), "1" if strictness.loose_errors else "0"


def _run(sandbox: Sandbox, workspace: Path, baseline: Baseline, loops: int, samples, timeout: float,
         mode: str = "warm", options: tuple[str, str] = ("0.0", "0"), judged: str = "candidate",
         tag: str = "", writable: tuple[Path, ...] = ()) -> dict:
    """One worker process; loops=0 asks it to calibrate instead. judged: whose worker it
    is ("original" or "candidate"), which decides what a timed-outcome mismatch means."""
    t = baseline.target
    (workspace / ".home").mkdir(exist_ok=True)
    out_file = workspace / ".home" / f"timing{tag}.json"   # tag: two workers at once in one workspace
    out_file.unlink(missing_ok=True)
    indices = workspace / ".home" / f"measure-indices{tag}.json"
    indices.write_text(json.dumps(baseline.workload))
    expected = baseline.expected_file or "-"
    cmd = worker_command("timeit_worker.py", t.module, t.qualname, baseline.calls_file, indices,
                         out_file, loops, samples, mode, expected, *options)
    seal = new_seal()
    result = sandbox.run(cmd, workspace, env=python_env(workspace, [t]), timeout=timeout, stdin=seal + "\n",
                         writable=writable)
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
    mismatch = data.get("mismatch")
    if mismatch:
        if judged == "original":
            raise MeasureError(f"the original's own timed calls differ from its replay: {mismatch}")
        raise TimedOutcomeMismatch(str(mismatch))
    return data
