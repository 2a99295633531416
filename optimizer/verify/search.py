"""Search, per candidate, for inputs where the original and the candidate part ways.

The captured and generated calls of the equivalence check reach what the tests
and the workload reach. A wrong candidate that differs only on other inputs
passes them; this step looks for such inputs, within a time budget, three ways:

- **CrossHair** (`crosshair.diff_behavior`, the engine of `crosshair diffbehavior`)
  runs the original and the candidate on symbolic inputs in one process and
  reports the inputs where their results differ. That process runs the
  candidate, so it runs in the sandbox, in the candidate's workspace
  (bootstrap/crosshair_worker.py), and what it writes back is untrusted: only
  the reprs of plain literals, read by ast.literal_eval, never unpickled.
  CrossHair needs type annotations on every parameter, and a plain function
  (methods are skipped): otherwise it is skipped at once, with a note.
- **Candidate literals**: the string and number constants of the candidate's
  source that the original's does not have (a back door such as
  `if s == "xyzzy": ...` shows here), mixed into mutations of the captured
  calls (inputs.generate, `literals=`).
- **The model** (with one configured): asked once for inputs likely to tell the
  two versions apart, shown the diff (`suggest`, LLMProposer.suggest_inputs).

The calls found are recorded with the original in the pristine base copy
(`replay.py record ... GIVEN_JSON`), as origins "crosshair", "literal" and
"model", and the candidate is checked on them like on any other call
(`replay.py check`, sealed). A difference rejects it at stage "equivalence",
naming the call: "different return value on crosshair call #0 (1001): ...".
"""
from __future__ import annotations

import ast
import dataclasses
import difflib
import json
import shutil
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sandboxes import Sandbox

from .. import scrub
from ..model import Target, Verdict
from . import equivalence, integrity
from .capture import Baseline
from .equivalence import Strictness
from .runs import new_seal, python_env, worker_command

DEFAULT_SECONDS = 20.0      # proposed default of --search-seconds
MAX_CALLS = 16              # calls kept per technique
MAX_LITERALS = 24           # constants of the candidate mixed into mutations
MAX_CALL_CHARS = 4000       # characters of one call's literal
MAX_OUT_BYTES = 1 << 20     # of the CrossHair worker's result file
STARTUP_S = 2.0             # a worker's interpreter, imports and CrossHair's own

# (target, original source, candidate source, unified diff) -> answer lines
Suggest = Callable[[Target, str, str, str], list[str]]


@dataclass(frozen=True)
class SearchResult:
    verdict: Verdict                                   # ok, or rejected ("equivalence"/"integrity") with the call
    checked: dict[str, int] = field(default_factory=dict)     # calls compared per origin
    seconds: dict[str, float] = field(default_factory=dict)   # time per technique, and record/check
    notes: tuple[str, ...] = ()
    baseline: Baseline | None = None                   # the search's calls (calls_file, expected_file), for
                                                       # tracing the failing call: trace.explain(..., baseline,
                                                       # verdict.failing_call)


