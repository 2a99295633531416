"""A pytest plugin (loaded through PYTEST_PLUGINS) writing each test's outcome and
duration to the JSON file named by OPTIMIZE_RESULTS, so the optimizer knows which
tests passed, and how long the original's took, without parsing pytest's output."""
import json
import os
import sys

_outcomes = {}
_seconds = {}


def pytest_runtest_logreport(report):
    _seconds[report.nodeid] = _seconds.get(report.nodeid, 0.0) + report.duration
    if report.when == "call" or report.outcome != "passed":
        previous = _outcomes.get(report.nodeid)
        if previous in ("failed", "error"):
            return
        outcome = report.outcome
        if report.when != "call" and outcome == "failed":
            outcome = "error"
        _outcomes[report.nodeid] = outcome


def _finisher(seal, dump=json.dump):
    """The seal (read from stdin as pytest loads this plugin, before any test module or
    the code under test is imported) lives only in this closure."""
    def pytest_sessionfinish(session, exitstatus):
        path = os.environ.get("OPTIMIZE_RESULTS")
        if path:
            with open(path, "w") as fh:
                dump({"outcomes": _outcomes, "seconds": _seconds, "seal": seal}, fh)
    return pytest_sessionfinish


pytest_sessionfinish = _finisher(sys.stdin.readline().strip() if os.environ.get("OPTIMIZE_RESULTS") else "")
