"""`optimize review`: the pre-merge bot's engine, a function over a Session.

select (changes.py: the functions the change since the merge base adds or
modifies) -> skip those already suggested for this version of their code ->
rank by the workload's profile and cap (only when more than --max-targets
changed) -> capture -> optimize each with the same judge as `optimize run`,
the winner confirmed by the instruction count and timed once more
(RunSettings.remeasure) -> one `Suggestion` per winner: the lines of the
function it changes, as a replacement for the same lines of the head.

A review changes no file and makes no branch: it only suggests. Front ends
render the `Review` value (Markdown, JSON) and post it (github.py).
"""
from __future__ import annotations

import difflib
import hashlib
import re
import textwrap
import time
from dataclasses import dataclass, field

from .changes import changed_targets, diff_hunks, merge_base
from .model import Outcome, Target, TargetResult
from .explanation import caveats, explanation
from .protocols import Proposer
from .scrub import clean
from .session import Session, runnable_proposers
from .workspace import git_root

# The hidden line every suggestion carries: which function, which version of it, which candidate.
MARKER = "<!-- optimize:suggestion {path}::{qualname} {original} {candidate} -->"
_MARKER_RE = re.compile(r"<!-- optimize:suggestion (\S+)::(\S+) ([0-9a-f]{16}) ([0-9a-f]{16}) -->")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def version_key(target: Target) -> str:
    """The function's code as the head has it, hashed: unchanged code, unchanged key."""
    return _digest(textwrap.dedent(target.source).strip())


def suggested_before(texts: list[str]) -> set[tuple[str, str, str]]:
    """(path, qualname, version key) of every suggestion marker in earlier comments."""
    return {m.groups()[:3] for text in texts for m in _MARKER_RE.finditer(text or "")}


@dataclass(frozen=True)
class Suggestion:
    """A winner as a change of the head's file: lines [start_line, end_line] (1-based,
    from the git root's `path`) become `replacement`. `in_diff`: those lines lie in one
    hunk of the pull request's diff, where GitHub takes a one-click suggestion."""

    target: Target
    path: str
    start_line: int
    end_line: int
    replacement: str            # the new lines, indented as in the file, each ending in a newline
    outcome: Outcome            # the winner: verified, measured, confirmed, timed again
    in_diff: bool = True
    head_text: str = field(default="", repr=False)   # the head's whole file, for diffs

    @property
    def imports(self) -> tuple[str, ...]:
        """Module-level imports the candidate needs that the file lacks (not in the block)."""
        have = {i.strip() for i in self.target.imports}
        return tuple(i for i in self.outcome.candidate.imports if i.strip() not in have)

    @property
    def one_click(self) -> bool:
        return self.in_diff and not self.imports

    @property
    def marker(self) -> str:
        c = self.outcome.candidate
        return MARKER.format(path=self.path, qualname=self.target.qualname, original=version_key(self.target),
                             candidate=_digest(c.source + "\n".join(c.imports)))

    def apply_to(self, text: str) -> str:
        """`text` (the head's file) with the suggestion applied, as GitHub would."""
        lines = text.splitlines(keepends=True)
        return "".join(lines[:self.start_line - 1]) + self.replacement + "".join(lines[self.end_line:])

    def to_json(self) -> dict:
        m = self.outcome.measurement
        return {"path": self.path, "function": self.target.qualname, "name": self.target.name,
                "start_line": self.start_line, "end_line": self.end_line, "replacement": self.replacement,
                "imports": list(self.imports), "one_click": self.one_click, "origin": self.outcome.candidate.origin,
                "speedup": round(m.speedup, 4), "ci": [round(m.ci[0], 4), round(m.ci[1], 4)],
                "instructions_ratio": None if m.instructions is None else round(m.instructions, 4),
                "explanation": explanation(self.outcome), "evidence": self.outcome.evidence,
                "reason": self.outcome.reason, "fingerprint": self.marker}


