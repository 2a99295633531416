"""Patterns nested-loop-join-to-dict, dict-keys-membership, hoist-bound-method: exact text,
equivalence on many inputs, and the refusals their preconditions must produce."""
from __future__ import annotations

import collections
import copy
import dataclasses
import io
import random
import textwrap
import types

import pytest

from optimizer.propose.patterns import (any_all_early_exit, call_to_comprehension, compare_chain, dict_keys_membership,
                                        hoist_method, needless_copy, nested_loop_join, reduce_over_list)


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def outcome(source: str, imports, args, env=None):
    ns: dict = dict(env or {})
    for line in imports:
        exec(line, ns)
    exec(source, ns)
    func = [v for k, v in ns.items() if isinstance(v, types.FunctionType)][-1]
    args = copy.deepcopy(args)
    try:
        # repr: 1, 1.0 and True are equal but must not be swapped; arguments: mutations agree
        return "ok", repr(func(*args)), repr(args)
    except Exception as exc:                    # exception type is part of the behaviour
        return "raised", type(exc).__name__


def same_behaviour(source: str, rewritten: tuple, inputs, env=None) -> None:
    new, imports = rewritten
    assert new != source
    for args in inputs:
        assert outcome(new, imports, args, env) == outcome(source, (), args, env), args


POOL = [0, 1, 2, 1.0, True, "a", "b", ""]


def rows(rng: random.Random, width: int = 2) -> list[tuple]:
    return [tuple(rng.choice(POOL) for _ in range(width)) for _ in range(rng.randrange(7))]


def pairs_of_rows(n: int = 150, seed: int = 0) -> list[tuple]:
    rng = random.Random(seed)
    return [(rows(rng), rows(rng)) for _ in range(n)]


@pytest.mark.parametrize("module", [nested_loop_join, dict_keys_membership, hoist_method, needless_copy,
                                    call_to_comprehension, any_all_early_exit, reduce_over_list, compare_chain],
                         ids=lambda m: m.PATTERN.id)
def test_pattern_is_described_documented_and_ignores_non_functions(module):
    pattern = module.PATTERN
    assert pattern.id and len(pattern.description) > 80 and pattern.rewrite is module.rewrite
    assert "Preconditions" in module.rewrite.__doc__
    for junk in ["x = 1\n", "class A:\n    pass\n", "def f(:\n", "", "def f():\n    pass\n"]:
        assert module.rewrite(junk) is None


# ---------------------------------------------------------- nested-loop-join-to-dict
JOIN = d("""
    def join(orders, customers):
        out = []
        # pair them up
        for o in orders:
            for c in customers:  # every customer
                # same id?
                if o[0] == c[1]:  # match
                    out.append((o, c))
        return out
""")


def test_join_text_keeps_comments():
    new, imports = nested_loop_join.rewrite(JOIN)
    assert imports == ()
    assert new == d("""
        def join(orders, customers):
            out = []
            # pair them up
            c_by_key = {}
            for c in customers:
                c_by_key.setdefault(c[1], []).append(c)
            for o in orders:
                for c in c_by_key.get(o[0], ()):  # every customer
                    # same id?
                    # match
                    out.append((o, c))
            return out
    """)


def test_join_same_order_with_duplicates_and_mixed_keys():
    same_behaviour(JOIN, nested_loop_join.rewrite(JOIN), pairs_of_rows())


def test_join_reversed_sides_break_and_one_line_body():
    src = d("""
        def first_match(xs, ys):
            hits = []
            for i, x in enumerate(xs):
                for y in ys:
                    if (y[0], len(y[1])) == (x[1], len(x[0])):
                        hits.append((i, y)); break
            return hits
    """)
    new, _ = nested_loop_join.rewrite(src)
    assert new == d("""
        def first_match(xs, ys):
            hits = []
            y_by_key = {}
            for y in ys:
                y_by_key.setdefault((y[0], len(y[1])), []).append(y)
            for i, x in enumerate(xs):
                for y in y_by_key.get((x[1], len(x[0])), ()):
                    hits.append((i, y)); break
            return hits
    """)
    rng = random.Random(1)
    strs = ["", "a", "ab", "b"]
    inputs = [([(rng.choice(strs), rng.choice(strs)) for _ in range(rng.randrange(6))],
               [(rng.choice(strs), rng.choice(strs)) for _ in range(rng.randrange(6))])
              for _ in range(150)]
    same_behaviour(src, (new, ()), inputs)


