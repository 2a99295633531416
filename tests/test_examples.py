"""The bundled slow->fast pairs are behaviour-identical, and retrieval picks relevant ones."""
from __future__ import annotations

import ast
import os
import random
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

import prompts
from optimizer.propose.examples import (BUNDLED, KEPT, Example, KeptExamples, bundled, render_examples,
                                        retrieve)

PAIRS_FILE = Path(prompts.__file__).parent / "examples" / "pairs.toml"
PAIRS = tomllib.loads(PAIRS_FILE.read_text(encoding="utf-8"))["pair"]


def _function_names(code: str) -> list[str]:
    return [n.name for n in ast.parse(code).body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _load(code: str, name: str):
    namespace: dict = {"__name__": f"example_{name}"}
    exec(compile(code, f"<{name}>", "exec"), namespace)
    return namespace[_function_names(code)[0]]


def _inputs(pair: dict) -> list[tuple]:
    """A fresh copy of the pair's argument tuples (the same values every time)."""
    args = eval(pair["inputs"], {"rng": random.Random(0), "SimpleNamespace": SimpleNamespace})
    assert isinstance(args, list) and args and all(isinstance(a, tuple) for a in args), pair["id"]
    return args


def _outcome(fn, args: tuple):
    try:
        result = fn(*args)
    except Exception as e:   # compared by type and message
        return ("raised", type(e), str(e)), args
    return ("returned", type(result), result), args


def test_at_least_30_pairs_with_unique_ids_and_required_fields():
    assert len(PAIRS) >= 30
    ids = [p["id"] for p in PAIRS]
    assert len(ids) == len(set(ids))
    for p in PAIRS:
        assert set(p) == {"id", "title", "slow", "fast", "inputs"}, p["id"]
        assert p["title"].strip() and "\n" not in p["title"], p["id"]
        assert p["slow"] != p["fast"], p["id"]


@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_pair_defines_one_function_with_the_same_name_and_signature(pair):
    slow, fast = ast.parse(pair["slow"]), ast.parse(pair["fast"])
    slow_defs = [n for n in slow.body if isinstance(n, ast.FunctionDef)]
    fast_defs = [n for n in fast.body if isinstance(n, ast.FunctionDef)]
    assert len(slow_defs) == len(fast_defs) == 1
    assert slow_defs[0].name == fast_defs[0].name
    assert ast.dump(slow_defs[0].args) == ast.dump(fast_defs[0].args)


@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_pair_behaves_identically(pair):
    slow = _load(pair["slow"], pair["id"] + "_slow")
    fast = _load(pair["fast"], pair["id"] + "_fast")
    for slow_args, fast_args in zip(_inputs(pair), _inputs(pair)):
        shown = repr(slow_args)[:200]
        (s, s_after), (f, f_after) = _outcome(slow, slow_args), _outcome(fast, fast_args)
        assert s[:2] == f[:2], f"{pair['id']} on {shown}: {s[:2]} vs {f[:2]}"
        if s[0] == "returned":
            assert s[2] == f[2], f"{pair['id']} on {shown}: results differ"
            if isinstance(s[2], list):   # elements of the same types too (1 vs 1.0 vs True)
                assert [type(x) for x in s[2]] == [type(x) for x in f[2]], pair["id"]
        else:
            assert s[2] == f[2], f"{pair['id']} on {shown}: messages {s[2]!r} vs {f[2]!r}"
        assert s_after == f_after, f"{pair['id']} on {shown}: arguments left different"


def test_bundled_loads_every_pair_once():
    examples = bundled()
    assert [e.id for e in examples] == [p["id"] for p in PAIRS]
    assert all(e.source == BUNDLED for e in examples)
    examples.clear()                     # callers get a copy
    assert len(bundled()) == len(PAIRS)


def test_package_data_ships_the_pairs():
    text = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    package_data = tomllib.loads(text)["tool"]["setuptools"]["package-data"]["prompts"]
    assert any(pattern.startswith("examples/") for pattern in package_data)


LIST_MEMBERSHIP = '''
def dedupe(events):
    seen_list = []
    for x in events:
        if x not in seen_list:
            seen_list.append(x)
    return seen_list
'''

BFS = '''
def shortest_hops(adj, src, dst):
    dist = {src: 0}
    queue = [src]
    while queue:
        node = queue.pop(0)
        if node == dst:
            return dist[node]
        for nb in adj[node]:
            if nb not in dist:
                dist[nb] = dist[node] + 1
                queue.append(nb)
    return -1
'''

CONCAT = '''
def render(items):
    s = ""
    for name, qty in items:
        part = name + ": " + str(qty) + "; "
        s += part
    return s
'''


def test_retrieves_set_membership_first_for_a_list_used_as_a_seen_set():
    top = retrieve(LIST_MEMBERSHIP, k=3)
    assert top[0].id == "membership-list-to-set"


def test_retrieves_deque_first_for_a_pop0_bfs():
    assert retrieve(BFS, k=3)[0].id == "queue-pop0-to-deque"


def test_retrieves_a_join_example_first_for_string_plus_equals():
    assert retrieve(CONCAT, k=3)[0].id in {"string-concat-to-join", "join-instead-of-plus-equals"}


def test_retrieval_is_deterministic_distinct_and_sized():
    first = retrieve(BFS, k=4)
    assert [e.id for e in first] == [e.id for e in retrieve(BFS, k=4)]
    assert len({e.id for e in first}) == 4
    assert retrieve(BFS, k=0) == []
    pool = bundled()[:2]
    assert len(retrieve(BFS, k=5, pool=pool + pool)) == 2       # duplicate ids collapse
    assert retrieve(BFS, pool=[]) == []


def test_retrieval_breaks_ties_by_id_and_copes_with_unparseable_code():
    twins = [Example(i, "t", "def f(x):\n    return x\n", "def f(x):\n    return x\n", BUNDLED) for i in "cab"]
    assert [e.id for e in retrieve("def g(y):\n    return y\n", k=3, pool=twins)] == ["a", "b", "c"]
    assert len(retrieve("def broken(:\n  seen_list.pop(0", k=3)) == 3


def test_render_examples_gives_plain_dicts():
    ex = bundled()[0]
    [shown] = render_examples([ex])
    assert shown == {"title": ex.title, "slow": ex.slow.strip("\n"), "fast": ex.fast.strip("\n"), "source": BUNDLED}


def test_kept_examples_round_trip(tmp_path):
    store = KeptExamples(tmp_path / "deep" / "kept.jsonl")
    assert store.load() == []
    store.add("pkg.mod.f", "def f(a):\n    return sorted(a)[0]\n", "def f(a):\n    return min(a)\n", 3.14)
    store.add("pkg.mod.f", "def f(a):\n    return sorted(a)[0]\n", "def f(a):\n    return min(a)\n", 2.0)
    assert len(store.path.read_text().splitlines()) == 1
    [ex] = store.load()
    assert ex.source == KEPT == "kept on this machine"
    assert ex.title == "kept earlier: pkg.mod.f, 3.1x faster"
    assert ex.slow == "def f(a):\n    return sorted(a)[0]\n" and ex.fast == "def f(a):\n    return min(a)\n"
    with store.path.open("a") as fh:
        fh.write('{"target": "g", "slow": "x"\n')            # truncated
        fh.write('[1, 2]\n{"target": "g", "slow": "a", "fast": "b", "speedup": "fast"}\n')
        fh.write("\xff\n")
    store.path.write_bytes(store.path.read_bytes() + b"\xff\xfe garbage\n")
    store.add("g", "def g():\n    return 1 + 1\n", "def g():\n    return 2\n", 1.5)
    assert [e.title for e in store.load()] == ["kept earlier: pkg.mod.f, 3.1x faster", "kept earlier: g, 1.5x faster"]
    assert KeptExamples(tmp_path / "deep" / "kept.jsonl").load() == store.load()


def test_kept_examples_skip_no_ops_odd_speedups_and_unencodable_text(tmp_path):
    store = KeptExamples(tmp_path / "kept.jsonl")
    store.add("f", "def f(): return 1\n", "def f(): return 1", 2.0)            # no change
    store.add("f", "def f(): return 1", "def f(): return 2", float("nan"))
    store.add("f", "def f(): return 1", "def f(): return 2", float("inf"))
    assert not store.path.exists()
    store.path.write_text('{"target": "f", "slow": "a\\ud800", "fast": "b", "speedup": 2.0}\n'
                          '{"target": "f", "slow": "a", "fast": "b", "speedup": true}\n'
                          '{"target": "f", "slow": "a", "fast": "b", "speedup": NaN}\n')
    assert store.load() == []


def test_kept_examples_default_path_follows_optimize_home(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMIZE_HOME", str(tmp_path / "home"))
    assert KeptExamples().path == tmp_path / "home" / "kept-examples.jsonl"


def test_kept_examples_never_raise_on_io_errors(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = KeptExamples(blocker / "sub" / "kept.jsonl")      # its parent cannot be created
    store.add("f", "def f(): pass", "def f(): return None", 2.0)
    assert store.load() == []
    KeptExamples(tmp_path).add("f", "def f(): pass", "def f(): return None", 2.0)   # a directory
    assert KeptExamples(tmp_path).load() == []
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        KeptExamples(locked / "kept.jsonl").add("f", "def f(): pass", "def f(): return None", 2.0)
        assert not (locked / "kept.jsonl").exists()


def test_kept_examples_take_part_in_retrieval(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIMIZE_HOME", str(tmp_path))
    slow = '''
def collect_frames(frames):
    buffered_frames = []
    for frame in frames:
        if frame.checksum not in buffered_frames:
            buffered_frames.append(frame.checksum)
    return buffered_frames
'''
    fast = slow.replace("buffered_frames = []", "buffered_frames = {}").replace(
        "buffered_frames.append(frame.checksum)", "buffered_frames[frame.checksum] = None").replace(
        "return buffered_frames", "return list(buffered_frames)")
    KeptExamples().add("video.collect_frames", slow, fast, 4.0)
    target = slow.replace("collect_frames", "collect_packets").replace("frame", "packet")
    top = retrieve(target, k=3)
    assert top[0].source == KEPT and top[0].title == "kept earlier: video.collect_frames, 4.0x faster"
    assert len({e.id for e in top}) == 3
