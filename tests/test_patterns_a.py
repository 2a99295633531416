"""Patterns memoize-pure-recursion, range-len-to-iteration, hoist-regex-compile: text, equivalence, refusals."""
from __future__ import annotations

import copy
import random
import textwrap

import pytest

from optimizer.propose.patterns import hoist_regex, memoize_recursion, range_len_iteration


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def load(source: str, imports=()):
    """The function a source defines, exec'd with the module-level imports it needs."""
    ns: dict = {}
    for line in ("import re", *imports):
        exec(line, ns)
    before = set(ns)
    exec(source, ns)
    (name,) = [k for k in ns if k not in before]
    return ns[name]


def call(func, args):
    try:
        return "ok", func(*copy.deepcopy(args))
    except Exception as exc:            # exception type is part of the behaviour
        return "raised", type(exc).__name__


def same_behaviour(source: str, rewritten: tuple, inputs, warm: bool = True) -> None:
    """Each input on fresh functions; with `warm`, also all inputs in a row on one pair
    (a memoized function must give the same answers with a cache filled by earlier calls)."""
    new, imports = rewritten
    for args in inputs:
        assert call(load(new, imports), args) == call(load(source), args), args
    if warm:
        old_f, new_f = load(source), load(new, imports)
        for args in inputs:
            assert call(new_f, args) == call(old_f, args), args


def random_ints(n: int, seed: int, lo: int = -3, hi: int = 12) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(lo, hi) for _ in range(n)]


def random_strings(n: int, seed: int, alphabet: str = "ab #,\t\nA1_-", longest: int = 14) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(longest))) for _ in range(n)]


def random_lists(n: int, seed: int) -> list[list]:
    rng = random.Random(seed)
    pool = [-2, -1, 0, 1, 2, 3, 5, 8, 13]
    return [[rng.choice(pool) for _ in range(rng.randrange(9))] for _ in range(n)]


# ------------------------------------------------------------ memoize-pure-recursion
PATHS = d('''
    # count monotone lattice paths
    def paths(r, c):
        """Grid paths from (r, c) to the origin."""
        if r < 0 or c < 0:
            raise ValueError("negative")
        if r == 0 or c == 0:
            return 1
        return paths(r - 1, c) + paths(r, c - 1)  # two overlapping subproblems
''')

FIB = d("""
    def fib(n):
        if n < 2:
            return n
        return fib(n - 1) + fib(n - 2)
""")

PARTS = d("""
    def parts(n, k=None):
        if k is None:
            k = n
        if n == 0:
            return 1
        if n < 0 or k == 0:
            return 0
        return parts(n - k, k) + parts(n, k - 1)
""")

LCS = d("""
    def lcs(a, b):
        if not a or not b:
            return 0
        if a[0] == b[0]:
            return 1 + lcs(a[1:], b[1:])
        return max(lcs(a[1:], b), lcs(a, b[1:]))
""")

WAYS = d("""
    def ways(n, coins):
        counts = []  # a fresh local list may be mutated
        for c in coins:
            if c <= n:
                counts.append(ways(n - c, coins))
        if n == 0:
            return 1
        return sum(counts) + 0 * ways(0, ())
""")


def test_memoize_adds_decorator_below_comment():
    new, imports = memoize_recursion.rewrite(PATHS)
    assert new == PATHS.replace("def paths", "@functools.lru_cache(maxsize=None)\ndef paths")
    assert new.startswith("# count monotone lattice paths\n@functools.lru_cache(maxsize=None)\n")
    assert imports == ("import functools",)


def test_memoize_exact_text_fib():
    new, _ = memoize_recursion.rewrite(FIB)
    assert new == "@functools.lru_cache(maxsize=None)\n" + FIB


def test_memoize_paths_same_results():
    out = memoize_recursion.rewrite(PATHS)
    inputs = [(r, c) for r in range(-1, 9) for c in range(-1, 9)] + [(None, 1), ("a", 1), (1.0, 2)]
    same_behaviour(PATHS, out, inputs)


