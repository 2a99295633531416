"""Judge one candidate: verify, then measure; and keep the standings of a target.

Status "kept" on an outcome here means: verified and significantly better than
the original. `Standings` then keeps the best of those per target and demotes
the others (and refuses candidates whose normalised AST was already judged).
"""
from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from sandboxes import Sandbox

from .measure.caching import memoizes
from .measure.decide import decide, second_opinion
from .measure.instructions import counter, measure_instructions
from .measure.runner import (MeasureError, MeasureSettings, TimedOutcomeMismatch, first_calls_note, measure,
                             measure_bench, peak_memory)
from .model import Candidate, Outcome, Target, Verdict
from .target import replace_definition
from .verify import Baseline, SearchBudget, TestRun, verify
from .verify.evidence import TESTS_ONLY, WEAK
from .verify.runs import python_env
from .verify.timeouts import bench_timeout
from .verify.trace import explain
from .workspace import Workspace

if TYPE_CHECKING:
    from .loop import RunConfig


class Standings:
    """Per target: which code was already judged, and the best kept (outcome, new file text)."""

    def __init__(self, target: Target):
        self.best: tuple[Outcome, str] | None = None
        self._seen = {Candidate(target, "original", textwrap.dedent(target.source)).key: "the original"}

    def duplicate_of(self, candidate: Candidate) -> str:
        """Who already had this code ('' if nobody): the same normalised AST is judged once."""
        if candidate.error:
            return ""
        earlier = self._seen.get(candidate.key)
        if earlier is None:
            self._seen[candidate.key] = candidate.origin
        return earlier or ""

    def record(self, outcome: Outcome, new_text: str) -> None:
        if outcome.status != "kept":
            return
        if self.best is None or outcome.measurement.speedup > self.best[0].measurement.speedup:
            if self.best is not None:
                _demote(self.best[0], outcome)
            self.best = (outcome, new_text)
        else:
            _demote(outcome, self.best[0])

    @property
    def best_speedup(self) -> float:
        return self.best[0].measurement.speedup if self.best else 1.0


def evaluate(config: "RunConfig", ws: Workspace, sandbox: Sandbox, candidate: Candidate, original: str,
             baseline: Baseline, suite: TestRun, settings: MeasureSettings,
             search: SearchBudget | None = None) -> tuple[Outcome, str]:
    """Verify, then measure. Status "kept" here means: verified and significantly better.
    search: the target's budget for looking for inputs where a candidate parts ways."""
    if candidate.error:
        return Outcome(candidate, "rejected", candidate.error), ""
    try:
        new_text = replace_definition(original, candidate.target, candidate.source, candidate.imports)
    except SyntaxError as exc:
        return Outcome(candidate, "rejected", f"syntax error on line {exc.lineno}: {exc.msg}"), ""
    workspace = ws.candidate_copy(candidate.target, new_text)
    try:
        verdict = verify(sandbox, workspace, new_text, baseline, suite, config.strictness, original,
                         config.check_capabilities, config.accept_unreached, search)
        if not verdict.ok:
            trace = explain(sandbox, ws.base, workspace, verdict.oracle or baseline, verdict.failing_call)
            return Outcome(candidate, "rejected", verdict.reason, trace=trace, stage=verdict.stage,
                           evidence=verdict.evidence), new_text
        try:
            if config.metric == "instructions":
                m = measure_instructions(sandbox, ws.base, workspace, baseline)
            else:
                # A cache the source shows goes straight to first calls; measure finds the others.
                m = measure(sandbox, ws.base, workspace, baseline, settings, cold=memoizes(candidate.source),
                            strictness=config.strictness)
            m.peak_bytes = peak_memory(sandbox, ws.base, workspace, baseline, settings, config.strictness)
            status, why = decide(m, config.objective, config.min_speedup, settings.noise)
            if status == "kept" and config.bench:   # confirm on the real workload what passed on the calls
                m.bench = measure_bench(sandbox, ws.base, workspace, config.bench,
                                        lambda w: python_env(w, [candidate.target]), rounds=config.bench_rounds,
                                        timeout=bench_timeout(baseline))
                status, why = decide(m, config.objective, config.min_speedup, settings.noise)
            if status == "kept" and config.metric == "time" and config.objective == "time":
                status, why = _second_opinion(config, sandbox, ws, workspace, baseline, m, why)
            cold = first_calls_note(m)
            why += f"; {cold}" if cold else ""
        except TimedOutcomeMismatch as exc:
            return Outcome(candidate, "rejected", f"its timed calls behaved differently from the replay: {exc}",
                           stage="timing", evidence=verdict.evidence), new_text
        except MeasureError as exc:
            return Outcome(candidate, "rejected", f"measurement failed: {exc}", evidence=verdict.evidence), new_text
        return Outcome(candidate, status, f"{why}; {evidence_words(verdict)}" if status == "kept" else why, m,
                       evidence=verdict.evidence, stage="second opinion" if "instruction count says" in why else ""), \
            new_text
    finally:
        ws.discard(workspace)


def _second_opinion(config: "RunConfig", sandbox: Sandbox, ws: Workspace, workspace, baseline: Baseline,
                    m, why: str) -> tuple[str, str]:
    """Where instructions can be counted here, a time speedup the instruction count does
    not back (decide.second_opinion) blocks the keep. Without a counter, or with the check
    turned off (--no-second-opinion), the time decision stands and the reason says so."""
    if not config.second_opinion:
        return "kept", why
    if counter() is None:
        return "kept", f"{why}; no instruction counter here for a second opinion"
    try:
        # Warm, as the timed samples are, unless the candidate was timed on first calls (a cache).
        count = measure_instructions(sandbox, ws.base, workspace, baseline, warm=not first_calls_note(m))
    except MeasureError as exc:
        return "kept", f"{why}; no second opinion: {exc}"
    m.instructions = count.speedup
    blocked = second_opinion(m.speedup, count.speedup, config.min_speedup)
    if blocked:
        return "rejected", f"{blocked} ({why})"
    return "kept", f"{why}; instructions {count.speedup:.2f}x agree"


def evidence_words(verdict: Verdict) -> str:
    """What a kept candidate was verified on. "verified" only at the strong level: a weak
    one says so and why; tests alone say that."""
    level = verdict.evidence.get("level")
    if level == WEAK:
        return (f"kept with weak evidence: {verdict.evidence.get('warning', '')} (accepted by --accept-unreached); "
                f"{verdict.reason}")
    if level == TESTS_ONLY:
        return f"checked by tests only: {verdict.reason}"
    return f"verified: {verdict.reason}"


def _demote(loser: Outcome, winner: Outcome) -> None:
    loser.status = "rejected"
    loser.reason = f"{loser.reason}, but {winner.candidate.origin} was faster"
