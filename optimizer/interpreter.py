"""Which Python runs the repository's code: the tests, the benchmark, capture, replay,
tracing and timing workers (issue #18).

Users keep their project in its own environment (venv, Poetry, uv, conda), with its
dependencies; the optimizer's own dependencies need not be there. So the code under
test runs in the project's interpreter:

    --python PATH (or [tool.optimize] python, OPTIMIZE_PYTHON)
    else the repository's own environment, the first found of:
      REPO/.venv, REPO/venv (uv and `python -m venv` make these), the active
      $VIRTUAL_ENV and $CONDA_PREFIX when they are not the optimizer's own,
      Poetry's environment for REPO (`poetry env info -p`, when poetry is installed
      and the project uses it)
    else the optimizer's own interpreter.

What runs there uses the standard library and pytest, which the project has. The
workers' optional helpers (cloudpickle for capture, hypothesis for generated inputs,
CrossHair) come from the optimizer's own environment, appended at the *end* of the
workers' import path (never before the project's own packages), and are skipped
where they do not import (a different Python version). The interpreter is one
process-wide choice (`use`), made once by the front end before a Session starts.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

PROBE = "import sys, json, pytest; print(json.dumps([sys.version_info[:3], sys.prefix]))"
OLDEST = (3, 9)   # the workers use ast.unparse


@dataclass(frozen=True)
class Interpreter:
    executable: str
    version: tuple[int, int, int]
    prefix: str
    how: str = "the optimizer's own"   # how it was chosen, for the report

    @property
    def is_own(self) -> bool:
        return os.path.realpath(self.executable) == os.path.realpath(sys.executable) and \
            os.path.realpath(self.prefix) == os.path.realpath(sys.prefix)

    def to_json(self) -> dict:
        return {"executable": self.executable, "version": ".".join(map(str, self.version)), "how": self.how}


_OWN = Interpreter(sys.executable, tuple(sys.version_info[:3]), sys.prefix)
_current = _OWN


def current() -> Interpreter:
    return _current


def use(interpreter: Interpreter) -> None:
    global _current
    _current = interpreter


def helpers_path() -> str:
    """The optimizer's own site-packages, for the workers' optional helpers (appended at
    the end of their import path by bootstrap/harness.py); '' when the interpreter is ours."""
    if _current.is_own:
        return ""
    return os.pathsep.join(dict.fromkeys(p for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])
                                         if os.path.isdir(p)))


def choose(repo: Path, given: str | None, environ=os.environ) -> Interpreter:
    """The interpreter for `repo`: `given` (a path to python or to an environment's
    folder), else the repository's own environment, else ours. UsageError (exit 2)
    when the one given or found is not a Python with pytest."""
    if given:
        return probe(_executable(Path(given).expanduser()), "--python")
    for path, how in _candidates(repo, environ):
        if path.exists() or path.is_symlink():   # a dangling link (a Python since removed) is said, not skipped
            return probe(path, how)
    return _OWN


def _candidates(repo: Path, environ) -> list[tuple[Path, str]]:
    out = [(repo / name / "bin" / "python", f"the repository's {name}") for name in (".venv", "venv")]
    for var in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        env = environ.get(var)
        if env and os.path.realpath(env) != os.path.realpath(sys.prefix):
            out.append((Path(env) / "bin" / "python", f"${var}"))
    poetry = _poetry_env(repo)
    if poetry:
        out.append((poetry / "bin" / "python", "Poetry's environment"))
    return out


def _poetry_env(repo: Path) -> Path | None:
    pyproject = repo / "pyproject.toml"
    if not shutil.which("poetry") or not pyproject.is_file() or "[tool.poetry" not in pyproject.read_text():
        return None
    try:
        out = subprocess.run(["poetry", "env", "info", "-p"], cwd=repo, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    path = out.stdout.strip()
    return Path(path) if out.returncode == 0 and path else None


def _executable(path: Path) -> Path:
    """A python executable, or an environment's folder holding bin/python."""
    if path.is_dir():
        return path / "bin" / "python"
    return path


def probe(executable: Path, how: str) -> Interpreter:
    """Run it once: its version and prefix, and whether pytest imports there."""
    executable = Path(os.path.abspath(executable))   # relative to here, not to where it is probed from
    if not executable.exists():
        raise UsageError(f"{how}: no Python at {executable}")
    try:
        out = subprocess.run([str(executable), "-c", PROBE], capture_output=True, text=True, timeout=60, cwd="/")
    except OSError as exc:
        raise UsageError(f"{how}: {executable} does not run: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"{how}: {executable} did not answer in 60 s") from None
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        if "No module named 'pytest'" in out.stderr:
            raise UsageError(f"{how}: {executable} has no pytest, which runs the repository's tests there: "
                             f"{executable} -m pip install pytest")
        raise UsageError(f"{how}: {executable} is not a Python that runs: {last}")
    try:
        version, prefix = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise UsageError(f"{how}: {executable} did not answer as a Python does") from None
    if tuple(version[:2]) < OLDEST:
        raise UsageError(f"{how}: {executable} is Python {'.'.join(map(str, version))}; the workers need "
                         f"{'.'.join(map(str, OLDEST))} or newer")
    return Interpreter(str(executable), tuple(version), prefix, how)


def hint() -> str:
    """Where the repository's code ran, for an error that may come from the wrong Python."""
    python = _current
    if python.is_own:
        return (f"it ran in the optimizer's own Python ({python.executable}); if the repository has an "
                "environment of its own, name it with --python")
    return f"it ran in {python.executable} ({python.how})"
