"""Rounds, budget and the answer stores: pure decisions and files, no model."""
import json
import threading

from optimizer.model import Candidate, LLMUsage, Measurement, Outcome, Target
from optimizer.propose.budget import Budget
from optimizer.propose.store import ResponseCache, Transcript
from optimizer.rounds import EPSILON, next_requests, refine_feedback, repair_feedback, stop_reason

T = Target(file="m.py", module="m", qualname="f", start_line=1, end_line=2, start_byte=0, end_byte=10,
           source="def f(x):\n    return x\n", indent="")


def outcome(status, stage="", source="def f(x):\n    return x + 0\n", speedup=None, trace=""):
    m = Measurement(speedup=speedup, ci=(speedup * 0.9, speedup * 1.1), baseline_s=1.0, candidate_s=1 / speedup,
                    samples=6, workload="3 captured calls") if speedup else None
    return Outcome(Candidate(T, "model", source), status, "why", m, trace=trace, stage=stage)


def test_next_requests_repairs_behavioural_near_misses_and_refines_the_best():
    last = [outcome("rejected", "tests"), outcome("rejected", "capability"), outcome("rejected", "equivalence"),
            outcome("rejected", "parse", source=""), outcome("rejected", "equivalence")]
    best = outcome("kept", speedup=3.0)
    requests = next_requests(2, last, best, k=4)
    assert [(r.mode, r.step, r.k) for r in requests] == [
        ("repair", "r2/repair-1", 1), ("repair", "r2/repair-2", 1), ("refine", "r2/refine", 2)]
    assert requests[0].outcome is last[0] and requests[1].outcome is last[2] and requests[2].outcome is best
    assert next_requests(3, [outcome("rejected", "capability")], None, k=4) == []


def test_stop_reasons():
    assert stop_reason(2, 3, False, [1.0], None) == ""
    assert stop_reason(4, 3, False, [1.0, 2.0, 3.0], None) == "3 rounds done"
    assert stop_reason(2, 3, True, [2.0], None) == "the model budget is spent"
    # Amdahl: 2% of the workload, made 4x faster: 0.5% left
    assert stop_reason(2, 5, False, [4.0], 0.02).startswith("Amdahl")
    assert stop_reason(2, 5, False, [1.5], 0.02) == ""
    # no gain above epsilon over two rounds
    assert stop_reason(4, 9, False, [2.0, 2.0 * (1 + EPSILON / 2), 2.0 * (1 + EPSILON / 2)], None).startswith("no gain")
    assert stop_reason(4, 9, False, [2.0, 2.0, 2.5], None) == ""


def test_feedback_texts():
    miss = outcome("rejected", "equivalence", trace="block 2 departs")
    assert "why" in repair_feedback(miss) and "block 2 departs" in repair_feedback(miss)
    assert refine_feedback(outcome("kept", speedup=3.0)).startswith("3.00x faster than the original [2.70, 3.30]")


def test_budget_reserves_calls_and_stops_on_cost():
    budget = Budget(max_calls=3, max_cost=1.0)
    assert budget.describe() == "3 of 3 model calls and $1.00 of $1.00 left"
    assert budget.reserve() and budget.reserve() and budget.reserve()
    assert not budget.reserve() and budget.exhausted            # three in flight fill the call limit
    budget.settle(LLMUsage(calls=1, cost_usd=0.4))
    budget.settle(LLMUsage(calls=1, cost_usd=0.7))
    assert budget.exhausted and "$0.00 of $1.00" in budget.describe()
    assert not Budget().exhausted and Budget().describe() == ""


def test_budget_is_safe_under_threads():
    budget = Budget(max_calls=50)
    granted = []

    def grab():
        for _ in range(40):
            if budget.reserve():
                granted.append(1)

    threads = [threading.Thread(target=grab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 50


def test_response_cache_round_trip(tmp_path):
    cache = ResponseCache(tmp_path)
    key = ResponseCache.key("m", [{"role": "user", "content": "hi"}], 0)
    assert key != ResponseCache.key("m", [{"role": "user", "content": "hi"}], 1)
    assert cache.get(key) is None
    cache.put(key, {"answer": "A"})
    assert cache.get(key) == {"answer": "A"}
    assert ResponseCache(tmp_path, read=False).get(key) is None     # --no-cache
    (tmp_path / key[:2] / f"{key}.json").write_text("{broken")
    assert cache.get(key) is None


def test_transcript_records_and_loads(tmp_path):
    path = tmp_path / "t.json"
    rec = Transcript(path, model="openai/x")
    rec.add("m.f", "r1/optimize", 0, {"answer": "A0"})
    rec.add("m.f", "r1/optimize", 1, {"answer": "A1"})
    loaded = Transcript.load(path)
    assert loaded.model == "openai/x" and loaded.get("m.f", "r1/optimize", 1)["answer"] == "A1"
    assert loaded.get("m.f", "r2/refine", 0) is None
    (tmp_path / "bad.json").write_text(json.dumps({"no": "answers"}))
    for bad, why in ((tmp_path / "bad.json", "no 'answers'"), (tmp_path / "missing.json", "cannot read")):
        try:
            Transcript.load(bad)
        except ValueError as exc:
            assert why in str(exc)
        else:
            raise AssertionError("loaded a bad transcript")
