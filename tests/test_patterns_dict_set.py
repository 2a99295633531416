"""dict-set-loop-to-comprehension: the text it writes, the same behaviour on real inputs
(duplicate keys, order, conditions, empty input), and the loops it leaves alone."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from optimizer.propose.patterns import dict_set_comprehension as pattern
from test_patterns import d, outcome, same_behaviour

INDEX = d("""
    def index(rows):
        by_id = {}  # id -> row
        for row in rows:
            by_id[row["id"]] = row
        return by_id
""")
NAMES = d("""
    def names(people):
        seen = set()
        for p in people:
            if p.active:
                seen.add(p.name.lower())
        return seen
""")
PAIRS = d("""
    def doubled(pairs):
        d = {}
        # keep the last value of a repeated key
        for k, v in pairs:
            d[k] = v * 2
        return d
""")


def test_a_dict_loop_becomes_a_dict_comprehension_with_the_same_results():
    new, imports = pattern.rewrite(INDEX)
    assert new == d("""
        def index(rows):
            by_id = {row["id"]: row for row in rows}  # id -> row
            return by_id
    """) and imports == ()
    rows = [{"id": 2, "v": "a"}, {"id": 1, "v": "b"}, {"id": 2, "v": "c"}]
    same_behaviour(INDEX, (new, ()), [(rows,), ([],), ([{"x": 1}],)])   # a missing key raises KeyError in both
    assert list(outcome(new, (), (rows,))[1]) == [2, 1]   # insertion order: the first time a key is seen
    new, _ = pattern.rewrite(PAIRS)
    assert "d = {k: v * 2 for k, v in pairs}" in new and "# keep the last value of a repeated key" in new
    same_behaviour(PAIRS, (new, ()), [([("a", 1), ("b", 2), ("a", 3)],), ([],), ([("a", "x")],)])


def test_a_set_loop_with_a_condition_becomes_a_set_comprehension():
    new, _ = pattern.rewrite(NAMES)
    assert "seen = {p.name.lower() for p in people if p.active}" in new
    people = [SimpleNamespace(name=n, active=a) for n, a in (("Ann", True), ("bob", False), ("ANN", True))]
    same_behaviour(NAMES, (new, ()), [(people,), ([],)])


@pytest.mark.parametrize("source", [
    # the key calls something: a comprehension would call it before computing the value
    d("""
        def f(xs):
            d = {}
            for x in xs:
                d[key(x)] = x
            return d
    """),
    # the loop reads what it builds
    d("""
        def f(xs):
            d = {}
            for x in xs:
                d[x] = len(d)
            return d
    """),
    # does something else too
    d("""
        def f(xs):
            s = set()
            for x in xs:
                s.add(x)
                print(x)
            return s
    """),
    # an else clause
    d("""
        def f(xs):
            s = set()
            for x in xs:
                s.add(x)
            else:
                s.add(0)
            return s
    """),
    # the loop variable is read after the loop
    d("""
        def f(xs):
            d = {}
            for x in xs:
                d[x] = 1
            return d, x
    """),
    # `set` is not the builtin here
    d("""
        def f(xs, set=list):
            s = set()
            for x in xs:
                s.add(x)
            return s
    """),
    # inside try: a handler would see the half-built dict
    d("""
        def f(xs):
            try:
                d = {}
                for x in xs:
                    d[x] = 1 / x
            except ZeroDivisionError:
                return d
            return d
    """),
    # a dict built with .add or a set by subscript: not these forms
    d("""
        def f(xs):
            d = {}
            for x in xs:
                d.add(x)
            return d
    """),
], ids=["key-calls", "reads-itself", "more-statements", "else", "var-after", "set-rebound", "try", "wrong-kind"])
def test_loops_it_leaves_alone(source):
    assert pattern.rewrite(source) is None