def test_memoize_fib_partitions_lcs_same_results():
    fib = memoize_recursion.rewrite(FIB)
    same_behaviour(FIB, fib, [(n,) for n in [*range(-3, 22), *random_ints(10, 1, -5, 20)]]
                   + [(None,), (2.5,), (True,), ([1],)])
    parts = memoize_recursion.rewrite(PARTS)
    assert "def parts(n, k=None):" in parts[0]
    same_behaviour(PARTS, parts, [(n,) for n in range(-2, 25)] + [(7, 3), (10, 0), (5, None)])
    lcs = memoize_recursion.rewrite(LCS)
    words = random_strings(16, 2, "abc", 9)
    same_behaviour(LCS, lcs, [(a, b) for a, b in zip(words, reversed(words))]
                   + [("", ""), ("abc", ""), ((1, 2, 3), (2, 3)), (None, "a")])


def test_memoize_fresh_local_container_is_fine():
    out = memoize_recursion.rewrite(WAYS)
    assert out is not None and "counts = []  # a fresh local list may be mutated" in out[0]
    same_behaviour(WAYS, out, [(n, (1, 2, 5)) for n in range(-1, 14)] + [(4, ()), (3, (1,))])


def test_memoize_runs_each_subproblem_once():
    # Not a timing test: fib(60) unmemoized would take hours; here 61 cache entries.
    new, imports = memoize_recursion.rewrite(FIB)
    fib = load(new, imports)
    assert fib(60) == 1548008755920 and fib.cache_info().currsize == 61


MEMO_REFUSED = [
    "def f(self, n):\n    return n if n < 2 else f(self, n - 1) + f(self, n - 2)\n",    # a method
    "def f(cls, n):\n    return n if n < 2 else f(cls, n - 1) + f(cls, n - 2)\n",
    "def f(xs, n):\n    xs.append(n)\n    return n if n < 2 else f(xs, n - 1) + f(xs, n - 2)\n",
    "def f(xs, n):\n    xs.sort()\n    return n if n < 2 else f(xs, n - 1) + f(xs, n - 2)\n",
    "def f(xs, n):\n    xs += [n]\n    return n if n < 2 else f(xs, n - 1) + f(xs, n - 2)\n",
    "def f(d, n):\n    d[n] = 1\n    return n if n < 2 else f(d, n - 1) + f(d, n - 2)\n",
    "def f(d, n):\n    return d.get(n) or f(d, n - 1) + f(d, n - 2)\n",            # a dict
    "def f(n):\n    global calls\n    calls += 1\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
    "def f(n):\n    if n < 2:\n        return n\n    memo[n] = f(n - 1) + f(n - 2)\n    return memo[n]\n",
    "def f(n):\n    CACHE.append(n)\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",  # global list
    "def f(n):\n    box = CACHE\n    box.append(n)\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
    "def f(n):\n    state.count = n\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
    "@cache\ndef f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",                 # decorated
    "def f(n):\n    return 1 if n < 2 else n * f(n - 1)\n",                        # one self-call
    "def f(n):\n    print(n)\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
    "def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2) + random.random()\n",
    "def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2) + time.time()\n",
    "def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2) + int(input())\n",
    "def f(n):\n    with open('log') as fh:\n        pass\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
    "def f(n):\n    yield n\n    f(n - 1)\n    f(n - 2)\n",
    "async def f(n):\n    return n if n < 2 else await f(n - 1) + await f(n - 2)\n",
    "def f(*ns):\n    return 0 if not ns else f(*ns[1:]) + f(*ns[2:])\n",
    "def f(n, **kw):\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
    "def f(n, *, k=1):\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
    "def f(n, acc=[]):\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",               # mutable default
    "def f(n, acc=make()):\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
    "def f(xs: list, n):\n    return n if n < 2 else f(xs, n - 1) + f(xs, n - 2)\n",
    "def f(n):\n    if n == 0:\n        return []\n    return f(n - 1) + [n] + f(n - 2)\n",  # list result
    "def f(n):\n    out = []\n    out.append(n)\n    if n < 2:\n        return out\n"
    "    return f(n - 1) + f(n - 2)\n",
    "def f(n):\n    return [] if n < 1 else sorted(f(n - 1) + f(n - 2))\n",
    "def f(n):\n    out = [n]\n    if n < 2:\n        return out[:]\n    return f(n - 1) + f(n - 2)\n",
    "def f(n):\n    return n if n < 2 else (f(n - 1) + f(n - 2)).copy()\n",
    "def f(n):\n    return () if n < 1 else map(abs, tuple(f(n - 1)) + tuple(f(n - 2)))\n",
    "def f(n):\n    return () if n < 1 else (x for x in f(n - 1) + f(n - 2))\n",
    "def f(xs):\n    return 0 if not xs else f(xs[1:]) + f([x for x in xs[1:] if x])\n",  # lists
    "def f(xs):\n    rest = []\n    rest.extend(xs[1:])\n    return 0 if not xs else f(rest) + f(rest)\n",
    "def f(node):\n    return 1 if node is None else f(node.left) + f(node.right)\n",  # a tree walk
    "def f(node: Node):\n    return 1 if node is None else f(node[0]) + f(node[1])\n",
    "def f(xs: list[int]):\n    return 1 if not xs else f(xs[1:]) + f(xs[2:])\n",
    "def f(n):\n    g = f\n    return n if n < 2 else g(n - 1) + f(n - 2)\n",                # name escapes
    "def f(n):\n    def f(m):\n        return m\n    return f(n) + f(n)\n",                    # shadowed
    "def f(it, n):\n    return n if n < 2 else next(it) + f(it, n - 1) + f(it, n - 2)\n",
    "def f(n):\n    def g():\n        nonlocal n\n        n -= 1\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
    "def f(n):\n    for x.attr in range(n):\n        pass\n    return n if n < 2 else f(n - 1) + f(n - 2)\n",
    "def f():\n    return f() + f()\n",                                                 # no parameter
]


