"""Time a function over replayed calls, in a fresh process (pyperf's worker model).

  timeit_worker.py MODULE QUALNAME CALLS INDICES_JSON OUT_JSON LOOPS SAMPLES [MODE [EXPECTED RTOL LOOSE_ERRORS]]

LOOPS=0 calibrates: it prints the loop count that makes one sample last about
the target duration (given as SAMPLES, in seconds), capped so that preparing
one sample's argument copies takes at most PREP_SECONDS. MODE "cold" times a single pass (the first calls in a
fresh process: for code that caches results between calls); MODE "memory"
reports the peak memory of one pass instead of times; MODE "count" runs one
untimed pass for an instruction counter (returned iterators consumed, as timed;
SAMPLES=0: everything but the calls, for the count to subtract); "count:warm"
makes every call once before, in both runs. MODE "warm" (the default) also reports
its first pass alone ("first_pass"): the first calls in a fresh process, timed
before the warm-up, as a cold worker would time them.

What is timed is also judged. Given EXPECTED (the original's recorded outcomes,
replay.py record), RTOL and LOOSE_ERRORS (0/1) as the replay uses them,
the worker checks the calls it actually timed, not only the replay's: a
candidate that behaves for the replay worker and returns garbage here (it
counts its calls, or recognises this process) is caught. In each timed run of
passes, one pass chosen at random after the candidate is imported (os.urandom,
bound before the import) writes its results into a list that is kept; the
other passes write into one scratch list that the next pass overwrites. Every
pass does the same work (one list store per call, no per-call branch on which
pass is kept), so the timed region costs both sides alike. Outside it, each
kept result is compared with the expected outcome by compare.difference on the
return value or exception only (the arguments after the call, the output, the
aliasing are the replay's business and are copied from the expected outcome).
Calls whose original outcome is one object shared between calls are skipped:
a later call may change the kept result. Memory mode checks every call right
after it, outside the traced peak. Count mode does not check.

A returned iterator is consumed inside the timed region, as compare.run_outcome
does (at most MAX_ITEMS items), on the calls where the original's recorded
outcome is an iterator: a lazy generator is no longer timed as zero work.

Fresh arguments, outside the timed region, in bounded memory. Every sample
(every call of passes) unpickles its own arguments before it is timed. A call
the original mutates (its arguments, self included, differ after the call:
replay.py record marks it "mutates"; calls without the mark count as mutating)
gets a fresh copy for every loop, so each loop sees the same inputs. Those
copies are prepared in chunks of at most PREPARED_BYTES (their size measured
once with tracemalloc): prepare a chunk, time only its loops, add up the timed
parts. A call the original does not mutate gets one copy per sample, shared
by all its loops: unpickling a large object (a graph of thousands of nodes) for
every loop of a 0.2 us method would cost seconds per sample and unbounded
memory, and is not needed, because:
- the original leaves the copy as it found it, so every loop sees the same
  inputs, as with fresh copies;
- a candidate that changes arguments the original leaves alone is rejected
  by the replay, which compares the arguments after every call;
- a candidate that changes them only while it is timed (it recognises this
  process) sees its own changes in later loops; if that changes its results,
  the kept pass (below) shows it; if it keeps them (a result stashed on the
  argument, a cache), its repeated calls gain over its first ones, which the
  runner's first-call probe catches just like a module-level cache, and it is
  then judged on cold passes (one loop, a fresh copy).
The count and memory modes unpickle one copy per call, as before.

What load does not distort. Each sample reports, per pass, its wall time
("samples") and the CPU time of its thread over the same timed region ("cpu":
user + system): time spent waiting for a CPU while another process runs counts
in the first and not in the second. The thread's clock, not the process's: under
the sandbox's RLIMIT_CPU the kernel keeps the process clock only to the tick
(reads of a 1 ms region come back 0 or 4 ms), the thread's to the nanosecond.
A candidate that hands work to another thread (the capability check refuses
threads) waits for it, and that wait shows as blocked time: wall time decides. It also reports, per sample, how
long this process waited on the run queue during the timed region ("waited",
from /proc/self/schedstat, a share of the wall time) and whether the sample was
disturbed: it waited more than DISTURBED of its time for a CPU (or, where
schedstat is missing, the machine's CPU pressure /proc/pressure/cpu "some" rose
by more than that share, or the process was switched out involuntarily more
than SWITCHES times). A disturbed sample is retaken, at most RETAKES times,
keeping the least disturbed attempt; "taken" and "disturbed" count all attempts,
so the runner can say how busy the machine was.

MODE "paired:FOLDER:SIDE:FIRST:CPU" (the runner's default since issue #13): the
original's ("a") and the candidate's ("b") workers run at the same time,
prepared alike, then pin themselves to CPU (unless -1), the same one for both,
and take turns: SAMPLES samples each, in the order A B B A A B B A ... (A is the
side FIRST names: 0 "a", 1 "b"; turn_order). A worker hands the turn to the
other by writing one byte into the other's FIFO in FOLDER (named after the side
that reads it) and waits on its own, so the two samples of a pair (turns 2j and
2j+1, labelled j in "blocks") are taken one right after the other, with no idle
gap: a virtual CPU whose speed changes within tens of milliseconds, a
competitor that starts, hit both samples of a pair alike. The order swaps every
pair, so a drift over the round favours neither side. The worker that waits
blocks in select(): the capability check refuses threads, so the candidate
cannot run anything meanwhile, and anything it ran would count in neither
side's thread CPU time. After its last turn a worker waits for the other's last
sample before exiting, so its exit does not disturb it. A worker whose partner
stops taking turns for TURN_WAIT seconds (it failed) stops and reports "lost".
A sample is not retaken here (a retake would change the order): the runner
leaves out disturbed pairs instead (runner.Sides.add_pair). Which measure
decides (CPU time or wall time: wall time when the code blocks, which CPU time
would not count) is the runner's choice (runner.Sides).

The result JSON carries "mismatch": "<what> on call #i (...): expected X, got Y"
when a kept result differs; the runner rejects the candidate on it.
"""
import json
import pickle
import sys
import tracemalloc
# Bound before the candidate's module is imported: a candidate that replaces
# time.perf_counter, gc.collect or os.urandom (the capability check refuses that
# already) changes nothing here.
from gc import collect
from pickle import dumps as _pickle_dumps
from json import dump
from os import urandom
from os import O_NONBLOCK, O_RDONLY, O_WRONLY, close, read, sched_setaffinity, set_blocking, write
from os import open as open_fd
from os.path import join
from select import select
from time import monotonic, sleep
from resource import RUSAGE_SELF, getrusage
from time import perf_counter, thread_time

