"""Block-level traces: basic blocks, the recorder, first divergence and rendering."""
import importlib
import importlib.util
import pickle
import sys
import textwrap

import pytest

from optimizer.target import index_repo, resolve
from optimizer.verify.capture import Baseline
from optimizer.verify.runs import BOOTSTRAP
from optimizer.verify.trace import Trace, first_divergence, hit_counts, render, render_hits, trace_call
from repos import make_repo
from sandboxes import get_sandbox


def _load_tracer():
    """tracer.py is a standalone script (it imports harness from its own folder)."""
    sys.path.insert(0, str(BOOTSTRAP))
    try:
        return importlib.import_module("tracer")
    finally:
        sys.path.remove(str(BOOTSTRAP))


tracer = _load_tracer()


def blocks_of(src, first_line=1):
    return [(b.id, b.first, b.last, b.label) for b in tracer.basic_blocks(textwrap.dedent(src), first_line)]


def names_of(src):
    return {b.label: set(b.names) for b in tracer.basic_blocks(textwrap.dedent(src))}


def load(tmp_path, src, name):
    """A real module file, so inspect.getsource works as in the sandbox."""
    path = tmp_path / f"mod_{name}.py"
    path.write_text(textwrap.dedent(src))
    spec = importlib.util.spec_from_file_location(f"mod_{name}_{id(path)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def run(tmp_path, src, name, *args, **kw):
    return Trace.from_json(tracer.trace_function(load(tmp_path, src, name), args, {}, **kw))


UNIQUE = '''
def unique_ordered(items):
    """Keep first occurrences."""
    seen = []
    out = []
    for item in items:
        if item not in seen:
            seen.append(item)
            out.append(item)
    return out
'''


def test_blocks_of_a_loop_with_a_docstring_and_absolute_lines():
    assert blocks_of(UNIQUE.lstrip("\n")) == [
        ("b0", 3, 4, "lines 3-4"), ("b1", 5, 5, "for item in items"), ("b2", 6, 6, "if item not in seen"),
        ("b3", 7, 8, "lines 7-8"), ("b4", 9, 9, "line 9")]
    assert blocks_of(UNIQUE.lstrip("\n"), first_line=40)[1] == ("b1", 44, 44, "for item in items")
    names = names_of(UNIQUE.lstrip("\n"))
    assert names["for item in items"] == {"item", "items"}
    assert names["lines 7-8"] == {"seen", "out", "item"}


def test_blocks_break_after_early_return_and_at_elif_else():
    src = '''
    def sign(x, y):
        if x > 0:
            return 1
            x += 1
        elif x < 0:
            y = -1
        else:
            y = 0
        return y
    '''
    assert [b[3] for b in blocks_of(src)] == ["if x > 0", "line 4", "line 5", "elif x < 0", "line 7",
                                              "else: line 9", "line 10"]


def test_blocks_of_try_with_while_else_and_nested_functions():
    src = '''
    def f(path, n):
        try:
            n = int(n)
        except (ValueError, TypeError) as exc:
            raise KeyError(path) from exc
        else:
            n += 1
        finally:
            done = True
        with open(path) as fh:
            text = fh.read()
        def helper(line, k=n):
            inner = line.strip()
            return inner
        while n > 0:
            n -= 1
            if n == 3:
                break
        else:
            n = -1
        return [helper(t) for t in text]
    '''
    labels = [b[3] for b in blocks_of(src)]
    assert labels == ["try", "line 4", "except (ValueError, TypeError) as exc", "line 6", "else: line 8",
                      "finally: line 10", "with open(path) as fh", "line 12", "lines 13-15", "while n > 0",
                      "line 17", "if n == 3", "line 19", "else: line 21", "line 22"]
    names = names_of(src)
    assert names["lines 13-15"] == {"helper", "n"}          # the nested body is not this frame's
    assert names["except (ValueError, TypeError) as exc"] == {"ValueError", "TypeError", "exc"}
    assert names["with open(path) as fh"] == {"open", "path", "fh"}


def test_generator_blocks_break_after_yield():
    src = '''
    @staticmethod
    def gen(self, xs):
        for x in xs:
            total = yield x
            self.n = total
    '''
    assert [b[3] for b in blocks_of(src)] == ["for x in xs", "line 5", "line 6"]


def test_trace_of_a_decorated_method(tmp_path):
    src = '''
    import functools


    def logged(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            return fn(*args)
        return wrapper


    class Stack:
        def __init__(self):
            self.items = []

        @logged
        def push_all(self, values):
            for v in values:
                self.items.append(v)
            return len(self.items)
    '''
    stack_cls = load(tmp_path, src, "Stack")
    t = Trace.from_json(tracer.trace_function(stack_cls.push_all, (stack_cls(), [7, 8]), {}))
    assert [b.label for b in t.blocks] == ["for v in values", "line 19", "line 20"]
    assert t.result == "2" and t.entries[-1].state == {"self": "<Stack items=[7, 8]>"}


def test_trace_records_loop_iterations_and_hits(tmp_path):
    t = run(tmp_path, UNIQUE, "unique_ordered", [3, 1, 3])
    assert t.outcome == "return" and t.result == "[3, 1]" and not t.truncated
    assert hit_counts(t) == {"b0": 1, "b1": 4, "b2": 3, "b3": 2, "b4": 1}
    assert [e.block for e in t.entries] == ["b0", "b1", "b2", "b3", "b1", "b2", "b3", "b1", "b2", "b1", "b4"]
    assert t.entries[0].state == {"seen": "[]", "out": "[]"}
    assert [e.state["item"] for e in t.entries if e.block == "b1"] == ["3", "1", "3", "3"]
    assert t.entries[6].state["out"] == "[3, 1]"
    profile = render_hits(t)
    assert "for item in items, line" in profile and "if item not in seen" in profile


def test_trace_through_try_with_and_while(tmp_path):
    src = '''
    def f(path, p):
        try:
            n = int(p)
        except ValueError as exc:
            n = 2
        with open(path) as fh:
            first = fh.readline()
        while n > 0:
            n -= 1
        else:
            n = -1
        return n, first
    '''
    (tmp_path / "data.txt").write_text("hello\n")
    t = run(tmp_path, src, "f", str(tmp_path / "data.txt"), "x")
    assert t.result == "(-1, 'hello\\n')"
    hits = {b.label: t.hits[b.id] for b in t.blocks}
    assert hits == {"try": 1, "line 4": 1, "except ValueError as exc": 1, "line 6": 1,
                    "with open(path) as fh": 2,            # entered, then left through __exit__
                    "line 8": 1, "while n > 0": 3, "line 10": 2, "else: line 12": 1, "line 13": 1}
    assert [e.state["n"] for e in t.entries if "n" in e.state] == ["2", "2", "1", "1", "0", "0", "-1", "-1"]
    assert t.types["exc"] == ("ValueError",)


def test_trace_only_the_outer_frame_and_exceptions(tmp_path):
    src = '''
    def depth(n):
        def double(v):
            w = v * 2
            return w
        if n <= 0:
            raise ValueError("too small: %d" % n)
        return double(depth(n - 1)) if n > 1 else double(n)
    '''
    t = run(tmp_path, src, "depth", 3)
    assert t.result == "8" and hit_counts(t) == {"b0": 1, "b1": 1, "b2": 0, "b3": 1}
    assert "w" not in t.types                                  # the nested function is not traced
    bad = run(tmp_path, src, "depth", 0)
    assert (bad.outcome, bad.result) == ("raise", "ValueError: too small: 0")
    assert bad.entries[-1].block == "b2"


def test_shorten_long_values_objects_and_sets():
    text, digest = tracer.shorten(list(range(1000)))
    assert len(text) == 79 and text.startswith("[0, 1, 2") and text.endswith("998, 999]") and " … " in text
    assert digest and digest != tracer.shorten(list(range(500)) + [-1] + list(range(501, 1000)))[1]
    assert tracer.shorten("abc") == ("'abc'", None)
    assert tracer.shorten({3, 1, 2})[0] == "{1, 2, 3}"

    class Point:
        def __init__(self):
            self.x, self.other = 1, object()
    assert tracer.shorten(Point())[0] == "<Point x=1, other=<object object at 0x…>>"


def test_long_trace_is_capped_but_hits_counted(tmp_path):
    t = run(tmp_path, UNIQUE, "unique_ordered", list(range(100)), max_entries=50)
    assert t.truncated and len(t.entries) == 50 and t.steps == 1 + 100 * 3 + 1 + 1
    assert hit_counts(t)["b3"] == 100
    original = run(tmp_path, UNIQUE, "unique_ordered", list(range(100)))
    text = render(original, original, first_divergence(original, original), limit_blocks=3)
    assert "entries omitted" in text and text.count(">>") == 0 and "no departure found" in text


BEST = '''
def best(scores):
    best_name, best_score = None, None
    for name, score in scores:
        if best_score is None or score > best_score or (score == best_score and name < best_name):
            best_name, best_score = name, score
    return best_name
'''
BEST_NO_TIE = BEST.replace(" or (score == best_score and name < best_name)", "")

COLLECT = '''
def collect(items):
    out = []
    for x in items:
        if x % 2:
            out.append(x * 10)
    return out
'''
COLLECT_REVERSED = COLLECT.replace("out.append(x * 10)", "out.insert(0, x * 10)")
COLLECT_SET = '''
def collect(items):
    seen = set()
    out = []
    for x in items:
        if x % 2:
            out += [x * 10]
    return out
'''


def test_divergence_at_a_dropped_tie_break(tmp_path):
    data = [("b", 1), ("a", 1), ("c", 0)]
    original, candidate = run(tmp_path, BEST, "best", data), run(tmp_path, BEST_NO_TIE, "best", data)
    d = first_divergence(original, candidate)
    assert d.block.label == "if best_score is None or score > best_score"
    assert candidate.blocks[1].label == "for name, score in scores"
    assert d.values == {"best_name": ("'a'", "'b'")}
    assert d.original_block.id == "b3"          # where the original took the branch
    text = render(original, candidate, d)
    assert text.splitlines()[-1].startswith("first departure: candidate block b2 (if best_score is None")
    assert "best_name: original='a', candidate='b'" in text


def test_divergence_at_an_extra_change(tmp_path):
    data = [("b", 1), ("a", 1), ("c", 0)]
    original, candidate = run(tmp_path, BEST_NO_TIE, "best", data), run(tmp_path, BEST, "best", data)
    d = first_divergence(original, candidate)
    assert (d.block.id, d.values) == ("b3", {"best_name": ("'b'", "'a'")})
    assert d.original_block.label == "if best_score is None or score > best_score"


def test_divergence_when_the_candidate_stops_early(tmp_path):
    raising = COLLECT.replace("out.append(x * 10)", "out.append(x * 10)\n            if x > 2: raise ValueError(x)")
    original = run(tmp_path, COLLECT, "collect", [1, 2, 3, 5])
    candidate = run(tmp_path, raising, "collect", [1, 2, 3, 5])
    d = first_divergence(original, candidate)
    assert d.step == len(candidate.entries) - 1 and d.block.label == "if x > 2"
    assert d.values["out"] == ("[10, 30, 50]", "[10, 30]")
    assert d.values["outcome"] == ("returned [10, 30, 50]", "raised ValueError: 3")


def test_divergence_past_the_cap_falls_back_to_the_outcome(tmp_path):
    changed = COLLECT.replace("x * 10", "x * 10 if x < 90 else 0")
    original = run(tmp_path, COLLECT, "collect", list(range(100)), max_entries=30)
    candidate = run(tmp_path, changed, "collect", list(range(100)), max_entries=30)
    d = first_divergence(original, candidate)
    assert d.step == -1 and d.block is None and list(d.values) == ["outcome"]
    text = render(original, candidate, d)
    assert "first departure: after the recorded part of the traces: outcome: original=returned" in text
    assert "trace cut after 30 entries" in text


def test_divergence_at_a_different_accumulation_order(tmp_path):
    original = run(tmp_path, COLLECT, "collect", [1, 2, 3, 5])
    candidate = run(tmp_path, COLLECT_REVERSED, "collect", [1, 2, 3, 5])
    d = first_divergence(original, candidate)
    assert (d.block.id, d.block.label, d.values) == ("b3", "line 6", {"out": ("[10, 30]", "[30, 10]")})
    assert candidate.entries[d.step].state["out"] == "[30, 10]"
    assert render(original, candidate, d).endswith(
        "first departure: candidate block b3 (line 6) at step %d: out: original=[10, 30], candidate=[30, 10]" % d.step)


def test_equivalent_candidate_has_no_divergence(tmp_path):
    original = run(tmp_path, COLLECT, "collect", [1, 2, 3, 5])
    candidate = run(tmp_path, COLLECT_SET, "collect", [1, 2, 3, 5])
    assert first_divergence(original, candidate) is None


def test_outcome_fallback_without_shared_names(tmp_path):
    a = run(tmp_path, "def f(xs):\n    return len(xs)\n", "f", [1, 2])
    b = run(tmp_path, "def f(ys):\n    return len(ys) + 1\n", "f", [1, 2])
    d = first_divergence(a, b)
    assert d.values == {"outcome": ("returned 2", "returned 3")} and d.block.id == "b0"


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    root = tmp_path_factory.mktemp("trace")
    files = {"pkg/__init__.py": "", "pkg/rank.py": "import os\n" + BEST}
    original = make_repo(root / "orig", files, git=False)
    candidate = make_repo(root / "cand", {**files, "pkg/rank.py": "import os\n" + BEST_NO_TIE}, git=False)
    target = resolve(index_repo(original), "best")
    calls = root / "calls.pkl"
    calls.write_bytes(pickle.dumps([{"args": pickle.dumps(((data,), {}))} for data in
                                    ([("x", 2)], [("b", 1), ("a", 1), ("c", 0)])]))
    return original, candidate, Baseline(target, calls_file=calls)


def test_trace_call_in_a_sandbox(repos):
    original, candidate, baseline = repos
    sandbox = get_sandbox()[0]
    a = trace_call(sandbox, original, baseline, 1)
    b = trace_call(sandbox, candidate, baseline, 1)
    assert a.result == "'a'" and b.result == "'b'"
    assert a.blocks[0].first == 4 and a.blocks[0].label == "line 4"   # real lines of the file
    d = first_divergence(a, b)
    assert d.block.first == 6 and "first departure: candidate block b2" in render(a, b, d)
    assert first_divergence(*(trace_call(sandbox, r, baseline, 0) for r in (original, candidate))) is None
    assert trace_call(sandbox, original, baseline, 7) is None    # no such call
