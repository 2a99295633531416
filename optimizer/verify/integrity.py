"""Did a candidate's run change what judges it?

A candidate's code runs inside its workspace with write access to it, so it
could rewrite the tests (or pytest's configuration) to pass, or, under the
process backend, the original's recorded calls and outcomes. The static
capability check refuses the means (file access); this is the check after
the fact: fingerprints of those files before and after the candidate's runs.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

_CONFIG = ("pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini", "conftest.py")


def judging_files(workspace: Path) -> list[Path]:
    """The tests, conftest files and pytest configuration of a workspace."""
    found = {workspace / name for name in _CONFIG}
    for path in workspace.rglob("*.py"):
        if ".home" in path.relative_to(workspace).parts:
            continue
        name = path.name
        if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
            found.add(path)
    return sorted(found)


def fingerprint(workspace: Path, extra: list[Path]) -> dict[str, str]:
    """Path (relative to the workspace where it is inside it) -> sha256, '' when absent."""
    prints = {}
    for path in judging_files(workspace) + extra:
        key = str(path.relative_to(workspace)) if path.is_relative_to(workspace) else str(path)
        try:
            prints[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            prints[key] = ""
    return prints


def changed(before: dict[str, str], workspace: Path, extra: list[Path]) -> list[str]:
    """Files whose content differs from `before`, new test files included."""
    after = fingerprint(workspace, extra)
    return sorted(k for k in before.keys() | after.keys() if before.get(k, "") != after.get(k, ""))
