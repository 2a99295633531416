"""`optimize session`: a person steers; every candidate is judged by the engine.

A thin front end over `Session`: the person picks the function (`/focus`),
says what matters (`/hint`), asks for candidates (`/gen`: the catalog, and the
model when one is configured) or types one (`/try`), and accepts one
(`/accept`: a branch and a patch, as `optimize run` keeps). Every candidate,
whoever wrote it, goes through `Session.optimize` with the run's judge, so it
is verified and measured before it appears in the table.

Input: prompt_toolkit on a terminal (history, completion of commands and
function names); otherwise lines from stdin or `--script FILE`, with plain
output, so a session can be scripted. Every event is appended to
`session.jsonl` in the run folder (schema 1), flushed as it happens.
"""
from __future__ import annotations

import json
import shlex
import textwrap
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from .errors import OptimizeError
from .model import Candidate, Kept, Outcome, Target, TargetResult
from .propose.base import ProposalContext
from .protocols import NullEvents, Proposer
from .scrub import clean
from .session import Session
from .target import replace_definition

SCHEMA = 1

COMMANDS = {
    "help": "list the commands",
    "hotspots": "profile the workload (or the tests) and list functions by their share of time",
    "focus": "NAME: work on one function (names as --target)",
    "hint": "TEXT: a constraint or idea every later model request for this function carries",
    "gen": "[N]: N candidates (default 2) from the model and the catalog, each judged as it comes",
    "try": "your own candidate: the whole function, ended by a line with a single '.'",
    "edit": "[ID]: write a candidate in $EDITOR, starting from the original (or candidate ID)",
    "table": "the candidates so far: fate, speedup with its interval, reason",
    "show": "ID: one candidate's code",
    "diff": "ID: one candidate against the original",
    "reject": "ID TEXT: record why a candidate is wrong (later model requests carry it)",
    "refine": "ID TEXT: ask the model to improve a candidate",
    "ask": "TEXT: ask the model for ideas (prose; nothing is run)",
    "inputs": "the calls the candidates are judged on; `/inputs add ARGS` adds yours (a literal argument tuple)",
    "accept": "ID [--apply]: keep it (a branch and a patch; --apply also edits the working tree)",
    "undo": "take the last accept back",
    "save": "flush the session log",
    "quit": "end the session",
}


class SessionLog:
    """session.jsonl: one JSON object per event, appended and flushed as it happens; and
    session.md beside it, the readable transcript (commands and what was said)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = open(path, "a")
        self._transcript = open(path.with_suffix(".md"), "a")

    def write(self, event: str, **fields) -> None:
        self._file.write(json.dumps({"v": SCHEMA, "t": round(time.time(), 3), "event": event, **fields}) + "\n")
        self._file.flush()
        if event == "command":
            self._transcript.write(f"\n**> `{fields.get('line', '')}`**\n\n")
            self._transcript.flush()

    def said(self, text: str) -> None:
        self._transcript.write("    " + text.replace("\n", "\n    ") + "\n")
        self._transcript.flush()

    def close(self) -> None:
        self._file.close()
        self._transcript.close()


def read_log(path: Path) -> list[dict]:
    """The events of a session.jsonl (a line cut short by a crash is skipped)."""
    events = []
    for line in path.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("v") == SCHEMA:
            events.append(event)
    return events


@dataclass
class HumanProposer:
    """The person's own candidate: their code, as trusted as their repository."""

    source: str
    name: str = "you"
    trusted: bool = True
    iterative: bool = False
    usage: None = None
    suggest_inputs: None = None

    def propose(self, target: Target, context: ProposalContext, k: int) -> list[Candidate]:
        return [candidate_from_text(target, self.source, self.name)]


@dataclass
class Steered:
    """A proposer asked with the session's hints, and for /refine, as a refinement of
    one candidate with the person's words as the feedback."""

    inner: Proposer
    hints: tuple[str, ...] = ()
    refine: Outcome | None = None
    feedback: str = ""

    def __getattr__(self, name):   # name, trusted, iterative, usage, suggest_inputs
        return getattr(self.inner, name)

    def propose(self, target: Target, context: ProposalContext, k: int) -> list[Candidate]:
        context = replace(context, hints=self.hints)
        if self.refine is not None:
            c = self.refine.candidate
            context = replace(context, mode="refine", step=f"session/refine-{_digest(c.source + self.feedback)}",
                              previous=c.source, previous_imports=c.imports, feedback=self.feedback)
        return self.inner.propose(target, context, k)


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:12]


