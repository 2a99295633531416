"""Per-line time profile of a function over replayed calls, run inside the sandbox.

  lineprof.py MODULE QUALNAME CALLS INDICES_JSON OUT_JSON

Runs the function on the captured calls listed in INDICES_JSON with a
sys.settrace tracer that follows only the function's own frames: other frames
get no local tracer, so callees are not traced line by line and the time spent
in them is charged to the line of the function that called them. On each
'line' event the time since the previous event goes to the previous line; a
'return' (also when an exception unwinds the frame) closes the last line. The
tracer's own work is kept out of the measured intervals as far as possible.

Arguments are unpickled afresh for every pass, before the tracer is switched
on. Passes repeat until 0.2 s of traced time, 50 passes or about 2 s of wall
time, whichever comes first (at least one pass). Exceptions from the function
are ignored. A one-time seal read from stdin before the module is imported
comes back in the result (see optimizer/verify/runs.py new_seal).

Writes JSON: {"lines": {"<lineno>": seconds}, "hits": {"<lineno>": count},
"first_line": co_firstlineno, "passes": n, "seal": ...}; line numbers are
absolute in the module's file, first_line is the def's first line (its first
decorator's, if decorated).
Standalone on purpose: no optimizer imports.
"""
import inspect
import json
import pickle
import sys
# Bound before the candidate's module is imported (as in timeit_worker.py).
from collections.abc import Iterator
from itertools import islice
from json import dump
from sys import settrace
from time import perf_counter

from harness import load_calls, load_function

TARGET_SECONDS = 0.2
MAX_PASSES = 50
MAX_WALL_SECONDS = 2.0
MAX_ITEMS = 10_000        # items taken from a returned iterator (as compare.py consumes it)


class LineTimer:
    """Accumulates seconds and hits per line of one code object."""

    def __init__(self, code):
        self.code = code
        self.seconds = {}
        self.hits = {}

    def global_trace(self, frame, event, arg):
        if frame.f_code is not self.code:
            return None                      # callees run untraced: their time stays with the caller's line
        state = [None, perf_counter()]       # [current line, when its interval started], per frame
        seconds, hits = self.seconds, self.hits

        def local_trace(frame, event, arg):
            now = perf_counter()
            line = state[0]
            if line is not None:
                seconds[line] = seconds.get(line, 0.0) + (now - state[1])
            if event == "line":
                line = frame.f_lineno
                hits[line] = hits.get(line, 0) + 1
                state[0] = line
            elif event == "return":
                state[0] = None              # a generator resumed later starts afresh
            state[1] = perf_counter()        # the tracer's own time is nobody's
            return local_trace

        return local_trace

    def total(self):
        return sum(self.seconds.values())


def profile(fn, blobs, target_seconds=TARGET_SECONDS, max_passes=MAX_PASSES, max_wall=MAX_WALL_SECONDS):
    """(LineTimer, passes) for fn over the pickled (args, kwargs) blobs."""
    inner = inspect.unwrap(fn)               # a functools.wraps decorator: time the real body
    timer = LineTimer(inner.__code__)
    started = perf_counter()
    passes = 0
    while True:
        prepared = [pickle.loads(b) for b in blobs]
        settrace(timer.global_trace)
        try:
            for args, kwargs in prepared:
                try:
                    result = fn(*args, **kwargs)
                    if isinstance(result, Iterator):   # a generator's body runs only as it is consumed
                        for _ in islice(result, MAX_ITEMS):
                            pass
                except Exception:
                    pass
        finally:
            settrace(None)
        passes += 1
        if timer.total() >= target_seconds or passes >= max_passes or perf_counter() - started >= max_wall:
            break
    return timer, passes


def main(module, qualname, calls_path, indices_path, out_path):
    seal = sys.stdin.readline().strip()      # before the candidate's module is imported
    fn = load_function(module, qualname)
    calls = load_calls(calls_path)
    with open(indices_path) as fh:
        blobs = [calls[i]["args"] for i in json.load(fh)]
    timer, passes = profile(fn, blobs)
    result = {
        "lines": {str(k): v for k, v in sorted(timer.seconds.items())},
        "hits": {str(k): v for k, v in sorted(timer.hits.items())},
        "first_line": timer.code.co_firstlineno,
        "passes": passes,
        "seal": seal,
    }
    with open(out_path, "w") as fh:
        dump(result, fh)


if __name__ == "__main__":
    main(*sys.argv[1:6])
