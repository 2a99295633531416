"""Model rounds end to end through the real CLI and real litellm, against the fake
server: round 1 optimizes, round 2 repairs a near-miss (shown its reason and trace)
and refines the best kept version (shown its speedup and line profile); the cache
makes an identical rerun free; a recorded transcript replays the run with no
provider; --max-calls caps what is sent."""
import json

import pytest

from repos import SLOW_REPO, make_repo
from test_end_to_end import cli_env, optimize

pytestmark = pytest.mark.slow

FAST = "```python\ndef unique_ordered(items):\n    return list(dict.fromkeys(items))\n```"
# Passes the repo's tests (none has an empty list) but not a generated empty call: a near-miss.
NEAR_MISS = ("```python\ndef unique_ordered(items):\n    out = [items[0]]\n    seen = {items[0]}\n"
             "    for item in items:\n        if item not in seen:\n            seen.add(item)\n"
             "            out.append(item)\n    return out\n```")
REPAIRED = ("The empty list is fixed.\n```python\ndef unique_ordered(items):\n    seen = set()\n    out = []\n"
            "    for item in items:\n        if item not in seen:\n            seen.add(item)\n"
            "            out.append(item)\n    return out\n```")
REFINED = ("<<<<<<< SEARCH\n    return list(dict.fromkeys(items))\n=======\n    return [*dict.fromkeys(items)]\n"
           ">>>>>>> REPLACE")
ANSWERS = {"Optimize `pkg.core.unique_ordered`": [NEAR_MISS, FAST],
           "was rejected": [REPAIRED],
           "Make it faster still": [REFINED]}


def _asks_for_inputs(request) -> bool:
    return "meant to behave identically" in request["messages"][-1]["content"]


def run(tmp_path, name, *args, env=None):
    """Rounds, the cache and the transcript are under test here, not the winner's instruction
    count (test_timed_outcomes): without it, ~10 s less per run."""
    report = tmp_path / f"{name}.json"
    r = optimize(tmp_path / "r", "--target", "unique_ordered", "--candidates", "2", "--rounds", "3",
                 "--no-second-opinion", "--json", report, *args, env=env)
    assert r.returncode == 0, r.stderr + r.stdout
    return json.loads(report.read_text())


def test_rounds_cache_and_replay(tmp_path, fake_openai):
    make_repo(tmp_path / "r", SLOW_REPO)
    server = fake_openai(by_prompt=ANSWERS)
    model = ("--model", "openai/fake-model", "--api-base", server.base_url, "--model-rounds", "2")
    first = run(tmp_path, "first", *model, "--record", tmp_path / "t.json")

    model_made = [c for c in first["candidates"] if not c["origin"].startswith("pattern:")]
    assert sorted(c["step"] for c in model_made) == ["r1/optimize", "r1/optimize", "r2/refine", "r2/repair-1"]
    near_miss = next(c for c in model_made if c["step"] == "r1/optimize" and "generated call" in c["reason"])
    assert near_miss["status"] == "rejected"
    prompts = [r["messages"][-1]["content"] for r in server.requests]
    repair = next(p for p in prompts if "was rejected" in p)
    assert "out = [items[0]]" in repair and "generated call" in repair      # the attempt and why it failed
    refine = next(p for p in prompts if "Make it faster still" in p)
    assert "x faster than the original" in refine and "% |" in refine       # speedup and its line profile
    optimize_prompt = next(p for p in prompts if "Optimize `pkg.core.unique_ordered`" in p)
    assert "% |         if item not in seen:" in optimize_prompt and "Example 1" in optimize_prompt
    # 4 requests for code; the others ask, once per candidate that agreed on every recorded
    # call, for inputs that could tell it from the original (verify/search.py)
    code_requests = [r for r in server.requests if not _asks_for_inputs(r)]
    assert len(code_requests) == 4 and first["llm"]["calls"] == len(server.requests)
    assert (first["llm"]["prompt_tokens"], first["llm"]["completion_tokens"]) == server.usage_totals
    assert any("2 model round(s); stopped: 2 rounds done" in n for n in first["notes"])
    assert first["kept"]

    sent = len(server.requests)
    again = run(tmp_path, "again", *model)                    # identical rerun: the same questions cached
    asked = again["llm"]["calls"] + again["llm"]["cached"]
    # Only the refine request can miss (and the request for inputs telling its answer from the
    # original): it shows the best version so far, and when the model's dict.fromkeys and the
    # catalog's set are about as fast, which one is refined is the machine's call (choose.py).
    # The refined answer then applies or not, so the inputs request for it may come or go.
    refined = lambda report: next(c for c in report["candidates"] if c["step"] == "r2/refine")  # noqa: E731
    if again["llm"]["calls"]:
        missed = [r for r in server.requests[sent:] if not _asks_for_inputs(r)]
        assert len(missed) == 1 and "Make it faster still" in missed[0]["messages"][-1]["content"]
        assert again["llm"]["calls"] - len(missed) <= 1
        assert abs(asked - first["llm"]["calls"]) <= 1
    else:
        assert asked == first["llm"]["calls"] and refined(again)["source"] == refined(first)["source"]

    server.stop()
    replayed = run(tmp_path, "replayed", "--replay", tmp_path / "t.json", "--model-rounds", "2",
                   env=cli_env(OPTIMIZE_HOME=str(tmp_path / "elsewhere")))   # no cache to lean on
    assert replayed["model"] == "openai/fake-model" and replayed["llm"]["calls"] == 0
    # The same answers to the same requests (which of two fast ones wins is the machine's call).
    assert sorted((c["step"], c["origin"]) for c in replayed["candidates"]) == \
        sorted((c["step"], c["origin"]) for c in first["candidates"])
    assert replayed["kept"]


def test_max_calls_caps_what_is_sent(tmp_path, fake_openai):
    make_repo(tmp_path / "r", SLOW_REPO)
    server = fake_openai(by_prompt=ANSWERS)
    report = run(tmp_path, "capped", "--model", "openai/fake-model", "--api-base", server.base_url,
                 "--max-calls", "1", "--no-cache")
    assert len(server.requests) == report["llm"]["calls"] == 1
    assert any("stopped: the model budget is spent" in n for n in report["notes"])