def candidate_from_text(target: Target, text: str, origin: str) -> Candidate:
    """A typed candidate: import lines before the definition become its imports; a
    definition of another name, or code that does not parse, is refused with the reason."""
    import ast

    source = textwrap.dedent(text).strip("\n") + "\n"
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return Candidate(target, origin, source, error=f"syntax error on line {exc.lineno}: {exc.msg}")
    imports = tuple(ast.get_source_segment(source, n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)))
    defs = [n for n in tree.body if not isinstance(n, (ast.Import, ast.ImportFrom))]
    if len(defs) != 1 or not isinstance(defs[0], (ast.FunctionDef, ast.AsyncFunctionDef)) \
            or defs[0].name != target.func_name:
        return Candidate(target, origin, source, error=f"a candidate is one definition of {target.func_name} "
                                                       "(import lines before it are allowed)")
    first = defs[0].decorator_list[0].lineno if defs[0].decorator_list else defs[0].lineno
    body = "".join(source.splitlines(keepends=True)[first - 1:])
    return Candidate(target, origin, body, tuple(imports))


@dataclass
class Row:
    id: str
    outcome: Outcome


@dataclass
class Interactive:
    """The session's state and its commands. `say` prints one block of text."""

    session: Session
    proposers: list[Proposer]                 # the catalog, and the model's when configured
    log: SessionLog
    say: Callable[[str], None] = print
    model: Proposer | None = None             # the model's proposer, for /ask and /refine
    focus: Target | None = None
    hints: dict[str, list[str]] = field(default_factory=dict)
    inputs: dict[str, list[str]] = field(default_factory=dict)   # calls the person added, by target
    rows: list[Row] = field(default_factory=list)
    accepted: list[tuple[Kept, str]] = field(default_factory=list)   # (kept, the file's text before)
    done: bool = False

    def resume(self, events: list[dict]) -> None:
        """Pick up a logged session: its focus, hints and judged candidates (as judged then;
        a passed one can still be accepted). Earlier accepts stay on their branches."""
        from .model import Measurement

        targets: dict[str, Target] = {}

        def target(name: str) -> Target:
            if name not in targets:
                [targets[name]] = self.session.locate(name)
            return targets[name]

        accepted = 0
        for e in events:
            kind = e.get("event")
            if kind == "focus":
                self.focus = target(e["target"])
            elif kind == "hint" or kind == "reject" and e.get("target"):
                self.hints.setdefault(e["target"], []).append(e["text"] if kind == "hint" else e["reason"])
            elif kind == "input":
                self.inputs.setdefault(e["target"], []).append(e["call"])
            elif kind == "candidate":
                m = e.get("measurement")
                measurement = None if not m else Measurement(
                    m["speedup"], tuple(m["ci"]), 0.0, 0.0, m.get("samples", 0), workload=m.get("workload", ""),
                    metric=m.get("metric", "wall time"), instructions=m.get("instructions_ratio"))
                cand = Candidate(target(e["target"]), e["origin"], e["source"], tuple(e.get("imports", ())),
                                 step=e.get("step", ""))
                self.rows.append(Row(e["id"], Outcome(cand, e["status"], e.get("reason", ""), measurement,
                                                      stage=e.get("stage", ""))))
            elif kind == "accept":
                accepted += 1
            elif kind == "undo":
                accepted -= 1
        self.log.write("resume", candidates=len(self.rows))
        self.say(f"resumed: {len(self.rows)} candidate(s)"
                 + (f", focus {self.focus.qualname}" if self.focus else "")
                 + (f"; {accepted} accepted earlier (on their branches; /undo does not reach them)" if accepted
                    else ""))

    # -- the loop ----------------------------------------------------------------------------
    def run(self, lines: Iterator[str]) -> None:
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                self.command(line, lines)
            except KeyboardInterrupt:
                self.say("interrupted: back at the prompt (what was judged stays in the table)")
            except (SessionUsage, OptimizeError) as exc:
                self.say(f"error: {exc}")
            if self.done:
                break

    def command(self, line: str, lines: Iterator[str]) -> None:
        word, _, rest = line.partition(" ")
        name = resolve_command(word.lstrip("/"))
        if name is None:
            self.say(f"unknown command {word!r}; /help lists them")
            return
        self.log.write("command", line=line)
        getattr(self, "cmd_" + name)(rest.strip(), lines)

    # -- commands ----------------------------------------------------------------------------
    def cmd_help(self, rest, lines):
        self.say("\n".join(f"/{name:<9} {what}" for name, what in COMMANDS.items()))

    def cmd_hotspots(self, rest, lines):
        self.session.locate_hotspots(10)
        if not self.session.hotspots:
            self.say("the profile credited no time to the repository's own functions")
        for h in self.session.hotspots[:10]:
            self.say(f"{100 * h.share:5.1f}%  {h.name}")

    def cmd_focus(self, rest, lines):
        [target] = self.session.locate(rest)
        self.focus = target
        baseline = self.session.capture([target])[target.name]
        self.log.write("focus", target=target.name)
        self.say(f"{target.name} ({target.file}:{target.start_line}); {baseline.n_calls} captured call(s) from "
                 f"{len(baseline.tests)} test(s)\n{textwrap.dedent(target.source)}")

    def cmd_hint(self, rest, lines):
        target = self._focused()
        self.hints.setdefault(target.name, []).append(rest)
        self.log.write("hint", target=target.name, text=rest)
        self.say(f"noted for {target.qualname}: {rest}")

    def cmd_gen(self, rest, lines):
        target = self._focused()
        n = int(rest) if rest.isdigit() else 2
        hints = tuple(self.hints.get(target.name, ()))
        self._judge(target, [Steered(p, hints) for p in self.proposers], n)

    def cmd_try(self, rest, lines):
        target = self._focused()
        typed = []
        for line in lines:
            if line.rstrip("\n") == ".":
                break
            typed.append(line.rstrip("\n"))
        self._judge(target, [HumanProposer("\n".join(typed))], 1)

    def cmd_edit(self, rest, lines):
        """The focused function (or candidate ID's code) in $EDITOR; what is saved is judged."""
        import os
        import subprocess
        import tempfile

        target = self._focused()
        start = self._row(rest)[0].outcome.candidate.source if rest else textwrap.dedent(target.source)
        with tempfile.NamedTemporaryFile("w+", suffix=".py", delete=False) as f:
            f.write(start)
        try:
            editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
            if subprocess.run([*shlex.split(editor), f.name]).returncode != 0:
                self.say("the editor failed: nothing judged")
                return
            text = Path(f.name).read_text()
        finally:
            Path(f.name).unlink(missing_ok=True)
        if text.strip() == start.strip():
            self.say("unchanged: nothing judged")
            return
        self._judge(target, [HumanProposer(text)], 1)

    def cmd_refine(self, rest, lines):
        row, text = self._row(rest)
        if self.model is None:
            self.say("/refine needs a model (--model)")
            return
        self._judge(row.outcome.candidate.target,
                    [Steered(self.model, tuple(self.hints.get(row.outcome.candidate.target.name, ())),
                             refine=row.outcome, feedback=text)], 1)

    def cmd_ask(self, rest, lines):
        target = self._focused()
        if self.model is None or not hasattr(self.model, "ask"):
            self.say("/ask needs a model (--model)")
            return
        answer = clean(self.model.ask(target, rest, tuple(self.hints.get(target.name, ()))), 4000)
        self.log.write("ask", target=target.name, question=rest, answer=answer)
        self.say(answer)

    def cmd_reject(self, rest, lines):
        row, text = self._row(rest)
        target = row.outcome.candidate.target
        self.hints.setdefault(target.name, []).append(f"Rejected idea ({row.id}): {text}")
        self.log.write("reject", id=row.id, target=target.name, reason=f"Rejected idea ({row.id}): {text}")
        self.say(f"{row.id} marked wrong: {text} (later requests for {target.qualname} carry it)")

    def cmd_table(self, rest, lines):
        if not self.rows:
            self.say("no candidates yet: /gen or /try")
        for row in self.rows:
            o, m = row.outcome, row.outcome.measurement
            speed = f"{m.speedup:.2f}x [{m.ci[0]:.2f}, {m.ci[1]:.2f}]" if m else "-"
            self.say(f"{row.id:<4} {o.candidate.target.qualname:<20} {o.candidate.origin:<28} {o.status:<9} "
                     f"{speed:<22} {o.reason[:160]}")

    def cmd_show(self, rest, lines):
        row, _ = self._row(rest)
        c = row.outcome.candidate
        self.say("\n".join(c.imports) + ("\n\n" if c.imports else "") + c.source)

    def cmd_diff(self, rest, lines):
        row, _ = self._row(rest)
        self.say(row.outcome.diff() or "(no change)")

    def cmd_inputs(self, rest, lines):
        """The calls candidates are judged on; `/inputs add ARGS` adds one of yours: an
        argument tuple literal, e.g. `/inputs add ([3, 1, 3], )`, or one bare argument."""
        from .verify.search import parse_suggestions

        target = self._focused()
        given = self.inputs.setdefault(target.name, [])
        if rest.startswith("add"):
            expr = rest[3:].strip()
            calls, skipped = parse_suggestions([expr]) if expr else ([], 1)
            if skipped or not calls:
                self.say("error: /inputs add takes a literal argument tuple, e.g. ([3, 1, 3],) or 'text'")
                return
            call = calls[0]
            given.append(call)
            self.log.write("input", target=target.name, call=call)
            self.say(f"added for {target.qualname}: {call}; every later candidate is checked on it")
            return
        baseline = self.session.capture([target])[target.name]
        self.say(f"{baseline.n_calls} captured call(s) of {target.qualname} from {len(baseline.tests)} test(s); "
                 f"{baseline.seen_calls} call(s) seen" + ("; " + "; ".join(baseline.capture_notes())
                                                          if baseline.capture_notes() else ""))
        for call in given:
            self.say(f"  yours: {call}")

    def cmd_accept(self, rest, lines):
        from .keep import BranchKeeper

        args = shlex.split(rest)
        apply = "--apply" in args
        row, _ = self._row(" ".join(a for a in args if a != "--apply"))
        o = row.outcome
        if o.status != "passed":
            self.say(f"{row.id} is {o.status}: only a verified, significantly faster candidate can be accepted")
            return
        target, settings = o.candidate.target, self.session.settings
        original = self.session.ws.original_text(target)
        new_text = replace_definition(original, target, o.candidate.source, o.candidate.imports)
        result = TargetResult(target, (replace(o, status="kept"),), replace(o, status="kept"), new_text, original)
        kept = self.session.keep(result, BranchKeeper(settings.repo, settings.out_dir, apply=apply))
        self.accepted.append((kept, original))
        self.log.write("accept", id=row.id, target=target.name, branch=kept.branch, patch=kept.patch_file,
                       applied=kept.applied, speedup=o.measurement.speedup, ci=list(o.measurement.ci))
        self.say(f"accepted {row.id}: {o.measurement.speedup:.2f}x -> {kept.branch or 'no branch'}, patch "
                 f"{kept.patch_file}" + (" (applied)" if kept.applied else "")
                 + "".join(f"\n! {n}" for n in kept.notes))

    def cmd_undo(self, rest, lines):
        from .workspace import git_root

        if not self.accepted:
            self.say("nothing accepted to undo")
            return
        kept, original = self.accepted.pop()
        settings = self.session.settings
        said = []
        if kept.branch:
            git, _, _ = git_root(settings.repo)
            git.git.branch("-D", kept.branch)
            said.append(f"deleted branch {kept.branch}")
        if kept.applied:
            path = settings.repo / kept.target.file
            path.write_text(original)
            said.append(f"restored {kept.target.file}")
        Path(kept.patch_file).unlink(missing_ok=True)
        self.log.write("undo", target=kept.target.name, branch=kept.branch)
        self.say("undone: " + (", ".join(said) or "removed the patch"))

    def cmd_save(self, rest, lines):
        self.say(f"saved: {self.log.path}")

    def cmd_quit(self, rest, lines):
        self.done = True

    # -- helpers -----------------------------------------------------------------------------
    def _focused(self) -> Target:
        if self.focus is None:
            raise SessionUsage("no function in focus: /focus NAME first")
        return self.focus

    def _row(self, rest: str) -> tuple[Row, str]:
        rid, _, text = rest.partition(" ")
        row = next((r for r in self.rows if r.id == rid), None)
        if row is None:
            raise SessionUsage(f"no candidate {rid!r}; /table lists them")
        return row, text.strip()

    def _judge(self, target: Target, proposers: list[Proposer], n: int) -> None:
        """Candidates through the engine: verified and measured before they are shown."""
        settings, events = self.session.settings, self.session.events
        recorder = _Judgements(events)
        self.session.settings = replace(settings, candidates=n, model_rounds=1)
        self.session.events = recorder
        try:
            result = self.session.optimize(target, proposers, inputs=tuple(self.inputs.get(target.name, ())))
        finally:
            self.session.settings, self.session.events = settings, events
        if result.skipped:
            self.say(f"nothing judged: {result.skipped}")
            return
        for o in result.outcomes:
            # The engine chose a winner among the passed ones; here the person chooses, so
            # each candidate shows its own judgement (the winner's as confirmed).
            if result.winner is not None and o.candidate is result.winner.candidate:
                o = replace(result.winner, status="passed")
            else:
                o = recorder.judged_as.get(id(o.candidate), o)
            row = Row(f"c{len(self.rows) + 1}", o)
            self.rows.append(row)
            m = o.measurement
            self.log.write("candidate", id=row.id, target=target.name, origin=o.candidate.origin,
                           step=o.candidate.step, source=o.candidate.source, imports=list(o.candidate.imports),
                           status=o.status, reason=o.reason, stage=o.stage,
                           measurement=m.to_json() if m else None)
            speed = f" {m.speedup:.2f}x [{m.ci[0]:.2f}, {m.ci[1]:.2f}]" if m else ""
            self.say(f"{row.id} {o.candidate.origin}: {o.status}{speed}: {o.reason[:300]}")