class Deadline:
    """One budget shared by the steps."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())


def diverging_calls(sandbox: Sandbox, base: Path, workspace: Path, baseline: Baseline, original_source: str,
                    candidate_source: str, budget_s: float, strictness: Strictness = Strictness(),
                    suggest: Suggest | None = None, given: tuple[str, ...] = ()) -> SearchResult:
    """Look for inputs where the candidate (its copy: `workspace`) and the original (`base`)
    differ, within about `budget_s` seconds; the sources are the target's definition
    before and after. Recording and checking what was found may take a few seconds past
    the budget (at least 5 s each). `given`: calls a person added ("((args...), {})"
    literals, origin "given"), checked whatever the budget, also with none."""
    t = baseline.target
    if budget_s <= 0 and not given:
        return SearchResult(Verdict(True, "equivalence", "no search for diverging inputs"))
    if budget_s <= 0:
        return _checked(sandbox, base, workspace, baseline, [("given", c) for c in given], [], Deadline(0.0),
                        strictness, {}, [])
    deadline = Deadline(budget_s)
    notes: list[str] = []
    seconds: dict[str, float] = {}
    original_source = textwrap.dedent(original_source)
    candidate_source = textwrap.dedent(candidate_source)
    scratch = Path(tempfile.mkdtemp(prefix="search-", dir=base.parent))

    start = time.monotonic()
    literals = new_literals(original_source, candidate_source)
    seconds["literal"] = time.monotonic() - start

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="suggest") as pool:
        asked = pool.submit(_ask_model, suggest, t, original_source, candidate_source) if suggest else None
        found, crosshair_notes, forged = _crosshair(sandbox, workspace, baseline, original_source,
                                                    deadline, strictness, seconds)
        notes += crosshair_notes
        calls = [("given", c) for c in given] + [("crosshair", c) for c in found]
        if asked is not None:
            suggested, model_notes, seconds["model"] = asked.result()
            calls += [("model", c) for c in suggested]
            notes += model_notes
    if forged:
        return SearchResult(Verdict(False, "integrity", "the CrossHair result was not written by its worker "
                                                        "(forged)"), {}, seconds, tuple(notes))
    if not calls and not literals:
        shutil.rmtree(scratch, ignore_errors=True)
        return SearchResult(Verdict(True, "equivalence", "no diverging inputs found"), {}, seconds, tuple(notes))
    return _checked(sandbox, base, workspace, baseline, calls, literals, deadline, strictness, seconds, notes,
                    scratch)


def _checked(sandbox: Sandbox, base: Path, workspace: Path, baseline: Baseline, calls: list, literals: list[str],
             deadline: "Deadline", strictness: Strictness, seconds: dict[str, float], notes: list[str],
             scratch: Path | None = None) -> SearchResult:
    """Record the original on the calls found, then check the candidate on them."""
    t = baseline.target
    scratch = scratch or Path(tempfile.mkdtemp(prefix="search-", dir=base.parent))
    start = time.monotonic()
    searched, info, why = _record(sandbox, base, scratch, baseline, calls, literals, deadline)
    seconds["record"] = time.monotonic() - start
    if searched is None:
        notes.append(f"the calls the search found for {t.name} could not be recorded: {why}")
        return SearchResult(Verdict(True, "equivalence", "no diverging inputs recorded"), {}, seconds, tuple(notes))
    origins = list(info.get("origins", []))
    skipped = int(info.get("unparsed", 0))
    if skipped:
        notes.append(f"{skipped} inputs found for {t.name} were not plain literals and were skipped")
    if not origins:
        return SearchResult(Verdict(True, "equivalence", "no diverging inputs recorded"), {}, seconds,
                            tuple(notes), searched)

    start = time.monotonic()
    oracle = [searched.calls_file, searched.expected_file]
    before = integrity.fingerprint(workspace, oracle)
    verdict = equivalence.check(sandbox, workspace, searched, strictness)
    tampered = integrity.changed(before, workspace, oracle)
    seconds["check"] = time.monotonic() - start
    if tampered:
        return SearchResult(Verdict(False, "integrity", "changed what judges it while it ran: "
                                    + ", ".join(tampered[:3])), {}, seconds, tuple(notes), searched)
    upto = len(origins) if verdict.ok or verdict.failing_call is None else verdict.failing_call + 1
    checked: dict[str, int] = {}
    for origin in origins[:upto]:
        checked[origin] = checked.get(origin, 0) + 1
    if verdict.ok:
        verdict.reason = "the same outcome on " + ", ".join(f"{n} {o} calls" for o, n in checked.items())
    return SearchResult(verdict, checked, seconds, tuple(notes), searched)


# -- candidate literals ---------------------------------------------------------------

def new_literals(original_source: str, candidate_source: str) -> list[str]:
    """Reprs of the string, bytes and number constants in the candidate but not in the
    original (docstrings left out), at most MAX_LITERALS, shortest first."""
    mine, theirs = _constants(candidate_source), _constants(original_source)
    fresh = [v for v in mine if v not in theirs]
    fresh.sort(key=lambda v: (len(repr(v)), repr(v)))
    return [repr(v) for v in fresh[:MAX_LITERALS] if len(repr(v)) <= 200]


def _constants(source: str) -> set:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in docstrings and type(node.value) in (str, bytes, int,
                                                                                                 float):
            value = node.value
            if type(value) is float and value != value:
                continue
            out.add(value)
    return out


# -- the model ---------------------------------------------------------------------

def _ask_model(suggest: Suggest, target: Target, original: str, candidate: str
               ) -> tuple[list[str], list[str], float]:
    start = time.monotonic()
    diff = "".join(difflib.unified_diff(original.splitlines(keepends=True), candidate.splitlines(keepends=True),
                                        "original", "candidate"))
    try:
        lines = suggest(target, original, candidate, diff)
    except Exception as exc:   # noqa: BLE001 - a failed model call costs this technique only
        return [], [f"the model's inputs for {target.name} could not be had: {scrub.clean(str(exc), 300)}"], \
            time.monotonic() - start
    calls, skipped = parse_suggestions(lines)
    notes = [f"{skipped} of the model's suggested inputs for {target.name} were not literal argument tuples "
             "and were skipped"] if skipped else []
    return calls, notes, time.monotonic() - start


def parse_suggestions(lines: list[str]) -> tuple[list[str], int]:
    """Each line an argument tuple literal ("(1, 'a')", or one bare argument); returns the
    calls as literal "((args...), {})" strings and the number of lines skipped."""
    calls, skipped = [], 0
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            if len(text) > MAX_CALL_CHARS:
                raise ValueError("too long")
            value = ast.literal_eval(text)
            args = value if type(value) is tuple else (value,)
            call = repr((args, {}))
            ast.literal_eval(call)
        except Exception:   # noqa: BLE001 - not a literal (or too deep): skipped and counted
            skipped += 1
            continue
        if call not in calls and len(calls) < MAX_CALLS:
            calls.append(call)
    return calls, skipped


# -- CrossHair -------------------------------------------------------------------------

def _crosshair(sandbox: Sandbox, workspace: Path, baseline: Baseline, original_source: str, deadline: Deadline,
               strictness: Strictness, seconds: dict[str, float]) -> tuple[list[str], list[str], bool]:
    """(calls as literal strings, notes, forged)."""
    t = baseline.target
    start = time.monotonic()
    why = _cannot_analyse(t, original_source)
    reserve = min(15.0, 0.4 * deadline.left())          # recording and checking what is found
    analysis = deadline.left() - reserve - STARTUP_S
    if not why and analysis < 1.0:
        why = "the budget leaves it under a second"
    if why:
        seconds["crosshair"] = time.monotonic() - start
        return [], [f"CrossHair could not analyse {t.name}: {why}"], False
    home = workspace / ".home"
    home.mkdir(exist_ok=True)
    job, out = home / "crosshair-job.json", home / "crosshair-out.json"
    out.unlink(missing_ok=True)
    job.write_text(json.dumps({"original": original_source, "seconds": analysis, "max_calls": MAX_CALLS,
                               "exceptions": "SAME_TYPE" if strictness.loose_errors else "TYPE_AND_MESSAGE"}))
    seal = new_seal()
    cmd = worker_command("crosshair_worker.py", t.module, t.qualname, job, out)
    result = sandbox.run(cmd, workspace, env=python_env(workspace, [t]), timeout=analysis + STARTUP_S + 3.0,
                         stdin=seal + "\n")
    seconds["crosshair"] = time.monotonic() - start
    if result.limit:
        return [], [f"CrossHair on {t.name} {result.why_stopped()}; nothing kept"], False
    data = _read_untrusted_json(out)
    if data is None:
        return [], [f"CrossHair on {t.name} ended without a result: "
                    f"{scrub.clean(result.last_line(), 300)}"], False
    if data.get("seal") != seal:
        return [], [], True
    status, text = data.get("status"), scrub.clean(str(data.get("why", "")), 300)
    if status == "skipped":
        return [], [f"CrossHair could not analyse {t.name}: {text}"], False
    if status != "ok":
        return [], [f"CrossHair failed on {t.name}: {text}"], False
    calls = [c for c in data.get("calls", []) if isinstance(c, str) and len(c) <= MAX_CALL_CHARS][:MAX_CALLS]
    took = f"{seconds['crosshair']:.1f} s"
    if calls:
        notes = [f"CrossHair found {len(calls)} input(s) where {t.name} and the candidate differ in {took}"]
    else:
        exhausted = " (every path explored)" if data.get("exhausted") is True else ""
        notes = [f"CrossHair found no counterexample for {t.name} in {took}{exhausted}"]
    return calls, notes, False


def _cannot_analyse(t: Target, original_source: str) -> str:
    """Why CrossHair cannot help here ('' when it may), decided from the source alone."""
    if "." in t.qualname:
        return "a method (CrossHair needs the class)"
    try:
        tree = ast.parse(original_source)
    except SyntaxError:
        return "its source does not parse on its own"
    fn = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if fn is None:
        return "no function definition"
    if isinstance(fn, ast.AsyncFunctionDef):
        return "a coroutine"
    a = fn.args
    params = a.posonlyargs + a.args + a.kwonlyargs + [p for p in (a.vararg, a.kwarg) if p]
    missing = [p.arg for p in params if p.annotation is None]
    if missing:
        return "no type annotations on " + ", ".join(missing)
    if not params:
        return "it takes no arguments"
    return ""


def _read_untrusted_json(path: Path) -> dict | None:
    """A file a candidate's process wrote: bounded in size, JSON only, a dict or nothing."""
    try:
        if path.is_symlink() or path.stat().st_size > MAX_OUT_BYTES:
            return None
        data = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


