"""Run one call and compare two runs of it: what "behaves the same" means.

An outcome is everything a caller can observe: the return value (iterators
consumed item by item), or the exception (type and message), the arguments
after the call (which include `self` for methods), and what was printed.
Standalone: runs inside the sandbox, imports nothing of the optimizer.
"""
import contextlib
import inspect
import io
import math
import pickle
import re
import types

from harness import short

MAX_ITEMS = 10_000   # items consumed from a returned iterator


class Outcome:
    __slots__ = ("kind", "value", "exc", "after", "stdout", "stderr", "aliases", "shared")

    def __init__(self, kind, value=None, exc=None, after=None, stdout="", stderr="", aliases=(), shared=None):
        self.kind, self.value, self.exc, self.after = kind, value, exc, after
        self.stdout, self.stderr = stdout, stderr
        self.aliases = aliases    # positions of arguments the result *is* (returned, not copied)
        self.shared = shared      # True when a repeated call returns the very same mutable object

    def dumps(self):
        """cloudpickle where available: the arguments after the call may hold the lambdas
        and closures capture kept (sitecustomize); plain pickle.loads reads either."""
        try:
            from cloudpickle import dumps
        except ImportError:
            dumps = pickle.dumps
        return dumps((self.kind, self.value, self.exc, self.after, self.stdout, self.stderr,
                      self.aliases, self.shared), protocol=4)

    @classmethod
    def loads(cls, blob):
        return cls(*pickle.loads(blob))


def run_outcome(fn, blob):
    """Call fn on freshly unpickled arguments and record everything observable."""
    args, kwargs = pickle.loads(blob)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            value = fn(*args, **kwargs)
            aliases = tuple(i for i, a in enumerate(args) if value is a and is_mutable(a))
            if inspect.isgenerator(value) or _is_iterator(value):
                value = _consume(value)
            outcome = Outcome("return", value, aliases=aliases)
        except Exception as exc:
            outcome = Outcome("raise", exc=(type(exc).__qualname__, _message(exc)))
    outcome.after, outcome.stdout, outcome.stderr = (args, kwargs), out.getvalue(), err.getvalue()
    return outcome


def is_mutable(value):
    """Values whose identity a caller can observe by changing them."""
    return not isinstance(value, (int, float, complex, str, bytes, bool, tuple, frozenset, range, type(None)))


class Consumed:
    """A returned iterator, as the items it produced (and how it ended)."""

    def __init__(self, items, error):
        self.items, self.error = items, error

    def __repr__(self):
        tail = f", then raised {self.error[0]}" if self.error else ""
        return f"<iterator yielding {short(self.items)}{tail}>"

    def ending(self):
        if self.error:
            return "raised %s: %s after %d items" % (self.error[0], self.error[1], len(self.items))
        return "exhausted after %d items" % len(self.items)


def _is_iterator(value):
    return hasattr(value, "__next__") and hasattr(value, "__iter__") and not isinstance(value, io.IOBase)


def _consume(it):
    items, error = [], None
    try:
        for item in it:
            items.append(item)
            if len(items) >= MAX_ITEMS:
                break
    except Exception as exc:
        error = (type(exc).__qualname__, _message(exc))
    return Consumed(items, error)


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _message(exc):
    """The exception's message, with object addresses (`<object object at 0x7f…>`) taken
    out: they differ between two runs of the same code, so keeping them made every call
    that raises with a repr in its message look non-deterministic (boltons' remap)."""
    try:
        return _ADDRESS.sub("", str(exc))
    except Exception:
        return "<unprintable>"


# How Python code says "not a kind of value I take": a wrong type, a missing attribute, a
# record without the key every captured record had.
REFUSALS = ("TypeError", "AttributeError", "KeyError")
# Running out of a resource: where and how the interpreter gives up is not what the code
# means, so these are compared by type only (and, on a generated call, are out of contract).
EXHAUSTION = ("RecursionError", "MemoryError")


def narrows(want, got):
    """The candidate refuses (REFUSALS) a call the original answers.
    On a call whose kinds of values no captured call passed (`foreign_kinds`), that
    narrows what the function accepts beyond anything its users were seen to do: the
    replay reports it rather than rejects (a set-based dedupe refuses lists of lists
    that a list-based one took). A different answer is never excused this way."""
    return want.kind == "return" and got.kind == "raise" and got.exc[0] in REFUSALS


def kinds(value, depth=3, prefix=""):
    """The kinds of values `value` is made of, as paths: [1, [2]] gives {'list',
    'list/int', 'list/list', 'list/list/int'}; an empty list gives {'list'}. Lengths,
    orders and values do not count, only types and nesting (50 items per level). A
    dict with a few string keys is a record: its keys are part of its kind
    ({'id': 1} is 'dict{id}'), so a record missing a field every captured one had is
    a kind the workload never passes."""
    name = prefix + type(value).__name__
    if type(value) is dict and len(value) <= 12 and all(type(k) is str for k in value):
        name += "{%s}" % ",".join(sorted(value))
    out = {name}
    if depth <= 0:
        return out
    t = type(value)
    try:
        if t in (list, tuple, set, frozenset):
            for i, item in enumerate(value):
                if i >= 50:
                    break
                out |= kinds(item, depth - 1, name + "/")
        elif t is dict:
            for i, (k, v) in enumerate(value.items()):
                if i >= 50:
                    break
                out |= kinds(k, depth - 1, name + "/key:") | kinds(v, depth - 1, name + "/")
    except Exception:
        pass
    return out