class _Judgements:
    """Passes events on and remembers each candidate's last judgement."""

    def __init__(self, inner):
        self.inner = inner
        self.judged_as: dict[int, Outcome] = {}

    def judged(self, outcome: Outcome) -> None:
        self.judged_as[id(outcome.candidate)] = outcome
        self.inner.judged(outcome)

    def __getattr__(self, name):
        return getattr(self.inner, name)


class PlainEvents(NullEvents):
    """Stages and notes as plain lines; the rest is the session's own to print (its table)."""

    def __init__(self, say: Callable[[str], None]):
        self.say = say

    def stage(self, text: str) -> None:
        self.say(f"» {clean(text)}")

    def note(self, text: str) -> None:
        self.say(f"! {clean(text)}")


class SessionUsage(Exception):
    """A command used wrongly: said to the person, the session goes on."""


def resolve_command(word: str) -> str | None:
    """The command a word names: exact, or an unambiguous prefix."""
    if word in COMMANDS:
        return word
    matches = [c for c in COMMANDS if c.startswith(word)] if word else []
    return matches[0] if len(matches) == 1 else None


def script_lines(source) -> Iterator[str]:
    for line in source:
        yield line.rstrip("\n")


def completer(names: list[str]):
    """Completion of the commands, and of function names after them."""
    from prompt_toolkit.completion import WordCompleter

    return WordCompleter([f"/{c}" for c in COMMANDS] + names, WORD=True)


def terminal_lines(names: list[str], history: Path) -> Iterator[str]:
    """Lines from a prompt_toolkit prompt: history, completion of commands and names.
    Ctrl-D ends the session; Ctrl-C on an empty prompt asks for /quit."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    prompt = PromptSession(history=FileHistory(str(history)), completer=completer(names))
    while True:
        try:
            yield prompt.prompt("optimize> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            return


