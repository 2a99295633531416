"""Behaviour outside a function's contract, judged sensibly and said (issue #18): a
generated call on which the original runs out of stack or memory is not held against a
candidate that does otherwise there; resource errors compare by type only; the report
lists what was treated as out of contract. Through the real command line."""
import json
import pickle
import subprocess
import sys

import pytest

from optimizer.verify.runs import BOOTSTRAP
from repos import make_repo

sys.path.insert(0, str(BOOTSTRAP))   # the workers' modules import each other by plain name
import compare  # noqa: E402

sys.path.remove(str(BOOTSTRAP))

FACTORIAL = {
    "pkg/__init__.py": "",
    "pkg/fact.py": '''
        def factorial(n):
            """n! by recursion: a negative n never reaches 0."""
            if n == 0:
                return 1
            return n * factorial(n - 1)
    ''',
    "tests/test_fact.py": '''
        from pkg.fact import factorial


        def test_small():
            assert factorial(0) == 1 and factorial(5) == 120


        def test_a_table():
            assert [factorial(n) for n in range(40)][-1] == 20397882081197443358640281739902897356800000000
    ''',
}
ITERATIVE = '''```python
def factorial(n):
    """n! by recursion: a negative n never reaches 0."""
    result = 1
    for i in range(2, n + 1):
        result *= i
    return result
```'''


def test_resource_errors_compare_by_type_only():
    deep = compare.Outcome("raise", exc=("RecursionError", "maximum recursion depth exceeded"))
    other = compare.Outcome("raise", exc=("RecursionError", "maximum recursion depth exceeded while calling a "
                                                            "Python object"))
    assert compare.difference(deep, other) is None
    assert compare.difference(compare.Outcome("raise", exc=("MemoryError", "")),
                              compare.Outcome("raise", exc=("MemoryError", "out of memory"))) is None
    assert compare.difference(deep, compare.Outcome("raise", exc=("MemoryError", ""))) is not None
    assert compare.difference(compare.Outcome("raise", exc=("ValueError", "a")),
                              compare.Outcome("raise", exc=("ValueError", "b"))) is not None   # others: message too


@pytest.mark.slow
def test_an_iterative_rewrite_of_a_recursion_is_kept_and_the_out_of_contract_calls_are_listed(tmp_path, fake_openai):
    repo = make_repo(tmp_path / "r", FACTORIAL)
    server = fake_openai([ITERATIVE])
    report_path = tmp_path / "out" / "report.json"
    report_path.parent.mkdir()
    r = subprocess.run([sys.executable, "-m", "optimizer", str(repo), "--target", "factorial", "--model",
                        "openai/fake-model", "--api-base", server.base_url, "--candidates", "1", "--model-rounds", "1",
                        "--json", str(report_path), "--no-second-opinion", "--rounds", "3"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr + r.stdout
    report = json.loads(report_path.read_text())
    [row] = [c for c in report["candidates"] if c["origin"] == "openai/fake-model"]
    # negative n: the original recurses until the interpreter gives up, the loop returns 1
    assert row["status"] == "kept", row["reason"]
    out = row["evidence"]["out_of_contract"]
    assert out["calls"] >= 1 and "where the original raises RecursionError" in out["example"]
    assert "out of contract, where the original runs out of stack or memory, not judged" in row["reason"]
    assert "out of contract" in (tmp_path / "out" / "report.html").read_text()


class _Visitor:
    """jmespath's TreeInterpreter: a cache of its own bound methods, so its state is a cycle."""

    def __init__(self, scale):
        self._method_cache = {}
        self.scale = scale

    def visit(self, node):
        method = self._method_cache.get("visit_field")
        if method is None:
            method = self._method_cache["visit_field"] = self.visit_field
        return method(node)

    def visit_field(self, node):
        return node * self.scale


def test_copies_of_an_object_whose_state_holds_its_own_bound_methods_are_alike():
    """Found on jmespath: two runs of the original on copies of one call left
    `self._method_cache` holding bound methods of the two copies; comparing them followed
    the cycle to the depth limit and called every call "non-deterministic"."""
    first, second = _Visitor(2), _Visitor(2)
    first.visit(3), second.visit(3)
    assert compare.diff_path(first, second) is None
    other = _Visitor(5)
    other.visit(3)
    assert compare.diff_path(first, other) == (".scale", 2, 5)
    # a list that holds itself: alike when the shapes are; the first differing item otherwise
    a, b, c = [1], [1], [2]
    a.append(a), b.append(b), c.append(c)
    assert compare.diff_path(a, b) is None and compare.diff_path(a, c) == ("[0]", 1, 2)


class _Node:
    """An ElementTree element: equal only to itself, hashed by identity."""

    def __init__(self, tag):
        self.tag = tag


def test_copies_of_dicts_and_sets_keyed_by_identity_objects_are_alike():
    """Found on Markdown: a `parent_map` dict keyed by Element nodes; two copies of one
    call's state had different key objects, and every call was set aside as non-deterministic."""
    def state(tags):
        nodes = [_Node(t) for t in tags]
        return {"parent_map": {n: i for i, n in enumerate(nodes)}, "seen": set(nodes)}

    assert compare.diff_path(state("pq"), state("pq")) is None
    assert compare.diff_path(state("pq"), state("pr"))[0] == "['parent_map'] (keys)"         # a key differs
    assert compare.diff_path({_Node("p"): 1}, {_Node("p"): 2}) == ("[key #0]", 1, 2)         # a value differs
    assert compare.diff_path({_Node("a"), _Node("b")}, {_Node("a"), _Node("c")})[0] == ""  # a member differs
    assert compare.diff_path({1, 2}, {1, 3}) == ("", {1, 2}, {1, 3})                        # atoms as before


def test_addresses_in_messages_dict_views_and_bare_sentinels_do_not_make_copies_differ():
    """Found on boltons: remap raises "expected remappable root, not: <object object at
    0x7f…>", and default_enter returns dict items holding object() sentinels; each run of the
    original showed other addresses, and those calls were set aside as non-deterministic."""
    def raises(value):
        raise TypeError("expected remappable root, not: %r" % (value,))

    first = compare.run_outcome(raises, pickle.dumps(((object(),), {})))
    second = compare.run_outcome(raises, pickle.dumps(((object(),), {})))
    assert first.exc == ("TypeError", "expected remappable root, not: <object object>")
    assert compare.difference(first, second) is None
    sentinel_a, sentinel_b = object(), object()
    assert compare.diff_path({"k": sentinel_a}.items(), {"k": sentinel_b}.items()) is None
    assert compare.diff_path({"k": 1}.items(), {"k": 2}.items()) == ("[0][1]", 1, 2)
    assert compare.diff_path({"a": 1}.keys(), {"b": 1}.keys()) == ("[0]", "a", "b")


def test_a_pair_found_different_is_not_remembered_as_alike():
    """The memo of pairs under comparison (for cycles) must not keep a pair that failed:
    met again through a shared reference, it would count as alike and hide a difference."""
    left, right = _Node("p"), _Node("q")
    memo = {}
    assert compare.diff_path(left, right, pairs=memo) == (".tag", "p", "q")
    assert (id(left), id(right)) not in memo
    assert compare.diff_path(left, right, pairs=memo) == (".tag", "p", "q")
    # through the structure: the same two nodes reached twice
    assert compare.diff_path([left, [left]], [right, [right]]) == ("[0].tag", "p", "q")
