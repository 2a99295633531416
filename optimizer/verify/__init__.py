"""Verify: a candidate must parse, import, pass the tests that exercise the
target, and behave like the original on every reliably replayable call,
captured or generated.
The first failing check rejects it, with the reason in plain words."""
from __future__ import annotations

import sys
from pathlib import Path

from sandboxes import Sandbox, capability

from ..model import Verdict
from . import equivalence, integrity
from .capture import Baseline, capture
from .equivalence import Strictness
from .runs import pristine, python_env
from .tests import TestRun, run_tests
from .timeouts import import_timeout, tests_timeout

__all__ = ["Baseline", "Strictness", "TestRun", "capture", "verify"]


def verify(sandbox: Sandbox, workspace: Path, new_text: str, baseline: Baseline, suite: TestRun,
           strictness: Strictness = Strictness(), original: str | None = None,
           check_capabilities: bool = True) -> Verdict:
    """`original`: the target file's text before the edit (read from the pristine base copy if not given).
    check_capabilities=False is for tests of the sandbox alone, never for real runs."""
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
    verdict = _run_checks(sandbox, workspace, baseline, suite, strictness)
    tampered = integrity.changed(before, workspace, oracle)
    if tampered:
        return Verdict(False, "integrity", "changed what judges it while it ran: " + ", ".join(tampered[:3]))
    return verdict


def _run_checks(sandbox: Sandbox, workspace: Path, baseline: Baseline, suite: TestRun,
                strictness: Strictness) -> Verdict:
    t = baseline.target
    timeout = import_timeout(baseline)
    imported = sandbox.run([sys.executable, "-c", f"import {t.module}"], workspace,
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
    if baseline.expected_file and baseline.stable:
        verdict = equivalence.check(sandbox, workspace, baseline, strictness)
        if verdict.ok:
            generated = verdict.calls_checked - len(baseline.workload)
            verdict.reason = (f"{tests}; the same outcome on {_plural(len(baseline.workload), 'captured call')}"
                              f" and {generated} generated")
        return verdict
    return Verdict(True, "tests", f"{tests}; no replayable captured calls")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")