# ------------------------------------------------------------ range-len-to-iteration
TOTAL = d("""
    def total(xs, ys):
        s = 0
        # sum of squares minus the ys
        for i in range(len(xs)):
            s += xs[i] * xs[i]  # twice
            for j in range(len(ys)):
                s -= (ys[j])
        for i in range(2):
            s += i
        return s, [i for i in range(3)]
""")

FIND = d("""
    def find(xs, target):
        for i in range(len(xs)):
            if xs[i] == target:
                break
        else:
            return -1
        return 1
""")


def test_range_len_exact_text_with_comments_and_nested_loop():
    new, imports = range_len_iteration.rewrite(TOTAL)
    assert new == TOTAL.replace("for i in range(len(xs)):", "for xs_item in xs:").replace(
        "xs[i] * xs[i]", "xs_item * xs_item").replace(
        "for j in range(len(ys)):", "for ys_item in ys:").replace("(ys[j])", "(ys_item)")
    assert "        s += xs_item * xs_item  # twice\n" in new and imports == ()
    assert "for i in range(2):" in new


def test_range_len_total_same_results():
    lists = random_lists(30, 3)
    inputs = [(a, b) for a, b in zip(lists, reversed(lists))]
    inputs += [([], []), ([1], []), ((1, 2), [3]), (None, [1]), ([1], None), ([], None), ("ab", [1])]
    same_behaviour(TOTAL, range_len_iteration.rewrite(TOTAL), inputs)


def test_range_len_for_else_and_strings():
    new, _ = range_len_iteration.rewrite(FIND)
    assert new == FIND.replace("for i in range(len(xs)):", "for xs_item in xs:").replace(
        "xs[i] ==", "xs_item ==")
    inputs = [(s, "a") for s in random_strings(30, 4, "abc", 6)]
    inputs += [(xs, 3) for xs in random_lists(30, 5)] + [([], 0), ((), 0), (None, 1), ("", "")]
    same_behaviour(FIND, (new, ()), inputs)


def test_range_len_fresh_name_and_two_loops_same_index():
    src = d("""
        def f(xs, xs_item):
            out = []
            for i in range(len(xs)):
                out.append(xs[i] + xs_item)
            for i in range(len(out)):
                out.append(-out[i]) if len(out) < 50 else None
            for i in range(len(xs)):
                out.append(xs[i] * 2)
            return out
    """)
    new, _ = range_len_iteration.rewrite(src)
    assert "for xs_item_1 in xs:\n        out.append(xs_item_1 + xs_item)" in new
    assert "for xs_item_2 in xs:\n        out.append(xs_item_2 * 2)" in new
    assert "for i in range(len(out)):" in new        # out grows in that loop: kept
    inputs = [(xs, 1) for xs in random_lists(20, 6)] + [([], 0), ("ab", "c"), ([1], "c")]
    same_behaviour(src, (new, ()), inputs)