from compare import Consumed, Outcome, _consume, _is_iterator, _message, difference
from harness import load_calls, load_function

_RAISED = object()   # marks a kept exception: (_RAISED, exc); a returned exception is just a value
_open = open         # bound before the candidate's import, like the clocks

DISTURBED = 0.05     # a sample that waited for a CPU this share of its wall time or more is disturbed
SWITCHES = 2         # ... or, with neither schedstat nor PSI, was switched out more often than this
RETAKES = 2          # a disturbed sample is taken again at most this many times
TURN_WAIT = 60.0     # paired mode: seconds to wait for the other worker's turn before giving up


def _number(path, pick):
    try:
        with _open(path) as fh:
            return pick(fh.read())
    except (OSError, ValueError, IndexError):
        return None


def _psi_some(text):
    line = next(l for l in text.splitlines() if l.startswith("some "))
    return int(line.rsplit("total=", 1)[1]) / 1e6


def load_probe():
    """(seconds this thread waited on a run queue, seconds some task on the machine
    waited for a CPU (PSI), involuntary context switches); None where unknown."""
    return (_number("/proc/self/schedstat", lambda t: int(t.split()[1]) / 1e9),
            _number("/proc/pressure/cpu", _psi_some),
            getrusage(RUSAGE_SELF).ru_nivcsw)


class Timed:
    """One timed stretch (the sum of a sample's chunks): wall and CPU seconds, and what
    the machine did meanwhile (load_probe differences)."""

    def __init__(self):
        self.wall = self.cpu = 0.0
        self.waited = self.stalled = 0.0
        self.switches = 0
        self.known = [True, True]   # schedstat, PSI readable

    def add(self, wall, cpu, before, after):
        self.wall += wall
        self.cpu += cpu
        for k, attr in ((0, "waited"), (1, "stalled")):
            if before[k] is None or after[k] is None:
                self.known[k] = False
            else:
                setattr(self, attr, getattr(self, attr) + max(0.0, after[k] - before[k]))
        self.switches += after[2] - before[2]

    def wait_share(self):
        """How much of the wall time this process waited for a CPU (the best signal known)."""
        if self.known[0]:
            return self.waited / max(self.wall, 1e-9)
        if self.known[1]:
            return self.stalled / max(self.wall, 1e-9)
        return 1.0 if self.switches > SWITCHES else 0.0

    def disturbed(self):
        return self.wait_share() >= DISTURBED


