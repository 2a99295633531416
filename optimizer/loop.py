"""The loop: locate -> profile -> capture -> propose -> verify -> measure -> keep -> report.

It only sequences the stages and decides what to keep; each stage lives in its
own module and passes plain data. Ctrl-C ends the run cleanly: what was kept
stays kept and the report says the run was interrupted.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path

from sandboxes import Sandbox, get_sandbox

from .keep import keep
from .measure.caching import memoizes
from .measure.decide import decide
from .measure.instructions import measure_instructions
from .measure.runner import MeasureError, MeasureSettings, calibrate, measure, measure_bench, peak_memory
from .model import Candidate, Outcome, Report, Target
from .propose import ProposalContext, Proposer
from .target import index_repo, replace_definition, resolve, targets_in_file
from .verify import Baseline, Strictness, TestRun, capture, verify
from .verify.equivalence import record_expected
from .verify.timeouts import bench_timeout, worker_timeout
from .verify.trace import block_profile, explain
from .verify.runs import pytest_command, python_env
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
    max_calls: int = 64
    strictness: Strictness = field(default_factory=Strictness)
    objective: str = "time"         # "time": faster; "memory": less peak memory, not slower
    metric: str = "time"            # "time" (seconds) or "instructions" (a count, load-independent)
    bench_rounds: int = 5           # end-to-end confirmation runs per side
    measure: MeasureSettings = field(default_factory=MeasureSettings)
    check_capabilities: bool = True  # off only in tests that show what the sandbox alone contains


def run(config: RunConfig, proposers: list[Proposer], report: Report, view) -> Report:
    sandbox, warning = get_sandbox(config.sandbox)
    report.sandbox = sandbox.name
    for note in [warning] if warning else []:
        report.notes.append(note), view.note(note)
    view.stage(f"copying {config.repo} into a private workspace")
    ws = Workspace(config.repo)
    try:
        targets = locate(config, ws, sandbox, report, view)
        view.stage("running the tests" + (" and the benchmark" if config.bench else "")
                   + " to capture calls of " + ", ".join(t.qualname for t in targets))
        baselines, suite = capture(sandbox, ws.base, ws.scratch("run"), targets, config.bench, config.max_calls)
        for target in targets:
            optimize_target(config, ws, sandbox, target, baselines[target.name], suite, proposers, report, view)
        report.status = "completed"
    except KeyboardInterrupt:
        report.status = "interrupted"
        report.notes.append("interrupted: the report holds what was finished; kept edits stay kept")
    finally:
        ws.close()
    return report


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
                    suite: TestRun, proposers: list[Proposer], report: Report, view) -> None:
    refusal = baseline.refusal(suite.failed())
    if not refusal:
        view.stage(f"replaying captured and generated calls of {target.qualname} on the original")
        report.notes.extend(record_expected(sandbox, ws.base, ws.scratch("run"), baseline, timeout=900))
        if not baseline.workload:
            refusal = f"no replayable captured calls of {target.name}: nothing to verify against or measure"
    if refusal:
        report.notes.append(f"skipped {target.name}: {refusal}")
        view.note(report.notes[-1])
        return

    original = ws.original_text(target)
    settings = replace(config.measure, threshold=config.min_speedup,   # extra rounds aim at the real decision
                       timeout=worker_timeout(baseline, config.measure))
    if config.metric == "time":   # instruction counts need no noise calibration
        view.stage(f"measuring this machine's noise: {target.qualname} against an identical copy")
        copy = ws.candidate_copy(target, original)
        try:
            settings, noise, note = calibrate(sandbox, ws.base, copy, baseline, settings)
        except MeasureError as exc:
            report.notes.append(f"skipped {target.name}: the original cannot be timed: {exc}")
            return
        finally:
            ws.discard(copy)
        report.calibration[target.name] = noise
        report.notes.extend([note] if note else [])
    share = next((h.share for h in report.hotspots if h.target == target), None)
    index = {t.qualname: t for t in targets_in_file(ws.base, target.file)}
    context = ProposalContext(original, {q: index[q].source for q in target.callees if q in index}, share,
                              block_profile=block_profile(sandbox, ws.base, baseline))
    view.stage(f"proposing candidates for {target.qualname}")
    candidates = [c for p in proposers for c in p.propose(target, context, config.candidates)]
    view.candidates(target.qualname, len(candidates))

    best: tuple[Outcome, str] | None = None
    seen = {Candidate(target, "original", textwrap.dedent(target.source)).key: "the original"}
    try:
        for candidate in candidates:
            view.stage(f"verifying and measuring {candidate.origin} for {target.qualname}")
            if not candidate.error and candidate.key in seen:   # same normalised AST: measured once
                outcome, new_text = Outcome(candidate, "rejected", f"same code as {seen[candidate.key]}"), ""
            else:
                seen.setdefault(candidate.key, candidate.origin)
                outcome, new_text = evaluate(config, ws, sandbox, candidate, original, baseline, suite, settings)
            report.outcomes.append(outcome)
            view.candidate_done(outcome)
            if outcome.status == "kept":
                if best is None or outcome.measurement.speedup > best[0].measurement.speedup:
                    if best is not None:
                        _demote(best[0], outcome)
                    best = (outcome, new_text)
                else:
                    _demote(outcome, best[0])
    finally:   # also on Ctrl-C: what was verified and measured is kept
        if best is not None:
            outcome, new_text = best
            report.kept.append(keep(config.repo, config.out_dir, target, outcome.candidate, outcome.measurement,
                                    original, new_text, config.apply, report.notes))


def evaluate(config: RunConfig, ws: Workspace, sandbox: Sandbox, candidate: Candidate, original: str,
             baseline: Baseline, suite: TestRun, settings: MeasureSettings) -> tuple[Outcome, str]:
    """Verify, then measure. Status "kept" here means: verified and significantly better."""
    if candidate.error:
        return Outcome(candidate, "rejected", candidate.error), ""
    try:
        new_text = replace_definition(original, candidate.target, candidate.source, candidate.imports)
    except SyntaxError as exc:
        return Outcome(candidate, "rejected", f"syntax error on line {exc.lineno}: {exc.msg}"), ""
    workspace = ws.candidate_copy(candidate.target, new_text)
    try:
        verdict = verify(sandbox, workspace, new_text, baseline, suite, config.strictness, original,
                         config.check_capabilities)
        if not verdict.ok:
            trace = explain(sandbox, ws.base, workspace, baseline, verdict.failing_call)
            return Outcome(candidate, "rejected", verdict.reason, trace=trace), new_text
        try:
            if config.metric == "instructions":
                m = measure_instructions(sandbox, ws.base, workspace, baseline)
            else:
                m = measure(sandbox, ws.base, workspace, baseline, settings, cold=bool(memoizes(candidate.source)))
            m.peak_bytes = peak_memory(sandbox, ws.base, workspace, baseline, settings)
            keep_it, why = decide(m, config.objective, config.min_speedup)
            if keep_it and config.bench:   # confirm on the real workload what passed on the calls
                m.bench = measure_bench(sandbox, ws.base, workspace, config.bench,
                                        lambda w: python_env(w, [candidate.target]), rounds=config.bench_rounds,
                                        timeout=bench_timeout(baseline))
                keep_it, why = decide(m, config.objective, config.min_speedup)
        except MeasureError as exc:
            return Outcome(candidate, "rejected", f"measurement failed: {exc}"), new_text
        return Outcome(candidate, "kept" if keep_it else "rejected",
                       f"{why}; verified: {verdict.reason}" if keep_it else why, m), new_text
    finally:
        ws.discard(workspace)


def _demote(loser: Outcome, winner: Outcome) -> None:
    loser.status = "rejected"
    loser.reason = f"{loser.reason}, but {winner.candidate.origin} was faster"
