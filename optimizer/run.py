"""`optimize run`: the command line's use of the engine, as a function over a Session.

Locate (the named target, else the workload's hotspots) -> capture -> optimize each
target -> keep its winner on a branch -> a Report. Bad input (an unknown or
ambiguous name, a module that does not import) raises before any event is emitted.
Ctrl-C ends the run cleanly: what was verified is kept and the report says the run
was interrupted.
"""
from __future__ import annotations

import platform
import time
from datetime import datetime, timezone
from pathlib import Path

from profilers.flame import collapsed

from . import __version__, interpreter
from .keep import BranchKeeper
from .model import Report, Target
from .protocols import Keeper, Proposer
from .session import Session, runnable_proposers
from .settings import RunSettings
from .workspace import git_root, has_commit


def run(session: Session, proposers: list[Proposer], *, targets: list[Target] | None = None,
        model: str | None = None, keeper: Keeper | None = None) -> Report:
    """Work on `targets` (default: the session's named target, else the workload's
    hotspots) and keep each winner through `keeper` (default: a branch and a patch)."""
    settings, events = session.settings, session.events
    started = time.time()
    report = Report(repo=str(settings.repo), model=model, meta=run_meta(settings, started))
    keeper = keeper or BranchKeeper(settings.repo, settings.out_dir, settings.apply)
    if targets is None and settings.target:
        targets = session.locate(settings.target)   # may raise: before anything is shown
    report.sandbox = session.sandbox.name
    proposers, refusal = runnable_proposers(proposers, settings.sandbox, session.sandbox)
    for note in session.notes + ([refusal] if refusal else []):
        report.notes.append(note)
        events.note(note)
    session.notes.clear()
    try:
        if targets is None:
            targets = session.locate_hotspots(settings.max_targets)
            report.hotspots = session.hotspots
            if session.profile is not None:
                report.profiles["before"] = collapsed(session.profile, session.ws.base)
            events.hotspots(session.hotspots)
        report.notes.extend(session.notes)
        session.capture(targets)   # one run of the tests (and the benchmark) for all of them
        kept_results = []
        for target in targets:
            result = session.optimize(target, proposers)
            report.add(result)
            kept = session.keep(result, keeper)
            if kept is not None:
                report.kept.append(kept)
                report.notes.extend(kept.notes)
                kept_results.append(result)
            if result.interrupted:
                raise KeyboardInterrupt
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
        report.notes.append("interrupted: the report holds what was finished; kept edits stay kept")
    finally:
        report.meta["duration_s"] = round(time.time() - started, 1)
        for proposer in proposers:   # what the model side spent (the catalog spends nothing)
            if proposer.usage is not None:
                report.llm.add(proposer.usage)
    return report


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
