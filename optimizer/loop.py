"""The loop: locate -> profile -> capture -> propose -> verify -> measure -> keep -> report.

It only sequences the stages and decides what to keep; each stage lives in its
own module and passes plain data. Ctrl-C ends the run cleanly: what was kept
stays kept and the report says the run was interrupted.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path

from sandboxes import Sandbox, capability, get_sandbox

from .evaluate import Standings, evaluate
from .keep import keep
from .measure.runner import MeasureError, MeasureSettings, calibrate
from .model import Candidate, Outcome, Report, Target
from .propose import Proposer
from .propose.budget import Budget
from .propose.context import build_context, request_context
from .propose.examples import KeptExamples
from .rounds import NEAR_MISS_STAGES, next_requests, stop_reason
from .target import index_repo, resolve
from .verify import Baseline, SearchBudget, Strictness, TestRun, capture
from .verify.equivalence import record_expected
from .verify.evidence import unreached_note
from .verify.runs import pytest_command, python_env
from .verify.timeouts import worker_timeout
from .workspace import Workspace


@dataclass
class RunConfig:
    repo: Path
    out_dir: Path
    target: str | None = None
    bench: str | None = None
    max_targets: int = 3
    candidates: int = 4
    min_speedup: float = 1.05
    apply: bool = False
    sandbox: str = "auto"           # "bwrap" where it works, else "process" with a warning
    max_captured: int = 64          # captured calls kept per target
    model_rounds: int = 3           # rounds of model requests per target (rounds.py)
    strictness: Strictness = field(default_factory=Strictness)
    objective: str = "time"         # "time": faster; "memory": less peak memory, not slower
    metric: str = "time"            # "time" (seconds) or "instructions" (a count, load-independent)
    bench_rounds: int = 5           # end-to-end confirmation runs per side
    measure: MeasureSettings = field(default_factory=MeasureSettings)
    check_capabilities: bool = True  # off only in tests that show what the sandbox alone contains
    accept_unreached: bool = False  # keep, with a warning, candidates whose changed lines no call reached
    search_seconds: float = 20.0    # per target: the input search at recording, and the per-candidate searches
    second_opinion: bool = True     # a kept time speedup must be backed by the instruction count, where countable


def run(config: RunConfig, proposers: list[Proposer], report: Report, view, budget: Budget | None = None) -> Report:
    budget = budget or Budget()
    sandbox, warning = get_sandbox(config.sandbox, repo=config.repo)
    report.sandbox = sandbox.name
    _note(report, view, warning)
    proposers, refusal = runnable_proposers(proposers, config.sandbox, sandbox)
    _note(report, view, refusal)
    view.stage(f"copying {config.repo} into a private workspace")
    ws = Workspace(config.repo)
    try:
        targets = locate(config, ws, sandbox, report, view)
        view.stage("running the tests" + (" and the benchmark" if config.bench else "")
                   + " to capture calls of " + ", ".join(t.qualname for t in targets))
        baselines, suite = capture(sandbox, ws.base, ws.scratch("run"), targets, config.bench, config.max_captured)
        for target in targets:
            optimize_target(config, ws, sandbox, target, baselines[target.name], suite, proposers, report, view,
                            budget)
        report.status = "completed"
    except KeyboardInterrupt:
        report.status = "interrupted"
        report.notes.append("interrupted: the report holds what was finished; kept edits stay kept")
    finally:
        ws.close()
    return report


def _note(report: Report, view, text: str) -> None:
    """A note for the report and the view alike ('' is none)."""
    if text:
        report.notes.append(text)
        view.note(text)


def runnable_proposers(proposers: list[Proposer], chosen: str, sandbox: Sandbox) -> tuple[list[Proposer], str]:
    """Model-written code runs only where the sandbox isolates files, unless the user chose
    the process backend knowingly (--sandbox process). When "auto" fell back to it, the
    untrusted proposers are not asked at all (no cost, no code), the catalog still runs,
    and the note says what to do."""
    if chosen != "auto" or sandbox.isolates_files:
        return proposers, ""
    untrusted = [p for p in proposers if not getattr(p, "trusted", False)]
    if not untrusted:
        return proposers, ""
    names = ", ".join(p.name for p in untrusted)
    return ([p for p in proposers if p not in untrusted],
            f"not asking {names}: model-written code runs only in the bwrap sandbox, which cannot run here; "
            "install bubblewrap (Debian/Ubuntu: apt-get install -y bubblewrap), or pass --sandbox process "
            "to accept the risk. The offline pattern catalog still runs.")


def locate(config: RunConfig, ws: Workspace, sandbox: Sandbox, report: Report, view) -> list[Target]:
    """The explicit --target, or the top hotspots of the workload."""
    from profilers import profile, rank

    view.stage("locating functions")
    index = index_repo(ws.base)
    if config.target:
        return [resolve(index, config.target)]
    workload = ["sh", "-c", config.bench] if config.bench else pytest_command([])
    view.stage(f"profiling {'the benchmark' if config.bench else 'the test suite'}")
    prof = profile(sandbox, ws.base, workload, python_env(ws.base, index))
    if prof.error:
        report.notes.append(f"profiling: {prof.error}")
    report.hotspots = rank(prof, ws.base, index)
    chosen = [h.target for h in report.hotspots[:config.max_targets]]
    if not chosen:
        report.notes.append("the profile credited no time to the repository's own functions")
    return chosen


def optimize_target(config: RunConfig, ws: Workspace, sandbox: Sandbox, target: Target, baseline: Baseline,
                    suite: TestRun, proposers: list[Proposer], report: Report, view, budget: Budget) -> None:
    report.notes.extend(baseline.capture_notes())   # calls seen but not captured, and why
    refusal = baseline.refusal(suite.failed())
    if not refusal:
        view.stage(f"replaying captured and generated calls of {target.qualname} on the original")
        report.notes.extend(record_expected(sandbox, ws.base, ws.scratch("run"), baseline, timeout=900,
                                            search_seconds=config.search_seconds))
        _note(report, view, unreached_note(target.name, baseline.coverage) if baseline.workload else "")
        if not baseline.workload:
            refusal = f"no replayable captured calls of {target.name}: nothing to verify against or measure"
    if refusal:
        _note(report, view, f"skipped {target.name}: {refusal}")
        return

    original = ws.original_text(target)
    settings = replace(config.measure, threshold=config.min_speedup,   # extra rounds aim at the real decision
                       timeout=worker_timeout(baseline, config.measure))
    if config.metric == "time":   # instruction counts need no noise calibration
        view.stage(f"measuring this machine's noise: {target.qualname} against an identical copy")
        copy = ws.candidate_copy(target, original)
        try:
            settings, noise, note = calibrate(sandbox, ws.base, copy, baseline, settings, config.strictness)
        except MeasureError as exc:
            report.notes.append(f"skipped {target.name}: the original cannot be timed: {exc}")
            return
        finally:
            ws.discard(copy)
        report.calibration[target.name] = noise
        report.notes.extend([note] if note else [])
    share = next((h.share for h in report.hotspots if h.target == target), None)
    iterating = any(getattr(p, "rounds", True) for p in proposers)   # a model: later rounds make sense
    view.stage(f"gathering what the model is shown about {target.qualname}" if iterating else
               f"proposing candidates for {target.qualname}")
    context = build_context(sandbox, ws, target, baseline, original, share, budget, for_model=iterating)

    guard = _OriginalGuard(ws, baseline) if not sandbox.isolates_files else None
    suggest = next((p.suggest_inputs for p in proposers if hasattr(p, "suggest_inputs")), None)
    search = SearchBudget(config.search_seconds, suggest)
    standings, history, round_no, requests = Standings(target), [], 1, [None]
    try:
        while True:
            candidates = []
            for request in requests:   # None: the round-1 request
                ctx = context if request is None else request_context(
                    context, request, sandbox, ws, target, baseline, budget,
                    standings.best[1] if request.mode == "refine" else "")
                k = config.candidates if request is None else request.k
                candidates += [c for p in proposers for c in p.propose(target, ctx, k)]
            view.candidates(target.qualname, len(candidates))
            this_round = []
            for candidate in candidates:
                view.stage(f"verifying and measuring {candidate.origin} ({candidate.step}) for {target.qualname}")
                earlier = standings.duplicate_of(candidate)
                outcome, new_text = (Outcome(candidate, "rejected", f"same code as {earlier}"), "") if earlier \
                    else evaluate(config, ws, sandbox, candidate, original, baseline, suite, settings, search)
                tampered = guard.tampered() if guard else ""
                if tampered:
                    outcome, new_text = Outcome(candidate, "rejected", tampered, stage="integrity"), ""
                if outcome.measurement:
                    _note(report, view, _granted_routes_note(candidate, sandbox))
                report.outcomes.append(outcome)
                this_round.append(outcome)
                if candidate.origin.startswith("pattern:") and outcome.stage in NEAR_MISS_STAGES:
                    report.notes.append(f"{candidate.origin} failed verification on {target.name}, so it is a bug "
                                        f"in the pattern's preconditions (not kept): {outcome.reason}")
                view.candidate_done(outcome)
                standings.record(outcome, new_text)
            history.append(standings.best_speedup)
            round_no += 1
            stop = stop_reason(round_no, config.model_rounds, budget.exhausted, history, share) if iterating \
                else "no model"
            requests = [] if stop else next_requests(round_no, this_round, standings.best and standings.best[0],
                                                     config.candidates)
            if not requests:
                if iterating:
                    report.notes.append(f"{target.name}: {round_no - 1} model round(s); stopped: "
                                        f"{stop or 'nothing left to repair or refine'}")
                break
    finally:   # also on Ctrl-C: what was verified and measured is kept
        if standings.best is not None:
            outcome, new_text = standings.best
            report.kept.append(keep(config.repo, config.out_dir, target, outcome.candidate, outcome.measurement,
                                    original, new_text, config.apply, report.notes))
            # A verified slow->fast pair that later prompts retrieve: only from a sandbox that
            # isolates files, so nothing the process backend let through is carried forward.
            if config.objective == "time" and sandbox.isolates_files:
                KeptExamples().add(target.name, textwrap.dedent(target.source), outcome.candidate.source,
                                   outcome.measurement.speedup)


def _granted_routes_note(candidate: Candidate, sandbox: Sandbox) -> str:
    """A verified candidate that reaches names the allow-list lets through only because the
    original's module uses them (os, sys, a third-party module): the report says so."""
    target = candidate.target
    routes = capability.granted_routes(target.imports + candidate.imports, candidate.source,
                                       frozenset({target.package}))
    if not routes:
        return ""
    held = "the bwrap sandbox holds them" if sandbox.isolates_files else \
        "the process sandbox does not isolate files or the network"
    return (f"{candidate.origin} ({candidate.step}) for {target.name} passed while using "
            f"{', '.join(routes[:4])}{' and more' if len(routes) > 4 else ''}: allowed only because the "
            f"original's module uses them, not by the allow-list; {held}")


class _OriginalGuard:
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
