"""`optimize run`: the command line's use of the engine, as a function over a Session.

Locate (the named target, else the workload's hotspots; with --all every one) ->
capture -> the executor optimizes each target (executors.py: here, or Ray tasks) ->
keep each winner on a branch, here -> a Report. With a Progress, the plan and each
finished target are recorded in the run folder, and a resumed run (its Plan) starts
after what was finished (progress.py). Bad input (an unknown or ambiguous name, a
module that does not import) raises before any event is emitted. Ctrl-C ends the
run cleanly: what was verified is kept and the report says the run was interrupted.
"""
from __future__ import annotations

import platform
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from profilers.flame import collapsed

from . import __version__, interpreter
from .executors import LocalExecutor
from .keep import BranchKeeper
from .model import Report, Target
from .progress import Plan, Progress, finished, fingerprint
from .protocols import Executor, Keeper, Proposer
from .session import Session, runnable_proposers
from .settings import RunSettings
from .workspace import git_root, has_commit


def run(session: Session, proposers: list[Proposer], *, targets: list[Target] | None = None,
        model: str | None = None, keeper: Keeper | None = None, executor: Executor | None = None,
        progress: Progress | None = None, resume: Plan | None = None) -> Report:
    """Work on `targets` (default: the session's named target, else the workload's
    hotspots: the top --max-targets, or with --all every one, best first) through
    `executor` (default: here, one at a time), and keep each winner through `keeper`
    (default: a branch and a patch). With `progress`, the plan and each finished target
    are recorded in the run folder; `resume` (that plan, read back) goes on from it."""
    settings, events = session.settings, session.events
    started = time.time()
    report = Report(repo=str(settings.repo), model=model, meta=run_meta(settings, started))
    keeper = keeper or BranchKeeper(settings.repo, settings.out_dir, settings.apply)
    executor = executor or LocalExecutor()
    report.meta["executor"] = executor.name
    if targets is None and settings.target and resume is None:
        targets = session.locate(settings.target)   # may raise: before anything is shown
    report.sandbox = session.sandbox.name
    proposers, refusal = runnable_proposers(proposers, settings.sandbox, session.sandbox)
    for note in session.notes + ([refusal] if refusal else []):
        report.notes.append(note)
        events.note(note)
    session.notes.clear()
    stopped = []   # why no more targets were started, if a budget said so
    try:
        if resume is not None:
            targets = _resumed(session, report, resume, progress)
        else:
            targets = _planned(session, report, targets, progress)
        work = [t for t in targets if t.name not in report.targets]
        if settings.all and settings.max_targets is not None:
            work = work[:settings.max_targets]   # this invocation's share; a resume does the rest

        def may_start() -> bool:
            minutes = (time.time() - started) / 60
            if settings.max_minutes is not None and minutes >= settings.max_minutes:
                stopped[:] = [f"--max-minutes {settings.max_minutes:g} reached ({minutes:.1f} min)"]
                return False
            return True

        kept_results = []
        for result in executor.optimize(session, work, proposers, may_start):
            report.add(result)
            kept = session.keep(result, keeper)
            if kept is not None:
                report.kept.append(kept)
                report.notes.extend(kept.notes)
                kept_results.append(result)
            if progress is not None and finished(result):
                progress.record(result, kept, repo=settings.repo if kept and kept.applied else None)
            if result.interrupted:
                raise KeyboardInterrupt
        left = [t.name for t in targets if t.name not in report.targets]
        if left:
            why = stopped[0] if stopped else f"--max-targets {settings.max_targets}"
            report.meta["targets_left"] = left
            report.notes.append(f"{len(left)} of {len(targets)} target(s) not started ({why}): "
                                f"{', '.join(left[:5])}{' …' if len(left) > 5 else ''}"
                                + (f"; optimize run {settings.repo} --resume {progress.root.parent} goes on"
                                   if progress is not None else ""))
        if kept_results and "before" in report.profiles:   # the workload's flame graph after the kept edits
            after, copy = session.profile_kept(kept_results)
            try:
                report.profiles["after"] = collapsed(after, copy)
            finally:
                session.ws.discard(copy)
            if after.error:
                report.notes.append(f"profiling with the kept edits: {after.error}")
        report.status = "completed"
    except KeyboardInterrupt:
        report.status = "interrupted"
        report.notes.append("interrupted: the report holds what was finished; kept edits stay kept"
                            + (f"; optimize run {settings.repo} --resume {progress.root.parent} goes on"
                               if progress is not None else ""))
    finally:
        report.meta["duration_s"] = round(time.time() - started, 1)
        for proposer in proposers:   # what the model side spent (the catalog spends nothing)
            if proposer.usage is not None:
                report.llm.add(proposer.usage)
    return report


