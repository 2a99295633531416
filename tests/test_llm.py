"""LLMProposer over real litellm and real HTTP, against the fake OpenAI server."""
from __future__ import annotations

import subprocess
import sys

import pytest

from fake_openai import closed_port
from optimizer.errors import ProviderAuthError, UnknownModel
from optimizer.model import Target
from optimizer.propose.base import ProposalContext
from optimizer.propose.budget import Budget
from optimizer.propose.llm import LLMProposer, ReplayProposer, check_credentials, resolve_model
from optimizer.propose.store import ResponseCache, Transcript

SOURCE = "def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n"
GOOD = "Use the builtin.\n```python\nimport operator\n\ndef total(xs):\n    return sum(xs)\n```\n"
GOOD2 = "```python\ndef total(xs):\n    # C loop\n    return sum(xs, 0)\n```"


pytestmark = pytest.mark.usefixtures("no_real_keys")


def target() -> Target:
    return Target(file="pkg/mod.py", module="pkg.mod", qualname="total", start_line=3, end_line=7,
                  start_byte=20, end_byte=20 + len(SOURCE), source=SOURCE, indent="",
                  imports=("import math",), callees=("helper",))


def context(**kw) -> ProposalContext:
    kw.setdefault("callee_sources", {"helper": "def helper(x):\n    return x * 2\n"})
    return ProposalContext(module_source="import math\n\n" + SOURCE, share=0.42, **kw)


def proposer(server, **kw) -> LLMProposer:
    kw.setdefault("retry_delay", 0.0)   # retries stay, the sleeping goes
    return LLMProposer("openai/fake-model", api_base=server.base_url, api_key="sk-test", timeout=10, **kw)


def test_k_candidates_and_usage(fake_openai):
    server = fake_openai([{"content": GOOD, "prompt_tokens": 120, "completion_tokens": 30},
                          {"content": GOOD2, "prompt_tokens": 121, "completion_tokens": 31},
                          {"content": GOOD, "prompt_tokens": 122, "completion_tokens": 32}])
    p = proposer(server)
    candidates = p.propose(target(), context(), k=3)

    assert len(candidates) == 3 and len(server.requests) == 3
    assert all(c.error == "" and c.origin == "openai/fake-model" for c in candidates)
    assert {c.source for c in candidates} == {
        "def total(xs):\n    return sum(xs)\n",
        "def total(xs):\n    # C loop\n    return sum(xs, 0)\n",
    }
    by_source = {c.source: c for c in candidates}
    assert by_source["def total(xs):\n    return sum(xs)\n"].imports == ("import operator",)
    assert by_source["def total(xs):\n    return sum(xs)\n"].note == "Use the builtin."
    assert (p.usage.prompt_tokens, p.usage.completion_tokens) == server.usage_totals == (363, 93)
    assert p.usage.calls == 3
    assert p.usage.cost_usd == 0.0      # fake-model has no price: counted as free, not an error


def test_requests_carry_the_prompts(fake_openai):
    server = fake_openai([GOOD])
    examples = [{"title": "sum builtin", "slow": "def a(x):\n    pass\n", "fast": "def a(x):\n    return 1\n",
                 "source": "bundled"}]
    ctx = context(annotated_source=" 80.0% |     s += x", libraries=["numpy 2.1.0"], budget="3 of 4 model calls left",
                  patterns=[{"id": "join-string-concat", "description": "Join, do not concatenate."}],
                  examples=examples)
    proposer(server, temperature=0.3).propose(target(), ctx, k=1)

    body = server.requests[0]
    assert body["model"] == "fake-model" and body["temperature"] == 0.3
    system, user = body["messages"]
    assert system["role"] == "system" and "performance" in system["content"]
    assert user["role"] == "user"
    for needle in ("pkg.mod.total", " 80.0% |     s += x", "import math", "def helper(x):", "42.0%",
                   "Python 3.", "numpy 2.1.0", "3 of 4 model calls left", "join-string-concat", "sum builtin",
                   "return 1"):
        assert needle in user["content"], needle


def test_repair_and_refine_prompts(fake_openai):
    server = fake_openai([GOOD])
    p = proposer(server)
    p.propose(target(), context(mode="repair", step="r2/repair-1", previous="def total(xs):\n    return 0\n",
                                feedback="returns a different value on captured call #0"), k=1)
    p.propose(target(), context(mode="refine", step="r2/refine", previous="def total(xs):\n    return sum(xs)\n",
                                feedback="2.00x faster than the original [1.90, 2.10]"), k=1)
    repair, refine = (r["messages"][-1]["content"] for r in server.requests)
    assert "was rejected" in repair and "return 0" in repair and "captured call #0" in repair
    assert SOURCE.strip() in repair                      # the original, to keep behaviour against
    assert "Make it faster still" in refine and "2.00x faster" in refine and "return sum(xs)" in refine


