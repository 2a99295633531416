"""The engine driven from Python (optimizer.session): test doubles for the proposer, the
judge, the keeper and the events, over a real repository and real capture."""
from dataclasses import replace

import pytest

from doubles import ListKeeper, QueueProposer, RecordingEvents
from optimizer import Session
from optimizer.errors import AmbiguousTarget, TargetNotFound, TargetNotImportable
from optimizer.model import Candidate, Measurement, Outcome
from optimizer.settings import RunSettings
from repos import SLOW_REPO, make_repo
from test_loop import ALSO_FAST, FAST, WRONG


class ScriptedJudge:
    """Judges by a table: source -> (status, speedup, interval); counts its calls.
    confirm() refuses the sources in `refuse` (as the instruction count's second opinion does)."""

    def __init__(self, table, refuse=()):
        self.table, self.judged, self.confirmed, self.refuse = table, [], [], refuse

    def judge(self, candidate):
        self.judged.append(candidate.origin)
        status, speedup, ci = self.table[candidate.source]
        m = Measurement(speedup, ci, 1.0, 1 / speedup, 10) if speedup else None
        return Outcome(candidate, status, f"scripted {status}", m)

    def confirm(self, outcome):
        self.confirmed.append(outcome.candidate.origin)
        if outcome.candidate.source in self.refuse:
            return replace(outcome, status="rejected", reason="scripted refusal", stage="second opinion")
        return replace(outcome, reason=f"{outcome.reason}; confirmed")


class RoundsProposer(QueueProposer):
    """A model double: round 1 answers the queue; a refine request gets `refined`."""

    iterative = True

    def __init__(self, sources, refined):
        super().__init__(sources)
        self.refined, self.requests = refined, []

    def propose(self, target, context, k):
        self.requests.append(context.step)
        if context.mode == "refine":
            return [Candidate(target, "queue#refined", self.refined, step=context.step)]
        return super().propose(target, context, k) if context.mode == "optimize" else []


@pytest.fixture
def settings(tmp_path):
    files = {**SLOW_REPO, "pkg/broken.py": "raise RuntimeError('boom at import')\n\n\ndef f(x):\n    return x\n",
             "pkg/other.py": "def total(x):\n    return x\n",
             "tests/test_other.py": "from pkg.other import total\n\n\ndef test_total():\n    assert total(3) == 3\n"}
    repo = make_repo(tmp_path / "r", files)
    return RunSettings(repo=repo, out_dir=tmp_path / "out", search_seconds=0, candidates=3, model_rounds=2)


def test_locate_by_name_and_its_errors(settings):
    with Session(settings) as session:
        [target] = session.locate("unique_ordered")
        assert target.name == "pkg.core.unique_ordered"
        with pytest.raises(TargetNotFound, match="did you mean"):
            session.locate("uniq_ordered")
        with pytest.raises(AmbiguousTarget, match="pkg/core.py::total, pkg/other.py::total"):
            session.locate("total")
        with pytest.raises(TargetNotImportable, match="pkg.broken .*does not import: RuntimeError: boom at import"):
            session.locate("pkg.broken.f")


