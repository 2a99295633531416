"""The expression-level catalog patterns (issue #18): needless-copy, call-to-comprehension,
any-all-early-exit, reduce-over-list, compare-chain-to-membership: the text each writes,
the same results on real inputs, the refusals, and how they chain in the proposer. (That
each is described and documented: test_patterns_c.)"""
from __future__ import annotations

import pytest

from optimizer.propose.base import ProposalContext
from optimizer.propose.patterns import (PatternProposer, any_all_early_exit, applicable, call_to_comprehension,
                                        compare_chain, needless_copy, reduce_over_list)
from test_patterns import d, make_target, outcome, same_behaviour

# ---------------------------------------------------------------- needless-copy
COPIES = d("""
    def summary(xs, d, a, b):
        s = sorted(list(xs), key=str)
        t = set(tuple(x for x in xs))
        u = sum(x for x in xs)
        v = list(sorted(xs, reverse=True))
        w = [x for x in xs]
        y = {k: v for k, v in d.items()}
        z = {k: v for k, v in zip(a, b)}
        q = ",".join(list(map(str, xs)))
        r = any(x for x in xs)
        m = max(list(xs))
        return s, t, u, v, w, y, z, q, r, m
""")


def test_needless_copies_are_dropped_with_the_same_results():
    new, imports = needless_copy.rewrite(COPIES)
    assert imports == ()
    assert new == d("""
        def summary(xs, d, a, b):
            s = sorted(xs, key=str)
            t = set(xs)
            u = sum(xs)
            v = sorted(xs, reverse=True)
            w = list(xs)
            y = dict(d.items())
            z = dict(zip(a, b))
            q = ",".join(map(str, xs))
            r = any(xs)
            m = max(xs)
            return s, t, u, v, w, y, z, q, r, m
    """)
    same_behaviour(COPIES, (new, ()), [
        ([3, 1, 2, 1], {"a": 1, "b": 2}, "xy", [1, 2]),
        ([0, 0.0, False], {}, "", []),
        ([], {}, "ab", [1]),                   # max() of nothing raises ValueError in both
        ([1, "a"], {}, "", []),                # sum() of mixed types raises TypeError in both
    ])
    # a generator argument is consumed the same way: once, completely
    assert outcome(COPIES, (), (iter([2, 1]), {}, "", []))[0] == outcome(new, (), (iter([2, 1]), {}, "", []))[0]


@pytest.mark.parametrize("source", [
    # max of two lists compares the lists themselves
    "def f(a, b):\n    return max(list(a), list(b))\n",
    # the loop body may mutate xs: the copy is the point
    "def f(xs):\n    for x in list(xs):\n        xs.remove(x)\n    return xs\n",
    # a comprehension that changes its items, or filters, is not a copy
    "def f(xs):\n    return [x + 1 for x in xs], [x for x in xs if x]\n",
    # `list` is rebound in the function
    "def f(xs, list=tuple):\n    return sorted(list(xs))\n",
    # a dict comprehension over anything but .items()/zip: dict(m) of a mapping reads its keys
    "def f(m):\n    return {k: v for k, v in m}\n",
    # swapped pair is not a copy
    "def f(m):\n    return {v: k for k, v in m.items()}\n",
    # len() of an iterator is not defined
    "def f(it):\n    return len(list(it))\n",
])
def test_needless_copy_refusals(source):
    assert needless_copy.rewrite(source) is None


# -------------------------------------------------------- call-to-comprehension
CALLS = d("""
    def build(xs, d):
        a = list(x * 2 for x in xs if x)
        b = set(str(x) for x in xs)
        c = dict((k, v + 1) for k, v in d.items())
        e = dict([(x, i) for i, x in enumerate(xs)])
        g = tuple(x + 1 for x in xs)
        return a, b, c, e, g
""")


def test_builtin_calls_become_comprehensions_with_the_same_results():
    new, _ = call_to_comprehension.rewrite(CALLS)
    assert "a = [x * 2 for x in xs if x]" in new
    assert "b = {str(x) for x in xs}" in new
    assert "c = {k: v + 1 for k, v in d.items()}" in new
    assert "e = {x: i for i, x in enumerate(xs)}" in new     # a later duplicate key wins in both
    assert "g = tuple([x + 1 for x in xs])" in new
    same_behaviour(CALLS, (new, ()), [([1, 0, 2, 2], {"a": 1}), ([], {}), (["a"], {}), ([None], {})])