@dataclass
class Review:
    """What a review found. `changed`: every function the change touched (after the
    ones already suggested); `results`: those optimized; `not_checkable`: no test or
    workload calls them; `beyond_cap`: not tried for --max-targets."""

    base: str
    merge_base: str
    changed: list[Target] = field(default_factory=list)
    already: list[Target] = field(default_factory=list)
    beyond_cap: list[Target] = field(default_factory=list)
    not_checkable: list[tuple[Target, str]] = field(default_factory=list)
    results: list[TargetResult] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    min_speedup: float = 1.2
    status: str = "running"
    duration_s: float = 0.0

    def to_json(self) -> dict:
        return {
            "base": self.base, "merge_base": self.merge_base, "status": self.status,
            "min_speedup": self.min_speedup, "duration_s": self.duration_s,
            "changed": [t.name for t in self.changed],
            "already_suggested": [t.name for t in self.already],
            "beyond_max_targets": [t.name for t in self.beyond_cap],
            "not_checkable": [{"name": t.name, "why": why} for t, why in self.not_checkable],
            "suggestions": [s.to_json() for s in self.suggestions],
            "results": [{"name": r.target.name, "skipped": r.skipped,
                         "candidates": [o.to_json() for o in r.outcomes]} for r in self.results],
            "notes": [clean(n) for n in self.notes],
        }


def review(session: Session, proposers: list[Proposer], since: str, *, max_suggestions: int = 3,
           suggested: set[tuple[str, str, str]] = frozenset(), label: str | None = None) -> Review:
    """Suggest faster versions of the functions the change since `since` touches.
    `suggested`: (path, qualname, version key) already suggested (suggested_before);
    those functions are not worked on again. `label`: how the base is named in the
    output (a branch name rather than the commit `since` may be). BadRevision before
    any event."""
    settings, events = session.settings, session.events
    started = time.time()
    root = settings.repo
    _, prefix, _ = git_root(root)
    out = Review(label or since, merge_base(root, since), min_speedup=settings.min_speedup)
    names = {t.name for t in changed_targets(root, since)}
    changed = [t for t in session.index if t.name in names]
    if not changed:
        out.notes.append("no function's code changed (edits of comments, docstrings and whitespace, tests, "
                         "vendored and generated files do not count)")
    out.already = [t for t in changed if (prefix + t.file, t.qualname, version_key(t)) in suggested]
    out.changed = [t for t in changed if t not in out.already]
    proposers, refusal = runnable_proposers(proposers, settings.sandbox, session.sandbox)
    for note in session.notes + ([refusal] if refusal else []):
        out.notes.append(note)
        events.note(note)
    session.notes.clear()
    hunks = diff_hunks(root, since)
    try:
        targets = _ranked(session, out.changed, settings.max_targets, out)
        if targets:
            baselines = session.capture(targets)
            for target in targets:
                if not baselines[target.name].n_calls:
                    out.not_checkable.append((target, baselines[target.name].refusal([])))
                    continue
                result = session.optimize(target, proposers)
                out.results.append(result)
                out.notes.extend(n for n in result.notes if not n.startswith("skipped "))   # skips: in the table
                if result.winner is not None:
                    out.suggestions.append(suggestion(result, prefix, hunks))
                if result.interrupted:
                    raise KeyboardInterrupt
        out.status = "completed"
    except KeyboardInterrupt:
        out.status = "interrupted"
        out.notes.append("interrupted: the review holds what was finished")
    finally:
        out.notes.extend(session.notes)
        out.duration_s = round(time.time() - started, 1)
    out.suggestions = sorted(out.suggestions, key=lambda s: -s.outcome.measurement.ci[0])[:max_suggestions]
    return out


def _ranked(session: Session, changed: list[Target], cap: int, out: Review) -> list[Target]:
    """All of them when they fit under the cap; else the cap's worth by the workload's profile."""
    if len(changed) <= cap:
        return changed
    session.locate_hotspots(len(session.index))
    share = {h.target.name: h.share for h in session.hotspots if h.target is not None}
    ranked = sorted(changed, key=lambda t: -share.get(t.name, 0.0))
    out.beyond_cap = ranked[cap:]
    out.notes.append(f"{len(changed)} functions changed: the {cap} with the largest share of the "
                     f"{'benchmark' if session.settings.bench else 'tests'}' time were tried (--max-targets)")
    return ranked[:cap]


