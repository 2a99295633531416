"""Generated and mutated calls: edge cases shaped like the captured arguments, draws
from the signature's type hints or the captured values' shapes (hypothesis), and
mutations of the captured values with a dictionary taken from the source. The
original's behaviour on each is the oracle, so a new call needs no expected value,
only to be replayable. Standalone: runs inside the sandbox with the original code.

  generate(fn, captured, is_method, limit, seed, literals)   the first round (replay.record)
  dictionary(fn, literals)    the literals of fn's source (and its module's helpers it uses)
  mutants(blob, words, rng, is_method, n)   n mutations of one call (the search's later rounds)

Everything is deterministic for a seed.
"""
import ast
import inspect
import math
import operator
import pickle
import random
import textwrap
import typing

MAX_BLOB = 64 * 1024      # bytes of one new call: a fuzzer's inputs stay small
MAX_WORDS = 64            # literals in a dictionary
MAX_WORD_CHARS = 40       # longer string literals are messages and docs, not special cases
MAX_HELPERS = 8           # module-level functions of fn's module whose source is read too

SPECIAL_STRINGS = ("nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-0", "0.0", "1_000", "0x1f")
SEPARATORS = (",", ".", "-", "_", "/", " ")
UNICODE_DIGITS = ("٣", "²", "①", "Ⅻ", "１２")
WHITESPACE = (" %s ", "\t%s", "%s\n")
HUGE_INT = 2 ** 63 - 1    # huge, yet what C-level APIs still take (islice, range, struct): past it,
                          # a correct rewrite differs only by an OverflowError nobody meets
OTHER_TYPES = (int, float, str, bytes, list, tuple, dict, set, bool, type(None), object)


OTHER_CALLABLES = (str, len, abs, repr, bool, sorted, operator.neg, operator.itemgetter(0), str.lower,
                   lambda x: x)


def _dumps(value):
    """cloudpickle where available (lambdas, closures), else pickle; plain pickle.loads reads both."""
    try:
        from cloudpickle import dumps
    except ImportError:
        dumps = pickle.dumps
    return dumps(value, protocol=4)


def _storable(value):
    """The pickled call, or None when it does not load back: cloudpickle pickles a type it
    cannot name (a `tuple_iterator` inside an argument) by value, and loading it then
    fails, so the call could be neither replayed nor compared."""
    try:
        blob = _dumps(value)
        pickle.loads(blob)
    except Exception:
        return None
    return blob


_MISSING = object()


class Words:
    """A mutation dictionary: literals by kind, in order of first appearance."""

    def __init__(self):
        self.strings, self.bytes, self.numbers, self.specials = [], [], [], []

    def add(self, value):
        t = type(value)
        if t is str and len(value) <= MAX_WORD_CHARS:
            bucket = self.strings
        elif t is bytes and len(value) <= MAX_WORD_CHARS:
            bucket = self.bytes
        elif t in (int, float) and (t is int or not math.isnan(value)):
            bucket = self.numbers
        elif value is None or t is bool or (t is float and math.isnan(value)):
            bucket = self.specials
        else:
            return
        if len(self) < MAX_WORDS and not any(type(v) is t and (v == value or (v != v and value != value))
                                             for v in bucket):
            bucket.append(value)

    def __len__(self):
        return len(self.strings) + len(self.bytes) + len(self.numbers) + len(self.specials)


def dictionary(fn, literals=()):
    """The literals of fn's source, of the module-level functions and constants of its module
    it names, and `literals` (first: a candidate's, passed by the caller)."""
    words = Words()
    for value in literals:
        _add_value(words, value)
    try:
        inner = inspect.unwrap(fn)
        sources = [textwrap.dedent(inspect.getsource(inner))]
    except (OSError, TypeError, ValueError):
        return words
    module = inspect.getmodule(inner)
    helpers = 0
    for name in _names(inner.__code__):
        value = getattr(module, name, _MISSING) if module is not None else _MISSING
        if value is _MISSING:
            continue
        if inspect.isfunction(value) and value.__module__ == inner.__module__ and helpers < MAX_HELPERS:
            try:
                sources.append(textwrap.dedent(inspect.getsource(value)))
                helpers += 1
            except (OSError, TypeError):
                pass
        elif not callable(value) and not inspect.ismodule(value):
            _add_value(words, value)    # a module constant: SPECIAL = ("nan", "inf")
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        docs = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.body
                and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and id(node) not in docs:
                words.add(node.value)
            elif isinstance(node, (ast.Name, ast.Attribute)):
                name = node.id if isinstance(node, ast.Name) else node.attr
                if name in ("inf", "nan", "NaN"):
                    words.add(float(name))
    return words