@pytest.mark.parametrize("source", [
    # next() inside: a StopIteration would end list(genexp) but escape a comprehension
    "def f(its):\n    return list(next(it) for it in its)\n",
    # not a literal pair: dict() would unpack whatever each item is
    "def f(ps):\n    return dict(p for p in ps)\n",
    # a walrus binds in the enclosing scope either way, but its reach differs
    "def f(xs):\n    return list((y := x) for x in xs)\n",
    # more than one argument, or a rebound builtin
    "def f(xs):\n    return dict(((x, 1) for x in xs), a=1)\n",
    "def f(xs, set=frozenset):\n    return set(x for x in xs)\n",
])
def test_call_to_comprehension_refusals(source):
    assert call_to_comprehension.rewrite(source) is None


# ----------------------------------------------------------- any-all-early-exit
ANY_ALL = d("""
    def check(rows):
        if any([r < 0 for r in rows]):
            return "negative"
        return all([r % 2 == 0 for r in rows if r])
""")


def test_any_all_stop_at_the_decisive_item():
    new, _ = any_all_early_exit.rewrite(ANY_ALL)
    assert "if any(r < 0 for r in rows):" in new and "return all(r % 2 == 0 for r in rows if r)" in new
    same_behaviour(ANY_ALL, (new, ()), [([1, -1, 2],), ([2, 4, 0],), ([],), ([3],)])
    # the difference it is for: items after the decisive one are no longer evaluated
    seen = []
    source = "def f(xs, seen):\n    return any([seen.append(x) or x for x in xs])\n"
    new, _ = any_all_early_exit.rewrite(source)
    namespace: dict = {}
    exec(new, namespace)
    assert namespace["f"]([0, 1, 2, 3], seen) is True and seen == [0, 1]


def test_any_all_refusals():
    assert any_all_early_exit.rewrite("def f(xs):\n    return any([next(x) for x in xs])\n") is None
    assert any_all_early_exit.rewrite("def f(xs, any=max):\n    return any([x for x in xs])\n") is None
    assert any_all_early_exit.rewrite("def f(xs):\n    return any(xs)\n") is None


# -------------------------------------------------------------- reduce-over-list
REDUCE = d("""
    def stats(words):
        total = sum(len(w) for w in words)
        longest = max((len(w) for w in words), default=0)
        line = " ".join(w.upper() for w in words if w)
        return total, longest, line
""")


def test_reductions_get_a_list_comprehension():
    new, _ = reduce_over_list.rewrite(REDUCE)
    assert "total = sum([len(w) for w in words])" in new
    assert "longest = max([len(w) for w in words], default=0)" in new
    assert 'line = " ".join([w.upper() for w in words if w])' in new
    same_behaviour(REDUCE, (new, ()), [(["ab", "", "cde"],), ([],), ([None],)])


def test_reduce_over_list_refusals():
    # min of two generators compares the generators
    assert reduce_over_list.rewrite("def f(a, b):\n    return min((x for x in a), (y for y in b))\n") is None
    # a join on a non-literal receiver may not be str.join
    assert reduce_over_list.rewrite("def f(sep, xs):\n    return sep.join(x for x in xs)\n") is None
    assert reduce_over_list.rewrite("def f(xs):\n    return sum([x for x in xs])\n") is None


# ----------------------------------------------------- compare-chain-to-membership
CHAIN = d("""
    def kind(c, s):
        if c == " " or c == "\\t" or c == "\\n" or c == "\\r":
            return "space"
        while s != 1 and s != 2 and s != 3 and s != 4.0 and s:
            s = s - 1
        return "other" if (c == "a" or c == "b" or "c" == c or c == None) else s
""")


def test_long_equality_chains_become_one_membership_test():
    new, _ = compare_chain.rewrite(CHAIN)
    assert 'if c in (" ", "\\t", "\\n", "\\r"):' in new
    assert 'return "other" if (c in ("a", "b", "c", None)) else s' in new
    # the `while` chain ends with `and s`, which is not a comparison with a constant: left
    assert "while s != 1 and s != 2" in new
    same_behaviour(CHAIN, (new, ()), [(" ", 0), ("\n", 0), ("a", 0), (None, 5), ("x", 7), ([1], 4.0), (1.0, 0)])


