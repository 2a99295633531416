"""The sandbox protocol and what every backend shares."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Protocol, Sequence


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int | None = 600
    memory_bytes: int | None = 4 * 1024**3
    max_processes: int | None = None   # RLIMIT_NPROC counts the whole user; off by default for root
    file_bytes: int | None = 1024**3


@dataclass
class RunResult:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    killed_by_limit: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def last_line(self) -> str:
        """The last non-empty output line, usually the error's summary."""
        lines = [ln.strip() for ln in (self.stdout + "\n" + self.stderr).splitlines() if ln.strip()]
        return lines[-1] if lines else "(no output)"

    def tail(self, n: int = 1200) -> str:
        """The end of the output, where errors are; for reasons in reports."""
        text = (self.stdout + "\n" + self.stderr).strip()
        return text[-n:]


class Sandbox(Protocol):
    name: str

    def run(self, cmd: Sequence[str], workspace: Path, env: Mapping[str, str] | None = None,
            limits: Limits = Limits(), timeout: float = 600.0) -> RunResult:
        """Run cmd in workspace. Never raises for the command's own misbehaviour."""
        ...


# Variables a Python run legitimately needs. Everything else (API keys, tokens,
# cloud credentials, whatever their names) stays outside.
_ALLOWED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "SYSTEMROOT")


def scrubbed_env(workspace: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: os.environ[k] for k in _ALLOWED if k in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    home = workspace / ".home"
    home.mkdir(exist_ok=True)
    env.update({
        "HOME": str(home),
        "PYTHONDONTWRITEBYTECODE": "1",   # a stale .pyc must never stand in for a candidate
        "PYTHONHASHSEED": "0",
        "PYTHONNOUSERSITE": "1",
        "PYTHONUNBUFFERED": "1",
    })
    if extra:
        env.update(extra)
    return env