def test_cached_answers_cost_nothing_and_reproduce(fake_openai, tmp_path):
    server = fake_openai([GOOD, GOOD2])
    cache = ResponseCache(tmp_path / "cache")
    first = proposer(server, cache=cache).propose(target(), context(), k=2)
    again = proposer(server, cache=cache)
    second = again.propose(target(), context(), k=2)
    assert len(server.requests) == 2                      # the rerun sent nothing
    assert sorted(c.source for c in first) == sorted(c.source for c in second)
    assert (again.usage.calls, again.usage.cached, again.usage.prompt_tokens) == (0, 2, 0)
    fresh = proposer(server, cache=ResponseCache(tmp_path / "cache", read=False))
    fresh.propose(target(), context(), k=2)               # --no-cache
    assert len(server.requests) == 4 and fresh.usage.calls == 2


def test_budget_caps_calls(fake_openai):
    server = fake_openai([GOOD])
    budget = Budget(max_calls=3)
    p = proposer(server, budget=budget)
    assert len(p.propose(target(), context(), k=5)) == 3 and len(server.requests) == 3
    assert p.propose(target(), context(), k=2) == [] and len(server.requests) == 3
    assert budget.spent.calls == p.usage.calls == 3


def test_cost_comes_from_litellms_price_map(fake_openai):
    """Tokens and cost as litellm prices them (offline map): what the report shows is what was sent."""
    import litellm

    server = fake_openai([{"content": GOOD, "prompt_tokens": 1000, "completion_tokens": 500}])
    p = LLMProposer("openai/gpt-4o-mini", api_base=server.base_url, api_key="sk-test", timeout=10, retry_delay=0)
    p.propose(target(), context(), k=2)
    price = litellm.model_cost["gpt-4o-mini"]
    expected = 2 * (1000 * price["input_cost_per_token"] + 500 * price["output_cost_per_token"])
    assert p.usage.calls == 2 and p.usage.cost_usd == pytest.approx(expected) and expected > 0
    assert (p.usage.prompt_tokens, p.usage.completion_tokens) == server.usage_totals


def test_record_then_replay_without_a_provider(fake_openai, tmp_path):
    server = fake_openai([GOOD, GOOD2])
    record = Transcript(tmp_path / "t.json", model="openai/fake-model")
    recorded = proposer(server, record=record).propose(target(), context(), k=2)
    server.stop()
    replay = ReplayProposer(Transcript.load(tmp_path / "t.json"))
    replayed = replay.propose(target(), context(), k=3)      # the third was never recorded
    assert sorted(c.source for c in replayed) == sorted(c.source for c in recorded)
    assert len(replayed) == 2 and replay.usage.calls == 0 and replay.name == "openai/fake-model"
    assert replay.propose(target(), context(step="r2/refine", mode="refine"), k=1) == []


def test_method_source_is_dedented_in_the_prompt(fake_openai):
    server = fake_openai([GOOD])
    method = "def total(self, xs):\n        return sum(xs)\n"   # as sliced from the def column
    t = Target(file="m.py", module="m", qualname="Bag.total", start_line=2, end_line=3, start_byte=0,
               end_byte=len(method), source=method, indent="    ", class_name="Bag")
    proposer(server).propose(t, ProposalContext(module_source=""), k=1)
    assert "```python\ndef total(self, xs):\n    return sum(xs)\n```" in server.requests[0]["messages"][1]["content"]


def test_junk_answer_becomes_an_error_candidate(fake_openai):
    server = fake_openai(["I think this function is already fast enough."])
    [c] = proposer(server).propose(target(), context(), k=1)
    assert c.source == "" and c.error == "unusable answer: no code block"
    assert proposer(server).propose(target(), context(), k=0) == []


@pytest.mark.parametrize("entry", [
    {"status": 401},                                           # OpenAI's wording -> AuthenticationError
    {"status": 401, "message": "token expired"},               # litellm maps this one to BadRequestError
    {"status": 403, "message": "no access to this model"},
])
def test_rejected_credentials_are_an_auth_error(fake_openai, entry):
    server = fake_openai([entry])
    with pytest.raises(ProviderAuthError, match=r"^model provider rejected the credentials for openai/fake-model: ") as info:
        proposer(server).propose(target(), context(), k=3)
    assert "\n" not in str(info.value)
    assert len(server.requests) <= 3       # no retries of a 401


def test_unknown_model_is_an_unknown_model_error(fake_openai):
    server = fake_openai([{"status": 404}])
    with pytest.raises(UnknownModel, match="does not know openai/fake-model"):
        proposer(server).propose(target(), context(), k=1)