def _drain(value):
    """Consume a returned iterator as the replay does (compare.run_outcome)."""
    return _consume(value) if _is_iterator(value) else value


def _clip(text, limit=400):
    """The values in it are already short (harness.short, via compare.difference)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _pick(loops):
    """Which pass of a run is kept: unpredictable to the candidate, drawn after its import."""
    return int.from_bytes(urandom(4), "little") % loops


PREPARED_BYTES = 64 << 20   # argument copies prepared at once for a sample, at most
PREP_SECONDS = 0.25         # calibration keeps one sample's per-loop copying under this
_ENTRY_BYTES = 120          # a prepared (k, args, kwargs, drain) entry and its slot in a pass


def copy_bytes(calls):
    """Memory one loop's fresh copies take: the arguments of the calls that are
    copied per loop (mutating ones), as tracemalloc counts them, plus the entries."""
    fresh = [blob for blob, _, mutates in calls if mutates]
    if not fresh:
        return 0
    tracemalloc.start()
    try:
        copies = [pickle.loads(blob) for blob in fresh]
        size = tracemalloc.get_traced_memory()[0]
        copies = None
    except Exception:        # the timed passes will say what is wrong with the blob
        size = 10 * sum(map(len, fresh))
    finally:
        tracemalloc.stop()
    return size + _ENTRY_BYTES * len(calls)


def passes(fn, calls, loops, loop_bytes=0):
    """(Timed, the results of one randomly chosen pass, seconds spent around the timed
    parts on per-loop copies: making, collecting, freeing them); the Timed holds the
    whole run's seconds: divide by loops for a pass. calls: [(args blob, drain, mutates)]; loop_bytes: what
    one loop's fresh copies take (copy_bytes). Only the calls are timed (and the
    consumption of returned iterators where drain is set), chunk by chunk; see the
    module docstring for which arguments are copied per loop and which per sample."""
    n = len(calls)
    kept, scratch = [None] * n, [None] * n
    pick = _pick(loops)
    consume = any(drain for _, drain, _ in calls)
    fresh = [k for k, (_, _, mutates) in enumerate(calls) if mutates]
    chunk = loops if not fresh else max(1, min(loops, PREPARED_BYTES // max(loop_bytes, 1)))
    timed, prep = Timed(), 0.0
    # One copy per sample of what the original does not change, shared by every loop.
    shared = [(k, *pickle.loads(blob), drain) if not mutates else None
              for k, (blob, drain, mutates) in enumerate(calls)]
    done = 0
    while done < loops:
        size = min(chunk, loops - done)
        started = perf_counter()
        if fresh:
            prepared = []
            for _ in range(size):
                one_pass = list(shared)
                for k in fresh:
                    blob, drain, _ = calls[k]
                    one_pass[k] = (k, *pickle.loads(blob), drain)
                prepared.append(one_pass)
        else:
            prepared = [shared] * size
        sinks = [scratch] * size
        if done <= pick < done + size:
            sinks[pick - done] = kept
        collect()
        before = load_probe()
        wall, cpu = (_timed_consuming if consume else _timed)(fn, prepared, sinks)
        timed.add(wall, cpu, before, load_probe())
        prepared = None
        done += size
        if fresh:   # what grows with the loops: copying, collecting, freeing
            prep += perf_counter() - started - wall
    return timed, kept, prep


def _timed(fn, prepared, sinks):
    """The usual case: nothing to consume, not even a test per call. (wall, CPU) seconds."""
    cpu = thread_time()
    start = perf_counter()
    for one_pass, out in zip(prepared, sinks):
        for k, args, kwargs, _ in one_pass:
            try:
                out[k] = fn(*args, **kwargs)
            except Exception as exc:
                out[k] = (_RAISED, exc)
    wall = perf_counter() - start
    return wall, thread_time() - cpu


def _timed_consuming(fn, prepared, sinks):
    cpu = thread_time()
    start = perf_counter()
    for one_pass, out in zip(prepared, sinks):
        for k, args, kwargs, drain in one_pass:
            try:
                result = fn(*args, **kwargs)
                if drain:
                    result = _drain(result)
                out[k] = result
            except Exception as exc:
                out[k] = (_RAISED, exc)
    wall = perf_counter() - start
    return wall, thread_time() - cpu


def sample(fn, calls, loops, loop_bytes, counts):
    """One sample (Timed, results of its kept pass): retaken while disturbed, at most
    RETAKES times, keeping the least disturbed attempt. counts: [taken, disturbed]."""
    best = None
    for _ in range(RETAKES + 1):
        timed, one, _ = passes(fn, calls, loops, loop_bytes)
        counts[0] += 1
        if best is None or timed.wait_share() < best[0].wait_share():
            best = (timed, one)
        if not timed.disturbed():
            break
        counts[1] += 1
    return best


def alone(fn, calls, loops, loop_bytes, samples, result, kept):
    """MODE "warm": SAMPLES samples, each retaken while disturbed (sample)."""
    counts = [0, 0]
    for s in range(samples):
        timed, one = sample(fn, calls, loops, loop_bytes, counts)
        result["samples"].append(timed.wall / loops)
        result["cpu"].append(timed.cpu / loops)
        result["waited"].append(timed.wait_share())
        kept.append((one, "sample %d of %d loops" % (s + 1, loops)))
    result["taken"], result["disturbed"] = counts


def turn_order(samples, first):
    """Whose turn each of 2 x SAMPLES turns is: A B B A A B B A ..., A being `first`
    (the other is 1 - first). Turn t belongs to pair t // 2, whose two samples are
    adjacent; the order swaps every pair, so a drift over the round favours neither."""
    return [first if (t + 1) // 2 % 2 == 0 else 1 - first for t in range(2 * samples)]


def _open_turns(folder, side, other, deadline):
    """(fd this worker reads its turns from, fd it passes the turn to): FOLDER's FIFOs
    named after the side that reads them. Opening the other's for writing succeeds
    once the other has opened it for reading; until DEADLINE this waits for that."""
    mine = open_fd(join(folder, side), O_RDONLY | O_NONBLOCK)
    while True:
        try:
            theirs = open_fd(join(folder, other), O_WRONLY | O_NONBLOCK)
            break
        except OSError:   # ENXIO: the other has not opened its end yet
            if monotonic() > deadline:
                raise TurnLost("the other timing worker never came")
            sleep(0.001)
    set_blocking(theirs, True)
    return mine, theirs


class TurnLost(Exception):
    """The other worker of a paired round stopped taking turns (it failed or hung)."""


def _await_turn(fd, seconds):
    ready, _, _ = select([fd], [], [], seconds)
    if not ready or not read(fd, 1):   # nothing within `seconds`, or the other exited
        raise TurnLost("the other timing worker stopped taking turns")


def paired(fn, calls, loops, loop_bytes, mode, samples, result, kept):
    """The paired mode (module docstring): SAMPLES samples, taking turns with the other worker."""
    folder, side, first, cpu = mode[len("paired:"):].rsplit(":", 3)
    me = 0 if side == "a" else 1
    order = turn_order(samples, int(first))
    result["blocks"] = []
    if int(cpu) >= 0:   # after the preparation, which both workers do at once on any CPU
        sched_setaffinity(0, {int(cpu)})
    result["taken"] = taken = 0
    try:
        mine, theirs = _open_turns(folder, side, "b" if side == "a" else "a", monotonic() + TURN_WAIT)
    except TurnLost as exc:
        result["lost"] = str(exc)
        return
    holding = order[0] == me
    try:
        for t, who in enumerate(order):
            if who != me:
                continue
            if not holding:
                _await_turn(mine, TURN_WAIT)
                holding = True
            timed, one, _ = passes(fn, calls, loops, loop_bytes)
            result["samples"].append(timed.wall / loops)
            result["cpu"].append(timed.cpu / loops)
            result["waited"].append(timed.wait_share())
            result["blocks"].append(t // 2)
            result["disturbed"] += int(timed.disturbed())
            kept.append((one, "turn %d of %d loops" % (t, loops)))
            taken += 1
            if t + 1 == len(order) or order[t + 1] != me:
                write(theirs, b".")
                holding = False
        if order[-1] != me:   # stay still until the other's last sample is taken
            _await_turn(mine, TURN_WAIT)
    except TurnLost as exc:
        result["lost"] = str(exc)
    finally:
        close(mine)
        close(theirs)
    result["taken"] = taken


_PLAIN = (dict, list, tuple, set, frozenset, str, bytes, int, float, bool, type(None))


def _fingerprint(result):
    """Pickled bytes of a result whose outer type is a builtin one (bound before any
    candidate is imported), or None: what a later sample's result must match exactly to
    skip the value-by-value comparison."""
    if type(result) not in _PLAIN or (type(result) is tuple and len(result) == 2 and result[0] is _RAISED):
        return None
    try:
        return _pickle_dumps(result, 4)
    except Exception:
        return None


class Judge:
    """The original's recorded outcomes for the timed calls, and the replay's options."""

    def __init__(self, expected_path, rtol, loose_errors, calls, indices):
        self.indices, self.calls = indices, calls
        self.want = {}
        if expected_path and expected_path != "-":
            with open(expected_path, "rb") as fh:
                expected = pickle.load(fh)    # written by the original's replay, never by a candidate
            self.want = {i: Outcome.loads(expected[i]) for i in indices if i in expected}
        self.rtol = float(rtol)
        self.loose_errors = loose_errors not in ("0", "", "false", "False")
        self.passed = {}     # call index -> pickled bytes of a result that passed the full comparison

    def drains(self):
        """Per timed call: does the original return an iterator there (to be consumed)?"""
        return [self._returns_iterator(i) for i in self.indices]

    def _returns_iterator(self, i):
        want = self.want.get(i)
        return want is not None and want.kind == "return" and isinstance(want.value, Consumed)

    def mismatch(self, kept, where):
        """'' when every kept result is what the original recorded; else the first difference."""
        for k, i in enumerate(self.indices):
            found = self.one(i, kept[k])
            if found:
                return "%s on call #%d (%s): expected %s, got %s" % (found[0], i, where, found[1], found[2])
        return ""

    def one(self, i, result):
        want = self.want.get(i)
        if want is None or want.shared:    # shared: a later call may change what was kept
            return None
        # Every sample's result is judged, and comparing a large one value by value takes
        # seconds (toolz's groupby over 200,000 records): the same bytes as a result of this
        # call that already passed the full comparison pass too; anything else is compared.
        fingerprint = _fingerprint(result)
        if fingerprint is not None and self.passed.get(i) == fingerprint:
            return None
        found = self._compare(i, want, result)
        if found is None and fingerprint is not None:
            self.passed[i] = fingerprint
        return found

    def _compare(self, i, want, result):
        if type(result) is tuple and len(result) == 2 and result[0] is _RAISED:
            exc = result[1]
            got = Outcome("raise", exc=(type(exc).__qualname__, _message(exc)))
        else:
            got = Outcome("return", result)
        # Only the value or exception is judged here; the rest is the replay's.
        got.after, got.stdout, got.stderr = want.after, want.stdout, want.stderr
        got.aliases, got.shared = want.aliases, want.shared
        outside = bool(self.calls[i].get("loose", False))
        return difference(want, got, self.rtol, self.loose_errors or outside, False, outside_contract=outside)


def main(module, qualname, calls_path, indices_path, out_path, loops, samples, mode="warm",
         expected_path="-", rtol="0", loose_errors="0"):
    seal = sys.stdin.readline().strip()   # before the candidate's module is imported (runs.new_seal)
    with open(indices_path) as fh:        # so is this file, which lies in the candidate's writable copy
        indices = json.load(fh)
    fn = load_function(module, qualname)
    all_calls = load_calls(calls_path)
    blobs = [all_calls[i]["args"] for i in indices]
    judge = Judge(expected_path, rtol, loose_errors, all_calls, indices)
    mutates = [bool(all_calls[i].get("mutates", True)) for i in indices]   # unmarked: copy per loop
    calls = list(zip(blobs, judge.drains(), mutates))
    loops = int(loops)
    loop_bytes = copy_bytes(calls) if mode == "warm" or mode.startswith("paired:") else 0
    kept = []   # (results of one pass, where it was)
    if loops == 0:
        target = float(samples)
        loops = 1
        while True:
            timed, one, prep = passes(fn, calls, loops, loop_bytes)
            kept.append((one, "calibration, %d loops" % loops))
            elapsed = timed.wall
            if elapsed >= target or loops >= 1_000_000 or prep >= PREP_SECONDS:
                break
            grown = min(1_000_000, max(loops * 2, int(loops * target / max(elapsed, 1e-9) * 1.1)))
            # Preparing fresh copies costs about prep/loops a loop: keep a sample's under PREP_SECONDS.
            loops = max(loops + 1, min(grown, int(loops * PREP_SECONDS / max(prep, 1e-9))))
        result = {"loops": loops, "pass_seconds": elapsed / loops}
    elif mode in ("count", "count:warm"):
        # Under an instruction counter: one plain pass, nothing else. SAMPLES=0 prepares
        # the same and makes no call: the caller subtracts that run, so start-up, imports,
        # unpickling and reading the expected outcomes cancel out. A returned iterator is
        # consumed as in the timed modes: a generator's body runs only then, and counting
        # its creation alone would make any rewrite of it count the same as the original.
        # "count:warm": both runs first make every call on copies of their own, so the
        # difference is a second pass, free of one-time costs (measure/instructions.py).
        drains = judge.drains()
        if mode == "count:warm":
            _count_pass(fn, [pickle.loads(b) for b in blobs], drains)
        prepared = [pickle.loads(b) for b in blobs]
        _count_pass(fn, prepared if int(samples) else [], drains)
        result = {}
    elif mode == "memory":
        result = memory_pass(fn, calls, judge)
    elif mode == "cold":
        # One pass in a fresh process, as the real workload's first run sees it;
        # no warm-up, no repeats that would hit a cache.
        timed, one, _ = passes(fn, calls, 1)
        kept.append((one, "cold pass"))
        result = {"samples": [timed.wall], "cpu": [timed.cpu], "waited": [timed.wait_share()],
                  "taken": 1, "disturbed": int(timed.disturbed())}
    else:
        # The first pass in this fresh process is a cold pass, timed on its own: the
        # runner compares it with the warm samples to find caches (stats.caches).
        first, one, _ = passes(fn, calls, 1, loop_bytes)
        kept.append((one, "first pass"))
        _, one, _ = passes(fn, calls, loops, loop_bytes)   # warm-up
        kept.append((one, "warm-up"))
        result = {"samples": [], "cpu": [], "waited": [], "first_pass": first.wall, "first_cpu": first.cpu,
                  "first_waited": first.wait_share(), "disturbed": 0}
        if mode.startswith("paired:"):
            paired(fn, calls, loops, loop_bytes, mode, int(samples), result, kept)
        else:
            alone(fn, calls, loops, loop_bytes, int(samples), result, kept)
    checking = perf_counter()
    for one, where in kept:
        problem = judge.mismatch(one, where)
        if problem:
            result["mismatch"] = _clip(problem)
            break
    result["check_seconds"] = perf_counter() - checking   # for benchmarks/check_costs.py
    result["seal"] = seal
    with open(out_path, "w") as fh:
        dump(result, fh)


def _count_pass(fn, prepared, drains):
    """Each call once, its result consumed where the original's is an iterator; nothing kept."""
    for (args, kwargs), drain in zip(prepared, drains):
        try:
            value = fn(*args, **kwargs)
            if drain:
                _drain(value)
        except Exception:
            pass


def memory_pass(fn, calls, judge):
    """Peak memory of one pass over the calls, as tracemalloc sees Python allocations;
    each result is judged right after its call, and the judging's own allocations are
    kept out of the peak (reset_peak after each check)."""
    prepared = [(*pickle.loads(blob), drain) for blob, drain, _ in calls]
    problem, peak = "", 0
    tracemalloc.start()
    for k, (args, kwargs, drain) in enumerate(prepared):
        try:
            result = fn(*args, **kwargs)
            if drain:
                result = _drain(result)
        except Exception as exc:
            result = (_RAISED, exc)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        if not problem:
            found = judge.one(judge.indices[k], result)
            if found:
                problem = "%s on call #%d (memory pass): expected %s, got %s" % (
                    found[0], judge.indices[k], found[1], found[2])
        result = None
        tracemalloc.reset_peak()
    peak = max(peak, tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()
    out = {"peak_bytes": peak}
    if problem:
        out["mismatch"] = _clip(problem)
    return out


if __name__ == "__main__":
    main(*sys.argv[1:])
