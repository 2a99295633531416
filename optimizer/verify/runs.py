"""How the optimizer starts Python in a workspace: one place for the command
lines and the environment, so every stage runs code the same way."""
from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path

from sandboxes import scrubbed_env

from .. import interpreter
from ..model import Target

BOOTSTRAP = Path(__file__).parent / "bootstrap"


def python_env(workspace: Path, targets: list[Target], capture_config: Path | None = None,
               results_file: Path | None = None) -> dict[str, str]:
    """The scrubbed environment plus what imports the repo's modules; with a capture
    config or a results file, our bootstrap (sitecustomize, pytest plugin) comes first."""
    roots = [str(BOOTSTRAP)] if (capture_config or results_file) else []
    roots.append(str(workspace))
    roots += sorted({str(workspace / t.import_root) for t in targets if t.import_root})
    # The interpreter the repository's code runs in comes first on PATH, so `python bench.py` means it.
    python = interpreter.current()
    path = os.pathsep.join([os.path.dirname(python.executable), os.environ.get("PATH", "/usr/bin:/bin")])
    extra = {"PYTHONPATH": os.pathsep.join(roots), "PATH": path}
    helpers = interpreter.helpers_path()
    if helpers:
        extra["OPTIMIZE_HELPERS"] = helpers
    if not python.is_own:   # as `activate` does: tools that look for the environment find it
        extra["VIRTUAL_ENV"] = python.prefix
    if capture_config:
        extra["OPTIMIZE_CAPTURE"] = str(capture_config)
    if results_file:
        extra.update(OPTIMIZE_RESULTS=str(results_file), PYTEST_PLUGINS="optimize_results")
    return scrubbed_env(workspace, extra)


def pytest_command(node_ids: list[str], workspace: Path | None = None) -> list[str]:
    cmd = [interpreter.current().executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--color=no"]
    if workspace is not None and not _uses_hypothesis(pristine(workspace)):
        # hypothesis comes with the optimizer; its pytest plugin costs ~0.6 s per run
        # and is only wanted by suites that use hypothesis themselves.
        cmd += ["-p", "no:hypothesispytest"]
    return cmd + node_ids


def pristine(workspace: Path) -> Path:
    """The base copy a candidate's copy was made from (they are alike but for one
    function), so per-repo facts are computed once per run."""
    base = workspace.parent / "base"
    return base if base.is_dir() else workspace


@functools.cache
def _uses_hypothesis(repo: Path) -> bool:
    """Whether the repo's Python files mention hypothesis."""
    for path in repo.rglob("*.py"):
        try:
            if "hypothesis" in path.read_text(errors="ignore"):
                return True
        except OSError:
            continue
    return False


def new_seal() -> str:
    """A one-time token for a judging process (pytest's results plugin, the replay and
    timing workers). It goes in on stdin, is read before the candidate's module is
    imported, is kept where only frame or closure introspection could reach it (both
    refused by the capability check), and comes back in the result. A result without
    it was not written by the judge: the candidate forged it."""
    return secrets.token_hex(16)


def worker_command(script: str, *args: object) -> list[str]:
    return [interpreter.current().executable, str(BOOTSTRAP / script), *map(str, args)]