def test_missing_key_and_missing_provider_are_auth_and_unknown_model_errors(fake_openai):
    server = fake_openai([GOOD])
    with pytest.raises(ProviderAuthError, match="credentials"):   # no key, no server: fails before any request
        LLMProposer("openai/gpt-4.1").propose(target(), context(), k=1)
    with pytest.raises(ProviderAuthError, match="needs OPENAI_API_KEY"):
        check_credentials("openai/gpt-4.1", None, {})
    with pytest.raises(UnknownModel, match="does not know no-such-model"):
        LLMProposer("no-such-model").propose(target(), context(), k=1)
    assert server.requests == []
    # An OpenAI-compatible server of one's own needs no key.
    check_credentials("openai/gpt-4.1", server.base_url, {})
    [c] = LLMProposer("openai/gpt-4.1", api_base=server.base_url).propose(target(), context(), k=1)
    assert c.error == "" and len(server.requests) == 1


def test_server_errors_are_retried_then_become_error_candidates(fake_openai):
    server = fake_openai([{"status": 500}])
    [c] = proposer(server, num_retries=2).propose(target(), context(), k=1)
    assert c.source == "" and c.error.startswith("model call failed: ")
    assert len(server.requests) == 3
    assert server.usage_totals == (0, 0)


def test_a_rate_limit_then_success(fake_openai):
    server = fake_openai([{"status": 429}, GOOD])
    p = proposer(server)
    [c] = p.propose(target(), context(), k=1)
    assert c.error == "" and len(server.requests) == 2 and p.usage.calls == 1


def test_litellm_is_imported_lazily():
    code = "import sys, optimizer.propose.llm; assert 'litellm' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_resolve_model_precedence():
    cfg = {"model": "anthropic/claude-opus-4", "api_base": "http://proxy:4000"}
    keys = {"OPENAI_API_KEY": "sk-x", "ANTHROPIC_API_KEY": "sk-ant-x"}
    assert resolve_model("openai/o3", cfg, keys) == ("openai/o3", "http://proxy:4000")
    assert resolve_model(None, cfg, keys) == ("anthropic/claude-opus-4", "http://proxy:4000")
    assert resolve_model(None, {"tool": {"optimize": cfg}}, {}) == ("anthropic/claude-opus-4", "http://proxy:4000")
    assert resolve_model(None, {}, keys) == ("openai/gpt-4.1", None)
    assert resolve_model(None, {}, {"ANTHROPIC_API_KEY": "sk-ant-x"}) == ("anthropic/claude-sonnet-4-5", None)
    assert resolve_model(None, {}, {"OPENAI_API_KEY": ""}) == (None, None)
    assert resolve_model("", {}, {}) == (None, None)


def test_a_diff_answer_is_applied_to_the_function(fake_openai):
    diff = ("Sum it in C:\n```diff\n@@ -1,5 +1,2 @@\n def total(xs):\n-    s = 0\n-    for x in xs:\n-        s += x\n"
            "-    return s\n+    return sum(xs)\n```")
    [c] = proposer(fake_openai([diff])).propose(target(), context(), k=1)
    assert c.error == "" and c.source == "def total(xs):\n    return sum(xs)\n"


def test_a_slow_provider_times_out_per_call(fake_openai):
    server = fake_openai([{"content": GOOD, "delay": 3}])
    p = LLMProposer("openai/fake-model", api_base=server.base_url, api_key="sk-test", timeout=1, num_retries=0)
    [c] = p.propose(target(), context(), k=1)
    assert c.error.startswith("model call failed") and "time" in c.error.lower()


def test_a_dead_provider_becomes_error_candidates_not_a_crash():
    p = LLMProposer("openai/fake-model", api_base=f"http://127.0.0.1:{closed_port()}/v1", api_key="sk-test", timeout=5,
                    num_retries=1, retry_delay=0.0)
    candidates = p.propose(target(), context(), k=2)
    assert len(candidates) == 2 and all(c.error.startswith("model call failed") for c in candidates)
    assert p.usage.calls == 0


def test_a_refinement_keeps_the_imports_of_the_version_it_edits(fake_openai):
    kept = "def total(xs):\n    return math.fsum(xs)\n"
    edit = "<<<<<<< SEARCH\n    return math.fsum(xs)\n=======\n    return fsum(xs)\n>>>>>>> REPLACE\n"
    ctx = context(mode="refine", step="r2/refine", previous=kept, previous_imports=("import math",),
                  feedback="1.50x faster")
    [c] = proposer(fake_openai([f"```python\nfrom math import fsum\n```\n{edit}"])).propose(target(), ctx, k=1)
    assert c.error == "" and c.source == "def total(xs):\n    return fsum(xs)\n"
    assert "import math" in c.imports
