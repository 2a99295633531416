"""The loop with a deterministic proposer: fates, the best kept, and Ctrl-C keeping verified work."""
import pytest

from doubles import QueueProposer, run_repo
from optimizer.judge import CandidateJudge
from optimizer.measure.runner import MeasureSettings
from optimizer.settings import RunSettings as RunConfig
from repos import SLOW_REPO, make_repo, run_git

# Real runs of the engine (capture, calibration, paired timing) for what only they
# show; the same logic with doubles is in test_session.py and runs in the fast subset.
pytestmark = pytest.mark.slow

FAST = "def unique_ordered(items):\n    return list(dict.fromkeys(items))\n"
ALSO_FAST = "def unique_ordered(items):\n    seen = set()\n    return [x for x in items if not (x in seen or seen.add(x))]\n"
WRONG = "def unique_ordered(items):\n    return sorted(set(items))\n"
# Passes the repo's tests (none has an empty list) but not a generated empty call.
EMPTY_BUG = ("def unique_ordered(items):\n    out = [items[0]]\n    seen = {items[0]}\n    for item in items:\n"
             "        if item not in seen:\n            seen.add(item)\n            out.append(item)\n    return out\n")


def _run(tmp_path, sources, **overrides):
    """Without the winner's instruction count unless asked for (test_timed_outcomes tests it)."""
    repo = make_repo(tmp_path / "r", SLOW_REPO)
    config = RunConfig(repo=repo, out_dir=tmp_path / "out", target="unique_ordered", candidates=10,
                       measure=MeasureSettings(rounds=3), **{"second_opinion": False, **overrides})
    return repo, run_repo(config, [QueueProposer(sources)])


def test_fates_duplicates_and_the_best_kept(tmp_path):
    repo, report = _run(tmp_path, [WRONG, FAST, FAST.replace("items))", "items))  # same"), ALSO_FAST])
    fates = [(o.candidate.origin, o.status, o.reason) for o in report.outcomes]
    assert fates[0][1] == "rejected" and ("tests failed" in fates[0][2] or "outputs differ" in fates[0][2])
    assert fates[2] == ("queue#2", "rejected", "same code as queue#1")
    kept = [o for o in report.outcomes if o.status == "kept"]
    assert len(kept) == 1 and len(report.kept) == 1 and report.kept[0].candidate is kept[0].candidate
    loser = [o for o in report.outcomes if o.candidate.origin in ("queue#1", "queue#3") and o.status != "kept"]
    winner = kept[0].candidate.origin
    assert loser and f", but {winner} " in loser[0].reason   # faster, or as fast and simpler (choose.py)
    assert report.status == "completed"
    assert run_git(repo, "branch", "--list", "optimize/*").strip() == "optimize/unique_ordered"


def test_ctrl_c_mid_candidates_keeps_what_was_verified(tmp_path, monkeypatch):
    real = CandidateJudge.judge
    calls = []

    def judge_then_interrupt(self, candidate):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, candidate)

    monkeypatch.setattr(CandidateJudge, "judge", judge_then_interrupt)
    repo, report = _run(tmp_path, [FAST, ALSO_FAST])
    assert report.status == "interrupted"
    assert [k.candidate.origin for k in report.kept] == ["queue#0"]
    assert "dict.fromkeys" in run_git(repo, "show", "optimize/unique_ordered:pkg/core.py")


@pytest.mark.parametrize("min_speedup", [1000.0])
def test_threshold_rejects_real_but_small_gains(tmp_path, min_speedup):
    _, report = _run(tmp_path, [FAST], min_speedup=min_speedup)
    assert report.kept == []
    assert report.outcomes[0].reason.startswith("faster, but not surely by --min-speedup 1000.0x: ")


def test_a_behaviour_difference_comes_with_a_block_trace(tmp_path):
    _, report = _run(tmp_path, [EMPTY_BUG])
    [outcome] = report.outcomes
    assert outcome.status == "rejected"
    assert outcome.reason.startswith("raises where the original returns on generated call #")
    assert "IndexError" in outcome.reason
    assert "first departure" in outcome.trace and "line" in outcome.trace
    assert outcome.to_json()["trace"] == outcome.trace


def test_bench_confirms_end_to_end_and_peak_memory_is_reported(tmp_path):
    bench = "from pkg.core import unique_ordered\nfor _ in range(5):\n    unique_ordered([i % 500 for i in range(3000)])\n"
    repo = make_repo(tmp_path / "r", {**SLOW_REPO, "bench.py": bench})
    config = RunConfig(repo=repo, out_dir=tmp_path / "out", target="unique_ordered", bench="python bench.py",
                       bench_rounds=3, measure=MeasureSettings(rounds=3), second_opinion=False)
    report = run_repo(config, [QueueProposer([FAST])])
    [outcome] = report.outcomes
    assert outcome.status == "kept" and "; end to end " in outcome.reason, outcome.reason
    data = outcome.to_json()["measurement"]
    assert data["bench"]["speedup"] > 1 and data["peak_memory_bytes"]["original"] > 0
    assert report.to_json()["calibration"]["pkg.core.unique_ordered"]["samples"] >= 3


def test_a_pattern_that_fails_verification_is_reported_as_a_bug(tmp_path, monkeypatch):
    from optimizer.propose import patterns
    from optimizer.propose.patterns import Pattern, PatternProposer

    buggy = Pattern("reverse-by-mistake", "Inserts at the front.",
                    lambda src: (src.replace("out.append(item)", "out.insert(0, item)"), ()))
    monkeypatch.setattr(patterns, "CATALOG", [buggy])
    repo = make_repo(tmp_path / "r", SLOW_REPO)
    config = RunConfig(repo=repo, out_dir=tmp_path / "out", target="unique_ordered",
                       measure=MeasureSettings(rounds=3))
    report = run_repo(config, [PatternProposer()])
    [outcome] = report.outcomes
    assert outcome.status == "rejected" and report.kept == []
    assert any("pattern:reverse-by-mistake failed verification on pkg.core.unique_ordered, so it is a bug in the "
               "pattern's preconditions" in n for n in report.notes)
