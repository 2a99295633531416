"""Equivalence on captured and generated calls: the original's outcomes are the oracle.

What is compared per call (see bootstrap/compare.py): the return value, deep and
type-strict (floats exact unless --rtol), returned iterators item by item; the
exception's type and message (type only with --loose-errors); every argument
after the call, `self` included; stdout and stderr.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sandboxes import Sandbox

from ..model import Verdict
from ..scrub import clean
from .capture import Baseline
from .runs import new_seal, python_env, worker_command
from .timeouts import replay_timeout


@dataclass(frozen=True)
class Strictness:
    rtol: float = 0.0             # relative tolerance for floats; 0 means exact
    loose_errors: bool = False    # compare exception types only, not messages


def _examples(examples) -> str:
    """"; for example: ..." with up to two of the replay's examples, cleaned for the terminal."""
    shown = [clean(str(e), 200) for e in (examples or [])[:2] if isinstance(e, str)]
    return ("; for example: " + "; ".join(shown)) if shown else ""


def record_expected(sandbox: Sandbox, base: Path, scratch: Path, baseline: Baseline, timeout: float,
                    search_seconds: float = 20.0) -> list[str]:
    """Run the original twice on its captured calls and on generated and mutated ones
    (a coverage-guided search of at most `search_seconds`); keep the calls it replays
    reliably. Returns notes for the report."""
    if not baseline.captured_file:
        return []
    t = baseline.target
    baseline.calls_file = scratch / f"calls-{t.name}.pkl"
    baseline.expected_file = scratch / f"expected-{t.name}.pkl"
    info_json = scratch / f"calls-{t.name}.json"
    cmd = worker_command("replay.py", "record", t.module, t.qualname, baseline.captured_file,
                         baseline.calls_file, baseline.expected_file, info_json, "", search_seconds)
    result = sandbox.run(cmd, base, env=python_env(base, [t]), timeout=timeout + search_seconds,
                         writable=(scratch,))
    if not result.ok or not info_json.exists():
        baseline.expected_file = None
        return [f"the calls of {t.name} could not be replayed: {result.last_line()}"]
    info = json.loads(info_json.read_text())
    baseline.stable, baseline.workload = info["stable"], info["workload"]
    baseline.call_seconds = info["seconds"]
    baseline.call_weights = {str(k): v for k, v in (info.get("weights") or {}).items()
                             if type(v) is int and v >= 0}
    baseline.coverage = info.get("coverage") or {}
    notes = []
    unstable = {k: info.get("unstable_" + k, 0) for k in ("captured", "generated", "mutated")}
    if sum(unstable.values()):
        parts = ", ".join(f"{n} {k}" for k, n in unstable.items() if n)
        notes.append(f"{t.name} is partly non-deterministic: {sum(unstable.values())} calls ({parts}) gave "
                     "different outcomes on two runs of the original (time, randomness, hash order or state) "
                     "and were set aside" + _examples(info.get("unstable_examples")))
    search = info.get("search") or {}
    if search.get("stopped") == "budget spent" and search.get("gaps_left"):
        notes.append(f"the input search for {t.name} spent its --search-seconds ({search.get('budget_s')} s) "
                     f"with {search['gaps_left']} gaps of the original left")
    if info.get("unloadable"):
        error = clean(str(info.get("unloadable_error") or ""), 160)
        n = info["unloadable"]
        calls = f"{n} captured call of {t.name} was dropped: its" if n == 1 else \
            f"{n} captured calls of {t.name} were dropped: their"
        notes.append(f"{calls} arguments could not be loaded outside the test that made them (a class defined "
                     "in a test module, or an iterator of a type pickle cannot name, say)"
                     + (f"; the first: {error}" if error else ""))
    if info["dropped_slow"]:
        examples = [clean(str(e), 120) for e in (info.get("dropped_examples") or [])[:3] if isinstance(e, str)]
        notes.append(f"{info['dropped_slow']} generated calls of {t.name} were treated as out of contract and "
                     "dropped: the original could not finish them in reasonable time"
                     + (f" ({'; '.join(examples)})" if examples else ""))
    return notes


