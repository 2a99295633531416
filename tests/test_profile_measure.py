"""Profiling with real processes, hotspot attribution, and side-by-side timing."""
import contextlib

import pytest
from collections import Counter

from optimizer.measure.runner import MeasureSettings, measure
from optimizer.target import index_repo, replace_definition, resolve
from optimizer.verify import capture
from optimizer.verify.equivalence import record_expected
from optimizer.verify.runs import python_env
from optimizer.workspace import Workspace
from profilers import Profile, profile, rank
from profilers.sampling import parse_raw
from repos import SLOW_REPO, make_repo
from sandboxes import get_sandbox

BENCH = ("from pkg.core import unique_ordered, total\n"
         "for _ in range(30):\n    unique_ordered([i % 900 for i in range(3000)])\n"
         "total(list(range(10)))\n")


@contextlib.contextmanager
def prepared(tmp_path, files, target, bench=None):
    """A real repo, its workspace, and the target's baseline with replayable calls."""
    root = make_repo(tmp_path / "r", files, git=False)
    index = index_repo(root)
    ws = Workspace(root)
    sandbox = get_sandbox()[0]
    try:
        baselines, _ = capture(sandbox, ws.base, ws.scratch("run"), index, bench)
        t = resolve(index, target)
        b = baselines[t.name]
        record_expected(sandbox, ws.base, ws.scratch("run"), b, 60)
        yield ws, sandbox, t, b
    finally:
        ws.close()


def test_parse_raw_format():
    text = ('process 1:"python b.py";<module> (/r/b.py:6);slow (/r/pkg/m.py:4) 15\n'
            "<module> (/r/b.py:6) 2\nnot a stack line\n")
    stacks = parse_raw(text)
    assert stacks[(("<module>", "/r/b.py", 6), ("slow", "/r/pkg/m.py", 4))] == 15
    assert sum(stacks.values()) == 17


def test_samples_go_to_the_deepest_repo_frame(tmp_path):
    root = make_repo(tmp_path / "r", SLOW_REPO, git=False)
    index = index_repo(root)
    core = str(root / "pkg/core.py")
    prof = Profile(Counter({
        # test -> unique_ordered -> stdlib: credited to unique_ordered
        ((("test_x", str(root / "tests/test_core.py"), 3)), ("unique_ordered", core, 6), ("append", "/usr/lib/x.py", 1)): 8,
        # total -> (site-packages) : credited to total
        (("total", core, 15), ("f", "/venv/site-packages/m.py", 2)): 2,
        # only test and stdlib frames: credited to nobody, but counted in the total
        (("test_y", str(root / "tests/test_core.py"), 9), ("sleep", "/usr/lib/time.py", 1)): 10,
    }))
    spots = rank(prof, root, index)
    assert [(h.name, h.share) for h in spots] == [("pkg.core.unique_ordered", 0.4), ("pkg.core.total", 0.1)]
    assert spots[0].file == "pkg/core.py" and spots[0].line == 4


@pytest.mark.parametrize("use_py_spy", [True, False])
def test_profile_a_real_workload_finds_the_hotspot(tmp_path, use_py_spy):
    root = make_repo(tmp_path / "r", {**SLOW_REPO, "bench.py": BENCH}, git=False)
    index = index_repo(root)
    prof = profile(get_sandbox()[0], root, ["sh", "-c", "python bench.py"], python_env(root, index),
                   use_py_spy=use_py_spy)
    assert prof.total > 0, prof.error
    if not use_py_spy:
        assert prof.tool == "sampler"
    spots = rank(prof, root, index)
    assert spots[0].name == "pkg.core.unique_ordered" and spots[0].share > 0.5


@pytest.mark.slow   # a real measurement: seconds of paired timing
def test_measure_sees_a_large_gain_and_not_an_identical_copy(tmp_path):
    with prepared(tmp_path, {**SLOW_REPO, "bench.py": BENCH}, "unique_ordered", "python bench.py") as (ws, sandbox, t, b):
        fast = replace_definition(ws.original_text(t), t,
                                  "def unique_ordered(items):\n    return list(dict.fromkeys(items))\n")
        settings = MeasureSettings(rounds=3, max_rounds=3)
        m = measure(sandbox, ws.base, ws.candidate_copy(t, fast), b, settings)
        assert m.speedup > 5 and m.ci[0] > 3, m
        same = measure(sandbox, ws.base, ws.candidate_copy(t, ws.original_text(t)), b, settings)
        assert same.ci[0] < 1.5 and same.samples == 3   # workers per side


def test_memoizing_candidates_are_recognised():
    from optimizer.measure.caching import memoizes

    assert memoizes("@functools.lru_cache(maxsize=None)\ndef f(n):\n    return n\n") == "decorated with lru_cache"
    assert memoizes("@cache\ndef f(n):\n    return n\n") == "decorated with cache"
    assert memoizes("def f(n, _memo={}):\n    return _memo.setdefault(n, n)\n") == "a mutable default argument"
    assert memoizes("def f(n):\n    global SEEN\n    return n\n") == "global state"
    assert memoizes("def f(n, k=3):\n    return sorted(n)[:k]\n") == ""


CACHED = {
    "calc.py": "def square_sum(n):\n    return sum(i * i for i in range(n))\n",
    "tests/test_calc.py": ("from calc import square_sum\n\n\ndef test_square_sum():\n"
                           "    assert [square_sum(n) for n in (20000, 30000, 40000)] == "
                           "[sum(i * i for i in range(n)) for n in (20000, 30000, 40000)]\n"),
}
MEMO = "@functools.lru_cache(maxsize=None)\ndef square_sum(n):\n    return sum(i * i for i in range(n))\n"


