"""Shared by the replay and timing workers, which run inside the sandbox.
Standalone on purpose: no optimizer imports."""
import importlib
import math
import pickle
import sys


def load_function(module_name, qualname):
    """The raw function behind a target, called with the captured arguments
    (which include self or cls for methods)."""
    module = importlib.import_module(module_name)
    *owner_path, name = qualname.split(".")
    owner = module
    for part in owner_path:
        owner = getattr(owner, part)
    raw = owner.__dict__[name] if hasattr(owner, "__dict__") and name in owner.__dict__ else getattr(owner, name)
    return getattr(raw, "__func__", raw)               # staticmethod / classmethod


def load_calls(path):
    with open(path, "rb") as fh:
        return pickle.load(fh)


def run_call(fn, blob):
    """(outcome, value): ("return", result) or ("raise", exception type name), plus args after."""
    args, kwargs = pickle.loads(blob)
    try:
        result = fn(*args, **kwargs)
        return ("return", result), (args, kwargs)
    except Exception as exc:
        return ("raise", type(exc).__name__), (args, kwargs)


def same(a, b, depth=0):
    """Deep structural equality with types: 1, 1.0 and True are different here."""
    if depth > 60:
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y, depth + 1) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], depth + 1) for k in a)
    if isinstance(a, (str, bytes, int, bool, type(None), set, frozenset, complex)):
        return a == b
    if type(a).__eq__ is not object.__eq__:
        try:
            eq = a == b
            if isinstance(eq, bool):
                return eq
            return bool(getattr(eq, "all")())         # numpy-like arrays
        except Exception:
            pass
    state_a, state_b = _state(a), _state(b)
    if state_a is None or state_b is None:
        return a is b
    return same(state_a, state_b, depth + 1)


def _state(obj):
    if hasattr(obj, "__dict__"):
        return dict(vars(obj))
    slots = [s for cls in type(obj).__mro__ for s in getattr(cls, "__slots__", ())]
    if slots:
        return {s: getattr(obj, s, None) for s in slots}
    return None


def short(value, limit=160):
    try:
        text = repr(value)
    except Exception as exc:
        text = "<repr failed: %s>" % type(exc).__name__
    return text if len(text) <= limit else text[: limit // 2 - 2] + " … " + text[-(limit // 2 - 2):]


def fail(message):
    print(message, file=sys.stderr)
    raise SystemExit(3)
