"""Block-level traces of one call (LDB-style): where a rejected candidate departs.

When a candidate behaves differently on a captured call, the original and the
candidate are traced on that call (bootstrap/tracer.py, in the sandbox) and
`first_divergence` points at the first block of the candidate whose state
departs from the original's. `render` is the text shown in the report and in a
repair prompt; `render_hits` is a cheap per-block profile for prompts.

Traces are compared per variable, not entry by entry: a candidate that merges or
splits blocks, or binds its variables in another order, still lines up. For each
variable both functions record with the same types (a list turned into a set is a
change of representation, not of behaviour), the sequence of distinct values it
takes is compared; the earliest candidate step where one sequence departs wins.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sandboxes import Sandbox

from .capture import Baseline
from .runs import python_env, worker_command
from .timeouts import trace_timeout


@dataclass
class Block:
    id: str
    first: int                      # absolute line numbers in the target's file
    last: int
    label: str                      # "for x in items", "if x not in seen", "lines 4-6"
    kind: str = "body"              # "body" for simple statements, else the header keyword
    names: tuple[str, ...] = ()

    def where(self) -> str:
        span = f"line {self.first}" if self.first == self.last else f"lines {self.first}-{self.last}"
        return self.label if self.kind == "body" else f"{self.label}, {span}"


@dataclass
class Entry:
    step: int
    block: str
    state: dict[str, str]
    digest: dict[str, str] = field(default_factory=dict)   # crc of values whose text was cut

    def key(self, name: str) -> tuple[str, str]:
        return self.state[name], self.digest.get(name, "")


@dataclass
class Trace:
    blocks: list[Block]
    entries: list[Entry]
    hits: dict[str, int]
    outcome: str                    # "return" or "raise"
    result: str                     # short repr of the value, or "Type: message"
    truncated: bool = False
    steps: int = 0                  # block exits in all, also those past the cap
    types: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict) -> Trace:
        blocks = [Block(str(b["id"]), int(b["first"]), int(b["last"]), str(b["label"]),
                        str(b.get("kind", "body")), tuple(map(str, b.get("names", ())))) for b in data["blocks"]]
        entries = [Entry(int(e["step"]), str(e["block"]), {str(k): str(v) for k, v in e["state"].items()},
                         {str(k): str(v) for k, v in e.get("digest", {}).items()}) for e in data["trace"]]
        return cls(blocks, entries, {str(k): int(v) for k, v in data["hits"].items()},
                   str(data["outcome"]), str(data["result"]), bool(data.get("truncated", False)),
                   int(data.get("steps", len(entries))),
                   {str(k): tuple(map(str, v)) for k, v in data.get("types", {}).items()})

    def block(self, block_id: str) -> Block | None:
        return next((b for b in self.blocks if b.id == block_id), None)

    def ending(self) -> str:
        return ("returned " if self.outcome == "return" else "raised ") + self.result


@dataclass
class Divergence:
    step: int                       # index of the candidate's entry (-1: past the recorded entries)
    block: Block | None             # the candidate's block there
    original_step: int
    original_block: Block | None    # the original's block at that point
    values: dict[str, tuple[str, str]]   # name -> (original value, candidate value)


def trace_call(sandbox: Sandbox, workspace: Path, baseline: Baseline, index: int) -> Trace | None:
    """Trace captured call `index` of the target as it is in `workspace`. None when it fails.
    The JSON may come from a candidate's process: it is parsed, never trusted further."""
    t = baseline.target
    if baseline.calls_file is None:
        return None
    env = python_env(workspace, [t])                  # creates workspace/.home
    out = workspace / ".home" / f"trace-{index}.json"
    out.unlink(missing_ok=True)
    cmd = worker_command("tracer.py", t.module, t.qualname, baseline.calls_file, index, out)
    result = sandbox.run(cmd, workspace, env=env, timeout=trace_timeout(baseline))
    if not result.ok or not out.exists():
        return None
    try:
        return Trace.from_json(json.loads(out.read_text()))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def hit_counts(trace: Trace) -> dict[str, int]:
    return {b.id: trace.hits.get(b.id, 0) for b in trace.blocks}


def render_hits(trace: Trace) -> str:
    lines = ["block     hits  where"]
    lines += [f"{b.id:<6}{trace.hits.get(b.id, 0):>7}  {b.where()}" for b in trace.blocks]
    return "\n".join(lines)


# --- first divergence -------------------------------------------------------------------------

def _histories(trace: Trace, names: list[str]) -> dict[str, list[Entry]]:
    """Per name, the entries where its value changed (its first binding included)."""
    out: dict[str, list[Entry]] = {n: [] for n in names}
    last: dict[str, tuple[str, str]] = {}
    for e in trace.entries:
        for n in names:
            if n in e.state and last.get(n) != e.key(n):
                last[n] = e.key(n)
                out[n].append(e)
    return out


def _align(src: dict[str, list[Entry]], dst: dict[str, list[Entry]], step: int, skip: str, n_dst: int) -> int:
    """The last step of the other trace that has not gone past `src` at `step` on any
    other variable: where the other trace stood when `src` made (or skipped) a change."""
    reached = {n: sum(1 for e in h if e.step <= step) for n, h in src.items() if n != skip}
    changes = sorted((e.step, n) for n, h in dst.items() if n != skip for e in h)
    count = dict.fromkeys(reached, 0)
    for s, n in changes:
        count[n] += 1
        if count[n] > reached[n]:
            return max(s - 1, 0)
    return max(n_dst - 1, 0)


def _value_at(history: list[Entry], name: str, step: int) -> str:
    seen = [e for e in history if e.step <= step]
    return seen[-1].state[name] if seen else "<unbound>"


