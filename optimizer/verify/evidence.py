"""How strong the evidence for a candidate is: did the compared calls run what it changed?

Passing the tests and giving the same outcome on every compared call proves a
candidate only on the paths those calls took. This module (pure functions, on
the host) finds the lines a candidate changed and asks whether the calls ran them:

- **Changed lines of the original**: the candidate's definition is diffed against
  the original's (difflib, line by line, trailing spaces ignored). Lines replaced
  or deleted are changed; a pure insertion counts as a change of the original line
  just before it (the code runs where that line leaves off; at the very top, the
  first line). Blank and comment lines are ignored, and so is a hunk that only
  adds or removes such lines.
- **Reached**, for a changed line of the original, per the blocks the original's
  replay reached (`blockreach.Shape.summary`, Baseline.coverage):
  - a line inside a basic block: that block was reached;
  - the decorators, the `def` line and the docstring: the function was called;
  - a line in no block (`else:`, `finally:`) or in a `try:` block (no line event
    shows `try:`): the next block after it;
  - **a changed branch header** (`if`, `elif`, `while`, `for` with its body on
    later lines) needs more than its block: both of its directions must have
    been taken (true and false; entered and left). Decided so because a header
    is where behaviour forks: `if x > 0` rewritten as `if True` is reached on
    every call that passes positives, and only the false direction would show
    the difference. (`while True` headers are exempt: they have no false
    direction.) A one-line `if x: return` cannot be split by line events and
    counts as its block.
- **The candidate's own new lines**: code a candidate adds can hide a branch the
  original does not have (`if s == "xyzzy":` + `return 0` inserted before reached
  code: the insertion point is reached, the new branch never runs). So the
  lines it added or rewrote that lie in its own basic blocks (not blank,
  comment, `else:` or head lines) must lie in blocks its traced rerun executed.
  Those line numbers come from the candidate's process
  (replay.candidate_reach) and a cheater could forge them: they can only loosen
  this one extra check, never the equivalence itself. Branches inside one line
  (one-line `if` bodies, conditional expressions, `and`/`or`) are invisible to
  line events, on both sides.

A candidate whose changed lines were not all reached is rejected at stage
"evidence" (`the changed lines 12–14 were never reached by a compared call`),
or, with --accept-unreached, passes at the weak level with that warning.
"""
from __future__ import annotations

import difflib
import importlib
import sys
import textwrap

from ..model import Target
from ..scrub import clean
from .runs import BOOTSTRAP

STRONG = "proven on reached paths"
WEAK = "weak: changed lines unreached (accepted by --accept-unreached)"
INSUFFICIENT = "insufficient: changed lines unreached"
TESTS_ONLY = "tests only"
MAX_GAPS = 20
_CONSTANT_LOOPS = ("while True", "while 1")


def changed_lines(original: str, original_first: int, candidate: str, candidate_first: int
                  ) -> tuple[list[int], list[int]]:
    """(changed lines of the original, new or rewritten lines of the candidate), both
    absolute in their files. `original`/`candidate`: the definitions' text, whose line 1
    is line `*_first` of the file."""
    hunks = _hunks(original, original_first, candidate, candidate_first)
    return sorted({n for old, _ in hunks for n in old}), sorted({n for _, new in hunks for n in new})


def _hunks(original: str, original_first: int, candidate: str, candidate_first: int
           ) -> list[tuple[list[int], list[int]]]:
    """Per differing hunk: (its changed lines of the original, its lines of the candidate)."""
    a = [line.rstrip() for line in original.splitlines()]
    b = [line.rstrip() for line in candidate.splitlines()]
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal" or (all(_inert(x) for x in a[i1:i2]) and all(_inert(x) for x in b[j1:j2])):
            continue
        old = [i for i in range(i1, i2) if not _inert(a[i])]
        if i1 == i2:   # a pure insertion: it runs where the line before it leaves off
            old.append(max(i1 - 1, 0))
        out.append(([i + original_first for i in old],
                    [j + candidate_first for j in range(j1, j2) if not _inert(b[j])]))
    return out


def _inert(line: str) -> bool:
    text = line.strip()
    return not text or text.startswith("#")


def assess(original: Target, candidate: Target | None, coverage: dict, candidate_reach: dict | None
           ) -> dict:
    """The evidence about the changed lines: {"original": changed lines, "unreached": those
    never reached, "directions": [(line, label, missing word)], "candidate": its new
    executable lines, "candidate_unreached": those its rerun never ran, "problems": the
    reasons in plain words ([] when every changed line was reached)}."""
    if candidate is None:
        return {"original": [], "unreached": [], "directions": [], "candidate": [], "candidate_unreached": [],
                "problems": ["the candidate's definition could not be found in its file"]}
    hunks = _hunks(textwrap.dedent(original.source), original.start_line,
                   textwrap.dedent(candidate.source), candidate.start_line)
    old, new = sorted({n for o, _ in hunks for n in o}), sorted({n for _, c in hunks for n in c})
    problems = []
    if coverage.get("blocks"):
        unreached, directions = _original_side(old, coverage)
    else:
        unreached, directions = [], []
        if old:
            problems.append("which lines of the original the compared calls reached could not be measured")
    cand_lines = _executable(new, candidate)
    if candidate_reach is None:
        cand_unreached = cand_lines
    else:
        ran = set(candidate_reach.get("lines", []))
        blocks = _candidate_blocks(candidate)
        cand_unreached = [n for n in cand_lines
                          if not any(b.first <= n <= b.last and any(m in ran for m in range(b.first, b.last + 1))
                                     for b in blocks)]
    if unreached:
        problems.append(f"the changed {_span_words(unreached)} {'was' if len(unreached) == 1 else 'were'} "
                        "never reached by a compared call")
    for line, label, word in directions:
        problems.append(f"the changed line {line} ({label}) was never {word} on a compared call")
    # The candidate's side of a hunk whose original side was never reached adds nothing to say.
    explained = {n for o, c in hunks if set(o) & set(unreached) for n in c}
    untold = [n for n in cand_unreached if n not in explained]
    if untold:
        verb = "never ran on a compared call" if candidate_reach is not None else \
            "could not be traced on the compared calls"
        problems.append(f"the candidate's new {_span_words(untold)} {verb}")
    return {"original": old, "unreached": unreached, "directions": [list(d) for d in directions],
            "candidate": cand_lines, "candidate_unreached": cand_unreached, "problems": problems}


