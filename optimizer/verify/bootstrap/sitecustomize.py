"""Loaded by every Python process of a capture run (its folder is put first on PYTHONPATH).

When OPTIMIZE_CAPTURE names a config file, the target functions are wrapped as
their modules are imported, and each outermost call is recorded: the serialized
arguments before and after, the outcome, and the pytest test that made it.
Records are written at interpreter exit. This file must not import the
optimizer: it runs inside the user's (and later the candidate's) processes.

Serialization is cloudpickle's where it can be imported (lambdas, closures,
local classes and bound methods are kept, by value), else pickle's; either way
the blobs load with plain pickle.loads in the same interpreter. A call that is
seen but not kept is counted with the reason, per target: a value that cannot
be serialized (the exception's type and message), over the per-call limit (with
the largest size), over the total budget, or not among the max_calls kept.
capture.py carries the counts into the report.

Which calls are kept (issue #18): the first half of max_calls by arrival (the tests'
small and odd cases), the rest by size, so the largest calls the workload makes are
among those measured, whenever they come. Size is a call's weight (`weight`: the
lengths of its arguments, one level down, cheap enough for every call); a call that
outweighs the lightest of the size half replaces it.
"""
import atexit
import functools
import hashlib
import importlib.abc
import json
import os
import pickle
import re
import sys
import threading

_CONFIG_PATH = os.environ.get("OPTIMIZE_CAPTURE")
MAX_FAILED_TRIES = 1000   # failed serializations of one target in one process, then it stops trying


def _serializer():
    """cloudpickle.dumps where the interpreter has it (or the optimizer's helpers, in the
    project's own interpreter: on the path only while cloudpickle is imported, so the
    user's code never finds the optimizer's packages), else pickle.dumps (protocol 4 both)."""
    helpers = [p for p in os.environ.get("OPTIMIZE_HELPERS", "").split(os.pathsep) if p and p not in sys.path]
    sys.path.extend(helpers)
    try:
        import cloudpickle
    except Exception:
        return functools.partial(pickle.dumps, protocol=4)
    finally:
        for path in helpers:
            sys.path.remove(path)
    return functools.partial(cloudpickle.dumps, protocol=4)


def _why(exc):
    """'TypeError: cannot pickle 'generator' object', without addresses (they would split counts)."""
    try:
        text = str(exc)
    except Exception:
        text = ""
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", text)
    text = "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__
    return text if len(text) <= 120 else text[:119] + "\u2026"