def test_join_attributes_free_name_return_and_fresh_name():
    src = d("""
        def find(people, pets, field):
            b_by_key = None
            for p in people:
                for b in pets:
                    if p[field] == b.owner: return p, b.name, b_by_key
            return None
    """)
    new, _ = nested_loop_join.rewrite(src)
    assert "    b_by_key_1 = {}\n    for b in pets:\n        b_by_key_1.setdefault(b.owner, []).append(b)\n" in new
    assert "        for b in b_by_key_1.get(p[field], ()): return p, b.name, b_by_key\n" in new
    rng = random.Random(2)
    inputs = []
    for _ in range(100):
        people = [{"k": rng.choice(POOL)} for _ in range(rng.randrange(5))]
        pets = [types.SimpleNamespace(owner=rng.choice(POOL), name=i) for i in range(rng.randrange(5))]
        inputs.append((people, pets, "k"))
    same_behaviour(src, (new, ()), inputs)


def test_join_body_mutating_other_fields_and_nested_in_a_loop():
    src = d("""
        def tally(groups, items):
            out = []
            for g in groups:
                counts = {}
                for a in g:
                    for b in items:
                        if a == b.key:
                            counts[a] = counts.get(a, 0) + b.n
                            b.seen.append(a)
                            b.n += 1
                out.append(counts)
            return out
    """)
    new, _ = nested_loop_join.rewrite(src)
    assert ("        b_by_key = {}\n        for b in items:\n"
            "            b_by_key.setdefault(b.key, []).append(b)\n") in new
    assert "            for b in b_by_key.get(a, ()):\n                counts[a] =" in new
    rng = random.Random(3)
    inputs = [([[rng.choice(POOL) for _ in range(rng.randrange(4))] for _ in range(3)],
               [types.SimpleNamespace(key=rng.choice(POOL), n=rng.randrange(5), seen=[])
                for _ in range(rng.randrange(6))])
              for _ in range(100)]
    same_behaviour(src, (new, ()), inputs)


def test_rewrites_are_idempotent():
    for module, src in [(nested_loop_join, JOIN), (dict_keys_membership, KEYS), (hoist_method, BFS)]:
        new, _ = module.rewrite(src)
        assert module.rewrite(new) is None


def test_join_body_with_string_method_and_literal_receiver():
    src = JOIN.replace("out.append((o, c))", "out.append(', '.join(map(str, c)))")
    new, _ = nested_loop_join.rewrite(src)
    assert "out.append(', '.join(map(str, c)))" in new and "c_by_key.get(o[0], ())" in new
    same_behaviour(src, (new, ()), pairs_of_rows(seed=11))


def test_join_unhashable_key_is_the_documented_difference():
    new, _ = nested_loop_join.rewrite(JOIN)
    args = ([([1], [1])], [([1], [1])])
    assert outcome(JOIN, (), args)[0] == "ok" and outcome(new, (), args) == ("raised", "TypeError")


