"""The engine: a Session over one repository, one target at a time.

    with Session(settings, events=view) as session:
        [target] = session.locate("unique_ordered")
        result = session.optimize(target, [PatternProposer()])
        if result.winner:
            session.keep(result, BranchKeeper(settings))

A session owns a private copy of the repository (the user's files are only read),
the sandbox, and the captured baselines. `locate` finds targets by name, by the
profile of the workload, or by the lines changed since a git revision; `capture`
records their calls (more can be captured later); `optimize` proposes, judges and
chooses, and returns an immutable TargetResult; `keep` hands a result to the
front end's Keeper. Front ends (cli, review, session REPL) only choose these parts.

Per target: propose round 1 (a target no proposer has a candidate for is skipped
before the noise calibration), calibrate against an identical copy, judge every
candidate, choose the winner after each round (choose.py), and ask for repairs and
refinements while rounds.py says it is worth it. Ctrl-C during `optimize` returns
what was judged so far, marked interrupted: a verified winner is still kept.
"""
from __future__ import annotations

import textwrap
from dataclasses import replace

from sandboxes import Sandbox, capability, get_sandbox

from . import interpreter
from .choose import choose_winner, final_fates
from .errors import TargetNotImportable, WorkloadFailed
from .judge import CandidateJudge
from .measure.lineprofile import line_profile
from .measure.runner import MeasureError, calibrate
from .model import Candidate, Hotspot, Kept, Outcome, Target, TargetResult
from .propose.budget import Budget
from .propose.context import build_context, request_context
from .propose.examples import KeptExamples
from .protocols import Events, Judge, Keeper, NullEvents, Proposer
from .rounds import NEAR_MISS_STAGES, first_request, next_requests, stop_reason
from .settings import RunSettings
from .target import index_repo, replace_definition, resolve, targets_in_file
from .verify import Baseline, SearchBudget, TestRun, capture
from .verify.equivalence import record_expected
from .verify.evidence import unreached_note
from .verify.runs import pytest_command, python_env
from .verify.timeouts import worker_timeout
from .workspace import Workspace

IMPORT_CHECK_SECONDS = 120


