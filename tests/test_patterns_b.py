"""Catalog patterns, second batch: append loops, dict counting, emptiness tests, map/filter lambdas.

For each: the exact rewritten text, the same behaviour when both versions run on
many inputs, and the refusals where a precondition must hold the line.
"""
from __future__ import annotations

import random

import pytest

from optimizer.propose.patterns import append_comprehension, count_with_counter, emptiness_any, map_lambda
from test_patterns import d, same_behaviour

MODULES = [append_comprehension, count_with_counter, emptiness_any, map_lambda]


def random_lists(n: int = 60, seed: int = 0) -> list[list]:
    """Small lists with many repeats and mixed hashable types (1, 1.0 and True are equal keys)."""
    rng = random.Random(seed)
    pool = [-1, 0, 1, 2, 2.0, 1.0, True, False, "a", "b", "", (1,), None, 3]
    return [[rng.choice(pool) for _ in range(rng.randrange(9))] for _ in range(n)] + [[]]


def int_lists(n: int = 60, seed: int = 1) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(-3, 6) for _ in range(rng.randrange(9))] for _ in range(n)] + [[]]


# ------------------------------------------------------ append-loop-to-comprehension
EVENS = d("""
    def evens(xs):
        out = []  # the result
        for x in xs:
            if x % 2 == 0:  # keep evens
                out.append(x * 10)
        return out
""")


def test_append_with_if_text_and_comments():
    new, imports = append_comprehension.rewrite(EVENS)
    assert new == d("""
        def evens(xs):
            # keep evens
            out = [x * 10 for x in xs if x % 2 == 0]  # the result
            return out
    """)
    assert imports == ()
    same_behaviour(EVENS, (new, imports), [(xs,) for xs in int_lists()] + [([1, "a"],), (None,)])


def test_append_tuple_target_and_one_line_body():
    src = d("""
        def pairs(xs, n):
            total = n
            res = []
            for i, x in enumerate(xs): res.append((i, x, total))
            return res
    """)
    new, _ = append_comprehension.rewrite(src)
    assert new == d("""
        def pairs(xs, n):
            total = n
            res = [(i, x, total) for i, x in enumerate(xs)]
            return res
    """)
    same_behaviour(src, (new, ()), [(xs, 7) for xs in random_lists()])


def test_append_parenthesises_what_a_comprehension_needs():
    src = d("""
        def f(xs, c):
            out = []
            for x in xs if c else ():
                if x if c else None:
                    out.append(y for y in (x, x))
            return [list(g) for g in out]
    """)
    new, _ = append_comprehension.rewrite(src)
    assert "    out = [(y for y in (x, x)) for x in (xs if c else ()) if (x if c else None)]\n" in new
    same_behaviour(src, (new, ()), [(xs, c) for xs in random_lists(20) for c in (0, 1)])


def test_append_loops_reusing_a_variable_are_all_rewritten():
    src = d("""
        def f(a, b):
            r = []
            for x in a:
                r.append(repr(x))
            s = []
            for x in b:
                s.append(x)
            return r, s, [x for x in a]
    """)
    new, _ = append_comprehension.rewrite(src)
    assert "r = [repr(x) for x in a]\n    s = [x for x in b]\n" in new and "for x in a:" not in new
    lists = random_lists()
    same_behaviour(src, (new, ()), [(a, b) for a, b in zip(lists, reversed(lists))])


def test_append_loop_variable_bound_earlier_and_nested_in_outer_loop():
    src = d("""
        def f(rows):
            x = 0
            print(x)
            grid = []
            for row in rows:
                line = []
                for x in row:
                    line.append(str(x))
                grid.append(line)
            return grid
    """)
    new, _ = append_comprehension.rewrite(src)
    assert "        line = [str(x) for x in row]\n        grid.append(line)" in new
    same_behaviour(src, (new, ()), [(rows,) for rows in [[], [[1, 2], []], [[None], ["a", 3]]]])


APPEND = d("""
    def f(xs):
        out = []
        for x in xs:
            out.append(x + 1)
        return out
""")