def _add_value(words, value, depth=0):
    if isinstance(value, (str, bytes, int, float)) or value is None:
        words.add(value)
    elif depth < 2 and isinstance(value, (tuple, list, set, frozenset, dict)):
        for item in list(value)[:32]:
            _add_value(words, item, depth + 1)


def _names(code):
    out, todo = [], [code]
    while todo:
        c = todo.pop(0)
        out += [n for n in c.co_names if n not in out]
        todo += [k for k in c.co_consts if inspect.iscode(k)]
    return out


def generate(fn, captured_blobs, is_method, limit=120, seed=0, literals=()):
    """Pickled (args, kwargs) blobs of new calls, deduplicated against the captured ones."""
    return [blob for _, blob in generate_tagged(fn, captured_blobs, is_method, limit, seed, literals)]


def generate_tagged(fn, captured_blobs, is_method, limit=120, seed=0, literals=()):
    """(origin, blob) of new calls: "generated" (type hints, captured shapes, edge cases by
    type) interleaved one for one with "mutated" (the dictionary mixed into captured values)."""
    rng = random.Random(seed)
    seen = set(captured_blobs)
    words = dictionary(fn, literals)
    typed, mutated = [], []

    def add(into, args, kwargs):
        blob = _storable((tuple(args), dict(kwargs)))
        if blob is None:
            return
        if blob not in seen and len(blob) <= MAX_BLOB * 16:
            seen.add(blob)
            into.append(blob)

    for args, kwargs in from_hints(fn, captured_blobs, is_method, examples=12):
        add(typed, args, kwargs)
    others = _captured_types(captured_blobs)
    sig = _signature(fn)
    # Per captured call (and argument), its variants and mutations, most telling first; then
    # taken round-robin, so the first `limit` cover every captured call's odd cases rather
    # than all the cases of the first few calls.
    per_typed, per_mutated = [], []
    for blob in _seeds(captured_blobs[:32]):
        args, kwargs = pickle.loads(blob)
        for slot, value in _some(slots(sig, args, kwargs, is_method)):
            per_typed.append([_with(args, kwargs, slot, v) for v in variants(value, rng, others)])
            per_mutated.append([_with(args, kwargs, slot, v) for v in mutations(value, words, rng)])
    for into, lists in ((typed, per_typed), (mutated, per_mutated)):
        for call in _round_robin(lists, 4 * limit):
            add(into, *call)
    out = []
    for i in range(max(len(typed), len(mutated))):
        out += [("generated", typed[i])] if i < len(typed) else []
        out += [("mutated", mutated[i])] if i < len(mutated) else []
    return out[:limit]


def _seeds(blobs):
    """The captured calls to vary: not those over the size a new call may have when smaller
    ones exist (a variant of one argument keeps the others, so it would be as big, and the
    smaller calls reach the same parameters)."""
    small = [b for b in blobs if len(b) <= MAX_BLOB * 16]
    return small or sorted(blobs, key=len)[:1]


def _some(where, first=12, last=4):
    """At most `first` + `last` argument slots of one call: `f(*two_hundred_thousand_dicts)`
    has a slot per item, and a variant of each would copy the whole tuple of arguments."""
    return where if len(where) <= first + last else where[:first] + where[-last:]


def _round_robin(lists, most):
    """One item of each list in turn. List j starts at its item j (wrapping): with many
    captured calls, the first pass then holds every kind of mutation, each on some call,
    rather than the first kind on every call."""
    lists = [x[j % len(x):] + x[:j % len(x)] for j, x in enumerate(lists) if x]
    out, i = [], 0
    while len(out) < most and any(i < len(x) for x in lists):
        out += [x[i] for x in lists if i < len(x)]
        i += 1
    return out[:most]