def _planned(session: Session, report: Report, targets: list[Target] | None,
             progress: Progress | None) -> list[Target]:
    """Locate by the profile unless named, capture every target in one run of the tests
    (and the benchmark), and record the plan for a resume."""
    settings, events = session.settings, session.events
    if targets is None:
        targets = session.locate_hotspots(None if settings.all else settings.max_targets)
        report.hotspots = session.hotspots
        if session.profile is not None:
            report.profiles["before"] = collapsed(session.profile, session.ws.base)
        events.hotspots(session.hotspots)
    report.notes.extend(session.notes)
    session.notes.clear()
    session.capture(targets)   # one run of the tests (and the benchmark) for all of them
    if progress is not None:
        progress.save_plan(Plan(str(settings.repo), fingerprint(settings.repo),
                                {"target": settings.target, "bench": settings.bench, "all": settings.all},
                                targets, report.hotspots, report.profiles.get("before"), session.suite,
                                {t.name: session.baselines[t.name] for t in targets}))
    return targets


def _resumed(session: Session, report: Report, plan: Plan, progress: Progress) -> list[Target]:
    """The earlier run's plan taken up again: its hotspots, test run and captured calls
    (no profile, no capture), and its finished targets carried into this report as they
    were. Targets are found again by name: an --apply of an earlier target may have
    moved their lines."""
    by_name = {t.name: t for t in session.index}
    targets = [by_name[t.name] for t in plan.targets if t.name in by_name]
    session.hotspots = report.hotspots = plan.hotspots
    if plan.profile_before:
        report.profiles["before"] = plan.profile_before
    session.suite = plan.suite
    for name, baseline in plan.baselines.items():
        if name in by_name:
            session.baselines[name] = replace(baseline, target=by_name[name])
    carried = progress.finished()
    for result, kept in carried:
        report.add(result)
        if kept is not None:
            report.kept.append(kept)
    note = (f"resumed {progress.root.parent}: {len(carried)} of {len(targets)} target(s) finished earlier and "
            f"carried over; captured calls reused")
    report.notes.append(note)
    session.events.note(note)
    session.events.hotspots(plan.hotspots)
    return targets


def run_meta(settings: RunSettings, started: float) -> dict:
    """What a report records about the run: the tool, the code and the settings it ran with."""
    return {
        "tool_version": __version__,
        "tool_revision": _tool_revision(),
        "git_revision": _git_revision(settings.repo),
        "python": platform.python_version(),
        "interpreter": interpreter.current().to_json(),   # the one the repository's code ran in
        "started": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
        "settings": settings.to_json(),
    }


def _tool_revision() -> str | None:
    """The optimizer's own commit when it runs from a git checkout (an editable install),
    "+dirty" with local changes: while the tool changes, a report says which code judged.
    None for an installed release (its version says it)."""
    package = Path(__file__).resolve().parent
    if not (package.parent / ".git").exists():
        return None
    return _git_revision(package.parent)


def _git_revision(folder: Path) -> str | None:
    """HEAD's commit, with "+dirty" when the folder has uncommitted or untracked changes."""
    repo, prefix, _ = git_root(folder)
    if repo is None or not has_commit(repo):
        return None
    dirty = repo.is_dirty(untracked_files=True, path=prefix or None)
    return repo.head.commit.hexsha + ("+dirty" if dirty else "")