def _departure(name: str, o: list[Entry], c: list[Entry], oh, ch, original: Trace, candidate: Trace):
    """(candidate step, original step, original value, candidate value) or None."""
    for a, b in zip(o, c):
        if a.key(name) != b.key(name):
            return b.step, a.step, a.state[name], b.state[name]
    k = min(len(o), len(c))
    if len(c) > k and not original.truncated:       # the candidate changes it once more
        step = c[k].step
        o_step = _align(ch, oh, step, name, len(original.entries))
        return step, o_step, _value_at(o, name, o_step), c[k].state[name]
    if len(o) > k and not candidate.truncated:      # the candidate never makes this change
        o_step = o[k].step
        step = _align(oh, ch, o_step, name, len(candidate.entries))
        return step, o_step, o[k].state[name], _value_at(c, name, step)
    return None


def first_divergence(original: Trace, candidate: Trace) -> Divergence | None:
    shared = [n for n in original.types if n in candidate.types
              and set(original.types[n]) == set(candidate.types[n])]
    oh, ch = _histories(original, shared), _histories(candidate, shared)
    found = [(d, n) for n in shared if (d := _departure(n, oh[n], ch[n], oh, ch, original, candidate))]
    ended = (original.outcome, original.result) != (candidate.outcome, candidate.result)
    if found:
        step = min(d[0] for d, _ in found)
        at = [(d, n) for d, n in found if d[0] == step]
        values = {n: (d[2], d[3]) for d, n in at}
        if ended and step == len(candidate.entries) - 1 and not candidate.truncated:
            values["outcome"] = (original.ending(), candidate.ending())   # it stopped here
        o_step = at[0][0][1]
        return Divergence(step, _block_at(candidate, step), o_step, _block_at(original, o_step), values)
    if ended:
        # Past the cap the states are unknown: do not pin the outcome on a recorded block.
        cut = original.truncated or candidate.truncated
        step, o_step = (-1, -1) if cut else (len(candidate.entries) - 1, len(original.entries) - 1)
        return Divergence(step, _block_at(candidate, step), o_step, _block_at(original, o_step),
                          {"outcome": (original.ending(), candidate.ending())})
    return None


def _block_at(trace: Trace, step: int) -> Block | None:
    return trace.block(trace.entries[step].block) if 0 <= step < len(trace.entries) else None


# --- rendering --------------------------------------------------------------------------------

def _entry_line(trace: Trace, e: Entry, mark: bool) -> str:
    b = trace.block(e.block)
    label = f" ({b.label})" if b else ""
    state = ", ".join(f"{k}={v}" for k, v in e.state.items())
    text = f"{'>>' if mark else '  '} [{e.step}] {e.block}{label}  {state}".rstrip()
    return text if len(text) <= 240 else text[:237] + "…"


def _render_trace(title: str, trace: Trace, focus: int | None, limit: int) -> list[str]:
    n = len(trace.entries)
    keep = set(range(min(limit, n))) | set(range(max(n - limit, 0), n))
    if focus is not None and focus >= 0:
        keep |= set(range(max(focus - 2, 0), min(focus + 3, n)))
    lines = [f"{title} ({n} entries{', cut; ' + str(trace.steps) + ' block exits in all' if trace.truncated else ''}):"]
    previous = -1
    for i in sorted(keep):
        if i > previous + 1:
            gap = i - previous - 1
            lines.append(f"   … {gap} {'entry' if gap == 1 else 'entries'} omitted …")
        lines.append(_entry_line(trace, trace.entries[i], i == focus))
        previous = i
    if trace.truncated:
        lines.append(f"   … trace cut after {n} entries …")
    lines.append(f"   {trace.ending()}")
    return lines


def render(original: Trace, candidate: Trace, divergence: Divergence | None, limit_blocks: int = 5) -> str:
    lines = ["Candidate blocks:"]
    lines += [f"  {b.id:<5} {b.where()}" for b in candidate.blocks]
    focus_c = divergence.step if divergence else None
    focus_o = divergence.original_step if divergence else None
    lines += _render_trace("Original trace", original, focus_o, limit_blocks)
    lines += _render_trace("Candidate trace", candidate, focus_c, limit_blocks)
    if divergence is None:
        lines.append("no departure found: the candidate's trace matches the original's on shared variables")
        return "\n".join(lines)
    ob = divergence.original_block
    if ob:
        lines.append(f"original at that point: block {ob.id} ({ob.where()}) at step {divergence.original_step}")
    values = "; ".join(f"{n}: original={o}, candidate={c}" for n, (o, c) in divergence.values.items())
    b = divergence.block
    where = f"candidate block {b.id} ({b.where()}) at step {divergence.step}" if b \
        else "after the recorded part of the traces"
    lines.append(f"first departure: {where}: {values}")
    return "\n".join(lines)


def explain(sandbox: Sandbox, base: Path, workspace: Path, baseline: Baseline, call: int | None) -> str:
    """Trace original and candidate on the first differing call and show where the
    candidate's state first departs (for the report, and for a model's repair round)."""
    if call is None:
        return ""
    original = trace_call(sandbox, base, baseline, call)
    candidate = trace_call(sandbox, workspace, baseline, call)
    if original is None or candidate is None:
        return ""
    return render(original, candidate, first_divergence(original, candidate))


def block_profile(sandbox: Sandbox, base: Path, baseline: Baseline) -> str:
    """Per-block hit counts of the original on its slowest captured call: a cheap
    profile by block for prompts ('' when it cannot be traced)."""
    if not baseline.workload:
        return ""
    slowest = max(baseline.workload, key=lambda i: baseline.call_seconds.get(str(i), 0.0))
    trace = trace_call(sandbox, base, baseline, slowest)
    return render_hits(trace) if trace is not None else ""
