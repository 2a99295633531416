"""Replay captured calls.

  replay.py record MODULE QUALNAME CALLS OUT STABLE_JSON   (the original, twice)
  replay.py check  MODULE QUALNAME CALLS EXPECTED VERDICT_JSON   (a candidate)

`record` keeps the calls whose replay agrees with what was captured and with a
second replay (others depend on state, time or randomness and cannot judge a
candidate). `check` compares a candidate on those calls and stops at the first
difference, naming the call.
"""
import json
import pickle
import sys

from harness import load_calls, load_function, run_call, same, short


def record(module, qualname, calls_path, out_path, stable_path):
    fn = load_function(module, qualname)
    calls = load_calls(calls_path)
    expected, stable = {}, []
    for i, call in enumerate(calls):
        first, after1 = run_call(fn, call["args"])
        second, after2 = run_call(fn, call["args"])
        captured = ("return", pickle.loads(call["result"])) if call["outcome"] == "return" and call["result"] \
            else ("raise", call["exc"])
        if call["outcome"] == "return" and not call["result"]:
            continue   # the result could not be pickled at capture time: cannot cross-check
        if same(first, second) and same(first, captured) and same(after1, after2):
            expected[i] = pickle.dumps((first, after1), protocol=4)
            stable.append(i)
    with open(out_path, "wb") as fh:
        pickle.dump(expected, fh, protocol=4)
    with open(stable_path, "w") as fh:
        json.dump({"stable": stable, "total": len(calls)}, fh)


def check(module, qualname, calls_path, expected_path, verdict_path):
    fn = load_function(module, qualname)
    calls = load_calls(calls_path)
    with open(expected_path, "rb") as fh:
        expected = pickle.load(fh)
    verdict = {"ok": True, "checked": 0}
    for i, blob in sorted(expected.items()):
        (want, want_after) = pickle.loads(blob)
        got, got_after = run_call(fn, calls[i]["args"])
        verdict["checked"] += 1
        if not same(want, got):
            args, kwargs = pickle.loads(calls[i]["args"])
            verdict = {"ok": False, "call": i, "reason": "outputs differ on captured call #%d %s: expected %s %s, got %s %s" % (
                i, _show_args(args, kwargs), want[0], short(want[1]), got[0], short(got[1]))}
            break
        if not same(want_after, got_after):
            args, kwargs = pickle.loads(calls[i]["args"])
            verdict = {"ok": False, "call": i, "reason": "arguments mutated differently on captured call #%d %s: expected %s, got %s" % (
                i, _show_args(args, kwargs), short(want_after[0]), short(got_after[0]))}
            break
    with open(verdict_path, "w") as fh:
        json.dump(verdict, fh)


def _show_args(args, kwargs):
    parts = [short(a, 60) for a in args] + ["%s=%s" % (k, short(v, 60)) for k, v in kwargs.items()]
    text = "(" + ", ".join(parts) + ")"
    return text if len(text) <= 200 else text[:197] + "…)"


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    {"record": record, "check": check}[mode](*rest)