def call_kinds(args, kwargs):
    """{position or keyword: kinds} of one call's arguments."""
    out = {i: kinds(a) for i, a in enumerate(args)}
    out.update({"=" + k: kinds(v) for k, v in kwargs.items()})
    return out


def foreign_kinds(call, seen):
    """Does this call pass a kind of value (a type, or a nesting of types) that none of
    the calls behind `seen` (merged call_kinds) passed in the same place?"""
    return any(not k <= seen.get(where, set()) for where, k in call.items())


def difference(want, got, rtol=0.0, loose_errors=False, is_method=False, outside_contract=False):
    """None when got behaves like want; else (what, expected, actual) in plain words.
    outside_contract: a generated input the original refuses (TypeError or
    AttributeError; KeyError too on a kind of value no captured call passes); a
    candidate may refuse it with any of REFUSALS, or accept it."""
    if outside_contract and want.kind == "raise" and got.kind == "return":
        return None
    if outside_contract and want.kind == got.kind == "raise" and want.exc[0] in REFUSALS \
            and got.exc[0] in REFUSALS:
        return None     # refused either way: which refusal is the implementation's detail
    if want.kind != got.kind:
        if want.kind == "return":
            return "raises where the original returns", short(want.value), "%s: %s" % got.exc
        return "returns where the original raises", "%s: %s" % want.exc, short(got.value)
    if want.kind == "raise":
        # A RecursionError's message says where the interpreter ran out of stack
        # ("... while calling a Python object"), not what the code means: its type only.
        same_exc = want.exc[0] == got.exc[0] and (loose_errors or want.exc[1] == got.exc[1]
                                                  or want.exc[0] in EXHAUSTION)
        if not same_exc:
            return "raises a different exception", "%s: %s" % want.exc, "%s: %s" % got.exc
    else:
        path = diff_path(want.value, got.value, rtol)
        if path is not None:
            return "returns a different value" + _at(path[0]), short(path[1]), short(path[2])
    want_args, want_kwargs = want.after or ((), {})
    got_args, got_kwargs = got.after or ((), {})
    for i, (a, b) in enumerate(zip(want_args, got_args)):
        if _is_iterator(a):
            continue    # how far an iterator argument was consumed is the implementation's business
        path = diff_path(a, b, rtol)
        if path is not None:
            what = "leaves self in a different state" if (i == 0 and is_method) else f"mutates argument #{i} differently"
            return what + _at(path[0]), short(path[1]), short(path[2])
    path = diff_path(want_kwargs, got_kwargs, rtol)
    if path is not None:
        return "mutates a keyword argument differently" + _at(path[0]), short(path[1]), short(path[2])
    if want.kind == "return" and want.aliases != got.aliases:
        return ("returns an argument itself where the original returns a new object" if got.aliases else
                "returns a new object where the original returns its argument itself"), \
            _aliases(want.aliases), _aliases(got.aliases)
    if want.kind == "return" and None not in (want.shared, got.shared) and want.shared != got.shared:
        return ("returns the same object on repeated calls (shared state) where the original returns a "
                "fresh one" if got.shared else "returns a fresh object where the original returns the same one"), \
            "shared" if want.shared else "fresh", "shared" if got.shared else "fresh"
    if want.stdout != got.stdout:
        return "prints different output", short(want.stdout), short(got.stdout)
    if want.stderr != got.stderr:
        return "writes different output to stderr", short(want.stderr), short(got.stderr)
    return None


def _at(path):
    path = path.strip()
    return f" at {path}" if path else ""


def _aliases(positions):
    return "argument #%s itself" % ", #".join(map(str, positions)) if positions else "a new object"


_ATOMS = (str, bytes, int, float, complex, type(None))
_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))


def diff_path(a, b, rtol=0.0, path="", depth=0, pairs=None):
    """The first place where a and b differ, as (path, a_part, b_part); None when equal.
    Types count: 1, 1.0 and True differ. Floats are exact unless rtol > 0.
    `pairs` holds the (a, b) pairs under comparison: meeting one again (a cycle, such as an
    object whose cache holds its own bound methods) counts as alike, so two copies of a
    cyclic structure compare by their shape rather than failing at the depth limit."""
    if a is b:
        return None
    if type(a) is not type(b):
        return (path, a, b)
    if pairs is None:
        pairs = {}
    key = (id(a), id(b))
    if key in pairs:
        return None
    if isinstance(a, _ATOMS):
        return _diff(a, b, rtol, path, depth, pairs)
    pairs[key] = (a, b)         # held, so no id is reused by a temporary while comparing
    found = _diff(a, b, rtol, path, depth, pairs)
    if found is not None:
        del pairs[key]          # only pairs found alike, or being compared, count as alike
    return found