def test_a_whole_optimization_with_doubles(settings):
    """Rounds, the pure winner choice, events after decisions, and the keeper: the judge
    is scripted, so no timing decides anything here."""
    events, keeper = RecordingEvents(), ListKeeper()
    refined = "def unique_ordered(items):\n    return [*dict.fromkeys(items)]\n"
    judge = ScriptedJudge({WRONG: ("rejected", None, None), FAST: ("passed", 3.0, (2.8, 3.2)),
                           ALSO_FAST: ("passed", 3.1, (2.9, 3.3)), refined: ("passed", 6.0, (5.8, 6.2))})
    proposer = RoundsProposer([WRONG, FAST, ALSO_FAST], refined)
    with Session(settings, events=events) as session:
        [target] = session.locate("unique_ordered")
        session.capture([target])
        assert session.baselines[target.name].n_calls > 0
        result = session.optimize(target, [proposer], judge=judge)
        kept = session.keep(result, keeper)

    assert proposer.requests == ["r1/optimize", "r2/refine"]          # round 1 is a request like the others
    assert judge.judged == ["queue#0", "queue#1", "queue#2", "queue#refined"]
    assert result.winner.candidate.origin == "queue#refined" and result.winner.status == "kept"
    assert result.new_text.count("dict.fromkeys") == 1 and "[*dict.fromkeys(items)]" in result.new_text
    assert [o.status for o in result.outcomes] == ["rejected", "rejected", "rejected", "kept"]
    assert result.outcomes[1].reason.endswith("but queue#refined was faster")
    with pytest.raises(AttributeError):
        result.winner.status = "rejected"                               # results are immutable
    assert keeper.kept == [result] and kept.candidate.origin == "queue#refined"
    # events: judgements as made ("passed", never "kept"), the result once decided
    judged = [v.status for k, v in events.events if k == "judged"]
    assert judged == ["rejected", "passed", "passed", "passed"]
    assert [k for k, _ in events.events].count("target_done") == 1 and events.events[-1] == ("target_done", result)
    assert judge.confirmed == ["queue#refined"] and result.winner.reason.endswith("; confirmed")


def test_a_winner_its_confirmation_refuses_gives_way_to_the_next_best(settings):
    """Only the chosen winner is confirmed (the costly second opinion); one refused is
    rejected with the confirmation's reason and the next best is confirmed in turn."""
    events = RecordingEvents()
    judge = ScriptedJudge({FAST: ("passed", 3.0, (2.8, 3.2)), ALSO_FAST: ("passed", 9.0, (8.8, 9.2))},
                          refuse=(ALSO_FAST,))
    with Session(settings, events=events) as session:
        [target] = session.locate("unique_ordered")
        result = session.optimize(target, [QueueProposer([FAST, ALSO_FAST])], judge=judge)
    assert judge.confirmed == ["queue#1", "queue#0"]
    assert [(o.status, o.stage) for o in result.outcomes] == [("kept", ""), ("rejected", "second opinion")]
    assert result.outcomes[1].reason == "scripted refusal"
    assert [v.status for k, v in events.events if k == "judged"] == ["passed", "passed", "rejected"]
    stages = [v for k, v in events.events if k == "stage"]
    assert [v for v in stages if v.startswith("confirming")] == [
        "confirming queue#1 (r1/optimize), the best for unique_ordered",
        "confirming queue#0 (r1/optimize), the best for unique_ordered"]

    # With the count turned off nothing says "confirming" (the judge's confirm stands aside itself)
    events = RecordingEvents()
    with Session(replace(settings, second_opinion=False), events=events) as session:
        [target] = session.locate("unique_ordered")
        session.optimize(target, [QueueProposer([FAST])], judge=ScriptedJudge({FAST: ("passed", 3.0, (2.8, 3.2))}))
    assert not any(v.startswith("confirming") for k, v in events.events if k == "stage")


def test_no_candidate_skips_the_target_without_calibrating(settings):
    events = RecordingEvents()
    with Session(settings, events=events) as session:
        [target] = session.locate("unique_ordered")
        result = session.optimize(target, [QueueProposer([])])
    assert result.skipped and result.winner is None and result.outcomes == ()
    assert not any("noise" in v for k, v in events.events if k == "stage")


def test_ctrl_c_returns_what_was_judged_and_the_winner_is_kept(settings):
    """An interrupt while judging the second candidate: the first, passed, still wins."""
    class InterruptingJudge(ScriptedJudge):
        def judge(self, candidate):
            if self.judged:
                raise KeyboardInterrupt
            return super().judge(candidate)

    keeper = ListKeeper()
    judge = InterruptingJudge({FAST: ("passed", 3.0, (2.8, 3.2))})
    with Session(settings) as session:
        [target] = session.locate("unique_ordered")
        result = session.optimize(target, [QueueProposer([FAST, ALSO_FAST])], judge=judge)
        session.keep(result, keeper)
    assert result.interrupted and [o.status for o in result.outcomes] == ["kept"]
    assert keeper.kept == [result] and "interrupted" in result.notes[-1]