APPEND_REFUSED = [
    APPEND.replace("x + 1", "len(out)"),                                     # reads out
    APPEND.replace("in xs", "in xs + out"),                                  # out in the iterable
    APPEND.replace("out.append(x + 1)", "out.append(x)\n        out.append(x)"),  # two statements
    APPEND.replace("out.append(x + 1)", "print(x)\n        out.append(x)"),
    APPEND.replace("return out", "else:\n        out.append(0)\n    return out"),  # for-else
    APPEND.replace("return out", "return out, x"),                           # x used after
    APPEND.replace("return out", "del x\n    return out"),
    APPEND.replace("out = []", "out = [0]"),                                 # non-empty init
    APPEND.replace("out = []", "out = []\n    n = 0"),                       # not immediately before
    APPEND.replace("out.append(x + 1)", "if x:\n            out.append(x)\n        else:\n"
                   "            out.append(0)"),                             # if with else
    APPEND.replace("out.append(x + 1)", "out.append(x + 1, 2)"),
    APPEND.replace("out.append(x + 1)", "out.append(*x)"),
    APPEND.replace("out.append(x + 1)", "out.extend(x)"),
    APPEND.replace("out.append(x + 1)", "out.append(y := x)"),               # walrus
    APPEND.replace("out.append(x + 1)", "for y in x:\n            out.append(y)"),  # nested loop
    APPEND.replace("out = []", "x = 1\n    out = []").replace("return out", "return out + [x]"),
    APPEND.replace("for x in xs", "for x[0] in xs"),                         # not a plain target
    APPEND.replace("for x in xs", "for x in xs(x)"),                         # iterable reads x
    APPEND.replace("def f(xs):", "def f(xs):\n    global x"),
    APPEND.replace("def f(xs):", "def f(xs):\n    show = lambda: out"),      # closure reads out
    APPEND.replace("def f(xs):", "def f(xs):\n    show = lambda: x"),        # closure reads x
    APPEND.replace("return out", "return out, locals()"),
    APPEND.replace("x + 1", "super().g(x)"),
    "def f(xs):\n    for n in range(2):\n        print(x)\n        out = []\n        for x in xs:\n"
    "            out.append(x + 1)\n    return out\n",                       # read earlier in an outer loop
    "def f(xs):\n    try:\n        out = []\n        for x in xs:\n            out.append(1 / x)\n"
    "    except ZeroDivisionError:\n        return out\n    return out\n",      # half-built seen
    "def f(xs):\n    with ctx():\n        out = []\n        for x in xs:\n            out.append(x)\n"
    "    return out\n",
    "async def f(xs):\n    out = []\n    async for x in xs:\n        out.append(x)\n    return out\n",
    "async def f(xs):\n    out = []\n    for x in xs:\n        out.append(await x)\n    return out\n",
    "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n        yield out\n",
]


def test_append_refusal_fixture_is_what_it_claims():
    assert append_comprehension.rewrite(APPEND)[0] == "def f(xs):\n    out = [x + 1 for x in xs]\n    return out\n"


# --------------------------------------------------------------- dict-count-to-counter
TALLY = d("""
    def tally(words):
        counts = {}  # word -> how many
        for w in words:
            counts[w] = counts.get(w, 0) + 1
        return [(repr(k), v) for k, v in counts.items()], type(counts).__name__
""")


def test_counter_get_form_text_and_import():
    new, imports = count_with_counter.rewrite(TALLY)
    assert new == d("""
        def tally(words):
            counts = dict(collections.Counter(iter(words)))  # word -> how many
            return [(repr(k), v) for k, v in counts.items()], type(counts).__name__
    """)
    assert imports == ("import collections",)


def test_counter_same_counts_keys_and_order():
    new = count_with_counter.rewrite(TALLY)
    inputs = [(xs,) for xs in random_lists()]
    inputs += [("mississippi",), ({"a": 3, "b": 0},), (None,), ([[1], [1]],), ([1, [2]],),
               (iter([3, 1, 3]),), ((x % 3 for x in range(10)),), (range(0),)]
    same_behaviour(TALLY, new, inputs)


def test_counter_if_else_forms():
    src = d("""
        def tally(items, extra):
            counts = {}
            # count each item
            for item in items:
                if item in counts:
                    counts[item] += 1
                else:
                    counts[item] = 1
            return list(counts.items()), extra
    """)
    new, imports = count_with_counter.rewrite(src)
    assert new == d("""
        def tally(items, extra):
            # count each item
            counts = dict(collections.Counter(iter(items)))
            return list(counts.items()), extra
    """)
    same_behaviour(src, (new, imports), [(xs, 0) for xs in random_lists()])
    flipped = src.replace("if item in counts:\n            counts[item] += 1\n        else:\n"
                          "            counts[item] = 1\n",
                          "if item not in counts:\n            counts[item] = 1\n        else:\n"
                          "            counts[item] = counts[item] + 1\n")
    assert "counts[item] + 1" in flipped
    new2 = count_with_counter.rewrite(flipped)
    assert "counts = dict(collections.Counter(iter(items)))" in new2[0]
    same_behaviour(flipped, new2, [(xs, 1) for xs in random_lists(seed=5)])