def _install(config):
    dumps = _serializer()
    wanted = {}
    for t in config["targets"]:
        wanted.setdefault(t["module"], []).append(t)
    calls = {t["key"]: [] for t in config["targets"]}
    tests = {t["key"]: set() for t in config["targets"]}
    seen_calls = {t["key"]: 0 for t in config["targets"]}     # outermost calls, in total
    dropped = {t["key"]: {} for t in config["targets"]}       # reason -> calls not kept
    largest = {t["key"]: 0 for t in config["targets"]}        # the largest call over the per-call limit
    failed = {t["key"]: 0 for t in config["targets"]}         # serialization failures
    seen = {}   # digest of (key, arguments) -> None (kept) or why it was not
    budget = {"bytes": config.get("max_total_bytes", 20_000_000)}
    local = threading.local()
    max_calls = config.get("max_calls", 64)
    # Calls over the per-call limit (capture.CaptureLimits) are counted, not silently lost.
    max_call_bytes = config.get("max_call_bytes", 1_000_000)

    heaviest = {t["key"]: 0 for t in config["targets"]}      # the largest weight of any call made
    protected = max(1, max_calls // 2)                         # kept by arrival; the rest by size

    def drop(key, reason):
        dropped[key][reason] = dropped[key].get(reason, 0) + 1

    def lightest(key):
        """(index, weight) of the lightest call of the size half, or None while there is room."""
        kept = calls[key]
        if len(kept) < max_calls:
            return None
        i = min(range(protected, len(kept)), key=lambda j: kept[j]["weight"], default=None)
        return (i, kept[i]["weight"]) if i is not None else (None, float("inf"))

    def record(key, args_blob, outcome, result, exc, after, test, weight):
        """None when kept, else the reason it was not."""
        size = len(args_blob) + len(result or b"") + len(after or b"")
        if size > max_call_bytes:
            largest[key] = max(largest[key], size)
            return "too_large"
        light = lightest(key)
        if light is not None and (light[0] is None or weight <= light[1]):
            return "beyond_max_calls"
        if light is not None:   # it outweighs the lightest of the size half: that one makes room
            evicted = calls[key].pop(light[0])
            budget["bytes"] += evicted["size"]
            drop(key, "beyond_max_calls")
        if size > budget["bytes"]:
            return "over_budget"
        budget["bytes"] -= size
        calls[key].append({"args": args_blob, "outcome": outcome, "result": result,
                           "exc": exc, "after": after, "test": test, "weight": weight, "size": size})
        return None

    def wrap(fn, key):
        @functools.wraps(fn)
        def captured(*args, **kwargs):
            active = local.__dict__.setdefault("active", set())
            if key in active:
                return fn(*args, **kwargs)   # only outermost calls; recursion is part of the call
            # (another target's call in progress does not matter: a hot method called only from
            # another hot method is captured too, as Markdown's InlineProcessor methods are)
            seen_calls[key] += 1
            test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
            if test:
                tests[key].add(test)
            weight = _weight(args, kwargs)
            heaviest[key] = max(heaviest[key], weight)
            light = lightest(key)
            if light is not None and (light[0] is None or weight <= light[1]):   # not worth serializing
                drop(key, "beyond_max_calls")
                return fn(*args, **kwargs)
            if failed[key] >= MAX_FAILED_TRIES:   # each try costs a serialization up to the failure
                drop(key, "not_tried")
                return fn(*args, **kwargs)
            try:
                blob = dumps((args, kwargs))   # doubles as a deep copy
            except Exception as exc:
                failed[key] += 1
                drop(key, "unserializable: " + _why(exc))
                return fn(*args, **kwargs)
            digest = hashlib.sha1(key.encode() + blob).digest()
            if digest in seen:
                if seen[digest]:   # the same call as one that could not be kept: not kept either
                    drop(key, seen[digest])
                return fn(*args, **kwargs)
            seen[digest] = None
            active.add(key)
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                active.discard(key)
                why = record(key, blob, "raise", None, type(exc).__name__, _dump(dumps, (args, kwargs)), test, weight)
                if why:
                    seen[digest] = why
                    drop(key, why)
                raise
            finally:
                active.discard(key)
            why = record(key, blob, "return", _dump(dumps, result), None, _dump(dumps, (args, kwargs)), test, weight)
            if why:
                seen[digest] = why
                drop(key, why)
            return result
        return captured

    def wrap_module(module):
        for t in wanted.get(module.__name__, ()):
            *owner_path, name = t["qualname"].split(".")
            owner = module
            for part in owner_path:
                owner = getattr(owner, part, None)
            if isinstance(owner, type) and name.startswith("__") and not name.endswith("__") \
                    and owner.__name__.strip("_"):
                name = "_" + owner.__name__.lstrip("_") + name    # name mangling (harness.attribute_name)
            raw = getattr(owner, "__dict__", {}).get(name)
            if isinstance(raw, staticmethod):
                setattr(owner, name, staticmethod(wrap(raw.__func__, t["key"])))
            elif isinstance(raw, classmethod):
                setattr(owner, name, classmethod(wrap(raw.__func__, t["key"])))
            elif callable(raw):
                setattr(owner, name, wrap(raw, t["key"]))

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name not in wanted:
                return None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None and spec.loader is not None:
                    exec_module = spec.loader.exec_module

                    def exec_and_wrap(module, _exec=exec_module):
                        _exec(module)
                        wrap_module(module)
                    spec.loader.exec_module = exec_and_wrap
                    return spec
            return None

    sys.meta_path.insert(0, Finder())

    def flush():
        out = os.path.join(config["out_dir"], "capture-%d-%s.pkl" % (os.getpid(), os.urandom(4).hex()))
        data = {"calls": calls, "tests": {k: sorted(v) for k, v in tests.items()},
                "seen": seen_calls, "dropped": dropped, "largest": largest, "heaviest": heaviest}
        with open(out, "wb") as fh:
            pickle.dump(data, fh, protocol=4)
    atexit.register(flush)


def weight(args, kwargs):
    """How big a call is, cheaply: each argument counts its length (and, for a built-in
    container of sized things, times its first 8 items' mean length) or 1."""
    total = 0
    for value in (*args, *kwargs.values()):
        total += _size_of(value, 1)
    return total


def _size_of(value, depth):
    try:
        n = len(value)
    except Exception:
        return 1
    # Only built-in containers are looked into: iterating anything else may change it.
    if n == 0:
        return 0                      # an empty container passes nothing
    if depth <= 0 or type(value) not in (list, tuple, dict, set, frozenset):
        return n
    try:
        items = value.values() if isinstance(value, dict) else value
        sample = [_size_of(v, depth - 1) for _, v in zip(range(8), items)]
    except Exception:
        return n
    return n * max(1, sum(sample) // max(1, len(sample)))


_weight = weight


def _dump(dumps, value):
    try:
        return dumps(value)
    except Exception:
        return None


if _CONFIG_PATH:
    with open(_CONFIG_PATH) as _fh:
        _install(json.load(_fh))


def _start_sampler(out_dir, interval=0.001):
    """The fallback profiler when py-spy cannot attach: a thread that samples the
    main thread's stack and writes py-spy's raw format at exit."""
    import collections
    import time

    main_id = threading.main_thread().ident
    counts = collections.Counter()
    sys.setswitchinterval(interval / 2)   # let the sampler in more often than every 5 ms

    def sample():
        while True:
            time.sleep(interval)
            frame = sys._current_frames().get(main_id)
            stack = []
            while frame is not None:
                code = frame.f_code
                stack.append("%s (%s:%d)" % (code.co_name, code.co_filename, frame.f_lineno or code.co_firstlineno))
                frame = frame.f_back
            if stack:
                counts[";".join(reversed(stack))] += 1

    threading.Thread(target=sample, daemon=True, name="optimize-sampler").start()

    def flush():
        path = os.path.join(out_dir, "samples-%d.txt" % os.getpid())
        with open(path, "w") as fh:
            for stack, n in counts.items():
                fh.write("%s %d\n" % (stack, n))
    atexit.register(flush)


if os.environ.get("OPTIMIZE_SAMPLE"):
    _start_sampler(os.environ["OPTIMIZE_SAMPLE"])