def mutants(blob, words, rng, is_method, n=8, fn=None):
    """n calls that differ from `blob` in one argument (or one left at its default: fn's
    signature tells), mutated with the dictionary or, for a container, in one of its
    items; fewer when they come out the same."""
    args, kwargs = pickle.loads(blob)
    where = slots(_signature(fn) if fn is not None else None, args, kwargs, is_method)
    out = []
    for _ in range(n if where else 0):
        slot, value = rng.choice(where)
        choices = mutations(value, words, rng) or variants(value, rng)
        if not choices:
            continue
        new_blob = _storable(_with(args, kwargs, slot, rng.choice(choices)))
        if new_blob is None:
            continue
        if new_blob != blob and len(new_blob) <= MAX_BLOB and new_blob not in out:
            out.append(new_blob)
    return out


def _signature(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def slots(sig, args, kwargs, is_method):
    """(position or keyword, value) of each argument a call passes, and (keyword, default)
    of each parameter it leaves at a default (a `kind=int` the workload never changes)."""
    out = [(i, args[i]) for i in range(1 if is_method else 0, len(args))] + list(kwargs.items())
    if sig is not None:
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError:
            return out
        for p in sig.parameters.values():
            if p.name not in bound.arguments and p.default is not p.empty \
                    and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                out.append((p.name, p.default))
    return out


def _with(args, kwargs, slot, value):
    if isinstance(slot, int):
        return args[:slot] + (value,) + args[slot + 1:], kwargs
    return args, {**kwargs, slot: value}


def mutations(value, words, rng, depth=0):
    """Values of (mostly) the same kind that odd inputs take: the dictionary's literals mixed
    in, and the special cases of the type (see the module's constants)."""
    t = type(value)
    specials = [v for v in words.specials if type(v) is not t]
    if t is str:
        return _string_mutations(value, words, rng) + specials
    if t is bytes:
        out = [w for w in words.bytes]
        for w in words.bytes[:8]:
            out += [w + value, value + w]
        for s in _string_mutations(value.decode("latin-1"), words, rng)[:40]:
            try:
                out.append(s.encode("latin-1"))
            except UnicodeEncodeError:
                pass
        return out + specials
    if t is bool:
        return [not value, int(value)] + specials
    if t is int:
        out = [value + 1, HUGE_INT, 0, -value, 1, -1, value - 1, -HUGE_INT, True, False]   # the head is tried first
        for w in words.numbers[:12]:
            if type(w) is int:
                out += [w - 1, w, w + 1]
                if 1 < abs(w) <= 10 ** 6:      # a base (1000, 1024): its exact powers are boundaries
                    out += [w ** 2, w ** 3, w ** 2 - 1]
        return out + specials
    if t is float:
        out = [0.0, -0.0, 1.0, -1.0, -value, math.nan, math.inf, -math.inf, 1e308, 5e-324]
        for w in words.numbers[:12]:
            out += [float(w - 1), float(w), float(w + 1)] if type(w) is int else [w, -w, math.nextafter(w, math.inf)]
        return out + specials
    if t in (list, tuple, set, frozenset, dict) and depth < 2:
        return _container_mutations(value, words, rng, depth) + specials
    if isinstance(value, type):
        return [k for k in OTHER_TYPES if k is not value]
    if callable(value) and not isinstance(value, type):
        return [f for f in OTHER_CALLABLES if f is not value]
    return specials


def _string_mutations(value, words, rng):
    middle = len(value) // 2
    # The source's own first literals and the classic slips lead: the first round takes
    # only the head of this list for each captured value.
    out = list(words.strings[:6]) + [w + value for w in words.strings[:2]] + _character_classes(value)
    for w in words.strings[:16]:
        out += [w, w + value, value + w, value[:middle] + w + value[middle:]]
    for w in words.numbers[:8]:
        if type(w) is int and 0 <= w <= 64:                # a length boundary: len(s) > 3
            filler = (value or "a") * (w + 1)
            out += [filler[:w - 1] if w else "", filler[:w], filler[:w + 1]]
        out.append(str(w))
    out += ["+" + value, "-" + value, value.upper(), value.lower(), value.title(), value.swapcase()]
    out += [pattern % value for pattern in WHITESPACE] + [" ", "\t", "\n"]
    out += list(SPECIAL_STRINGS)
    for sep in SEPARATORS:
        out += [value[:middle] + sep + value[middle:], sep]
    out += list(UNICODE_DIGITS) + [value + UNICODE_DIGITS[0], ""]
    return [s for s in out if s != value]


def _character_classes(value):
    """The classic slips of string handling, first: a trailing newline (a regex's `$`
    matches before it), a leading zero before a number, a digit of another script or a
    superscript (`isdigit` and `int()` disagree on them), an underscore or a sign inside
    (`int()` takes '1_0' and '+1'), a character outside the expected class ('g' among
    hex digits)."""
    out = [value + "\n"]
    digits = [i for i, c in enumerate(value) if c in "0123456789"]
    if digits:
        first = digits[0]
        out += [value[:first] + "0" + value[first:],
                value[:first] + "²" + value[first + 1:], value[:first] + "٣" + value[first + 1:]]
    if len(value) > 1:
        middle = len(value) // 2
        for c in ("_", "+", "g"):
            out.append(value[:middle] + c + value[middle + 1:])
    return out


def _container_mutations(value, words, rng, depth):
    t = type(value)
    if t is dict:
        items = list(value.items())
        out = [{}, dict(items + items[:1]), {**value, None: None}] if items else [{}]
        if items:
            key, item = items[rng.randrange(len(items))]
            for v in rng.sample(mutations(item, words, rng, depth + 1) or [None], k=1):
                out.append({**value, key: v})
            for k in rng.sample(mutations(key, words, rng, depth + 1) or [None], k=1):
                try:
                    out.append({**value, k: item})
                except TypeError:      # an unhashable key
                    pass
        return out
    items = list(value)
    out = [[], items + items[:1], items + [None], items + ["x"], items + [1.5], [items], items[::-1]]
    if items:
        i = rng.randrange(len(items))
        inner = mutations(items[i], words, rng, depth + 1)
        for v in rng.sample(inner, k=min(3, len(inner))):
            out.append(items[:i] + [v] + items[i + 1:])
    new = []
    for x in out:
        try:
            new.append(t(x))
        except TypeError:              # an unhashable item in a set
            pass
    return new


def _captured_types(captured_blobs):
    out = []
    for blob in captured_blobs[:16]:
        try:
            args, kwargs = pickle.loads(blob)
        except Exception:
            continue
        for a in list(args) + list(kwargs.values()):
            if type(a) not in out and type(a).__module__ == "builtins":
                out.append(type(a))
    return tuple(out)


def variants(value, rng, captured_types=()):
    """Edge cases of the same type: empty, single, reversed, shuffled, duplicated,
    zero and negative numbers, unicode strings; other types for a type, other
    callables for a callable."""
    t = type(value)
    if t is bool:
        return [not value]
    if t is int:
        return [0, 1, -1, -value, value + 1]
    if t is float:
        return [0.0, -0.0, -value, value / 3, 0.1]
    if t is str:
        return ["", value[:1], value[::-1], value + value, "é" + value, "日本語 ✓"]
    if t is bytes:
        return [b"", value[:1], value[::-1], value + value]
    if t in (list, tuple):
        items = list(value)
        shuffled = items[:]
        rng.shuffle(shuffled)
        out = [[], items[:1], items[::-1], shuffled, items + items, items[:1] * 3]
        numbers = items and all(type(x) in (int, float) for x in items)
        if numbers:
            # zeros, and opposites that sum to zero: the paths of divisions and empty totals
            out += [[-x for x in items], [x * 0 for x in items], items + [-x for x in items]]
        if items and all(type(x) is float for x in items):
            out.append([x / 3 for x in items])
        if len(items) > 1 and all(type(x) is tuple and len(x) > 1 for x in items):
            out.append([(x[0], items[0][1]) + x[2:] for x in items])     # ties on the second field
        variants_ = [t(x) for x in out]
        if t is list and items:
            variants_.append(iter(items))    # a one-shot iterable where a sequence was passed
        return variants_
    if t is dict:
        items = list(value.items())
        out = [{}, dict(items[:1]), dict(items[::-1])]
        if len(items) > 1:
            out.append({k: items[0][1] for k, _ in items})    # ties: every value the same,
            out.append({k: items[0][1] for k, _ in items[::-1]})   # in both key orders
        return out
    if t in (set, frozenset):
        return [t(), t(list(value)[:1])]
    if isinstance(value, type):         # a class passed as a value: int, a model class
        return [k for k in OTHER_TYPES + tuple(captured_types) if k is not value]
    if callable(value) and not isinstance(value, type):
        return [f for f in OTHER_CALLABLES if f is not value]
    return []


def from_hints(fn, captured_blobs, is_method, examples=12):
    """Calls drawn with hypothesis from the annotations (`from_type`); a parameter without
    one takes a strategy built from the shapes of its captured values (lists of ints ->
    lists of integers, dicts of str to int -> dictionaries, ...), or its default.
    Deterministic (derandomized); [] when unsupported."""
    try:
        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st

        sig = inspect.signature(fn)
        hints = typing.get_type_hints(fn)
    except Exception:
        return []
    params = [p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if is_method:
        params = params[1:]
    seen_values = {p.name: [] for p in params}
    first_self = None
    for blob in captured_blobs[:16]:
        args, kwargs = pickle.loads(blob)
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError:
            continue
        if is_method and first_self is None:
            first_self = blob
        for p in params:
            if p.name in bound.arguments:
                seen_values[p.name].append(bound.arguments[p.name])
    strategies = []
    for p in params:
        if p.name in hints:
            strategies.append(st.from_type(hints[p.name]))
        elif seen_values[p.name]:
            strategies.append(shape_strategy(seen_values[p.name], st))
        elif p.default is not p.empty:
            strategies.append(st.one_of(st.just(p.default), shape_strategy([p.default], st)))
        else:
            return []
    if (is_method and first_self is None) or not params:
        return []
    drawn = []

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.tuples(*strategies))
    def collect(values):
        drawn.append(values)

    try:
        collect()
    except Exception:
        pass
    calls = []
    for values in drawn:
        prefix = (pickle.loads(first_self)[0][0],) if is_method else ()
        calls.append((prefix + tuple(values), {}))
    return calls


def shape_strategy(values, st, depth=0):
    """A hypothesis strategy for values shaped like `values` (one of, per type)."""
    groups = {}
    for v in values:
        groups.setdefault(type(v), []).append(v)
    return st.one_of(*[_group_strategy(t, group, st, depth) for t, group in groups.items()])


def _group_strategy(t, group, st, depth):
    simple = {bool: st.booleans(), int: st.integers(), float: st.floats(), type(None): st.none(),
              str: st.text(max_size=12), bytes: st.binary(max_size=12)}
    if t in simple:
        return simple[t]
    if t in (list, tuple, set, frozenset) and depth < 2:
        items = [x for v in group for x in list(v)[:50]][:200]
        if not items:
            return st.just(t())
        if t is tuple and len({len(v) for v in group}) == 1 and 0 < len(group[0]) <= 6:
            return st.tuples(*[shape_strategy([v[i] for v in group], st, depth + 1) for i in range(len(group[0]))])
        element = shape_strategy(items, st, depth + 1)
        if t in (set, frozenset):
            return st.sets(element, max_size=8).map(t) if all(_hashable(x) for x in items) else st.sampled_from(group)
        return st.lists(element, max_size=8).map(t)
    if t is dict and depth < 2:
        keys = [k for v in group for k in list(v)[:50]][:200]
        if not keys:
            return st.just({})
        values = [v[k] for v in group for k in list(v)[:50]][:200]
        return st.dictionaries(shape_strategy(keys, st, depth + 1), shape_strategy(values, st, depth + 1), max_size=8)
    if isinstance(group[0], type):
        return st.sampled_from(list(dict.fromkeys(group + list(OTHER_TYPES))))
    return st.sampled_from(group)


def _hashable(x):
    try:
        hash(x)
        return True
    except TypeError:
        return False