def test_range_len_generator_consumed_by_list():
    src = d("""
        def pairs(words):
            result = []
            for i in range(len(words)):
                result.append((words[i].upper(), len(words[i])))
            return result
    """)
    new, _ = range_len_iteration.rewrite(src)
    assert "for words_item in words:" in new and "(words_item.upper(), len(words_item))" in new
    same_behaviour(src, (new, ()), [(random_strings(n, n, "xyZ", 5),) for n in range(8)]
                   + [([1],), ([],)])


def test_range_len_comprehension_with_its_own_index_is_not_touched():
    src = d("""
        def f(xss):
            out = []
            for xs in xss:
                for i in range(len(xs)):
                    out.append((xs[i], [xs[i] for i in range(len(xs))], [xs[i] for _ in xs[:2]]))
            return out
    """)
    new, _ = range_len_iteration.rewrite(src)
    assert ("for xs_item in xs:\n"
            "            out.append((xs_item, [xs[i] for i in range(len(xs))], [xs_item for _ in xs[:2]]))"
            ) in new
    inputs = [(random_lists(n, n),) for n in range(6)] + [(["ab", ""],), ([None],), ([],)]
    same_behaviour(src, (new, ()), inputs)


RANGE_REFUSED = [
    "def f(xs):\n    s = 0\n    for i in range(len(xs)):\n        s += xs[i] * i\n    return s\n",
    "def f(xs):\n    for i in range(len(xs)):\n        xs.append(xs[i])\n",                # mutated
    "def f(xs):\n    for i in range(len(xs)):\n        xs[i] = xs[i] + 1\n",               # assigned
    "def f(xs):\n    for i in range(len(xs)):\n        xs[i] += 1\n",
    "def f(xs):\n    for i in range(len(xs)):\n        del xs[i]\n",
    "def f(xs):\n    for i in range(len(xs)):\n        print(xs[i])\n    return i\n",     # used after
    "def f(xs):\n    for i in range(len(xs)):\n        print(xs[i])\n    else:\n        print(i)\n",
    "def f(xs):\n    for i in range(len(xs)):\n        print(xs[i])\n        xs = xs[1:]\n",
    "def f(xs):\n    for i in range(len(xs)):\n        g(xs)\n        print(xs[i])\n",   # passed on
    "def f(xs):\n    for i in range(len(xs)):\n        print(xs[i + 1])\n",
    "def f(xs):\n    for i in range(len(xs)):\n        print(xs[i:])\n",
    "def f(xs, ys):\n    for i in range(len(xs)):\n        print(xs[i], ys[i])\n",     # two sequences
    "def f(xs):\n    for i in range(1, len(xs)):\n        print(xs[i])\n",
    "def f(xs):\n    for i in range(len(xs) - 1):\n        print(xs[i])\n",
    "def f(self):\n    for i in range(len(self.xs)):\n        print(self.xs[i])\n",
    "def f(xs):\n    for i in range(len(xs)):\n        i = 0\n        print(xs[i])\n",
    "def f(xs):\n    for i in range(len(xs)):\n        pass\n",                           # no read
    "def f(xs):\n    fs = []\n    for i in range(len(xs)):\n        fs.append(lambda: xs[i])\n    return fs\n",
    "def f(xs):\n    gs = []\n    for i in range(len(xs)):\n        gs.append(x for x in xs[i])\n    return gs\n",
    "def f(xs):\n    for i in range(len(xs)):\n        def g():\n            return i\n        print(xs[i])\n",
    "def f():\n    d = {0: 'a', 1: 'b'}\n    for i in range(len(d)):\n        print(d[i])\n",  # a dict
    "def f(d):\n    print(d.get(0))\n    for i in range(len(d)):\n        print(d[i])\n",
    "def f(d: dict):\n    for i in range(len(d)):\n        print(d[i])\n",
    "def f():\n    for i in range(len(XS)):\n        g()\n        print(XS[i])\n",       # global list
    "def f(xs):\n    add = xs.append\n    for i in range(len(xs)):\n        add(xs[i])\n",  # alias
    "def f(xs):\n    len = max\n    for i in range(len(xs)):\n        print(xs[i])\n",
    "def f(xs, range=range):\n    for i in range(len(xs)):\n        print(xs[i])\n",
    "def f(xs):\n    for i in range(3):\n        for i in range(len(xs)):\n            print(xs[i])\n"
    "        print(i)\n",                                                               # outer reads it
    "def f(xs):\n    i = 5\n    for i in range(len(xs)):\n        print(xs[i])\n    while i:\n        i -= 1\n",
    "def f(xs):\n    global i\n    for i in range(len(xs)):\n        print(xs[i])\n",
    "def f(xs):\n    global xs\n    for i in range(len(xs)):\n        print(xs[i])\n",
    "def f(xs):\n    for i in range(len(xs)):\n        yield xs[i]\n        print([i for _ in xs])\n",
    "async def f(xs):\n    for i in range(len(xs)):\n        await g(xs[i])\n",
    "def f(xs):\n    for (i) in range(len(xs, 1)):\n        print(xs[i])\n",
    "def f(xs):\n    for i, in range(len(xs)):\n        print(xs[i])\n",
]


