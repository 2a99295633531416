"""Where untrusted code runs. One protocol (`Sandbox.run`), two backends.

Both backends give every run: a new session and a kill of everything it started
on timeout (a pids cgroup where possible, which also caps the number of tasks);
rlimits on CPU time, address space, processes (without the cgroup) and file size;
an allow-listed environment (no API keys or tokens) with one random PYTHONHASHSEED
per optimizer process (base.HASH_SEED: hashes vary as in the user's own runs, yet
the original and its candidates share the seed); stdout and stderr kept to their
first and last 64 KiB (the rest is counted, not stored); and a watchdog that stops
the run ("disk") once the used space of the file system it writes to has grown by
more than `Limits.disk_bytes` (default 512 MiB; the bound is that plus one 0.1 s
poll interval of writes, and other writers to the same file system count too).

- `bwrap` (the default wherever bubblewrap works): on top of that, a minimal file
  system built from nothing: /usr and the system library dirs, a few /etc files,
  the interpreter and its import path and the optimizer's own packages, all
  read-only; a private /tmp (512 MiB tmpfs); HOME at the user's home path as an
  empty 64 MiB tmpfs; the workspace read-write, shown at the user's repository path
  (`get_sandbox(..., repo=)`), so paths, cwd and sys.path look like a plain run there.
  No other part of the home directory, other projects, /var, /run or host sockets;
  no network; own pid/IPC/UTS namespaces; no capabilities. See bwrap.py.
- `process`: only the shared guarantees. It does not isolate the file system or
  the network, the workspace is seen at its temporary path, and HOME is
  `workspace/.home`: the real home cannot be shown without also being writable.
  A private TMPDIR is made per run (and watched for disk growth with the workspace).

A container backend (docker/podman) would be a third class with the same `run`.
Before anything runs, `capability.check` rejects candidates that reach for
powers the original did not use.
"""
from pathlib import Path

from .base import HASH_SEED, Limits, RunResult, Sandbox, scrubbed_env
from .bwrap import BwrapSandbox, bwrap_problem
from .process import ProcessSandbox

BACKENDS = ("auto", "bwrap", "process")


class SandboxUnavailable(Exception):
    """The backend asked for cannot run on this machine; the message says why."""


def get_sandbox(name: str = "auto", repo: Path | None = None) -> tuple[Sandbox, str]:
    """The backend and a warning for the report ('' when none). "auto" is bwrap
    where it works, else process with a warning that says what that gives up.
    repo: the user's repository; bwrap shows every workspace at its path."""
    if name == "process":
        return ProcessSandbox(), PROCESS_WARNING
    if name in ("bwrap", "auto"):
        problem = bwrap_problem()
        if not problem:
            return BwrapSandbox(shown_as=repo), ""
        if name == "bwrap":
            raise SandboxUnavailable(f"--sandbox bwrap: {problem}")
        return ProcessSandbox(), f"{problem}; using the process sandbox. {PROCESS_WARNING}"
    raise SandboxUnavailable(f"unknown sandbox backend {name!r} (choose from {', '.join(BACKENDS)})")


PROCESS_WARNING = ("The process sandbox limits time, memory, processes and the environment, but does not "
                   "isolate the file system or the network: candidates are screened by the static "
                   "capability check only.")

__all__ = ["BACKENDS", "HASH_SEED", "BwrapSandbox", "Limits", "ProcessSandbox", "RunResult", "Sandbox",
           "SandboxUnavailable", "bwrap_problem", "get_sandbox", "scrubbed_env"]