class Session:
    def __init__(self, settings: RunSettings, *, events: Events | None = None, budget: Budget | None = None,
                 sandbox: Sandbox | None = None):
        """Copies the repository and picks the sandbox; shows nothing yet (a bad name
        found by `locate` must fail before any output). `notes` holds what the user
        should read, starting with a sandbox fallback warning."""
        self.settings = settings
        self.events = events or NullEvents()
        self.budget = budget or Budget()
        if sandbox is None:
            sandbox, warning = get_sandbox(settings.sandbox, repo=settings.repo)
        else:
            warning = ""
        self.sandbox = sandbox
        python = interpreter.current()
        if not python.is_own and hasattr(sandbox, "show_interpreter"):   # bwrap: its files, read-only
            sandbox.show_interpreter(python.executable)
        self.notes: list[str] = [warning] if warning else []
        if not python.is_own:
            self.notes.append(f"the repository's code runs in {python.executable} "
                              f"(Python {'.'.join(map(str, python.version))}, {python.how})")
        self.hotspots: list[Hotspot] = []
        self.profile = None       # the workload's sampled stacks (profilers.Profile), once profiled
        self.baselines: dict[str, Baseline] = {}
        self.suite: TestRun | None = None
        self.ws = Workspace(settings.repo)
        self._index: list[Target] | None = None
        self._captures = 0

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.ws.close()

    @property
    def index(self) -> list[Target]:
        if self._index is None:
            self._index = index_repo(self.ws.base)
        return self._index

    # -- locate -----------------------------------------------------------------------
    def locate(self, name: str) -> list[Target]:
        """The function `name` names (func, module.func, module:Class.method,
        path.py::func), checked to import: TargetNotFound, AmbiguousTarget or
        TargetNotImportable otherwise."""
        target = resolve(self.index, name)
        self._check_imports(target)
        return [target]

    def locate_hotspots(self, max_targets: int) -> list[Target]:
        """The repository's functions that take most of the workload's time (--bench,
        else the tests), best first; `hotspots` keeps the whole ranking."""
        from profilers import profile, rank

        workload, what = self._workload()
        self.events.stage(f"profiling {what}")
        prof = profile(self.sandbox, self.ws.base, workload, python_env(self.ws.base, self.index))
        self.profile = prof
        scripts = self._bench_scripts()
        self.hotspots = rank(prof, self.ws.base, [t for t in self.index if t.file not in scripts])
        if not self.hotspots:   # nothing to go on: did the workload itself run? (py-spy hides its exit status)
            from profilers.sampling import failure_reason

            again = self.sandbox.run(workload, self.ws.base, env=python_env(self.ws.base, self.index),
                                     timeout=max(60.0, 4 * prof.seconds))
            if not again.ok:
                raise WorkloadFailed(f"{what} failed on the unchanged "
                                     f"repository (exit {again.returncode}): {failure_reason(again)}; "
                                     f"{interpreter.hint()}")
        if prof.error:
            self.notes.append(f"profiling: {prof.error}")
        if not self.hotspots:
            self.notes.append("the profile credited no time to the repository's own functions")
        return [h.target for h in self.hotspots[:max_targets]]

    def profile_kept(self, results: list[TargetResult]):
        """The workload profiled again in a copy of the repository with every kept edit in
        place (several in one file applied in turn): the "after" of the report's flame
        graphs. Returns (profile, the copy's root); the caller discards the copy."""
        from profilers import profile

        first = results[0]
        copy = self.ws.candidate_copy(first.target, first.new_text)
        written = {first.target.file}
        for result in results[1:]:
            path = copy / result.target.file
            if result.target.file in written:   # another kept edit is in this file: add this one to it
                current = next(t for t in targets_in_file(copy, result.target.file)
                               if t.qualname == result.target.qualname)
                c = result.winner.candidate
                path.write_text(replace_definition(path.read_text(), current, c.source, c.imports))
            else:
                path.write_text(result.new_text)
            written.add(result.target.file)
        workload, what = self._workload()
        self.events.stage(f"profiling {what} with the kept edits")
        return profile(self.sandbox, copy, workload, python_env(copy, self.index)), copy

    def _workload(self) -> tuple[list[str], str]:
        """The command the profile runs (--bench, else the tests) and what to call it."""
        bench = self.settings.bench
        return (["sh", "-c", bench], "the benchmark") if bench else (pytest_command([]), "the test suite")

    def _bench_scripts(self) -> set[str]:
        """The repository's .py files the --bench command names (`python bench.py`): the
        measuring stick, not code to optimize; their time is credited to nothing, so they
        are never targets (an edit there would change what the speedup is measured with)."""
        import shlex

        try:
            words = shlex.split(self.settings.bench or "")
        except ValueError:
            return set()
        root = self.ws.base.resolve()
        out = set()
        for word in words:
            if word.endswith(".py"):
                path = (root / word).resolve()
                if path.is_file() and path.is_relative_to(root):
                    out.add(path.relative_to(root).as_posix())
        return out

    def locate_changed(self, since: str) -> list[Target]:
        """The functions and methods the change since git revision `since` touched
        (changes.py: merge base to the working tree; comments and docstrings alone do not count)."""
        from .changes import changed_targets

        names = {t.name for t in changed_targets(self.settings.repo, since)}
        return [t for t in self.index if t.name in names]

    def _check_imports(self, target: Target) -> None:
        code = f"import importlib; importlib.import_module({target.module!r})"
        result = self.sandbox.run([interpreter.current().executable, "-c", code], self.ws.base,
                                  env=python_env(self.ws.base, [target]),
                                  timeout=IMPORT_CHECK_SECONDS)
        if not result.ok:
            why = result.last_line()
            hint = f"; {interpreter.hint()}" if "ModuleNotFoundError" in why or "ImportError" in why else ""
            raise TargetNotImportable(f"{target.module} (the module of {target.qualname}) does not import: "
                                      f"{why}{hint}")

    # -- capture ----------------------------------------------------------------------
    def capture(self, targets: list[Target]) -> dict[str, Baseline]:
        """Run the tests (and the benchmark) once with every target not captured yet
        wrapped; earlier captures are kept."""
        new = [t for t in targets if t.name not in self.baselines]
        if new:
            self.events.stage("running the tests" + (" and the benchmark" if self.settings.bench else "")
                              + " to capture calls of " + ", ".join(t.qualname for t in new))
            self._captures += 1   # each capture its own folder: its files are merged by target
            baselines, self.suite = capture(self.sandbox, self.ws.base, self.ws.scratch(f"capture{self._captures}"),
                                            new, self.settings.bench, self.settings.capture_limits)
            self.baselines.update(baselines)
        return {t.name: self.baselines[t.name] for t in targets}

    # -- optimize ---------------------------------------------------------------------
    def optimize(self, target: Target, proposers: list[Proposer], judge: Judge | None = None,
                 share: float | None = None, inputs: tuple[str, ...] = ()) -> TargetResult:
        """Propose, judge and choose for one target. `judge`: the real one (verification
        and measurement against the captured baseline) unless given. `share`: the
        target's share of the workload (from the profile when located by it). `inputs`:
        calls a person added ("((args...), {})" literals), every candidate checked on them."""
        config, notes = self.settings, []
        if share is None:
            share = next((h.share for h in self.hotspots if h.target == target), None)
        baseline = self.capture([target])[target.name]
        skipped = self._prepare(baseline, notes)
        if skipped:
            return self._skipped(target, notes, skipped, capture=baseline.summary())
        original = self.ws.original_text(target)
        iterating = any(p.iterative for p in proposers)
        self.events.stage(f"gathering what the model is shown about {target.qualname}" if iterating else
                          f"proposing candidates for {target.qualname}")
        # where the original spends its time, line by line: for the model's prompt and the report
        lines = line_profile(self.sandbox, self.ws.base, baseline)
        context = build_context(self.sandbox, self.ws, target, baseline, original, share, self.budget,
                                for_model=iterating, lines=lines)
        first = first_request(config.candidates)
        candidates = [c for p in proposers for c in p.propose(target, context, first.k)]
        shares = lines.shares() if lines else {}
        if not candidates:
            return self._skipped(target, notes, _nothing_to_try(target, proposers), shares, baseline.summary())
        unreached = unreached_note(target.name, baseline.coverage)   # matters once there are candidates
        notes.extend([unreached] if unreached else [])

        settings = replace(config.measure, threshold=config.min_speedup,   # extra rounds aim at the decision
                           timeout=worker_timeout(baseline, config.measure))
        calibration = None
        if config.metric == "time" and judge is None:   # instruction counts need no noise calibration
            self.events.stage(f"measuring this machine's noise: {target.qualname} against an identical copy")
            copy = self.ws.candidate_copy(target, original)
            try:
                settings, calibration, note = calibrate(self.sandbox, self.ws.base, copy, baseline, settings,
                                                        config.strictness)
            except MeasureError as exc:
                return self._skipped(target, notes, f"the original cannot be timed: {exc}")
            finally:
                self.ws.discard(copy)
            notes.extend([note] if note else [])
        if judge is None:
            suggest = next((p.suggest_inputs for p in proposers if p.suggest_inputs is not None), None)
            judge = CandidateJudge(config, self.ws, self.sandbox, baseline, self.suite, settings,
                                   SearchBudget(config.search_seconds, suggest, given=inputs))

        outcomes: list[Outcome] = []
        history, round_no, interrupted = [], 1, False
        try:
            while candidates:
                self.events.candidates(target.qualname, len(candidates))
                this_round = []
                for candidate in candidates:   # one by one: an interrupt keeps those judged
                    this_round.append(self._judge(judge, candidate, notes))
                    outcomes.append(this_round[-1])
                best = choose_winner(outcomes)
                history.append(best.measurement.speedup if best else 1.0)
                round_no += 1
                stop = stop_reason(round_no, config.model_rounds, self.budget.exhausted, history, share) \
                    if iterating else "no model"
                requests = [] if stop else next_requests(round_no, this_round, best, config.candidates)
                if not requests:
                    if iterating:
                        notes.append(f"{target.name}: {round_no - 1} model round(s); stopped: "
                                     f"{stop or 'nothing left to repair or refine'}")
                    break
                candidates = []
                for request in requests:
                    best_text = self._new_text(original, best) if request.mode == "refine" else ""
                    ctx = request_context(context, request, self.sandbox, self.ws, target, baseline,
                                          self.budget, best_text)
                    candidates += [c for p in proposers for c in p.propose(target, ctx, request.k)]
        except KeyboardInterrupt:   # what was judged stays judged; the front end keeps the winner
            interrupted = True
            notes.append(f"{target.name}: interrupted; the result holds the candidates judged so far")
        outcomes, winner, confirm_note = self._confirmed_winner(judge, outcomes)
        if confirm_note:
            interrupted = True
            notes.append(confirm_note)
        fates = final_fates(outcomes, winner)
        kept = next((o for o in fates if o.status == "kept"), None)
        result = TargetResult(target, fates, kept, self._new_text(original, kept) if kept else "", original,
                              calibration, tuple(notes), rounds=round_no - 1, interrupted=interrupted,
                              line_shares=shares, capture=baseline.summary())
        self.events.target_done(result)
        return result

    def _confirmed_winner(self, judge: Judge, outcomes: list[Outcome]) -> tuple[list[Outcome], Outcome | None, str]:
        """The best passed candidate that its judge's last check (`Judge.confirm`)
        upholds; each one refused is replaced by its new judgement and the next best
        is tried. Interrupted here, nothing is kept: the winner was not confirmed."""
        while (winner := choose_winner(outcomes)) is not None:
            if self.settings.winner_is_counted or self.settings.remeasure:
                self.events.stage(f"confirming {winner.candidate.origin} ({winner.candidate.step}), the best for "
                                  f"{winner.candidate.target.qualname}")
            try:
                confirmed = judge.confirm(winner)
            except KeyboardInterrupt:
                unconfirmed = replace(winner, status="undecided", reason=f"{winner.reason}; not confirmed: interrupted")
                return ([unconfirmed if o is winner else o for o in outcomes], None,
                        f"{winner.candidate.target.name}: interrupted while confirming {winner.candidate.origin}; "
                        "nothing kept")
            outcomes = [confirmed if o is winner else o for o in outcomes]
            if confirmed.status == "passed":
                return outcomes, confirmed, ""
            self.events.judged(confirmed)
        return outcomes, None, ""

    def _prepare(self, baseline: Baseline, notes: list[str]) -> str:
        """Record what the original does on its calls; why it cannot be optimized, if so."""
        notes.extend(baseline.capture_notes())   # calls seen but not captured, and why
        small = baseline.size_warning()
        if small:   # said now, not only in the closing list: it bears on every figure that follows
            notes.append(small)
            self.events.note(small)
        refusal = baseline.refusal(self.suite.failed() if self.suite else [])
        if refusal:
            return refusal
        if baseline.expected_file is None:   # once per target, however often it is optimized
            self.events.stage(f"replaying captured and generated calls of {baseline.target.qualname} on the original")
            notes.extend(record_expected(self.sandbox, self.ws.base, self.ws.scratch("run"), baseline, timeout=900,
                                         search_seconds=self.settings.search_seconds))
        if not baseline.workload:
            return f"no replayable captured calls of {baseline.target.name}: nothing to verify against or measure"
        return ""

    def _judge(self, judge: Judge, candidate: Candidate, notes: list[str]) -> Outcome:
        target = candidate.target
        self.events.stage(f"verifying and measuring {candidate.origin} ({candidate.step}) for {target.qualname}")
        outcome = judge.judge(candidate)
        if outcome.measurement:
            routes = _granted_routes_note(candidate, self.sandbox)
            notes.extend([routes] if routes else [])
        if candidate.origin.startswith("pattern:") and outcome.stage in NEAR_MISS_STAGES:
            notes.append(f"{candidate.origin} failed verification on {target.name}, so it is a bug "
                         f"in the pattern's preconditions (not kept): {outcome.reason}")
        self.events.judged(outcome)
        return outcome

    def _skipped(self, target: Target, notes: list[str], why: str, shares: dict | None = None,
                 capture: dict | None = None) -> TargetResult:
        notes.append(f"skipped {target.name}: {why}")
        result = TargetResult(target, notes=tuple(notes), skipped=why, line_shares=shares or {},
                              capture=capture or {})
        self.events.target_done(result)
        return result

    @staticmethod
    def _new_text(original: str, outcome: Outcome) -> str:
        c = outcome.candidate
        return replace_definition(original, c.target, c.source, c.imports)

    # -- keep -------------------------------------------------------------------------
    def keep(self, result: TargetResult, keeper: Keeper) -> Kept | None:
        """Hand the winner to the front end's keeper. A winner verified in a sandbox that
        isolates files also becomes a slow->fast example that later prompts retrieve."""
        if result.winner is None:
            return None
        kept = keeper.keep(result)
        if kept is not None and self.settings.objective == "time" and self.sandbox.isolates_files:
            target, m = result.target, result.winner.measurement
            KeptExamples().add(target.name, textwrap.dedent(target.source), result.winner.candidate.source,
                               m.speedup)
        return kept


