"""Per-line time profile of a target on its captured workload, for prompts.

Feeding a model the share of time each line takes drives better revisions
(SOAP, EffiLearner): the optimize prompt shows the target's source with a
percentage beside each line, and a refine round shows the same for a kept
candidate. The profile comes from bootstrap/lineprof.py, run in the sandbox on
the workload's calls with a tracer on the target's own frames (time spent in
callees is charged to the calling line).

Line numbers are absolute in the module's file. `annotate` takes the absolute
line of the first line of the source it is given:
  - the original: `first_line_of(target)`, i.e. `Target.start_line` (the first
    line of the definition, its first decorator's if decorated; the source in
    the prompt, `textwrap.dedent(target.source)`, starts on that line);
  - any profiled code (the original or a candidate's copy): `profile.first_line`,
    the traced function's co_firstlineno as the worker saw it (also the first
    decorator's line). Prefer it for a candidate: imports that
    replace_definition adds at the top of the module shift its definition down.
The worker's output may come from a candidate's process: it is parsed and
checked, never trusted; anything malformed gives no profile.
"""
from __future__ import annotations

import json
import math
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sandboxes import Sandbox

from ..model import Target
from ..verify.capture import Baseline
from ..verify.runs import new_seal, python_env, worker_command

MAX_CALLS = 20                 # of the workload, the first ones
MAX_OUTPUT_BYTES = 4_000_000   # a sane profile of one function is a few kilobytes
MAX_LINES = 100_000


@dataclass
class LineProfile:
    seconds: dict[int, float]                     # absolute line -> seconds (callees included)
    hits: dict[int, int] = field(default_factory=dict)   # absolute line -> times it started
    first_line: int = 0                           # the traced code's co_firstlineno (0: unknown)
    passes: int = 0                               # passes over the calls the worker made

    def total(self) -> float:
        return sum(self.seconds.values())

    def shares(self) -> dict[int, float]:
        """Line -> fraction of the total time (the fractions sum to 1; {} when no time)."""
        total = self.total()
        if total <= 0:
            return {}
        return {line: s / total for line, s in self.seconds.items()}

    @classmethod
    def from_json(cls, data: object) -> LineProfile:
        """From the worker's JSON; ValueError/TypeError on anything unexpected."""
        if not isinstance(data, dict):
            raise TypeError("not an object")
        lines, hits = data["lines"], data.get("hits", {})
        if not isinstance(lines, dict) or not isinstance(hits, dict) or len(lines) + len(hits) > MAX_LINES:
            raise TypeError("lines/hits")
        seconds = {_line(k): _seconds(v) for k, v in lines.items()}
        counts = {_line(k): _count(v) for k, v in hits.items()}
        first, passes = data.get("first_line", 0), data.get("passes", 0)
        if type(first) is not int or type(passes) is not int or first < 0 or passes < 0:
            raise TypeError("first_line/passes")
        return cls(seconds, counts, first, passes)


def _line(key: object) -> int:
    if not isinstance(key, str) or not (key.isascii() and key.isdigit()) or len(key) > 9 or int(key) < 1:
        raise ValueError(f"bad line number {key!r}")
    return int(key)


def _seconds(value: object) -> float:
    if type(value) not in (int, float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"bad seconds {value!r}")
    return float(value)


def _count(value: object) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"bad count {value!r}")
    return value


def first_line_of(target: Target) -> int:
    """The absolute line of the first line of `target.source` (and of its dedented text):
    the definition's first line, decorators included."""
    return target.start_line


def lineprofile_timeout(baseline: Baseline, indices: list[int]) -> float:
    """Tracing slows a call down some 50-fold; the worker stops after about 2 s of passes."""
    calls = sum(baseline.call_seconds.get(str(i), 0.0) for i in indices)
    return 10 + 2 * baseline.startup_seconds + 100 * calls


def line_profile(sandbox: Sandbox, workspace: Path, baseline: Baseline) -> LineProfile | None:
    """The per-line profile of the target as it is in `workspace` over (the first calls of)
    the workload. None when there is nothing to run, the worker fails, or its output is
    malformed or empty; never raises for what the worker wrote."""
    t = baseline.target
    indices = list(baseline.workload[:MAX_CALLS])
    if baseline.calls_file is None or not indices:
        return None
    env = python_env(workspace, [t])                  # creates workspace/.home
    tag = secrets.token_hex(4)
    indices_file = workspace / ".home" / f"lineprof-{tag}-indices.json"
    out = workspace / ".home" / f"lineprof-{tag}.json"
    indices_file.write_text(json.dumps(indices))
    seal = new_seal()
    try:
        cmd = worker_command("lineprof.py", t.module, t.qualname, baseline.calls_file, indices_file, out)
        result = sandbox.run(cmd, workspace, env=env, timeout=lineprofile_timeout(baseline, indices),
                             stdin=seal + "\n")
        if not result.ok or not out.is_file() or out.stat().st_size > MAX_OUTPUT_BYTES:
            return None
        data = json.loads(out.read_bytes())
        if not isinstance(data, dict) or data.get("seal") != seal:
            return None                               # not written by the worker: forged
        profile = LineProfile.from_json(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OverflowError):
        return None
    finally:
        indices_file.unlink(missing_ok=True)
        out.unlink(missing_ok=True)
    return profile if profile.total() > 0 else None


def annotate(source: str, first_line: int, profile: LineProfile | None, min_share: float = 0.005) -> str:
    """`source` with each line's share of the time in front of it:
         62.3% |         if item not in seen:
               |     return out
    Line i of `source` (0-based) is line first_line + i of the file; lines under
    `min_share` (or not run) get a blank column. No profile: the source unchanged."""
    if profile is None:
        return source
    shares = profile.shares()
    out = []
    for i, text in enumerate(source.splitlines()):
        share = shares.get(first_line + i, 0.0)
        column = f"{100 * share:5.1f}% |" if share >= min_share and share > 0 else "       |"
        out.append(f"{column} {text}" if text else column)
    return "\n".join(out) + ("\n" if source.endswith("\n") else "")