JOIN_REFUSED = [
    JOIN.replace("o[0] == c[1]", "o[0] == (c[1], o[1])"),          # KB mentions the outer loop
    JOIN.replace("o[0] == c[1]", "o[c[0]] == c[1]"),               # KA uses b
    JOIN.replace("o[0] == c[1]", "o[0] == o[1]"),                  # no b at all
    JOIN.replace("o[0] == c[1]", "o[0] != c[1]"),
    JOIN.replace("o[0] == c[1]", "o[0] == c[1] == 3"),
    JOIN.replace("o[0] == c[1]", "o[0] == f(c)"),                  # a call
    JOIN.replace("o[0] == c[1]", "o[0] == c[1:]"),                 # a slice
    JOIN.replace("o[0] == c[1]", "o[0] == (k := c[1])"),           # walrus
    JOIN.replace("out.append((o, c))", "customers.append(o)"),     # BODY mutates B
    JOIN.replace("out.append((o, c))", "customers[0] = o"),
    JOIN.replace("out.append((o, c))", "customers = []"),
    JOIN.replace("out.append((o, c))", "out.append(customers.copy())"),
    JOIN.replace("out.append((o, c))", "c[1] = 5"),                # mutates KB's object
    JOIN.replace("out.append((o, c))", "c = o"),                   # rebinds b
    JOIN.replace("out.append((o, c))", "o = c"),                   # rebinds a
    JOIN.replace("out.append((o, c))", "out.append(c)\n            else:\n                pass"),
    JOIN.replace("out.append((o, c))", "out.append(c)\n            elif o:\n                pass"),
    JOIN.replace("    return out", "        else:\n            pass\n    return out"),   # inner for-else
    JOIN.replace("    return out", "    else:\n        pass\n    return out"),           # outer for-else
    JOIN.replace("        for c in customers:", "        n = 1\n        for c in customers:"),  # extra stmt
    JOIN.replace("                out.append((o, c))", "                out.append((o, c))\n"
                 "            out.append(None)"),
    JOIN.replace("return out", "return out, c"),                   # b used after the loops
    JOIN.replace("out.append((o, c))", "out.append(lambda: c)"),   # ... or later, by a closure
    JOIN.replace("for c in customers:", "for c in o:"),            # B depends on a
    JOIN.replace("for c in customers:", "for c in customers[1:]:"),  # B not a name chain
    JOIN.replace("for c in customers:", "for c in load(customers):"),
    JOIN.replace("for o in orders:", "for o in fetch(orders):"),   # A may have side effects
    JOIN.replace("for c in customers:", "for c, d in customers:"),
    JOIN.replace("out.append((o, c))", "yield o"),
    d("""
        def f(xs, ys, k):
            for x in xs:
                for y in ys:
                    if x[k] == y:
                        k += 1
    """),                                                          # BODY rebinds a key's free name
    d("""
        def f(xs, ys, len=len):
            for x in xs:
                for y in ys:
                    if len(x) == y:
                        print(y)
    """),
    d("""
        def f(self, xs):
            for x in xs:
                for y in self.items:
                    if x == y:
                        self.add(y)
    """),                                                          # method call on B's root
    d("""
        async def f(xs, ys):
            async for x in xs:
                for y in ys:
                    if x == y:
                        print(y)
    """),
]


@pytest.mark.parametrize("source", JOIN_REFUSED)
def test_join_refusals(source):
    assert nested_loop_join.rewrite(source) is None


# ---------------------------------------------------------- dict-keys-membership
KEYS = d("""
    def count(d, ks):
        n = 0
        for k in d.keys():  # every key
            n += d[k] * 2 if k in d.keys() else 0
        return n, [k for k in ks if k not in (d.keys())]
""")


def test_keys_text():
    new, imports = dict_keys_membership.rewrite(KEYS)
    assert imports == ()
    assert new == d("""
        def count(d, ks):
            n = 0
            for k in d:  # every key
                n += d[k] * 2 if k in d else 0
            return n, [k for k in ks if k not in (d)]
    """)


def test_keys_attribute_receiver_and_read_methods_in_loop():
    src = d("""
        def f(self, k):
            total = 0
            for key in self.table.keys():
                total += self.table.get(key, 0) + len(self.other)
                self.other.append(key)
            return total, k in self.table.keys()
    """)
    new, _ = dict_keys_membership.rewrite(src)
    assert "for key in self.table:" in new and "return total, k in self.table\n" in new

    @dataclasses.dataclass
    class Box:
        table: dict
        other: list = dataclasses.field(default_factory=list)
    rng = random.Random(4)
    inputs = [(Box({rng.choice(range(6)): rng.randrange(9) for _ in range(rng.randrange(5))}),
               rng.randrange(6)) for _ in range(100)]
    same_behaviour(src, (new, ()), inputs)


def test_keys_same_results_on_many_dicts():
    rng = random.Random(5)
    inputs = []
    for _ in range(200):
        dd = {rng.choice(POOL): rng.randrange(4) for _ in range(rng.randrange(6))}
        inputs.append((dd, [rng.choice(POOL) for _ in range(rng.randrange(6))]))
    same_behaviour(KEYS, dict_keys_membership.rewrite(KEYS), inputs)
    same_behaviour(KEYS, dict_keys_membership.rewrite(KEYS), [({}, [[1]]), ({1: 2}, [{}])])


def test_keys_membership_only_when_loop_mutates():
    src = d("""
        def prune(d, bad):
            for k in d.keys():
                if k in bad.keys():
                    d[k] = 0
            return d
    """)
    new, _ = dict_keys_membership.rewrite(src)
    assert "for k in d.keys():" in new and "if k in bad:" in new
    same_behaviour(src, (new, ()), [({1: 1, 2: 2}, {2: 0}), ({}, {}), ({"a": 1}, {"b": 1})])