# ------------------------------------------------------------ hoist-regex-compile
CLEAN = d('''
    def clean(lines, words):
        out = []
        # scan every line
        for line in lines:
            if re.match(r"^\\s*#", line):
                continue
            out.append(re.sub(r"\\s+", " ", line, flags=re.I | re.M).split())
            out.append(re.sub(r"\\s+", "_", line, 2))
            out.append(re.split(
                r",",
                line,
                maxsplit=1,
            ))
        return out, [w for w in words if re.fullmatch(r"\\w+", w, re.I)]
''')

CLEAN_EXPECTED = d('''
    def clean(lines, words):
        out = []
        # scan every line
        _regex = re.compile(r"^\\s*#")
        _regex_1 = re.compile(r"\\s+", re.I | re.M)
        _regex_2 = re.compile(r"\\s+")
        _regex_3 = re.compile(r",")
        for line in lines:
            if _regex.match(line):
                continue
            out.append(_regex_1.sub(" ", line).split())
            out.append(_regex_2.sub("_", line, 2))
            out.append(_regex_3.split(
                line,
                maxsplit=1,
            ))
        _regex_4 = re.compile(r"\\w+", re.I)
        return out, [w for w in words if _regex_4.fullmatch(w)]
''')

TOKENS = d("""
    def tokens(text, n):
        found = []
        i = 0
        while i < n and re.search('[0-9]+', text):   # the test repeats too
            found.extend(m.group() for m in re.finditer('[0-9]+', text))
            found.append(re.subn('[0-9]', 'x', text, count=i))
            found.append(re.findall(b'a.', text.encode(), re.S))
            found.append(re.search('[0-9]+', text) is None)
            i += 1
        return found
""")


def test_regex_exact_text_keeps_comment_and_argument_layout():
    new, imports = hoist_regex.rewrite(CLEAN)
    assert new == CLEAN_EXPECTED and imports == ()


def test_regex_clean_same_results():
    lines = random_strings(40, 7)
    inputs = [(lines[i:i + 5], lines[i + 1:i + 6]) for i in range(0, 35, 3)]
    inputs += [([], []), (["# c", "  #x", "a  b,c, d"], ["ab", "a b", ""]), ([None], []), ([1], [])]
    same_behaviour(CLEAN, hoist_regex.rewrite(CLEAN), inputs)


def test_regex_while_loop_shares_one_name_per_literal():
    new, _ = hoist_regex.rewrite(TOKENS)
    assert new.count("re.compile('[0-9]+')") == 1
    assert ("    i = 0\n    _regex = re.compile('[0-9]+')\n    _regex_1 = re.compile('[0-9]')\n"
            "    _regex_2 = re.compile(b'a.', re.S)\n"
            "    while i < n and _regex.search(text):   # the test repeats too\n") in new
    assert "_regex.finditer(text)" in new and "_regex_1.subn('x', text, count=i)" in new
    assert "_regex_2.findall(text.encode())" in new
    assert "found.append(_regex.search(text) is None)" in new
    inputs = [(s, n) for s, n in zip(random_strings(40, 8, "a1 2b33x", 12), random_ints(40, 9, -1, 4))]
    inputs += [("", 3), ("12", 0), (None, 1), (b"1", 1)]
    same_behaviour(TOKENS, (new, ()), inputs)


