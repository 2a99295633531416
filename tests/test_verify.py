"""Capture, replay and verification against real subprocesses."""
import pytest

from optimizer.model import Candidate
from optimizer.target import index_repo, replace_definition, resolve
from optimizer.verify import capture, verify
from optimizer.verify.equivalence import record_expected
from optimizer.workspace import Workspace
from repos import make_repo, recorded_repo, replay_only
from sandboxes import get_sandbox

FILES = {
    "lib/__init__.py": "",
    "lib/ops.py": '''
        import random


        def normalize(values):
            """Sort in place and return the total."""
            values.sort()
            return sum(values)


        def parse(text):
            return int(text)


        def noisy(n):
            return n + random.random()


        class Counter:
            def __init__(self):
                self.n = 0

            def bump(self, k):
                self.n += k
                return self.n

            @staticmethod
            def double(x):
                return 2 * x
    ''',
    "tests/test_ops.py": '''
        import pytest
        from lib.ops import Counter, noisy, normalize, parse


        def test_normalize():
            v = [3, 1, 2]
            assert normalize(v) == 6 and v == [1, 2, 3]


        def test_parse():
            assert parse("12") == 12
            with pytest.raises(ValueError):
                parse("x")


        def test_noisy():
            assert 1 <= noisy(1) < 2


        def test_counter():
            c = Counter()
            assert c.bump(2) == 2 and Counter.double(4) == 8
    ''',
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    with recorded_repo(tmp_path_factory.mktemp("v") / "r", FILES) as (ws, sandbox, index, baselines, suite, notes):
        yield ws, sandbox, baselines, suite, notes, index


def test_capture_records_calls_and_the_tests_that_make_them(run):
    ws, _, baselines, suite, _, _ = run
    assert not suite.failed() and len(suite.outcomes) == 4
    norm = baselines["lib.ops.normalize"]
    assert norm.tests == ["tests/test_ops.py::test_normalize"] and norm.n_calls == 1
    assert baselines["lib.ops.parse"].n_calls == 2          # one return, one exception
    assert baselines["lib.ops.Counter.bump"].n_calls == 1   # self is captured with the call
    assert baselines["lib.ops.Counter.double"].n_calls == 1  # staticmethod


def test_nondeterministic_calls_are_set_aside(run):
    _, _, baselines, _, notes, _ = run
    # Its captured calls are set aside; generated ones may be stable (huge inputs drown the noise).
    assert baselines["lib.ops.noisy"].workload == []
    assert "lib.ops.noisy is partly non-deterministic" in notes["lib.ops.noisy"][0]
    assert "; for example: captured call (" in notes["lib.ops.noisy"][0]   # which call, and how it differed
    parse = baselines["lib.ops.parse"]
    assert parse.workload == [0, 1] and len(parse.stable) > 2   # captured, then generated calls


def _verdict(run, name, source):
    ws, sandbox, baselines, suite, _, index = run
    t = resolve(index, name)
    original = ws.original_text(t)
    new_text = replace_definition(original, t, source)
    cand = ws.candidate_copy(t, new_text)
    try:
        return verify(sandbox, cand, new_text, baselines[t.name], suite)
    finally:
        ws.discard(cand)


def test_equivalent_candidate_passes(run):
    v = _verdict(run, "normalize", "def normalize(values):\n    values.sort()\n    t = 0\n"
                                   "    for x in values:\n        t += x\n    return t\n")
    assert v.ok and v.calls_checked > 1
    assert v.reason.startswith("1 test passed; the same outcome on 1 captured, ")
    assert "generated" in v.reason and v.reason.endswith(" calls; 1 of 1 blocks of the original reached"), v.reason
    assert v.evidence["level"] == "proven on reached paths" and v.evidence["calls"]["captured"] == 1


def _replay_only(run, name, source):
    """The equivalence check alone, without the tests in front of it."""
    ws, sandbox, baselines, _, _, index = run
    return replay_only(ws, sandbox, index, baselines, name, source)


def test_missing_mutation_is_caught(run):
    # Same return value, but the caller's list is no longer sorted.
    v = _replay_only(run, "normalize", "def normalize(values):\n    return sum(sorted(values))\n")
    assert not v.ok and "mutates argument #0 differently at [0] on captured call #0 ([3, 1, 2]): expected 1, got 3" in v.reason


def test_wrong_exception_type_is_caught(run):
    v = _verdict(run, "parse", "def parse(text):\n    if not text.isdigit():\n        raise TypeError(text)\n"
                               "    return int(text)\n")
    assert not v.ok and v.stage == "tests"


def test_wrong_value_is_reported_with_the_call(run):
    v = _replay_only(run, "Counter.double", "@staticmethod\ndef double(x):\n    return 2.0 * x\n")
    assert not v.ok and v.reason == "returns a different value on captured call #0 (4): expected 8, got 8.0"


def test_method_candidate_verifies(run):
    v = _verdict(run, "Counter.bump", "def bump(self, k):\n    self.n = self.n + k\n    return self.n\n")
    assert v.ok


def test_syntax_and_import_errors(run):
    assert _verdict(run, "parse", "def parse(text):\n    return int(text\n").stage == "parse"
    v = _verdict(run, "parse", "def parse(text):\n    return int(text)\nraise RuntimeError('boom')\n")
    assert not v.ok and v.stage == "import" and "RuntimeError: boom" in v.reason


def test_candidate_model_dedup_key():
    t = None
    a = Candidate(t, "x", "def f(a):\n    return a  # comment\n")
    b = Candidate(t, "y", "def f(a):\n\n    return (a)\n")
    assert a.key == b.key


def test_calls_whose_outcome_cannot_be_stored_are_skipped_not_fatal(tmp_path):
    files = {"m.py": "class Opaque:\n    def __eq__(self, other):\n        return type(other) is Opaque\n\n"
                     "    def __reduce__(self):\n        raise TypeError('not serializable')\n\n\n"
                     "def make(n):\n    return Opaque() if n > 5 else n\n",
             "tests/test_m.py": "from m import make\n\n\ndef test_make():\n    assert make(3) == 3\n    assert make(9)\n"}
    b, notes = _recorded(tmp_path, files, "m.make")
    assert notes == []
    assert b.workload == [0] and b.stable   # make(3) kept; make(9)'s result cannot be stored (even by cloudpickle)


def _recorded(tmp_path, files, name):
    """Capture the tests' calls of `name` in a plain folder made of `files`, then record the
    original's outcomes: (its baseline, the notes)."""
    repo = make_repo(tmp_path / "r", files, git=False)
    ws = Workspace(repo)
    sandbox = get_sandbox()[0]
    try:
        baselines, _ = capture(sandbox, ws.base, ws.scratch("run"), index_repo(repo), bench=None)
        return baselines[name], record_expected(sandbox, ws.base, ws.scratch("run"), baselines[name], 60)
    finally:
        ws.close()


@pytest.mark.slow   # real capture, replay or profile
def test_calls_whose_arguments_come_from_a_test_module_load_as_under_pytest(tmp_path):
    """toolz's tests pass an object of a class defined in a test module that pytest imports by
    its bare name (its folder has no __init__.py): the replay finds it as pytest did. A class
    from a module nothing can import later loses that one call, with a note that names why."""
    files = {"m.py": "def size(xs):\n    return len(list(xs))\n",
             "tests/test_m.py": ("from m import size\n\n\nclass Box(list):\n    pass\n\n\n"
                                 "def test_size():\n    assert size([1, 2]) == 2\n    assert size(Box([1])) == 1\n\n\n"
                                 "def test_gone(tmp_path, monkeypatch):\n"
                                 "    (tmp_path / 'gone.py').write_text('class Bag(list):\\n    pass\\n')\n"
                                 "    monkeypatch.syspath_prepend(str(tmp_path))\n"
                                 "    from gone import Bag\n    assert size(Bag([1, 2, 3])) == 3\n")}
    b, notes = _recorded(tmp_path, files, "m.size")
    assert notes == ["1 captured call of m.size was dropped: its arguments could not be loaded outside "
                     "the test that made them (a class defined in a test module, or an iterator of a type pickle "
                     "cannot name, say); the first: ModuleNotFoundError: No module named 'gone'"]
    assert b.workload == [0, 1] and b.stable       # the plain list and the test module's Box


@pytest.mark.slow   # real capture, replay or profile
def test_a_private_method_with_a_mangled_name_is_captured_and_replayed(tmp_path):
    """Markdown's InlineProcessor.__applyPattern is stored as _InlineProcessor__applyPattern,
    and is called only from another hot method: capture wrapped nothing, then recorded only
    the outermost target's calls, and said "no test or workload called it" (found on Markdown)."""
    files = {"m.py": ("class Inline:\n    def __init__(self, k):\n        self.k = k\n\n"
                      "    def __scale(self, xs):\n        return [x * self.k for x in xs]\n\n"
                      "    def run(self, xs):\n        return self.__scale(xs)\n"),
             "tests/test_m.py": ("from m import Inline\n\n\ndef test_run():\n"
                                 "    assert Inline(2).run([1, 2]) == [2, 4]\n    assert Inline(0).run([]) == []\n")}
    b, notes = _recorded(tmp_path, files, "m.Inline.__scale")
    assert b.workload == [0, 1] and len(b.stable) >= 2, notes


@pytest.mark.slow
def test_a_candidate_is_judged_on_calls_whose_arguments_come_from_a_test_module(tmp_path):
    """Through the CLI: the calls with the test module's Box are replayed on the original
    and on the catalog's candidate alike (the checking worker finds the module too)."""
    import json
    import subprocess
    import sys

    files = {"m.py": "def size(xs):\n    return sum(1 for _ in xs)\n",
             "tests/test_m.py": ("from m import size\n\n\nclass Box(list):\n    pass\n\n\n"
                                 "def test_size():\n    for n in range(1, 40):\n"
                                 "        assert size(Box(range(n))) == n\n")}
    repo = make_repo(tmp_path / "r", files)
    report = tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-m", "optimizer", str(repo), "--target", "size", "--search-seconds", "0",
                        "--json", str(report)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr + r.stdout
    assert "could not be loaded" not in r.stdout and "ModuleNotFoundError" not in r.stdout
    [candidate] = json.loads(report.read_text())["candidates"]
    assert candidate["origin"] == "pattern:reduce-over-list"
    assert candidate["evidence"]["calls"]["captured"] >= 39, candidate    # judged on the Box calls