KEYS_REFUSED = [
    "def f(d, k):\n    return k in d.keys(k)\n",                           # arguments
    "def f(d, k):\n    return k in d.keys(*k)\n",
    "def f(d, k):\n    return k in d.keys\n",
    "def f(d, k):\n    return k in get().keys()\n",                        # receiver not a chain
    "def f(d, k):\n    return k in d[0].keys()\n",
    "def f(d, k):\n    return k == d.keys()\n",                            # not a membership test
    "def f(d, k):\n    return 0 < k in d.keys()\n",                        # chained
    "def f(d, k):\n    return d.keys() in k\n",                            # wrong side
    "def f(d):\n    return list(d.keys())\n",
    "def f(d):\n    for k in d.keys():\n        d[k + 1] = 0\n",           # loop mutating d
    "def f(d):\n    for k in d.keys():\n        del d[k]\n",
    "def f(d):\n    for k in d.keys():\n        d.pop(k)\n",
    "def f(d):\n    for k in d.keys():\n        d.update({})\n",
    "def f(d):\n    for k in d.keys():\n        d[k] += 1\n",
    "def f(d):\n    for k in d.keys():\n        d = {}\n",
    "def f(s):\n    for k in s.d.keys():\n        s.reset()\n",             # method on the holder
    "def f(s):\n    for k in s.d.keys():\n        s.d = {}\n",
    "def f(d):\n    for k in d.keys():\n        pass\n    else:\n        d.clear()\n",
    "def f(d):\n    for k in d.keys():\n        global g\n",
    "async def f(d):\n    async for k in d.keys():\n        pass\n",
]


@pytest.mark.parametrize("source", KEYS_REFUSED)
def test_keys_refusals(source):
    assert dict_keys_membership.rewrite(source) is None


# ---------------------------------------------------------- hoist-bound-method
BFS = d("""
    def bfs(graph, start):
        queue = collections.deque([start])
        seen = {start}
        order = []
        # breadth first
        while queue:
            node = queue.popleft()
            order.append(node)
            for nxt in graph.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)  # mark
                    queue.append(nxt)
        return order
""")


def test_hoist_method_bfs_text():
    new, imports = hoist_method.rewrite(BFS)
    assert imports == ()
    assert new == d("""
        def bfs(graph, start):
            queue = collections.deque([start])
            seen = {start}
            order = []
            # breadth first
            _seen_add = seen.add
            _queue_append = queue.append
            while queue:
                node = queue.popleft()
                order.append(node)
                for nxt in graph.get(node, ()):
                    if nxt not in seen:
                        _seen_add(nxt)  # mark
                        _queue_append(nxt)
            return order
    """)


def random_graphs(n: int = 150, seed: int = 6) -> list[tuple]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        size = rng.randrange(1, 7)
        graph = {v: [rng.randrange(size) for _ in range(rng.randrange(4))] for v in range(size)}
        out.append((graph, rng.randrange(size)))
    return out


def test_hoist_method_bfs_same_results():
    same_behaviour(BFS, hoist_method.rewrite(BFS), random_graphs(), env={"collections": collections})


def test_hoist_method_stays_inside_the_loop_that_rebinds_obj():
    src = BFS.replace("order.append(node)", "seen = set(seen)")
    new, _ = hoist_method.rewrite(src)
    assert "    _queue_append = queue.append\n    while queue:\n" in new
    assert "        seen = set(seen)\n        _seen_add = seen.add\n        for nxt in graph" in new
    assert "_seen_add(nxt)  # mark" in new and new.count("seen.add") == 1
    same_behaviour(src, (new, ()), random_graphs(seed=9), env={"collections": collections})


def test_hoist_method_twice_per_body_param_and_with():
    src = d("""
        def render(out, rows, path):
            parts = []
            for r in rows:
                parts.append(str(r))
                parts.append(",")
                out.update({r: len(parts)})
            with open(path) as fh:
                for r in rows:
                    fh.write(str(r))
            return parts
    """)
    new, _ = hoist_method.rewrite(src)
    assert new == d("""
        def render(out, rows, path):
            parts = []
            _parts_append = parts.append
            _out_update = out.update
            for r in rows:
                _parts_append(str(r))
                _parts_append(",")
                _out_update({r: len(parts)})
            with open(path) as fh:
                _fh_write = fh.write
                for r in rows:
                    _fh_write(str(r))
            return parts
    """)
    files: dict = {}

    class Sink(io.StringIO):
        def __init__(self, path):
            super().__init__()
            files[path] = self

        def close(self):                # keep the text readable after the `with`
            pass

    rng = random.Random(7)
    inputs = [({}, [rng.choice(POOL) for _ in range(rng.randrange(6))], "p") for _ in range(80)]
    for args in inputs:
        results = []
        for code in (src, new):
            files.clear()
            result = outcome(code, (), args, env={"open": Sink})
            results.append((result, files["p"].getvalue()))
        assert results[0] == results[1]


