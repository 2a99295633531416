"""Time a function over replayed calls, in a fresh process (pyperf's worker model).

  timeit_worker.py MODULE QUALNAME CALLS INDICES_JSON OUT_JSON LOOPS SAMPLES [MODE]

LOOPS=0 calibrates: it prints the loop count that makes one sample last about
the target duration (given as SAMPLES, in seconds). Arguments are unpickled
afresh for every pass, outside the timed region, so mutating functions see the
same inputs each time. MODE "cold" times a single pass (for memoizing code);
MODE "memory" reports the peak memory of one pass instead of times; MODE
"count" runs one untimed pass for an instruction counter.
"""
import json
import pickle
import sys
# Bound before the candidate's module is imported: a candidate that replaces
# time.perf_counter or gc.collect (the capability check refuses that already)
# changes nothing here.
from gc import collect
from json import dump
from time import perf_counter

from harness import load_calls, load_function


def passes(fn, blobs, loops):
    """Seconds per pass over all calls, timing only the calls."""
    prepared = [[pickle.loads(b) for b in blobs] for _ in range(loops)]
    collect()
    start = perf_counter()
    for one_pass in prepared:
        for args, kwargs in one_pass:
            try:
                fn(*args, **kwargs)
            except Exception:
                pass
    return (perf_counter() - start) / loops


def main(module, qualname, calls_path, indices_path, out_path, loops, samples, mode="warm"):
    seal = sys.stdin.readline().strip()   # before the candidate's module is imported (runs.new_seal)
    fn = load_function(module, qualname)
    calls = load_calls(calls_path)
    with open(indices_path) as fh:
        blobs = [calls[i]["args"] for i in json.load(fh)]
    loops = int(loops)
    if loops == 0:
        target = float(samples)
        loops = 1
        while True:
            elapsed = passes(fn, blobs, loops) * loops
            if elapsed >= target or loops >= 1_000_000:
                break
            loops = min(1_000_000, max(loops * 2, int(loops * target / max(elapsed, 1e-9) * 1.1)))
        result = {"loops": loops, "pass_seconds": elapsed / loops}
    elif mode == "count":
        # Under an instruction counter: one plain pass, nothing else (the caller subtracts
        # a run over no calls, so start-up and imports cancel out).
        for args, kwargs in [pickle.loads(b) for b in blobs]:
            try:
                fn(*args, **kwargs)
            except Exception:
                pass
        result = {}
    elif mode == "memory":
        # Peak memory of one pass over the calls, as tracemalloc sees Python allocations.
        import tracemalloc

        prepared = [pickle.loads(b) for b in blobs]
        tracemalloc.start()
        for args, kwargs in prepared:
            try:
                fn(*args, **kwargs)
            except Exception:
                pass
        result = {"peak_bytes": tracemalloc.get_traced_memory()[1]}
        tracemalloc.stop()
    elif mode == "cold":
        # A memoizing candidate: one pass in a fresh process, as the real workload's
        # first run sees it; no warm-up, no repeats that would hit the cache.
        result = {"samples": [passes(fn, blobs, 1)]}
    else:
        passes(fn, blobs, loops)   # warm-up
        result = {"samples": [passes(fn, blobs, loops) for _ in range(int(samples))]}
    result["seal"] = seal
    with open(out_path, "w") as fh:
        dump(result, fh)


if __name__ == "__main__":
    main(*sys.argv[1:])
