"""Verify: a candidate must parse, import, pass the tests that exercise the
target, and behave like the original on every reliably replayable call,
captured or generated.
The first failing check rejects it, with the reason in plain words."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sandboxes import Sandbox, capability

from .. import interpreter
from ..model import Target, Verdict
from ..scrub import clean
from ..target import find_in_text
from . import equivalence, evidence, integrity
from .capture import Baseline, capture
from .equivalence import Strictness
from .runs import pristine, python_env
from .search import SearchBudget
from .tests import TestRun, run_tests
from .timeouts import import_timeout, tests_timeout

__all__ = ["Baseline", "SearchBudget", "Strictness", "TestRun", "capture", "verify"]


def verify(sandbox: Sandbox, workspace: Path, new_text: str, baseline: Baseline, suite: TestRun,
           strictness: Strictness = Strictness(), original: str | None = None,
           check_capabilities: bool = True, accept_unreached: bool = False,
           search: SearchBudget | None = None) -> Verdict:
    """`original`: the target file's text before the edit (read from the pristine base copy if not given).
    check_capabilities=False is for tests of the sandbox alone, never for real runs.
    accept_unreached (--accept-unreached): a candidate whose changed lines no compared call
    reached passes at the weak level, with the warning in `verdict.evidence["warning"]`.
    search (--search-seconds): after the compared calls agree, look for inputs where the
    candidate parts from the original (verify/search.py) before judging the evidence."""
    t = baseline.target
    try:
        compile(new_text, t.file, "exec")
    except (SyntaxError, ValueError) as exc:   # ValueError: a null byte in the source
        line, msg = getattr(exc, "lineno", "?"), getattr(exc, "msg", exc)
        return Verdict(False, "parse", f"syntax error on line {line}: {msg}")
    if original is None:
        original = (pristine(workspace) / t.file).read_text()
    try:
        findings = capability.check(original, new_text,
                                    own_packages=frozenset({baseline.target.package})) \
            if check_capabilities else []
    except SyntaxError:   # parses for compile() but too deeply nested for ast
        return Verdict(False, "capability", "too deeply nested to check")
    if findings:
        return Verdict(False, "capability", capability.describe(findings))

    oracle = [p for p in (baseline.calls_file, baseline.expected_file) if p]
    before = integrity.fingerprint(workspace, oracle)
    verdict = _run_checks(sandbox, workspace, baseline, suite, strictness, new_text, accept_unreached, search)
    tampered = integrity.changed(before, workspace, oracle)
    if tampered:
        return Verdict(False, "integrity", "changed what judges it while it ran: " + ", ".join(tampered[:3]))
    return verdict


def _run_checks(sandbox: Sandbox, workspace: Path, baseline: Baseline, suite: TestRun,
                strictness: Strictness, new_text: str, accept_unreached: bool,
                search: SearchBudget | None = None) -> Verdict:
    t = baseline.target
    timeout = import_timeout(baseline)
    imported = sandbox.run([interpreter.current().executable, "-c", f"import {t.module}"], workspace,
                           env=python_env(workspace, [t]), timeout=timeout)
    if not imported.ok:
        return Verdict(False, "import", "import failed: " + (imported.why_stopped() or imported.last_line()))

    # The tests that call the target; with none known, the whole suite, minus what already failed.
    timeout = tests_timeout(baseline)
    run = run_tests(sandbox, workspace, [t], baseline.tests, timeout)
    if run.result.limit:
        return Verdict(False, "tests", "tests " + run.result.why_stopped())
    if not run.sealed and not run.collected_nothing:
        return Verdict(False, "tests", f"pytest ended (exit {run.result.returncode}) without the results our "
                                       "plugin writes at the end of the session, or with forged ones: "
                                       + run.result.last_line())
    already_failing = set(suite.failed())
    broken = [n for n in run.failed() if n not in already_failing]
    if broken or run.crashed or (run.result.returncode == 1 and not run.failed()):
        detail = ", ".join(broken[:3]) or run.result.last_line()
        error = run.first_error()
        return Verdict(False, "tests", f"tests failed: {detail}" + (f" ({error})" if error and broken else ""))

    passed = sum(1 for o in run.outcomes.values() if o == "passed")
    tests = _plural(passed, "test") + " passed" if passed else "no tests call it"
    record = {"tests": {"run": len(run.outcomes), "passed": passed}}
    if baseline.expected_file and baseline.stable:
        verdict = equivalence.check(sandbox, workspace, baseline, strictness)
        rewritten = find_in_text(new_text, t.file, t.qualname) if verdict.ok else None
        if rewritten is not None and search is not None:
            found = search.search(sandbox, pristine(workspace), workspace, baseline, rewritten.source, strictness)
            if not found.verdict.ok:
                return replace(found.verdict, oracle=found.baseline)
            verdict.evidence.setdefault("by_origin", {}).update({k: v for k, v in found.checked.items() if v})
            verdict.calls_checked += sum(found.checked.values())
            record["search"] = {"seconds": {k: round(v, 2) for k, v in found.seconds.items()},
                                "notes": [clean(n) for n in found.notes]}
        if verdict.ok:
            verdict = _judge_evidence(verdict, baseline, rewritten, tests, record, accept_unreached)
        return verdict
    return Verdict(True, "tests", f"{tests}; no replayable captured calls",
                   evidence={**record, "level": evidence.TESTS_ONLY, "calls": {}})


def _judge_evidence(verdict: Verdict, baseline: Baseline, rewritten: Target | None, tests: str, record: dict,
                    accept_unreached: bool) -> Verdict:
    """After equivalence passed: were the changed lines reached (verify/evidence.py)?
    `rewritten`: the candidate's definition in its file (None when it cannot be found)."""
    t = baseline.target
    by_origin = verdict.evidence.get("by_origin") or {"captured": len(baseline.workload),
                                                      "generated": verdict.calls_checked - len(baseline.workload)}
    changed = evidence.assess(t, rewritten, baseline.coverage,
                              verdict.evidence.get("candidate_reach"))
    coverage = evidence.summary(baseline.coverage)
    reason = f"{tests}; the same outcome on {_calls_words(by_origin)}"
    narrowed = verdict.evidence.get("narrowed")
    if narrowed:
        record["narrowed"] = narrowed
        reason += (f"; refuses {_plural(narrowed['calls'], 'call')} of kinds no captured call passes, "
                   f"which the original accepts (e.g. {narrowed['example']})")
    out_of_contract = verdict.evidence.get("out_of_contract")
    if out_of_contract:
        record["out_of_contract"] = out_of_contract
        reason += (f"; {_plural(out_of_contract['calls'], 'generated call')} out of contract, where the original "
                   f"runs out of stack or memory, not judged (e.g. {out_of_contract['example']})")
    if coverage:
        reason += f"; {coverage['reached']} of {coverage['countable']} blocks of the original reached"
    reach = verdict.evidence.get("candidate_reach")
    record.update(calls={k: v for k, v in by_origin.items() if v}, blocks=coverage,
                  changed_lines={k: changed[k] for k in ("original", "unreached", "directions", "candidate",
                                                         "candidate_unreached")},
                  reached=not changed["problems"],
                  candidate_reach_complete=bool(reach and reach.get("complete")))
    problems = "; ".join(changed["problems"])
    if not problems:
        return Verdict(True, "equivalence", reason, verdict.calls_checked,
                       evidence={**record, "level": evidence.STRONG})
    if accept_unreached:
        return Verdict(True, "evidence", reason, verdict.calls_checked,
                       evidence={**record, "level": evidence.WEAK, "warning": problems})
    return Verdict(False, "evidence", problems, verdict.calls_checked,
                   evidence={**record, "level": evidence.INSUFFICIENT})


def _calls_words(by_origin: dict[str, int]) -> str:
    """{'captured': 64, 'generated': 41, 'mutated': 12} -> '64 captured, 41 generated and 12 mutated calls'."""
    parts = [f"{n} {origin}" for origin, n in by_origin.items() if n]
    if not parts:
        return "no calls"
    total = sum(by_origin.values())
    words = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return words + (" call" if total == 1 else " calls")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")

