"""The sandbox protocol and what every backend shares."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Protocol, Sequence


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int | None = 600
    memory_bytes: int | None = 4 * 1024**3      # address space per process
    max_processes: int | None = 512             # tasks (processes and threads) of the whole run, where
                                                # a pids cgroup can be made; else RLIMIT_NPROC (not for root)
    file_bytes: int | None = 1024**3            # RLIMIT_FSIZE: the largest file a process may write
                                                # (the smaller of this and disk_bytes applies)
    disk_bytes: int | None = 512 * 1024**2      # growth of the used space of the file system(s) the run
                                                # may write to (see process.run_contained for the bound)


@dataclass
class RunResult:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    limit: str = ""             # which limit stopped it: "timeout", "cpu time", "memory", "file size",
                                # "processes", "disk"
    peak_bytes: int = 0         # peak resident memory of the largest process reaped (0 when unknown)
    disk_bytes: int = 0         # with limit == "disk": the limit it went over

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def killed_by_limit(self) -> bool:
        return bool(self.limit) and self.limit != "timeout"

    def last_line(self) -> str:
        """The last non-empty output line, usually the error's summary."""
        lines = [ln.strip() for ln in (self.stdout + "\n" + self.stderr).splitlines() if ln.strip()]
        return lines[-1] if lines else "(no output)"

    def tail(self, n: int = 1200) -> str:
        """The end of the output, where errors are; for reasons in reports."""
        text = (self.stdout + "\n" + self.stderr).strip()
        return text[-n:]

    def why_stopped(self) -> str:
        """A short phrase for reports: which limit ended the run, if any."""
        return {"timeout": f"timed out after {self.seconds:.0f}s",
                "cpu time": "killed: CPU time limit",
                "memory": "ran out of memory (the sandbox's limit)",
                "file size": "killed: file size limit",
                "processes": "hit the sandbox's process limit",
                "disk": f"wrote more than {self.disk_bytes // 1024**2} MiB to disk (the sandbox's limit)",
                }.get(self.limit, "")


class Sandbox(Protocol):
    """Runs a command with `workspace` as its directory. The workspace, the paths in
    `writable` and a private temporary directory may be written; a backend that
    can (bwrap) makes everything else read-only and cuts the network. A container
    backend would implement the same method."""

    name: str
    isolates_files: bool        # False: the backend cannot stop writes outside the workspace

    def run(self, cmd: Sequence[str], workspace: Path, env: Mapping[str, str] | None = None,
            limits: Limits = Limits(), timeout: float = 600.0, writable: Sequence[Path] = (),
            stdin: str | None = None) -> RunResult:
        """Run cmd in workspace, with `stdin` as its standard input (else none). Never raises
        for the command's own misbehaviour."""
        ...

    def shown_path(self, workspace: Path, writable: Sequence[Path] = ()) -> Path | None:
        """Where a run sees `workspace` (None: at its own path). Paths the run writes
        (sampled file names, tracebacks) name this path; map them back on the host."""
        ...


# Variables a Python run legitimately needs. Everything else (API keys, tokens,
# cloud credentials, whatever their names) stays outside.
_ALLOWED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "SYSTEMROOT")

# One hash seed per optimizer process, drawn at import: str/bytes hashes are randomised
# as in the user's own runs (no known value of hash("literal") to recognise the harness
# by), yet the original and every candidate of a run share it, so outcomes recorded
# under it are compared under it (set iteration order, for one).
HASH_SEED = str(secrets.randbelow(2**32 - 1) + 1)


def scrubbed_env(workspace: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allow-listed variables plus the run's own: HOME is `workspace/.home` (the bwrap
    backend shows the user's real home path instead, as an empty tmpfs), PYTHONHASHSEED
    is this process's random HASH_SEED (not 0)."""
    env = {k: os.environ[k] for k in _ALLOWED if k in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    home = workspace / ".home"
    home.mkdir(exist_ok=True)
    env.update({
        "HOME": str(home),
        # hypothesis keeps its example database in the working directory otherwise
        "HYPOTHESIS_STORAGE_DIRECTORY": str(home / ".hypothesis"),
        "PYTHONDONTWRITEBYTECODE": "1",   # a stale .pyc must never stand in for a candidate
        "PYTHONHASHSEED": HASH_SEED,
        "PYTHONNOUSERSITE": "1",
        "PYTHONUNBUFFERED": "1",
    })
    if extra:
        env.update(extra)
    return env
