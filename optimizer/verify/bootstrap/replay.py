"""Replay calls and judge a candidate against the original.

  replay.py record MODULE QUALNAME CAPTURED ALL_CALLS EXPECTED INFO_JSON   (the original)
  replay.py check  MODULE QUALNAME ALL_CALLS EXPECTED VERDICT_JSON OPTIONS_JSON   (a candidate)

`record` runs the original twice on every captured call and on generated ones;
calls where the two runs disagree (time, randomness, hash order, state) are set
aside, generated calls it cannot finish in reasonable time are dropped. What is
left, with the original's outcome, is the oracle. `check` runs a candidate on
those calls and stops at the first difference, naming the call.
"""
import inspect
import json
import pickle
import signal
import sys
import time

from compare import Outcome, difference, run_outcome
from harness import load_calls, load_function, short
from inputs import generate

GENERATED_BUDGET_S = 20.0    # total time the original may spend on generated calls


class _TooSlow(BaseException):
    """Raised by the timer inside a call; BaseException so the call's own
    `except Exception` cannot swallow it."""


def _on_alarm(signum, frame):
    raise _TooSlow()


def run_limited(fn, blob, limit):
    """(outcome, seconds), or (None, limit) when the call takes longer than limit."""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.perf_counter()
    try:
        outcome = run_outcome(fn, blob)
    except _TooSlow:
        return None, limit
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return outcome, time.perf_counter() - start


def is_method(fn, qualname):
    try:
        first = next(iter(inspect.signature(fn).parameters), "")
    except (TypeError, ValueError):
        return False
    return "." in qualname and first in ("self", "cls")


def record(module, qualname, captured_path, all_calls_path, expected_path, info_path):
    fn = load_function(module, qualname)
    method = is_method(fn, qualname)
    captured = load_calls(captured_path)
    calls, expected, seconds = [], {}, {}
    info = {"captured": len(captured), "unstable_captured": 0, "generated": 0, "unstable_generated": 0,
            "dropped_slow": 0, "workload": []}

    def keep_if_stable(blob, origin, limit, capture_record=None):
        first, took = run_limited(fn, blob, limit)
        if first is None:
            info["dropped_slow"] += 1
            return
        second, took2 = run_limited(fn, blob, limit)
        stable = second is not None and difference(first, second) is None
        if stable and capture_record is not None:   # the replay must also agree with what was captured
            stable = capture_record["outcome"] == first.kind and (
                first.kind == "return" or capture_record["exc"] == first.exc[0].rsplit(".", 1)[-1])
        if not stable:
            info["unstable_" + origin] += 1
            return
        index = len(calls)
        calls.append({"args": blob, "origin": origin})
        expected[index] = first.dumps()
        seconds[index] = min(took, took2)
        if origin == "captured":
            info["workload"].append(index)

    for rec in captured:
        keep_if_stable(rec["args"], "captured", 600.0, rec)
    slowest = max(seconds.values(), default=0.01)
    limit = min(10.0, max(1.0, 20 * slowest))
    deadline = time.monotonic() + GENERATED_BUDGET_S
    before = len(calls)
    for blob in generate(fn, [rec["args"] for rec in captured], method):
        if time.monotonic() > deadline:
            break
        keep_if_stable(blob, "generated", limit)
    info["generated"] = len(calls) - before
    info["stable"] = sorted(expected)
    info["seconds"] = {str(i): s for i, s in seconds.items()}
    with open(all_calls_path, "wb") as fh:
        pickle.dump(calls, fh, protocol=4)
    with open(expected_path, "wb") as fh:
        pickle.dump(expected, fh, protocol=4)
    with open(info_path, "w") as fh:
        json.dump(info, fh)


def check(module, qualname, all_calls_path, expected_path, verdict_path, options_path):
    with open(options_path) as fh:
        options = json.load(fh)
    fn = load_function(module, qualname)
    method = is_method(fn, qualname)
    calls = load_calls(all_calls_path)
    with open(expected_path, "rb") as fh:
        expected = pickle.load(fh)
    seconds = {int(k): v for k, v in options.get("seconds", {}).items()}
    verdict = {"ok": True, "checked": 0}
    for i, blob in sorted(expected.items()):
        want = Outcome.loads(blob)
        call = calls[i]
        limit = max(1.0, 20 * seconds.get(i, 0.05))
        got, _ = run_limited(fn, call["args"], limit)
        verdict["checked"] += 1
        label = "%s call #%d %s" % (call["origin"], i, show_args(call["args"], method))
        if got is None:
            verdict = {"ok": False, "call": i, "reason": "too slow on %s: over %.1fs, the original takes %.3fs"
                       % (label, limit, seconds.get(i, 0.0))}
            break
        found = difference(want, got, options.get("rtol", 0.0), options.get("loose_errors", False), method)
        if found:
            what, exp, act = found
            verdict = {"ok": False, "call": i, "reason": "%s on %s: expected %s, got %s" % (what, label, exp, act)}
            break
    with open(verdict_path, "w") as fh:
        json.dump(verdict, fh)


def show_args(blob, method=False):
    args, kwargs = pickle.loads(blob)
    if method:
        args = args[1:]
    parts = [short(a, 60) for a in args] + ["%s=%s" % (k, short(v, 60)) for k, v in kwargs.items()]
    text = "(" + ", ".join(parts) + ")"
    return text if len(text) <= 200 else text[:197] + "…)"


if __name__ == "__main__":
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    mode, *rest = sys.argv[1:]
    {"record": record, "check": check}[mode](*rest)