def reach_seconds(baseline: Baseline) -> float:
    """The budget of the candidate's traced pass after the comparison (replay.candidate_reach):
    tracing slows a call some 50-fold."""
    return min(120.0, 10 + 60 * sum(baseline.call_seconds.values()))


def check(sandbox: Sandbox, workspace: Path, baseline: Baseline,
          strictness: Strictness = Strictness()) -> Verdict:
    """Replay the calls on the candidate. On success the verdict's evidence holds, from the
    candidate's process (so only as trustworthy as its "ok"): "by_origin", the calls
    compared per origin, and "candidate_reach", the lines of the candidate's file its
    traced rerun executed ({"lines", "complete"}, or None)."""
    t = baseline.target
    budget = reach_seconds(baseline)
    timeout = replay_timeout(baseline) + budget + 5
    home = workspace / ".home"
    home.mkdir(exist_ok=True)
    verdict_json, options_json = home / "verdict.json", home / "options.json"
    options_json.write_text(json.dumps({"rtol": strictness.rtol, "loose_errors": strictness.loose_errors,
                                        "seconds": baseline.call_seconds, "reach_seconds": budget}))
    cmd = worker_command("replay.py", "check", t.module, t.qualname, baseline.calls_file,
                         baseline.expected_file, verdict_json, options_json)
    verdict_json.unlink(missing_ok=True)
    seal = new_seal()
    result = sandbox.run(cmd, workspace, env=python_env(workspace, [t]), timeout=timeout, stdin=seal + "\n")
    if result.limit:
        return Verdict(False, "equivalence", f"{result.why_stopped()} replaying calls")
    if not result.ok or not verdict_json.exists():
        return Verdict(False, "equivalence", "crashed replaying calls: " + result.last_line())
    try:
        data = json.loads(verdict_json.read_text())
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("seal") != seal:
        return Verdict(False, "integrity", "its verdict was not written by the replay worker (forged)")
    if not data.get("ok"):
        return Verdict(False, "equivalence", str(data.get("reason", "behaves differently")),
                       failing_call=data.get("call"))
    return Verdict(True, "equivalence", calls_checked=_count(data.get("checked")),
                   evidence={"by_origin": _origins(data.get("by_origin")),
                             "candidate_reach": _reach(data.get("reach")),
                             **_narrowed(data), **_out_of_contract(data)})


def _narrowed(data: dict) -> dict:
    """Calls of kinds no captured call passes that the candidate refuses (TypeError,
    AttributeError) where the original answers (compare.narrows): reported, not rejected."""
    n = _count(data.get("narrowed"))
    return {"narrowed": {"calls": n, "example": clean(str(data.get("narrowed_example", "")), 300)}} if n else {}


def _out_of_contract(data: dict) -> dict:
    """Generated calls on which the original runs out of stack or memory and the candidate
    does something else (returns, raises otherwise, runs long): not judged, reported."""
    n = _count(data.get("out_of_contract"))
    return {"out_of_contract": {"calls": n, "example": clean(str(data.get("out_of_contract_example", "")), 300)}} \
        if n else {}


def _count(value) -> int:
    return value if type(value) is int and value >= 0 else 0


def _origins(value) -> dict[str, int]:
    """Calls compared per origin, as the worker counted them: at most 12 plain names."""
    if not isinstance(value, dict):
        return {}
    return {clean(str(k), 40): _count(v) for k, v in list(value.items())[:12]}


def _reach(value) -> dict | None:
    """The candidate's traced lines: ints only, bounded (they come from its process)."""
    if not isinstance(value, dict) or not isinstance(value.get("lines"), list):
        return None
    lines = [n for n in value["lines"][:10_000] if type(n) is int and n > 0]
    return {"lines": lines, "complete": value.get("complete") is True}
