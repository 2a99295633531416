"""The judge of one target's candidates: verify, then measure; a judgement.

Status "passed" means verified and significantly better than the original;
choosing among the passed ones is choose.py's, after the fact, and the chosen one
then gets its second opinion (`confirm`): an instruction count, once per winner
rather than per passed candidate, since a count under valgrind costs some 20-50
times the calls plus seconds of start-up (4 counter runs of 1-4 s each on the case
study, against ~3 s for the whole timing; the original's 2 are reused). The
judge also refuses code whose normalised AST it already judged, and, where the
sandbox does not isolate files, a candidate that changed the original's timing
copy.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field, replace

from sandboxes import Sandbox

from .measure.caching import memoizes
from .measure.decide import decide, second_opinion
from .measure.instructions import counter, measure_instructions
from .measure.runner import (MeasureError, MeasureSettings, TimedOutcomeMismatch, first_calls_note, measure,
                             measure_bench, peak_memory)
from .model import Candidate, Measurement, Outcome, Verdict
from .target import replace_definition
from .verify import Baseline, SearchBudget, TestRun, verify
from .verify.evidence import TESTS_ONLY, WEAK
from .verify.runs import python_env
from .verify.timeouts import bench_timeout
from .verify.trace import explain
from .workspace import Workspace
from .settings import RunSettings


@dataclass
class CandidateJudge:
    """Judges one target's candidates against its captured baseline (the Judge protocol)."""

    config: RunSettings
    ws: Workspace
    sandbox: Sandbox
    baseline: Baseline
    suite: TestRun
    measure: MeasureSettings          # with the target's calibrated threshold and rounds
    search: SearchBudget | None = None   # the target's budget for inputs where candidates part ways
    _seen: dict = field(default_factory=dict)
    _guard: "OriginalGuard | None" = None
    _original_counts: dict = field(default_factory=dict)   # the original's instruction counts, reused

    def __post_init__(self):
        self.original = self.ws.original_text(self.baseline.target)
        self._seen[Candidate(self.baseline.target, "original", textwrap.dedent(self.baseline.target.source)).key] = \
            "the original"
        if not self.sandbox.isolates_files:
            self._guard = OriginalGuard(self.ws, self.baseline)

    def judge(self, candidate: Candidate) -> Outcome:
        earlier = self._duplicate_of(candidate)
        if earlier:
            return Outcome(candidate, "rejected", f"same code as {earlier}")
        return self._unless_tampered(candidate, self._verify_and_measure(candidate))

    def confirm(self, outcome: Outcome) -> Outcome:
        """The second opinion on the chosen winner. Where instructions can be counted
        here, a time speedup the count does not back (decide.second_opinion) is
        rejected; otherwise the outcome stands, its reason saying what backs it.
        Without a counter, or with the check turned off (--no-second-opinion), the
        time decision stands and the reason says so. With RunSettings.remeasure (the
        review's default), the winner is then timed once more (`_remeasured`)."""
        outcome = self._counted(outcome)
        if self.config.remeasure and outcome.status == "passed":
            outcome = self._remeasured(outcome)
        if outcome.status == "passed":
            outcome = self._banded(outcome)
        return self._unless_tampered(outcome.candidate, outcome)

    def _banded(self, outcome: Outcome) -> Outcome:
        """The winner's speedup on the smallest, the median and the largest captured call
        (by the items they pass; Baseline.size_bands), each timed on its own with half the
        rounds: one figure over every call can hide a rewrite that wins on small calls and
        loses on large ones. Figures for the report: the decision stands on the whole
        workload; a band where it is significantly slower is said in the reason."""
        c, m = outcome.candidate, outcome.measurement
        bands = self.baseline.size_bands()
        if not bands or self.config.metric != "time" or self.config.objective != "time":
            return outcome
        workspace = self._copy_with(c)
        settings = replace(self.measure, rounds=max(2, self.measure.rounds // 2), max_rounds=max(2, self.measure.rounds // 2))
        figures = {}
        try:
            for name, index in bands.items():
                one = replace(self.baseline, workload=[index])
                try:
                    b = measure(self.sandbox, self.ws.base, workspace, one, settings,
                                cold=_timed_cold(c, m), strictness=self.config.strictness)
                except (MeasureError, TimedOutcomeMismatch) as exc:
                    figures[name] = {"error": str(exc)[:200], "items": self.baseline.call_weights.get(str(index), 0)}
                    continue
                figures[name] = {"speedup": round(b.speedup, 4), "ci": [round(b.ci[0], 4), round(b.ci[1], 4)],
                                 "items": self.baseline.call_weights.get(str(index), 0)}
        finally:
            self.ws.discard(workspace)
        slower = [f"{name} call ({_items(f['items'])}) {f['speedup']:.2f}x [{f['ci'][0]:.2f}, {f['ci'][1]:.2f}]"
                  for name, f in figures.items() if "ci" in f and f["ci"][1] < 1.0]
        reason = outcome.reason + (f"; but slower on its {', '.join(slower)}" if slower else "")
        return replace(outcome, measurement=replace(m, bands=figures), reason=reason)

    def _counted(self, outcome: Outcome) -> Outcome:
        config, m, c = self.config, outcome.measurement, outcome.candidate
        if not config.winner_is_counted:
            return outcome
        if counter() is None:
            return replace(outcome, reason=f"{outcome.reason}; no instruction counter here for a second opinion")
        workspace = self._copy_with(c)
        try:
            # Warm, as the timed samples are, unless the candidate was timed on first calls (a cache).
            count = measure_instructions(self.sandbox, self.ws.base, workspace, self.baseline,
                                         warm=not first_calls_note(m), original_counts=self._original_counts)
        except MeasureError as exc:
            return replace(outcome, reason=f"{outcome.reason}; no second opinion: {exc}")
        finally:
            self.ws.discard(workspace)
        m = replace(m, instructions=count.speedup)
        blocked = second_opinion(m.speedup, count.speedup, config.min_speedup)
        if blocked:
            confirmed = Outcome(c, "rejected", f"{blocked} ({outcome.reason})", m, stage="second opinion",
                                evidence=outcome.evidence)
        else:
            confirmed = replace(outcome, measurement=m, reason=f"{outcome.reason}; instructions {count.speedup:.2f}x agree")
        return confirmed

    def _remeasured(self, outcome: Outcome) -> Outcome:
        """The winner timed once more, afresh (RunSettings.remeasure): the best of several
        candidates is chosen partly for a lucky draw, so its first figure runs high. The
        fresh figure replaces it (the instruction ratio and the end-to-end figure stay),
        and must clear the threshold on its own."""
        c, first = outcome.candidate, outcome.measurement
        if self.config.metric != "time" or self.config.objective != "time":
            return outcome   # a count does not vary between runs; memory is not a draw either
        workspace = self._copy_with(c)
        try:
            fresh = measure(self.sandbox, self.ws.base, workspace, self.baseline, self.measure,
                            cold=_timed_cold(c, first),
                            strictness=self.config.strictness)
        except (MeasureError, TimedOutcomeMismatch) as exc:
            return Outcome(c, "rejected", f"its second timing failed: {exc} ({outcome.reason})", first,
                           stage="re-measure", evidence=outcome.evidence)
        finally:
            self.ws.discard(workspace)
        fresh = replace(fresh, instructions=first.instructions, bench=first.bench, peak_bytes=first.peak_bytes)
        status, why = decide(fresh, "time", self.config.min_speedup, self.measure.noise)
        was = f"first timing {first.speedup:.2f}x [{first.ci[0]:.2f}, {first.ci[1]:.2f}]"
        if status != "kept":
            return Outcome(c, "rejected", f"timed again: {why} ({was})", fresh, stage="re-measure",
                           evidence=outcome.evidence)
        return replace(outcome, measurement=fresh, reason=f"{outcome.reason}; timed again: "
                       f"{fresh.speedup:.2f}x [{fresh.ci[0]:.2f}, {fresh.ci[1]:.2f}] ({was})")

    def _copy_with(self, c: Candidate):
        """A fresh copy of the repository with the candidate in place (discarded by the caller)."""
        return self.ws.candidate_copy(c.target, replace_definition(self.original, c.target, c.source, c.imports))

    def _unless_tampered(self, candidate: Candidate, outcome: Outcome) -> Outcome:
        tampered = self._guard.tampered() if self._guard else ""
        return Outcome(candidate, "rejected", tampered, stage="integrity") if tampered else outcome

    def _duplicate_of(self, candidate: Candidate) -> str:
        """Who already had this code ('' if nobody): the same normalised AST is judged once."""
        if candidate.error:
            return ""
        earlier = self._seen.get(candidate.key)
        if earlier is None:
            self._seen[candidate.key] = candidate.origin
        return earlier or ""

    def _verify_and_measure(self, candidate: Candidate) -> Outcome:
        """Verify, then measure. "passed": verified and significantly better."""
        config, ws, sandbox, baseline = self.config, self.ws, self.sandbox, self.baseline
        suite, settings, search, original = self.suite, self.measure, self.search, self.original
        if candidate.error:
            return Outcome(candidate, "rejected", candidate.error)
        try:
            new_text = replace_definition(original, candidate.target, candidate.source, candidate.imports)
        except SyntaxError as exc:
            return Outcome(candidate, "rejected", f"syntax error on line {exc.lineno}: {exc.msg}")
        workspace = ws.candidate_copy(candidate.target, new_text)
        try:
            verdict = verify(sandbox, workspace, new_text, baseline, suite, config.strictness, original,
                             config.check_capabilities, config.accept_unreached, search)
            if not verdict.ok:
                trace = explain(sandbox, ws.base, workspace, verdict.oracle or baseline, verdict.failing_call)
                return Outcome(candidate, "rejected", verdict.reason, trace=trace, stage=verdict.stage,
                               evidence=verdict.evidence)
            try:
                if config.metric == "instructions":
                    m = measure_instructions(sandbox, ws.base, workspace, baseline,
                                             original_counts=self._original_counts)
                else:
                    # A cache the source shows goes straight to first calls; measure finds the others.
                    m = measure(sandbox, ws.base, workspace, baseline, settings, cold=memoizes(candidate.source),
                                strictness=config.strictness)
                m.peak_bytes = peak_memory(sandbox, ws.base, workspace, baseline, settings, config.strictness)
                status, why = decide(m, config.objective, config.min_speedup, settings.noise)
                if status == "kept" and config.bench:   # confirm on the real workload what passed on the calls
                    m.bench = measure_bench(sandbox, ws.base, workspace, config.bench,
                                            lambda w: python_env(w, [candidate.target]), rounds=config.bench_rounds,
                                            timeout=bench_timeout(baseline), lock=settings.lock)
                    status, why = decide(m, config.objective, config.min_speedup, settings.noise)
                cold = first_calls_note(m)
                why += f"; {cold}" if cold else ""
            except TimedOutcomeMismatch as exc:
                return Outcome(candidate, "rejected", f"its timed calls behaved differently from the replay: {exc}",
                               stage="timing", evidence=verdict.evidence)
            except MeasureError as exc:
                return Outcome(candidate, "rejected", f"measurement failed: {exc}", evidence=verdict.evidence)
            if status == "kept":   # the decision's "kept" is a pass: the winner is chosen later
                status, why = "passed", f"{why}; {evidence_words(verdict)}"
            return Outcome(candidate, status, why, m, evidence=verdict.evidence)
        finally:
            ws.discard(workspace)


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


class OriginalGuard:
    """Where the sandbox does not isolate files (the process backend), a candidate's
    process could change the copy the original is timed from, or its recorded calls
    and outcomes. Both are fingerprinted (the recordings also kept in memory) before
    the first candidate; after each one, a change rejects it and everything is put
    back: the original's files from the user's repository, the recordings from memory."""

    def __init__(self, ws: Workspace, baseline: Baseline):
        self.ws = ws
        self.oracle = {p: p.read_bytes() for p in (baseline.calls_file, baseline.expected_file) if p and p.exists()}
        ws.protect_base()

    def tampered(self) -> str:
        """'' when all is as it was; else the rejection's reason (after restoring)."""
        changed = self.ws.base_changes()
        if changed:
            self.ws.restore_base(changed)
        for path, blob in self.oracle.items():
            if not path.exists() or path.read_bytes() != blob:
                path.write_bytes(blob)
                changed.append(path.name)
        return "changed the original's timing copy while it ran: " + ", ".join(changed[:3]) if changed else ""


def _items(n: int) -> str:
    return f"{n:,} item{'' if n == 1 else 's'}"


def _timed_cold(c: Candidate, first: Measurement) -> bool:
    """Time it again as it was timed first: on first calls when it was (a cache), or memoizes."""
    return bool(first_calls_note(first)) or memoizes(c.source)
