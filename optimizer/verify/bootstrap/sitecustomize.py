"""Loaded by every Python process of a capture run (its folder is put first on PYTHONPATH).

When OPTIMIZE_CAPTURE names a config file, the target functions are wrapped as
their modules are imported, and each outermost call is recorded: the pickled
arguments before and after, the outcome, and the pytest test that made it.
Records are written at interpreter exit. This file must not import the
optimizer: it runs inside the user's (and later the candidate's) processes.
"""
import atexit
import functools
import hashlib
import importlib.abc
import json
import os
import pickle
import sys
import threading

_CONFIG_PATH = os.environ.get("OPTIMIZE_CAPTURE")


def _install(config):
    wanted = {}
    for t in config["targets"]:
        wanted.setdefault(t["module"], []).append(t)
    calls = {t["key"]: [] for t in config["targets"]}
    tests = {t["key"]: set() for t in config["targets"]}
    seen = set()
    budget = {"bytes": config.get("max_total_bytes", 20_000_000)}
    local = threading.local()
    max_calls = config.get("max_calls", 64)
    max_call_bytes = config.get("max_call_bytes", 1_000_000)

    def record(key, args_blob, outcome, result, exc, after, test):
        size = len(args_blob) + len(result or b"") + len(after or b"")
        if len(calls[key]) >= max_calls or size > max_call_bytes or size > budget["bytes"]:
            return
        budget["bytes"] -= size
        calls[key].append({"args": args_blob, "outcome": outcome, "result": result,
                           "exc": exc, "after": after, "test": test})

    def wrap(fn, key):
        @functools.wraps(fn)
        def captured(*args, **kwargs):
            test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
            if test:
                tests[key].add(test)
            if getattr(local, "depth", 0) or len(calls[key]) >= max_calls:
                return fn(*args, **kwargs)   # only outermost calls; recursion is part of the call
            try:
                blob = pickle.dumps((args, kwargs), protocol=4)   # doubles as a deep copy
            except Exception:
                blob = None
            digest = blob and hashlib.sha1(key.encode() + blob).digest()
            if blob is None or digest in seen:
                return fn(*args, **kwargs)
            seen.add(digest)
            local.depth = 1
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                local.depth = 0
                record(key, blob, "raise", None, type(exc).__name__, _dump((args, kwargs)), test)
                raise
            finally:
                local.depth = 0
            record(key, blob, "return", _dump(result), None, _dump((args, kwargs)), test)
            return result
        return captured

    def wrap_module(module):
        for t in wanted.get(module.__name__, ()):
            *owner_path, name = t["qualname"].split(".")
            owner = module
            for part in owner_path:
                owner = getattr(owner, part, None)
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
        data = {"calls": calls, "tests": {k: sorted(v) for k, v in tests.items()}}
        with open(out, "wb") as fh:
            pickle.dump(data, fh, protocol=4)
    atexit.register(flush)


def _dump(value):
    try:
        return pickle.dumps(value, protocol=4)
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