def test_counter_inside_a_loop_and_with_a_comprehension_after():
    src = d("""
        def f(groups):
            out = []
            for g in groups:
                seen = {}
                for x in g:
                    seen[x] = seen.get(x, 0) + 1
                out.append(seen)
            return out, [x for x in groups]
    """)
    new, imports = count_with_counter.rewrite(src)
    assert "        seen = dict(collections.Counter(iter(g)))\n        out.append(seen)" in new
    same_behaviour(src, (new, imports), [(random_lists(5, seed),) for seed in range(5)])


COUNT_REFUSED = [
    TALLY.replace("counts[w] = counts.get(w, 0) + 1",
                  "counts[w.lower()] = counts.get(w.lower(), 0) + 1"),     # key not the variable
    TALLY.replace("counts = {}", 'counts = {"a": 0}'),                       # non-empty init
    TALLY.replace("counts = {}  # word -> how many", 'counts = {}\n    counts["a"] = 0'),  # pre-filled
    TALLY.replace("counts = {}", "counts = dict()"),
    TALLY.replace("counts.get(w, 0) + 1", "counts.get(w, 0) + 2"),
    TALLY.replace("counts.get(w, 0) + 1", "counts.get(w, 1) + 1"),
    TALLY.replace("counts.get(w, 0) + 1", "counts.get(w) + 1"),
    TALLY.replace("counts.get(w, 0) + 1", "other.get(w, 0) + 1"),
    TALLY.replace("counts[w] = counts.get(w, 0) + 1",
                  "counts[w] = counts.get(w, 0) + 1\n        print(w)"),      # two statements
    TALLY.replace("return [", "else:\n        counts[0] = 0\n    return ["),  # for-else
    TALLY.replace("type(counts).__name__", "w"),                             # variable used after
    TALLY.replace("in words", "in words + list(counts)"),                    # counts in the iterable
    TALLY.replace("for w in", "for w, in"),                                  # tuple target
    TALLY.replace("def tally(words):", "def tally(words):\n    collections = None"),
    TALLY.replace("def tally(words):", "def tally(words, iter=iter):"),
    TALLY.replace("def tally(words):", "def tally(words):\n    peek = lambda: counts"),
    "def f(xs):\n    c = {}\n    for x in xs:\n        if x in c:\n            c[x] += 1\n"
    "        elif x:\n            c[x] = 1\n    return c\n",                  # elif, not else
    "def f(xs):\n    c = {}\n    for x in xs:\n        if x in c:\n            c[x] += 1\n"
    "        else:\n            c[x] = 0\n    return c\n",                    # starts at 0
    "def f(xs):\n    c = {}\n    for x in xs:\n        if x in c:\n            c[x] += 2\n"
    "        else:\n            c[x] = 1\n    return c\n",
    "def f(xs, d):\n    c = {}\n    for x in xs:\n        if x in d:\n            c[x] += 1\n"
    "        else:\n            c[x] = 1\n    return c\n",                    # tests another dict
    "def f(xs):\n    try:\n        c = {}\n        for x in xs:\n            c[x] = c.get(x, 0) + 1\n"
    "    except TypeError:\n        return c\n    return c\n",
]


# ------------------------------------------------------------------- emptiness-to-any
ANY = d("""
    def f(xs, ys):
        if len([x for x in xs if x == 2]) > 0:  # any twos?
            return "two"
        a = len([x for x in xs if x]) == 0
        b = bool([(x, x.real) for x in xs if isinstance(x, int)])
        c = [x for x in xs for y in ys if x == y] != []
        if not [x for x in xs if x is None] and ys:
            return a, b, c, "no None"
        return a, b, c
""")


def test_any_text_for_every_form():
    new, imports = emptiness_any.rewrite(ANY)
    assert new == d("""
        def f(xs, ys):
            if any(True for x in xs if x == 2):  # any twos?
                return "two"
            a = not any(True for x in xs if x)
            b = any(True for x in xs if isinstance(x, int))
            c = any(True for x in xs for y in ys if x == y)
            if not any(True for x in xs if x is None) and ys:
                return a, b, c, "no None"
            return a, b, c
    """)
    assert imports == ()


def test_any_keeps_comments_inside_the_clauses():
    src = "def f(xs):\n    return len([x for x in xs  # note\n                if x]) > 0\n"
    new, _ = emptiness_any.rewrite(src)
    assert new == "def f(xs):\n    return any(True for x in xs  # note\n                if x)\n"
    same_behaviour(src, (new, ()), [([],), ([0, 0],), ([0, 1],)])