def test_regex_conditional_loops_and_nested_call():
    src = d("""
        def f(xs, flag):
            if flag:
                return [re.sub('a', 'b', re.sub('c', 'a', x)) for x in xs]
            n = 0
            for x in xs:
                n += len(re.split(r'\\s', x, 1))
            return n
    """)
    new, _ = hoist_regex.rewrite(src)
    assert "[_regex.sub('b', _regex_1.sub('a', x)) for x in xs]" in new
    assert "    _regex = re.compile('a')\n    _regex_1 = re.compile('c')\n    if flag:" in new
    assert "    _regex_2 = re.compile(r'\\s')\n    for x in xs:" in new
    assert "_regex_2.split(x, 1)" in new
    inputs = [(random_strings(5, s, "abc \t"), s % 2 == 0) for s in range(20)] + [([], True), ([3], False)]
    same_behaviour(src, (new, ()), inputs)


REGEX_REFUSED = [
    "def f(xs, pat):\n    return [re.match(pat, x) for x in xs]\n",                  # not a literal
    "def f(xs, p):\n    return [re.match(f'{p}a', x) for x in xs]\n",                 # f-string
    "def f(xs):\n    re = regex\n    return [re.match('a', x) for x in xs]\n",       # re rebound
    "def f(xs, re):\n    return [re.match('a', x) for x in xs]\n",
    "def f(xs):\n    import re\n    return [re.match('a', x) for x in xs]\n",
    "def f(xs):\n    g(re)\n    return [re.match('a', x) for x in xs]\n",
    "def f(xs):\n    return [re.sub('a', 'b', x, 1, flags=re.I) for x in xs]\n",      # count + flags
    "def f(xs):\n    return [re.sub('a', 'b', x, 1, re.I) for x in xs]\n",
    "def f(xs):\n    return [re.split(',', x, 1, re.I) for x in xs]\n",
    "def f(xs, fl):\n    return [re.match('a', x, fl) for x in xs]\n",              # variable flags
    "def f(xs):\n    return [re.match('a', x, flags=re.I | FLAG) for x in xs]\n",
    "def f(xs):\n    return [re.match('(', x) for x in xs]\n",                      # does not compile
    "def f(xs):\n    return [re.match(b'a', x, re.U) for x in xs]\n",
    "def f(xs):\n    return [re.match('a', x, re.DEBUG) for x in xs]\n",             # prints
    "def f(xs):\n    return [re.match('a', string=x) for x in xs]\n",
    "def f(xs):\n    return [re.match(pattern='a', string=x) for x in xs]\n",
    "def f(xs, a):\n    return [re.match('a', *a) for x in xs]\n",
    "def f(xs):\n    return [re.compile('a') for x in xs]\n",                       # not a listed call
    "def f(xs):\n    return [re.escape('a') for x in xs]\n",
    "def f(xs):\n    for x in xs:\n        g = lambda: re.match('a', x)\n        print(g())\n",
    "def f(xs):\n    for x in xs:\n        def g():\n            return re.match('a', x)\n",
    "def f(xs): return [re.match('a', x) for x in xs]\n",                           # one-line body
]


# ------------------------------------------------------------ shared checks
REFUSED = [(memoize_recursion, s) for s in MEMO_REFUSED] + [
    (range_len_iteration, s) for s in RANGE_REFUSED] + [(hoist_regex, s) for s in REGEX_REFUSED]


@pytest.mark.parametrize("module,source", REFUSED,
                         ids=[f"{m.__name__.rsplit('.', 1)[-1]}-{i}" for i, (m, _) in enumerate(REFUSED)])
def test_refusals(module, source):
    assert module.rewrite(source) is None


@pytest.mark.parametrize("module", [memoize_recursion, range_len_iteration, hoist_regex],
                         ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_pattern_is_described_and_ignores_non_functions(module):
    pattern = module.PATTERN
    assert pattern.id and pattern.rewrite is module.rewrite
    assert len(pattern.description) > 80 and "\n" not in pattern.description
    assert "Preconditions" in pattern.rewrite.__doc__
    for junk in ["x = 1\n", "class A:\n    pass\n", "def f(:\n", "", "def f():\n    pass\n"]:
        assert pattern.rewrite(junk) is None


def test_ids():
    assert memoize_recursion.PATTERN.id == "memoize-pure-recursion"
    assert range_len_iteration.PATTERN.id == "range-len-to-iteration"
    assert hoist_regex.PATTERN.id == "hoist-regex-compile"


def test_memoize_description_mentions_memory_and_shared_keys():
    text = memoize_recursion.DESCRIPTION
    assert "alive" in text and "1, 1.0 and True" in text