def test_hoist_method_inner_loop_rebinding_outside_and_get():
    src = d("""
        def group(rows, table):
            out = []
            for row in rows:
                acc = []
                for x in row:
                    acc.append(table.get(x, x))
                out.append(acc)
            return out
    """)
    new, _ = hoist_method.rewrite(src)
    assert "    _table_get = table.get\n    for row in rows:\n        acc = []\n" in new
    assert "        _acc_append = acc.append\n        for x in row:\n" in new
    assert "            _acc_append(_table_get(x, x))\n        out.append(acc)\n" in new
    rng = random.Random(8)
    inputs = [([[rng.choice(POOL) for _ in range(rng.randrange(4))] for _ in range(rng.randrange(4))],
               {rng.choice(POOL): rng.randrange(3) for _ in range(3)}) for _ in range(150)]
    same_behaviour(src, (new, ()), inputs)


HOIST_REFUSED = [
    "def f(queue, seen):\n    while queue:\n        seen = set(seen)\n        seen.add(queue.pop())\n"
    "        seen.add(0)\n",                                                        # OBJ rebound in loop
    "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n        out = out + []\n",
    "def f(xs):\n    out = []\n    for x in xs:\n        out += [x]\n        out.append(x)\n",
    "def f(xss):\n    out = []\n    for out in xss:\n        out.append(1)\n",
    "def f(xs):\n    for x in xs:\n        out.append(x)\n",                          # OBJ a global
    "def f(xs):\n    global out\n    out = []\n    for x in xs:\n        out.append(x)\n",
    "def f(xs):\n    out = []\n    g = lambda x: out.append(x)\n    for x in xs:\n        g(x)\n",
    "def f(xs):\n    out = []\n    for x in xs:\n        g = lambda: out.append(x)\n        g()\n",   # lambda
    "def f(xs):\n    out = []\n    def g():\n        for x in xs:\n            out.append(x)\n    g()\n",
    "def f(xs):\n    out = []\n    [out.append(x) for x in xs]\n    return out\n",       # comprehension
    "def f(xs):\n    out = []\n    for x in xs:\n        out.pop(x)\n",                # other method
    "def f(xs):\n    out = []\n    for x in xs:\n        (out).append(x)\n",
    "def f(xs):\n    out = []\n    for x in xs:\n        out.append = print\n        out.append(x)\n",
    "def f(xs):\n    out = []\n    setattr(out, 'append', print)\n    for x in xs:\n        out.append(x)\n",
    "def f(xs, out=None):\n    for x in xs:\n        out.append(x)\n",              # maybe None
    "def f(xs, c):\n    out = None\n    if c:\n        out = []\n    for x in xs:\n        out.append(x)\n",
    "def f(xs, out):\n    for x in xs:\n        if out is not None:\n            out.append(x)\n",
    "def f(xs, out):\n    for x in xs:\n        if out:\n            out.append(x)\n",
    "def f(xs, out):\n    for x in xs:\n        try:\n            out.append(x)\n"
    "        except AttributeError:\n            pass\n",
    "def f(xs, c):\n    if c:\n        out = []\n    for x in xs:\n        out.append(x)\n",   # maybe unbound
    "def f(xs):\n    for x in xs:\n        out = []\n        out.append(x)\n",         # bound in the loop
    "def f(xs):\n    out = []\n    del out\n    for x in xs:\n        out.append(x)\n",
    "def f(xs, out):\n    for x in xs:\n        yield out.append(x)\n",
    "def f(xs, out):\n    out.append(1)\n",                                          # no loop
    "def f(xs, out):\n    for x in out.append(xs):\n        pass\n",                 # iterable: once
    "def f(xs, ys, out):\n    for x in xs:\n        out.append(x)\n        for y in ys:\n            pass\n",
]


@pytest.mark.parametrize("source", HOIST_REFUSED)
def test_hoist_method_refusals(source):
    assert hoist_method.rewrite(source) is None