# -- recording with the original --------------------------------------------------------

def _record(sandbox: Sandbox, base: Path, scratch: Path, baseline: Baseline, calls: list[tuple[str, str]],
            literals: list[str], deadline: Deadline) -> tuple[Baseline | None, dict, str]:
    """Record the original's outcome on the calls (and the literal mutations) in base."""
    t = baseline.target
    captured = baseline.captured_file
    if captured is None:
        captured = scratch / "no-captured.pkl"
        captured.write_bytes(b"\x80\x04]\x94.")   # pickle.dumps([], protocol=4)
    given, info_json = scratch / "given.json", scratch / "given-info.json"
    calls_file, expected_file = scratch / "calls.pkl", scratch / "expected.pkl"
    slowest = max(baseline.call_seconds.values(), default=0.01)
    record_s = max(5.0, deadline.left() * 0.5)
    given.write_text(json.dumps({"calls": [{"origin": o, "call": c} for o, c in calls], "literals": literals,
                                 "limit": min(10.0, max(1.0, 20 * slowest)), "seconds": record_s}))
    cmd = worker_command("replay.py", "record", t.module, t.qualname, captured, calls_file, expected_file,
                         info_json, given)
    result = sandbox.run(cmd, base, env=python_env(base, [t]), timeout=record_s + 10 + 2 * STARTUP_S,
                         writable=(scratch,))
    if not result.ok or not info_json.exists():
        return None, {}, result.why_stopped() or result.last_line()
    info = json.loads(info_json.read_text())   # written by the original's process: trusted as the oracle is
    searched = dataclasses.replace(baseline, calls_file=calls_file, expected_file=expected_file,
                                   stable=list(range(len(info.get("origins", [])))), workload=[],
                                   call_seconds=info.get("seconds", {}))
    return searched, info, ""


