"""Per-line time profiles: the sandboxed worker, its parsing, and the annotated source."""
import json
import pickle
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from optimizer.measure.lineprofile import LineProfile, annotate, first_line_of, line_profile
from optimizer.target import index_repo, resolve
from optimizer.verify.capture import Baseline
from repos import SLOW_REPO, make_repo
from sandboxes import get_sandbox

CALLEE = {
    "pkg/__init__.py": "",
    "pkg/calls.py": '''
        def helper(n):
            total = 0
            for i in range(n):
                total += i * i
            return total


        def caller(n):
            a = n + 1
            b = helper(n)
            return a + b
    ''',
}

HOSTILE = {
    "pkg/__init__.py": "",
    # Writes a result of its own where the worker's would go, then ends the process.
    "pkg/forge.py": '''
        import os
        import sys

        with open(sys.argv[5], "w") as fh:
            fh.write(FORGED)
        os._exit(0)


        def f(x):
            return x
    ''',
    "pkg/boom.py": '''
        raise RuntimeError("no import for you")


        def f(x):
            return x
    ''',
}


def line_of(root, rel, text):
    """The absolute line number of the (first) line of a file that contains `text`."""
    lines = (root / rel).read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if text in line)


def baseline_for(root, tmp, spec, calls):
    """A baseline with hand-made calls (records like capture's), all in the workload."""
    target = resolve(index_repo(root), spec)
    calls_file = tmp / f"calls-{target.qualname}.pkl"
    calls_file.write_bytes(pickle.dumps([{"args": pickle.dumps((args, {}))} for args in calls]))
    n = len(calls)
    return Baseline(target, calls_file=calls_file, workload=list(range(n)),
                    call_seconds={str(i): 0.001 for i in range(n)})


@pytest.fixture(scope="module")
def sandbox():
    return get_sandbox()[0]


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lineprof")
    return make_repo(tmp / "slow", SLOW_REPO, git=False), tmp


def test_the_membership_test_carries_the_time(slow, sandbox):
    root, tmp = slow
    data = [i % 300 for i in range(1500)]
    b = baseline_for(root, tmp, "unique_ordered", [(data,), ([3, 1, 3, 2],)])
    prof = line_profile(sandbox, root, b)
    assert prof is not None
    shares = prof.shares()
    check = line_of(root, "pkg/core.py", "if item not in seen:")
    ret = line_of(root, "pkg/core.py", "return out")
    assert max(shares, key=shares.get) == check and shares[check] > 0.4
    assert abs(sum(shares.values()) - 1) < 1e-9
    assert shares[ret] < 0.02
    assert prof.first_line == first_line_of(b.target) == line_of(root, "pkg/core.py", "def unique_ordered")
    assert set(shares) <= set(range(prof.first_line, b.target.end_line + 1))
    assert 1 <= prof.passes <= 50
    assert prof.hits[check] == prof.passes * (len(data) + 4) and prof.hits[ret] == prof.passes * 2
    text = annotate(textwrap.dedent(b.target.source), prof.first_line, prof)
    row = next(r for r in text.splitlines() if "if item not in seen:" in r)
    assert row.endswith("|         if item not in seen:") and row[:6] == f"{100 * shares[check]:5.1f}%"
    assert not list((root / ".home").glob("lineprof-*"))        # its files are cleaned up


def test_a_method_target(slow, sandbox):
    root, tmp = slow
    # The raw function takes any self: a namespace with a list stands in for a Stack.
    b = baseline_for(root, tmp, "Stack.push_all", [(SimpleNamespace(items=[]), list(range(3000)))])
    prof = line_profile(sandbox, root, b)
    assert prof is not None
    append = line_of(root, "pkg/core.py", "self.items.append(v)")
    loop = line_of(root, "pkg/core.py", "for v in values:")
    assert prof.first_line == first_line_of(b.target) == line_of(root, "pkg/core.py", "def push_all")
    assert set(prof.shares()) == {loop, append, loop + 2}
    assert prof.hits[append] == 3000 * prof.passes
    lines = annotate(textwrap.dedent(b.target.source), first_line_of(b.target), prof).splitlines()
    assert lines[0] == "       | def push_all(self, values):"
    assert lines[2].endswith("|         self.items.append(v)") and lines[2][5] == "%"


def test_time_in_a_callee_is_charged_to_the_calling_line(tmp_path, sandbox):
    root = make_repo(tmp_path / "r", CALLEE, git=False)
    b = baseline_for(root, tmp_path, "caller", [(20000,)])
    prof = line_profile(sandbox, root, b)
    assert prof is not None
    calling = line_of(root, "pkg/calls.py", "b = helper(n)")
    assert prof.shares()[calling] > 0.9
    assert min(prof.seconds) >= prof.first_line == line_of(root, "pkg/calls.py", "def caller")  # no helper lines