def test_any_same_results():
    new = emptiness_any.rewrite(ANY)
    lists = random_lists()
    same_behaviour(ANY, new, [(a, b) for a, b in zip(lists, reversed(lists))] + [(None, []), ([1], None)])


def test_any_other_comparisons_parentheses_and_nesting():
    src = d("""
        def f(xss, k):
            a = (len([xs for xs in xss if len([x for x in xs if x == k]) >= 1]) != 0)
            b = 1 + (len([0 for xs in xss]) < 1)
            c = len([xs[0] for xs in xss if xs]) <= 0
            d = [k for xs in xss if k in xs] == []
            if ([xs for xs in xss if xs]):
                return a, b, c, d
            return a, b, c, d, None
    """)
    new, _ = emptiness_any.rewrite(src)
    assert "a = (any(True for xs in xss if any(True for x in xs if x == k)))" in new
    assert "b = 1 + (not any(True for xs in xss))" in new
    assert "c = not any(True for xs in xss if xs)\n" in new
    assert "d = not any(True for xs in xss if k in xs)\n" in new
    assert "if (any(True for xs in xss if xs)):" in new
    rng = random.Random(3)
    inputs = [([[rng.randrange(3) for _ in range(rng.randrange(3))] for _ in range(rng.randrange(4))],
               rng.randrange(3)) for _ in range(60)]
    same_behaviour(src, (new, ()), inputs)


ANY_REFUSED = [
    "def f(xs):\n    return len([g(x) for x in xs if x]) > 0\n",              # E calls
    "def f(xs):\n    return bool([x + 1 for x in xs])\n",                     # E an operation
    "def f(xs):\n    return bool([f'{x}' for x in xs])\n",                    # E formats
    "def f(xs):\n    return len([x for x in xs if x]) > 1\n",                 # not an emptiness test
    "def f(xs):\n    return len([x for x in xs if x]) == 1\n",
    "def f(xs):\n    return len([x for x in xs if x]) > 0.0\n",
    "def f(xs):\n    return 0 < len([x for x in xs if x]) < 5\n",              # chained
    "def f(xs):\n    return len({x for x in xs if x}) > 0\n",                 # a set: hashes E
    "def f(xs):\n    return len(list(x for x in xs if x)) > 0\n",
    "def f(xs):\n    while [x for x in xs if x]:\n        xs = xs[1:]\n",     # only `if`
    "def f(xs):\n    return [x for x in xs if x] or None\n",                 # the list is the value
    "def f(xs):\n    ok = [x for x in xs if x]\n    if ok:\n        return 1\n",
    "def f(xs):\n    if [y := x for x in xs if x]:\n        return y\n",       # walrus
    "def f(xs):\n    return len([x for x in xs if (y := x)]) > 0\n",
    "async def f(xs):\n    return len([x async for x in xs if x]) > 0\n",
    "async def f(xs):\n    return len([x for x in xs if await x]) > 0\n",
    "def f(xs, len=len):\n    return len([x for x in xs if x]) > 0\n",      # len rebound
    "def f(xs):\n    any = all\n    return len([x for x in xs if x]) > 0\n",  # any rebound
    "def f(xs):\n    for bool in xs:\n        pass\n    return bool([x for x in xs if x])\n",
    "def f(xs):\n    return len([  # note\n        x for x in xs if x]) > 0\n",   # comment lost
    "def f(xs):\n    return bool([x for x in xs if x], 1)\n",
]


# ---------------------------------------------------------- map-lambda-to-comprehension
MAP = d("""
    def f(xs, k):
        a = list(map(lambda x: x * k, xs))  # scaled
        b = set(map(lambda s: (s, k), xs))
        c = list(filter(lambda v: v, xs))
        d = set(filter(lambda v: v if k else not v, xs + [k]))
        return a, sorted(b, key=repr), c, sorted(d, key=repr)
""")


def test_map_filter_text():
    new, imports = map_lambda.rewrite(MAP)
    assert new == d("""
        def f(xs, k):
            a = [x * k for x in xs]  # scaled
            b = {(s, k) for s in xs}
            c = [v for v in xs if v]
            d = {v for v in xs + [k] if (v if k else not v)}
            return a, sorted(b, key=repr), c, sorted(d, key=repr)
    """)
    assert imports == ()


def test_map_filter_same_results():
    new = map_lambda.rewrite(MAP)
    inputs = [(xs, k) for xs in random_lists() for k in (0, 2, "z")] + [(None, 1), ((1, 2), 1)]
    same_behaviour(MAP, new, inputs)