@pytest.mark.slow   # a real measurement: seconds of paired timing
def test_a_cache_does_not_fake_speed_when_timed_cold(tmp_path):
    with prepared(tmp_path, CACHED, "square_sum") as (ws, sandbox, t, b):
        cand = ws.candidate_copy(t, replace_definition(ws.original_text(t), t, MEMO, ("import functools",)))
        settings = MeasureSettings(rounds=3, max_rounds=3)
        warm = measure(sandbox, ws.base, cand, b, settings, probe_caching=False)
        cold = measure(sandbox, ws.base, cand, b, settings, cold="decorated with lru_cache")
        assert warm.speedup > 5                     # repeated loops hit the cache: a fake gain
        assert cold.ci[0] < 1.3 and "cold pass" in cold.workload, cold
        assert "its source suggests a cache (decorated with lru_cache)" in cold.workload
        # Without the static hint, its first calls give it away: judged on them, no gain.
        found = measure(sandbox, ws.base, cand, b, settings)
        assert found.ci[0] < 1.3 and "judged on first calls (one cold pass per process): its repeated calls gain" \
            in found.workload and found.workload.endswith("(it caches results between calls)"), found


@pytest.mark.slow   # a real measurement: seconds of paired timing
def test_noise_calibration_against_an_identical_copy(tmp_path):
    from optimizer.measure.runner import calibrate

    with prepared(tmp_path, CACHED, "square_sum") as (ws, sandbox, t, b):
        copy = ws.candidate_copy(t, ws.original_text(t))
        loose = MeasureSettings(rounds=3, max_rounds=4, threshold=1.05)
        settings, noise, note = calibrate(sandbox, ws.base, copy, b, loose)
        assert noise.ci[0] < 1.05 and noise.ci[1] > 1 / 1.05     # an identical copy is not "faster"
        strict = MeasureSettings(rounds=3, max_rounds=4, threshold=1.0001)   # no machine is this quiet
        settings, _, note = calibrate(sandbox, ws.base, copy, b, strict)
        assert settings.rounds == 4 and note.startswith("noisy machine: calc.square_sum against an identical copy")


@pytest.mark.slow
@pytest.mark.skipif(__import__("optimizer.measure.instructions", fromlist=["counter"]).counter() is None,
                    reason="no instruction counter (valgrind or perf) on this machine; .ci/run installs valgrind")
def test_instruction_counts_see_the_gain_and_not_an_identical_copy(tmp_path):
    from optimizer.measure.instructions import measure_instructions

    with prepared(tmp_path, {**SLOW_REPO, "bench.py": BENCH}, "unique_ordered", "python bench.py") as (ws, sandbox, t, b):
        fast = replace_definition(ws.original_text(t), t, "def unique_ordered(items):\n    return list(dict.fromkeys(items))\n")
        m = measure_instructions(sandbox, ws.base, ws.candidate_copy(t, fast), b)
        assert m.speedup > 5 and m.ci == (m.speedup, m.speedup) and "instructions" in m.workload
        same = measure_instructions(sandbox, ws.base, ws.candidate_copy(t, ws.original_text(t)), b)
        assert 0.98 < same.speedup < 1.02, same


def test_the_counted_calls_are_the_ones_that_weigh_most_in_a_timed_pass():
    from types import SimpleNamespace

    from optimizer.measure import instructions

    # Four small test calls first, then the workload's big ones: a timed pass is mostly those.
    seconds = {"0": 1e-6, "1": 1e-6, "2": 2e-6, "3": 1e-6, "4": 0.005, "5": 0.004, "6": 0.3, "7": 0.001}
    b = SimpleNamespace(workload=list(range(8)), call_seconds=seconds)
    assert instructions.reduced_calls(b) == [6]          # the heaviest alone fills REDUCED_SECONDS
    seconds["6"] = 0.0001
    assert instructions.reduced_calls(b) == [2, 4, 5, 6, 7]   # five at most, in workload order
    b = SimpleNamespace(workload=[3, 1, 2], call_seconds={})
    assert instructions.reduced_calls(b) == [3, 1, 2]    # no replay times: the first ones


ONE_TIME_SETUP = '''_TABLE = {}


def unique_ordered(items):
    if not _TABLE:   # a one-time cost in a fresh process: the timed samples never see it
        _TABLE.update((i, str(i)) for i in range(200000))
    return list(dict.fromkeys(items))
'''


@pytest.mark.slow
@pytest.mark.skipif(__import__("optimizer.measure.instructions", fromlist=["counter"]).counter() is None,
                    reason="no instruction counter (valgrind or perf) on this machine; .ci/run installs valgrind")
def test_a_warm_count_leaves_out_what_only_a_first_call_costs(tmp_path):
    from optimizer.measure.instructions import measure_instructions

    with prepared(tmp_path, {**SLOW_REPO, "bench.py": BENCH}, "unique_ordered", "python bench.py") as (ws, sandbox, t, b):
        cand = ws.candidate_copy(t, replace_definition(ws.original_text(t), t, ONE_TIME_SETUP))
        cold = measure_instructions(sandbox, ws.base, cand, b)
        warm = measure_instructions(sandbox, ws.base, cand, b, warm=True)
        assert cold.speedup < 1 < 5 < warm.speedup, (cold.speedup, warm.speedup)
        assert "warm pass" in warm.workload and "warm" not in cold.workload