class SearchBudget:
    """`--search-seconds` for one target, shared by its candidates' searches: each
    search gets at most a third of it and never more than is left, so a target with
    many candidates costs at most about the budget (plus each search's record and
    check, which may run a few seconds past it). `suggest`: the model's, if any."""

    def __init__(self, seconds: float, suggest: Suggest | None = None, given: tuple[str, ...] = ()):
        self.left, self.share, self.suggest, self.given = seconds, seconds / 3, suggest, tuple(given)

    def search(self, sandbox: Sandbox, base: Path, workspace: Path, baseline: Baseline, candidate_source: str,
               strictness: Strictness) -> SearchResult:
        budget = min(self.left, self.share)
        if budget < 1.0 and self.given:   # a person's own calls are checked whatever the budget
            return diverging_calls(sandbox, base, workspace, baseline, baseline.target.source, candidate_source,
                                   0.0, strictness, given=self.given)
        if budget < 1.0:
            spent = "no search for diverging inputs: " + (
                "the target's --search-seconds budget is spent" if self.share >= 1.0 else "--search-seconds is 0")
            return SearchResult(Verdict(True, "equivalence", spent), notes=(spent,))
        start = time.monotonic()
        try:
            return diverging_calls(sandbox, base, workspace, baseline, baseline.target.source, candidate_source,
                                   budget, strictness, self.suggest, self.given)
        finally:
            self.left -= time.monotonic() - start