def runnable_proposers(proposers: list[Proposer], chosen: str, sandbox: Sandbox) -> tuple[list[Proposer], str]:
    """Model-written code runs only where the sandbox isolates files, unless the user chose
    the process backend knowingly (--sandbox process). When "auto" fell back to it, the
    untrusted proposers are not asked at all (no cost, no code), the catalog still runs,
    and the note says what to do."""
    if chosen != "auto" or sandbox.isolates_files:
        return proposers, ""
    untrusted = [p for p in proposers if not p.trusted]
    if not untrusted:
        return proposers, ""
    names = ", ".join(p.name for p in untrusted)
    return ([p for p in proposers if p not in untrusted],
            f"not asking {names}: model-written code runs only in the bwrap sandbox, which cannot run here; "
            "install bubblewrap (Debian/Ubuntu: apt-get install -y bubblewrap), or pass --sandbox process "
            "to accept the risk. The offline pattern catalog still runs.")


def _nothing_to_try(target: Target, proposers: list[Proposer]) -> str:
    if proposers and all(p.trusted and not p.iterative for p in proposers):   # the offline catalog alone
        return (f"no catalog pattern applies to {target.qualname}; a model (--model) can propose rewrites")
    names = ", ".join(p.name for p in proposers)
    return f"no candidate for {target.qualname} from {names}"


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
