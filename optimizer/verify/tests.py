"""Run the repository's pytest suite (or some of its tests) in a workspace."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sandboxes import RunResult, Sandbox

from ..model import Target
from .runs import new_seal, pytest_command, python_env

# More node ids than this go to pytest as their files instead (command-line length).
_MAX_NODE_IDS = 200


@dataclass
class TestRun:
    result: RunResult
    outcomes: dict[str, str] = field(default_factory=dict)   # node id -> passed/failed/error/skipped
    seconds: dict[str, float] = field(default_factory=dict)  # node id -> setup + call + teardown
    sealed: bool = False      # the results file came from our plugin in this run (runs.new_seal)

    def startup_seconds(self) -> float:
        """What the run spent outside tests: interpreter, imports, collection."""
        return max(0.0, self.result.seconds - sum(self.seconds.values()))

    @property
    def collected_nothing(self) -> bool:
        return self.result.returncode == 5

    @property
    def crashed(self) -> bool:
        """pytest itself failed (usage error, internal error, interrupted): no verdict on tests."""
        return self.result.timed_out or self.result.returncode not in (0, 1, 5)

    def first_error(self) -> str:
        """The message of pytest's first FAILED/ERROR summary line, e.g. "OSError: [Errno 30] ...";
        it says why, where the node ids only say where."""
        for line in self.result.stdout.splitlines():
            if line.startswith(("FAILED ", "ERROR ")) and " - " in line:
                return line.split(" - ", 1)[1].strip()[:200]
        return ""

    def failed(self) -> list[str]:
        return sorted(n for n, o in self.outcomes.items() if o in ("failed", "error"))


def run_tests(sandbox: Sandbox, workspace: Path, targets: list[Target], node_ids: list[str],
              timeout: float, capture_config: Path | None = None, writable: tuple[Path, ...] = ()) -> TestRun:
    results = workspace / ".home" / "pytest-results.json"
    results.parent.mkdir(exist_ok=True)
    if len(node_ids) > _MAX_NODE_IDS:
        node_ids = sorted({n.split("::", 1)[0] for n in node_ids})
    env = python_env(workspace, targets, capture_config=capture_config, results_file=results)
    env["COLUMNS"] = "250"   # pytest cuts its summary lines (the reasons we quote) to the terminal's width
    results.unlink(missing_ok=True)
    seal = new_seal()
    result = sandbox.run(pytest_command(node_ids, workspace), workspace, env=env, timeout=timeout,
                         writable=writable, stdin=seal + "\n")
    try:   # written from inside the sandbox: parsed, never trusted to have the right shape
        data = json.loads(results.read_text()) if results.exists() else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict) or not isinstance(data.get("outcomes", {}), dict) or data.get("seal") != seal:
        data = {}
    return TestRun(result, data.get("outcomes", {}), data.get("seconds", {}), sealed=bool(data))