def _diff(a, b, rtol, path, depth, pairs):
    if depth > 50:
        return None if _eq(a, b) else (path, a, b)
    if isinstance(a, float):
        if a == b or (math.isnan(a) and math.isnan(b)):
            return None
        return None if rtol and math.isclose(a, b, rel_tol=rtol) else (path, a, b)
    if isinstance(a, complex):
        return None if a == b else (path, a, b)
    if isinstance(a, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b)):
            found = diff_path(x, y, rtol, f"{path}[{i}]", depth + 1, pairs)
            if found:
                return found
        return None if len(a) == len(b) else (f"{path} (length {len(a)} vs {len(b)})", a, b)
    if isinstance(a, dict):
        if list(a.keys()) != list(b.keys()):
            # (each trial with its own memo: a pair assumed alike inside a failed trial proves nothing)
            if len(a) == len(b) and all(diff_path(x, y, rtol, path, depth + 1) is None for x, y in zip(a, b)):
                # keys that are objects equal only to themselves (an ElementTree node as a key):
                # copies are alike when their keys are, in the same order
                for i, (x, y) in enumerate(zip(a, b)):
                    found = diff_path(a[x], b[y], rtol, f"{path}[key #{i}]", depth + 1, pairs)
                    if found:
                        return found
                return None
            if a.keys() != b.keys():
                return (f"{path} (keys)", sorted(a.keys(), key=repr), sorted(b.keys(), key=repr))
            return (f"{path} (key order)", list(a.keys()), list(b.keys()))
        for k in a:
            found = diff_path(a[k], b[k], rtol, f"{path}[{k!r}]", depth + 1, pairs)
            if found:
                return found
        return None
    if isinstance(a, (set, frozenset)) and a != b and len(a) == len(b) <= 200:
        # members equal only to themselves: alike when each has an alike partner (small sets)
        rest = list(b)
        for x in a:
            partner = next((i for i, y in enumerate(rest) if diff_path(x, y, rtol, path, depth + 1) is None), None)
            if partner is None:
                return (path, a, b)
            rest.pop(partner)
        return None
    if isinstance(a, (str, bytes, bytearray, int, bool, type(None), set, frozenset, range, type)):
        return None if a == b else (path, a, b)
    if isinstance(a, Consumed):
        if a.error != b.error:     # one of them fails part-way: say that, not just "fewer items"
            return (path + " (iterator end)", a.ending(), b.ending())
        return diff_path(a.items, b.items, rtol, path + " (iterator items)", depth + 1, pairs)
    array = _array_diff(a, b, path)
    if array is not False:
        return array
    if isinstance(a, _VIEWS):      # dict.items() and kin: their items, in order, as a list's
        return diff_path(list(a), list(b), rtol, path, depth + 1, pairs)
    if type(a) is object:          # a bare sentinel has no state: copies of one are alike
        return None
    if isinstance(a, (types.MethodType, types.BuiltinMethodType)) and not isinstance(a.__self__, types.ModuleType):
        # Bound methods are equal only on the very same object; copies of one are alike
        # when they bind the same function to alike objects.
        if getattr(a, "__qualname__", None) != getattr(b, "__qualname__", None):
            return (path, a, b)
        return diff_path(a.__self__, b.__self__, rtol, path + ".__self__", depth + 1, pairs)
    if type(a).__eq__ is not object.__eq__:       # the class says what equal means
        if _eq(a, b):
            return None
        if not rtol:
            return (path, a, b)
    state_a, state_b = _state(a), _state(b)
    if state_a is None or state_b is None:    # C-level state (iterators, ...): what pickling keeps
        return None if _eq(a, b) or _same_pickle(a, b) else (path, a, b)
    if state_a.keys() != state_b.keys():
        return (f"{path} (attributes)", sorted(state_a), sorted(state_b))
    for name in state_a:
        found = diff_path(state_a[name], state_b[name], rtol, f"{path}.{name}", depth + 1, pairs)
        if found:
            return found
    return None


def _array_diff(a, b, path):
    """numpy-like arrays: same dtype, shape and elements. False when a is not one."""
    if not (hasattr(a, "shape") and hasattr(a, "dtype") and hasattr(a, "tolist")):
        return False
    if a.shape != b.shape or a.dtype != b.dtype:
        return (f"{path} (shape/dtype)", (a.shape, str(a.dtype)), (b.shape, str(b.dtype)))
    return diff_path(a.tolist(), b.tolist(), 0.0, path, 0)


def _eq(a, b):
    try:
        result = a == b
        return result if isinstance(result, bool) else bool(result)
    except Exception:
        return False


def _same_pickle(a, b):
    try:
        return pickle.dumps(a, protocol=4) == pickle.dumps(b, protocol=4)
    except Exception:
        return False


def _state(obj):
    """An object's observable state: __dict__ and __slots__ (dataclasses included)."""
    state = dict(vars(obj)) if hasattr(obj, "__dict__") else {}
    for cls in type(obj).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if slot not in ("__dict__", "__weakref__") and hasattr(obj, slot):
                state[slot] = getattr(obj, slot)
    return state if (state or hasattr(obj, "__dict__")) else None