def suggestion(result: TargetResult, prefix: str, hunks: dict[str, list[tuple[int, int]]]) -> Suggestion:
    """The winner's change as the fewest lines of the head's function to replace."""
    target, candidate = result.target, result.winner.candidate
    old = result.original_text.splitlines(keepends=True)[target.start_line - 1:target.end_line]
    new = textwrap.indent(textwrap.dedent(candidate.source).rstrip() + "\n", target.indent).splitlines(keepends=True)
    if old and not old[-1].endswith("\n"):
        old[-1] += "\n"   # the file's last line without a newline: the block gives it one
    ops = [op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not ops:   # the definition as it was (only imports differ): the whole function, said as is
        ops = [("replace", 0, len(old), 0, len(new))]
    i1, j1, i2, j2 = ops[0][1], ops[0][3], ops[-1][2], ops[-1][4]
    if i1 == i2:   # a pure insertion: a suggestion must replace at least one line
        if i1 > 0:
            i1, j1 = i1 - 1, j1 - 1
        else:
            i2, j2 = i2 + 1, j2 + 1
    start, end = target.start_line + i1, target.start_line + i2 - 1
    path = prefix + target.file
    in_diff = any(a <= start and end <= b for a, b in hunks.get(path, ()))
    return Suggestion(target, path, start, end, "".join(new[j1:j2]), result.winner, in_diff, result.original_text)


# -- rendering ---------------------------------------------------------------------------

def _fence(text: str, word: str) -> str:
    """A code fence longer than any run of backticks inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{word}\n{text}{'' if text.endswith(chr(10)) or not text else chr(10)}{ticks}"


def figures(s: Suggestion) -> str:
    m = s.outcome.measurement
    counted = f"; instructions {m.instructions:.2f}x" if m.instructions is not None else ""
    return f"**{m.speedup:.2f}x faster** [{m.ci[0]:.2f}, {m.ci[1]:.2f}]{counted}"


def evidence_line(outcome: Outcome) -> str:
    ev = outcome.evidence or {}
    tests = (ev.get("tests") or {}).get("passed", 0)
    calls = ev.get("calls") or {}
    by_kind = ", ".join(f"{n} {kind}" for kind, n in calls.items() if n)
    total = sum(n for n in calls.values() if isinstance(n, int))
    said = f"{tests} test{'s' * (tests != 1)} passed"
    if total:
        said += f"; the same results as the original on {total} calls ({by_kind})"
    return said


def comment_body(s: Suggestion) -> str:
    """One review comment: the figures, the evidence, why, and the suggestion block."""
    parts = [f"{figures(s)} — `{s.target.qualname}` "
             "(95% interval of the time per call, timed again against this pull request's version after it was "
             "chosen)",
             f"Verified: {evidence_line(s.outcome)}.",
             explanation(s.outcome)]
    parts += [f"**Caveat:** {c}" for c in caveats(s.outcome)]
    if s.imports:
        parts.append("It also needs, at module level (imports first, then any constant after the imports): " + ", ".join(f"`{i}`" for i in s.imports))
    parts.append(_fence(s.replacement, "suggestion"))
    parts.append(s.marker)
    return "\n\n".join(parts)


def diff_block(s: Suggestion) -> str:
    """The suggestion as a unified diff of the file, numbered as the head's lines are;
    its new lines alone when the head's text is not known."""
    if not s.head_text:
        return _fence(s.replacement, "python")
    text = s.head_text if s.head_text.endswith("\n") else s.head_text + "\n"
    lines, after = text.splitlines(keepends=True), s.apply_to(text).splitlines(keepends=True)
    out = []
    for line in difflib.unified_diff(lines, after, f"a/{s.path}", f"b/{s.path}", n=2):
        out.append(line if line.endswith("\n") else line + "\n")
    return _fence("".join(out), "diff")


def to_markdown(r: Review) -> str:
    """The whole review for a person: suggestions first, then what was tried."""
    n = len(r.suggestions)
    out = [f"## optimize review: {n} suggestion{'s' * (n != 1)}" if n else "## optimize review: no suggestion",
           "",
           f"Functions changed since `{r.base}` (merge base `{r.merge_base[:12]}`): "
           f"{len(r.changed) + len(r.already)}; tried {len(r.results)}; a suggestion needs a verified candidate "
           f"whose 95% interval clears {r.min_speedup:g}x, timed twice."
           + (" Interrupted: this is what was finished." if r.status == "interrupted" else "")]
    for s in r.suggestions:
        m_where = f"`{s.path}` line {s.start_line}" + (f"–{s.end_line}" if s.end_line != s.start_line else "")
        out += ["", f"### `{s.target.qualname}` in {m_where}", "",
                f"{figures(s)}. Verified: {evidence_line(s.outcome)}. {explanation(s.outcome)}"]
        out += [f"\n**Caveat:** {c}" for c in caveats(s.outcome)]
        if s.imports:
            out += ["", "Also needs, at module level (imports first, then any constant after the imports): " + ", ".join(f"`{i}`" for i in s.imports)]
        out += ["", diff_block(s)]
    rows = []
    for t in r.already:
        rows.append((t.name, "already suggested", "-", "a suggestion for this version of it was posted before"))
    for res in r.results:
        best = next((o for o in res.outcomes if o.status == "kept"), None)
        if best:
            m = best.measurement
            rows.append((res.target.name, "suggested", f"{m.speedup:.2f}x [{m.ci[0]:.2f}, {m.ci[1]:.2f}]",
                         f"{len(res.outcomes)} candidate(s) judged"))
        elif res.skipped:
            rows.append((res.target.name, "skipped", "-", res.skipped))
        else:
            measured = [o for o in res.outcomes if o.measurement]
            top = max(measured, key=lambda o: o.measurement.speedup, default=None)
            fig = f"{top.measurement.speedup:.2f}x [{top.measurement.ci[0]:.2f}, {top.measurement.ci[1]:.2f}]" \
                if top else "-"
            rows.append((res.target.name, f"nothing ({len(res.outcomes)} judged)", fig, _fates(res.outcomes)))
    for t, why in r.not_checkable:
        rows.append((t.name, "not checkable", "-", why))
    for t in r.beyond_cap:
        rows.append((t.name, "not tried", "-", "beyond --max-targets"))
    if rows:
        out += ["", "<details><summary>What was tried</summary>", "",
                "| function | result | best figure | why |", "|---|---|---|---|"]
        out += [f"| `{a}` | {b} | {c} | {_cell(d)} |" for a, b, c, d in rows]
        out += ["", "</details>"]
    for note in r.notes:
        out += ["", f"> {_cell(note)}"]
    return "\n".join(out) + "\n"


def comments_and_body(r: Review, inline: bool = True) -> tuple[list[dict], str]:
    """The review to post: one line comment per one-click suggestion, on the right side of
    the diff; the others (their lines outside the diff, or needing an import) in the body.
    inline=False: every suggestion in the body (when GitHub refuses the line comments)."""
    comments, others = [], []
    for s in r.suggestions:
        if not (s.one_click and inline):
            others.append(s)
            continue
        comment = {"path": s.path, "line": s.end_line, "side": "RIGHT", "body": comment_body(s)}
        if s.start_line != s.end_line:
            comment.update(start_line=s.start_line, start_side="RIGHT")
        comments.append(comment)
    n = len(r.suggestions)
    body = [f"**optimize** found {'a faster version' if n == 1 else f'faster versions'} of "
            f"{'a function' if n == 1 else f'{n} functions'} this pull request changes. Each was verified "
            f"against the tests and the calls they make, and timed against this pull request's version on this "
            f"runner: shown are speedups with 95% intervals, each clearing {r.min_speedup:g}x."]
    for s in others:
        why = ("its lines are outside this pull request's diff" if not s.in_diff else "it needs an import"
               if s.imports else "GitHub refused it as a line comment")
        body += ["", f"**`{s.target.qualname}`** in `{s.path}` (not a one-click suggestion: {why}): {figures(s)}. "
                     f"Verified: {evidence_line(s.outcome)}. {explanation(s.outcome)}",
                 *[f"\n**Caveat:** {c}" for c in caveats(s.outcome)],
                 "", diff_block(s),
                 "", s.marker]
    return comments, "\n".join(body)


def _fates(outcomes) -> str:
    """How a target's candidates fared, by kind: "2 failed the tests; 1 not fast enough"."""
    from collections import Counter

    def kind(o: Outcome) -> str:
        if o.status == "undecided":
            return "undecided (a busy machine)"
        if o.stage:
            return {"tests": "failed the tests", "equivalence": "behaved differently",
                    "evidence": "changed lines no call reached", "parse": "did not parse",
                    "capability": "refused by the capability check"}.get(o.stage, f"rejected at {o.stage}")
        if o.reason.startswith("same code as"):
            return "a duplicate"
        return "not fast enough" if o.measurement else o.reason.split(":")[0]

    return "; ".join(f"{n} {k}" for k, n in Counter(kind(o) for o in outcomes).most_common()) or "no candidate"


def _cell(text: str) -> str:
    """Text for a Markdown table cell: one line, no pipes, no HTML, capped."""
    text = clean(text, 300).replace("\n", " ").replace("|", "\\|").replace("<", "&lt;")
    return text