def test_map_nested_and_lambda_element():
    src = d("""
        def f(xss):
            fs = list(map(lambda x: lambda: 0, xss))
            return list(map(lambda xs: list(filter(lambda y: y % 2, xs)), xss)), [g() for g in fs]
    """)
    new, _ = map_lambda.rewrite(src)
    assert new == d("""
        def f(xss):
            fs = [lambda: 0 for x in xss]
            return [[y for y in xs if y % 2] for xs in xss], [g() for g in fs]
    """)
    same_behaviour(src, (new, ()), [([[1, 2, 3], [], [5]],), ([],), ([["a"]],)])


MAP_REFUSED = [
    "def f(xs, ys):\n    return list(map(lambda x, y: x + y, xs, ys))\n",    # two-argument lambda
    "def f(x):\n    return list(map(lambda x: x + 1, x))\n",                  # name clash
    "def f(xs):\n    return list(map(lambda x: x + 1, xs[x]))\n",
    "def f(xs):\n    map = lambda f, s: s\n    return list(map(lambda x: x + 1, xs))\n",   # map rebound
    "def f(xs, list=tuple):\n    return list(map(lambda x: x + 1, xs))\n",  # list rebound
    "def f(xs):\n    filter = 1\n    return list(filter(lambda x: x, xs))\n",
    "def f(xs):\n    from itertools import starmap as map\n    return list(map(lambda x: x, xs))\n",
    "def f(xs):\n    global set\n    return set(map(lambda x: x, xs))\n",
    "def f(xs):\n    return list(map(lambda x=1: x, xs))\n",                  # default
    "def f(xs):\n    return list(map(lambda *x: x, xs))\n",                   # *args
    "def f(xs):\n    return list(map(lambda x, *, k=1: x, xs))\n",
    "def f(xs):\n    return list(map(abs, xs))\n",                            # not a lambda
    "def f(xs):\n    return list(filter(None, xs))\n",
    "def f(xs):\n    return tuple(map(lambda x: x, xs))\n",                   # not list/set
    "def f(xs):\n    return list(map(lambda x: x, xs), )\n".replace("), )", "), 1)"),
    "def f(xs):\n    return list(map(lambda x: x, *xs))\n",                   # star-arg
    "def f(xs, it):\n    return list(map(lambda x: next(it), xs))\n",         # StopIteration
    "def f(xs):\n    return list(map(lambda x: (y := x), xs))\n",             # walrus
    "def f(self, xs):\n    return list(map(lambda x: super().g(x), xs))\n",
    "def f(xs):\n    return list(map(lambda x: lambda: x, xs))\n",           # closure per call
    "def f(xss):\n    return list(map(lambda x: (y + x for y in x), xss))\n",  # lazy generator
    "def f(xs):\n    return list(map(lambda x: x,  # keep me\n                    xs))\n",  # comment lost
]


def test_builtins_used_as_values_are_not_rebindings():
    src = "def f(xs):\n    return isinstance(xs, set) and set(map(lambda x: x % 3, xs)), map\n"
    new, _ = map_lambda.rewrite(src)
    assert new == "def f(xs):\n    return isinstance(xs, set) and {x % 3 for x in xs}, map\n"
    src = "def f(xs):\n    return bool([x for x in xs if isinstance(x, bool)]), len\n"
    new, _ = emptiness_any.rewrite(src)
    assert new == "def f(xs):\n    return any(True for x in xs if isinstance(x, bool)), len\n"


# ------------------------------------------------------------------ shared checks
REFUSED = {append_comprehension: APPEND_REFUSED, count_with_counter: COUNT_REFUSED,
           emptiness_any: ANY_REFUSED, map_lambda: MAP_REFUSED}


@pytest.mark.parametrize("module,source", [(m, s) for m, srcs in REFUSED.items() for s in srcs],
                         ids=lambda v: getattr(v, "__name__", "").rsplit(".", 1)[-1] or None)
def test_refusals(module, source):
    compile(source, "<refused>", "exec")            # a refusal must be of valid code
    assert module.rewrite(source) is None


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.PATTERN.id)
def test_pattern_entries_are_described_and_ignore_non_functions(module):
    pattern = module.PATTERN
    assert pattern.id and len(pattern.description) > 80 and pattern.rewrite.__doc__
    assert "\n" not in pattern.description
    for junk in ["x = 1\n", "class A:\n    pass\n", "def f(:\n", "", "def f():\n    pass\n"]:
        assert pattern.rewrite(junk) is None


def test_ids_are_the_agreed_ones():
    assert [m.PATTERN.id for m in MODULES] == [
        "append-loop-to-comprehension", "dict-count-to-counter", "emptiness-to-any",
        "map-lambda-to-comprehension"]