GENERATOR = {
    "pkg/__init__.py": "",
    "pkg/gen.py": '''
        def evens(items):
            for item in items:
                if item % 2 == 0:
                    yield item
    ''',
}


def test_a_generators_body_is_profiled_as_it_is_consumed(tmp_path, sandbox):
    root = make_repo(tmp_path / "r", GENERATOR, git=False)
    b = baseline_for(root, tmp_path, "evens", [(list(range(4000)),)])
    prof = line_profile(sandbox, root, b)
    assert prof is not None   # creating the generator alone runs none of its lines
    test = line_of(root, "pkg/gen.py", "if item % 2 == 0:")
    assert prof.hits[test] == 4000 * prof.passes and prof.shares()[test] > 0.2


def test_a_worker_that_crashes_gives_no_profile(tmp_path, sandbox):
    root = make_repo(tmp_path / "r", HOSTILE, git=False)
    assert line_profile(sandbox, root, baseline_for(root, tmp_path, "pkg.boom:f", [(1,)])) is None


@pytest.mark.parametrize("forged", [
    "{not json",
    '{"lines": {"3": 1.0}, "hits": {"3": 1}, "first_line": 1, "passes": 1}',     # no seal
    "[1, 2]",
])
def test_forged_or_malformed_output_gives_no_profile(tmp_path, sandbox, forged):
    files = {**HOSTILE, "pkg/forge.py": HOSTILE["pkg/forge.py"].replace("FORGED", repr(forged))}
    root = make_repo(tmp_path / "r", files, git=False)
    assert line_profile(sandbox, root, baseline_for(root, tmp_path, "pkg.forge:f", [(1,)])) is None


GOOD = {"lines": {"3": 0.5, "4": 1.5}, "hits": {"3": 1, "4": 2}, "first_line": 2, "passes": 1}


class WritingSandbox:
    """Stands in for the sandbox: 'runs' the worker by writing `data` (with the run's seal)
    where the worker's output goes."""

    def __init__(self, data):
        self.data = data

    def run(self, cmd, workspace, env=None, timeout=0.0, stdin="", **kw):
        data = {**self.data, "seal": stdin.strip()} if isinstance(self.data, dict) else self.data
        Path(cmd[-1]).write_text(json.dumps(data))
        return SimpleNamespace(ok=True)


@pytest.mark.parametrize("bad", [
    {**GOOD, "lines": {"3": float("nan")}},
    {**GOOD, "lines": {"3": -1.0}},
    {**GOOD, "lines": {"x": 1.0}},
    {**GOOD, "lines": {"0": 1.0}},
    {**GOOD, "lines": {"3": "1.0"}},
    {**GOOD, "lines": {"3": True}},
    {**GOOD, "lines": [1, 2]},
    {**GOOD, "hits": {"3": 1.5}},
    {**GOOD, "first_line": "2"},
    {"hits": {}},
    "lines",
])
def test_malformed_worker_json_is_refused(slow, bad):
    root, tmp = slow
    b = baseline_for(root, tmp, "total", [([1, 2],)])
    assert line_profile(WritingSandbox(bad), root, b) is None


def test_a_sound_worker_json_is_read(slow):
    root, tmp = slow
    b = baseline_for(root, tmp, "total", [([1, 2],)])
    assert line_profile(WritingSandbox(GOOD), root, b) == LineProfile({3: 0.5, 4: 1.5}, {3: 1, 4: 2}, 2, 1)
    assert line_profile(WritingSandbox({**GOOD, "lines": {"3": 0.0}}), root, b) is None   # no time at all


def test_nothing_to_run_gives_no_profile(slow, sandbox):
    root, tmp = slow
    b = baseline_for(root, tmp, "total", [([1, 2],)])
    b.workload = []
    assert line_profile(sandbox, root, b) is None
    b.workload, b.calls_file = [0], None
    assert line_profile(sandbox, root, b) is None


def test_annotate_aligns_the_column_and_leaves_cold_lines_blank():
    source = "def f(xs):\n    total = 0\n\n    for x in xs:\n        total += x\n    return total\n"
    prof = LineProfile({11: 0.01, 13: 0.3, 14: 0.69, 15: 0.00001, 99: 0.0})
    assert annotate(source, 10, prof) == (
        "       | def f(xs):\n"
        "  1.0% |     total = 0\n"
        "       |\n"
        " 30.0% |     for x in xs:\n"
        " 69.0% |         total += x\n"
        "       |     return total\n")
    assert annotate(source, 10, prof, min_share=0.02).splitlines()[1] == "       |     total = 0"
    full = annotate("def g():\n    pass", 1, LineProfile({2: 3.0}))
    assert full == "       | def g():\n100.0% |     pass"
    assert annotate(source, 10, None) is source
    assert annotate(source, 10, LineProfile({})) == annotate(source, 10, LineProfile({11: 0.0}))
    assert LineProfile({}).shares() == {}