def _original_side(lines: list[int], coverage: dict) -> tuple[list[int], list[tuple[int, str, str]]]:
    blocks = sorted(coverage["blocks"], key=lambda b: (b["first"], int(b["id"][1:])))
    reached = set(coverage.get("reached", []))
    directions = coverage.get("directions", {})
    called = bool(reached)
    head_end = blocks[0]["first"]
    unreached, missing = [], []
    for line in lines:
        block = next((b for b in blocks if b["first"] <= line <= b["last"] and b["kind"] != "try"), None)
        if block is None:
            if line < head_end:          # decorators, def line, docstring
                if not called:
                    unreached.append(line)
                continue
            block = next((b for b in blocks if b["first"] > line and b["kind"] != "try"), None) \
                or next((b for b in reversed(blocks) if b["last"] < line and b["kind"] != "try"), None)
            if block is None:
                continue
        if block["id"] not in reached:
            unreached.append(line)
        elif block["id"] in directions and block["label"] not in _CONSTANT_LOOPS:
            for direction in ("taken", "not taken"):
                if direction not in directions[block["id"]]:
                    missing.append((line, block["label"], _word(block["kind"], direction)))
    return unreached, _first_per_line(missing)


def _first_per_line(missing):
    seen, out = set(), []
    for line, label, word in missing:
        if line not in seen:
            seen.add(line)
            out.append((line, label, word))
    return out


def _word(kind: str, direction: str) -> str:
    if kind in ("for", "while"):
        return "entered" if direction == "taken" else "left"
    return "true" if direction == "taken" else "false"


def _executable(lines: list[int], candidate: Target) -> list[int]:
    """The lines that lie in the candidate's basic blocks (a `try:` line has no event of its own)."""
    blocks = [b for b in _candidate_blocks(candidate) if b.kind != "try"]
    return [n for n in lines if any(b.first <= n <= b.last for b in blocks)]


def _candidate_blocks(candidate: Target) -> list:
    try:
        return _tracer().basic_blocks(textwrap.dedent(candidate.source), candidate.start_line)
    except (SyntaxError, StopIteration, ValueError):
        return []


_TRACER = None


def _tracer():
    """bootstrap/tracer.py, a standalone script (it imports harness from its own folder),
    loaded without leaving its folder on sys.path or its plain names in sys.modules."""
    global _TRACER
    if _TRACER is None:
        before = {name: sys.modules.get(name) for name in ("tracer", "harness")}
        sys.path.insert(0, str(BOOTSTRAP))
        try:
            sys.modules.pop("tracer", None)
            _TRACER = importlib.import_module("tracer")
        finally:
            sys.path.remove(str(BOOTSTRAP))
            for name, module in before.items():
                if module is None:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = module
    return _TRACER


def spans(lines: list[int]) -> str:
    """[12, 13, 14, 20] -> '12–14 and 20'."""
    runs: list[list[int]] = []
    for n in sorted(set(lines)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    parts = [str(a) if a == b else f"{a}–{b}" for a, b in runs]
    if len(parts) > 6:
        parts = parts[:6] + [f"{len(parts) - 6} more"]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _span_words(lines: list[int]) -> str:
    return ("line " if len(lines) == 1 else "lines ") + spans(lines)


def summary(coverage: dict) -> dict:
    """The original's block coverage for the evidence record: counts and the gaps (capped)."""
    if not coverage.get("blocks"):
        return {}
    gaps = [clean(g, 200) for g in coverage.get("gaps", [])]
    directions = coverage.get("directions", {})
    missing = sum(2 - len(v) for k, v in directions.items() if k in set(coverage.get("reached", [])))
    return {"reached": len(coverage.get("reached", [])), "countable": coverage.get("countable", 0),
            "branches": coverage.get("branches", 0), "directions_missing": missing,
            "gaps": gaps[:MAX_GAPS], **({"gaps_left_out": len(gaps) - MAX_GAPS} if len(gaps) > MAX_GAPS else {})}


def unreached_note(name: str, coverage: dict) -> str:
    """Once per target: the original's blocks no compared call reached ('' when none)."""
    if not coverage.get("blocks"):
        return ""
    never = [g[: -len(" never ran")] for g in coverage.get("gaps", []) if g.endswith(" never ran")]
    if not never:
        return ""
    shown = ", ".join(never[:5]) + (f" and {len(never) - 5} more" if len(never) > 5 else "")
    were = "was" if len(never) == 1 else "were"
    return (f"{name}: {len(never)} of {coverage.get('countable', 0)} blocks of the original {were} never reached "
            f"by a compared call: {shown}. A candidate that changes them is rejected unless --accept-unreached")