def test_ctrl_c_while_confirming_keeps_nothing_for_the_target(settings):
    """The winner was judged but not confirmed: it is not kept, and the result says why."""
    class InterruptedConfirmation(ScriptedJudge):
        def confirm(self, outcome):
            raise KeyboardInterrupt

    judge = InterruptedConfirmation({FAST: ("passed", 3.0, (2.8, 3.2))})
    with Session(settings) as session:
        [target] = session.locate("unique_ordered")
        result = session.optimize(target, [QueueProposer([FAST])], judge=judge)
    assert result.interrupted and result.winner is None and [o.status for o in result.outcomes] == ["undecided"]
    assert result.outcomes[0].reason == "scripted passed; not confirmed: interrupted"
    assert result.notes[-1] == "pkg.core.unique_ordered: interrupted while confirming queue#0; nothing kept"


def test_more_targets_can_be_captured_later(settings):
    with Session(settings) as session:
        [first] = session.locate("unique_ordered")
        [second] = session.locate("pkg.other:total")
        session.capture([first])
        session.capture([first, second])   # only the new one is captured; the first is kept
        assert session.baselines[first.name].n_calls > 1 and session.baselines[second.name].n_calls == 1


def test_run_sums_what_the_proposers_spent_and_records_the_run(settings):
    from dataclasses import replace as with_

    from optimizer.model import LLMUsage
    from optimizer.run import run

    spender = QueueProposer([])
    spender.usage = LLMUsage(calls=2, prompt_tokens=300, completion_tokens=40, cost_usd=0.01, cached=1)
    with Session(with_(settings, target="unique_ordered")) as session:
        report = run(session, [spender], model="fake/model")
    assert report.status == "completed" and report.llm.calls == 2 and report.llm.cached == 1
    assert report.model == "fake/model" and report.meta["settings"]["target"] == "unique_ordered"
    assert any(n.startswith("skipped pkg.core.unique_ordered: no candidate") for n in report.notes), report.notes


@pytest.mark.slow
def test_a_whole_optimization_with_the_real_judge(settings):
    """The same from Python with the real judge: verification and paired timing decide."""
    from dataclasses import replace as with_

    keeper, events = ListKeeper(), RecordingEvents()
    with Session(with_(settings, search_seconds=5), events=events) as session:
        [target] = session.locate("unique_ordered")
        result = session.optimize(target, [QueueProposer([WRONG, FAST])])
        kept = session.keep(result, keeper)
    wrong, fast = result.outcomes
    assert wrong.status == "rejected" and wrong.stage in ("tests", "equivalence")
    assert fast.status == "kept" and fast.measurement.ci[0] > 2 and "verified: " in fast.reason
    assert result.calibration is not None and kept.candidate is fast.candidate
    assert [v.status for k, v in events.events if k == "judged"] == ["rejected", "passed"]


@pytest.mark.slow   # real capture, replay or profile
def test_the_benchmark_script_itself_is_never_a_target(tmp_path):
    """Found on real libraries: a bench.py whose own helpers (making the data) took time
    was credited in the profile and its functions chosen as targets, then skipped as
    "not called" (the script runs as __main__). The --bench script is the measuring stick."""
    files = {**SLOW_REPO, "bench.py": (
        "import random\n\nfrom pkg.core import unique_ordered\n\n\n"
        "def make_data(n):\n    rng = random.Random(1)\n    return [rng.random() for _ in range(n)]\n\n\n"
        "def main():\n    for _ in range(3):\n        make_data(300_000)\n"
        "    unique_ordered([i % 1500 for i in range(6000)])\n\n\nmain()\n")}
    repo = make_repo(tmp_path / "r", files)
    settings = RunSettings(repo=repo, out_dir=tmp_path / "out", bench="python bench.py")
    with Session(settings) as session:
        assert session._bench_scripts() == {"bench.py"}
        targets = session.locate_hotspots(5)
    assert [t.name for t in targets] == ["pkg.core.unique_ordered"]
    assert all(h.file != "bench.py" for h in session.hotspots)