@pytest.mark.parametrize("source", [
    # three constants: no faster
    "def f(c):\n    return 1 if c == 'a' or c == 'b' or c == 'c' else 0\n",
    # the chain's value is returned, not only tested (a custom __eq__ may return non-bools)
    "def f(c):\n    return c == 'a' or c == 'b' or c == 'c' or c == 'd'\n",
    # different names, or a non-constant
    "def f(c, e):\n    if c == 'a' or c == 'b' or e == 'c' or c == 'd':\n        return 1\n",
    "def f(c, k):\n    if c == 'a' or c == 'b' or c == k or c == 'd':\n        return 1\n",
])
def test_compare_chain_refusals(source):
    assert compare_chain.rewrite(source) is None


# ------------------------------------------------------------------- chaining
def test_loop_merges_then_copies_chain_into_one_candidate():
    source = d("""
        def ordered(xs):
            out = []
            for x in xs:
                out.append(x)
            return sorted(list(out))
    """)
    assert {"append-loop-to-comprehension", "needless-copy"} <= set(applicable(source))
    candidates = PatternProposer().propose(make_target(source, "ordered"), ProposalContext(module_source=source), k=1)
    chained = candidates[0]
    assert chained.origin == "pattern:append-loop-to-comprehension+needless-copy"
    assert "out = list(xs)" in chained.source and "return sorted(out)" in chained.source
    same_behaviour(source, (chained.source, ()), [([3, 1, 2],), ([],), (["b", "a"],)])


# ------------------------------------------- hoist-regex-compile outside loops
UNDERSCORE = d("""
    def underscore(word):
        word = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\\1_\\2", word)
        word = re.sub(r"([a-z\\d])([A-Z])", r"\\1_\\2", word)
        return word.replace("-", "_").lower() if re.match("[a-z]", word, re.I) else word
""")
MODULE = '"""Inflections."""\nfrom __future__ import annotations\n\nimport re\n\n' + UNDERSCORE


def test_regex_calls_outside_loops_use_module_constants_placed_after_the_imports():
    from optimizer.propose.patterns import hoist_regex
    from optimizer.target import find_in_text, replace_definition

    new, imports = hoist_regex.rewrite(UNDERSCORE)
    assert imports[0] == "import re" and len(imports) == 4        # three patterns, three constants
    names = [line.split(" = ")[0] for line in imports[1:]]
    assert all(n.startswith("_RE_") for n in names) and len(set(names)) == 3
    assert f'{names[0]}.sub(r"\\1_\\2", word)' in new and f"{names[2]}.match(word)" in new
    assert hoist_regex.rewrite(UNDERSCORE) == (new, imports)      # names come from the pattern: stable
    target = find_in_text(MODULE, "infl.py", "underscore")
    text = replace_definition(MODULE, target, new, imports)
    lines = text.splitlines()
    assert lines.index("import re") < min(lines.index(i) for i in imports[1:]) < lines.index("def underscore(word):")
    assert text.count("import re") == 1                          # the module's own import is used
    original, rewritten = {}, {}
    exec(MODULE, original)
    exec(text, rewritten)
    for word in ["CamelCase", "HTTPServer", "dash-ed", "1AB", "", "ÀB"]:
        assert rewritten["underscore"](word) == original["underscore"](word)
    # a second rewrite in the same module with the same pattern shares the line, not duplicates it
    assert replace_definition(text, find_in_text(text, "infl.py", "underscore"), new, imports).count(imports[1]) == 1


def test_list_as_set_leaves_the_list_that_holds_what_a_set_cannot():
    """more-itertools' duplicates_everseen: a set for hashable keys, and a list for the rest
    when the set raises TypeError; the rewrite broke its unhashable-key tests (found by the
    real-library benchmark)."""
    from optimizer.propose.patterns import list_as_set

    source = d("""
        def duplicates_everseen(iterable):
            seen_set = set()
            seen_list = []
            for element in iterable:
                try:
                    if element not in seen_set:
                        seen_set.add(element)
                    else:
                        yield element
                except TypeError:
                    if element not in seen_list:
                        seen_list.append(element)
                    else:
                        yield element
    """)
    assert list_as_set.rewrite(source) is None
