"""Verify: a candidate must parse, import, pass the tests that exercise the
target, and behave like the original on every reliably replayable call,
captured or generated.
The first failing check rejects it, with the reason in plain words."""
from __future__ import annotations

import sys
from pathlib import Path

from sandboxes import Sandbox

from ..model import Verdict
from . import equivalence
from .capture import Baseline, capture
from .equivalence import Strictness
from .runs import python_env
from .tests import TestRun, run_tests

__all__ = ["Baseline", "Strictness", "TestRun", "capture", "verify"]


def verify(sandbox: Sandbox, workspace: Path, new_text: str, baseline: Baseline, suite: TestRun,
           strictness: Strictness = Strictness()) -> Verdict:
    t = baseline.target
    try:
        compile(new_text, t.file, "exec")
    except SyntaxError as exc:
        return Verdict(False, "parse", f"syntax error on line {exc.lineno}: {exc.msg}")

    timeout = max(60.0, 5 * baseline.suite_seconds + 30)
    imported = sandbox.run([sys.executable, "-c", f"import {t.module}"], workspace,
                           env=python_env(workspace, [t]), timeout=60)
    if not imported.ok:
        return Verdict(False, "import", "import failed: " + imported.last_line())

    # The tests that call the target; with none known, the whole suite, minus what already failed.
    run = run_tests(sandbox, workspace, [t], baseline.tests, timeout)
    if run.result.timed_out:
        return Verdict(False, "tests", f"tests timed out after {timeout:.0f}s")
    already_failing = set(suite.failed())
    broken = [n for n in run.failed() if n not in already_failing]
    if broken or run.crashed or (run.result.returncode == 1 and not run.failed()):
        detail = ", ".join(broken[:3]) or run.result.last_line()
        return Verdict(False, "tests", f"tests failed: {detail}")

    passed = sum(1 for o in run.outcomes.values() if o == "passed")
    tests = _plural(passed, "test") + " passed" if passed else "no tests call it"
    if baseline.expected_file and baseline.stable:
        verdict = equivalence.check(sandbox, workspace, baseline, timeout, strictness)
        if verdict.ok:
            generated = verdict.calls_checked - len(baseline.workload)
            verdict.reason = (f"{tests}; the same outcome on {_plural(len(baseline.workload), 'captured call')}"
                              f" and {generated} generated")
        return verdict
    return Verdict(True, "tests", f"{tests}; no replayable captured calls")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")

