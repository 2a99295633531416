"""The per-candidate search for inputs where original and candidate part ways
(optimizer/verify/search.py): CrossHair, candidate literals, model-suggested inputs,
all in the real sandbox on a real repository."""
import json
import pickle
import time

import pytest

from optimizer.propose.llm import LLMProposer, ReplayProposer, answer_lines, inputs_step
from optimizer.propose.store import Transcript
from optimizer.target import replace_definition, resolve
from optimizer.verify.search import Deadline, _record, diverging_calls, new_literals, parse_suggestions
from repos import recorded_repo

FILES = {
    "pkg/__init__.py": "",
    "pkg/num.py": '''
        def clamp(x: int) -> int:
            """Into [0, 5000]."""
            if x < 0:
                return 0
            if x > 5000:
                return 5000
            return x


        def shout(s: str) -> str:
            return s.upper()


        def half(n):
            return n // 2
    ''',
    "tests/test_num.py": '''
        from pkg.num import clamp, half, shout


        def test_clamp():
            assert clamp(3) == 3 and clamp(-2) == 0 and clamp(10) == 10


        def test_shout():
            assert shout("hi") == "HI" and shout("Ab c") == "AB C"


        def test_half():
            assert half(4) == 2 and half(10) == 5
    ''',
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    with recorded_repo(tmp_path_factory.mktemp("search") / "r", FILES) as (ws, sandbox, index, baselines, _, _):
        yield ws, sandbox, baselines, index


def _search(run, name, source, budget=10.0, suggest=None):
    ws, sandbox, baselines, index = run
    t = resolve(index, name)
    cand = ws.candidate_copy(t, replace_definition(ws.original_text(t), t, source))
    try:
        return diverging_calls(sandbox, ws.base, cand, baselines[t.name], t.source, source, budget,
                               suggest=suggest)
    finally:
        ws.discard(cand)


WRONG_CLAMP = "def clamp(x: int) -> int:\n    return max(0, min(x, 1000))\n"


def test_crosshair_finds_what_the_captured_calls_never_reach(run):
    r = _search(run, "clamp", WRONG_CLAMP)
    assert not r.verdict.ok and r.verdict.stage == "equivalence"
    assert "on crosshair call #" in r.verdict.reason and "got 1000" in r.verdict.reason, r.verdict.reason
    assert r.checked["crosshair"] >= 1 and r.seconds["crosshair"] > 0
    assert any("CrossHair found" in n for n in r.notes)
    assert r.baseline is not None and r.verdict.failing_call is not None   # what a trace of the call needs


def test_a_correct_candidate_is_not_rejected(run):
    r = _search(run, "clamp", "def clamp(x: int) -> int:\n    return max(0, min(x, 5000))\n")
    assert r.verdict.ok, r.verdict.reason
    assert any("CrossHair found no counterexample" in n for n in r.notes), r.notes


def test_a_back_door_literal_is_caught(run):
    back_door = "def shout(s: str) -> str:\n    if s == 'xyzzy':\n        return ''\n    return s.upper()\n"
    r = _search(run, "shout", back_door, budget=3.0)     # too little for CrossHair: the literals alone
    assert not r.verdict.ok and "literal call #" in r.verdict.reason and "'xyzzy'" in r.verdict.reason, r
    assert r.checked["literal"] >= 1


def test_unannotated_functions_skip_crosshair_quickly(run):
    start = time.monotonic()
    r = _search(run, "half", "def half(n):\n    return n >> 1\n")
    assert r.verdict.ok
    assert "CrossHair could not analyse pkg.num.half: no type annotations on n" in r.notes
    assert r.seconds["crosshair"] < 0.5 and time.monotonic() - start < 10


@pytest.mark.slow     # litellm's import, when it comes first
def test_model_suggested_inputs_catch_a_wrong_candidate(run, fake_openai):
    # int(n / 2) rounds toward zero: only odd negatives tell it from n // 2; no new literal shows it
    server = fake_openai(["Try these:\n```python\n(7,)\n(-3,)\nhalf(5)\n(import os)\n```\n"])
    p = LLMProposer("openai/fake-model", api_base=server.base_url, api_key="sk-test", timeout=10, retry_delay=0.0)
    r = _search(run, "half", "def half(n):\n    return int(n / 2)\n", suggest=p.suggest_inputs)
    assert not r.verdict.ok and "model call #1 (-3)" in r.verdict.reason, r.verdict.reason
    assert r.checked == {"model": 2}
    assert any("2 of the model's suggested inputs" in n for n in r.notes), r.notes
    assert p.usage.calls == 1 and len(server.requests) == 1
    prompt = server.requests[0]["messages"][-1]["content"]
    assert "int(n / 2)" in prompt and "-    return n // 2" in prompt and "+    return int(n / 2)" in prompt


def test_model_inputs_are_budgeted_cached_and_replayed(run, fake_openai, tmp_path):
    from optimizer.propose.budget import Budget
    from optimizer.propose.store import ResponseCache

    server = fake_openai(["```\n(-3,)\n```"])
    ws, _, baselines, index = run
    t = resolve(index, "half")
    cand = "def half(n):\n    return int(n / 2)\n"
    transcript = Transcript(tmp_path / "t.json")
    cache = ResponseCache(tmp_path / "cache")
    p = LLMProposer("openai/fake-model", api_base=server.base_url, api_key="sk-test", timeout=10, retry_delay=0.0,
                    cache=cache, record=transcript)
    assert p.suggest_inputs(t, t.source, cand, "diff") == ["(-3,)"]
    again = LLMProposer("openai/fake-model", api_base=server.base_url, api_key="sk-test", cache=cache)
    assert again.suggest_inputs(t, t.source, cand, "diff") == ["(-3,)"]
    assert len(server.requests) == 1 and (again.usage.calls, again.usage.cached) == (0, 1)
    spent = LLMProposer("openai/fake-model", api_base=server.base_url, api_key="sk-test",
                        budget=Budget(max_calls=0))
    assert spent.suggest_inputs(t, t.source, cand, "diff") == [] and len(server.requests) == 1
    replay = ReplayProposer(Transcript.load(tmp_path / "t.json"))
    assert replay.suggest_inputs(t, t.source, cand, "diff") == ["(-3,)"] and replay.usage.cached == 1
    assert replay.suggest_inputs(t, t.source, "def half(n):\n    return 0\n", "diff") == []
    assert transcript.entries[0]["step"] == inputs_step(cand)


FORGER = """def clamp(x: int) -> int:
    import os
    bomb = "cos\\nsystem\\n(S'touch {marker}'\\ntR."
    with open(os.path.join(os.getcwd(), ".home", "crosshair-out.json"), "w") as fh:
        fh.write({payload})
    os._exit(0)
"""
PICKLE_BOMB = "bomb"                                       # a pickle where JSON is expected
FORGED_JSON = '__import__("json").dumps({"seal": "0" * 32, "status": "ok", "calls": [bomb]})'


@pytest.mark.parametrize("payload", [PICKLE_BOMB, FORGED_JSON])
def test_a_forged_crosshair_result_unpickles_nothing(run, tmp_path, monkeypatch, payload):
    marker = tmp_path / "pwned"
    source = FORGER.format(marker=marker, payload=payload)
    compile(source, "forger", "exec")

    def refuse(*a, **k):
        raise AssertionError("the host unpickled something")
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    r = _search(run, "clamp", source)
    monkeypatch.undo()
    assert not marker.exists()
    if payload == FORGED_JSON:
        assert not r.verdict.ok and r.verdict.stage == "integrity" and "forged" in r.verdict.reason, r
    else:
        assert r.verdict.ok and any("ended without a result" in n for n in r.notes), r.notes


def test_the_recording_step_rebuilds_calls_with_literal_eval_only(run, tmp_path):
    ws, sandbox, baselines, index = run
    marker = tmp_path / "pwned"
    bomb = f"cos\nsystem\n(S'touch {marker}'\ntR."
    calls = [("crosshair", bomb), ("crosshair", "__import__('os').system('touch %s')" % marker),
             ("crosshair", "((6001,), {})")]
    b = baselines["pkg.num.clamp"]
    scratch = ws.scratch("forged")
    searched, info, why = _record(sandbox, ws.base, scratch, b, calls, [], Deadline(10))
    assert searched is not None, why
    assert info["unparsed"] == 2 and info["origins"] == ["crosshair"] and not marker.exists()


def test_parse_suggestions_and_literals():
    calls, skipped = parse_suggestions(["(1, 'a')", "5", "# note", "f(1)", "(x,)", "([1, 2], {'k': None})"])
    assert calls == ["((1, 'a'), {})", "((5,), {})", "(([1, 2], {'k': None}), {})"] and skipped == 2
    assert answer_lines("no block\n(1,)") == ["no block", "(1,)"]
    orig = 'def f(s):\n    """Doc."""\n    return s == "a" or len(s) > 3\n'
    cand = 'def f(s):\n    """Other doc."""\n    if s == "xyzzy":\n        return 2.5\n    return s == "a" or len(s) > 3\n'
    assert new_literals(orig, cand) == ["2.5", "'xyzzy'"]


def test_no_budget_no_search(run):
    r = _search(run, "clamp", WRONG_CLAMP, budget=0)
    assert r.verdict.ok and r.checked == {} and r.seconds == {}


def test_the_budget_bounds_a_search_that_finds_nothing(run):
    # Equal on every input, with a loop CrossHair can unroll for ever: it runs to its deadline.
    slow = ("def clamp(x: int) -> int:\n    n = 0\n    while n < x and n < 5000:\n        n += 1\n"
            "    return n if x >= 0 else 0\n")
    start = time.monotonic()
    r = _search(run, "clamp", slow, budget=6.0)
    took = time.monotonic() - start
    assert r.verdict.ok, r.verdict.reason
    assert took < 6.0 + 20, took          # the budget, plus recording and checking at their floors
    assert json.dumps(r.seconds)


@pytest.mark.slow
def test_a_candidate_that_hangs_under_crosshair_is_stopped(run):
    # A C loop no tracer or alarm interrupts: CrossHair is stopped at its share of the budget;
    # the replay of the literal calls (10, 12) then hangs too, and is stopped by its own timeout.
    hangs = "def clamp(x: int) -> int:\n    sum(range(10 ** 12))\n    return x\n"
    start = time.monotonic()
    r = _search(run, "clamp", hangs, budget=6.0)
    assert time.monotonic() - start < 6.0 + 45
    assert r.seconds["crosshair"] < 6.0 + 5
    assert any("CrossHair on pkg.num.clamp timed out" in n for n in r.notes), r.notes
    assert not r.verdict.ok and "timed out" in r.verdict.reason
